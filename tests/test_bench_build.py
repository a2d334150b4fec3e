"""bench/bench_build.py's breakdown of the notebooks' time: the kernel file that leaves the rendering out must
leave out exactly that, or make bench's parts would not add up to what they claim."""

import importlib.util
import sys
from pathlib import Path

import nbformat
import pytest

_BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture(scope="module")
def bench_build():
    sys.path.insert(0, str(_BENCH))  # bench_build imports check_reproducible as a sibling
    try:
        spec = importlib.util.spec_from_file_location("bench_build", _BENCH / "bench_build.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(_BENCH))


_CELLS = [
    "import matplotlib.pyplot as plt\nfrom lropt.explorers.adagrad import explore_adagrad",
    "fig, ax = plt.subplots()\nax.plot([0, 1], [1, 0])\nplt.show()",
    "explore_adagrad()",
    "print(6 * 7)",
]


def _outputs(bench_build, mode):
    """The output mime types of each cell, run as make bench runs a chapter in ``mode``."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in _CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    bench_build._run_mode(nb, mode)
    return [
        sorted({key for out in cell.outputs for key in out.get("data", {"stream": 0})}) for cell in nb.cells
    ]


def test_leaving_out_the_rendering_leaves_out_only_the_figures(bench_build):
    widget = "application/vnd.jupyter.widget-view+json"
    as_built, no_figures, neither = (_outputs(bench_build, mode) for mode in bench_build.MODES)
    assert "image/png" in as_built[1]
    assert {"text/html", widget} <= set(as_built[2])
    assert as_built[3] == ["stream"]

    assert "image/png" not in no_figures[1]  # the inline figure is built but not rendered
    assert {"text/html", widget} <= set(no_figures[2])  # the slider figure still is
    assert no_figures[3] == ["stream"]

    assert "image/png" not in neither[1]
    assert neither[2] == ["text/plain"]
    assert neither[3] == ["stream"]


def test_the_breakdown_adds_up_and_compares_with_four_times_the_floor(bench_build):
    lines = bench_build.breakdown(floor=7.0, imports=6.0, alone=56.0, no_figures=40.0, no_explorers=38.0)
    text = "\n".join(lines)
    assert "rendering the inline figures                       16.0 s" in text
    assert "rendering the slider figures (live + static)        2.0 s" in text
    assert "computing and building the figures                 25.0 s" in text
    assert "all notebooks alone                                56.0 s   8.0 × floor" in text
    assert (
        "target 4 × floor = 28.0 s; floor + imports + inline figures alone = 29.0 s (over it by 1.0 s" in text
    )
    under = "\n".join(
        bench_build.breakdown(floor=7.0, imports=3.0, alone=30.0, no_figures=20.0, no_explorers=19.0)
    )
    assert "= 20.0 s (under it by 8.0 s" in under
