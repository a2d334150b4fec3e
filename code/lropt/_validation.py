"""Argument checks shared by every lropt module (引数の検証).

Every message is Japanese, names the argument, states the valid range and shows the value received, so a
learner can fix the call without reading the source. Checks only read their input; callers run all of them
before they change any state.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = [
    "check_real",
    "check_positive",
    "check_unit_interval",
    "check_int",
    "describe",
]


def describe(value: object) -> str:
    """Short, readable repr of a received value for error messages."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text}（型: {type(value).__name__}）"


def _label(name: str, symbol: str | None) -> str:
    return f"{name}（{symbol}）" if symbol else name


def check_real(name: str, value: object, symbol: str | None = None) -> float:
    """Return ``value`` as a finite float; TypeError for non-numbers, ValueError for nan/inf."""
    if isinstance(value, np.ndarray) and value.shape == () and np.issubdtype(value.dtype, np.number):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"引数 {_label(name, symbol)} には実数（int または float）を渡してください。受け取った値: {describe(value)}"
        )
    result = float(value)
    if not math.isfinite(result):
        raise ValueError(
            f"引数 {_label(name, symbol)} は有限の実数でなければなりません（nan や inf は不可）。受け取った値: {result}"
        )
    return result


def check_positive(name: str, value: object, symbol: str | None = None) -> float:
    """Finite and strictly greater than 0 (e.g. 学習率 η, 小さな定数 θ)."""
    result = check_real(name, value, symbol)
    if not result > 0:
        raise ValueError(
            f"引数 {_label(name, symbol)} は 0 より大きい有限の実数でなければなりません"
            f"（有効な範囲: 0 < {symbol or name} < ∞）。受け取った値: {result}"
        )
    return result


def check_unit_interval(name: str, value: object, symbol: str | None = None) -> float:
    """A rate in [0, 1) (慣性 μ, 減衰率 ρ, β₁, β₂)."""
    result = check_real(name, value, symbol)
    if not 0.0 <= result < 1.0:
        raise ValueError(
            f"引数 {_label(name, symbol)} は 0 以上 1 未満でなければなりません"
            f"（有効な範囲: 0 ≤ {symbol or name} < 1）。受け取った値: {result}"
        )
    return result


def check_int(name: str, value: object, minimum: int = 0) -> int:
    """An integer (not bool) that is at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"引数 {name} には整数を渡してください。受け取った値: {describe(value)}")
    result = int(value)
    if result < minimum:
        raise ValueError(
            f"引数 {name} は {minimum} 以上の整数でなければなりません（有効な範囲: {name} ≥ {minimum}）。"
            f"受け取った値: {result}"
        )
    return result
