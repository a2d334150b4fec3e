r"""Learning-rate optimizers of the book (学習率最適化手法): SGD, Momentum, AdaGrad, RMSProp, Adam.

Every class follows the seed's code (and ゼロから作る Deep Learning's ``common/optimizer.py``): the
parameters are a ``dict`` of NumPy arrays, the gradient a ``dict`` with the same keys, and ``update``
changes the parameters in place::

    opt = Momentum(learning_rate=0.01, momentum=0.9)
    opt.update(params, grad)          # params[key] changes in place; returns None

Notation (DESIGN §3): η ``learning_rate`` (学習率; the seed also writes ε), μ ``momentum`` (慣性),
θ ``theta`` (小さな定数), ρ ``decay_rate`` (減衰率), β₁ ``beta1``, β₂ ``beta2``; the state is
``self.v`` (速度), ``self.h`` (勾配の二乗の蓄積) and ``self.m`` (勾配の移動平均), dicts keyed like
``params`` that appear on the first ``update`` and disappear on ``reset()``.

How the seed's lines are run
----------------------------
Each class docstring shows the seed's lines for one key, e.g. ::

    self.h[key] += grad[key] * grad[key]

Each class writes those lines once more in its method ``_step(p, g, h)``, where ``p``, ``g`` and ``h``
are ``params[key]``, ``grad[key]`` and the state array; the line above reads ``h += g * g``. ``update``
checks its arguments and then runs ``_step`` on every key, in place.

NumPy runs such a line as several passes over memory, each writing a temporary array. From
``_KERNEL_MIN`` numbers per array (float32 or float64, C-contiguous) ``update`` therefore runs the same
lines as a compiled loop instead (``lropt._kernels``, with numba): the loop body is ``_step``'s lines with
``[i]``, in the same order and the same float type, so the numbers are bit for bit those of ``_step``;
only the speed differs (``make bench``). The loop runs pieces of the array on every CPU core at once.
Smaller arrays, such as the book's two-parameter descents, go through ``_step``'s NumPy lines and never
import numba.

Hyper-parameters are properties: they are read again at every ``update`` (a learning-rate schedule may
set ``opt.learning_rate`` between steps), and a bad value is refused with a Japanese message whether it
comes through the constructor or an assignment. ``update`` checks everything — the dicts, keys, shapes,
dtypes and that the gradient is finite — before it touches ``params`` or the state, so a refused call
leaves both exactly as they were.
"""

from __future__ import annotations

import math
import operator
import os
import threading
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from lropt._validation import check_positive, check_real, check_unit_interval, describe

__all__ = [
    "Params",
    "Optimizer",
    "SGD",
    "Momentum",
    "AdaGrad",
    "RMSProp",
    "Adam",
    "OPTIMIZERS",
]

Params = dict[str, np.ndarray]
"""Parameters or gradients: a name such as ``"W1"`` mapped to a NumPy array."""

_KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
"""Float types that the compiled loops of ``lropt._kernels`` take (others go through ``_step``)."""

_KERNEL_MIN = 1 << 16
"""From this many numbers per array ``update`` and the finiteness check use the compiled loops.

Starting the loops on the CPU cores costs about 7 µs per call (two calls per key: the check, then the
update; SGD on 2⁸ numbers took 24.1 µs against 9.6 µs), so small arrays are faster with NumPy. Measured
(2-core VM, float32, one key, checks included, µs per ``update``, compiled loop / NumPy lines) at 2¹⁴,
2¹⁶ and 2¹⁸ numbers: SGD 29.4 / 16.9,
42.7 / 34.7, 97.0 / 213.5; Momentum 33.2 / 22.9, 48.6 / 54.7, 113.9 / 374.1; AdaGrad 36.9 / 40.5,
56.2 / 131.4 (2¹⁶); RMSProp 37.3 / 56.4, 60.7 / 137.0, 159.6 / 804.9; Adam 44.4 / 61.6, 71.4 / 183.9
(2¹⁶). One threshold for all five: only SGD is slower just above it (about 1.2× at 2¹⁶), and it gains
from 2¹⁷ on. The book's own arrays (two-parameter descents, the chapter 6 network's at most 1 024
weights) stay far below, so its notebooks never import numba."""

