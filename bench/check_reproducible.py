"""Reproducibility check (make repro): two builds of the same commit give the same notebook outputs.

Builds the book twice into fresh folders (notebooks executed each time) and compares every output of every
executed notebook — text, HTML (the sliders' frames and quizzes), images — after removing the widget model ids,
which ipywidgets draws at random and which the site never shows, and after joining the pieces of printed
text as the pages do (the kernel cuts it at moments that depend on timing). Exits 1 and names the cells that
differ.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# the book's Sphinx extension: merge_streams, how the pages join a cell's printed text
_spec = importlib.util.spec_from_file_location("lropt_site", ROOT / "_ext" / "lropt_site.py")
lropt_site = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lropt_site)


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
    """A cell's outputs as the pages show them: each stream's pieces joined by the book's ``merge_streams``.

    How a cell's printed text is cut into stream messages depends on timing (the kernel flushes its buffer
    every few tenths of a second), so the same text can arrive as one output or as several; the notebooks in
    ``jupyter_execute`` keep the pieces as they came.
    """
    return lropt_site.merge_streams(
        [
            {**out, "text": "".join(out["text"])} if out.get("output_type") == "stream" else out
            for out in cell_outputs
        ]
    )


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
