"""Tests of lropt.optimizers: the fixed API, exactness against the standard formulations, bad input.

The reference implementations below are written independently, in PyTorch's form (torch is not needed):
``SGD(momentum=μ)`` keeps ``b = μb + g`` and steps ``w -= ηb``; ``Adagrad`` and ``RMSprop`` divide by
``sqrt(state) + eps``; ``Adam`` divides the bias-corrected mean by ``sqrt(v) / sqrt(1 - β₂ᵗ) + eps``.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import math
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lropt import optimizers
from lropt.optimizers import OPTIMIZERS, SGD, AdaGrad, Adam, Momentum, Optimizer, RMSProp

STATE_NAMES = {"SGD": (), "Momentum": ("v",), "AdaGrad": ("h",), "RMSProp": ("h",), "Adam": ("m", "v")}

# ---------------------------------------------------------------------------------------------------------
# reference implementations (PyTorch's formulation), over whole arrays
# ---------------------------------------------------------------------------------------------------------


class RefSGD:
    def __init__(self, lr: float) -> None:
        self.lr = lr

    def step(self, w: np.ndarray, g: np.ndarray) -> np.ndarray:
        return w - self.lr * g


class RefMomentum:
    """torch.optim.SGD(lr, momentum=μ, dampening=0): b₁ = g₁, b = μb + g, w -= lr·b."""

    def __init__(self, lr: float, momentum: float) -> None:
        self.lr, self.mu, self.b = lr, momentum, None

    def step(self, w: np.ndarray, g: np.ndarray) -> np.ndarray:
        self.b = g.copy() if self.b is None else self.mu * self.b + g
        return w - self.lr * self.b


class RefAdagrad:
    """torch.optim.Adagrad(lr, eps, initial_accumulator_value): s += g·g, w += -lr · g / (√s + eps)."""

    def __init__(self, lr: float, eps: float, initial_accumulator_value: float) -> None:
        self.lr, self.eps, self.init, self.s = lr, eps, initial_accumulator_value, None

    def step(self, w: np.ndarray, g: np.ndarray) -> np.ndarray:
        if self.s is None:
            self.s = np.full_like(w, self.init)
        self.s = self.s + g * g
        return w + (-self.lr) * (g / (np.sqrt(self.s) + self.eps))


class RefRMSprop:
    """torch.optim.RMSprop(lr, alpha, eps): s = α s + (1-α) g·g, w += -lr · g / (√s + eps)."""

    def __init__(self, lr: float, alpha: float, eps: float) -> None:
        self.lr, self.alpha, self.eps, self.s = lr, alpha, eps, None

    def step(self, w: np.ndarray, g: np.ndarray) -> np.ndarray:
        if self.s is None:
            self.s = np.zeros_like(w)
        self.s = self.alpha * self.s + (1 - self.alpha) * (g * g)
        return w + (-self.lr) * (g / (np.sqrt(self.s) + self.eps))


class RefAdam:
    """torch.optim.Adam(lr, betas, eps): m.lerp_(g, 1-β₁), v = β₂v + (1-β₂)g², bias-corrected step."""

    def __init__(self, lr: float, beta1: float, beta2: float, eps: float) -> None:
        self.lr, self.b1, self.b2, self.eps = lr, beta1, beta2, eps
        self.m = self.v = None
        self.t = 0

    def step(self, w: np.ndarray, g: np.ndarray) -> np.ndarray:
        if self.m is None:
            self.m, self.v = np.zeros_like(w), np.zeros_like(w)
        self.t += 1
        self.m = self.m + (1 - self.b1) * (g - self.m)
        self.v = self.b2 * self.v + (1 - self.b2) * (g * g)
        step_size = self.lr / (1 - self.b1**self.t)
        denom = np.sqrt(self.v) / math.sqrt(1 - self.b2**self.t) + self.eps
        return w - step_size * (self.m / denom)


def make_pair(name: str, hp: dict[str, float]):
    """(lropt optimizer, factory of a reference for one key) with the same hyper-parameters."""
    if name == "SGD":
        return SGD(**hp), lambda: RefSGD(hp["learning_rate"])
    if name == "Momentum":
        return Momentum(**hp), lambda: RefMomentum(hp["learning_rate"], hp["momentum"])
    if name == "AdaGrad":
        return AdaGrad(**hp), lambda: RefAdagrad(hp["learning_rate"], hp["theta"], hp["initial_h"])
    if name == "RMSProp":
        return RMSProp(**hp), lambda: RefRMSprop(hp["learning_rate"], hp["decay_rate"], hp["theta"])
    return Adam(**hp), lambda: RefAdam(hp["learning_rate"], hp["beta1"], hp["beta2"], hp["theta"])


TYPICAL = {
    "SGD": {"learning_rate": 0.05},
    "Momentum": {"learning_rate": 0.05, "momentum": 0.9},
    "AdaGrad": {"learning_rate": 0.05, "theta": 1e-7, "initial_h": 0.1},
    "RMSProp": {"learning_rate": 0.01, "decay_rate": 0.9, "theta": 1e-7},
    "Adam": {"learning_rate": 0.01, "beta1": 0.9, "beta2": 0.999, "theta": 1e-8},
}


def run_both(name, hp, params, grads):
    """Run lropt and the reference over the gradient sequence.

    Returns both final parameter dicts and, per key, the size of the numbers involved (start plus the
    sum of the largest step of each update): round-off can only be a tiny fraction of that.
    """
    opt, ref_factory = make_pair(name, hp)
    refs = {key: ref_factory() for key in params}
    ours = {key: val.copy() for key, val in params.items()}
    theirs = {key: val.copy() for key, val in params.items()}
    size = {key: float(np.max(np.abs(val), initial=1.0)) for key, val in params.items()}
    for grad in grads:
        assert opt.update(ours, grad) is None
        for key in theirs:
            new = refs[key].step(theirs[key], grad[key])
            size[key] += float(np.max(np.abs(new - theirs[key]), initial=0.0))
            theirs[key] = new
    return ours, theirs, size


def assert_round_off(ours, theirs, size, eps):
    """Equal up to round-off: ``eps`` relative to the values and to the size of the computation."""
    for key in ours:
        assert ours[key].dtype == theirs[key].dtype
        np.testing.assert_allclose(ours[key], theirs[key], rtol=eps, atol=eps * size[key], err_msg=key)


def random_problem(rng, shapes, steps, dtype, scales=None):
    scales = scales or [1.0] * len(shapes)
    keys = [f"k{i}" for i in range(len(shapes))]
    params = {
        key: np.asarray(rng.standard_normal(shape), dtype=dtype)
        for key, shape in zip(keys, shapes, strict=True)
    }
    grads = [
        {
            key: np.asarray(scale * rng.standard_normal(shape), dtype=dtype)
            for key, shape, scale in zip(keys, shapes, scales, strict=True)
        }
        for _ in range(steps)
    ]
    return params, grads


# ---------------------------------------------------------------------------------------------------------
# the fixed API (DESIGN §2)
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "expected"),
    [
        (SGD, {"learning_rate": 0.01}),
        (Momentum, {"learning_rate": 0.01, "momentum": 0.9}),
        (AdaGrad, {"learning_rate": 0.01, "theta": 1e-7, "initial_h": 0.0}),
        (RMSProp, {"learning_rate": 0.01, "decay_rate": 0.99, "theta": 1e-7}),
        (Adam, {"learning_rate": 0.001, "beta1": 0.9, "beta2": 0.999, "theta": 1e-8}),
    ],
)
def test_constructor_names_and_defaults(cls, expected):
    parameters = inspect.signature(cls).parameters
    assert {name: p.default for name, p in parameters.items()} == expected
    opt = cls()
    for name, value in expected.items():
        assert getattr(opt, name) == value
        assert isinstance(getattr(opt, name), float)


def test_optimizers_mapping_is_in_book_order():
    assert list(OPTIMIZERS) == ["SGD", "Momentum", "AdaGrad", "RMSProp", "Adam"]
    assert list(OPTIMIZERS.values()) == [SGD, Momentum, AdaGrad, RMSProp, Adam]
    for name, cls in OPTIMIZERS.items():
        assert cls.__name__ == name
        assert issubclass(cls, Optimizer)
    assert set(optimizers.__all__) >= {"SGD", "Momentum", "AdaGrad", "RMSProp", "Adam", "OPTIMIZERS"}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_docstrings_name_the_method_and_give_the_formula(name):
    doc = OPTIMIZERS[name].__doc__
    assert ".. math::" in doc
    japanese = {
        "SGD": "確率的勾配降下法",
        "Momentum": "モメンタム",
        "AdaGrad": "AdaGrad",
        "RMSProp": "RMSProp",
    }
    assert japanese.get(name, "Adam") in doc


def test_seed_lines_appear_in_the_source():
    """Chapters quote these lines; keep them in optimizers.py (docstring or code)."""
    source = inspect.getsource(optimizers)
    for line in [
        "params[key] -= self.learning_rate * grad[key]",
        "self.v[key] = self.momentum * self.v[key] - self.learning_rate * grad[key]",
        "params[key] += self.v[key]",
        "self.h[key] += grad[key] * grad[key]",
        "params[key] -= self.learning_rate * grad[key] / (np.sqrt(self.h[key]) + self.theta)",
        "self.h[key] *= self.decay_rate",
        "self.h[key] += (1 - self.decay_rate) * grad[key] * grad[key]",
        # the lines _step runs (and lropt._kernels with [i])
        "p -= self.learning_rate * g",
        "v *= self.momentum",
        "v -= self.learning_rate * g",
        "p += v",
        "h += g * g",
        "p -= self.learning_rate * g / (np.sqrt(h) + self.theta)",
        "h *= self.decay_rate",
        "h += (1 - self.decay_rate) * g * g",
        "m += (1 - self.beta1) * g",
        "v += (1 - self.beta2) * g * g",
        "p -= self.learning_rate / self._bias1 * m / (np.sqrt(v / self._bias2) + self.theta)",
    ]:
        assert line in source, line


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_state_is_created_on_first_update_and_cleared_by_reset(name):
    opt = OPTIMIZERS[name](**TYPICAL[name])
    for state in STATE_NAMES[name]:
        assert getattr(opt, state) is None
    params = {"W": np.ones((2, 3), dtype=np.float32), "b": np.ones(3)}
    zero = {key: np.zeros_like(val) for key, val in params.items()}
    opt.update(params, zero)
    for state in STATE_NAMES[name]:
        arrays = getattr(opt, state)
        assert list(arrays) == ["W", "b"]
        for key, val in params.items():
            assert arrays[key].shape == val.shape and arrays[key].dtype == val.dtype
            assert not np.shares_memory(arrays[key], val)
            expected = TYPICAL[name].get("initial_h", 0.0) if state == "h" and name == "AdaGrad" else 0.0
            np.testing.assert_array_equal(arrays[key], np.asarray(expected, dtype=val.dtype))
    if name == "Adam":
        assert opt.t == 1
        assert opt.m["W"] is not opt.v["W"]
    opt.reset()
    for state in STATE_NAMES[name]:
        assert getattr(opt, state) is None
    if name == "Adam":
        assert opt.t == 0


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_reset_starts_again_like_a_new_optimizer(name):
    rng = np.random.default_rng(1)
    params, grads = random_problem(rng, [(4,), (2, 2)], 5, np.float64)
    used = OPTIMIZERS[name](**TYPICAL[name])
    scratch = {key: val.copy() for key, val in params.items()}
    for grad in grads:
        used.update(scratch, grad)
    used.reset()
    fresh = OPTIMIZERS[name](**TYPICAL[name])
    a = {key: val.copy() for key, val in params.items()}
    b = {key: val.copy() for key, val in params.items()}
    for grad in grads[:3]:
        used.update(a, grad)
        fresh.update(b, grad)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])


def test_repr_shows_the_hyperparameters():
    assert repr(Momentum(learning_rate=0.1, momentum=0.5)) == "Momentum(learning_rate=0.1, momentum=0.5)"
    assert repr(Adam()) == "Adam(learning_rate=0.001, beta1=0.9, beta2=0.999, theta=1e-08)"


# ---------------------------------------------------------------------------------------------------------
# hand-computed first steps
# ---------------------------------------------------------------------------------------------------------


def test_sgd_by_hand():
    params = {"w": np.array([1.0, -2.0, 0.5])}
    SGD(learning_rate=0.1).update(params, {"w": np.array([2.0, -1.0, 0.0])})
    np.testing.assert_allclose(params["w"], [0.8, -1.9, 0.5], rtol=1e-15)


def test_momentum_by_hand():
    opt = Momentum(learning_rate=0.1, momentum=0.9)
    params = {"w": np.array([1.0, -2.0])}
    opt.update(params, {"w": np.array([2.0, -1.0])})
    np.testing.assert_allclose(opt.v["w"], [-0.2, 0.1], rtol=1e-15)
    np.testing.assert_allclose(params["w"], [0.8, -1.9], rtol=1e-15)
    opt.update(params, {"w": np.array([1.0, 1.0])})
    np.testing.assert_allclose(opt.v["w"], [-0.28, -0.01], rtol=1e-14)
    np.testing.assert_allclose(params["w"], [0.52, -1.91], rtol=1e-14)


def test_adagrad_by_hand():
    opt = AdaGrad(learning_rate=0.1, theta=1.0)
    params = {"w": np.array([1.0, 1.0])}
    opt.update(params, {"w": np.array([3.0, -4.0])})  # h = 9, 16; steps 0.1·3/(3+1), 0.1·(-4)/(4+1)
    np.testing.assert_allclose(opt.h["w"], [9.0, 16.0], rtol=1e-15)
    np.testing.assert_allclose(params["w"], [0.925, 1.08], rtol=1e-15)
    opt.update(params, {"w": np.array([4.0, 3.0])})  # h = 25, 25; steps 0.1·4/6, 0.1·3/6
    np.testing.assert_allclose(params["w"], [0.8583333333333333, 1.03], rtol=1e-15)


def test_adagrad_initial_h_and_default_theta_by_hand():
    params = {"w": np.array([1.0])}
    AdaGrad(learning_rate=0.1, theta=1.0, initial_h=16.0).update(params, {"w": np.array([3.0])})
    np.testing.assert_allclose(params["w"], [0.95], rtol=1e-15)  # h = 25: 0.1·3/(5+1)
    params = {"w": np.array([1.0])}
    AdaGrad(learning_rate=0.1).update(params, {"w": np.array([2.0])})  # 0.2 / (2 + 1e-7)
    np.testing.assert_allclose(params["w"], [0.90000000499999975], rtol=1e-15)


def test_rmsprop_by_hand():
    opt = RMSProp(learning_rate=0.1, decay_rate=0.75, theta=1.0)
    params = {"w": np.array([1.0])}
    opt.update(params, {"w": np.array([4.0])})  # h = 0.25·16 = 4; step 0.1·4/(2+1)
    np.testing.assert_allclose(opt.h["w"], [4.0], rtol=1e-15)
    np.testing.assert_allclose(params["w"], [0.8666666666666667], rtol=1e-15)
    opt.update(params, {"w": np.array([2.0])})  # h = 0.75·4 + 0.25·4 = 4; step 0.1·2/3
    np.testing.assert_allclose(params["w"], [0.8], rtol=1e-15)


def test_adam_by_hand():
    opt = Adam(learning_rate=0.1, beta1=0.5, beta2=0.75, theta=1.0)
    params = {"w": np.array([1.0])}
    opt.update(params, {"w": np.array([2.0])})  # m = 1, v = 1; m̂ = 2, v̂ = 4; step 0.1·2/(2+1)
    np.testing.assert_allclose([opt.m["w"][0], opt.v["w"][0]], [1.0, 1.0], rtol=1e-15)
    np.testing.assert_allclose(params["w"], [0.9333333333333333], rtol=1e-15)
    opt.update(params, {"w": np.array([-2.0])})  # m = -0.5, v = 1.75; m̂ = -2/3, v̂ = 4; step -0.1·(2/3)/3
    np.testing.assert_allclose([opt.m["w"][0], opt.v["w"][0]], [-0.5, 1.75], rtol=1e-15)
    np.testing.assert_allclose(params["w"], [0.9555555555555556], rtol=1e-15)
    assert opt.t == 2


# ---------------------------------------------------------------------------------------------------------
# exactness against the standard formulations
# ---------------------------------------------------------------------------------------------------------

SHAPES = [(), (7,), (3, 4), (2, 3, 5)]
SCALES = [1.0, 1e-3, 10.0, 0.5]


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_equals_reference_float64_over_300_steps(name):
    rng = np.random.default_rng(2)
    params, grads = random_problem(rng, SHAPES, 300, np.float64, SCALES)
    assert_round_off(*run_both(name, TYPICAL[name], params, grads), eps=1e-13)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_equals_reference_float32_over_300_steps(name):
    rng = np.random.default_rng(3)
    params, grads = random_problem(rng, SHAPES, 300, np.float32, SCALES)
    assert_round_off(*run_both(name, TYPICAL[name], params, grads), eps=1e-5)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_large_arrays_still_equal_reference(name, dtype):
    """100 001 numbers: the compiled loop (lropt._kernels), beside a small key on the NumPy lines."""
    rng = np.random.default_rng(4)
    params, grads = random_problem(rng, [(100_001,), (3, 5)], 20, dtype)
    assert_round_off(
        *run_both(name, TYPICAL[name], params, grads), eps=1e-13 if dtype == np.float64 else 1e-5
    )


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_large_arrays_run_the_compiled_loop_and_small_ones_the_numpy_lines(name, monkeypatch):
    calls = []
    monkeypatch.setattr(OPTIMIZERS[name], "_step", lambda self, p, *rest: calls.append(p.size))
    opt = OPTIMIZERS[name](**TYPICAL[name])
    params = {
        "large": np.zeros(optimizers._KERNEL_MIN, dtype=np.float32),
        "small": np.zeros(optimizers._KERNEL_MIN - 1, dtype=np.float32),
        "float16": np.zeros(optimizers._KERNEL_MIN, dtype=np.float16),  # no compiled loop for float16
        "strided": np.zeros(2 * optimizers._KERNEL_MIN)[::2],  # not C-contiguous
    }
    opt.update(params, {key: np.ones_like(val) for key, val in params.items()})
    assert calls == [optimizers._KERNEL_MIN - 1, optimizers._KERNEL_MIN, optimizers._KERNEL_MIN]
    assert np.all(params["large"] < 0)  # the compiled loop took the step
    assert not np.any(params["small"])  # the stubbed NumPy lines did nothing


def run_twice(name, hp, params, grads, monkeypatch, **first):
    """Final parameters and state after the same updates, with the module settings ``first`` and then
    with the defaults: for bit-for-bit comparisons of the two ways."""
    results = []
    for settings_ in (first, {}):
        with monkeypatch.context() as patch:
            for attr, value in settings_.items():
                patch.setattr(optimizers, attr, value)
            opt = OPTIMIZERS[name](**hp)
            ours = {key: val.copy() for key, val in params.items()}
            for grad in grads:
                opt.update(ours, grad)
            state = {f"{s}[{k}]": val for s in STATE_NAMES[name] for k, val in getattr(opt, s).items()}
            results.append({**ours, **state})
    return results


def assert_same_bits(a, b):
    assert a.keys() == b.keys()
    for key in a:
        assert a[key].dtype == b[key].dtype, key
        np.testing.assert_array_equal(a[key], b[key], err_msg=key, strict=True)


EXTREME_SHAPES = [(5, 7), (13,), (), (0,), (1,)]
EXTREME_SCALES = [1.0, 1e-30, 1e20, 1e-3, 10.0]  # subnormal squares, overflowing squares (h = inf)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compiled_loop_equals_the_numpy_lines_bit_for_bit(name, dtype, monkeypatch):
    """``_KERNEL_MIN = 0`` sends every array through lropt._kernels; the default sends these through
    ``_step``: the numbers and the state must be identical, extreme gradients included."""
    rng = np.random.default_rng(5)
    with np.errstate(over="ignore", under="ignore"):
        params, grads = random_problem(rng, EXTREME_SHAPES, 15, dtype, EXTREME_SCALES)
    with np.errstate(all="ignore"):  # inf / inf in the NumPy lines: the loop must give the same nan
        compiled, numpy_lines = run_twice(name, TYPICAL[name], params, grads, monkeypatch, _KERNEL_MIN=0)
    assert_same_bits(compiled, numpy_lines)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_threads_do_not_change_a_single_bit(name, monkeypatch):
    """The compiled loops run one piece per CPU core; the numbers are those of one thread."""
    numba = pytest.importorskip("numba")
    rng = np.random.default_rng(6)
    params, grads = random_problem(rng, [(50_001,), (7, 11), ()], 12, np.float32)
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one, default = run_twice(name, TYPICAL[name], params, grads, monkeypatch, _KERNEL_MIN=0)
        numba.set_num_threads(threads)
        several, _ = run_twice(name, TYPICAL[name], params, grads, monkeypatch, _KERNEL_MIN=0)
    finally:
        numba.set_num_threads(threads)
    assert_same_bits(one, several)
    assert_same_bits(one, default)  # and those of the NumPy lines


# empty, odd float32 counts (a number outside the 64-bit words), sizes that numba cuts unevenly
CHECK_SIZES = [0, 1, 2, 3, 1023, 12_345, 1 << 15, (1 << 15) + 1, 3 * (1 << 15) - 1]


@pytest.mark.parametrize("size", CHECK_SIZES)
def test_compiled_loop_updates_every_number_once(size, monkeypatch):
    monkeypatch.setattr(optimizers, "_KERNEL_MIN", 0)
    for dtype in (np.float32, np.float64):
        params = {"w": np.zeros(size, dtype=dtype)}
        SGD(learning_rate=1.0).update(params, {"w": -np.ones(size, dtype=dtype)})
        np.testing.assert_array_equal(params["w"], np.ones(size, dtype=dtype))


@pytest.mark.parametrize("size", [s for s in CHECK_SIZES if s])
def test_compiled_check_finds_a_nan_anywhere_and_changes_nothing(size, monkeypatch):
    monkeypatch.setattr(optimizers, "_KERNEL_MIN", 0)
    for where in sorted({0, size // 2, size - 1, min(size - 1, 1 << 15)}):
        params = {"w": np.ones(size, dtype=np.float32)}
        grad = np.full(size, 0.5, dtype=np.float32)
        grad[where] = np.nan
        opt = Adam()
        with pytest.raises(ValueError, match=rf"grad\['w'\].*位置 \({where},\)"):
            opt.update(params, {"w": grad})
        np.testing.assert_array_equal(params["w"], np.ones(size, dtype=np.float32))
        assert opt.m is None and opt.t == 0


@pytest.mark.parametrize("name", [n for n in OPTIMIZERS if n != "SGD"])
@pytest.mark.parametrize("size", [6, 70_000])
def test_gradient_that_is_the_state_itself(name, size):
    """``grad`` may be (a view of) the optimizer's own state: it is read as it was when passed."""
    rng = np.random.default_rng(7)
    twins = [OPTIMIZERS[name](**TYPICAL[name]) for _ in range(2)]
    start = rng.standard_normal(size)
    params = [{"w": start.copy()} for _ in twins]
    for opt, p in zip(twins, params, strict=True):
        opt.update(p, {"w": rng.standard_normal(size) + 0 * p["w"]})
    rng = np.random.default_rng(7)
    first = rng.standard_normal(size)
    for opt, p in zip(twins, params, strict=True):
        p["w"][:] = start
        opt.reset()
        opt.update(p, {"w": first})
    state = getattr(twins[0], STATE_NAMES[name][-1])["w"]
    twins[0].update(params[0], {"w": state})
    twins[1].update(params[1], {"w": getattr(twins[1], STATE_NAMES[name][-1])["w"].copy()})
    np.testing.assert_array_equal(params[0]["w"], params[1]["w"])