_lock = threading.Lock()
"""Held while a compiled loop runs: numba's fallback thread pool (``workqueue``, used when neither OpenMP
nor TBB is installed) aborts the process if two Python threads start parallel loops at once."""


# ---------------------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------------------


def _check_nonnegative(name: str, value: object, symbol: str | None = None) -> float:
    """Finite and at least 0 (AdaGrad の h の初期値 h₀)."""
    result = check_real(name, value, symbol)
    label = f"{name}（{symbol}）" if symbol else name
    if not result >= 0:
        raise ValueError(
            f"引数 {label} は 0 以上の有限の実数でなければなりません"
            f"（有効な範囲: 0 ≤ {symbol or name} < ∞）。受け取った値: {result}"
        )
    return result


def _hyperparameter(name: str, check: Callable[[str, object, str | None], float], symbol: str) -> property:
    """A public hyper-parameter whose assignment is checked (``opt.learning_rate = 0.1``)."""
    attr = "_" + name

    def set_(self: Optimizer, value: object) -> None:
        setattr(self, attr, check(name, value, symbol))

    return property(
        operator.attrgetter(attr), set_, doc=f"{symbol} (``{name}``); checked on every assignment."
    )


def _all_finite(a: np.ndarray) -> bool:
    """True when ``a`` holds no nan, +inf or -inf.

    A handful of numbers (a 2-D descent's gradient) are tested one by one as Python floats, a few
    thousand with ``np.isfinite``; from ``_KERNEL_MIN`` float32/float64 numbers a compiled loop reads
    each number's bits once, with no temporary array, on every core.
    """
    if a.size <= 8 and a.itemsize <= 8:  # float16/32/64 convert to Python floats exactly
        return all(map(math.isfinite, a.ravel().tolist()))
    if _compiled(a):
        with _lock:
            return _kernels().all_finite(a.reshape(-1))
    return bool(np.isfinite(a).all())


def _compiled(*arrays: np.ndarray) -> bool:
    """Whether ``update`` runs the compiled loop on these arrays (large, float32/64, C-contiguous)."""
    first = arrays[0]
    return (
        first.size >= _KERNEL_MIN
        and first.dtype in _KERNEL_DTYPES
        and all(a.flags.c_contiguous for a in arrays)
        and not _forked_after_loops
        and _kernels() is not None
    )


_loops_started = False
"""True once this process has run a compiled loop (and so started numba's threads)."""

_forked_after_loops = False
"""True in a child process forked (``os.fork``, ``multiprocessing`` on Linux) after the parent ran the
compiled loops: numba's OpenMP threads do not survive a fork, and a parallel loop started in the child
aborts it ("fork() called from a process already using GNU OpenMP"). Such a child runs the NumPy lines."""


def _after_fork_in_child() -> None:
    global _forked_after_loops
    _forked_after_loops = _forked_after_loops or _loops_started


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


_kernel_module: Any = None
"""``lropt._kernels`` once imported, False if numba cannot be imported, None before the first try."""


def _kernels() -> Any:
    """``lropt._kernels``, imported on first use (numba takes about 0.4 s to import), or None without numba:
    lropt installed without its dependencies then runs the NumPy lines on every array, only slower."""
    global _loops_started, _kernel_module
    if _kernel_module is None:
        try:
            from lropt import _kernels as module
        except ImportError:
            module = False
        _kernel_module = module
    _loops_started = _loops_started or bool(_kernel_module)
    return _kernel_module or None


def _first_bad(original: np.ndarray, converted: np.ndarray) -> str:
    """Where the first nan/inf of ``converted`` sits, for the error message."""
    index = tuple(int(i) for i in np.argwhere(~np.isfinite(converted))[0])
    where = f"位置 {index} " if index else ""
    value = float(original[index])
    if converted.dtype != original.dtype and math.isfinite(value):
        return (
            f"{where}の値 {value} は dtype {converted.dtype} に変換すると {float(converted[index])} になります"
            f"（{converted.dtype} で表せる範囲を超えています）"
        )
    return f"{where}の値は {value} です"


