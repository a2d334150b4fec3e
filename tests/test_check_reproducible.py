"""bench/check_reproducible.py compares what the pages show: printed text is joined, real changes are not."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("check_reproducible", ROOT / "bench" / "check_reproducible.py")
check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check)


def stream(text, name="stdout"):
    return {"output_type": "stream", "name": name, "text": text}


def write(folder: Path, outputs: list[dict]) -> Path:
    folder.mkdir()
    nb = {"cells": [{"cell_type": "code", "outputs": outputs}]}  # pieces as the kernel sent them
    (folder / "a.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    return folder


def test_printed_text_cut_differently_is_the_same(tmp_path):
    one = write(tmp_path / "one", [stream(["a\n", "b\n", "c\n"])])
    two = write(tmp_path / "two", [stream(["a\n", "b\n"]), stream(["c\n"])])
    three = write(tmp_path / "three", [stream("a\n"), stream("b\n"), stream("c\n")])
    assert check.outputs(one) == check.outputs(two) == check.outputs(three)
    [shown] = check.outputs(three).values()
    assert json.loads(shown)["text"] == "a\nb\nc\n"


def test_changed_text_stdout_versus_stderr_and_figures_still_differ(tmp_path):
    base = check.outputs(write(tmp_path / "base", [stream("a\nb\n")]))
    changed = check.outputs(write(tmp_path / "changed", [stream("a\nB\n")]))
    other_stream = check.outputs(write(tmp_path / "err", [stream("a\n"), stream("b\n", "stderr")]))
    figure = {"output_type": "display_data", "data": {"image/png": "AAAA"}, "metadata": {}}
    between = check.outputs(write(tmp_path / "fig", [stream("a\n"), figure, stream("b\n")]))
    for other in (changed, other_stream, between):
        assert other != base


def test_text_cut_between_a_line_and_its_newline_is_the_same(tmp_path):
    """05_adam cell 14 differed between two builds: the kernel sent a print's text and its newline apart."""
    whole = write(tmp_path / "whole", [stream("a\nb\n")])
    cut = write(tmp_path / "cut", [stream("a"), stream("\nb\n")])
    assert check.outputs(whole) == check.outputs(cut)
    [shown] = check.outputs(cut).values()
    assert json.loads(shown)["text"] == "a\nb\n"


def test_widget_model_ids_are_ignored(tmp_path):
    def widget(model_id):
        view = {"model_id": model_id, "version_major": 2, "version_minor": 0}
        data = {"application/vnd.jupyter.widget-view+json": view, "text/html": "<div>x</div>"}
        return {"output_type": "display_data", "data": data, "metadata": {}}

    one = write(tmp_path / "one", [widget("0123abcd")])
    two = write(tmp_path / "two", [widget("ffff9999")])
    assert check.outputs(one) == check.outputs(two)


def test_against_an_earlier_build_builds_once_and_names_what_differs(tmp_path, monkeypatch, capsys):
    earlier = write(tmp_path / "earlier", [stream("a\n")])
    built = []

    def fake_build(out):
        built.append(out)
        return write(out / "executed", [stream(text)])

    monkeypatch.setattr(check, "build", fake_build)
    text = "a\n"
    assert check.main(["--against", str(earlier)]) == 0
    assert len(built) == 1
    text = "changed\n"
    assert check.main(["--against", str(earlier)]) == 1
    assert "a.ipynb cell 0 output 0" in capsys.readouterr().out
    assert check.main(["--against", str(tmp_path / "nothing")]) == 1
    assert len(built) == 2  # no build when there is nothing to compare with