def test_on_a_quadratic_with_feedback():
    """f(w) = ½ wᵀ diag(c) w, the gradient computed from the current w, for every method."""
    c = np.array([1.0, 10.0, 0.1])
    for name in OPTIMIZERS:
        opt, ref_factory = make_pair(name, TYPICAL[name])
        ref = ref_factory()
        w = np.array([1.0, -1.0, 2.0])
        w_ref = w.copy()
        for _ in range(400):
            opt.update({"w": w}, {"w": c * w})
            w_ref = ref.step(w_ref, c * w_ref)
        np.testing.assert_allclose(w, w_ref, rtol=1e-10, atol=1e-12, err_msg=name)


def test_momentum_with_changing_learning_rate_follows_the_seed_form():
    """With a schedule the seed's v carries the old η; PyTorch's b does not (DESIGN §2)."""
    rng = np.random.default_rng(6)
    rates = [0.1, 0.05, 0.02, 0.01] * 5
    grads = [rng.standard_normal(3) for _ in rates]
    opt = Momentum(learning_rate=rates[0], momentum=0.9)
    torch_form = RefMomentum(rates[0], 0.9)
    w = np.zeros(3)
    w_seed, v_seed, w_torch = np.zeros(3), np.zeros(3), np.zeros(3)
    for eta, g in zip(rates, grads, strict=True):
        opt.learning_rate = eta
        opt.update({"w": w}, {"w": g})
        v_seed = 0.9 * v_seed - eta * g
        w_seed = w_seed + v_seed
        torch_form.lr = eta
        w_torch = torch_form.step(w_torch, g)
    np.testing.assert_allclose(w, w_seed, rtol=1e-13, atol=1e-15)
    assert np.max(np.abs(w - w_torch)) > 1e-3


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_learning_rate_is_read_at_every_step(name):
    opt = OPTIMIZERS[name](**TYPICAL[name])
    params = {"w": np.zeros(2)}
    grad = {"w": np.array([1.0, -2.0])}
    opt.update(params, grad)
    first = params["w"].copy()
    opt.reset()
    opt.learning_rate = 2 * TYPICAL[name]["learning_rate"]
    params = {"w": np.zeros(2)}
    opt.update(params, grad)
    np.testing.assert_allclose(params["w"], 2 * first, rtol=1e-14)


