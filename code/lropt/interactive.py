"""Sliders that work twice: live in Jupyter, and without a kernel on the static site (スライダー).

An :class:`Explorer` is a matplotlib figure whose *static* part (contours, axes, labels) is drawn once and whose
*dynamic* artists (paths, status texts) are set by an ``update(**values)`` callback for the current slider
values. Displaying it produces one output bundle with

* ``application/vnd.jupyter.widget-view+json`` — ipywidgets sliders and an ``Image`` whose PNG bytes the callback
  replaces (no ``Output`` widget: those stall notebook execution, see DESIGN §9). Redraws blit: the background is
  rendered once and only the dynamic artists are drawn again.
* ``text/html`` — the same sliders as ``<input type="range">`` over a grid of values, the background as one PNG
  and the dynamic artists of every grid point as SVG path data, swapped by a few lines of inline JavaScript. No
  kernel, no CDN, a few kB per frame.

The book's ``_config.yml`` prefers ``text/html`` on the website; JupyterLab shows the live widget.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import itertools
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.markers import MarkerStyle
from matplotlib.path import Path
from matplotlib.text import Text
from PIL import Image

from ._validation import check_real

__all__ = [
    "Slider",
    "NearOneSlider",
    "Explorer",
    "log_grid",
    "linear_grid",
    "near_one_grid",
    "thin_path",
    "simplify_curve",
    "static_payload",
]

RENDER_DPI = 150  # pixels of the PNGs (sharp on high-density screens)
DISPLAY_DPI = 100  # CSS pixels per figure inch on the page


def linear_grid(low: float, high: float, count: int) -> tuple[float, ...]:
    """``count`` evenly spaced slider values from ``low`` to ``high``, rounded for display."""
    return tuple(float(f"{v:.6g}") for v in np.linspace(low, high, count))


def log_grid(low: float, high: float, count: int) -> tuple[float, ...]:
    """``count`` log-spaced slider values from ``low`` to ``high``, rounded for display."""
    return tuple(float(f"{v:.3g}") for v in np.geomspace(low, high, count))


@dataclass(frozen=True)
class Slider:
    """One slider: its keyword ``name`` in ``update``, its Japanese ``label`` and its grid of ``values``.

    The live ipywidgets slider covers ``[min(values), max(values)]`` continuously (in ``step`` increments; on a
    log10 scale when ``log``); a log slider whose ``fmt`` is a function (θ: 10⁻⁸, 3.2×10⁻⁸) has instead
    eight positions per decade, each labelled by ``fmt`` (:meth:`live_values`). The static page offers
    exactly ``values``.
    """

    name: str
    label: str
    values: tuple[float, ...]
    value: float
    log: bool = False
    step: float | None = None
    fmt: str | Callable[[float], str] = "{:.3g}"

    def text(self, value: float) -> str:
        """``value`` as the page labels it: ``fmt.format(value)``, or ``fmt(value)`` when ``fmt`` is a function."""
        return self.fmt(value) if callable(self.fmt) else self.fmt.format(value)

    def __post_init__(self) -> None:
        vals = tuple(check_real(f"{self.name} の値", v) for v in self.values)
        if len(vals) < 2 or any(b <= a for a, b in zip(vals, vals[1:], strict=False)):
            raise ValueError(
                f"スライダー {self.name} の values は 2 個以上の昇順に並んだ値でなければなりません。受け取った値: {vals}"
            )
        if self.log and vals[0] <= 0:
            raise ValueError(
                f"対数スライダー {self.name} の values は正でなければなりません。受け取った値: {vals[0]}"
            )
        value = check_real(self.name, self.value)
        if not vals[0] <= value <= vals[-1]:
            raise ValueError(
                f"スライダー {self.name} の初期値は {vals[0]} 以上 {vals[-1]} 以下でなければなりません。"
                f"受け取った値: {value}"
            )
        object.__setattr__(self, "values", vals)
        object.__setattr__(self, "value", value)

    @property
    def initial_index(self) -> int:
        """Index of the grid value closest to ``value`` (in log space for log sliders)."""
        vals = np.asarray(self.values)
        if self.log:
            return int(np.argmin(np.abs(np.log(vals) - math.log(self.value))))
        return int(np.argmin(np.abs(vals - self.value)))

    def live_values(self) -> tuple[float, ...]:
        """Positions of the live slider when it is a ``SelectionSlider`` (a log slider whose ``fmt`` is a
        function): eight per decade, rounded like :func:`log_grid`, together with ``values``."""
        decades = math.log10(self.values[-1] / self.values[0])
        grid = log_grid(self.values[0], self.values[-1], max(2, round(decades * 8) + 1))
        return tuple(sorted(set(grid) | set(self.values)))

    def live_widget(self) -> Any:
        import ipywidgets as widgets

        if self.log and callable(self.fmt):
            # ipywidgets' readout is a d3 format string and cannot write 10⁻⁸: label every position with fmt,
            # as the static page does
            options = self.live_values()
            distance = [abs(math.log(v / self.value)) for v in options]
            return _selection_slider(self, options, int(np.argmin(distance)))
        common = {
            "description": self.label,
            "style": {"description_width": "initial"},
            "layout": widgets.Layout(width="min(100%, 640px)"),
            "continuous_update": True,
            "readout_format": ".3g",
        }
        lo, hi = self.values[0], self.values[-1]
        if self.log:
            lo_e, hi_e = math.log10(lo), math.log10(hi)
            step = self.step if self.step is not None else (hi_e - lo_e) / 200
            return widgets.FloatLogSlider(value=self.value, base=10, min=lo_e, max=hi_e, step=step, **common)
        step = self.step if self.step is not None else (hi - lo) / 200
        return widgets.FloatSlider(value=self.value, min=lo, max=hi, step=step, **common)


def near_one_grid(low: float, high: float, per_decade: int) -> tuple[float, ...]:
    """Values 1 − 10⁻ᵏ from ``low`` to ``high`` (both < 1), ``per_decade`` per factor 10 of 1 − value.

    ``near_one_grid(0.9, 0.9999, 1)`` is ``(0.9, 0.99, 0.999, 0.9999)``: even steps in log₁₀(1 − value), the
    natural scale of a decay rate whose memory is about 1/(1 − value) steps.
    """
    if not 0 <= low < high < 1:
        raise ValueError(
            f"引数 low, high は 0 ≤ low < high < 1 を満たさなければなりません。受け取った値: {low}, {high}"
        )
    k_low, k_high = -math.log10(1 - low), -math.log10(1 - high)
    count = max(2, round((k_high - k_low) * per_decade) + 1)
    return tuple(float(f"{1 - 10**-k:.10g}") for k in np.linspace(k_low, k_high, count))


@dataclass(frozen=True)
class NearOneSlider(Slider):
    """A slider for a value just below 1 (β₂): positions even in log₁₀(1 − value), live and static.

    The static page offers ``values``; the live slider (an ipywidgets ``SelectionSlider``) offers the same
    range, ``min(values)`` … ``max(values)``, as :func:`near_one_grid` with ``per_decade`` positions per decade
    together with ``values`` themselves, labelled with ``fmt``.
    """

    per_decade: int = 20

    def live_values(self) -> tuple[float, ...]:
        """The positions of the live slider, ascending, from ``min(values)`` to ``max(values)``."""
        grid = set(near_one_grid(self.values[0], self.values[-1], self.per_decade))
        return tuple(sorted(grid | set(self.values)))

    def live_widget(self) -> Any:
        options = self.live_values()
        distance = [abs(math.log10((1 - v) / (1 - self.value))) for v in options]
        return _selection_slider(self, options, int(np.argmin(distance)))


def _selection_slider(slider: Slider, options: tuple[float, ...], initial: int) -> Any:
    """An ipywidgets ``SelectionSlider`` over ``options``, each labelled ``slider.text(value)``."""
    import ipywidgets as widgets

    return widgets.SelectionSlider(
        options=[(slider.text(v), v) for v in options],
        value=options[initial],
        description=slider.label,
        style={"description_width": "initial"},
        layout=widgets.Layout(width="min(100%, 640px)"),
        continuous_update=True,
    )


class Explorer:
    """A figure with sliders, rendered live (ipywidgets) and statically (HTML/SVG/JS).

    Args:
        figure: a :class:`matplotlib.figure.Figure` (not pyplot) with all static content drawn and fixed limits.
        sliders: the sliders, in display order.
        update: ``update(**values) -> str | None`` sets the data of the dynamic artists for the given slider
            values and may return a status line (Japanese) shown under the figure.
        artists: the dynamic artists (``Line2D`` or ``Text``); everything else is background.
        title: a short description, used as the image's alternative text.
    """

    def __init__(
        self,
        figure: Figure,
        sliders: Sequence[Slider],
        update: Callable[..., str | None],
        artists: Sequence[Artist],
        title: str = "",
    ) -> None:
        if not sliders:
            raise ValueError("Explorer には少なくとも 1 つの Slider が必要です。")
        for a in artists:
            if not isinstance(a, Line2D | Text):
                raise TypeError(
                    f"動的なアーティストは Line2D か Text に限られます（静的ページで SVG に変換するため）。"
                    f"受け取った値: {type(a).__name__}"
                )
        self.figure = figure
        self.sliders = tuple(sliders)
        self.update = update
        self.artists = tuple(artists)
        self.title = title
        figure.set_dpi(RENDER_DPI)
        self._canvas = FigureCanvasAgg(figure)
        self._background: Any = None

    # ------------------------------------------------------------------ rendering
    def _render_background(self) -> None:
        for a in self.artists:
            a.set_visible(False)
        self._canvas.draw()
        self._background = self._canvas.copy_from_bbox(self.figure.bbox)
        self._background_png = self._canvas_png(colors=64)
        for a in self.artists:
            a.set_visible(True)

    def _canvas_png(self, colors: int | None = None) -> bytes:
        """The canvas as PNG: fast for live redraws, or palette-quantised (``colors``) for the static page."""
        buf = self._canvas.buffer_rgba()
        image = Image.frombuffer(
            "RGBA", (buf.shape[1], buf.shape[0]), bytes(buf), "raw", "RGBA", 0, 1
        ).convert("RGB")
        out = io.BytesIO()
        if colors is None:
            image.save(out, format="png", compress_level=1)
        else:
            # octree keeps the few saturated method colours exact (median cut turned orange brown)
            image.quantize(colors, method=Image.Quantize.FASTOCTREE).save(out, format="png", optimize=True)
        return out.getvalue()

    def _background_png_bytes(self) -> bytes:
        if self._background is None:
            self._render_background()
        return self._background_png

    def apply(self, **values: float) -> str:
        """Set the dynamic artists for ``values`` (missing names take their initial value); return the status."""
        full = {s.name: s.value for s in self.sliders}
        full.update(values)
        return self.update(**full) or ""

    def render_png(self, **values: float) -> bytes:
        """PNG bytes of the figure for ``values``: background restored, dynamic artists drawn on top (blit)."""
        return self._render(values)[0]

    def _render(self, values: dict[str, float]) -> tuple[bytes, str]:
        """The PNG for ``values`` and the status line, from one run of ``update``."""
        if self._background is None:
            self._render_background()
        status = self.apply(**values)
        self._canvas.restore_region(self._background)
        renderer = self._canvas.get_renderer()
        for a in sorted(self.artists, key=lambda art: art.get_zorder()):
            a.draw(renderer)
        return self._canvas_png(), status

    # ------------------------------------------------------------------ live (Jupyter)
    def widget(self) -> Any:
        """The live ipywidgets control: sliders, an Image with the figure, a status line."""
        import ipywidgets as widgets

        controls = [s.live_widget() for s in self.sliders]
        width_px = int(round(self.figure.get_figwidth() * DISPLAY_DPI))
        image = widgets.Image(format="png", layout=widgets.Layout(width=f"{width_px}px", max_width="100%"))
        status = widgets.HTML()

        def redraw(_change: Any = None) -> None:
            values = {s.name: c.value for s, c in zip(self.sliders, controls, strict=True)}
            png, text = self._render(values)  # one optimisation run per slider move
            image.value = png
            status.value = f"<span>{html.escape(text)}</span>"

        for c in controls:
            c.observe(redraw, names="value")
        redraw()
        return widgets.VBox([*controls, image, status])

    # ------------------------------------------------------------------ static (website)
    def _frame(self, values: dict[str, float], height: float) -> dict[str, Any]:
        status = self.apply(**values)
        width = self.figure.bbox.width
        data: list[Any] = []
        for a in self.artists:
            if isinstance(a, Line2D):
                data.append(_line_path(a, height, width) if a.get_visible() else "")
            else:
                data.append(_text_state(a, height))
        return {"a": data, "s": status}

    def frames(self) -> list[dict[str, Any]]:
        """The static frames, one per point of the slider grid (first slider varies slowest)."""
        self._background_png_bytes()
        height = self.figure.bbox.height
        frames = []
        for combo in itertools.product(*(s.values for s in self.sliders)):
            values = dict(zip((s.name for s in self.sliders), combo, strict=True))
            frames.append(self._frame(values, height))
        return frames

    def to_html(self) -> str:
        """Self-contained HTML (no kernel, no CDN) with the same sliders over the static grid."""
        png = self._background_png_bytes()
        width, height = self.figure.bbox.width, self.figure.bbox.height
        frames = self.frames()
        spec = {
            "sliders": [
                {"label": s.label, "values": list(s.values), "labels": [s.text(v) for v in s.values]}
                for s in self.sliders
            ],
            "kinds": ["line" if isinstance(a, Line2D) else "text" for a in self.artists],
            "frames": frames,
        }
        payload = json.dumps(spec, ensure_ascii=False, separators=(",", ":"))
        uid = "lropt-" + hashlib.sha1(payload.encode() + png).hexdigest()[:10]
        svg = _svg_layer(self.artists, width, height, uid)
        controls = "".join(
            f'<label class="lropt-control"><span class="lropt-label">{html.escape(s.label)}</span>'
            f'<input type="range" min="0" max="{len(s.values) - 1}" step="1" value="{s.initial_index}" '
            f'aria-label="{html.escape(s.label)}">'
            f"<output>{html.escape(s.text(s.values[s.initial_index]))}</output></label>"
            for s in self.sliders
        )
        display_w = int(round(self.figure.get_figwidth() * DISPLAY_DPI))
        b64 = base64.b64encode(png).decode()
        return (
            f'<div class="lropt-explorer" id="{uid}">{_STYLE}'
            f'<div class="lropt-controls">{controls}</div>'
            f'<div class="lropt-figure" style="max-width:{display_w}px">'
            f'<img src="data:image/png;base64,{b64}" alt="{html.escape(self.title)}" '
            f'width="{int(width)}" height="{int(height)}">{svg}</div>'
            f'<div class="lropt-status" aria-live="polite"></div>'
            f'<script type="application/json" class="lropt-data">{_script_safe(payload)}</script>'
            f"<script>{_SCRIPT.replace('__UID__', uid)}</script></div>"
        )

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle = dict(self.widget()._repr_mimebundle_())
        bundle["text/html"] = self.to_html()
        bundle["text/plain"] = (
            f"<{self.title or 'Explorer'}: " + "、".join(s.label for s in self.sliders) + ">"
        )
        return bundle


# ---------------------------------------------------------------------- SVG helpers
def _fmt(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def _clip_segment(
    p: Sequence[float], q: Sequence[float], lo: Sequence[float], hi: Sequence[float]
) -> tuple[float, float] | None:
    """The parameters t0 ≤ t1 of the part of p + t (q − p), 0 ≤ t ≤ 1, inside the box [lo, hi]
    (Liang–Barsky), or None when the segment misses the box."""
    t0, t1 = 0.0, 1.0
    for a, b, low, high in zip(p, q, lo, hi, strict=True):
        d = b - a
        if d == 0:
            if a < low or a > high:
                return None
            continue
        ta, tb = (low - a) / d, (high - a) / d
        t0, t1 = max(t0, min(ta, tb)), min(t1, max(ta, tb))
        if t0 > t1:
            return None
    return t0, t1


def _line_path(line: Line2D, height: float, width: float) -> str:
    """SVG path data (pixel coordinates, y down) of a line's points; non-finite points break the path.

    Points far outside the figure (a diverging run) are replaced by the points where their segments leave
    a box of three times the figure's size, so every visible piece keeps its direction (clamping x and y
    separately would bend it) and the numbers stay small. Markers there fall outside the axes' clip box.
    """
    xy = np.column_stack(line.get_data()).astype(float) if len(line.get_xdata()) else np.empty((0, 2))
    if xy.size == 0:
        return ""
    with np.errstate(invalid="ignore", over="ignore"):
        pix = line.get_transform().transform(xy)
    ok = np.all(np.isfinite(pix), axis=1)
    span = np.array([width, height])
    lo, hi = -span, 2 * span
    inside = ok & np.all((pix >= lo) & (pix <= hi), axis=1)
    parts: list[str] = []
    pen_at = -1  # index of the point the pen rests on; -1 when it is lifted
    # Python floats and lists: the same IEEE arithmetic as NumPy's scalars, several times faster per point
    pts, ok, inside = pix.tolist(), ok.tolist(), inside.tolist()
    box_lo, box_hi = lo.tolist(), hi.tolist()

    def point(cmd: str, x: float, y: float) -> None:
        parts.append(cmd + _fmt(x) + " " + _fmt(height - y))

    for i, q in enumerate(pts):
        if not ok[i]:
            pen_at = -1
            continue
        if i == 0 or not ok[i - 1]:  # a path starts here
            if inside[i]:
                point("M", *q)
                pen_at = i
            continue
        if inside[i] and inside[i - 1] and pen_at == i - 1:  # the whole segment is in the box
            point("L", *q)
            pen_at = i
            continue
        p = pts[i - 1]
        piece = _clip_segment(p, q, box_lo, box_hi)
        if piece is None:
            pen_at = -1
            continue
        t0, t1 = piece
        if not (t0 == 0.0 and pen_at == i - 1):
            point("M", p[0] + t0 * (q[0] - p[0]), p[1] + t0 * (q[1] - p[1]))
        if t1 == 1.0:
            point("L", *q)
        else:
            point("L", p[0] + t1 * (q[0] - p[0]), p[1] + t1 * (q[1] - p[1]))
        pen_at = i if t1 == 1.0 else -1
    return "".join(parts)


def _text_state(text: Text, height: float) -> list[Any]:
    x, y = text.get_transform().transform(text.get_position())
    return [
        _fmt(x),
        _fmt(height - y),
        text.get_text() if text.get_visible() else "",
        to_hex(text.get_color()),
    ]


def _marker_path(marker: Any, size_px: float) -> str:
    style = MarkerStyle(marker)
    path: Path = style.get_path().transformed(style.get_transform())
    scale = size_px
    parts = []
    for vertices, code in path.iter_segments(simplify=False, curves=True):
        pts = vertices.reshape(-1, 2) * [scale, -scale]
        coords = " ".join(f"{_fmt(px)} {_fmt(py)}" for px, py in pts)
        letter = {Path.MOVETO: "M", Path.LINETO: "L", Path.CURVE3: "Q", Path.CURVE4: "C"}.get(code)
        if code == Path.CLOSEPOLY:
            parts.append("Z")
        elif letter:
            parts.append(letter + coords)
    return "".join(parts)


_DASHES = {"--": (3.7, 1.6), ":": (1.0, 1.65), "-.": (6.4, 1.6, 1.0, 1.6)}


def _svg_layer(artists: Sequence[Artist], width: float, height: float, uid: str) -> str:
    px_per_pt = RENDER_DPI / 72.0
    defs: list[str] = []
    body: list[str] = []
    clips: dict[tuple[float, ...], str] = {}
    for i, a in enumerate(artists):
        clip_attr = ""
        box = a.get_clip_box() if a.get_clip_on() else None
        if box is not None:
            key = tuple(round(v, 1) for v in box.bounds)
            if key not in clips:
                cid = f"{uid}-clip{len(clips)}"
                clips[key] = cid
                x0, y0, w, h = box.bounds
                defs.append(
                    f'<clipPath id="{cid}"><rect x="{_fmt(x0)}" y="{_fmt(height - y0 - h)}" '
                    f'width="{_fmt(w)}" height="{_fmt(h)}"/></clipPath>'
                )
            clip_attr = f' clip-path="url(#{clips[key]})"'
        alpha = a.get_alpha()
        opacity = "" if alpha is None else f' opacity="{alpha:.3g}"'
        if isinstance(a, Line2D):
            color = to_hex(a.get_color())
            lw = a.get_linewidth() * px_per_pt
            ls = a.get_linestyle()
            stroke = "none" if ls in ("None", "none", "", " ") else color
            dash = ""
            if ls in _DASHES:
                dash = ' stroke-dasharray="' + ",".join(_fmt(d * lw) for d in _DASHES[ls]) + '"'
            marker_attr = ""
            m = a.get_marker()
            if m not in (None, "None", "none", "", " "):
                mid = f"{uid}-m{i}"
                size = a.get_markersize() * px_per_pt
                face = a.get_markerfacecolor()
                fill = "none" if face in ("none", "None") else to_hex(face)
                edge = to_hex(a.get_markeredgecolor())
                mew = a.get_markeredgewidth() * px_per_pt
                ext = size + mew + 2
                defs.append(
                    f'<marker id="{mid}" markerUnits="userSpaceOnUse" markerWidth="{_fmt(2 * ext)}" '
                    f'markerHeight="{_fmt(2 * ext)}" viewBox="{_fmt(-ext)} {_fmt(-ext)} {_fmt(2 * ext)} '
                    f'{_fmt(2 * ext)}" refX="0" refY="0" overflow="visible">'
                    f'<path d="{_marker_path(m, size)}" fill="{fill}" stroke="{edge}" '
                    f'stroke-width="{_fmt(mew)}"/></marker>'
                )
                marker_attr = f' marker-start="url(#{mid})" marker-mid="url(#{mid})" marker-end="url(#{mid})"'
            body.append(
                f'<path data-i="{i}" d="" fill="none" stroke="{stroke}" stroke-width="{_fmt(lw)}" '
                f'stroke-linejoin="round" stroke-linecap="round"{dash}{marker_attr}{opacity}{clip_attr}/>'
            )
        else:
            t: Text = a  # type: ignore[assignment]
            size = t.get_fontsize() * px_per_pt
            anchor = {"left": "start", "center": "middle", "right": "end"}[t.get_horizontalalignment()]
            baseline = {
                "top": "hanging",
                "center": "central",
                "center_baseline": "central",
                "bottom": "text-after-edge",
                "baseline": "alphabetic",
            }[t.get_verticalalignment()]
            halo = (
                ' stroke="white" stroke-width="5" stroke-opacity="0.85" paint-order="stroke"'
                if t.get_bbox_patch()
                else ""
            )
            weight = ' font-weight="bold"' if str(t.get_fontweight()) in ("bold", "700", "heavy") else ""
            body.append(
                f'<text data-i="{i}" font-size="{_fmt(size)}" text-anchor="{anchor}" '
                f'dominant-baseline="{baseline}"{halo}{weight}{opacity}{clip_attr}></text>'
            )
    return (
        f'<svg viewBox="0 0 {_fmt(width)} {_fmt(height)}" preserveAspectRatio="none" aria-hidden="true">'
        f"<defs>{''.join(defs)}</defs>{''.join(body)}</svg>"
    )


_PAYLOAD = re.compile(r'<script type="application/json" class="lropt-data">(.*?)</script>', re.S)


_THIN = 0.004  # fraction of the axes: about 1.5 px on the page, less than a marker


def thin_path(points: np.ndarray, scale: Sequence[float], min_move: float = _THIN) -> np.ndarray:
    """Drop the points that lie within ``min_move`` (in units of ``scale`` per axis) of the last point kept.

    A point so close to the previous one is drawn within about a pixel of it, under its marker; dropping it keeps
    the picture and makes the static page lighter. The first and the last point are always kept.
    """
    pts = np.asarray(points, dtype=float)
    if len(pts) <= 2:
        return pts
    span = [float(v) for v in scale]
    rows = pts.tolist()  # Python floats: the same arithmetic as NumPy's, without a call per point
    keep = [0]
    last = rows[0]
    for i in range(1, len(rows) - 1):
        row = rows[i]
        if max(abs(a - b) / s for a, b, s in zip(row, last, span, strict=True)) >= min_move:
            keep.append(i)
            last = row
    keep.append(len(pts) - 1)
    return pts[keep]


def simplify_curve(points: np.ndarray, scale: Sequence[float], tolerance: float = _THIN) -> np.ndarray:
    """Ramer–Douglas–Peucker: a subset of the points whose polyline stays within ``tolerance`` of every point.

    Distances are measured in units of ``scale`` per axis (fractions of the axes, about a pixel for the
    default): a line drawn without markers looks the same, with far fewer points on the static page.
    """
    pts = np.asarray(points, dtype=float)
    if len(pts) <= 2:
        return pts
    unit = pts / np.asarray(scale, dtype=float)
    keep = np.zeros(len(pts), dtype=bool)
    keep[[0, -1]] = True
    stack = [(0, len(pts) - 1)]
    while stack:
        first, last = stack.pop()
        if last - first < 2:
            continue
        a, b = unit[first], unit[last]
        inner = unit[first + 1 : last]
        chord = b - a
        length = float(np.hypot(*chord))
        if length == 0.0:
            dist = np.hypot(*(inner - a).T)
        else:
            dist = np.abs(chord[0] * (inner[:, 1] - a[1]) - chord[1] * (inner[:, 0] - a[0])) / length
        worst = int(np.argmax(dist))
        if dist[worst] > tolerance:
            mid = first + 1 + worst
            keep[mid] = True
            stack += [(first, mid), (mid, last)]
    return pts[keep]


def static_payload(page: str) -> dict[str, Any]:
    """The sliders and frames embedded in an :meth:`Explorer.to_html` page (for tests and tools)."""
    found = _PAYLOAD.search(page)
    if found is None:
        raise ValueError("この HTML には Explorer の静的フレーム（lropt-data）が含まれていません。")
    return json.loads(found.group(1).replace("<\\/", "</"))


def _script_safe(payload: str) -> str:
    return payload.replace("</", "<\\/")


_STYLE = (
    "<style>"
    # the theme keeps outputs light in dark mode; native controls must match (no dark slider on a light panel)
    ".lropt-explorer{margin:1em 0;font-family:inherit;color-scheme:light}"
    ".lropt-controls{display:flex;flex-direction:column;gap:.25em;margin-bottom:.4em}"
    ".lropt-control{display:flex;align-items:center;gap:.6em;flex-wrap:wrap}"
    ".lropt-label{min-width:9em}"
    ".lropt-control input{flex:1 1 12em;max-width:28em}"
    ".lropt-control output{font-variant-numeric:tabular-nums;min-width:4.5em}"
    ".lropt-figure{position:relative;width:100%}"
    ".lropt-figure img{display:block;width:100%;height:auto;background:#fff}"
    ".lropt-figure svg{position:absolute;left:0;top:0;width:100%;height:100%;overflow:hidden}"
    ".lropt-figure text{font-family:'IPAexGothic','Hiragino Sans','Noto Sans JP','Yu Gothic',sans-serif}"
    ".lropt-status{min-height:1.5em;margin-top:.3em}"
    "</style>"
)

_SCRIPT = """(function(){
var root=document.getElementById("__UID__");if(!root)return;
var spec=JSON.parse(root.querySelector("script.lropt-data").textContent);
var inputs=root.querySelectorAll(".lropt-controls input"),outs=root.querySelectorAll(".lropt-controls output");
var items=root.querySelectorAll("svg [data-i]"),status=root.querySelector(".lropt-status");
function show(){var idx=0;for(var k=0;k<inputs.length;k++){var i=+inputs[k].value;
idx=idx*spec.sliders[k].values.length+i;outs[k].textContent=spec.sliders[k].labels[i];}
var f=spec.frames[idx];for(var j=0;j<items.length;j++){var el=items[j],d=f.a[+el.getAttribute("data-i")];
if(spec.kinds[+el.getAttribute("data-i")]==="line"){el.setAttribute("d",d||"M0 0");el.style.display=d?"":"none";}
else{el.setAttribute("x",d[0]);el.setAttribute("y",d[1]);el.textContent=d[2];el.setAttribute("fill",d[3]);}}
status.textContent=f.s;root.setAttribute("data-frame",idx);}
for(var k=0;k<inputs.length;k++){inputs[k].addEventListener("input",show);}
show();})();"""
