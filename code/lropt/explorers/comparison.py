"""Chapter 6 (比較): the five methods side by side on the test surfaces (手法の比較).

Everything the chapter shows is computed here, so that the notebook and the tests use the same rules:

* :func:`make_optimizer` — a method with a given η and the library's default other hyper-parameters;
* :func:`sweep_surface` — try every η of a log grid; the best one reaches the tolerance in the fewest steps;
* :func:`verdict` — the one-word outcome of a run for tables (steps, 発散, 局所最適解, 停滞, 振動);
* :func:`draw_runs` and :func:`draw_sweeps` — the small-multiples figure of one surface and the sweep table;
* :func:`explore_comparison` — all five paths on one surface, with one slider scaling every method's η.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from .._validation import check_int, check_positive
from ..interactive import Explorer, Slider, log_grid
from ..optimizers import OPTIMIZERS, Optimizer
from ..plotting import (
    DIVERGED_LABEL,
    METHOD_ORDER,
    draw_surface,
    method_style,
    new_figure,
    outside_notes,
    path_line,
    set_path,
)
from ..surfaces import Surface
from ..trajectory import Trajectory, run

__all__ = [
    "LEARNING_RATE_GRID",
    "MULTIPLIERS",
    "STALLED",
    "OSCILLATING",
    "APPROACHING",
    "LOCAL_MINIMUM",
    "OTHER_MINIMUM",
    "make_optimizer",
    "verdict",
    "SweepResult",
    "sweep_surface",
    "draw_runs",
    "draw_sweeps",
    "explore_comparison",
]

LEARNING_RATE_GRID: tuple[float, ...] = tuple(
    float(f"{m * 10.0**k:g}") for k in range(-3, 2) for m in (1, 2, 5) if m * 10**k <= 10
)
"""The log grid of η tried for every method: 1, 2, 5 × 10ᵏ from 0.001 to 10 (13 values)."""

MULTIPLIERS: tuple[float, ...] = log_grid(0.1, 10.0, 9)
"""The comparison slider's grid: each method's tuned η times 0.1 … 10 (log scale, 9 values)."""

STALLED = "停滞"
OSCILLATING = "振動"
APPROACHING = "未到達"
LOCAL_MINIMUM = "局所最適解"
OTHER_MINIMUM = "別の最小値"

_WINDOW = 10  # the last steps looked at by verdict()
_STALL_RATIO = 0.1  # mean step below this fraction of the remaining distance: 停滞
_APPROACH_RATIO = 0.5  # distance at least halved over the window: still approaching (未到達)


def make_optimizer(method: str, learning_rate: float) -> Optimizer:
    """A fresh ``method`` optimizer (a key of :data:`lropt.optimizers.OPTIMIZERS`) with η = ``learning_rate``
    and the library's defaults for everything else: μ = 0.9, ρ = 0.99, β₁ = 0.9, β₂ = 0.999, θ."""
    if method not in OPTIMIZERS:
        raise ValueError(
            f"引数 method には {', '.join(OPTIMIZERS)} のいずれかを指定してください。受け取った値: {method!r}"
        )
    return OPTIMIZERS[method](learning_rate=learning_rate)


def verdict(traj: Trajectory) -> str:
    """The outcome of a run in one word (結果), for tables.

    * the number of steps after which the path stays within the run's tolerance of the global minimum;
    * 「発散」 when the run diverged;
    * 「局所最適解」 when it ended within the tolerance of a local minimum (「別の最小値」 if that minimum is as
      deep as the global one, like the saddle surface's (0, −1));
    * otherwise the tolerance was not reached, and the last 10 steps tell why:

      - 「停滞」: their mean length is below a tenth of the remaining distance (creeping, or stopped);
      - 「未到達」: the distance at least halved over them (still approaching; more steps would help);
      - 「振動」: neither — long steps that do not bring the point closer (hovering around the minimum).
    """
    if traj.diverged:
        return DIVERGED_LABEL
    k = traj.steps_to()
    if k is not None:
        return str(k)
    if traj.stuck_in_local_minimum:
        deep = traj.values[-1] - traj.minimum_value < traj.tolerance
        return OTHER_MINIMUM if deep else LOCAL_MINIMUM
    dist = traj.distances()
    window = traj.path[-(_WINDOW + 1) :]
    recent = np.linalg.norm(np.diff(window, axis=0), axis=1)
    if recent.size == 0 or float(recent.mean()) < _STALL_RATIO * float(dist[-1]):
        return STALLED
    if dist[-1] <= _APPROACH_RATIO * dist[-len(window)]:
        return APPROACHING
    return OSCILLATING


