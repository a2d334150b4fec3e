"""Plotting helpers shared by every chapter (可視化).

Importing this module configures matplotlib once for Japanese text: the IPAexGothic font shipped by the PyPI
package ``matplotlib-fontja`` first, DejaVu Sans as the fallback for the few symbols it lacks (₁, ≤, ...).
Notebooks never repeat this set-up.

Every method has one colour and one marker in the whole book (:data:`METHOD_STYLES`). Contours are drawn once
(:func:`draw_surface`); paths are artists created once (:func:`path_line`) and then only updated
(:func:`set_path`), which is what keeps the sliders fast.
"""

from __future__ import annotations

import functools
import math
import re
from typing import Any

import matplotlib
import matplotlib_fontja
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, fontManager, get_font
from matplotlib.lines import Line2D
from matplotlib.text import Text

from .surfaces import Surface
from .trajectory import Trajectory

__all__ = [
    "JAPANESE_FONT",
    "METHOD_STYLES",
    "METHOD_ORDER",
    "DIVERGED_LABEL",
    "method_style",
    "new_figure",
    "draw_surface",
    "draw_surface_1d",
    "path_line",
    "set_path",
    "status_text",
    "set_status",
    "number_text",
    "power_of_ten",
    "outside_text",
    "outside_notes",
    "theta_text",
    "figure_description",
]

JAPANESE_FONT = "IPAexGothic"
DIVERGED_LABEL = "発散"


