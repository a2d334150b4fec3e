"""Learning-rate schedules (学習率の減衰).

A schedule is a callable of the step t = 0, 1, 2, ... that returns the learning rate η_t (学習率)::

    schedule = StepDecay(learning_rate=0.1, drop=0.5, every=20)
    for t in range(100):
        optimizer.learning_rate = schedule(t)
        optimizer.update(params, grad)

``sample(schedule, steps)`` gives ``[η_0, ..., η_{steps-1}]`` for plotting. Every schedule returns a finite
float; the decays are mathematically positive and are kept at or above the smallest normal float so that they
never round to 0. Only ``CosineDecay`` with ``min_learning_rate=0`` returns exactly 0 (for t ≥ T), which means
"stop": the parameters no longer change. (The optimizers reject η = 0, so end the loop at T in that case.)
"""

from __future__ import annotations

import math
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable

import numpy as np

from lropt._validation import check_int, check_positive, check_real, describe

__all__ = [
    "Schedule",
    "Constant",
    "StepDecay",
    "ExponentialDecay",
    "CosineDecay",
    "LinearWarmup",
    "InverseTimeDecay",
    "sample",
]

_TINY = sys.float_info.min  # smallest positive normal float; decays never underflow below it


def _check_rate(name: str, value: object, symbol: str) -> float:
    """A factor in (0, 1] (減衰の倍率 drop, γ)."""
    result = check_real(name, value, symbol)
    if not 0.0 < result <= 1.0:
        raise ValueError(
            f"引数 {name}（{symbol}）は 0 より大きく 1 以下でなければなりません"
            f"（有効な範囲: 0 < {symbol} ≤ 1）。受け取った値: {result}"
        )
    return result


def _num(value: float) -> str:
    return f"{value:g}"


class Schedule(ABC):
    """Base class: ``schedule(t)`` is the learning rate η_t at step t (t = 0, 1, 2, ...)."""

    learning_rate: float

    def __call__(self, step: int) -> float:
        """η_t for the integer step t ≥ 0."""
        return float(self._value(check_int("step", step, 0)))

    @abstractmethod
    def _value(self, t: int) -> float: ...

    @property
    @abstractmethod
    def label(self) -> str:
        """Short Japanese label for plot legends."""

    @property
    @abstractmethod
    def formula(self) -> str:
        """LaTeX of η_t, without ``$`` delimiters."""


class Constant(Schedule):
    """Constant learning rate (一定): η_t = η."""

    def __init__(self, learning_rate: float) -> None:
        self.learning_rate = check_positive("learning_rate", learning_rate, "η")

    def _value(self, t: int) -> float:
        return self.learning_rate

    @property
    def label(self) -> str:
        return f"一定 (η = {_num(self.learning_rate)})"

    @property
    def formula(self) -> str:
        return rf"\eta_t = {_num(self.learning_rate)}"

    def __repr__(self) -> str:
        return f"Constant(learning_rate={self.learning_rate!r})"