# ---------------------------------------------------------------------------------------------------------
# invariants
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_momentum_zero_is_sgd_bit_for_bit(dtype):
    rng = np.random.default_rng(7)
    params, grads = random_problem(rng, [(6,), (2, 3)], 50, dtype)
    a = {key: val.copy() for key, val in params.items()}
    b = {key: val.copy() for key, val in params.items()}
    momentum, sgd = Momentum(learning_rate=0.03, momentum=0.0), SGD(learning_rate=0.03)
    for grad in grads:
        momentum.update(a, grad)
        sgd.update(b, grad)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])


def test_adagrad_step_never_grows_for_a_constant_gradient():
    opt = AdaGrad(learning_rate=0.1, initial_h=0.0)
    g = np.array([3.0, -0.5, 1e-4, 0.0, 100.0])
    w = np.zeros(5)
    steps = []
    for _ in range(300):
        before = w.copy()
        opt.update({"w": w}, {"w": g})
        steps.append(np.abs(w - before))
    steps = np.array(steps)
    assert np.all(np.diff(steps, axis=0) <= 0)
    assert np.all(steps[-1, :3] < steps[0, :3] / 10)  # ~1/√t: learning slows down (and stalls)


@settings(max_examples=50, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    lr=st.floats(1e-4, 1.0),
    initial_h=st.sampled_from([0.0, 1e-8, 1.0]),
    scale=st.sampled_from([1e-3, 1.0, 1e3]),
)
def test_adagrad_step_is_never_larger_than_eta(seed, lr, initial_h, scale):
    """|Δw| = η|g|/(√h + θ) ≤ η, since h ≥ g² for the current gradient."""
    rng = np.random.default_rng(seed)
    opt = AdaGrad(learning_rate=lr, initial_h=initial_h)
    w = np.zeros(8)
    for _ in range(10):
        before = w.copy()
        opt.update({"w": w}, {"w": scale * rng.standard_normal(8)})
        assert np.all(np.abs(w - before) <= lr * (1 + 1e-12))


