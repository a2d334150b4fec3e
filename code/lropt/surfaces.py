"""Test functions with analytic gradients (テスト関数と解析的な勾配).

Every surface is a small object with the value ``f(w)``, the gradient ``grad(w)`` and the Hessian
``hessian(w)``, all written out by hand, plus what a chapter needs to draw and discuss it: the global
minimiser (大域最適解), other local minimisers (局所最適解), saddle points (鞍点), a plot window and a default
start.

Points are arrays whose *first* axis is the coordinate: ``w[0]`` is x and ``w[1]`` is y. Everything is
vectorised over the remaining axes::

    s = ZeroTsuku()
    s.f(np.array([1.0, 2.0]))          # one point -> 0-d value
    X, Y = np.meshgrid(xs, ys)
    Z = s.f(np.stack([X, Y]))          # a whole grid at once, Z.shape == X.shape
    s.grad(np.stack([X, Y]))           # shape (2, *X.shape)

One-dimensional surfaces (``dim == 1``) also accept a plain scalar ``x``; the gradient then has shape ``()``.
Far outside the window (a diverged run, 発散) values overflow to ``inf``/``nan`` quietly, without a
``RuntimeWarning``, so callers can test ``np.isfinite``.
"""

from __future__ import annotations

import math
from typing import ClassVar, Literal

import numpy as np
from numpy.typing import ArrayLike

from lropt._validation import check_int, check_positive, check_real, describe

__all__ = [
    "Surface",
    "Quadratic1D",
    "ZeroTsuku",
    "DoubleWell",
    "Rosenbrock",
    "Beale",
    "Saddle",
    "Plateau",
    "SURFACES",
    "get_surface",
    "DOUBLE_WELL_MAX_TILT",
]

DOUBLE_WELL_MAX_TILT: float = 8.0 / (3.0 * math.sqrt(3.0))
"""|tilt| must stay below this (≈ 1.5396) for the double well to keep two minima."""


def _point(*coords: float) -> np.ndarray:
    """A read-only float64 point, so a shared minimiser cannot be changed by accident."""
    arr = np.array(coords, dtype=float)
    arr.setflags(write=False)
    return arr


def _num(value: float) -> str:
    """Compact number for titles and formulas (0.3, 100, 1e-05)."""
    return f"{value:g}"


