"""Chapter 4 (RMSProp): sliders for ρ (減衰率) and θ (小さな定数) on the long ramp, beside AdaGrad and SGD.

The surface is :class:`lropt.surfaces.Plateau` (f = log cosh x + y², start (20, 2)), the setting where
chapter 3 shows AdaGrad's stall, with η = 0.5. Top: RMSProp's path over AdaGrad's (faint). Bottom left: the
distance to the minimum per step (log), over SGD's and AdaGrad's with the same η and the level η/√2 at which
RMSProp hovers when θ is negligible. Bottom right: the largest coordinate move per step in units of η
(:func:`lropt.explorers.adam.step_ratios`, log) — exactly 1 for ρ = 0 (sign-like steps), about 1/√(1 − ρ) at
the first step (no bias correction), below 1 where θ is comparable to the gradients.

Both parameters show on this surface: ρ sets how the step adapts (ρ → 0 sign-like, ρ → 1 slow, with a huge
first step), θ decides what happens at the bottom — negligible θ hovers at about ±η/2 per coordinate
(:func:`cycle_amplitude`), θ > ηL/2 turns the last part into SGD with the stable rate η/θ and converges.
Every run is :func:`lropt.trajectory.run` with :class:`lropt.optimizers.RMSProp`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from ..interactive import Explorer, NearOneSlider, Slider, log_grid, simplify_curve, thin_path
from ..optimizers import SGD, AdaGrad, RMSProp
from ..plotting import (
    DIVERGED_LABEL,
    draw_surface,
    method_style,
    number_text,
    outside_text,
    path_line,
    power_of_ten,
    status_text,
    theta_text,
)
from ..surfaces import Plateau, Surface
from ..trajectory import Trajectory, run, step_ratios

__all__ = [
    "RHO_GRID",
    "THETA_GRID",
    "LEARNING_RATE",
    "cycle_amplitude",
    "memory_weights",
    "effective_rates",
    "explore_rmsprop",
]

RHO_GRID: tuple[float, ...] = (0.0, 0.5, 0.9, 0.95, 0.99, 0.995, 0.999)
"""Static-page values of ρ (減衰率): 0 (h = g², sign-like steps) … 0.999, about two per decade of 1 − ρ."""

THETA_GRID: tuple[float, ...] = log_grid(1e-8, 1.0, 9)
"""Static-page values of θ (小さな定数): 10⁻⁸, 10⁻⁷, …, 1, one per decade."""

LEARNING_RATE: float = 0.5
"""η (学習率) of the explorer and of chapter 3's stall demo on the long ramp."""

_RED = "#C00000"
_DIST_YLIM = (1e-4, 50.0)
_RATIO_YLIM = (1e-2, 50.0)
# what the panels say when a curve runs along their bottom edge
_DIST_FLOOR_NOTE = f"{power_of_ten(round(math.log10(_DIST_YLIM[0])))} 未満は下端に描いています"
_RATIO_FLOOR_NOTE = f"（{power_of_ten(round(math.log10(_RATIO_YLIM[0])))} 未満は下端）"


def cycle_amplitude(learning_rate: float, theta: float, curvature: float) -> float:
    """Half-width a of the two-step cycle w ↔ −w (往復) that RMSProp settles into at a minimum, per coordinate.

    Near a minimum with curvature L the gradient is g = L·w. In a cycle between +a and −a the gradient has the
    same size at both points, so h → g² = (La)² for every ρ < 1 and the step is η·La/(La + θ). A cycle needs
    this step to be 2a, i.e. a = η/2 − θ/L: exactly η/2 when θ is negligible, whatever L is. No cycle exists
    (0 is returned) when θ ≥ ηL/2 — then the effective rate near the minimum, at most η/θ, is below the
    stability bound 2/L of plain gradient descent (chapter 1) and the run converges.
    """
    return max(learning_rate / 2.0 - theta / curvature, 0.0)


def memory_weights(decay_rate: float, count: int) -> np.ndarray:
    """Weights (1 − ρ)ρᵏ, k = 0 … count − 1, of the squared gradient k steps ago in RMSProp's h (h₀ = 0).

    h_t = Σ_{k<t} (1 − ρ)ρᵏ (∇E_{t−k})²: the weights sum to 1 − ρᵗ, and the newest ≈ 1/(1 − ρ) of them hold
    about 1 − 1/e ≈ 63 % of that (the effective memory, 実効的な記憶の長さ).
    """
    k = np.arange(count)
    return (1.0 - decay_rate) * decay_rate**k