@settings(max_examples=50, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    lr=st.floats(1e-4, 1.0),
    beta1=st.floats(0.0, 0.999),
    beta2=st.floats(0.0, 0.9999),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_adam_first_step_is_eta_times_sign(seed, lr, beta1, beta2, dtype):
    rng = np.random.default_rng(seed)
    g = rng.choice([-1.0, 1.0], size=12) * rng.uniform(1e-2, 1e2, size=12)
    w = np.zeros(12, dtype=dtype)
    Adam(learning_rate=lr, beta1=beta1, beta2=beta2).update({"w": w}, {"w": g.astype(dtype)})
    np.testing.assert_allclose(w, -lr * np.sign(g), rtol=1e-4 if dtype == np.float64 else 1e-3)


def test_rmsprop_with_zero_decay_takes_eta_sign_steps():
    rng = np.random.default_rng(8)
    opt = RMSProp(learning_rate=0.05, decay_rate=0.0)
    w = np.zeros(10)
    for _ in range(20):
        g = rng.choice([-1.0, 1.0], size=10) * rng.uniform(1e-2, 1e2, size=10)
        before = w.copy()
        opt.update({"w": w}, {"w": g})
        np.testing.assert_allclose(w - before, -0.05 * np.sign(g), rtol=1e-5)


# ---------------------------------------------------------------------------------------------------------
# property-based: random shapes, hyper-parameters and step counts against the reference
# ---------------------------------------------------------------------------------------------------------

unit = st.floats(0.0, 0.999)
HYPER = {
    "SGD": st.fixed_dictionaries({"learning_rate": st.floats(1e-4, 1.0)}),
    "Momentum": st.fixed_dictionaries({"learning_rate": st.floats(1e-4, 1.0), "momentum": unit}),
    "AdaGrad": st.fixed_dictionaries(
        {
            "learning_rate": st.floats(1e-4, 1.0),
            "theta": st.floats(1e-10, 1e-2),
            "initial_h": st.floats(0.0, 10.0),
        }
    ),
    "RMSProp": st.fixed_dictionaries(
        {"learning_rate": st.floats(1e-4, 1.0), "decay_rate": unit, "theta": st.floats(1e-10, 1e-2)}
    ),
    "Adam": st.fixed_dictionaries(
        {
            "learning_rate": st.floats(1e-4, 1.0),
            "beta1": unit,
            "beta2": unit,
            "theta": st.floats(1e-10, 1e-2),
        }
    ),
}
shape = st.lists(st.integers(0, 5), min_size=0, max_size=3).map(tuple)


@contextlib.contextmanager
def kernel_min(value: int):
    """``optimizers._KERNEL_MIN`` set to ``value`` inside the block (hypothesis tests cannot use
    ``monkeypatch``, a fixture of the whole test function)."""
    saved = optimizers._KERNEL_MIN
    optimizers._KERNEL_MIN = value
    try:
        yield
    finally:
        optimizers._KERNEL_MIN = saved


@settings(max_examples=50, deadline=None)
@given(
    data=st.data(),
    name=st.sampled_from(list(OPTIMIZERS)),
    shapes=st.lists(shape, min_size=1, max_size=3),
    steps=st.integers(1, 25),
    seed=st.integers(0, 2**32 - 1),
    scale=st.sampled_from([1e-3, 1.0, 1e2]),
    compiled=st.booleans(),
)
def test_property_equals_reference(data, name, shapes, steps, seed, scale, compiled):
    hp = data.draw(HYPER[name])
    rng = np.random.default_rng(seed)
    params, grads = random_problem(rng, shapes, steps, np.float64, [scale] * len(shapes))
    with kernel_min(0 if compiled else optimizers._KERNEL_MIN):  # every array compiled, or the default
        result = run_both(name, hp, params, grads)
    assert_round_off(*result, eps=1e-12)


@settings(max_examples=50, deadline=None)
@given(
    data=st.data(),
    name=st.sampled_from(list(OPTIMIZERS)),
    shapes=st.lists(shape, min_size=1, max_size=3),
    steps=st.integers(1, 10),
    seed=st.integers(0, 2**32 - 1),
    scale=st.sampled_from([1e-30, 1e-3, 1.0, 1e2, 1e20]),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_property_compiled_loop_equals_numpy_lines(data, name, shapes, steps, seed, scale, dtype):
    hp = data.draw(HYPER[name])
    rng = np.random.default_rng(seed)
    with np.errstate(over="ignore", under="ignore"):
        params, grads = random_problem(rng, shapes, steps, dtype, [scale] * len(shapes))
    ways = []
    for minimum in (0, 1 << 62):  # every array through lropt._kernels, then none
        with kernel_min(minimum), np.errstate(all="ignore"):
            ways.append(run_both(name, hp, params, grads)[0])
    assert_same_bits(*ways)


# ---------------------------------------------------------------------------------------------------------
# arrays of every kind
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_non_contiguous_params_are_updated_in_place(name):
    rng = np.random.default_rng(9)
    big = rng.standard_normal((6, 8))
    untouched = big[:, 1::2].copy()
    view = big[:, ::2]
    compact = view.copy()
    grad = rng.standard_normal((6, 4))
    OPTIMIZERS[name](**TYPICAL[name]).update({"w": view}, {"w": grad})
    OPTIMIZERS[name](**TYPICAL[name]).update({"w": compact}, {"w": grad.copy()})
    np.testing.assert_array_equal(big[:, ::2], compact)
    np.testing.assert_array_equal(big[:, 1::2], untouched)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_fortran_order_zero_dim_and_empty_arrays(name):
    params = {
        "F": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
        "scalar": np.array(1.5),
        "empty": np.zeros((0, 3)),
    }
    grad = {"F": np.ones((2, 3)), "scalar": np.array(-2.0), "empty": np.zeros((0, 3))}
    expected = {key: val.copy() for key, val in params.items()}
    opt, ref_factory = make_pair(name, TYPICAL[name])
    refs = {key: ref_factory() for key in params}
    for _ in range(3):
        opt.update(params, grad)
        for key in expected:
            expected[key] = refs[key].step(expected[key], grad[key])
    for key in params:
        np.testing.assert_allclose(params[key], expected[key], rtol=1e-13)
    assert params["scalar"].shape == () and params["F"].flags.f_contiguous


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_gradient_that_is_the_parameter_array_itself(name):
    """f(w) = ½‖w‖² has ∇f = w; passing the same array as gradient must work like passing a copy."""
    w = np.linspace(-1, 1, 9)
    w_copy = w.copy()
    a, b = OPTIMIZERS[name](**TYPICAL[name]), OPTIMIZERS[name](**TYPICAL[name])
    for _ in range(5):
        a.update({"w": w}, {"w": w})
        b.update({"w": w_copy}, {"w": w_copy.copy()})
    np.testing.assert_array_equal(w, w_copy)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_gradient_of_another_dtype_is_converted_to_the_params_dtype(name):
    params32 = {"w": np.linspace(-1, 1, 5, dtype=np.float32)}
    same = {"w": params32["w"].copy()}
    g64 = np.array([0.3, -1.0, 2.0, 0.0, 5.0])
    a, b = OPTIMIZERS[name](**TYPICAL[name]), OPTIMIZERS[name](**TYPICAL[name])
    a.update(params32, {"w": g64})
    b.update(same, {"w": g64.astype(np.float32)})
    assert params32["w"].dtype == np.float32
    np.testing.assert_array_equal(params32["w"], same["w"])
    ints = {"w": np.zeros(3)}
    OPTIMIZERS[name](**TYPICAL[name]).update(ints, {"w": np.array([1, -2, 0])})
    assert np.all(np.sign(ints["w"]) == [-1, 1, 0])


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_numpy_scalar_gradient_for_a_zero_dim_parameter(name):
    """Arithmetic on a 0-d array gives a NumPy scalar: ``2 * w`` is np.float64, not an array."""
    w = np.array(1.0)
    grad = 2 * w
    assert isinstance(grad, np.float64) and not isinstance(grad, np.ndarray)
    OPTIMIZERS[name](**TYPICAL[name]).update({"w": w}, {"w": grad})
    assert w < 1.0


def test_plain_dict_subclasses_and_mappings_are_accepted():
    class Params(dict):
        pass

    params = Params(w=np.ones(2))
    SGD(learning_rate=0.5).update(params, {"w": np.ones(2)})
    np.testing.assert_array_equal(params["w"], [0.5, 0.5])


# ---------------------------------------------------------------------------------------------------------
# bad hyper-parameters
# ---------------------------------------------------------------------------------------------------------

POSITIVE_BAD = [(0.0, ValueError), (-0.1, ValueError), (math.nan, ValueError), (math.inf, ValueError)]
UNIT_BAD = [
    (-0.1, ValueError),
    (1.0, ValueError),
    (1.5, ValueError),
    (math.nan, ValueError),
    (-math.inf, ValueError),
]
NONNEG_BAD = [(-1.0, ValueError), (math.nan, ValueError), (math.inf, ValueError)]
TYPE_BAD = [("0.1", TypeError), (None, TypeError), (True, TypeError), ([0.1], TypeError), (1j, TypeError)]

HYPER_CASES = []
for _cls, _args in [
    (SGD, {"learning_rate": POSITIVE_BAD}),
    (Momentum, {"learning_rate": POSITIVE_BAD, "momentum": UNIT_BAD}),
    (AdaGrad, {"learning_rate": POSITIVE_BAD, "theta": POSITIVE_BAD, "initial_h": NONNEG_BAD}),
    (RMSProp, {"learning_rate": POSITIVE_BAD, "decay_rate": UNIT_BAD, "theta": POSITIVE_BAD}),
    (Adam, {"learning_rate": POSITIVE_BAD, "beta1": UNIT_BAD, "beta2": UNIT_BAD, "theta": POSITIVE_BAD}),
]:
    for _arg, _bad in _args.items():
        for _value, _error in _bad + TYPE_BAD:
            HYPER_CASES.append(
                pytest.param(_cls, _arg, _value, _error, id=f"{_cls.__name__}-{_arg}-{_value!r}")
            )

RANGE_TEXT = {
    "learning_rate": "0 < η",
    "momentum": "0 ≤ μ < 1",
    "decay_rate": "0 ≤ ρ < 1",
    "beta1": "0 ≤ β₁ < 1",
    "beta2": "0 ≤ β₂ < 1",
    "theta": "0 < θ",
    "initial_h": "0 ≤ h₀",
}


@pytest.mark.parametrize(("cls", "arg", "value", "error"), HYPER_CASES)
def test_bad_hyperparameter_in_constructor_and_assignment(cls, arg, value, error):
    with pytest.raises(error) as info:
        cls(**{arg: value})
    message = str(info.value)
    assert arg in message and "受け取った値" in message
    if error is ValueError and math.isfinite(value):
        assert RANGE_TEXT[arg] in message and repr(float(value)) in message
    elif error is ValueError:
        assert "有限" in message and str(float(value)) in message
    else:
        assert type(value).__name__ in message
    opt = cls()
    before = getattr(opt, arg)
    with pytest.raises(error):
        setattr(opt, arg, value)
    assert getattr(opt, arg) == before


@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [
        (Momentum, {"momentum": 0}),
        (RMSProp, {"decay_rate": 0.0}),
        (Adam, {"beta1": 0.0, "beta2": 0.0}),
        (AdaGrad, {"initial_h": 0, "theta": 1}),
        (SGD, {"learning_rate": np.float32(0.5)}),
        (SGD, {"learning_rate": np.array(2.0)}),
        (SGD, {"learning_rate": 3}),
    ],
)
def test_edge_values_that_are_allowed(cls, kwargs):
    opt = cls(**kwargs)
    for arg, value in kwargs.items():
        assert getattr(opt, arg) == float(value)
        assert type(getattr(opt, arg)) is float


# ---------------------------------------------------------------------------------------------------------
# bad params / grad: the right error, a Japanese message, and nothing changed
# ---------------------------------------------------------------------------------------------------------


def good_problem():
    params = {"W": np.arange(6.0).reshape(2, 3) / 7, "b": np.array([0.5, -0.25, 1.0])}
    grad = {"W": np.full((2, 3), 0.1), "b": np.array([1.0, -1.0, 0.5])}
    return params, grad


def snapshot(opt, params):
    """Copies of params (with the objects themselves) and of the optimizer's state."""
    state = {}
    for name in ("v", "h", "m"):
        value = getattr(opt, name, None)
        state[name] = None if value is None else {key: arr.copy() for key, arr in value.items()}
        state[name + "_ids"] = None if value is None else {key: id(arr) for key, arr in value.items()}
    state["t"] = getattr(opt, "t", None)
    return {key: (val, copy.deepcopy(val)) for key, val in params.items()}, state


def assert_unchanged(opt, params, snap):
    before_params, before_state = snap
    assert list(params) == list(before_params)
    for key, (obj, saved) in before_params.items():
        assert params[key] is obj
        np.testing.assert_array_equal(obj, saved)
    after_params, after_state = snapshot(opt, params)
    assert after_state.keys() == before_state.keys()
    for name, value in before_state.items():
        if isinstance(value, dict):
            assert after_state[name].keys() == value.keys()
            for key in value:
                np.testing.assert_array_equal(after_state[name][key], value[key])
        else:
            assert after_state[name] == value


WARM = [
    pytest.param(name, warm, id=f"{name}-{'2nd' if warm else '1st'}")
    for name in OPTIMIZERS
    for warm in (0, 1)
]


def prepared(name, warm):
    """An optimizer and a good problem; with warm=1 one update has already created the state."""
    opt = OPTIMIZERS[name](**TYPICAL[name])
    params, grad = good_problem()
    if warm:
        opt.update(params, grad)
    return opt, params, grad


def check_rejected(opt, params, grad, error, *words):
    snap = snapshot(opt, params)
    with pytest.raises(error) as info:
        opt.update(params, grad)
    message = str(info.value)
    for word in words:
        assert word in message, (word, message)
    assert_unchanged(opt, params, snap)
    return message


@pytest.mark.parametrize(("name", "warm"), WARM)
@pytest.mark.parametrize("bad", [[("W", 1.0)], np.ones(3), None, "params"])
def test_params_not_a_dict(name, warm, bad):
    opt, params, grad = prepared(name, warm)
    snap = snapshot(opt, params)
    with pytest.raises(TypeError) as info:
        opt.update(bad, grad)
    assert "params" in str(info.value) and "dict" in str(info.value) and type(bad).__name__ in str(info.value)
    assert_unchanged(opt, params, snap)


@pytest.mark.parametrize(("name", "warm"), WARM)
@pytest.mark.parametrize("bad", [[np.ones(3)], np.ones(3), None])
def test_grad_not_a_dict(name, warm, bad):
    opt, params, _ = prepared(name, warm)
    check_rejected(opt, params, bad, TypeError, "grad", "dict", type(bad).__name__)


@pytest.mark.parametrize(("name", "warm"), WARM)
def test_grad_missing_a_key(name, warm):
    opt, params, grad = prepared(name, warm)
    del grad["b"]
    check_rejected(opt, params, grad, ValueError, "params と grad のキー", "grad に無いキー: ['b']")


@pytest.mark.parametrize(("name", "warm"), WARM)
def test_grad_with_an_extra_key(name, warm):
    opt, params, grad = prepared(name, warm)
    grad["c"] = np.ones(2)
    check_rejected(opt, params, grad, ValueError, "params に無いキー: ['c']")


@pytest.mark.parametrize(("name", "warm"), WARM)
def test_grad_of_another_shape(name, warm):
    opt, params, grad = prepared(name, warm)
    grad["b"] = np.ones((3, 1))
    check_rejected(opt, params, grad, ValueError, "grad['b']", "(3,)", "(3, 1)")


@pytest.mark.parametrize(("name", "warm"), WARM)
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_, np.complex128, object])
def test_params_of_a_non_floating_dtype(name, warm, dtype):
    opt, params, grad = prepared(name, warm)
    params["b"] = np.array([1, 0, 1]).astype(dtype)
    check_rejected(opt, params, grad, TypeError, "params['b']", "浮動小数点型", str(np.dtype(dtype)))