class StepDecay(Schedule):
    """Step decay (ステップ減衰): η_t = η · drop^⌊t / every⌋ — multiply by ``drop`` every ``every`` steps."""

    def __init__(self, learning_rate: float, drop: float = 0.5, every: int = 10) -> None:
        self.learning_rate = check_positive("learning_rate", learning_rate, "η")
        self.drop = _check_rate("drop", drop, "drop")
        self.every = check_int("every", every, 1)

    def _value(self, t: int) -> float:
        return max(self.learning_rate * self.drop ** (t // self.every), _TINY)

    @property
    def label(self) -> str:
        return f"ステップ減衰 (×{_num(self.drop)} / {self.every} steps)"

    @property
    def formula(self) -> str:
        lr, drop = _num(self.learning_rate), _num(self.drop)
        return rf"\eta_t = {lr} \cdot {drop}^{{\lfloor t / {self.every} \rfloor}}"

    def __repr__(self) -> str:
        return f"StepDecay(learning_rate={self.learning_rate!r}, drop={self.drop!r}, every={self.every!r})"


class ExponentialDecay(Schedule):
    """Exponential decay (指数減衰): η_t = η · γ^t with 0 < γ ≤ 1."""

    def __init__(self, learning_rate: float, gamma: float = 0.95) -> None:
        self.learning_rate = check_positive("learning_rate", learning_rate, "η")
        self.gamma = _check_rate("gamma", gamma, "γ")

    def _value(self, t: int) -> float:
        return max(self.learning_rate * self.gamma**t, _TINY)

    @property
    def label(self) -> str:
        return f"指数減衰 (γ = {_num(self.gamma)})"

    @property
    def formula(self) -> str:
        return rf"\eta_t = {_num(self.learning_rate)} \cdot {_num(self.gamma)}^{{t}}"

    def __repr__(self) -> str:
        return f"ExponentialDecay(learning_rate={self.learning_rate!r}, gamma={self.gamma!r})"


class CosineDecay(Schedule):
    """Cosine decay (コサイン減衰) from η to η_min over T = ``total_steps`` steps, then constant η_min:

    η_t = η_min + (η − η_min) · (1 + cos(π · min(t, T) / T)) / 2.

    ``min_learning_rate`` may be 0; then η_t = 0 for t ≥ T, which means "stop" (the update no longer moves).
    """

    def __init__(self, learning_rate: float, total_steps: int, min_learning_rate: float = 0.0) -> None:
        self.learning_rate = check_positive("learning_rate", learning_rate, "η")
        self.total_steps = check_int("total_steps", total_steps, 1)
        low = check_real("min_learning_rate", min_learning_rate, "η_min")
        if not 0.0 <= low <= self.learning_rate:
            raise ValueError(
                "引数 min_learning_rate（η_min）は 0 以上 learning_rate 以下でなければなりません"
                f"（有効な範囲: 0 ≤ η_min ≤ η = {self.learning_rate}）。受け取った値: {low}"
            )
        self.min_learning_rate = low

    def _value(self, t: int) -> float:
        if t == 0:
            return self.learning_rate
        if t >= self.total_steps:
            return self.min_learning_rate
        low, high = self.min_learning_rate, self.learning_rate
        return low + (high - low) * 0.5 * (1.0 + math.cos(math.pi * t / self.total_steps))

    @property
    def label(self) -> str:
        tail = "" if self.min_learning_rate == 0 else f", η_min = {_num(self.min_learning_rate)}"
        return f"コサイン減衰 (T = {self.total_steps}{tail})"

    @property
    def formula(self) -> str:
        low, high, T = _num(self.min_learning_rate), _num(self.learning_rate), self.total_steps
        return rf"\eta_t = {low} + ({high} - {low}) \cdot \frac{{1 + \cos(\pi \min(t, {T}) / {T})}}{{2}}"

    def __repr__(self) -> str:
        return (
            f"CosineDecay(learning_rate={self.learning_rate!r}, total_steps={self.total_steps!r}, "
            f"min_learning_rate={self.min_learning_rate!r})"
        )


class LinearWarmup(Schedule):
    """Linear warm-up (ウォームアップ): η_t = η · (t + 1) / W for t < W = ``warmup_steps``.

    From t = W on it hands over to ``after(t − W)`` if a schedule is given (usually one that starts at the
    same η, e.g. ``CosineDecay(η, T)``), otherwise it stays at η. η_{W−1} = η exactly.
    """

    def __init__(
        self,
        learning_rate: float,
        warmup_steps: int,
        after: Callable[[int], float] | None = None,
    ) -> None:
        self.learning_rate = check_positive("learning_rate", learning_rate, "η")
        self.warmup_steps = check_int("warmup_steps", warmup_steps, 1)
        if after is not None and not callable(after):
            raise TypeError(
                "引数 after には学習率のスケジュール（step を受け取る呼び出し可能オブジェクト）"
                f"または None を渡してください。受け取った値: {describe(after)}"
            )
        self.after = after

    def _value(self, t: int) -> float:
        if t < self.warmup_steps:
            return self.learning_rate * ((t + 1) / self.warmup_steps)
        if self.after is None:
            return self.learning_rate
        return self.after(t - self.warmup_steps)

    @property
    def label(self) -> str:
        head = f"ウォームアップ ({self.warmup_steps} steps)"
        if self.after is None:
            return head
        return f"{head} → {getattr(self.after, 'label', repr(self.after))}"

    @property
    def formula(self) -> str:
        W, lr = self.warmup_steps, _num(self.learning_rate)
        rest = rf"\eta^{{\mathrm{{after}}}}_{{t - {W}}}" if self.after is not None else lr
        return (
            rf"\eta_t = \begin{{cases}} {lr} \cdot (t + 1) / {W} & t < {W} \\ "
            rf"{rest} & t \ge {W} \end{{cases}}"
        )

    def __repr__(self) -> str:
        return (
            f"LinearWarmup(learning_rate={self.learning_rate!r}, warmup_steps={self.warmup_steps!r}, "
            f"after={self.after!r})"
        )


class InverseTimeDecay(Schedule):
    """Inverse-time decay (1/t 減衰): η_t = η / (1 + k·t), k = ``decay`` ≥ 0 (k = 0 is constant)."""

    def __init__(self, learning_rate: float, decay: float = 0.1) -> None:
        self.learning_rate = check_positive("learning_rate", learning_rate, "η")
        k = check_real("decay", decay, "k")
        if not k >= 0.0:
            raise ValueError(
                "引数 decay（k）は 0 以上の有限の実数でなければなりません"
                f"（有効な範囲: 0 ≤ k < ∞）。受け取った値: {k}"
            )
        self.decay = k

    def _value(self, t: int) -> float:
        return max(self.learning_rate / (1.0 + self.decay * t), _TINY)

    @property
    def label(self) -> str:
        return f"1/t 減衰 (k = {_num(self.decay)})"

    @property
    def formula(self) -> str:
        return rf"\eta_t = \frac{{{_num(self.learning_rate)}}}{{1 + {_num(self.decay)}\,t}}"

    def __repr__(self) -> str:
        return f"InverseTimeDecay(learning_rate={self.learning_rate!r}, decay={self.decay!r})"


def sample(schedule: Callable[[int], float], steps: int) -> np.ndarray:
    """``np.array([schedule(0), ..., schedule(steps - 1)])`` (float64), e.g. to plot η_t against t."""
    if not callable(schedule):
        raise TypeError(
            "引数 schedule には学習率のスケジュール（呼び出し可能オブジェクト）を渡してください。"
            f"受け取った値: {describe(schedule)}"
        )
    steps = check_int("steps", steps, 0)
    return np.array([schedule(t) for t in range(steps)], dtype=float)