def effective_rates(
    trajectory: Trajectory, surface: Surface, learning_rate: float, decay_rate: float, theta: float
) -> np.ndarray:
    """The effective learning rate η/(√h_t + θ) (実効学習率) of every coordinate at every step of an RMSProp run.

    Row ``t - 1`` holds the rates of step ``t`` (t = 1 … n), shape ``(n, dim)``, with
    h_t = ρ h_{t−1} + (1 − ρ) ∇E(w_{t−1})², h₀ = 0, over the points the run visited — what
    :class:`lropt.optimizers.RMSProp` keeps in ``self.h`` — so that ``w_t = w_{t-1} - rate_t · ∇E(w_{t-1})``.
    Valid for runs without gradient noise and with a constant η (no schedule).
    """
    points = trajectory.path[:-1]
    grads = np.asarray(surface.grad(points.T), dtype=float).reshape(surface.dim, -1).T
    h = np.zeros(surface.dim)
    rates = np.empty((len(points), surface.dim))
    for t, g in enumerate(grads):
        h = decay_rate * h + (1.0 - decay_rate) * g * g
        rates[t] = learning_rate / (np.sqrt(h) + theta)
    return rates


def _result(name: str, trajectory: Trajectory) -> str:
    if trajectory.diverged:
        return f"{name}: {DIVERGED_LABEL}"
    k = trajectory.steps_to()
    if k is not None:
        return f"{name}: {k} ステップで収束"
    return f"{name}: 未収束（最後の距離 {trajectory.distances()[-1]:.3g}）"


def _log_curve(values: np.ndarray, ylim: tuple[float, float], steps: int, first: int = 0) -> np.ndarray:
    """(t, value) points of a per-step curve on a log axis, clipped to ``ylim`` and simplified to the pixel."""
    t = np.arange(first, first + len(values), dtype=float)
    logs = np.log10(np.clip(values, *ylim))
    curve = simplify_curve(np.column_stack([t, logs]), (steps, math.log10(ylim[1] / ylim[0])))
    return np.column_stack([curve[:, 0], 10.0 ** curve[:, 1]])


