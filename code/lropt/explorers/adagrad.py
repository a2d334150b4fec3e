"""Chapter 3 (AdaGrad): the θ / η slider and each coordinate's effective learning rate η/(√h + θ)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..interactive import Explorer, Slider, linear_grid, log_grid
from ..optimizers import AdaGrad
from ..plotting import (
    DIVERGED_LABEL,
    draw_surface,
    method_style,
    new_figure,
    number_text,
    path_line,
    set_path,
    status_text,
    theta_text,
)
from ..surfaces import Surface, ZeroTsuku
from ..trajectory import Trajectory, run

__all__ = ["THETA_GRID", "ETA_GRID", "effective_rates", "explore_adagrad"]

THETA_GRID: tuple[float, ...] = log_grid(1e-8, 1.0, 17)
"""θ values of the static slider: 10⁻⁸ … 1, two per decade (10⁻⁸, 3.16·10⁻⁸, 10⁻⁷, …, 0.316, 1)."""

ETA_GRID: tuple[float, ...] = linear_grid(0.5, 3.0, 6)
"""η values of the static slider: 0.5, 1.0, …, 3.0 (ゼロつく uses η = 1.5 for AdaGrad)."""

_RATE_YLIM = (0.03, 30.0)


def effective_rates(
    trajectory: Trajectory,
    surface: Surface,
    learning_rate: float,
    theta: float,
    initial_h: float = 0.0,
) -> np.ndarray:
    """The effective learning rate η/(√h_t + θ) (実効学習率) of every coordinate at every step of an AdaGrad run.

    Row ``t - 1`` holds the rates of step ``t`` (t = 1 … n), shape ``(n, dim)``: h_t = h₀ + Σ_{s<t} ∇E(w_s)²
    accumulated over the points the run visited, exactly what :class:`lropt.optimizers.AdaGrad` keeps in
    ``self.h``, so that ``w_t = w_{t-1} - rate_t · ∇E(w_{t-1})``. Valid for runs without gradient noise and
    with a constant η (no schedule).
    """
    points = trajectory.path[:-1]
    if len(points) == 0:
        return np.empty((0, surface.dim))
    grads = np.asarray(surface.grad(points.T), dtype=float).reshape(surface.dim, -1).T
    h = initial_h + np.cumsum(grads * grads, axis=0)
    return learning_rate / (np.sqrt(h) + theta)


def explore_adagrad(
    surface: Surface | None = None,
    steps: int = 40,
    thetas: Sequence[float] | None = None,
    etas: Sequence[float] | None = None,
    theta: float = 1e-7,
    eta: float = 1.5,
) -> Explorer:
    """θ (log scale) and η sliders for AdaGrad on ゼロつく's f = x²/20 + y² (or another 2-D ``surface``).

    Left: the AdaGrad path for the chosen (θ, η), over a faint path with θ = min(θ grid) (θ → 0), so that one
    sees where θ starts to matter. Right: each coordinate's effective rate η/(√h_t + θ) per step on a log axis,
    with the ceiling η/θ that θ puts on it: while η/θ lies far above the curves θ has no effect; when θ is
    comparable to √h the rates are pushed down towards η/θ, i.e. towards plain SGD with learning rate η/θ.
    """
    surface = ZeroTsuku() if surface is None else surface
    theta_grid = THETA_GRID if thetas is None else tuple(thetas)
    eta_grid = ETA_GRID if etas is None else tuple(etas)
    theta_zero = min(theta_grid)
    style = method_style("AdaGrad")

    fig, (ax_path, ax_rate) = new_figure(ncols=2, width=8.6, height=3.6, width_ratios=[1.25, 1])
    draw_surface(ax_path, surface)
    ghost = path_line(
        ax_path,
        "AdaGrad",
        label=f"θ = {number_text(theta_zero)}（θ → 0）",
        marker="none",
        linestyle="--",
        linewidth=1.6,
        alpha=0.45,
        zorder=3,
    )
    line = path_line(ax_path, "AdaGrad", label="AdaGrad の軌跡")
    ax_path.legend(loc="lower right", fontsize=8)
    label = status_text(ax_path, fontsize=11)
    diverged = status_text(ax_path, y=0.82, fontsize=11, color="#C00000")

    ax_rate.set_yscale("log")
    ax_rate.set_xlim(0, steps)
    ax_rate.set_ylim(*_RATE_YLIM)
    ax_rate.set_autoscale_on(False)
    ax_rate.set_xlabel("ステップ $t$")
    ax_rate.set_ylabel(r"$\eta / (\sqrt{h_t} + \theta)$（対数）")
    ax_rate.set_title("座標ごとの実効学習率")
    rate_x = ax_rate.plot([], [], color=style["color"], linewidth=1.8, label="x 方向")[0]
    rate_y = ax_rate.plot([], [], color=style["color"], linewidth=1.8, linestyle="--", label="y 方向")[0]
    cap = ax_rate.plot([], [], color="0.35", linewidth=1.2, linestyle=":", label="上限 η/θ")[0]
    ax_rate.legend(loc="upper center", ncols=3, fontsize=8, handlelength=1.8, columnspacing=1.0)
    cap_label = status_text(ax_rate, x=0.97, y=0.84, ha="right", fontsize=10)

    optimizer = AdaGrad(learning_rate=eta_grid[0], theta=theta_grid[0])
    ghost_runs: dict[float, Trajectory] = {}  # the faint θ → 0 path depends on η only

    def ghost_run(value: float) -> Trajectory:
        if value not in ghost_runs:
            ghost_runs[value] = run(AdaGrad(learning_rate=value, theta=theta_zero), surface, steps=steps)
        return ghost_runs[value]

    def update(theta: float, eta: float) -> str:
        optimizer.learning_rate = eta
        optimizer.theta = theta
        traj = run(optimizer, surface, steps=steps)
        set_path(ghost, ghost_run(eta))
        set_path(line, traj)
        rates = effective_rates(traj, surface, eta, theta)
        t = np.arange(1, len(rates) + 1)
        rate_x.set_data(t, rates[:, 0])
        rate_y.set_data(t, rates[:, 1])
        ceiling = eta / theta
        cap.set_data([0, steps], [ceiling, ceiling])
        # at the top edge the line hides in the frame, so that counts as outside too
        outside = "（枠の外）" if ceiling >= _RATE_YLIM[1] else ""
        cap_label.set_text(f"η/θ = {number_text(ceiling)}{outside}")
        label.set_text(f"θ = {theta_text(theta)}, η = {eta:.3g}")
        diverged.set_text(DIVERGED_LABEL if traj.diverged else "")
        return f"θ = {theta_text(theta)}, η = {eta:.3g}: {traj.status}"

    sliders = [
        Slider("theta", "θ（小さな定数）", theta_grid, value=theta, log=True, fmt=theta_text),
        Slider("eta", "η（学習率）", eta_grid, value=eta, step=0.05, fmt="{:.2f}"),
    ]
    return Explorer(
        fig,
        sliders,
        update,
        [ghost, line, label, diverged, rate_x, rate_y, cap, cap_label],
        title="AdaGrad の θ と η を変えたときの軌跡と座標ごとの実効学習率",
    )
