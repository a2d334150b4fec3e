"""Chapter 1 (学習率): the η slider for plain gradient descent."""

from __future__ import annotations

import numpy as np

from ..interactive import Explorer, Slider, linear_grid
from ..optimizers import SGD
from ..plotting import draw_surface, new_figure, outside_notes, path_line, set_path, status_text
from ..surfaces import Surface, ZeroTsuku
from ..trajectory import run

__all__ = ["explore_learning_rate"]

_GAP_FLOOR = 1e-8  # f − f* below this is drawn at the floor of the log axis


def _gap_curve(values: np.ndarray, minimum_value: float) -> np.ndarray:
    """f(w_t) − f* clipped to the log axis (a run that reached the minimum exactly stays visible)."""
    return np.maximum(values - minimum_value, _GAP_FLOOR)


def explore_learning_rate(
    surface: Surface | None = None,
    steps: int = 50,
    etas: tuple[float, ...] | None = None,
    eta: float = 0.3,
) -> Explorer:
    """η slider for plain gradient descent (SGD) on ゼロつく's f = x²/20 + y² (or another 2-D ``surface``).

    Left: the path on the contour plot. Right: f(w_t) − f* per step on a log axis, so that "slow", "zig-zag",
    "never settles" and 「発散」 can be told apart at a glance. The default grid 0.05 … 1.1 contains the stability
    bound 2/L = 1 of ゼロつく's surface.
    """
    surface = ZeroTsuku() if surface is None else surface
    grid = linear_grid(0.05, 1.1, 22) if etas is None else tuple(etas)
    fig, (ax_path, ax_gap) = new_figure(ncols=2, width=8.0, height=3.5, width_ratios=[1.3, 1])
    draw_surface(ax_path, surface)
    line = path_line(ax_path, "SGD", label="SGD の軌跡")
    ax_path.legend(loc="lower right", fontsize=9)
    label = status_text(ax_path)
    # under the η label: the legend takes the lower right and a long note would run under it
    outside = status_text(ax_path, x=0.03, y=0.85, fontsize=8.5, color="0.25")

    f0 = float(surface.f(surface.start)) - surface.minimum_value
    ax_gap.set_yscale("log")
    ax_gap.set_xlim(0, steps)
    ax_gap.set_ylim(_GAP_FLOOR, max(f0, 1.0) * 1e3)
    ax_gap.set_autoscale_on(False)
    ax_gap.axhline(f0, color="0.7", linewidth=0.8, linestyle="--")
    ax_gap.set_xlabel("ステップ $t$")
    ax_gap.set_ylabel("$f(w_t) - f^*$（対数）")
    ax_gap.set_title("最小値との差")
    gap = path_line(ax_gap, "SGD", label=None, markersize=3)
    gap_label = status_text(ax_gap, x=0.97, ha="right", fontsize=11)

    bound = surface.max_stable_learning_rate
    optimizer = SGD(learning_rate=grid[0])

    def update(eta: float) -> str:
        optimizer.learning_rate = eta
        traj = run(optimizer, surface, steps=steps)
        set_path(line, traj)
        gap.set_data(np.arange(traj.steps + 1), _gap_curve(traj.values, surface.minimum_value))
        label.set_text(f"η = {eta:.3g}")
        outside.set_text(outside_notes(ax_path, [("", traj)]))
        gap_label.set_text("発散" if traj.diverged else "")
        gap_label.set_color("#C00000")
        hint = ""
        if bound is not None:
            hint = f"（安定条件 η < 2/L = {bound:.3g}）"
        return f"η = {eta:.3g}: {traj.status}{hint}"

    slider = Slider("eta", "η（学習率）", grid, value=eta, step=0.01, fmt="{:.2f}")
    return Explorer(
        fig,
        [slider],
        update,
        [line, label, outside, gap, gap_label],
        title="学習率 η を変えたときの勾配降下法の軌跡",
    )
