r"""The optimizers' lines as compiled loops, for large arrays (``lropt.optimizers`` imports this lazily).

NumPy runs the seed's line ``params[key] -= self.learning_rate * grad[key] / (np.sqrt(self.h[key]) +
self.theta)`` as five passes over memory, each writing a temporary array. The loops below run the same
lines one element at a time, so every number is read once and written once per step. Each loop body is
the seed's lines with ``[i]``; the operations and their order are NumPy's, in the array's own float type
(the caller passes every scalar already converted to it, as NumPy does with a Python float), so the
results equal the NumPy lines bit for bit (``tests/test_optimizers.py`` checks this). No ``fastmath``:
that would let the compiler reorder and fuse the arithmetic.

Each loop is a ``numba.prange`` loop compiled with ``parallel=True``: numba cuts it into one piece per CPU
core and runs the pieces side by side. That also lets the compiler use the CPU's vector instructions,
which it does not for a plain ``range`` loop of AdaGrad's lines: the machine code of the ``range`` loop
has one-number ``vsqrtss``/``vdivss``, that of the ``prange`` loop eight-number ``vsqrtps``/``vdivps``
(measured at 2¹⁵ float32 numbers on this 2-core machine: 77.6 µs with ``range``, 12.9 µs with
``prange``). The pieces touch
different numbers and each number sees the same operations, so the result does not depend on how many
threads run (tested). Importing numba takes about 0.4 s and compiling the loops several seconds (cached
in ``__pycache__`` after the first time), which is why nothing imports this module before an array is
large enough to gain from it.
"""

from __future__ import annotations

import math
import os

# numba's OpenMP threads spin for a while after each loop, waiting for the next one. libgomp's default
# (300 000 spins, about a millisecond here) took a core from OpenBLAS's threads in a training loop that
# alternates a matrix product and an update: 2-core VM, (512 × 1024) @ (1024 × 1024) float32 plus Adam on
# 2²⁰ numbers, 15.5–16.8 ms a round against 4–6 ms and 0.7–1.2 ms alone. With 10 000 spins: 6.3 ms, and
# ``make bench`` as fast (10⁶ SGD 2.17×). libgomp reads this when numba first loads it; a value the user
# set (or OMP_WAIT_POLICY) wins.
if "GOMP_SPINCOUNT" not in os.environ and "OMP_WAIT_POLICY" not in os.environ:
    os.environ["GOMP_SPINCOUNT"] = "10000"

import numba  # noqa: E402 - after GOMP_SPINCOUNT
import numpy as np  # noqa: E402

__all__ = ["all_finite", "sgd", "momentum", "adagrad", "rmsprop", "adam"]

_jit = numba.njit(parallel=True, nogil=True, cache=True, error_model="numpy")

_FINITE_BITS = {
    # float type: (bits of |x| in each number, lowest exponent bit of each number, top bit of each number),
    # as 64-bit words: a word holds two float32 numbers or one float64
    dtype: tuple(np.uint64(mask) for mask in masks)
    for dtype, masks in {
        np.dtype(np.float32): (0x7FFF_FFFF_7FFF_FFFF, 0x0080_0000_0080_0000, 0x8000_0000_8000_0000),
        np.dtype(np.float64): (0x7FFF_FFFF_FFFF_FFFF, 0x0010_0000_0000_0000, 0x8000_0000_0000_0000),
    }.items()
}
"""Masks of ``all_finite``."""


@_jit
def _count_nonfinite_words(
    words: np.ndarray, abs_bits: np.uint64, low_exponent: np.uint64, top: np.uint64
) -> int:
    """How many uint64 ``words`` have a number's top bit set in ``(word & abs_bits) + low_exponent``.

    No branch, so the loop vectorizes; numba's ``prange`` sums the count over the pieces. (A bitwise OR
    would do, but ``prange`` reduces only with operators such as ``+``; per-piece ORs in an array were
    twice as slow: the inner loop did not vectorize.)
    """
    count = 0
    for i in numba.prange(words.size):
        count += ((words[i] & abs_bits) + low_exponent) & top != 0
    return count