@dataclass(frozen=True)
class SweepResult:
    """One method on one surface for every η of a grid: the runs, and the η chosen by the sweep rule."""

    method: str
    surface: Surface
    trajectories: dict[float, Trajectory]
    best: float

    @property
    def grid(self) -> tuple[float, ...]:
        return tuple(self.trajectories)

    @property
    def steps(self) -> dict[float, int | None]:
        """Steps to the tolerance for every η (None: not reached within the run)."""
        return {eta: t.steps_to() for eta, t in self.trajectories.items()}

    @property
    def verdicts(self) -> dict[float, str]:
        return {eta: verdict(t) for eta, t in self.trajectories.items()}

    @property
    def best_trajectory(self) -> Trajectory:
        return self.trajectories[self.best]

    @property
    def best_steps(self) -> int | None:
        return self.best_trajectory.steps_to()


def sweep_surface(
    method: str,
    surface: Surface,
    steps: int = 300,
    grid: Sequence[float] = LEARNING_RATE_GRID,
    tolerance: float = 1e-2,
) -> SweepResult:
    """Run ``method`` on ``surface`` for every η of ``grid`` (学習率の掃引) and choose one.

    The rule: the η that reaches ``tolerance`` (and stays there) in the fewest steps; ties go to the smaller
    η. If no η reaches it within ``steps``, the η whose run ends closest to the global minimum without
    diverging (or the smallest η if every run diverges).
    """
    steps = check_int("steps", steps, 1)
    tolerance = check_positive("tolerance", tolerance)
    trajs = {
        float(eta): run(make_optimizer(method, eta), surface, steps=steps, tolerance=tolerance)
        for eta in grid
    }
    reached = {eta: k for eta, t in trajs.items() if (k := t.steps_to()) is not None}
    if reached:
        best = min(reached, key=lambda e: (reached[e], e))
    else:
        alive = {eta: float(t.distances()[-1]) for eta, t in trajs.items() if not t.diverged}
        best = min(alive, key=lambda e: (alive[e], e)) if alive else min(trajs)
    return SweepResult(method, surface, trajs, best)


def _verdict_line(traj: Trajectory) -> tuple[str, str]:
    """Panel label and its colour: 「N ステップで到達」, 「発散」 (red), or the verdict with the final distance."""
    word = verdict(traj)
    if word.isdigit():
        return f"{word} ステップで到達", "black"
    if word == DIVERGED_LABEL:
        return f"{DIVERGED_LABEL}（{traj.diverged_step} ステップ目）", "#C00000"
    return f"{word}（{traj.steps} ステップ後の距離 {traj.distances()[-1]:.2g}）", "black"