def explore_rmsprop(
    surface: Surface | None = None,
    steps: int = 100,
    rhos: Sequence[float] | None = None,
    thetas: Sequence[float] | None = None,
    rho: float = 0.9,
    theta: float = 1e-7,
    learning_rate: float = LEARNING_RATE,
) -> Explorer:
    """ρ (減衰率) and θ (小さな定数, log scale) sliders for RMSProp on the long ramp (or another 2-D ``surface``).

    Top: RMSProp's path for (ρ, θ) with its result (N ステップで収束 within 10⁻³ / 未収束 with the last
    distance / 「発散」 in red) and, when the path leaves the window, where it went; AdaGrad's path with the same
    η is drawn faintly. Bottom left: distance to the minimum per step (log), with SGD's and AdaGrad's (faint)
    and the level η/√2 of a hover of ±η/2 in both coordinates. Bottom right: max_i |Δw_i| / η per step (log).
    The live sliders cover ρ ∈ [min(rhos), max(rhos)] even in log₁₀(1 − ρ) (:class:`NearOneSlider`, 20
    positions per decade) and θ ∈ [min(thetas), max(thetas)] on a log scale.
    """
    surface = Plateau() if surface is None else surface
    rho_grid = RHO_GRID if rhos is None else tuple(rhos)
    theta_grid = THETA_GRID if thetas is None else tuple(thetas)
    eta = learning_rate
    (x0, x1), (y0, y1) = surface.xlim, surface.ylim
    scale = (x1 - x0, y1 - y0)

    fig = Figure(figsize=(8.6, 6.2), layout="constrained")
    axes = fig.subplot_mosaic([["path", "path"], ["dist", "ratio"]], height_ratios=[1.0, 1.05])
    ax_path, ax_dist, ax_ratio = axes["path"], axes["dist"], axes["ratio"]

    # --- static background: contours, AdaGrad's path, SGD's and AdaGrad's distances ------------------------
    draw_surface(ax_path, surface, levels=surface.levels(14), legend_minima=False)
    adagrad = run(AdaGrad(learning_rate=eta), surface, steps=steps)
    sgd = run(SGD(learning_rate=eta), surface, steps=steps)
    ghost = thin_path(adagrad.path, scale)
    ax_path.plot(
        ghost[:, 0],
        ghost[:, 1],
        color=method_style("AdaGrad")["color"],
        linestyle="--",
        linewidth=1.4,
        alpha=0.55,
        label="AdaGrad（同じ η）",
        zorder=3,
    )
    rms_line = path_line(ax_path, "RMSProp", markersize=3, zorder=5)
    ax_path.legend(loc="upper center", fontsize=8, ncols=2)
    ax_path.set_title(f"{surface.title}、η = {eta:g}、{steps} ステップ")
    label = status_text(ax_path, x=0.015, y=0.95, fontsize=9)
    result = status_text(ax_path, x=0.015, y=0.80, fontsize=9)
    outside = status_text(ax_path, x=0.015, y=0.05, va="bottom", fontsize=9, color="0.25")

    t_all = np.arange(steps + 1)
    ax_dist.set_yscale("log")
    ax_dist.set_xlim(0, steps)
    ax_dist.set_ylim(*_DIST_YLIM)
    ax_dist.set_autoscale_on(False)
    for name, traj in (("SGD", sgd), ("AdaGrad", adagrad)):
        style = method_style(name)
        curve = _log_curve(traj.distances(), _DIST_YLIM, steps)
        ax_dist.plot(
            curve[:, 0], curve[:, 1], color=style["color"], linewidth=1.3, alpha=0.55, label=style["label"]
        )
    hover = eta / math.sqrt(2.0)
    ax_dist.plot(t_all[[0, -1]], [hover, hover], color="0.35", linewidth=1.0, linestyle=":", label="η/√2")
    (dist_line,) = ax_dist.plot(
        [], [], color=method_style("RMSProp")["color"], linewidth=1.6, label="RMSProp"
    )
    ax_dist.set_xlabel("ステップ $t$")
    ax_dist.set_ylabel("最小値までの距離（対数）")
    ax_dist.set_title("最小値までの距離")
    ax_dist.legend(loc="lower left", fontsize=7.5, ncols=2)
    floor_note = status_text(ax_dist, x=0.97, y=0.95, ha="right", fontsize=8.5, color="0.25")

    ax_ratio.set_yscale("log")
    ax_ratio.set_xlim(0, steps)
    ax_ratio.set_ylim(*_RATIO_YLIM)
    ax_ratio.set_autoscale_on(False)
    ax_ratio.axhline(1.0, color="0.35", linewidth=1.0, linestyle=":", label="η（比 = 1）")
    (ratio_line,) = ax_ratio.plot(
        [], [], color=method_style("RMSProp")["color"], linewidth=1.4, label="RMSProp"
    )
    ax_ratio.set_xlabel("ステップ $t$")
    ax_ratio.set_ylabel(r"$\max_i |\Delta w_i| \,/\, \eta$（対数）")
    ax_ratio.set_title("1 ステップの大きさ（η を 1 として）")
    ax_ratio.legend(loc="lower left", fontsize=7.5)
    ratio_text = status_text(ax_ratio, x=0.97, y=0.95, ha="right", fontsize=9)

    optimizer = RMSProp(learning_rate=eta, decay_rate=rho_grid[0], theta=theta_grid[0])

    def update(rho: float, theta: float) -> str:
        optimizer.decay_rate = rho
        optimizer.theta = theta
        traj = run(optimizer, surface, steps=steps)
        pts = thin_path(traj.path, scale)
        rms_line.set_data(pts[:, 0], pts[:, 1])
        label.set_text(f"ρ = {rho:.4g}, θ = {theta_text(theta)}")
        result.set_text(_result("RMSProp", traj))
        result.set_color(_RED if traj.diverged else "black")
        outside.set_text(outside_text(ax_path, traj.path))
        dist = _log_curve(traj.distances(), _DIST_YLIM, steps)
        dist_line.set_data(dist[:, 0], dist[:, 1])
        below = traj.distances().min() < _DIST_YLIM[0]  # drawn along the bottom edge
        floor_note.set_text(_DIST_FLOOR_NOTE if below else "")
        ratios = step_ratios(traj, eta)
        if len(ratios):
            curve = _log_curve(ratios, _RATIO_YLIM, steps, first=1)
            ratio_line.set_data(curve[:, 0], curve[:, 1])
            floor = _RATIO_FLOOR_NOTE if ratios.min() < _RATIO_YLIM[0] else ""
            ratio_text.set_text(f"1 歩目 {number_text(ratios[0])} η、最後 {number_text(ratios[-1])} η{floor}")
        else:
            ratio_line.set_data([], [])
            ratio_text.set_text("")
        return f"ρ = {rho:.4g}, θ = {theta_text(theta)}（η = {eta:g}）— {traj.status}"

    sliders = [
        NearOneSlider("rho", "ρ（減衰率）", rho_grid, value=rho, fmt="{:.4g}"),
        Slider("theta", "θ（小さな定数）", theta_grid, value=theta, log=True, fmt=theta_text),
    ]
    return Explorer(
        fig,
        sliders,
        update,
        [rms_line, label, result, outside, dist_line, floor_note, ratio_line, ratio_text],
        title="減衰率 ρ と θ を変えたときの長い坂での RMSProp の軌跡・距離・歩幅",
    )
