"""Chapter 6 (比較): all five methods on one surface, with one slider scaling every method's η."""

from __future__ import annotations

from collections.abc import Mapping

from ..compare import make_optimizer, outcome
from ..interactive import Explorer, Slider, log_grid
from ..plotting import METHOD_ORDER, draw_surface, method_style, new_figure, path_line, set_path
from ..surfaces import Surface
from ..trajectory import run

__all__ = ["explore_comparison", "MULTIPLIERS"]

MULTIPLIERS: tuple[float, ...] = log_grid(0.1, 10.0, 9)
"""The slider's grid: each method's tuned η times 0.1 … 10 (log scale)."""


def explore_comparison(surface: Surface, rates: Mapping[str, float], steps: int = 200) -> Explorer:
    """Paths of SGD, Momentum, AdaGrad, RMSProp and Adam on ``surface``; the slider multiplies every method's
    η (``rates``, e.g. the best of a sweep) by the same factor, showing how forgiving each one is."""
    missing = [m for m in METHOD_ORDER if m not in rates]
    if missing:
        raise ValueError(f"引数 rates に {missing} の学習率がありません。受け取ったキー: {list(rates)}")
    fig, ax = new_figure(width=7.2, height=4.6)
    draw_surface(ax, surface)
    lines = {m: path_line(ax, m, markersize=3, linewidth=1.2) for m in METHOD_ORDER}
    ax.legend(loc="lower right", fontsize=8, ncols=2)
    labels = {
        m: ax.text(
            0.02,
            0.97 - 0.065 * i,
            "",
            transform=ax.transAxes,
            ha="left",
            va="top",
            fontsize=9,
            color=method_style(m)["color"],
            zorder=7,
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.8},
        )
        for i, m in enumerate(METHOD_ORDER)
    }

    def update(factor: float) -> str:
        parts = []
        for m in METHOD_ORDER:
            eta = rates[m] * factor
            traj = run(make_optimizer(m, eta), surface, steps=steps, tolerance=1e-2)
            set_path(lines[m], traj)
            verdict = outcome(traj)
            if verdict.isdigit():
                verdict = f"{verdict} ステップ"
            elif verdict == "未到達":
                verdict = f"未到達（距離 {traj.distances()[-1]:.2g}）"
            labels[m].set_text(f"{method_style(m)['label']} η={eta:.3g}: {verdict}")
            parts.append(f"{method_style(m)['label']} {verdict}")
        return f"η × {factor:.3g}: " + "、".join(parts)

    slider = Slider("factor", "η の倍率", MULTIPLIERS, value=1.0, log=True, fmt="×{:.3g}")
    return Explorer(
        fig,
        [slider],
        update,
        [*lines.values(), *labels.values()],
        title=f"{surface.title} での 5 手法の軌跡（学習率の倍率を変える）",
    )