class Surface:
    """Base class of a test surface (テスト関数).

    Attributes
    ----------
    key : str
        Registry key in :data:`SURFACES`.
    title : str
        Short Japanese name for plot titles (plain text, renders with the bundled IPAex font).
    formula : str
        LaTeX of the function, without ``$`` delimiters.
    dim : int
        1 or 2.
    minimum : np.ndarray
        Global minimiser (大域最適解), shape ``(dim,)``, read-only.
    minimum_value : float
        ``f(minimum)``.
    local_minima : tuple of np.ndarray
        Other local minimisers (局所最適解); may be empty.
    saddles : tuple of np.ndarray
        Saddle points (鞍点) or, in 1-D, other stationary points; may be empty.
    xlim, ylim : tuple of float
        Plot window. For 1-D surfaces ``ylim`` is a range for the *values* f(x).
    hessian_eigenvalues : tuple of float or None
        Eigenvalues of the (constant) Hessian, ascending, for quadratic surfaces; ``None`` otherwise.
    """

    key: ClassVar[str]
    dim: ClassVar[int]
    title: str
    formula: str
    minimum: np.ndarray
    minimum_value: float
    local_minima: tuple[np.ndarray, ...] = ()
    saddles: tuple[np.ndarray, ...] = ()
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    hessian_eigenvalues: tuple[float, ...] | None = None
    _start: np.ndarray
    _level_spacing: ClassVar[Literal["quadratic", "log"]] = "quadratic"
    _level_quantile: ClassVar[float] = 0.75
    _level_decades: ClassVar[float] = 4.0

    # --- to be implemented by subclasses; w always has shape (dim, ...) here ---------------------------
    def _value(self, w: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _gradient(self, w: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _hessian(self, w: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    # --- public API --------------------------------------------------------------------------------------
    @property
    def start(self) -> np.ndarray:
        """Default starting point (初期値), shape ``(dim,)``; a fresh writable copy on every access."""
        return self._start.copy()

    def f(self, w: ArrayLike) -> np.ndarray | np.float64:
        """Value f(w) (関数値); ``w`` has shape ``(dim, ...)``, the result ``w.shape[1:]``."""
        arr, _ = self._as_points(w)
        with np.errstate(over="ignore", invalid="ignore"):
            return self._value(arr)[()]

    def grad(self, w: ArrayLike) -> np.ndarray | np.float64:
        """Analytic gradient ∇f(w) (勾配), same shape as ``w``."""
        arr, scalar = self._as_points(w)
        with np.errstate(over="ignore", invalid="ignore"):
            g = np.asarray(self._gradient(arr), dtype=float)
        return g[0][()] if scalar else g

    def hessian(self, w: ArrayLike) -> np.ndarray:
        """Analytic Hessian ∇²f(w) (ヘッセ行列), shape ``(dim, dim, *w.shape[1:])``."""
        arr, _ = self._as_points(w)
        with np.errstate(over="ignore", invalid="ignore"):
            return np.asarray(self._hessian(arr), dtype=float)

    @property
    def smoothness(self) -> float | None:
        """L, the largest Hessian eigenvalue, for quadratic surfaces (else ``None``)."""
        return None if self.hessian_eigenvalues is None else max(self.hessian_eigenvalues)

    @property
    def max_stable_learning_rate(self) -> float | None:
        """2/L: plain gradient descent converges on a quadratic iff 0 < η < 2/L (else ``None``)."""
        smooth = self.smoothness
        return None if smooth is None else 2.0 / smooth

    @property
    def condition_number(self) -> float | None:
        """κ = λ_max / λ_min of the Hessian, for quadratic surfaces (else ``None``)."""
        eig = self.hessian_eigenvalues
        return None if eig is None else max(eig) / min(eig)

    def grid(self, num: int = 201) -> tuple[np.ndarray, ...]:
        """Sample the plot window: ``(X, Y, Z)`` meshgrid for 2-D, ``(x, f(x))`` for 1-D."""
        num = check_int("num", num, 2)
        xs = np.linspace(*self.xlim, num)
        if self.dim == 1:
            return xs, np.asarray(self._value(xs[None]))
        ys = np.linspace(*self.ylim, num)
        X, Y = np.meshgrid(xs, ys)
        return X, Y, np.asarray(self._value(np.stack([X, Y])))

    def levels(self, n: int = 20) -> np.ndarray:
        """``n`` increasing contour levels (等高線の値) above ``minimum_value``.

        Log-spaced for steep valleys (Rosenbrock, Beale), otherwise spaced like ``(k/n)²`` so that the
        contours of a quadratic bowl are evenly spaced in distance from the minimum.
        """
        n = check_int("n", n, 2)
        values = self.grid(121)[-1]
        low = self.minimum_value
        span = float(np.quantile(values, self._level_quantile)) - low
        if self._level_spacing == "log":
            offsets = np.geomspace(span * 10.0**-self._level_decades, span, n)
        else:
            offsets = span * (np.arange(1, n + 1) / n) ** 2
        return low + offsets

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    # --- helpers -----------------------------------------------------------------------------------------
    def _as_points(self, w: ArrayLike) -> tuple[np.ndarray, bool]:
        try:
            arr = np.asarray(w, dtype=float)
        except (TypeError, ValueError):
            raise TypeError(
                f"引数 w には形 ({self.dim}, ...) の数値の配列を渡してください。受け取った値: {describe(w)}"
            ) from None
        if self.dim == 1 and arr.ndim == 0:
            return arr[None], True
        if arr.ndim == 0 or arr.shape[0] != self.dim:
            axes = "w[0] が x" if self.dim == 1 else "w[0] が x、w[1] が y"
            raise ValueError(
                f"引数 w の形は ({self.dim}, ...) でなければなりません（最初の軸が座標で、{axes}）。"
                f"受け取った形: {arr.shape}"
            )
        return arr, False


class Quadratic1D(Surface):
    """1-D quadratic f(x) = (L/2)·x² (1次元の二次関数), L = ``curvature``.

    Gradient descent gives x ← (1 − ηL)·x: it converges iff 0 < η < 2/L, oscillates for 1/L < η < 2/L and
    diverges (発散) for η > 2/L.
    """

    key = "quadratic1d"
    dim = 1

    def __init__(self, curvature: float = 1.0) -> None:
        self.curvature = check_positive("curvature", curvature, "L")
        L = self.curvature
        coef = "" if L == 1 else _num(L)
        self.title = f"1次元の二次関数 f = {coef}x²/2"
        self.formula = rf"f(x) = \frac{{{_num(L)}}}{{2}} x^2"
        self.minimum = _point(0.0)
        self.minimum_value = 0.0
        self.hessian_eigenvalues = (L,)
        self.xlim = (-5.0, 5.0)
        top = 0.5 * L * 25.0
        self.ylim = (-0.05 * top, 1.05 * top)
        self._start = _point(4.0)

    def _value(self, w: np.ndarray) -> np.ndarray:
        return 0.5 * self.curvature * w[0] ** 2

    def _gradient(self, w: np.ndarray) -> np.ndarray:
        return self.curvature * w

    def _hessian(self, w: np.ndarray) -> np.ndarray:
        return np.full((1, 1, *w.shape[1:]), self.curvature)

    def __repr__(self) -> str:
        return f"Quadratic1D(curvature={self.curvature!r})"


class ZeroTsuku(Surface):
    """The elongated bowl of ゼロから作るDeep Learning ch. 6: f(x, y) = x²/20 + y² (ゼロつくの楕円).

    Hessian diag(0.1, 2): L = 2, so plain gradient descent needs η < 1, while the x-direction has curvature
    only 0.1 — the condition number 20 is what makes SGD zig-zag.
    """

    key = "zerotsuku"
    dim = 2

    def __init__(self) -> None:
        self.title = "ゼロつくの楕円 f = x²/20 + y²"
        self.formula = r"f(x, y) = \frac{1}{20} x^2 + y^2"
        self.minimum = _point(0.0, 0.0)
        self.minimum_value = 0.0
        self.hessian_eigenvalues = (0.1, 2.0)
        self.xlim = (-10.0, 10.0)
        self.ylim = (-5.0, 5.0)
        self._start = _point(-7.0, 2.0)

    def _value(self, w: np.ndarray) -> np.ndarray:
        return w[0] ** 2 / 20.0 + w[1] ** 2

    def _gradient(self, w: np.ndarray) -> np.ndarray:
        return np.array([w[0] / 10.0, 2.0 * w[1]])

    def _hessian(self, w: np.ndarray) -> np.ndarray:
        h = np.zeros((2, 2, *w.shape[1:]))
        h[0, 0] = 0.1
        h[1, 1] = 2.0
        return h


class DoubleWell(Surface):
    """Tilted double well f(x, y) = (x² − 1)² + tilt·x + y²/2 (非対称な二重井戸).

    For ``tilt > 0`` the global minimum (大域最適解) is the well near x ≈ −1 and the well near x ≈ +1 is a
    shallower local minimum (局所最適解); the hump between them is a saddle point (鞍点). The stationary
    points are the roots of 4x³ − 4x + tilt = 0 (with y = 0), computed at construction. Two minima exist iff
    |tilt| < 8/(3√3) ≈ 1.5396. With ``tilt == 0`` both wells are equally deep; ``minimum`` is then the left
    one.
    """

    key = "double_well"
    dim = 2

    def __init__(self, tilt: float = 0.3) -> None:
        tilt = check_real("tilt", tilt)
        if not abs(tilt) < DOUBLE_WELL_MAX_TILT:
            raise ValueError(
                "引数 tilt の絶対値は 8/(3√3) ≈ 1.5396 未満でなければなりません"
                "（これ以上傾けると井戸が 1 つになり、局所最適解がなくなります。"
                f"有効な範囲: -1.5396 < tilt < 1.5396）。受け取った値: {tilt}"
            )
        self.tilt = tilt
        roots = np.sort(np.roots([4.0, 0.0, -4.0, tilt]).real)
        for _ in range(3):  # polish with Newton's method; the roots are simple, 12x² − 4 ≠ 0
            roots = roots - (4.0 * roots**3 - 4.0 * roots + tilt) / (12.0 * roots**2 - 4.0)
        left, middle, right = (float(r) for r in roots)
        f_left = (left**2 - 1.0) ** 2 + tilt * left
        f_right = (right**2 - 1.0) ** 2 + tilt * right
        best, other = (left, right) if f_left <= f_right else (right, left)
        self.minimum = _point(best, 0.0)
        self.minimum_value = float(self._value(self.minimum))
        self.local_minima = (_point(other, 0.0),)
        self.saddles = (_point(middle, 0.0),)
        sign = "-" if tilt < 0 else "+"
        self.title = f"二重井戸 f = (x²-1)² {sign} {_num(abs(tilt))}x + y²/2"
        self.formula = rf"f(x, y) = (x^2 - 1)^2 {sign} {_num(abs(tilt))}\,x + \frac{{y^2}}{{2}}"
        self.xlim = (-2.2, 2.2)
        self.ylim = (-1.5, 1.5)
        self._start = _point(2.0, 1.0)

    def _value(self, w: np.ndarray) -> np.ndarray:
        x, y = w[0], w[1]
        return (x**2 - 1.0) ** 2 + self.tilt * x + 0.5 * y**2

    def _gradient(self, w: np.ndarray) -> np.ndarray:
        x, y = w[0], w[1]
        return np.array([4.0 * x**3 - 4.0 * x + self.tilt, y])

    def _hessian(self, w: np.ndarray) -> np.ndarray:
        x = w[0]
        h = np.zeros((2, 2, *w.shape[1:]))
        h[0, 0] = 12.0 * x**2 - 4.0
        h[1, 1] = 1.0
        return h

    def __repr__(self) -> str:
        return f"DoubleWell(tilt={self.tilt!r})"


class Rosenbrock(Surface):
    """Rosenbrock's banana valley f(x, y) = (a − x)² + b(y − x²)² (ローゼンブロック関数).

    The minimum (a, a²) lies in a long, curved, flat-bottomed valley: easy to reach, slow to follow.
    """

    key = "rosenbrock"
    dim = 2
    _level_spacing = "log"
    _level_quantile = 0.9

    def __init__(self, a: float = 1.0, b: float = 100.0) -> None:
        self.a = check_real("a", a)
        self.b = check_positive("b", b)
        a, b = self.a, self.b
        default = a == 1.0 and b == 100.0
        self.title = "ローゼンブロック関数"
        if not default:
            self.title += f"（a = {_num(a)}, b = {_num(b)}）"
        self.formula = rf"f(x, y) = ({_num(a)} - x)^2 + {_num(b)}\,(y - x^2)^2"
        self.minimum = _point(a, a * a)
        self.minimum_value = 0.0
        half = max(2.0, abs(a) + 1.0)
        self.xlim = (-half, half)
        self.ylim = (-1.0, max(3.0, a * a + 1.0))
        self._start = _point(-1.5, 2.0)

    def _value(self, w: np.ndarray) -> np.ndarray:
        x, y = w[0], w[1]
        return (self.a - x) ** 2 + self.b * (y - x**2) ** 2

    def _gradient(self, w: np.ndarray) -> np.ndarray:
        x, y = w[0], w[1]
        r = y - x**2
        return np.array([-2.0 * (self.a - x) - 4.0 * self.b * x * r, 2.0 * self.b * r])

    def _hessian(self, w: np.ndarray) -> np.ndarray:
        x, y = w[0], w[1]
        b = self.b
        h = np.empty((2, 2, *w.shape[1:]))
        h[0, 0] = 2.0 - 4.0 * b * y + 12.0 * b * x**2
        h[0, 1] = h[1, 0] = -4.0 * b * x
        h[1, 1] = 2.0 * b
        return h

    def __repr__(self) -> str:
        return f"Rosenbrock(a={self.a!r}, b={self.b!r})"


class Beale(Surface):
    """Beale's function (Beale 関数): f = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)².

    Minimum f(3, 0.5) = 0. Flat plateaus and sharp ridges: the step size that suits one region is wrong in
    the next. The line x = 0 is a level set (f = 14.203125) with a saddle point at (0, 1); a second saddle
    point sits near (0.1005, −2.6445).
    """

    key = "beale"
    dim = 2
    _level_spacing = "log"
    _level_quantile = 0.75
    _level_decades = 5.0
    _C = (1.5, 2.25, 2.625)

    def __init__(self) -> None:
        self.title = "Beale 関数"
        self.formula = r"f(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2"
        self.minimum = _point(3.0, 0.5)
        self.minimum_value = 0.0
        # x = 0 is a level set with a saddle at (0, 1); a second saddle sits in the lower half plane
        # (found with Newton's method on the analytic Hessian, gradient ~1e-14 there).
        self.saddles = (_point(0.0, 1.0), _point(0.10053793732415833, -2.644513585023125))
        self.xlim = (-4.5, 4.5)
        self.ylim = (-4.5, 4.5)
        self._start = _point(1.0, 1.5)

    def _value(self, w: np.ndarray) -> np.ndarray:
        x, y = w[0], w[1]
        return sum((c - x + x * y**k) ** 2 for k, c in enumerate(self._C, start=1))

    def _gradient(self, w: np.ndarray) -> np.ndarray:
        x, y = w[0], w[1]
        gx = np.zeros(np.shape(x))
        gy = np.zeros(np.shape(x))
        for k, c in enumerate(self._C, start=1):
            t = c - x + x * y**k
            gx = gx + 2.0 * t * (y**k - 1.0)
            gy = gy + 2.0 * t * k * x * y ** (k - 1)
        return np.array([gx, gy])

    def _hessian(self, w: np.ndarray) -> np.ndarray:
        x, y = w[0], w[1]
        h = np.zeros((2, 2, *w.shape[1:]))
        for k, c in enumerate(self._C, start=1):
            t = c - x + x * y**k
            dt_dx = y**k - 1.0
            dt_dy = k * x * y ** (k - 1)
            d2t_dy2 = k * (k - 1) * x * y ** (k - 2) if k >= 2 else 0.0
            d2t_dxdy = k * y ** (k - 1)
            h[0, 0] += 2.0 * dt_dx**2
            h[0, 1] += 2.0 * (dt_dx * dt_dy + t * d2t_dxdy)
            h[1, 1] += 2.0 * (dt_dy**2 + t * d2t_dy2)
        h[1, 0] = h[0, 1]
        return h


class Saddle(Surface):
    """A surface with a saddle point (鞍点) at the origin: f(x, y) = x²/2 + y⁴/4 − y²/2.

    Along x it is a bowl, along y a double well: the origin is a saddle (f = 0) and (0, ±1) are the two minima
    with f = −1/4 (``minimum`` is (0, 1), ``local_minima`` holds the equally deep (0, −1)). Started at
    (1, 10⁻³), plain gradient descent reaches the saddle quickly along x, then creeps away from it because the
    y-gradient y³ − y ≈ −y is tiny there.
    """

    key = "saddle"
    dim = 2

    def __init__(self) -> None:
        self.title = "鞍点のある曲面（原点が鞍点）"
        self.formula = r"f(x, y) = \frac{x^2}{2} + \frac{y^4}{4} - \frac{y^2}{2}"
        self.minimum = _point(0.0, 1.0)
        self.minimum_value = -0.25
        self.local_minima = (_point(0.0, -1.0),)
        self.saddles = (_point(0.0, 0.0),)
        self.xlim = (-1.5, 1.5)
        self.ylim = (-1.5, 1.5)
        self._start = _point(1.0, 1e-3)

    def _value(self, w: np.ndarray) -> np.ndarray:
        x, y = w[0], w[1]
        return 0.5 * x**2 + 0.25 * y**4 - 0.5 * y**2

    def _gradient(self, w: np.ndarray) -> np.ndarray:
        x, y = w[0], w[1]
        return np.array([x, y**3 - y])

    def _hessian(self, w: np.ndarray) -> np.ndarray:
        y = w[1]
        h = np.zeros((2, 2, *w.shape[1:]))
        h[0, 0] = 1.0
        h[1, 1] = 3.0 * y**2 - 1.0
        return h


class Plateau(Surface):
    """A long gentle ramp (長い坂): f(x, y) = log cosh x + y².

    Far from the minimum the slope along x is almost exactly 1 (tanh x ≈ 1), so every step sees the same
    gradient: SGD and RMSProp keep walking at a steady pace, while AdaGrad's accumulated h grows like t and its
    step shrinks like η/√t — the stall (停滞) that RMSProp's decay removes. Near 0 the surface is a bowl
    (curvature 1 along x, 2 along y) with its minimum at the origin.
    """

    key = "plateau"
    dim = 2

    def __init__(self) -> None:
        self.title = "長い坂 f = log cosh x + y²"
        self.formula = r"f(x, y) = \log\cosh x + y^2"
        self.minimum = _point(0.0, 0.0)
        self.minimum_value = 0.0
        self.xlim = (-4.0, 22.0)
        self.ylim = (-3.0, 3.0)
        self._start = _point(20.0, 2.0)

    def _value(self, w: np.ndarray) -> np.ndarray:
        # log cosh x = logaddexp(x, -x) - log 2, without overflow for large |x|
        return np.logaddexp(w[0], -w[0]) - math.log(2.0) + w[1] ** 2

    def _gradient(self, w: np.ndarray) -> np.ndarray:
        return np.array([np.tanh(w[0]), 2.0 * w[1]])

    def _hessian(self, w: np.ndarray) -> np.ndarray:
        h = np.zeros((2, 2, *w.shape[1:]))
        h[0, 0] = 1.0 / np.cosh(np.clip(w[0], -350.0, 350.0)) ** 2
        h[1, 1] = 2.0
        return h


SURFACES: dict[str, type[Surface]] = {
    cls.key: cls for cls in (Quadratic1D, ZeroTsuku, DoubleWell, Rosenbrock, Beale, Saddle, Plateau)
}
"""Registry: key → surface class (every class can be built without arguments)."""


def get_surface(key: str, **kwargs: float) -> Surface:
    """Build the surface registered under ``key``, e.g. ``get_surface("double_well", tilt=0.5)``."""
    if not isinstance(key, str) or key not in SURFACES:
        raise ValueError(
            f"引数 key には登録済みの曲面の名前を渡してください（有効な値: {', '.join(SURFACES)}）。"
            f"受け取った値: {describe(key)}"
        )
    return SURFACES[key](**kwargs)
