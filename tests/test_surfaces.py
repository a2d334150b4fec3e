"""Tests of lropt.surfaces: analytic derivatives, stationary points, shapes and argument checks."""

from __future__ import annotations

import re

import numpy as np
import pytest

from lropt import surfaces
from lropt.surfaces import (
    DOUBLE_WELL_MAX_TILT,
    SURFACES,
    Beale,
    DoubleWell,
    Plateau,
    Quadratic1D,
    Rosenbrock,
    Saddle,
    Surface,
    ZeroTsuku,
    get_surface,
)

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")

ALL = [
    Quadratic1D(),
    Quadratic1D(curvature=3.0),
    ZeroTsuku(),
    DoubleWell(),
    DoubleWell(tilt=-0.5),
    DoubleWell(tilt=0.0),
    Rosenbrock(),
    Rosenbrock(a=-0.5, b=20.0),
    Beale(),
    Saddle(),
    Plateau(),
]
IDS = [repr(s) for s in ALL]


def random_points(s: Surface, n: int, seed: int = 0) -> np.ndarray:
    """``n`` uniform points in the plot window, shape (dim, n)."""
    rng = np.random.default_rng(seed)
    lows = [s.xlim[0], s.ylim[0]][: s.dim]
    highs = [s.xlim[1], s.ylim[1]][: s.dim]
    return rng.uniform(lows, highs, size=(n, s.dim)).T


def stationary_points(s: Surface) -> list[np.ndarray]:
    return [s.minimum, *s.local_minima, *s.saddles]