def _update_checking_first(optimizer: Any) -> Callable[[Params, Params], None]:
    """``optimizer.update`` for the first call and ``optimizer._apply`` (no checks) for the calls after it,
    for loops that build ``params`` and ``grad`` themselves (``lropt.trajectory.run``, ``lropt.nn.train``):
    the same key, shape and float type at every step, a fresh gradient that they test for nan/inf.

    A class that writes its own ``update`` (a reader's answer to an exercise) is always called through it.
    """
    if getattr(type(optimizer), "update", None) is not Optimizer.update:
        return optimizer.update
    checked = False

    def update(params: Params, grad: Params) -> None:
        nonlocal checked
        if checked:
            optimizer._apply(params, grad)
        else:
            optimizer.update(params, grad)
            checked = True

    return update


# ---------------------------------------------------------------------------------------------------------
# base class
# ---------------------------------------------------------------------------------------------------------


class Optimizer:
    """Common part of the optimizers (最適化手法): argument checks, state creation and ``reset``.

    Subclasses list their state dicts in ``_state_names`` (e.g. ``("v",)``) and write ``_step`` (the seed's
    lines), ``_loop`` and ``_loop_scalars`` (the same lines compiled, for large arrays).
    """

    _state_names: tuple[str, ...] = ()
    _hyper_names: tuple[str, ...] = ()

    learning_rate = _hyperparameter("learning_rate", check_positive, "η")

    def __init__(self, learning_rate: float = 0.01) -> None:
        self.learning_rate = learning_rate
        self.reset()

    def reset(self) -> None:
        """Forget the state (速度・蓄積など); the next ``update`` starts again from zeros."""
        for name in self._state_names:
            setattr(self, name, None)

    def update(self, params: Params, grad: Params) -> None:
        """One step for every key of ``params``, in place; returns None.

        Checks ``params`` and ``grad`` (nothing changes if they are refused), creates the state on the
        first call, then runs the subclass's ``_step(p, g, *state)`` — the seed's lines — on every key
        (on large arrays the same lines compiled: ``_loop``).
        """
        self._apply(params, self._checked(params, grad))

    def _apply(self, params: Params, grad: Params) -> None:
        """``update`` without its checks, for callers that built ``params`` and ``grad`` themselves and know
        what ``_checked`` would find: the keys, shapes and float type of the state, a finite gradient that
        shares no memory with ``params`` or the state (see ``_update_checking_first``: the 2-D descents of
        the chapters spent more time in the checks than in the seed's lines)."""
        self._prepare(params)
        states = [getattr(self, name) for name in self._state_names]
        for key, p in params.items():
            arrays = [p, grad[key], *(state[key] for state in states)]
            if not _compiled(*arrays):
                self._step(*arrays)
                continue
            loop = getattr(_kernels(), self._loop)
            scalars = [p.dtype.type(x) for x in self._loop_scalars()]  # as NumPy converts a Python float
            with _lock:
                loop(*(a.reshape(-1) for a in arrays), *scalars)  # views: the arrays are C-contiguous

    def _prepare(self, params: Params) -> None:
        """At the start of each ``update``: create the state arrays on the first call."""
        for name in self._state_names:
            if getattr(self, name) is None:
                setattr(self, name, self._new_state(params))

    def _step(self, p: np.ndarray, g: np.ndarray, *state: np.ndarray) -> None:
        """The seed's lines on one key: parameters ``p``, gradient ``g``, state (e.g. ``v``), in place."""
        raise NotImplementedError

    _loop: str
    """Name of the compiled loop in ``lropt._kernels`` that runs ``_step``'s lines element by element."""

    def _loop_scalars(self) -> tuple[float, ...]:
        """The numbers ``_step`` uses, in the order the compiled loop ``_loop`` takes them after its arrays."""
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._hyper_names)
        return f"{type(self).__name__}({args})"

    def _new_state(self, params: Params, fill: float = 0.0) -> Params:
        """One state array per key: zeros (or ``fill``) with the shape and dtype of ``params[key]``."""
        return {key: np.full_like(val, fill) for key, val in params.items()}

    def _checked(self, params: Params, grad: Params) -> Params:
        """Check ``params`` and ``grad`` without changing anything; return the gradient arrays to use.

        A returned array is ``grad[key]`` itself, or a copy when it had to be converted to the dtype of
        ``params[key]`` or when it shares memory with ``params[key]`` or the state.
        """
        for name, value in (("params", params), ("grad", grad)):
            if not isinstance(value, Mapping):
                raise TypeError(
                    f"引数 {name} には dict（キー → np.ndarray、例: {{'W1': 配列, 'b1': 配列}}）を渡してください。"
                    f"受け取った値: {describe(value)}"
                )
        missing = [key for key in params if key not in grad]
        extra = [key for key in grad if key not in params]
        if missing or extra:
            raise ValueError(
                "引数 params と grad のキーが一致しません（有効: 同じキーの組）。"
                f"grad に無いキー: {missing}、params に無いキー: {extra}。"
                f"受け取ったキー: params {list(params)}、grad {list(grad)}"
            )
        states = [(name, state) for name in self._state_names if (state := getattr(self, name)) is not None]
        checked: Params = {}
        for key, p in params.items():
            g = grad[key]
            if not isinstance(p, np.ndarray):
                raise TypeError(
                    f"params[{key!r}] には np.ndarray を渡してください（その場で更新するため）。"
                    f"受け取った値: {describe(p)}"
                )
            if p.dtype.kind != "f":  # float16, float32, float64, longdouble
                raise TypeError(
                    f"params[{key!r}] の dtype は浮動小数点型（float32, float64 など）でなければなりません。"
                    "整数の配列をその場で更新すると小数部分が切り捨てられます"
                    f"（例: params[{key!r}] = params[{key!r}].astype(np.float64)）。受け取った dtype: {p.dtype}"
                )
            if not p.flags.writeable:
                raise ValueError(
                    f"params[{key!r}] は書き込み可能な配列でなければなりません（その場で更新するため）。"
                    "受け取った配列は読み取り専用です（writeable=False）"
                )
            if isinstance(g, np.generic):  # NumPy gives a scalar for arithmetic on a 0-d array
                g = np.asarray(g)
            if not isinstance(g, np.ndarray):
                raise TypeError(
                    f"grad[{key!r}] には np.ndarray を渡してください。受け取った値: {describe(g)}"
                )
            if g.dtype.kind not in "fiu":  # floating or (unsigned) integer
                raise TypeError(
                    f"grad[{key!r}] の dtype は実数（浮動小数点型または整数型）でなければなりません。"
                    f"受け取った dtype: {g.dtype}"
                )
            if g.shape != p.shape:
                raise ValueError(
                    f"grad[{key!r}] の形は params[{key!r}] の形 {p.shape} と同じでなければなりません。"
                    f"受け取った形: {g.shape}"
                )
            for name, state in states:
                s = state.get(key)
                if s is None or s.shape != p.shape or s.dtype != p.dtype:
                    raise ValueError(
                        f"params[{key!r}] が最初の update のときと違います（有効: 同じキー・形・dtype）。"
                        f"状態 self.{name}: キー {list(state)}"
                        + (f"、形 {s.shape}、dtype {s.dtype}" if s is not None else "")
                        + f"。受け取った params[{key!r}]: 形 {p.shape}、dtype {p.dtype}。"
                        "別のパラメータで学習し直すときは reset() を呼んでください"
                    )
            converted = g
            if g.dtype != p.dtype:
                with np.errstate(over="ignore"):
                    converted = g.astype(p.dtype)
            elif np.may_share_memory(g, p) or (  # the update writes p and the state: copy g first
                # the state arrays own their memory: only they or a view (g.base) can share it
                (g.base is not None or any(g is state[key] for _, state in states))
                and any(np.may_share_memory(g, state[key]) for _, state in states)
            ):
                converted = g.copy()
            if not _all_finite(converted):
                raise ValueError(
                    f"grad[{key!r}] は有限の値でなければなりません（有効な範囲: -∞ < 勾配 < ∞、nan は不可）。"
                    f"{_first_bad(g, converted)}。学習率が大きすぎて発散していないか確かめてください"
                )
            checked[key] = converted
        for name, state in states:
            if len(state) != len(params):
                raise ValueError(
                    f"params のキーが最初の update のときと違います（有効: 同じキーの組）。"
                    f"状態 self.{name} のキー: {list(state)}、受け取ったキー: {list(params)}。"
                    "別のパラメータで学習し直すときは reset() を呼んでください"
                )
        return checked


