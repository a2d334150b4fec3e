"""Sliders rendered twice (DESIGN §6): the live ipywidgets control and the kernel-free HTML/SVG/JS version."""

import html
import io
import re
import warnings

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image

from lropt.explorers import explore_learning_rate
from lropt.interactive import RENDER_DPI, Explorer, Slider, linear_grid, log_grid, static_payload
from lropt.plotting import new_figure, path_line, status_text


@pytest.fixture(scope="module")
def explorer():
    return explore_learning_rate()


@pytest.fixture(scope="module")
def static_spec(explorer):
    page = explorer.to_html()
    return page, static_payload(page)


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)


def test_grids():
    assert linear_grid(0.05, 1.1, 22)[:3] == (0.05, 0.1, 0.15)
    assert linear_grid(0.05, 1.1, 22)[-1] == 1.1
    grid = log_grid(1e-8, 1.0, 9)
    assert grid[0] == 1e-8 and grid[-1] == 1.0 and len(grid) == 9


def test_static_html_has_one_frame_per_grid_value(explorer, static_spec):
    page, spec = static_spec
    (slider,) = explorer.sliders
    assert len(spec["frames"]) == len(slider.values)
    assert spec["sliders"][0]["values"] == list(slider.values)
    # the range input covers exactly the grid
    assert f'max="{len(slider.values) - 1}"' in page
    # the grid contains the stability bound of the ゼロつく surface and values on both sides of it
    assert {0.95, 1.0, 1.05} <= set(slider.values)


def test_static_frames_change_with_the_slider(static_spec):
    _, spec = static_spec
    frames = spec["frames"]
    paths = [f["a"][0] for f in frames]
    assert len(set(paths)) == len(paths), "every η must draw a different path"
    statuses = {v: f["s"] for v, f in zip(spec["sliders"][0]["values"], frames, strict=True)}
    assert "発散" in statuses[1.1] and "発散" in statuses[1.05]
    assert "発散" not in statuses[0.95] and "発散" not in statuses[1.0]
    assert statuses[0.3].startswith("η = 0.3")


def test_static_html_is_self_contained(static_spec):
    page, _ = static_spec
    assert "http://" not in page and "https://" not in page
    assert "<script src" not in page
    assert page.count("data:image/png;base64,") == 1  # one background image, paths are SVG


def test_static_html_is_light(static_spec):
    page, _ = static_spec
    assert len(page.encode()) < 250_000


def test_static_html_is_deterministic():
    assert explore_learning_rate().to_html() == explore_learning_rate().to_html()


def test_svg_path_coordinates_follow_the_axes_transform():
    fig, ax = new_figure(width=4, height=3)
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    line = path_line(ax, "SGD")
    label = status_text(ax)
    calls = []

    def update(a: float) -> str:
        calls.append(a)
        line.set_data([0.0, a], [0.0, a])
        label.set_text(f"a={a}")
        return f"status {a}"

    ex = Explorer(fig, [Slider("a", "a", (2.0, 4.0, 8.0), value=4.0)], update, [line, label])
    frames = ex.frames()
    height = fig.bbox.height
    x_pix, y_pix = ax.transData.transform((8.0, 8.0))
    last = frames[2]["a"][0]
    match = re.fullmatch(r"M([-\d.]+) ([-\d.]+)L([-\d.]+) ([-\d.]+)", last)
    assert match
    assert float(match.group(3)) == pytest.approx(x_pix, abs=0.06)
    assert float(match.group(4)) == pytest.approx(height - y_pix, abs=0.06)
    assert frames[1]["a"][1][2] == "a=4.0" and frames[1]["s"] == "status 4.0"
    assert fig.dpi == RENDER_DPI


def test_blit_equals_a_full_redraw(explorer):
    png = explorer.render_png(eta=0.95)
    explorer.apply(eta=0.95)
    canvas = FigureCanvasAgg(explorer.figure)
    canvas.draw()
    full = np.asarray(canvas.buffer_rgba())[..., :3].astype(int)
    diff = np.abs(_pixels(png) - full)
    assert diff.mean() < 0.5  # same picture (antialiasing may differ on a few pixels)


def test_live_widget_redraws_on_slider_change(explorer):
    box = explorer.widget()
    slider, image, status = box.children
    assert slider.min == pytest.approx(0.05) and slider.max == pytest.approx(1.1)
    assert slider.description == "η（学習率）"
    before = image.value
    slider.value = 1.05
    assert image.value != before
    assert "発散" in status.value
    slider.value = 0.95
    assert "発散" not in status.value


def test_mimebundle_carries_widget_and_html(explorer):
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/html"].startswith('<div class="lropt-explorer"')
    assert "η（学習率）" in bundle["text/plain"]


