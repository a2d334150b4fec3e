"""Run an optimizer on a test surface and record its path (軌跡), detecting divergence (発散).

The runner feeds the optimizer exactly as a training loop would: ``params = {"w": w}``,
``grad = {"w": surface.grad(w)}``, ``optimizer.update(params, grad)``. It stops as soon as the run diverges —
the point leaves a generous radius around the minimum, or a value or gradient stops being finite — so no overflow
``RuntimeWarning`` ever reaches a notebook and the chapter can label the run 「発散」.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ._validation import check_int, check_positive, check_real, describe
from .optimizers import _update_checking_first
from .surfaces import Surface

__all__ = ["Trajectory", "run", "divergence_radius", "step_ratios"]


class _Optimizer(Protocol):
    learning_rate: float

    def update(self, params: dict[str, np.ndarray], grad: dict[str, np.ndarray]) -> None: ...


@dataclass(frozen=True)
class Trajectory:
    """The record of one run.

    Attributes:
        path: points visited, shape ``(n + 1, dim)``; ``path[0]`` is the start.
        values: f at each point, shape ``(n + 1,)``.
        learning_rates: η used at each step, shape ``(n,)``.
        diverged: True when the run was stopped for diverging (発散).
        diverged_step: the step at which divergence was detected, else None.
        requested_steps: how many steps were asked for.
        minimum: the surface's global minimiser; local_minima: its other minimisers.
    """

    path: np.ndarray
    values: np.ndarray
    learning_rates: np.ndarray
    diverged: bool
    diverged_step: int | None
    requested_steps: int
    minimum: np.ndarray
    minimum_value: float
    local_minima: tuple[np.ndarray, ...] = ()
    tolerance: float = 1e-3

    @property
    def steps(self) -> int:
        """Number of update steps actually taken."""
        return len(self.path) - 1

    @property
    def final(self) -> np.ndarray:
        return self.path[-1]

    def distances(self, point: np.ndarray | None = None) -> np.ndarray:
        """Euclidean distance of every visited point to ``point`` (default: the global minimum)."""
        target = self.minimum if point is None else np.asarray(point, dtype=float)
        return np.linalg.norm(self.path - target, axis=1)

    def steps_to(self, tolerance: float | None = None, point: np.ndarray | None = None) -> int | None:
        """First step k from which the path stays within ``tolerance`` of ``point`` until the end, else None."""
        tol = self.tolerance if tolerance is None else check_positive("tolerance", tolerance)
        if self.diverged:
            return None
        inside = self.distances(point) < tol
        if not inside[-1]:
            return None
        outside = np.flatnonzero(~inside)
        return 0 if outside.size == 0 else int(outside[-1] + 1)

    @property
    def converged(self) -> bool:
        """The run ended within ``tolerance`` of the global minimum (収束)."""
        return self.steps_to() is not None

    @property
    def stuck_in_local_minimum(self) -> bool:
        """The run ended within ``tolerance`` of a local (not global) minimum (局所最適解)."""
        if self.diverged:
            return False
        return any(np.linalg.norm(self.final - m) < self.tolerance for m in self.local_minima)

    @property
    def status(self) -> str:
        """One Japanese line for figures: 発散 / 収束 / 局所最適解 / 未収束."""
        if self.diverged:
            return f"{_DIVERGED}（{self.diverged_step} ステップ目で打ち切り）"
        k = self.steps_to()
        if k is not None:
            return f"収束（{k} ステップで誤差 {self.tolerance:g} 未満）"
        if self.stuck_in_local_minimum:
            return "局所最適解に停留"
        return f"未収束（{self.steps} ステップ後の距離 {self.distances()[-1]:.3g}）"


_DIVERGED = "発散"


def divergence_radius(surface: Surface, start: np.ndarray, factor: float = 3.0) -> float:
    """Distance from the minimum beyond which a run counts as diverged.

    ``factor`` times the larger of the start's distance and the plot window's half-diagonal: a converging
    descent method (even with momentum's overshoot) stays far inside, and a run that gets there has left every
    figure of the book — so the chapters can label it 「発散」 within the few dozen steps they show.
    """
    half_diag = 0.5 * float(np.hypot(np.ptp(surface.xlim), np.ptp(surface.ylim) if surface.dim == 2 else 0.0))
    start_dist = float(np.linalg.norm(np.asarray(start, dtype=float) - surface.minimum))
    return factor * max(start_dist, half_diag, 1.0)


def run(
    optimizer: _Optimizer,
    surface: Surface,
    start: np.ndarray | list[float] | float | None = None,
    steps: int = 100,
    schedule: Callable[[int], float] | None = None,
    tolerance: float = 1e-3,
    radius: float | None = None,
    noise: float = 0.0,
    seed: int = 0,
) -> Trajectory:
    """Run ``optimizer`` for ``steps`` steps on ``surface`` from ``start`` and return the :class:`Trajectory`.

    Args:
        optimizer: any object with ``update(params, grad)`` and a ``learning_rate`` attribute (lropt.optimizers);
            its ``reset()`` is called first, so every run starts from zero state.
        surface: the function to minimise (lropt.surfaces).
        start: starting point (default ``surface.start``).
        steps: number of updates (≥ 0).
        schedule: optional η_t = schedule(t); set as ``optimizer.learning_rate`` before step t. A value of 0
            means "do not move" for that step.
        tolerance: distance to a minimum that counts as reached.
        radius: divergence radius around the minimum (default :func:`divergence_radius`).
        noise: standard deviation of Gaussian noise added to every gradient component — a stand-in for the
            mini-batch noise of stochastic gradient descent (確率的勾配降下法). 0 gives exact gradients.
        seed: seed of the noise generator (runs are reproducible).
    """
    steps = check_int("steps", steps, minimum=0)
    tolerance = check_positive("tolerance", tolerance)
    noise = check_real("noise", noise)
    if noise < 0:
        raise ValueError(
            f"引数 noise は 0 以上でなければなりません（有効な範囲: noise ≥ 0）。受け取った値: {noise}"
        )
    rng = np.random.default_rng(check_int("seed", seed, minimum=0))
    if not hasattr(optimizer, "update"):
        raise TypeError(
            f"引数 optimizer には update(params, grad) を持つオブジェクトを渡してください。受け取った値: "
            f"{describe(optimizer)}"
        )
    w0 = surface.start if start is None else start
    w = np.array(w0, dtype=np.float64).reshape(-1)
    if w.shape != (surface.dim,) or not np.all(np.isfinite(w)):
        raise ValueError(
            f"引数 start は長さ {surface.dim} の有限な座標でなければなりません。受け取った値: {describe(w0)}"
        )
    if hasattr(optimizer, "reset"):
        optimizer.reset()  # every run starts from fresh state (v, h, m = 0)
    limit = divergence_radius(surface, w) if radius is None else check_positive("radius", radius)

    path = np.empty((steps + 1, surface.dim))
    values = np.empty(steps + 1)
    rates = np.empty(steps)
    path[0] = w
    params = {"w": w}
    minimum = np.asarray(surface.minimum, dtype=np.float64).reshape(-1)
    diverged_step: int | None = None
    n = 0
    # surface.f and surface.grad without their per-call argument checks and np.errstate (w is checked above
    # and the errstate below covers the loop): the sweeps of the chapters run this loop 100 000s of times
    value_at, gradient_at = surface._value, surface._gradient
    # the first step checked, the later ones not: w and g are built here (same key, shape and float64 every
    # step, g a fresh array, tested for nan/inf below)
    update = _update_checking_first(optimizer)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        values[0] = value_at(w)
        for t in range(steps):
            g = np.array(gradient_at(w), dtype=np.float64)  # a copy: never w itself
            if noise > 0:
                g = g + noise * rng.standard_normal(g.shape)
            if not all(map(math.isfinite, g.tolist())):
                diverged_step = t
                break
            eta = float(schedule(t)) if schedule is not None else float(optimizer.learning_rate)
            rates[t] = eta
            if eta > 0:
                if schedule is not None:
                    optimizer.learning_rate = eta
                update(params, {"w": g})
            value = float(value_at(w))
            n = t + 1
            path[n] = w
            values[n] = value
            offset = w - minimum
            distance = math.sqrt(offset @ offset)  # nan or inf when w is not finite
            if not (math.isfinite(value) and distance <= limit):
                diverged_step = n
                break
    return Trajectory(
        path=path[: n + 1].copy(),
        values=values[: n + 1].copy(),
        learning_rates=rates[:n].copy(),
        diverged=diverged_step is not None,
        diverged_step=diverged_step,
        requested_steps=steps,
        minimum=np.asarray(surface.minimum, dtype=float).reshape(-1),
        minimum_value=float(surface.minimum_value),
        local_minima=tuple(
            np.asarray(m, dtype=float).reshape(-1) for m in getattr(surface, "local_minima", ())
        ),
        tolerance=tolerance,
    )


def step_ratios(trajectory: Trajectory, learning_rate: float) -> np.ndarray:
    """max_i |w_i^(t) − w_i^(t−1)| / η for every step t = 1 … n: the largest coordinate move in units of η."""
    moves = np.abs(np.diff(trajectory.path, axis=0))
    if len(moves) == 0:
        return np.empty(0)
    return moves.max(axis=1) / learning_rate