# ---------------------------------------------------------------------------------------------------------
# the five methods
# ---------------------------------------------------------------------------------------------------------


class SGD(Optimizer):
    r"""Stochastic gradient descent (確率的勾配降下法, SGD): step against the gradient, scaled by η.

    .. math::

        w^{(t+1)} = w^{(t)} - \eta \nabla E

    The seed's line, for one key::

        params[key] -= self.learning_rate * grad[key]

    Args:
        learning_rate: η (学習率), finite and > 0.
    """

    _hyper_names = ("learning_rate",)

    def __init__(self, learning_rate: float = 0.01) -> None:
        super().__init__(learning_rate)

    def _step(self, p: np.ndarray, g: np.ndarray) -> None:
        p -= self.learning_rate * g

    _loop = "sgd"

    def _loop_scalars(self) -> tuple[float, ...]:
        return (self.learning_rate,)


class Momentum(Optimizer):
    r"""Momentum (モメンタム): a velocity ``v`` that keeps a fraction μ (慣性) of the previous step.

    .. math::

        V_t = \mu V_{t-1} - \eta \nabla E, \qquad w^{(t+1)} = w^{(t)} + V_t, \qquad V_0 = 0

    The seed's lines, for one key::

        self.v[key] = self.momentum * self.v[key] - self.learning_rate * grad[key]
        params[key] += self.v[key]

    While η is constant this equals PyTorch's ``SGD(momentum=μ)``, which keeps :math:`b = -V/\eta`
    (:math:`b_t = \mu b_{t-1} + \nabla E`, :math:`w \leftarrow w - \eta b_t`). When a schedule changes η,
    the seed's velocity still carries the steps taken with the old η; PyTorch's ``b`` does not.

    Args:
        learning_rate: η (学習率), finite and > 0.
        momentum: μ (慣性), 0 ≤ μ < 1; μ = 0 gives plain SGD.
    """

    _state_names = ("v",)
    _hyper_names = ("learning_rate", "momentum")
    momentum = _hyperparameter("momentum", check_unit_interval, "μ")

    v: Params | None
    """速度 V per key; None until the first ``update``."""

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.9) -> None:
        self.momentum = momentum
        super().__init__(learning_rate)

    def _step(self, p: np.ndarray, g: np.ndarray, v: np.ndarray) -> None:
        v *= self.momentum  # the seed's first line, in place, as two lines
        v -= self.learning_rate * g
        p += v

    _loop = "momentum"

    def _loop_scalars(self) -> tuple[float, ...]:
        return (self.momentum, self.learning_rate)