def all_finite(a: np.ndarray) -> bool:
    """True when the 1-D C-contiguous float32/float64 array ``a`` holds no nan, +inf or -inf.

    A float is inf or nan exactly when all its exponent bits are ones, that is when the bits ``x`` of
    ``|number|`` (the sign bit cleared) are at least those of +inf. Adding the lowest exponent bit to
    ``x`` then carries into the number's top bit, and only then (``x`` is below that bit, so the carry
    never spills into the next number of a word). One pass over memory, no temporary array.
    """
    abs_bits, low_exponent, top = _FINITE_BITS[a.dtype]
    body = a.size - a.size % (8 // a.itemsize)  # float32: an even count, two numbers per word
    bad = _count_nonfinite_words(a[:body].view(np.uint64), abs_bits, low_exponent, top)
    return bad == 0 and all(map(math.isfinite, a[body:].tolist()))


@_jit
def sgd(p: np.ndarray, g: np.ndarray, lr: np.floating) -> None:
    """``params[key] -= self.learning_rate * grad[key]``"""
    for i in numba.prange(p.size):
        p[i] -= lr * g[i]


@_jit
def momentum(p: np.ndarray, g: np.ndarray, v: np.ndarray, mu: np.floating, lr: np.floating) -> None:
    """``self.v[key] = self.momentum * self.v[key] - self.learning_rate * grad[key]; params[key] += self.v[key]``

    As ``Momentum._step`` writes it: ``v *= μ; v -= η * g; p += v``.
    """
    for i in numba.prange(p.size):
        v[i] *= mu
        v[i] -= lr * g[i]
        p[i] += v[i]


@_jit
def adagrad(p: np.ndarray, g: np.ndarray, h: np.ndarray, lr: np.floating, theta: np.floating) -> None:
    """``self.h[key] += grad[key] * grad[key]``;
    ``params[key] -= self.learning_rate * grad[key] / (np.sqrt(self.h[key]) + self.theta)``"""
    for i in numba.prange(p.size):
        h[i] += g[i] * g[i]
        p[i] -= lr * g[i] / (np.sqrt(h[i]) + theta)


@_jit
def rmsprop(
    p: np.ndarray,
    g: np.ndarray,
    h: np.ndarray,
    rho: np.floating,
    one_minus_rho: np.floating,
    lr: np.floating,
    theta: np.floating,
) -> None:
    """``self.h[key] *= self.decay_rate``; ``self.h[key] += (1 - self.decay_rate) * grad[key] * grad[key]``;
    ``params[key] -= self.learning_rate * grad[key] / (np.sqrt(self.h[key]) + self.theta)``"""
    for i in numba.prange(p.size):
        h[i] *= rho
        h[i] += one_minus_rho * g[i] * g[i]
        p[i] -= lr * g[i] / (np.sqrt(h[i]) + theta)


@_jit
def adam(
    p: np.ndarray,
    g: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    beta1: np.floating,
    one_minus_beta1: np.floating,
    beta2: np.floating,
    one_minus_beta2: np.floating,
    lr_over_bias1: np.floating,
    bias2: np.floating,
    theta: np.floating,
) -> None:
    """``Adam._step``: ``m *= β₁; m += (1 - β₁) * g; v *= β₂; v += (1 - β₂) * g * g``;
    ``p -= η / (1 - β₁ᵗ) * m / (np.sqrt(v / (1 - β₂ᵗ)) + θ)``"""
    for i in numba.prange(p.size):
        m[i] *= beta1
        m[i] += one_minus_beta1 * g[i]
        v[i] *= beta2
        v[i] += one_minus_beta2 * g[i] * g[i]
        p[i] -= lr_over_bias1 * m[i] / (np.sqrt(v[i] / bias2) + theta)