def _configure_fonts() -> None:
    matplotlib_fontja.japanize()  # registers IPAexGothic from the wheel (no system fonts needed)
    matplotlib.rcParams["font.family"] = [JAPANESE_FONT, "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = True  # IPAexGothic has U+2212
    matplotlib.rcParams["mathtext.fontset"] = "dejavusans"
    matplotlib.rcParams["figure.dpi"] = 100
    matplotlib.rcParams["savefig.dpi"] = 100
    matplotlib.rcParams["axes.titlesize"] = 12
    matplotlib.rcParams["axes.grid"] = False


_configure_fonts()


@functools.lru_cache(maxsize=256)
def _font_height_metrics(prop: FontProperties, dpi: float) -> tuple[float | None, float | None, float | None]:
    """Ascent, descent and line gap in pixels of ``prop``'s font: matplotlib 3.11's ``Text._get_layout``
    arithmetic, done once per font, size and dpi instead of once per text."""
    font = get_font(fontManager._find_fonts_by_props(prop))
    for table_name, gap_key, ascent_key, descent_key in (
        ("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
        ("hhea", "lineGap", "ascent", "descent"),
    ):
        table = font.get_sfnt_table(table_name)
        if table is None:
            continue
        scale = 1 / font.get_sfnt_table("head")["unitsPerEm"] * prop.get_size_in_points() * dpi / 72
        return table[ascent_key] * scale, -table[descent_key] * scale, table[gap_key] * scale
    return None, None, None


def _cache_font_height_metrics() -> None:
    """Give the Agg renderer a cached font-height lookup.

    matplotlib 3.11 reads the font's OS/2 and head tables for every text it lays out (about 32 000 times
    while the book builds, ~70 µs each with the Japanese font list) unless the renderer offers
    ``_get_font_height_metrics``; Agg does not. With this cache the 35 figures of the book render 1.3–1.6 s
    faster, pixel for pixel the same (``tests/test_plotting.py`` compares them). If matplotlib ever gives
    Agg its own method, this steps aside.
    """
    from matplotlib.backends.backend_agg import RendererAgg

    if not hasattr(RendererAgg, "_get_font_height_metrics"):
        RendererAgg._get_font_height_metrics = _cached_font_height_metrics


def _cached_font_height_metrics(renderer: Any, prop: FontProperties) -> tuple[float | None, ...]:
    return _font_height_metrics(prop.copy(), renderer.dpi)  # a copy: FontProperties is mutable


_cache_font_height_metrics()


def _one_draw_per_inline_figure() -> None:
    """In Jupyter, skip the inline backend's measuring draw and compress PNGs quickly.

    The inline backend saves figures with ``bbox_inches="tight"``, which draws the whole figure once more
    just to measure it. The book's figures lay themselves out (constrained layout, or fixed margins in the
    comparison chapter), so that drawing is wasted: about 0.3 s per six-panel figure, a tenth of the book's
    build. PNGs are written with zlib level 1 instead of 6: the same pixels, 0.3–0.4 s less for the book's
    35 figures (the site re-saves its images as palette PNGs anyway). Outside an IPython kernel with the
    inline backend this does nothing.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with Jupyter
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "kernel"):
        return
    if "inline" not in str(matplotlib.rcParams["backend"]):  # resolves the backend, activating the inline one
        return
    from matplotlib_inline.config import InlineBackend

    config = InlineBackend.instance()
    kwargs = dict(config.print_figure_kwargs)
    if kwargs.get("bbox_inches") == "tight":
        kwargs["bbox_inches"] = None
    kwargs.setdefault("pil_kwargs", {"compress_level": 1})
    config.print_figure_kwargs = kwargs  # IPython registers its PNG formatter again with these
    _describe_inline_pngs(shell, kwargs)


def _describe_inline_pngs(shell: Any, kwargs: dict[str, Any]) -> None:
    """Write :func:`figure_description` into every inline PNG (a ``Description`` text chunk).

    The book's HTML pages use it as the image's ``alt`` text (``_ext/lropt_site.py``); without it myst-nb
    gives each figure its file name, which a screen reader reads out as a long hash.
    """
    from IPython.core.pylabtools import print_figure

    def png(fig: Figure) -> Any:
        return print_figure(
            fig, "png", base64=True, metadata={"Description": figure_description(fig)}, **kwargs
        )

    shell.display_formatter.formatters["image/png"].for_type(Figure, png)


_TEX_SYMBOLS = {
    r"\eta": "η", r"\mu": "μ", r"\rho": "ρ", r"\theta": "θ", r"\beta": "β", r"\alpha": "α",
    r"\lambda": "λ", r"\nabla": "∇", r"\sqrt": "√", r"\infty": "∞", r"\leq": "≤", r"\geq": "≥",
    r"\times": "×", r"\cdot": "·",
}  # fmt: skip


def _plain(text: str) -> str:
    """A title as a screen reader should hear it: mathtext ``$R_t$`` becomes ``R_t``, ``\\eta`` becomes η."""
    text = text.replace("$", "")
    for tex, char in _TEX_SYMBOLS.items():
        text = re.sub(re.escape(tex) + r"(?![A-Za-z])", char, text)
    text = re.sub(r"\\[,;:! ]", " ", text)  # spacing commands
    text = re.sub(r"\\[A-Za-z]+ ?", "", text)  # other commands (\\mathrm …) go; their argument stays
    return " ".join(text.replace("{", "").replace("}", "").replace("\\", "").split())


def figure_description(fig: Figure) -> str:
    """A short Japanese description of ``fig`` for readers who cannot see it (the ``alt`` text of the page).

    The figure's title and each visible panel's title; a panel without a title is described by its axis
    labels. For example 「図（2 つのグラフ）: ゼロつくの楕円 f = x²/20 + y²／最小値との差」.
    """
    axes = [ax for ax in fig.axes if ax.get_visible() and not hasattr(ax, "_colorbar")]
    panels = []
    for ax in axes:
        title = " ".join(t for t in (ax.get_title("left"), ax.get_title(), ax.get_title("right")) if t)
        if not title and ax.axison:
            labels = [("横軸", ax.get_xlabel()), ("縦軸", ax.get_ylabel())]
            title = "、".join(f"{name} {label}" for name, label in labels if label)
        if title:
            panels.append(_plain(title))
    suptitle = fig.get_suptitle()
    count = sum(1 for ax in axes if ax.axison)
    head = f"図（{count} つのグラフ）" if count > 1 else "図"
    body = "／".join(([_plain(suptitle)] if suptitle else []) + panels)
    return f"{head}: {body}" if body else head


_one_draw_per_inline_figure()

# Okabe–Ito palette (readable for colour-blind readers); one colour + marker per method in every chapter.
METHOD_STYLES: dict[str, dict[str, Any]] = {
    "SGD": {"color": "#0072B2", "marker": "o", "label": "SGD"},
    "Momentum": {"color": "#D55E00", "marker": "s", "label": "モメンタム"},
    "AdaGrad": {"color": "#009E73", "marker": "^", "label": "AdaGrad"},
    "RMSProp": {"color": "#CC79A7", "marker": "D", "label": "RMSProp"},
    "Adam": {"color": "#E69F00", "marker": "v", "label": "Adam"},
    "SGD+減衰": {"color": "#56B4E9", "marker": "P", "label": "SGD＋学習率減衰"},
}
METHOD_ORDER: tuple[str, ...] = ("SGD", "Momentum", "AdaGrad", "RMSProp", "Adam")


def method_style(method: str) -> dict[str, Any]:
    """Colour, marker and Japanese label of ``method`` (a key of :data:`METHOD_STYLES`)."""
    try:
        return dict(METHOD_STYLES[method])
    except KeyError:
        raise ValueError(
            f"引数 method には {', '.join(METHOD_STYLES)} のいずれかを指定してください。受け取った値: {method!r}"
        ) from None


def new_figure(ncols: int = 1, width: float = 6.4, height: float = 4.2, **kwargs: Any) -> tuple[Figure, Any]:
    """A pyplot-free figure (safe inside sliders: nothing is shown twice) with ``ncols`` axes."""
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(1, ncols, **kwargs)
    return fig, axes


def draw_surface(
    ax: Axes,
    surface: Surface,
    levels: Any = None,
    resolution: int = 200,
    show_minima: bool = True,
    legend_minima: bool = True,
) -> None:
    """Contour lines of a 2-D ``surface`` with its global minimum (★) and local minima (☆) marked.

    Axis limits are fixed to the surface's window so that updated paths never rescale the picture.
    """
    (x0, x1), (y0, y1) = surface.xlim, surface.ylim
    xs = np.linspace(x0, x1, resolution)
    ys = np.linspace(y0, y1, resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    z = surface.f(np.stack([grid_x, grid_y]))
    lv = surface.levels() if levels is None else levels
    ax.contour(grid_x, grid_y, z, levels=lv, colors="0.55", linewidths=0.7, alpha=0.9)
    if show_minima:
        m = np.asarray(surface.minimum, dtype=float)
        ax.plot(
            m[0],
            m[1],
            marker="*",
            color="black",
            markersize=13,
            linestyle="none",
            label="最小値" if legend_minima else None,
            zorder=5,
        )
        for k, loc in enumerate(getattr(surface, "local_minima", ())):
            loc = np.asarray(loc, dtype=float)
            ax.plot(
                loc[0],
                loc[1],
                marker="*",
                markerfacecolor="white",
                markeredgecolor="black",
                markersize=12,
                linestyle="none",
                label="局所最適解" if (legend_minima and k == 0) else None,
                zorder=5,
            )
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_autoscale_on(False)
    ax.set_xlabel("$x$")
    ax.set_ylabel("$y$")
    ax.set_title(surface.title)


def draw_surface_1d(ax: Axes, surface: Surface, resolution: int = 400) -> None:
    """The curve of a 1-D ``surface`` f(x) with its minimum marked; limits fixed."""
    x0, x1 = surface.xlim
    xs = np.linspace(x0, x1, resolution)
    ax.plot(xs, surface.f(xs[np.newaxis]), color="0.4", linewidth=1.2)
    m = float(np.asarray(surface.minimum).ravel()[0])
    ax.plot(m, surface.minimum_value, marker="*", color="black", markersize=13, linestyle="none", zorder=5)
    ax.set_xlim(x0, x1)
    ax.set_ylim(*surface.ylim)
    ax.set_autoscale_on(False)
    ax.set_xlabel("$x$")
    ax.set_ylabel("$f(x)$")
    ax.set_title(surface.title)


def path_line(ax: Axes, method: str = "SGD", label: str | None = None, **overrides: Any) -> Line2D:
    """An (empty) path artist in ``method``'s colour and marker; fill it with :func:`set_path`."""
    style = method_style(method)
    kwargs: dict[str, Any] = {
        "color": style["color"],
        "marker": style["marker"],
        "markersize": 4,
        "linewidth": 1.4,
        "label": style["label"] if label is None else label,
        "zorder": 4,
    }
    kwargs.update(overrides)
    (line,) = ax.plot([], [], **kwargs)
    return line


def set_path(line: Line2D, trajectory: Trajectory | np.ndarray) -> None:
    """Replace the data of a path artist with a trajectory (or an array of points, shape (n, 2) or (n,))."""
    path = trajectory.path if isinstance(trajectory, Trajectory) else np.asarray(trajectory, dtype=float)
    if path.ndim == 1 or path.shape[1] == 1:
        line.set_data(np.arange(len(path)), path.reshape(-1))
    else:
        line.set_data(path[:, 0], path[:, 1])


def status_text(ax: Axes, x: float = 0.03, y: float = 0.95, **overrides: Any) -> Text:
    """A text artist in axes coordinates for a run's status (「発散」 in red, otherwise black)."""
    kwargs: dict[str, Any] = {
        "transform": ax.transAxes,
        "ha": "left",
        "va": "top",
        "fontsize": 12,
        "zorder": 6,
        "bbox": {"boxstyle": "round,pad=0.25", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
    }
    kwargs.update(overrides)
    return ax.text(x, y, "", **kwargs)


def set_status(text: Text, trajectory: Trajectory, prefix: str = "") -> None:
    """Write a trajectory's Japanese status into ``text``; red when it diverged."""
    text.set_text(f"{prefix}{trajectory.status}")
    text.set_color("#C00000" if trajectory.diverged else "black")


_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_of_ten(exponent: int) -> str:
    """10⁻⁴ for ``exponent`` −4: a power of ten with superscript digits, as on a log axis."""
    return "10" + str(int(exponent)).translate(_SUPERSCRIPTS)


def number_text(value: float, digits: int = 3) -> str:
    """``value`` to ``digits`` significant digits as the book writes numbers: 10⁻⁸, 3.2×10⁻⁸, −13.8.

    Python's ``1e-08`` and the ASCII hyphen are replaced by a power of ten and the minus sign U+2212, as on
    the figures' axes.
    """
    text = f"{value:.{digits}g}"
    if "e" in text and math.isfinite(value):
        mantissa, exponent = text.split("e")
        power = power_of_ten(int(exponent))
        sign = "-" if mantissa.startswith("-") else ""
        mantissa = mantissa.lstrip("-")
        text = sign + (power if mantissa == "1" else f"{mantissa}×{power}")
    return text.replace("-", "−")


def outside_text(ax: Axes, path: np.ndarray, who: str = "") -> str:
    """「{who}枠の外まで飛び出します（最も外の点 (x, y)）」 when ``path`` leaves ``ax``'s window, else ""."""
    points = np.asarray(path, dtype=float).reshape(-1, 2)
    points = points[np.all(np.isfinite(points), axis=1)]
    if not len(points):
        return ""
    x0, x1 = sorted(ax.get_xlim())
    y0, y1 = sorted(ax.get_ylim())
    xs, ys = points[:, 0], points[:, 1]
    excess = np.max([x0 - xs, xs - x1, y0 - ys, ys - y1], axis=0)  # > 0 outside the window
    k = int(np.argmax(excess))
    if excess[k] <= 0:
        return ""
    far = points[k]
    return f"{who}枠の外まで飛び出します（最も外の点 ({number_text(far[0])}, {number_text(far[1])})）"


def outside_notes(ax: Axes, runs: list[tuple[str, Trajectory]]) -> str:
    """:func:`outside_text` for each ``(who, trajectory)`` that did not diverge (「発散」 is labelled already),
    one per line: a run that leaves the window without diverging would otherwise vanish silently."""
    notes = (outside_text(ax, traj.path, who) for who, traj in runs if not traj.diverged)
    return "\n".join(note for note in notes if note)


def theta_text(value: float) -> str:
    """θ as the prose writes it on a slider: 10⁻⁸, 3.2×10⁻⁸ (two significant digits)."""
    return number_text(value, 2)
