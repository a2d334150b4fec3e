"""lropt.plotting in a real Jupyter kernel: each inline figure is drawn once, at its own size."""

from __future__ import annotations

import base64
import io

import nbformat
from nbclient import NotebookClient
from PIL import Image

SOURCE = """\
import matplotlib.pyplot as plt
import lropt.plotting
from matplotlib_inline.config import InlineBackend
kwargs = InlineBackend.instance().print_figure_kwargs
print(kwargs.get("bbox_inches", "tight"), kwargs.get("pil_kwargs"))
fig, ax = plt.subplots(figsize=(4, 3), layout="constrained")
ax.plot([0, 1], [0, 1])
ax.set_xlabel("ステップ t")
plt.show()
"""


def test_inline_figures_skip_the_tight_bbox_pre_draw():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(SOURCE)])
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    outputs = nb.cells[0].outputs
    assert outputs[0]["text"].strip() == "None {'compress_level': 1}"
    png = next(o["data"]["image/png"] for o in outputs if "image/png" in o.get("data", {}))
    image = Image.open(io.BytesIO(base64.b64decode(png)))
    assert image.size == (400, 300)  # the whole 4 × 3 in figure at 100 dpi: not cropped, labels inside
    # the page's alt text (_ext/lropt_site.py reads it): a panel without a title is told by its axis labels
    assert image.text["Description"] == "図: 横軸 ステップ t"


def test_figure_description_names_the_titles_for_the_alt_text():
    import matplotlib.pyplot as plt

    from lropt.plotting import figure_description

    fig, axes = plt.subplots(1, 3, figsize=(6, 2))
    fig.suptitle("学習率の比較")
    axes[0].set_title("ゼロつくの楕円 $f = x^2/20 + y^2$")
    axes[1].set_title(r"上限 $R_t$ と $\eta_{\mathrm{max}}\,\theta$")
    axes[2].set_xlabel("ステップ $t$")
    axes[2].set_ylabel("損失")
    fig.colorbar(axes[0].contourf([[0, 1], [2, 3]]))  # a colorbar is not a panel of its own
    assert figure_description(fig) == (
        "図（3 つのグラフ）: 学習率の比較／ゼロつくの楕円 f = x^2/20 + y^2／上限 R_t と η_max θ"
        "／横軸 ステップ t、縦軸 損失"
    )
    plt.close(fig)
    fig, ax = plt.subplots()
    assert figure_description(fig) == "図"  # nothing to tell: no empty list
    plt.close(fig)


def test_cached_font_heights_draw_the_same_pixels():
    """lropt.plotting's font-height cache (a matplotlib 3.11 speed-up) must not move a single pixel."""
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.backends.backend_agg import RendererAgg

    from lropt import plotting

    def draw() -> np.ndarray:
        fig, axes = plt.subplots(1, 2, figsize=(5, 2.5), layout="constrained")
        for ax, size in zip(axes, (8, 13), strict=True):
            ax.plot([0, 1, 2], [2, 0, 1], label="学習率 η = 0.1")
            ax.set_title("モメンタム\n二行目 $\\sqrt{h} + \\theta$", fontsize=size)
            ax.set_xlabel("ステップ t")
            ax.legend(fontsize=size - 1)
        fig.canvas.draw()
        pixels = np.asarray(fig.canvas.buffer_rgba()).copy()
        plt.close(fig)
        return pixels

    assert RendererAgg._get_font_height_metrics is plotting._cached_font_height_metrics
    cached = draw()
    assert plotting._font_height_metrics.cache_info().hits > 0
    del RendererAgg._get_font_height_metrics
    try:
        uncached = draw()
    finally:
        RendererAgg._get_font_height_metrics = plotting._cached_font_height_metrics
    np.testing.assert_array_equal(cached, uncached)
