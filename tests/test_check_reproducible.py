"""bench/check_reproducible.py: outputs compared as the pages show them, whatever the timing of printed text."""

import json
import sys
from pathlib import Path

import nbformat
import pytest
from myst_nb.core.utils import coalesce_streams

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import check_reproducible  # noqa: E402

WHOLE = "y₀  SGD\n0.01  43\n0.001  67\n1e-06  139\n（離れたステップ）\n"
PIECES = ["y₀  SGD\n0.01  43\n", "0.001  67\n", "1e-06  139\n（離れたステップ）\n"]


def _stream(text, name="stdout"):
    return nbformat.v4.new_output("stream", name=name, text=text)


def _as_written(outputs):
    """What myst-nb leaves in jupyter_execute: it merges the cell's streams for the page, in place, and then
    writes the cell's outputs (the ipynb form: text as a list of lines)."""
    coalesce_streams(outputs)
    return json.loads(
        nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=outputs)]))
    )["cells"][0]["outputs"]


def test_text_printed_in_one_piece_or_in_several_is_the_same_output():
    one = check_reproducible.as_shown(_as_written([_stream(WHOLE)]))
    several = check_reproducible.as_shown(_as_written([_stream(p) for p in PIECES]))
    assert one == several
    assert [o["text"] for o in several] == [WHOLE]  # once, not with its end repeated


def test_other_outputs_keep_their_place_and_stderr_stays_apart():
    image = nbformat.v4.new_output("display_data", data={"image/png": "iVBOR"})
    written = _as_written([_stream(PIECES[0]), image, _stream("注意\n", "stderr"), _stream(PIECES[1])])
    shown = check_reproducible.as_shown(written)
    assert [(o["output_type"], o.get("name")) for o in shown] == [
        ("stream", "stdout"),
        ("display_data", None),
        ("stream", "stderr"),
    ]
    assert shown[0]["text"] == PIECES[0] + PIECES[1]


def test_pieces_that_myst_nb_did_not_join_are_an_error_not_a_guess():
    raw = json.loads(json.dumps([_stream(p) for p in PIECES]))
    with pytest.raises(ValueError, match="coalesce_streams"):
        check_reproducible.as_shown(raw)