def draw_runs(
    fig: Figure,
    surface: Surface,
    runs: Mapping[str, Trajectory],
    rates: Mapping[str, float],
    title: str = "",
) -> Figure:
    """Small multiples for one surface (手法ごとの小さな図) drawn into ``fig`` (e.g. ``plt.figure(figsize=(9,
    6))``): 2 × 3 panels, one per method with its path and outcome, and a sixth with every method's distance
    to the minimum against the step (log scale).

    ``runs`` and ``rates`` are keyed by method (any keys of :data:`lropt.plotting.METHOD_STYLES`, at most
    five). Returns ``fig``.
    """
    if not 1 <= len(runs) <= 5:
        raise ValueError(f"引数 runs には 1〜5 個の手法の軌跡を渡してください。受け取った数: {len(runs)}")
    missing = [m for m in runs if m not in rates]
    if missing:
        raise ValueError(f"引数 rates に {missing} の学習率がありません。受け取ったキー: {list(rates)}")
    axes = fig.subplots(2, 3)
    if fig.get_layout_engine() is None:
        # fixed margins for 9 × 6 in: much faster than the constrained layout for 6 panels
        fig.subplots_adjust(left=0.06, right=0.985, bottom=0.075, top=0.89 if title else 0.94)
        fig.subplots_adjust(wspace=0.28, hspace=0.36)
    flat = list(axes.flat)
    for ax, (m, traj) in zip(flat, runs.items(), strict=False):
        draw_surface(ax, surface, legend_minima=False)
        set_path(path_line(ax, m, markersize=2.5, linewidth=1.0), traj)
        ax.set_title(f"{method_style(m)['label']}（η = {rates[m]:g}）", fontsize=10)
        text, color = _verdict_line(traj)
        ax.text(
            0.03,
            0.96,
            text,
            transform=ax.transAxes,
            ha="left",
            va="top",
            fontsize=8.5,
            color=color,
            zorder=6,
            bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
        )
        ax.set_xlabel("$x$", fontsize=9, labelpad=1)
        ax.set_ylabel("$y$", fontsize=9, labelpad=1)
        ax.tick_params(labelsize=7)
    for ax in flat[len(runs) : 5]:
        ax.set_visible(False)
    ax_d = flat[5]
    tol = next(iter(runs.values())).tolerance
    longest = max(t.requested_steps for t in runs.values())
    for m, traj in runs.items():
        style = method_style(m)
        d = np.maximum(traj.distances(), 1e-12)
        ax_d.plot(d, color=style["color"], linewidth=1.2, label=style["label"])
        if traj.diverged:
            ax_d.plot(len(d) - 1, d[-1], marker="x", color="#C00000", markersize=7, zorder=5)
    ax_d.axhline(tol, color="0.4", linestyle=":", linewidth=1)
    ax_d.set_yscale("log")
    ax_d.set_ylim(1e-8, 1e2)
    ax_d.set_xlim(0, longest)
    ax_d.set_xlabel("ステップ t", fontsize=9)
    ax_d.set_title("最小値までの距離（点線が許容誤差）", fontsize=10)
    ax_d.tick_params(labelsize=7)
    ax_d.legend(fontsize=7, loc="lower left")
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


_CELL_COLORS = {"reached": "#cfe8dc", "best": "#7fc8a9", DIVERGED_LABEL: "#f4c7c3", "other": "#eeeeee"}


def draw_sweeps(fig: Figure, sweeps: Mapping[str, Mapping[str, SweepResult]]) -> Figure:
    """The learning-rate sweeps as one compact table per surface (学習率の掃引の表), drawn into ``fig``
    (about 1.5 in of height per surface).

    ``sweeps[surface_key][method]``. Rows are methods, columns the η of the grid; a cell shows the steps to
    the tolerance or the verdict (発散 on red, 停滞 / 振動 / 局所最適解 on grey), and the η chosen for each
    method is framed (dark green when it reaches the tolerance). Returns ``fig``.
    """
    keys = list(sweeps)
    if not keys:
        raise ValueError("引数 sweeps が空です。")
    grid = next(iter(sweeps[keys[0]].values())).grid
    axes = np.atleast_1d(fig.subplots(len(keys), 1))
    if fig.get_layout_engine() is None:
        fig.subplots_adjust(left=0.1, right=0.99, bottom=0.07, top=0.96, hspace=0.45)
    short = {
        STALLED: "停滞",
        OSCILLATING: "振動",
        APPROACHING: "未到",
        LOCAL_MINIMUM: "局所",
        OTHER_MINIMUM: "別",
        DIVERGED_LABEL: "発散",
    }
    for ax, key in zip(axes, keys, strict=True):
        rows = sweeps[key]
        methods = list(rows)
        ax.imshow(np.zeros((len(methods), len(grid))), cmap=ListedColormap(["white"]), aspect="auto")
        for i, m in enumerate(methods):
            res = rows[m]
            for j, eta in enumerate(grid):
                word = verdict(res.trajectories[eta])
                if word.isdigit():
                    kind = "best" if eta == res.best else "reached"
                else:
                    kind = DIVERGED_LABEL if word == DIVERGED_LABEL else "other"
                ax.add_patch(
                    Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor=_CELL_COLORS[kind], edgecolor="white", lw=1)
                )
                if eta == res.best:
                    ax.add_patch(
                        Rectangle((j - 0.45, i - 0.45), 0.9, 0.9, fill=False, edgecolor="black", lw=1.3)
                    )
                label, shade = (word, "black") if word.isdigit() else (short[word], "0.45")
                ax.text(j, i, label, ha="center", va="center", fontsize=7, color=shade)
        ax.set_yticks(range(len(methods)))
        ax.set_yticklabels([method_style(m)["label"] for m in methods], fontsize=8)
        for tick, m in zip(ax.get_yticklabels(), methods, strict=True):
            tick.set_color(method_style(m)["color"])
        ax.set_xticks(range(len(grid)))
        ax.set_xticklabels([f"{e:g}" for e in grid], fontsize=7)
        ax.tick_params(length=0)
        for side in ax.spines.values():
            side.set_visible(False)
        ax.set_title(next(iter(rows.values())).surface.title, fontsize=9, loc="left")
    axes[-1].set_xlabel("学習率 η", fontsize=9)
    return fig