@pytest.mark.parametrize(("name", "warm"), WARM)
@pytest.mark.parametrize("bad", [[0.5, -0.25, 1.0], 0.5, None])
def test_params_value_not_an_array(name, warm, bad):
    opt, params, grad = prepared(name, warm)
    params["b"] = bad
    check_rejected(opt, params, grad, TypeError, "params['b']", "np.ndarray", type(bad).__name__)


@pytest.mark.parametrize(("name", "warm"), WARM)
@pytest.mark.parametrize("bad", [[1.0, -1.0, 0.5], 1.0])
def test_grad_value_not_an_array(name, warm, bad):
    opt, params, grad = prepared(name, warm)
    grad["b"] = bad
    check_rejected(opt, params, grad, TypeError, "grad['b']", "np.ndarray", type(bad).__name__)


@pytest.mark.parametrize(("name", "warm"), WARM)
@pytest.mark.parametrize(
    "bad", [np.ones(3, dtype=complex), np.ones(3, dtype=bool), np.array(["a", "b", "c"])]
)
def test_grad_of_a_non_real_dtype(name, warm, bad):
    opt, params, grad = prepared(name, warm)
    grad["b"] = bad
    check_rejected(opt, params, grad, TypeError, "grad['b']", "実数", str(bad.dtype))


