"""Reproducibility check (make repro): two builds of the same commit give the same notebook outputs.

Builds the book twice into fresh folders (notebooks executed each time) and compares every output of every
executed notebook — text, HTML (the sliders' frames and quizzes), images — after removing the widget model ids,
which ipywidgets draws at random and which the site never shows, and after joining the pieces of printed
text as the pages do (the kernel cuts it at moments that depend on timing). Exits 1 and names the cells that
differ.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from myst_nb.core.utils import coalesce_streams

ROOT = Path(__file__).resolve().parents[1]


def book_build_command(out: Path) -> list[str]:
    """The command of make book (jupyter-book build, chapters executed on every core), into ``out``."""
    python, script = ROOT / ".venv" / "bin" / "python", ROOT / "_ext" / "build_book.py"
    return [str(python), str(script), "build", str(ROOT), "--builder", "html", "--path-output", str(out)]


_MODEL_ID = re.compile(r'"model_id":\s*"[0-9a-f]+"')


def build(out: Path) -> Path:
    proc = subprocess.run(
        book_build_command(out),
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        print((proc.stdout + proc.stderr)[-3000:], file=sys.stderr)
        raise SystemExit(f"build into {out} failed")
    return out / "_build" / "jupyter_execute"


def as_shown(cell_outputs: list[dict]) -> list[dict]:
    """A cell's outputs as the pages show them: its printed text as one output per stream.

    How a cell's printed text is cut into stream messages depends on timing (the kernel flushes its buffer
    every few tenths of a second), so the same text can arrive as one output or as several. The pages join
    them with myst-nb's ``coalesce_streams`` (``nb_merge_streams: true``), which appends the later pieces to
    the first one *in place*; the notebook myst-nb then writes to ``jupyter_execute`` keeps the later pieces
    as well. So in those files the first output of a stream already holds the whole text and the later ones
    repeat its end: they are dropped here, not joined again (which would show that text twice). If the first
    output does not end with them, myst-nb no longer works that way and this raises instead of guessing.
    """
    shown: list[dict] = []
    first: dict[str, dict] = {}
    later: dict[str, list[str]] = {}
    for out in cell_outputs:
        if out.get("output_type") != "stream":
            shown.append(out)
            continue
        out = {**out, "text": "".join(out["text"])}
        if out["name"] in first:
            later[out["name"]].append(out["text"])
            continue
        first[out["name"]] = out
        later[out["name"]] = []
        shown.append(out)
    for name, pieces in later.items():
        tail = "".join(piece.rstrip() + "\n" for piece in pieces if piece.rstrip())
        if not first[name]["text"].endswith(tail) and not any(c in tail for c in "\r\b"):
            raise ValueError(
                f"the later {name} outputs of a cell are not already joined to its first one, as myst-nb's "
                "coalesce_streams (nb_merge_streams) leaves them in jupyter_execute; check that function"
            )
    return coalesce_streams(shown)


def outputs(executed: Path) -> dict[str, str]:
    found = {}
    for nb_path in sorted(executed.rglob("*.ipynb")):
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        for i, cell in enumerate(nb["cells"]):
            for k, out in enumerate(as_shown(cell.get("outputs", []))):
                out = {key: value for key, value in out.items() if key != "execution_count"}
                data = out.get("data", {})
                data.pop("application/vnd.jupyter.widget-view+json", None)
                text = _MODEL_ID.sub('"model_id": "?"', json.dumps(out, sort_keys=True, ensure_ascii=False))
                found[f"{nb_path.relative_to(executed)} cell {i} output {k}"] = text
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--against",
        type=Path,
        help="the executed notebooks of a build of this same tree (e.g. _build/jupyter_execute after "
        "make build-strict): build once more and compare with them, instead of building twice",
    )
    args = parser.parse_args(argv)
    first_dir = Path(tempfile.mkdtemp(prefix="lropt-repro-a-"))
    second_dir = Path(tempfile.mkdtemp(prefix="lropt-repro-b-"))
    try:
        if args.against is not None:
            if not any(args.against.rglob("*.ipynb")):
                print(f"no executed notebooks in {args.against}: build the book first", file=sys.stderr)
                return 1
            first = outputs(args.against)
        else:
            first = outputs(build(first_dir))
        second = outputs(build(second_dir))
    finally:
        for d in (first_dir, second_dir):
            shutil.rmtree(d, ignore_errors=True)
    if not first:
        print("no executed notebook outputs found", file=sys.stderr)
        return 1
    differing = sorted(k for k in first.keys() | second.keys() if first.get(k) != second.get(k))
    if differing:
        print("outputs differ between two builds of the same commit:")
        for k in differing:
            print(f"  {k}")
        return 1
    print(f"reproducible: {len(first)} outputs identical in two builds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