def explore_comparison(
    surface: Surface, rates: Mapping[str, float], steps: int = 300, tolerance: float = 1e-2
) -> Explorer:
    """Paths of SGD, Momentum, AdaGrad, RMSProp and Adam on ``surface``; the slider multiplies every method's
    η (``rates``, e.g. the ones chosen by :func:`sweep_surface`) by the same factor ×0.1 … ×10, showing which
    method still works when its η is off."""
    missing = [m for m in METHOD_ORDER if m not in rates]
    if missing:
        raise ValueError(f"引数 rates に {missing} の学習率がありません。受け取ったキー: {list(rates)}")
    steps = check_int("steps", steps, 1)
    tolerance = check_positive("tolerance", tolerance)
    fig, ax = new_figure(width=7.2, height=5.8)
    # fixed room under the axes for one status line per method (a layout engine would not see them: the
    # explorer hides its dynamic artists while it renders the background)
    fig.set_layout_engine("none")
    ax.set_position((0.09, 0.31, 0.88, 0.63))
    draw_surface(ax, surface)
    lines = {m: path_line(ax, m, markersize=3, linewidth=1.2) for m in METHOD_ORDER}
    ax.legend(loc="lower right", fontsize=8, ncols=2)
    # one line per method under the plot, where no path can hide it
    labels = {
        m: fig.text(
            0.09,
            0.2 - 0.036 * i,
            "",
            ha="left",
            va="top",
            fontsize=9.5,
            color=method_style(m)["color"],
        )
        for i, m in enumerate(METHOD_ORDER)
    }

    def update(factor: float) -> str:
        parts = []
        for m in METHOD_ORDER:
            eta = rates[m] * factor
            traj = run(make_optimizer(m, eta), surface, steps=steps, tolerance=tolerance)
            set_path(lines[m], traj)
            text, color = _verdict_line(traj)
            away = "・枠の外" if outside_notes(ax, [("", traj)]) else ""
            labels[m].set_text(f"{method_style(m)['label']} η = {eta:.3g}: {text}{away}")
            labels[m].set_color(color if color != "black" else method_style(m)["color"])
            word = verdict(traj)
            parts.append(f"{method_style(m)['label']} {word}" + (" ステップ" if word.isdigit() else ""))
        return f"η × {factor:.3g}: " + "、".join(parts)

    slider = Slider(
        "factor", "η の倍率（手法ごとの η に掛ける）", MULTIPLIERS, value=1.0, log=True, fmt="×{:.3g}"
    )
    return Explorer(
        fig,
        [slider],
        update,
        [*lines.values(), *labels.values()],
        title=f"{surface.title} での 5 手法の軌跡（学習率の倍率を変える）",
    )