class AdaGrad(Optimizer):
    r"""AdaGrad: each coordinate's step is divided by the root of its accumulated squared gradients.

    .. math::

        h_t = h_{t-1} + (\nabla E)^2, \qquad
        w^{(t+1)} = w^{(t)} - \eta \frac{1}{\sqrt{h_t} + \theta} \nabla E, \qquad h_0 = \texttt{initial\_h}

    The seed's lines, for one key (its ``self.he`` is a typo for ``self.h``; it writes ``1e-7`` for θ)::

        self.h[key] += grad[key] * grad[key]
        params[key] -= self.learning_rate * grad[key] / (np.sqrt(self.h[key]) + self.theta)

    ``h`` only grows, so the steps only shrink: learning slows down and can stall. This is PyTorch's
    ``Adagrad(lr=η, eps=θ, initial_accumulator_value=initial_h)``. The seed's formula starts from
    :math:`h_0 = \theta`, its code from ``np.zeros_like`` (``initial_h=0.0``, the default here).

    Args:
        learning_rate: η (学習率), finite and > 0.
        theta: θ (小さな定数; avoids dividing by 0), finite and > 0.
        initial_h: h₀ (h の初期値), finite and ≥ 0; used when the state is created.
    """

    _state_names = ("h",)
    _hyper_names = ("learning_rate", "theta", "initial_h")
    theta = _hyperparameter("theta", check_positive, "θ")
    initial_h = _hyperparameter("initial_h", _check_nonnegative, "h₀")

    h: Params | None
    """勾配の二乗の蓄積 h per key; None until the first ``update``."""

    def __init__(self, learning_rate: float = 0.01, theta: float = 1e-7, initial_h: float = 0.0) -> None:
        self.theta = theta
        self.initial_h = initial_h
        super().__init__(learning_rate)

    def _prepare(self, params: Params) -> None:
        if self.h is None:
            self.h = self._new_state(params, self.initial_h)

    def _step(self, p: np.ndarray, g: np.ndarray, h: np.ndarray) -> None:
        h += g * g
        p -= self.learning_rate * g / (np.sqrt(h) + self.theta)

    _loop = "adagrad"

    def _loop_scalars(self) -> tuple[float, ...]:
        return (self.learning_rate, self.theta)