@pytest.mark.parametrize(("name", "warm"), WARM)
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_gradient(name, warm, bad):
    opt, params, grad = prepared(name, warm)
    grad["b"][2] = bad  # the last key: the first key must not have been updated either
    check_rejected(opt, params, grad, ValueError, "grad['b']", "有限", "(2,)", str(bad))


@pytest.mark.parametrize(("name", "warm"), WARM)
def test_non_finite_gradient_at_the_end_of_a_large_array(name, warm):
    opt = OPTIMIZERS[name](**TYPICAL[name])
    params = {"big": np.zeros(200_000, dtype=np.float32), "small": np.ones(2)}
    grad = {"big": np.full(200_000, 0.5, dtype=np.float32), "small": np.ones(2)}
    if warm:
        opt.update(params, grad)
    grad["big"][-1] = np.nan
    check_rejected(opt, params, grad, ValueError, "grad['big']", "(199999,)", "nan")


@pytest.mark.parametrize(("name", "warm"), WARM)
def test_finite_gradient_too_large_for_float32_params(name, warm):
    opt = OPTIMIZERS[name](**TYPICAL[name])
    params = {"w": np.zeros(3, dtype=np.float32)}
    grad = {"w": np.array([1.0, 1e39, 2.0])}
    if warm:
        opt.update(params, {"w": np.ones(3)})
    check_rejected(opt, params, grad, ValueError, "grad['w']", "float32", "1e+39")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", [5000, 70_000])  # np.isfinite, the compiled check
