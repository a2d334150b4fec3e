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
print(InlineBackend.instance().print_figure_kwargs.get("bbox_inches", "tight"))
fig, ax = plt.subplots(figsize=(4, 3), layout="constrained")
ax.plot([0, 1], [0, 1])
ax.set_xlabel("ステップ t")
plt.show()
"""


def test_inline_figures_skip_the_tight_bbox_pre_draw():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(SOURCE)])
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    outputs = nb.cells[0].outputs
    assert outputs[0]["text"].strip() == "None"
    png = next(o["data"]["image/png"] for o in outputs if "image/png" in o.get("data", {}))
    image = Image.open(io.BytesIO(base64.b64decode(png)))
    assert image.size == (400, 300)  # the whole 4 × 3 in figure at 100 dpi: not cropped, labels inside
