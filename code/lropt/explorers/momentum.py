"""Chapter 2 (モメンタム): sliders for μ (慣性) and η (学習率), the momentum path beside plain SGD's."""

from __future__ import annotations

from matplotlib.lines import Line2D
from matplotlib.text import Text

from ..interactive import Explorer, Slider
from ..optimizers import SGD, Momentum
from ..plotting import (
    DIVERGED_LABEL,
    draw_surface,
    new_figure,
    outside_notes,
    path_line,
    set_path,
    status_text,
)
from ..surfaces import Surface, ZeroTsuku
from ..trajectory import Trajectory, run

__all__ = ["explore_momentum", "MOMENTUM_GRID", "LEARNING_RATE_GRID", "visible_part"]

MOMENTUM_GRID: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)
"""Static-page values of μ (慣性): 0 (= SGD) … 0.99, denser near 1 where the behaviour changes fastest."""

LEARNING_RATE_GRID: tuple[float, ...] = (0.05, 0.1, 0.2, 0.4, 0.6, 0.9, 1.2, 1.5)
"""Static-page values of η (学習率); on ゼロつく's surface SGD needs η < 1, momentum η < 1 + μ."""

_RED = "#C00000"


def visible_part(trajectory: Trajectory) -> int:
    """Number of points of ``trajectory`` worth drawing: up to the step from which it stays within tolerance.

    Later points lie within ``tolerance`` (10⁻³) of the minimum, far below a pixel, so cutting them keeps
    the picture and the static page light. Diverged and unconverged runs are drawn whole.
    """
    k = trajectory.steps_to()
    return len(trajectory.path) if k is None else k + 1


def _short(name: str, trajectory: Trajectory) -> str:
    """A short result for the figure: 収束 N ステップ / 発散 / 未収束."""
    if trajectory.diverged:
        return f"{name}: {DIVERGED_LABEL}"
    k = trajectory.steps_to()
    return f"{name}: {k} ステップで収束" if k is not None else f"{name}: 未収束"


def explore_momentum(
    surface: Surface | None = None,
    steps: int = 100,
    mus: tuple[float, ...] | None = None,
    etas: tuple[float, ...] | None = None,
    mu: float = 0.5,
    eta: float = 0.9,
) -> Explorer:
    """μ and η sliders for Momentum on ゼロつく's f = x²/20 + y² (or another 2-D ``surface``), beside SGD.

    The momentum path (solid) and plain SGD's path with the same η (dashed, faint) on the contour plot, each
    with its result (N ステップで収束 within 10⁻³ / 未収束 after ``steps`` / 「発散」 in red); the status line
    gives both runs' :attr:`~lropt.trajectory.Trajectory.status`. SGD's runs are cached per η.
    The live sliders cover μ ∈ [min(mus), max(mus)] and η ∈ [min(etas), max(etas)] in steps of 0.01.
    """
    surface = ZeroTsuku() if surface is None else surface
    mu_grid = MOMENTUM_GRID if mus is None else tuple(mus)
    eta_grid = LEARNING_RATE_GRID if etas is None else tuple(etas)

    fig, ax = new_figure(width=7.6, height=4.3)
    draw_surface(ax, surface, levels=surface.levels(12), legend_minima=False)
    sgd_line = path_line(
        ax, "SGD", label="SGD（同じ η）", linestyle="--", alpha=0.6, markersize=2.5, linewidth=1.0
    )
    mom_line = path_line(ax, "Momentum", zorder=5)
    ax.legend(loc="lower right", fontsize=9)
    label = status_text(ax, fontsize=11)
    mom_result = status_text(ax, x=0.97, y=0.95, ha="right", fontsize=10)
    sgd_result = status_text(ax, x=0.97, y=0.87, ha="right", fontsize=10)
    outside = status_text(ax, x=0.015, y=0.05, va="bottom", fontsize=8.5, color="0.25")
    tol = 1e-3

    momentum = Momentum(learning_rate=eta_grid[0], momentum=mu_grid[0])
    sgd_runs: dict[float, Trajectory] = {}  # SGD's path depends on η only

    def sgd_run(value: float) -> Trajectory:
        if value not in sgd_runs:
            sgd_runs[value] = run(SGD(learning_rate=value), surface, steps=steps, tolerance=tol)
        return sgd_runs[value]

    def draw(line: Line2D, result: Text, name: str, traj: Trajectory) -> None:
        set_path(line, traj.path[: visible_part(traj)])
        result.set_text(_short(name, traj))
        result.set_color(_RED if traj.diverged else "black")

    def update(mu: float, eta: float) -> str:
        momentum.momentum = mu
        momentum.learning_rate = eta
        traj = run(momentum, surface, steps=steps, tolerance=tol)
        plain = sgd_run(eta)
        draw(mom_line, mom_result, "モメンタム", traj)
        draw(sgd_line, sgd_result, "SGD", plain)
        label.set_text(f"μ = {mu:.3g}, η = {eta:.3g}" + ("（SGD と同じ）" if mu == 0 else ""))
        outside.set_text(outside_notes(ax, [("モメンタムが", traj), ("SGD が", plain)]))
        return f"μ = {mu:.3g}, η = {eta:.3g} — モメンタム: {traj.status}／SGD: {plain.status}"

    sliders = [
        Slider("mu", "μ（慣性）", mu_grid, value=mu, step=0.01, fmt="{:.2f}"),
        Slider("eta", "η（学習率）", eta_grid, value=eta, step=0.01, fmt="{:.2f}"),
    ]
    return Explorer(
        fig,
        sliders,
        update,
        [sgd_line, mom_line, label, mom_result, sgd_result, outside],
        title="慣性 μ と学習率 η を変えたときのモメンタムと SGD の軌跡",
    )