def test_huge_but_finite_gradient_is_accepted(dtype, size):
    """The largest finite numbers and the smallest subnormal ones are finite."""
    info = np.finfo(dtype)
    grad = np.full(size, info.max, dtype=dtype)
    grad[1::3] = -info.max
    grad[2::3] = info.smallest_subnormal
    params = {"w": np.zeros(size, dtype=dtype)}
    SGD(learning_rate=1e-30).update(params, {"w": grad})
    np.testing.assert_allclose(params["w"][:2], [-1e-30 * info.max, 1e-30 * info.max], rtol=1e-6)


# Python floats / np.isfinite / the compiled check (even and odd float32 counts, several pieces)
@pytest.mark.parametrize("size", [1, 2, 8, 9, 300, 1025, 5000, 1 << 16, (1 << 17) + 1023, (1 << 21) + 7])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.longdouble])
def test_every_path_of_the_finiteness_check(size, dtype):
    a = np.linspace(-1.0, 1.0, size).astype(dtype)
    assert optimizers._all_finite(a)
    assert optimizers._all_finite(np.full(size, np.finfo(dtype).max, dtype=dtype))
    assert optimizers._all_finite(np.full(size, -np.finfo(dtype).smallest_subnormal, dtype=dtype))
    assert optimizers._all_finite(a.reshape(1, size)[:, ::-1])  # not C-contiguous
    for where in {0, size // 2, size - 1}:
        for bad in (math.nan, math.inf, -math.inf):
            b = a.copy()
            b[where] = bad
            assert not optimizers._all_finite(b), (where, bad)
    if size > 2:  # +inf and -inf side by side
        b = a.copy()
        b[:2] = (math.inf, -math.inf)
        assert not optimizers._all_finite(b)
    if size > 1:  # an odd start: the compiled check reads float32 pairs from a 4-byte boundary
        assert optimizers._all_finite(a[1:])
        b = a.copy()
        b[-1] = math.nan
        assert not optimizers._all_finite(b[1:])


@pytest.mark.parametrize(("name", "warm"), WARM)
def test_read_only_params(name, warm):
    opt, params, grad = prepared(name, warm)
    params["b"].flags.writeable = False
    check_rejected(opt, params, grad, ValueError, "params['b']", "書き込み", "writeable=False")


@pytest.mark.parametrize("name", [n for n in OPTIMIZERS if n != "SGD"])
def test_params_changed_after_the_state_was_created(name):
    opt, params, grad = prepared(name, 1)
    other = {"W": params["W"], "c": params["b"]}
    other_grad = {"W": grad["W"], "c": grad["b"]}
    check_rejected(opt, other, other_grad, ValueError, "params['c']", "reset()")
    bigger = {"W": np.zeros((3, 3)), "b": params["b"]}
    check_rejected(opt, bigger, {"W": np.ones((3, 3)), "b": grad["b"]}, ValueError, "(2, 3)", "(3, 3)")
    fewer = {"W": params["W"]}
    check_rejected(opt, fewer, {"W": grad["W"]}, ValueError, "reset()", "['W', 'b']")
    as32 = {"W": params["W"].astype(np.float32), "b": params["b"]}
    check_rejected(opt, as32, grad, ValueError, "float32", "float64")
    opt.reset()
    opt.update(other, other_grad)  # after reset() a new set of parameters is fine


def test_messages_are_japanese_and_show_the_value():
    with pytest.raises(ValueError, match=r"learning_rate（η）.*0 < η < ∞.*受け取った値: -0\.5"):
        SGD(learning_rate=-0.5)
    with pytest.raises(ValueError, match=r"momentum（μ）.*0 ≤ μ < 1.*受け取った値: 1\.0"):
        Momentum(momentum=1.0)
    with pytest.raises(ValueError, match=r"initial_h（h₀）.*0 ≤ h₀ < ∞.*受け取った値: -1\.0"):
        AdaGrad(initial_h=-1)
    with pytest.raises(TypeError, match=r"learning_rate（η） ?には実数.*'0\.1'（型: str）"):
        SGD(learning_rate="0.1")


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_read_only_gradient_in_the_compiled_loop(name):
    """A read-only gradient (e.g. np.frombuffer) is a different array type for numba; same numbers."""
    grad = np.frombuffer(np.linspace(-1, 1, 70_000, dtype=np.float32).tobytes(), dtype=np.float32)
    assert not grad.flags.writeable
    ours, reference = np.zeros(70_000, dtype=np.float32), np.zeros(70_000, dtype=np.float32)
    OPTIMIZERS[name](**TYPICAL[name]).update({"w": ours}, {"w": grad})
    OPTIMIZERS[name](**TYPICAL[name]).update({"w": reference}, {"w": grad.copy()})
    np.testing.assert_array_equal(ours, reference)
    assert np.any(ours)


def test_small_arrays_never_import_numba():
    """The book's notebooks use small arrays: importing numba (about 0.4 s per kernel) must not happen."""
    code = (
        "import sys, numpy as np, lropt, lropt.optimizers as o, lropt.nn, lropt.trajectory, lropt.interactive\n"
        "for cls in o.OPTIMIZERS.values():\n"
        "    p = {'W': np.ones((32, 32)), 'b': np.ones(32, dtype=np.float32)}\n"
        "    cls().update(p, {k: np.ones_like(v) for k, v in p.items()})\n"
        "assert o._all_finite(np.ones(o._KERNEL_MIN - 1))\n"
        "print('numba' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork: POSIX only")
def test_a_process_forked_after_the_compiled_loops_still_updates():
    """numba's OpenMP threads do not survive fork(): the child must fall back to the NumPy lines, not abort."""
    code = (
        "import os, numpy as np\n"
        "from lropt.optimizers import Adam\n"
        "g = {'w': np.linspace(-1, 1, 100_000, dtype=np.float32)}\n"
        "parent = {'w': np.zeros(100_000, dtype=np.float32)}\n"
        "Adam().update(parent, g)\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    child = {'w': np.zeros(100_000, dtype=np.float32)}\n"
        "    Adam().update(child, g)\n"
        "    os._exit(0 if np.array_equal(child['w'], parent['w']) else 3)\n"
        "_, status = os.waitpid(pid, 0)\n"
        "print(os.waitstatus_to_exitcode(status))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "0", out.stderr


def test_two_python_threads_may_update_at_once():
    """numba's fallback thread pool (workqueue) aborts the process when two threads start parallel loops
    at once; ``update`` holds a lock around its compiled loops, so threads simply take turns."""
    code = (
        "import threading, numpy as np, numba\n"
        "from lropt.optimizers import Adam\n"
        "g = {'w': np.linspace(-1, 1, 100_000)}\n"
        "def train(out):\n"
        "    p, opt = {'w': np.zeros(100_000)}, Adam()\n"
        "    for _ in range(200):\n"
        "        opt.update(p, g)\n"
        "    out.append(p['w'])\n"
        "results = []\n"
        "threads = [threading.Thread(target=train, args=(results,)) for _ in range(4)]\n"
        "for t in threads: t.start()\n"
        "for t in threads: t.join()\n"
        "alone = []\n"
        "train(alone)\n"
        "print(numba.threading_layer(), len(results), all(np.array_equal(r, alone[0]) for r in results))\n"
    )
    env = {**os.environ, "NUMBA_THREADING_LAYER": "workqueue"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env, check=False
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["workqueue", "4", "True"]


@pytest.mark.parametrize(
    ("preset", "expected"),
    [({}, "10000"), ({"GOMP_SPINCOUNT": "5"}, "5"), ({"OMP_WAIT_POLICY": "active"}, None)],
)
def test_kernels_shorten_openmp_spinning_unless_the_user_chose(preset, expected):
    """lropt._kernels sets GOMP_SPINCOUNT=10000 before numba loads libgomp (see its comment), unless the user
    set GOMP_SPINCOUNT or OMP_WAIT_POLICY."""
    env = {k: v for k, v in os.environ.items() if k not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")}
    code = "import os, lropt._kernels; print(os.environ.get('GOMP_SPINCOUNT'))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env={**env, **preset}
    )
    assert out.stdout.strip() == str(expected)


def test_without_numba_large_arrays_take_the_numpy_lines():
    """lropt installed without numba: every array runs the seed's NumPy lines, with the same numbers."""
    code = (
        "import sys\n"
        "sys.modules['numba'] = None  # makes 'import numba' raise ImportError\n"
        "import numpy as np\n"
        "from lropt import optimizers as o\n"
        "g = {'w': np.linspace(-1, 1, 100_000, dtype=np.float32)}\n"
        "p = {'w': np.zeros(100_000, dtype=np.float32)}\n"
        "o.Adam().update(p, g)\n"
        "q = {'w': np.zeros(100_000, dtype=np.float32)}\n"
        "o._KERNEL_MIN = 1 << 62\n"
        "o.Adam().update(q, g)\n"
        "g['w'][5] = np.nan\n"
        "try:\n"
        "    o.Adam().update(p, g)\n"
        "except ValueError as e:\n"
        "    print('nan found' if '(5,)' in str(e) else e)\n"
        "print(np.array_equal(p['w'], q['w']), o._kernel_module, 'lropt._kernels' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["nan found", "True False False"], out.stdout + out.stderr