class RMSProp(Optimizer):
    r"""RMSProp: like AdaGrad, but ``h`` is a decaying average, so old gradients are forgotten.

    .. math::

        h_t = \rho h_{t-1} + (1 - \rho) (\nabla E)^2, \qquad
        w^{(t+1)} = w^{(t)} - \eta \frac{1}{\sqrt{h_t} + \theta} \nabla E, \qquad h_0 = 0

    The seed's lines, for one key (the seed writes α for ρ and ``1e-7`` for θ)::

        self.h[key] *= self.decay_rate
        self.h[key] += (1 - self.decay_rate) * grad[key] * grad[key]
        params[key] -= self.learning_rate * grad[key] / (np.sqrt(self.h[key]) + self.theta)

    This is PyTorch's ``RMSprop(lr=η, alpha=ρ, eps=θ)``.

    Args:
        learning_rate: η (学習率), finite and > 0.
        decay_rate: ρ (減衰率), 0 ≤ ρ < 1; ρ = 0 makes every step ≈ η·sign(∇E).
        theta: θ (小さな定数), finite and > 0.
    """

    _state_names = ("h",)
    _hyper_names = ("learning_rate", "decay_rate", "theta")
    decay_rate = _hyperparameter("decay_rate", check_unit_interval, "ρ")
    theta = _hyperparameter("theta", check_positive, "θ")

    h: Params | None
    """勾配の二乗の指数移動平均 h per key; None until the first ``update``."""

    def __init__(self, learning_rate: float = 0.01, decay_rate: float = 0.99, theta: float = 1e-7) -> None:
        self.decay_rate = decay_rate
        self.theta = theta
        super().__init__(learning_rate)

    def _step(self, p: np.ndarray, g: np.ndarray, h: np.ndarray) -> None:
        h *= self.decay_rate
        h += (1 - self.decay_rate) * g * g
        p -= self.learning_rate * g / (np.sqrt(h) + self.theta)

    _loop = "rmsprop"

    def _loop_scalars(self) -> tuple[float, ...]:
        return (self.decay_rate, 1 - self.decay_rate, self.learning_rate, self.theta)