def fd_gradient(s: Surface, w: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central differences of f, vectorised over the points in w (dim, n)."""
    out = np.empty_like(w)
    for i in range(s.dim):
        step = np.zeros_like(w)
        step[i] = h * np.maximum(1.0, np.abs(w[i]))
        out[i] = (s.f(w + step) - s.f(w - step)) / (2.0 * step[i])
    return out


def fd_hessian(s: Surface, w: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central differences of the analytic gradient: shape (dim, dim, n)."""
    out = np.empty((s.dim, s.dim, w.shape[1]))
    for j in range(s.dim):
        step = np.zeros_like(w)
        step[j] = h * np.maximum(1.0, np.abs(w[j]))
        out[:, j] = (s.grad(w + step) - s.grad(w - step)) / (2.0 * step[j])
    return out


# --- analytic derivatives ----------------------------------------------------------------------------------
@pytest.mark.parametrize("s", ALL, ids=IDS)
def test_gradient_matches_finite_differences(s: Surface) -> None:
    w = random_points(s, 300)
    g = s.grad(w)
    fd = fd_gradient(s, w)
    scale = 1.0 + np.abs(s.f(w)) + np.abs(g).max(axis=0)
    assert np.all(np.abs(g - fd) <= 1e-6 * scale)


@pytest.mark.parametrize("s", ALL, ids=IDS)
def test_hessian_matches_finite_differences(s: Surface) -> None:
    w = random_points(s, 200, seed=1)
    H = s.hessian(w)
    assert H.shape == (s.dim, s.dim, 200)
    np.testing.assert_allclose(H, np.swapaxes(H, 0, 1))  # symmetric
    fd = fd_hessian(s, w)
    scale = 1.0 + np.abs(s.grad(w)).max(axis=0) + np.abs(H).max(axis=(0, 1))
    assert np.all(np.abs(H - fd) <= 1e-6 * scale)


@pytest.mark.parametrize("s", [Quadratic1D(), Quadratic1D(curvature=0.25), ZeroTsuku()], ids=repr)
def test_quadratic_hessian_eigenvalues_match_finite_differences(s: Surface) -> None:
    assert s.hessian_eigenvalues is not None
    for w in random_points(s, 5, seed=2).T:
        H = fd_hessian(s, w[:, None])[..., 0]
        np.testing.assert_allclose(np.linalg.eigvalsh(H), s.hessian_eigenvalues, rtol=1e-7)
    assert s.smoothness == max(s.hessian_eigenvalues)
    assert s.max_stable_learning_rate == pytest.approx(2.0 / s.smoothness)


def test_zerotsuku_curvature_numbers() -> None:
    s = ZeroTsuku()
    assert s.hessian_eigenvalues == (0.1, 2.0)
    assert s.smoothness == 2.0
    assert s.max_stable_learning_rate == 1.0
    assert s.condition_number == pytest.approx(20.0)
    assert (s.xlim, s.ylim) == ((-10.0, 10.0), (-5.0, 5.0))
    np.testing.assert_array_equal(s.start, [-7.0, 2.0])


@pytest.mark.parametrize("s", [Rosenbrock(), Beale(), DoubleWell(), Saddle()], ids=repr)
def test_non_quadratics_have_no_global_curvature(s: Surface) -> None:
    assert s.hessian_eigenvalues is None
    assert s.smoothness is None and s.max_stable_learning_rate is None and s.condition_number is None


@pytest.mark.parametrize("curvature", [0.5, 1.0, 4.0])
def test_stability_bound_of_gradient_descent(curvature: float) -> None:
    """x ← x − η f'(x) converges just below η = 2/L and diverges just above."""
    s = Quadratic1D(curvature)
    bound = s.max_stable_learning_rate
    assert bound == pytest.approx(2.0 / curvature)
    for eta, converges in ((0.95 * bound, True), (1.05 * bound, False)):
        x = s.start
        for _ in range(200):
            x = x - eta * s.grad(x)
        assert bool(abs(x[0]) < 1e-3) is converges


# --- stationary points and minima --------------------------------------------------------------------------
@pytest.mark.parametrize("s", ALL, ids=IDS)
def test_gradient_vanishes_at_stationary_points(s: Surface) -> None:
    for p in stationary_points(s):
        assert p.shape == (s.dim,)
        np.testing.assert_allclose(s.grad(p), 0.0, atol=1e-12)


@pytest.mark.parametrize("s", ALL, ids=IDS)
def test_minima_and_saddles_have_the_right_curvature(s: Surface) -> None:
    for p in (s.minimum, *s.local_minima):
        assert np.all(np.linalg.eigvalsh(s.hessian(p)) > 0)
    for p in s.saddles:
        eig = np.linalg.eigvalsh(s.hessian(p))
        assert eig.min() < 0 < eig.max()


@pytest.mark.parametrize("s", ALL, ids=IDS)
def test_minimum_value_is_the_lowest(s: Surface) -> None:
    assert s.f(s.minimum) == s.minimum_value
    assert isinstance(s.minimum_value, float)
    assert np.all(s.f(random_points(s, 2000, seed=3)) >= s.minimum_value)
    assert s.grid(101)[-1].min() >= s.minimum_value
    for p in (*s.local_minima, *s.saddles):
        assert s.f(p) >= s.minimum_value


def test_known_minima() -> None:
    assert Rosenbrock().f(np.array([1.0, 1.0])) == 0.0
    np.testing.assert_array_equal(Rosenbrock(a=2.0).minimum, [2.0, 4.0])
    np.testing.assert_array_equal(Beale().minimum, [3.0, 0.5])
    assert Beale().minimum_value == 0.0
    s = Saddle()
    np.testing.assert_array_equal(s.saddles[0], [0.0, 0.0])
    assert s.f(s.saddles[0]) == 0.0
    assert s.minimum_value == -0.25 == s.f(s.local_minima[0])


def test_double_well_default_minima() -> None:
    s = DoubleWell(0.3)
    assert s.minimum[0] == pytest.approx(-1.0355787, abs=1e-7)
    assert s.local_minima[0][0] == pytest.approx(0.9601496, abs=1e-7)
    assert s.saddles[0][0] == pytest.approx(0.0754292, abs=1e-7)
    assert s.minimum_value == pytest.approx(-0.3054285, abs=1e-7)
    assert s.f(s.local_minima[0]) == pytest.approx(0.2941465, abs=1e-7)
    np.testing.assert_array_equal(s.start, [2.0, 1.0])


@pytest.mark.parametrize("tilt", [-1.5, -0.8, -0.3, -0.01, 0.0, 0.01, 0.3, 0.8, 1.5])
def test_double_well_minima_for_several_tilts(tilt: float) -> None:
    s = DoubleWell(tilt)
    (local,) = s.local_minima
    (saddle,) = s.saddles
    xs = np.array([s.minimum[0], local[0], saddle[0]])
    np.testing.assert_allclose(4 * xs**3 - 4 * xs + tilt, 0.0, atol=1e-12)
    np.testing.assert_array_equal([s.minimum[1], local[1], saddle[1]], 0.0)
    assert min(s.minimum[0], local[0]) < saddle[0] < max(s.minimum[0], local[0])
    assert s.minimum_value <= s.f(local) < s.f(saddle)
    if tilt > 0:
        assert s.minimum[0] < 0 < local[0] and s.minimum_value < s.f(local)
    elif tilt < 0:
        assert local[0] < 0 < s.minimum[0] and s.minimum_value < s.f(local)
    # brute force along y = 0: the global minimiser and the best point in the other well
    x = np.linspace(-2.0, 2.0, 400_001)
    fx = s.f(np.stack([x, np.zeros_like(x)]))
    assert x[np.argmin(fx)] == pytest.approx(s.minimum[0], abs=2e-5) or tilt == 0.0
    other = (x > saddle[0]) if s.minimum[0] < saddle[0] else (x < saddle[0])
    assert x[other][np.argmin(fx[other])] == pytest.approx(local[0], abs=2e-5)


def test_double_well_is_symmetric_without_tilt() -> None:
    s = DoubleWell(0.0)
    np.testing.assert_allclose(s.minimum, [-1.0, 0.0], atol=1e-15)
    np.testing.assert_allclose(s.local_minima[0], [1.0, 0.0], atol=1e-15)
    assert s.f(s.local_minima[0]) == s.minimum_value == 0.0


# --- shapes ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("s", ALL, ids=IDS)
def test_vectorised_shapes(s: Surface) -> None:
    point = s.start
    value = s.f(point)
    assert np.shape(value) == ()
    assert s.grad(point).shape == (s.dim,)
    assert s.hessian(point).shape == (s.dim, s.dim)
    assert s.f(point.tolist()) == value  # lists work too
    grid = random_points(s, 35, seed=4).reshape(s.dim, 7, 5)
    assert s.f(grid).shape == (7, 5)
    assert s.grad(grid).shape == (s.dim, 7, 5)
    assert s.hessian(grid).shape == (s.dim, s.dim, 7, 5)
    for i, j in [(0, 0), (3, 2), (6, 4)]:
        p = grid[:, i, j]
        # equal up to round-off: NumPy may evaluate y**3 differently for scalars and arrays
        np.testing.assert_allclose(s.f(grid)[i, j], s.f(p), rtol=1e-14)
        np.testing.assert_allclose(s.grad(grid)[:, i, j], s.grad(p), rtol=1e-14)
        np.testing.assert_allclose(s.hessian(grid)[:, :, i, j], s.hessian(p), rtol=1e-14)


def test_meshgrid_contours() -> None:
    s = ZeroTsuku()
    X, Y = np.meshgrid(np.linspace(-10, 10, 11), np.linspace(-5, 5, 6))
    np.testing.assert_allclose(s.f(np.stack([X, Y])), X**2 / 20 + Y**2)
    Xg, Yg, Z = s.grid(51)
    assert Xg.shape == Yg.shape == Z.shape == (51, 51)
    assert (Xg.min(), Xg.max(), Yg.min(), Yg.max()) == (-10.0, 10.0, -5.0, 5.0)


def test_one_dimensional_scalars() -> None:
    s = Quadratic1D(curvature=3.0)
    assert s.f(4.0) == 24.0
    assert np.shape(s.grad(4.0)) == () and s.grad(4.0) == 12.0
    assert s.grad(np.array([4.0])).shape == (1,)
    assert s.f(np.array([[1.0, 2.0, 3.0]])).shape == (3,)
    x, fx = s.grid(11)
    np.testing.assert_allclose(fx, 1.5 * x**2)
    assert s.ylim[0] < 0 < s.ylim[1]


@pytest.mark.parametrize("s", ALL, ids=IDS)
def test_window_start_and_levels(s: Surface) -> None:
    assert s.dim in (1, 2)
    assert s.xlim[0] < s.xlim[1] and s.ylim[0] < s.ylim[1]
    assert s.xlim[0] < s.start[0] < s.xlim[1]
    if s.dim == 2:
        assert s.ylim[0] < s.start[1] < s.ylim[1]
        for p in stationary_points(s):
            assert s.xlim[0] < p[0] < s.xlim[1] and s.ylim[0] < p[1] < s.ylim[1]
    levels = s.levels()
    assert levels.shape == (20,) and s.levels(7).shape == (7,)
    assert np.all(np.diff(levels) > 0) and levels[0] > s.minimum_value
    assert np.all(np.isfinite(levels))
    assert isinstance(s.title, str) and JAPANESE.search(s.title) and len(s.title) <= 40
    assert s.formula.startswith("f(") and "$" not in s.formula


def test_log_levels_for_steep_valleys() -> None:
    for s in (Rosenbrock(), Beale()):
        ratios = np.diff(np.log(s.levels(10) - s.minimum_value))
        np.testing.assert_allclose(ratios, ratios[0])


@pytest.mark.parametrize("s", ALL, ids=IDS)
def test_overflow_far_away_is_quiet(s: Surface) -> None:
    """A diverged run gives inf/nan, never a RuntimeWarning (pytest turns those into errors here)."""
    far = np.full(s.dim, 1e200)
    assert not np.isfinite(s.f(far))
    s.grad(far)
    s.hessian(far)


def test_start_is_a_fresh_copy_and_points_are_read_only() -> None:
    s = DoubleWell()
    w = s.start
    w -= 0.5
    np.testing.assert_array_equal(s.start, [2.0, 1.0])
    with pytest.raises(ValueError):
        s.minimum[0] = 5.0


# --- registry and errors -----------------------------------------------------------------------------------
def test_registry() -> None:
    assert set(SURFACES) == {
        "quadratic1d",
        "zerotsuku",
        "double_well",
        "rosenbrock",
        "beale",
        "saddle",
        "plateau",
    }
    for key, cls in SURFACES.items():
        s = cls()
        assert s.key == key and isinstance(s, Surface)
        assert type(get_surface(key)) is cls
    assert get_surface("double_well", tilt=0.5).tilt == 0.5
    assert set(surfaces.__all__) >= {"Surface", "SURFACES", "Quadratic1D", "ZeroTsuku", "DoubleWell"}


@pytest.mark.parametrize("s", ALL, ids=IDS)
def test_repr_round_trips(s: Surface) -> None:
    again = eval(repr(s), vars(surfaces))
    np.testing.assert_array_equal(again.minimum, s.minimum)
    assert repr(again) == repr(s)


@pytest.mark.parametrize(
    ("make", "error", "name"),
    [
        (lambda: Quadratic1D(0.0), ValueError, "curvature"),
        (lambda: Quadratic1D(-1.0), ValueError, "curvature"),
        (lambda: Quadratic1D(float("inf")), ValueError, "curvature"),
        (lambda: Quadratic1D("1"), TypeError, "curvature"),
        (lambda: DoubleWell(1.6), ValueError, "tilt"),
        (lambda: DoubleWell(-DOUBLE_WELL_MAX_TILT), ValueError, "tilt"),
        (lambda: DoubleWell(float("nan")), ValueError, "tilt"),
        (lambda: DoubleWell(True), TypeError, "tilt"),
        (lambda: Rosenbrock(b=0.0), ValueError, "b"),
        (lambda: Rosenbrock(a=None), TypeError, "a"),
        (lambda: get_surface("himmelblau"), ValueError, "key"),
        (lambda: ZeroTsuku().levels(1), ValueError, "n"),
        (lambda: ZeroTsuku().grid(2.5), TypeError, "num"),
    ],
)
def test_bad_arguments_raise_japanese_errors(make, error: type[Exception], name: str) -> None:
    with pytest.raises(error) as info:
        make()
    message = str(info.value)
    assert JAPANESE.search(message) and f"引数 {name}" in message and "受け取った値" in message


@pytest.mark.parametrize(
    ("s", "w", "error"),
    [
        (ZeroTsuku(), np.zeros(3), ValueError),
        (ZeroTsuku(), 1.0, ValueError),
        (ZeroTsuku(), np.zeros((3, 4)), ValueError),
        (Quadratic1D(), np.zeros(2), ValueError),
        (Beale(), "1, 2", TypeError),
        (Saddle(), [1.0, "y"], TypeError),
    ],
)
def test_bad_points_raise_japanese_errors(s: Surface, w: object, error: type[Exception]) -> None:
    for method in (s.f, s.grad, s.hessian):
        with pytest.raises(error, match="引数 w"):
            method(w)


def test_plateau_slope_is_constant_far_away_and_finite_everywhere():
    s = Plateau()
    g = s.grad(np.array([[15.0, 20.0, 800.0], [0.0, 0.0, 0.0]]))
    np.testing.assert_allclose(g[0], 1.0, atol=1e-12)
    assert np.isfinite(s.f(np.array([800.0, 0.0])))  # log cosh without overflow
    assert s.f(np.array([800.0, 0.0])) == pytest.approx(800.0 - np.log(2.0))