def test_log_slider_widget_covers_the_same_range():
    fig, ax = new_figure(width=3, height=2)
    line = path_line(ax, "AdaGrad")
    ex = Explorer(
        fig,
        [Slider("theta", "θ", log_grid(1e-8, 1.0, 9), value=1e-7, log=True)],
        lambda theta: line.set_data([0, 1], [0, theta]),
        [line],
    )
    (w, _, _) = ex.widget().children
    assert w.min == pytest.approx(-8) and w.max == pytest.approx(0)
    assert w.value == pytest.approx(1e-7)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"values": (1.0,), "value": 1.0}, "2 個以上"),
        ({"values": (2.0, 1.0), "value": 1.0}, "昇順"),
        ({"values": (0.0, 1.0), "value": 0.5, "log": True}, "正"),
        ({"values": (0.0, 1.0), "value": 2.0}, "初期値"),
    ],
)
def test_bad_slider_specs(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        Slider("x", "x", **kwargs)


def test_dynamic_artists_must_be_lines_or_texts():
    fig, ax = new_figure()
    patch = ax.axvspan(0, 1)
    with pytest.raises(TypeError, match="Line2D"):
        Explorer(fig, [Slider("a", "a", (0.0, 1.0), 0.0)], lambda a: None, [patch])


def test_no_missing_glyph_warnings_for_book_symbols():
    fig, ax = new_figure()
    ax.set_title("学習率 η・慣性 μ・減衰率 ρ・θ・β₁・β₂ ≤ ≥ − ∇E 「発散」")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        FigureCanvasAgg(fig).draw()


def test_static_payload_rejects_pages_without_frames():
    with pytest.raises(ValueError, match="lropt-data"):
        static_payload("<div>no slider here</div>")


def test_static_path_keeps_the_direction_of_a_segment_to_a_far_point():
    """A diverging run's last point is far outside the figure: the static path must leave the figure along the
    same line as the live PNG (clamping x and y separately bent it), and nothing far inside the box changes."""
    import matplotlib.pyplot as plt

    from lropt.interactive import _line_path

    fig, ax = plt.subplots(figsize=(4, 3), dpi=100)
    ax.set_xlim(-2, 2)
    ax.set_ylim(-1, 3)
    (line,) = ax.plot([0.0, 1.0, 7.21, -2917.0], [0.0, 1.0, 1.24, 204.0])
    fig.canvas.draw()
    height, width = fig.bbox.height, fig.bbox.width
    path = _line_path(line, height, width)
    points = [tuple(map(float, p.split())) for p in re.split("[ML]", path) if p]
    pix = line.get_transform().transform(np.column_stack(line.get_data()))
    pix[:, 1] = height - pix[:, 1]
    assert np.allclose(points[:3], pix[:3], atol=0.06)  # the near points as they were
    a, b = pix[2], pix[3]  # the last point is replaced by where its segment leaves the box
    end = np.array(points[-1])
    cross = (b - a)[0] * (end - a)[1] - (b - a)[1] * (end - a)[0]
    assert abs(cross) / np.linalg.norm(b - a) < 0.1  # on the segment's line
    assert np.all(np.abs(end) <= 3 * max(height, width))
    plt.close(fig)


def test_a_live_slider_move_runs_the_optimisation_once():
    explorer = explore_learning_rate()
    calls = []
    original = explorer.update

    def counting(**values):
        calls.append(values)
        return original(**values)

    explorer.update = counting
    box = explorer.widget()
    calls.clear()
    box.children[0].value = 0.5
    assert len(calls) == 1, calls
    explorer.update = original
    assert html.escape(explorer.apply(eta=0.5)) in box.children[-1].value  # the status line was refreshed


def test_book_style_numbers():
    from lropt.plotting import number_text

    assert number_text(1e-8) == "10⁻⁸" and number_text(3.16e-8) == "3.16×10⁻⁸"
    assert number_text(-13.8) == "−13.8" and number_text(5e7) == "5×10⁷" and number_text(0.5) == "0.5"
    assert number_text(-2.5e-5) == "−2.5×10⁻⁵" and number_text(1e-5, 2) == "10⁻⁵"


def test_paths_that_leave_the_window_without_diverging_are_announced():
    from lropt.explorers import explore_comparison, explore_momentum
    from lropt.surfaces import Rosenbrock

    lr = explore_learning_rate()
    from matplotlib.text import Text

    note = next(i for i, a in enumerate(lr.artists) if isinstance(a, Text) and a.get_color() == "0.25")
    lr.apply(eta=1.02)  # unstable but still inside the divergence radius after 50 steps: 未収束
    assert "枠の外まで飛び出します" in lr.artists[note].get_text()
    lr.apply(eta=0.95)
    assert lr.artists[note].get_text() == ""
    mom = explore_momentum()
    status = mom.apply(mu=0.5, eta=1.5)
    assert "モメンタム: 未収束" in status  # the run stays bounded (|y| = 6) but outside the window (|y| <= 5)
    assert any("モメンタムが枠の外" in a.get_text() for a in mom.artists if hasattr(a, "get_text"))
    rates = {"SGD": 0.001, "Momentum": 0.001, "AdaGrad": 3.56, "RMSProp": 0.356, "Adam": 0.01}
    cmp = explore_comparison(Rosenbrock(), rates, steps=300)
    status = cmp.apply(factor=1.0)
    texts = [a.get_text() for a in cmp.artists if hasattr(a, "get_text")]
    assert any(t.startswith("AdaGrad η = 3.56") and t.endswith("・枠の外") for t in texts), texts
    assert not any(t.startswith("SGD") and "枠の外" in t for t in texts), texts
    assert "ステップ" in status or "停滞" in status
