"""Chapter 5 (Adam): sliders for β₁, β₂ (m と v の減衰率) and η (学習率) on the saddle surface, beside SGD.

Left: Adam's path (solid) and plain SGD's path with the same η (dashed) on the saddle surface
f = x²/2 + y⁴/4 − y²/2 from (1, 10⁻³), each with its result. Right: the size of each Adam step in units of η,
max_i |Δw_i| / η, on a log axis with the line 1 — "each step is about η at most" and what β₂ does to it.

The β₂ slider is even in log₁₀(1 − β₂) (0.9, 0.99, 0.999, 0.9999 are equally far apart), live and static.
Every run is :func:`lropt.trajectory.run` with :class:`lropt.optimizers.Adam` / :class:`~lropt.optimizers.SGD`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.text import Text

from ..interactive import Explorer, NearOneSlider, Slider, simplify_curve, thin_path
from ..optimizers import SGD, Adam
from ..plotting import (
    DIVERGED_LABEL,
    draw_surface,
    method_style,
    new_figure,
    outside_notes,
    path_line,
    status_text,
)
from ..surfaces import Saddle, Surface
from ..trajectory import Trajectory, run, step_ratios

__all__ = [
    "BETA1_GRID",
    "BETA2_GRID",
    "ETA_GRID",
    "leave_step",
    "explore_adam",
]

BETA1_GRID: tuple[float, ...] = (0.0, 0.5, 0.9, 0.95, 0.99)
"""Static-page values of β₁ (m の減衰率): 0 (no momentum: RMSProp with bias correction) … 0.99."""

BETA2_GRID: tuple[float, ...] = (0.9, 0.99, 0.999, 0.9999)
"""Static-page values of β₂ (v の減衰率): 1 − 10⁻ᵏ for k = 1 … 4 (memory ≈ 10, 100, 1000, 10000 steps)."""

ETA_GRID: tuple[float, ...] = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
"""Static-page values of η (学習率), roughly log-spaced."""

_RED = "#C00000"
_RATIO_YLIM = (1e-3, 10.0)


def leave_step(trajectory: Trajectory, threshold: float = 0.5) -> int | None:
    """The first step t with |y_t| > ``threshold`` (left the saddle at y = 0), else None."""
    beyond = np.flatnonzero(np.abs(trajectory.path[:, 1]) > threshold)
    return int(beyond[0]) if beyond.size else None


def _result(name: str, trajectory: Trajectory) -> str:
    if trajectory.diverged:
        return f"{name}: {DIVERGED_LABEL}"
    k = trajectory.steps_to()
    if k is not None:
        return f"{name}: {k} ステップで収束"
    if trajectory.stuck_in_local_minimum:
        return f"{name}: もう 1 つの最小値 ☆ に収束"
    return f"{name}: 未収束"


def explore_adam(
    surface: Surface | None = None,
    steps: int = 150,
    beta1s: Sequence[float] | None = None,
    beta2s: Sequence[float] | None = None,
    etas: Sequence[float] | None = None,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eta: float = 0.1,
) -> Explorer:
    """β₁, β₂ and η sliders for Adam on the saddle surface (or another 2-D ``surface``), beside SGD.

    Left: Adam's path and SGD's path with the same η, each labelled N ステップで収束 (within 10⁻³) /
    未収束 after ``steps`` / 「発散」 in red; the saddle point is marked. Right: Adam's largest coordinate move
    per step divided by η (:func:`step_ratios`), log axis, with the line 1. The status line gives both runs'
    :attr:`~lropt.trajectory.Trajectory.status` and the largest step in units of η. SGD's runs are cached
    per η. Live sliders: β₁ ∈ [min, max] in steps of 0.01, β₂ on :class:`NearOneSlider` (20 positions per
    decade of 1 − β₂), η on a log scale.
    """
    surface = Saddle() if surface is None else surface
    b1_grid = BETA1_GRID if beta1s is None else tuple(beta1s)
    b2_grid = BETA2_GRID if beta2s is None else tuple(beta2s)
    eta_grid = ETA_GRID if etas is None else tuple(etas)
    scale = (np.ptp(surface.xlim), np.ptp(surface.ylim))

    fig, (ax_path, ax_step) = new_figure(ncols=2, width=8.8, height=3.9, width_ratios=[1.05, 1])
    draw_surface(ax_path, surface, levels=surface.levels(12), legend_minima=False)
    for point in getattr(surface, "saddles", ()):
        ax_path.plot(
            point[0],
            point[1],
            marker="X",
            color="black",
            markersize=8,
            linestyle="none",
            label="鞍点",
            zorder=5,
        )
    sgd_line = path_line(
        ax_path, "SGD", label="SGD（同じ η）", linestyle="--", alpha=0.6, markersize=2.5, linewidth=1.0
    )
    adam_line = path_line(ax_path, "Adam", markersize=3, zorder=5)
    ax_path.legend(loc="lower right", fontsize=8)
    label = status_text(ax_path, x=0.03, y=0.25, fontsize=9)
    adam_result = status_text(ax_path, x=0.03, y=0.15, fontsize=9)
    sgd_result = status_text(ax_path, x=0.03, y=0.07, fontsize=9)
    outside = status_text(ax_path, x=0.03, y=0.95, fontsize=8.5, color="0.25")

    style = method_style("Adam")
    ax_step.set_yscale("log")
    ax_step.set_xlim(0, steps)
    ax_step.set_ylim(*_RATIO_YLIM)
    ax_step.set_autoscale_on(False)
    ax_step.axhline(1.0, color="0.35", linewidth=1.0, linestyle=":", label="η（比 = 1）")
    ax_step.set_xlabel("ステップ $t$")
    ax_step.set_ylabel(r"$\max_i |\Delta w_i| \,/\, \eta$（対数）")
    ax_step.set_title("Adam の 1 ステップの大きさ（η を 1 として）")
    (ratio_line,) = ax_step.plot([], [], color=style["color"], linewidth=1.4, label="Adam")
    ax_step.legend(loc="lower left", fontsize=8)
    ratio_text = status_text(ax_step, x=0.97, y=0.95, ha="right", fontsize=9)

    adam = Adam(learning_rate=eta_grid[0], beta1=b1_grid[0], beta2=b2_grid[0])
    sgd_runs: dict[float, Trajectory] = {}

    def sgd_run(value: float) -> Trajectory:
        if value not in sgd_runs:
            sgd_runs[value] = run(SGD(learning_rate=value), surface, steps=steps)
        return sgd_runs[value]

    def draw(line: Line2D, result: Text, name: str, traj: Trajectory) -> None:
        pts = thin_path(traj.path, scale)
        line.set_data(pts[:, 0], pts[:, 1])
        result.set_text(_result(name, traj))
        result.set_color(_RED if traj.diverged else "black")

    def update(beta1: float, beta2: float, eta: float) -> str:
        adam.beta1 = beta1
        adam.beta2 = beta2
        adam.learning_rate = eta
        traj = run(adam, surface, steps=steps)
        plain = sgd_run(eta)
        draw(adam_line, adam_result, "Adam", traj)
        draw(sgd_line, sgd_result, "SGD", plain)
        ratios = step_ratios(traj, eta)
        t = np.arange(1, len(ratios) + 1)
        curve = np.column_stack([t, np.log10(np.clip(ratios, *_RATIO_YLIM))])
        curve = simplify_curve(curve, (steps, math.log10(_RATIO_YLIM[1] / _RATIO_YLIM[0])))
        ratio_line.set_data(curve[:, 0], 10.0 ** curve[:, 1])
        biggest = float(ratios.max()) if len(ratios) else 0.0
        ratio_text.set_text(f"最大 {biggest:.2f} η")
        label.set_text(f"β₁ = {beta1:.3g}, β₂ = {beta2:.5g}, η = {eta:.3g}")
        outside.set_text(outside_notes(ax_path, [("Adam が", traj), ("SGD が", plain)]))
        return f"{_result('Adam', traj)}（最大の一歩 {biggest:.2f} η）／{_result('SGD', plain)}"

    sliders = [
        Slider("beta1", "β₁（m の減衰率）", b1_grid, value=beta1, step=0.01, fmt="{:.2f}"),
        NearOneSlider("beta2", "β₂（v の減衰率）", b2_grid, value=beta2, fmt="{:.5g}"),
        Slider("eta", "η（学習率）", eta_grid, value=eta, log=True, fmt="{:.3g}"),
    ]
    return Explorer(
        fig,
        sliders,
        update,
        [sgd_line, adam_line, label, adam_result, sgd_result, outside, ratio_line, ratio_text],
        title="β₁・β₂・η を変えたときの鞍点の曲面での Adam と SGD の軌跡",
    )
