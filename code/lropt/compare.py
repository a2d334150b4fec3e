"""Side-by-side comparisons for chapter 6 (比較): learning-rate sweeps on surfaces and on the small network.

The rule used everywhere: for every method, try each η of a log grid and keep the one that reaches the
tolerance in the fewest steps (surfaces) or ends with the lowest training loss (network). The same functions
give the chapter's tables and the tests' assertions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .nn import MLP, train
from .optimizers import SGD, AdaGrad, Adam, Momentum, RMSProp
from .surfaces import Surface
from .trajectory import Trajectory, run

__all__ = [
    "LEARNING_RATE_GRID",
    "make_optimizer",
    "SweepResult",
    "sweep_surface",
    "outcome",
    "sweep_training",
]

LEARNING_RATE_GRID: tuple[float, ...] = tuple(
    float(f"{m * 10.0**k:g}") for k in range(-4, 1) for m in (1, 2, 5)
)
"""The log grid of η tried for every method: 1, 2, 5 × 10ᵏ from 0.0001 to 5."""


def make_optimizer(method: str, learning_rate: float) -> object:
    """A fresh optimizer of ``method`` with the book's usual other hyper-parameters (μ = 0.9, ρ = 0.9, Adam's
    defaults) and the given η."""
    factories: dict[str, Callable[[float], object]] = {
        "SGD": lambda e: SGD(learning_rate=e),
        "Momentum": lambda e: Momentum(learning_rate=e, momentum=0.9),
        "AdaGrad": lambda e: AdaGrad(learning_rate=e),
        "RMSProp": lambda e: RMSProp(learning_rate=e, decay_rate=0.9),
        "Adam": lambda e: Adam(learning_rate=e),
    }
    if method not in factories:
        raise ValueError(
            f"引数 method には {', '.join(factories)} のいずれかを指定してください。受け取った値: {method!r}"
        )
    return factories[method](learning_rate)


@dataclass(frozen=True)
class SweepResult:
    """Per η of the grid: steps to the tolerance (None: not reached) and the trajectories; the best η."""

    method: str
    steps: dict[float, int | None]
    trajectories: dict[float, Trajectory]
    best: float

    @property
    def best_trajectory(self) -> Trajectory:
        return self.trajectories[self.best]


def sweep_surface(
    method: str,
    surface: Surface,
    steps: int = 300,
    grid: Sequence[float] = LEARNING_RATE_GRID,
    tolerance: float = 1e-3,
) -> SweepResult:
    """Run ``method`` for every η of ``grid``; the best η reaches ``tolerance`` in the fewest steps, or, if none
    does, ends closest to the global minimum without diverging."""
    trajs = {eta: run(make_optimizer(method, eta), surface, steps=steps, tolerance=tolerance) for eta in grid}
    reached = {eta: t.steps_to() for eta, t in trajs.items()}
    done = {eta: k for eta, k in reached.items() if k is not None}
    if done:
        best = min(done, key=lambda e: (done[e], e))
    else:
        alive = {eta: t.distances()[-1] for eta, t in trajs.items() if not t.diverged}
        best = min(alive, key=alive.get) if alive else grid[0]
    return SweepResult(method, reached, trajs, best)


def outcome(traj: Trajectory) -> str:
    """Short Japanese verdict for tables: 「N」 steps, 発散, 局所最適解, or 未到達 (tolerance not reached)."""
    if traj.diverged:
        return "発散"
    k = traj.steps_to()
    if k is not None:
        return str(k)
    if traj.stuck_in_local_minimum:
        return "局所最適解"
    return "未到達"


def sweep_training(
    method: str,
    data: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    grid: Sequence[float] = LEARNING_RATE_GRID,
    steps: int = 500,
    batch_size: int = 32,
    seed: int = 0,
) -> dict[float, float]:
    """Final training loss (nan when diverged) of ``method`` for every η, from the same initial weights."""
    losses = {}
    for eta in grid:
        log = train(
            MLP(seed=seed), make_optimizer(method, eta), data, steps=steps, batch_size=batch_size, seed=seed
        )
        losses[eta] = float("nan") if log.diverged else log.final_loss
    return losses
