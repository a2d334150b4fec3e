"""Tests of lropt.schedules: hand-computed values, monotonicity, warm-up hand-over and argument checks."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from lropt import schedules
from lropt.schedules import (
    Constant,
    CosineDecay,
    ExponentialDecay,
    InverseTimeDecay,
    LinearWarmup,
    Schedule,
    StepDecay,
    sample,
)

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")

DECAYS: list[Schedule] = [
    Constant(0.1),
    StepDecay(0.1, drop=0.5, every=10),
    StepDecay(0.3, drop=1.0, every=1),
    ExponentialDecay(0.1, gamma=0.95),
    ExponentialDecay(0.1, gamma=1.0),
    CosineDecay(0.1, total_steps=50),
    CosineDecay(0.1, total_steps=7, min_learning_rate=0.02),
    CosineDecay(0.1, total_steps=1, min_learning_rate=0.1),
    InverseTimeDecay(0.1, decay=0.1),
    InverseTimeDecay(0.1, decay=0.0),
]
ALL: list[Schedule] = [
    *DECAYS,
    LinearWarmup(0.1, warmup_steps=5),
    LinearWarmup(0.1, warmup_steps=5, after=CosineDecay(0.1, total_steps=30, min_learning_rate=0.001)),
]


# --- hand-computed values ----------------------------------------------------------------------------------
def test_constant() -> None:
    s = Constant(0.1)
    assert [s(0), s(1), s(1000)] == [0.1, 0.1, 0.1]


def test_step_decay() -> None:
    s = StepDecay(0.1, drop=0.5, every=10)
    assert [s(t) for t in (0, 9)] == [0.1, 0.1]
    assert s(10) == pytest.approx(0.05, rel=1e-15)
    assert s(19) == pytest.approx(0.05, rel=1e-15)
    assert s(20) == pytest.approx(0.025, rel=1e-15)
    assert s(35) == pytest.approx(0.0125, rel=1e-15)
    assert StepDecay(1.0, drop=0.1, every=3)(7) == pytest.approx(0.01, rel=1e-15)
    assert StepDecay(1.0)(10) == 0.5  # defaults drop=0.5, every=10


def test_exponential_decay() -> None:
    s = ExponentialDecay(0.2, gamma=0.5)
    assert [s(0), s(1), s(3)] == pytest.approx([0.2, 0.1, 0.025], rel=1e-15)
    assert ExponentialDecay(1.0)(2) == pytest.approx(0.9025, rel=1e-15)  # default γ = 0.95


def test_cosine_decay() -> None:
    s = CosineDecay(1.0, total_steps=4)
    assert s(0) == 1.0
    assert s(1) == pytest.approx((1 + math.sqrt(0.5)) / 2, rel=1e-15)
    assert s(2) == pytest.approx(0.5, rel=1e-15)
    assert s(3) == pytest.approx((1 - math.sqrt(0.5)) / 2, rel=1e-12)
    assert [s(4), s(5), s(10_000)] == [0.0, 0.0, 0.0]  # η_t = 0: stop
    m = CosineDecay(0.3, total_steps=4, min_learning_rate=0.1)
    assert m(0) == 0.3
    assert m(2) == pytest.approx(0.2, rel=1e-15)
    assert [m(4), m(100)] == [0.1, 0.1]


def test_inverse_time_decay() -> None:
    s = InverseTimeDecay(1.0, decay=0.5)
    assert [s(0), s(2), s(6)] == [1.0, 0.5, 0.25]
    assert InverseTimeDecay(0.1)(10) == pytest.approx(0.05, rel=1e-15)  # default k = 0.1


def test_linear_warmup_without_after() -> None:
    s = LinearWarmup(0.1, warmup_steps=4)
    assert [s(0), s(1), s(2)] == pytest.approx([0.025, 0.05, 0.075], rel=1e-15)
    assert [s(3), s(4), s(1000)] == [0.1, 0.1, 0.1]


@pytest.mark.parametrize("learning_rate", [0.1, 0.3, 0.7, 1e-3, 0.01, 2.9])
def test_warmup_reaches_exactly_the_learning_rate(learning_rate: float) -> None:
    for warmup in range(1, 60):
        s = LinearWarmup(learning_rate, warmup_steps=warmup)
        assert s(warmup - 1) == learning_rate
        values = sample(s, warmup)
        assert np.all(np.diff(values) > 0) and values.max() == learning_rate


def test_warmup_hands_over_to_after() -> None:
    after = ExponentialDecay(0.1, gamma=0.5)
    s = LinearWarmup(0.1, warmup_steps=3, after=after)
    assert s(2) == 0.1
    assert [s(3), s(4), s(5)] == [after(0), after(1), after(2)]
    assert s(4) == pytest.approx(0.05, rel=1e-15)
    cosine = CosineDecay(0.1, total_steps=20)
    w = LinearWarmup(0.1, warmup_steps=5, after=cosine)
    np.testing.assert_array_equal(sample(w, 40)[5:], sample(cosine, 35))
    plain = LinearWarmup(0.2, warmup_steps=2, after=lambda t: 0.2 / (t + 1))
    assert [plain(2), plain(3)] == [0.2, 0.1]


# --- shape of the curves -----------------------------------------------------------------------------------
@pytest.mark.parametrize("s", DECAYS, ids=repr)
def test_decays_are_monotone_non_increasing(s: Schedule) -> None:
    values = sample(s, 500)
    assert np.all(np.diff(values) <= 0)
    assert values[0] == s.learning_rate


def test_warmup_then_decay_is_unimodal() -> None:
    s = ALL[-1]
    values = sample(s, 100)
    peak = int(np.argmax(values))
    assert peak == 4 and values[peak] == 0.1
    assert np.all(np.diff(values[: peak + 1]) > 0) and np.all(np.diff(values[peak:]) <= 0)


@pytest.mark.parametrize("s", ALL, ids=repr)
def test_values_are_positive_finite_floats(s: Schedule) -> None:
    for t in [*range(200), 10**4, 10**6, 10**12]:
        value = s(t)
        assert type(value) is float and math.isfinite(value)
        stops = isinstance(s, CosineDecay) and s.min_learning_rate == 0 and t >= s.total_steps
        assert value == 0.0 if stops else value > 0


def test_long_decays_do_not_underflow_to_zero() -> None:
    for s in (
        ExponentialDecay(0.1, gamma=0.5),
        StepDecay(0.1, drop=0.1, every=1),
        InverseTimeDecay(1e-300, 1e9),
    ):
        assert s(10**7) > 0


def test_cosine_with_zero_minimum_stops() -> None:
    s = CosineDecay(0.1, total_steps=10)
    values = sample(s, 20)
    assert np.all(values[:10] > 0) and np.all(values[10:] == 0.0)


# --- sample ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("s", ALL, ids=repr)
def test_sample_matches_calling(s: Schedule) -> None:
    values = sample(s, 60)
    assert values.shape == (60,) and values.dtype == np.float64
    assert values.tolist() == [s(t) for t in range(60)]


def test_sample_edge_cases() -> None:
    assert sample(Constant(0.1), 0).shape == (0,)
    assert sample(Constant(0.1), np.int64(3)).tolist() == [0.1, 0.1, 0.1]
    assert sample(lambda t: 1.0 / (t + 1), 3).tolist() == [1.0, 0.5, 1.0 / 3.0]


def test_numpy_integer_steps_are_accepted() -> None:
    s = StepDecay(0.1, every=2)
    assert s(np.int64(2)) == s(2) and s(np.int32(0)) == 0.1


# --- labels, formulas, repr --------------------------------------------------------------------------------
@pytest.mark.parametrize("s", ALL, ids=repr)
def test_label_formula_and_repr(s: Schedule) -> None:
    assert isinstance(s.label, str) and JAPANESE.search(s.label) and len(s.label) <= 60
    assert s.formula.startswith(r"\eta_t =") and "$" not in s.formula
    again = eval(repr(s), vars(schedules))
    assert repr(again) == repr(s)
    assert sample(again, 80).tolist() == sample(s, 80).tolist()


def test_labels() -> None:
    assert StepDecay(0.1, drop=0.5, every=20).label == "ステップ減衰 (×0.5 / 20 steps)"
    assert ExponentialDecay(0.1, gamma=0.9).label == "指数減衰 (γ = 0.9)"
    assert CosineDecay(0.1, 100).label == "コサイン減衰 (T = 100)"
    assert Constant(0.01).label == "一定 (η = 0.01)"
    assert "コサイン減衰" in LinearWarmup(0.1, 5, after=CosineDecay(0.1, 100)).label


def test_schedule_is_abstract() -> None:
    with pytest.raises(TypeError):
        Schedule()  # type: ignore[abstract]


# --- errors ------------------------------------------------------------------------------------------------
def _check_message(info: pytest.ExceptionInfo[Exception], name: str) -> None:
    message = str(info.value)
    assert JAPANESE.search(message), message
    assert f"引数 {name}" in message and "受け取った値" in message, message


@pytest.mark.parametrize(
    ("make", "error", "name"),
    [
        (lambda: Constant(0.0), ValueError, "learning_rate"),
        (lambda: Constant(-0.1), ValueError, "learning_rate"),
        (lambda: Constant(float("nan")), ValueError, "learning_rate"),
        (lambda: Constant(float("inf")), ValueError, "learning_rate"),
        (lambda: Constant("0.1"), TypeError, "learning_rate"),
        (lambda: Constant(None), TypeError, "learning_rate"),
        (lambda: StepDecay(0.1, drop=0.0), ValueError, "drop"),
        (lambda: StepDecay(0.1, drop=1.5), ValueError, "drop"),
        (lambda: StepDecay(0.1, drop=-0.5), ValueError, "drop"),
        (lambda: StepDecay(0.1, every=0), ValueError, "every"),
        (lambda: StepDecay(0.1, every=-3), ValueError, "every"),
        (lambda: StepDecay(0.1, every=2.5), TypeError, "every"),
        (lambda: StepDecay(0.1, every=10.0), TypeError, "every"),
        (lambda: StepDecay(-1.0), ValueError, "learning_rate"),
        (lambda: ExponentialDecay(0.1, gamma=0.0), ValueError, "gamma"),
        (lambda: ExponentialDecay(0.1, gamma=1.01), ValueError, "gamma"),
        (lambda: ExponentialDecay(0.1, gamma=True), TypeError, "gamma"),
        (lambda: CosineDecay(0.1, total_steps=0), ValueError, "total_steps"),
        (lambda: CosineDecay(0.1, total_steps=None), TypeError, "total_steps"),
        (lambda: CosineDecay(0.1, 10, min_learning_rate=-0.01), ValueError, "min_learning_rate"),
        (lambda: CosineDecay(0.1, 10, min_learning_rate=0.2), ValueError, "min_learning_rate"),
        (lambda: CosineDecay(0.0, 10), ValueError, "learning_rate"),
        (lambda: LinearWarmup(0.1, warmup_steps=0), ValueError, "warmup_steps"),
        (lambda: LinearWarmup(0.1, warmup_steps=1.5), TypeError, "warmup_steps"),
        (lambda: LinearWarmup(0.1, 5, after=0.1), TypeError, "after"),
        (lambda: InverseTimeDecay(0.1, decay=-0.1), ValueError, "decay"),
        (lambda: InverseTimeDecay(0.1, decay=float("inf")), ValueError, "decay"),
        (lambda: sample(0.1, 5), TypeError, "schedule"),
        (lambda: sample(Constant(0.1), -1), ValueError, "steps"),
        (lambda: sample(Constant(0.1), 2.0), TypeError, "steps"),
    ],
)
def test_bad_arguments_raise_japanese_errors(make, error: type[Exception], name: str) -> None:
    with pytest.raises(error) as info:
        make()
    _check_message(info, name)


@pytest.mark.parametrize("s", ALL, ids=repr)
@pytest.mark.parametrize(
    ("step", "error"),
    [
        (-1, ValueError),
        (-100, ValueError),
        (1.5, TypeError),
        (2.0, TypeError),
        ("3", TypeError),
        (True, TypeError),
    ],
)
def test_bad_steps_raise_japanese_errors(s: Schedule, step: object, error: type[Exception]) -> None:
    with pytest.raises(error) as info:
        s(step)  # type: ignore[arg-type]
    _check_message(info, "step")


def test_min_learning_rate_message_names_the_range() -> None:
    with pytest.raises(ValueError, match="0 ≤ η_min ≤ η = 0.1"):
        CosineDecay(0.1, 10, min_learning_rate=0.5)