class Adam(Optimizer):
    r"""Adam: Momentum's decaying mean of gradients ``m`` + RMSProp's decaying mean of squares ``v``.

    .. math::

        m_t = \beta_1 m_{t-1} + (1 - \beta_1) \nabla E, \qquad
        v_t = \beta_2 v_{t-1} + (1 - \beta_2) (\nabla E)^2, \qquad m_0 = v_0 = 0

        \hat m_t = \frac{m_t}{1 - \beta_1^t}, \qquad \hat v_t = \frac{v_t}{1 - \beta_2^t}, \qquad
        w^{(t+1)} = w^{(t)} - \eta \frac{\hat m_t}{\sqrt{\hat v_t} + \theta}

    The same lines in the seed's style, for one key (the seed gives Adam only in words)::

        self.m[key] = self.beta1 * self.m[key] + (1 - self.beta1) * grad[key]
        self.v[key] = self.beta2 * self.v[key] + (1 - self.beta2) * grad[key] * grad[key]
        m_hat = self.m[key] / (1 - self.beta1**self.t)
        v_hat = self.v[key] / (1 - self.beta2**self.t)
        params[key] -= self.learning_rate * m_hat / (np.sqrt(v_hat) + self.theta)

    ``_step`` writes :math:`\eta \hat m_t` as :math:`\frac{\eta}{1-\beta_1^t} m_t` (one number times
    ``m``), so its last line is
    ``p -= self.learning_rate / self._bias1 * m / (np.sqrt(v / self._bias2) + self.theta)``.
    The bias correction (偏りの補正) makes the first step ≈ η·sign(∇E) in every coordinate. This is
    PyTorch's ``Adam(lr=η, betas=(β₁, β₂), eps=θ)``: θ sits outside the root.

    Args:
        learning_rate: η (学習率), finite and > 0.
        beta1: β₁ (m の減衰率), 0 ≤ β₁ < 1.
        beta2: β₂ (v の減衰率), 0 ≤ β₂ < 1.
        theta: θ (小さな定数), finite and > 0.
    """

    _state_names = ("m", "v")
    _hyper_names = ("learning_rate", "beta1", "beta2", "theta")
    beta1 = _hyperparameter("beta1", check_unit_interval, "β₁")
    beta2 = _hyperparameter("beta2", check_unit_interval, "β₂")
    theta = _hyperparameter("theta", check_positive, "θ")

    m: Params | None
    """勾配の移動平均 m per key; None until the first ``update``."""
    v: Params | None
    """勾配の二乗の移動平均 v per key; None until the first ``update``."""
    t: int
    """Number of updates since the last ``reset`` (the t of β₁ᵗ, β₂ᵗ)."""

    def __init__(
        self, learning_rate: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, theta: float = 1e-8
    ) -> None:
        self.beta1 = beta1
        self.beta2 = beta2
        self.theta = theta
        super().__init__(learning_rate)

    def reset(self) -> None:
        """Forget ``m``, ``v`` and the step count ``t``."""
        super().reset()
        self.t = 0

    def _prepare(self, params: Params) -> None:
        super()._prepare(params)
        self.t += 1
        self._bias1 = 1 - self.beta1**self.t  # m̂ = m / bias1
        self._bias2 = 1 - self.beta2**self.t  # v̂ = v / bias2

    def _step(self, p: np.ndarray, g: np.ndarray, m: np.ndarray, v: np.ndarray) -> None:
        m *= self.beta1
        m += (1 - self.beta1) * g
        v *= self.beta2
        v += (1 - self.beta2) * g * g
        p -= self.learning_rate / self._bias1 * m / (np.sqrt(v / self._bias2) + self.theta)

    _loop = "adam"

    def _loop_scalars(self) -> tuple[float, ...]:
        b1, b2 = self.beta1, self.beta2
        return (b1, 1 - b1, b2, 1 - b2, self.learning_rate / self._bias1, self._bias2, self.theta)


OPTIMIZERS: dict[str, type[Optimizer]] = {
    "SGD": SGD,
    "Momentum": Momentum,
    "AdaGrad": AdaGrad,
    "RMSProp": RMSProp,
    "Adam": Adam,
}
"""The five classes in the book's order, for chapters that loop over methods."""
