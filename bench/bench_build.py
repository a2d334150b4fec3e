"""Build speed (make bench): a cold build of the book beside its floor, each notebook's execution time (alone,
measured like the floor, and inside the parallel build), and the author's edit loop (make preview, whose
unchanged chapters come from the execution cache).

The floor is N × the time to start the same kernel and execute one empty cell (N = number of notebooks): no
build can be faster than starting N kernels. Beside it, the time a notebook needs for its imports alone (numpy,
matplotlib with the Japanese font, ipywidgets, lropt). Targets (issue 7): the cold build ≤ 90 s after install on
this 2-core machine, and notebook execution ≤ 4 × the floor. To show where the rest goes, each chapter also runs
with its figures left unrendered (bench/kernel_skip_rendering.py): the differences are what rendering costs.
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

import nbformat
from check_reproducible import book_build_command
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
# _ext/build_book.py, make book's command: how many chapters it executes at once, how it stops kernels
_spec = importlib.util.spec_from_file_location("build_book", ROOT / "_ext" / "build_book.py")
build_book = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_book)


def _seconds(source: str) -> float:
    """Wall time to start the python3 kernel (in chapters/) and execute one cell holding ``source``."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return _run(nb)


def _run(nb: nbformat.NotebookNode, kernel_arguments: list[str] | None = None) -> float:
    start = time.perf_counter()
    client = NotebookClient(
        nb,
        timeout=60,
        kernel_name="python3",
        resources={"metadata": {"path": str(ROOT / "chapters")}},
        extra_arguments=kernel_arguments or [],
    )
    client.execute()
    return time.perf_counter() - start


def empty_notebook_seconds(repeats: int = 5) -> float:
    """Median wall time to start the python3 kernel and execute one empty cell.

    One untimed run first: this process's first execution also imports what nbclient and nbformat load
    lazily (jsonschema alone takes about 3 s here), which is not the kernel's cost."""
    _seconds("")
    return sorted(_seconds("") for _ in range(repeats))[repeats // 2]


SKIP_RENDERING = ROOT / "bench" / "kernel_skip_rendering.py"
"""Run in the kernel before a chapter to leave its figures unrendered (see that file)."""

MODES = ("as built", "no inline figures", "no figures at all")
"""How :func:`alone_seconds` runs a chapter: as the book does; without rendering its inline figures; without
rendering its slider figures either."""


def _run_mode(nb: nbformat.NotebookNode, mode: str) -> float:
    if mode == MODES[0]:
        return _run(nb)
    # the kernel inherits this process's environment
    with mock.patch.dict(os.environ, {"LROPT_BENCH_SKIP_EXPLORERS": "1" if mode == MODES[2] else "0"}):
        return _run(nb, [f"--IPKernelApp.exec_files={SKIP_RENDERING}"])


def alone_seconds(rounds: int = 2) -> dict[str, dict[str, float]]:
    """Each chapter executed on its own, as the floor is measured (same client, nothing running beside it), in
    each of :data:`MODES`: ``{mode: {notebook: seconds}}``.

    The fastest of ``rounds`` runs, and the modes of one chapter run one after the other, so that a slow
    moment of this shared machine does not land in one mode only and show up as a part of the breakdown."""
    times: dict[str, dict[str, float]] = {mode: {} for mode in MODES}
    for path in sorted((ROOT / "chapters").glob("*.ipynb")):
        for _ in range(rounds):
            for mode in MODES:
                seconds = _run_mode(nbformat.read(path, as_version=4), mode)
                times[mode][path.name] = min(seconds, times[mode].get(path.name, math.inf))
    return times


def breakdown(
    floor: float, imports: float, alone: float, no_figures: float, no_explorers: float
) -> list[str]:
    """Where the chapters' time goes, all seconds summed over the chapters run alone, and what the 4 × floor
    target leaves for it.

    ``floor``: N empty notebooks; ``imports``: N × (import cell alone − empty); ``alone``: the chapters;
    ``no_figures``: the chapters with their inline figures not rendered; ``no_explorers``: neither inline nor
    slider figures rendered.
    """
    figures, explorers = alone - no_figures, no_figures - no_explorers
    rest = no_explorers - floor - imports
    budget = 4 * floor
    fixed = floor + imports + figures
    rows = [
        ("floor (N empty notebooks)", floor),
        ("imports (numpy, matplotlib, ipywidgets, lropt)", imports),
        ("rendering the inline figures", figures),
        ("rendering the slider figures (live + static)", explorers),
        ("computing and building the figures", rest),
    ]
    lines = [f"  {label:<48} {seconds:>6.1f} s {seconds / floor:>5.1f} × floor" for label, seconds in rows]
    lines.append(f"  {'all notebooks alone':<48} {alone:>6.1f} s {alone / floor:>5.1f} × floor")
    lines.append(
        f"  target 4 × floor = {budget:.1f} s; floor + imports + inline figures alone = {fixed:.1f} s "
        f"({'over' if fixed > budget else 'under'} it by {abs(fixed - budget):.1f} s, before any computing)"
    )
    return lines


def imports_seconds() -> float:
    """Median over the chapters of: kernel start + the chapter's first code cell (its imports) alone.

    What every notebook pays before it computes anything: numpy, matplotlib with the Japanese font, ipywidgets
    and lropt.
    """
    times = []
    for path in sorted((ROOT / "chapters").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        first = next(c.source for c in nb.cells if c.cell_type == "code")
        times.append(_seconds(first))
    return sorted(times)[len(times) // 2]


def cold_build() -> tuple[float, dict[str, float], str]:
    out = Path(tempfile.mkdtemp(prefix="lropt-bench-build-"))
    start = time.perf_counter()
    proc = subprocess.run(
        book_build_command(out),
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    log = proc.stdout + proc.stderr
    executed = {
        Path(m.group(1)).name: float(m.group(2))
        for m in re.finditer(r"(\S+\.ipynb): Executed notebook in ([\d.]+) seconds", log)
    }
    shutil.rmtree(out, ignore_errors=True)
    if proc.returncode != 0:
        print(log[-3000:], file=sys.stderr)
        raise SystemExit(f"the build failed (exit {proc.returncode})")
    return elapsed, executed, log


def preview_builds() -> tuple[float, float, int]:
    """make preview's command twice: (1) filling the cache with what it lacks, (2) with nothing changed.

    Returns both wall times and how many chapters the first run executed (0 when an earlier run had filled
    the cache for the current code/lropt)."""
    times = []
    executed = 0
    for _ in range(2):
        out = Path(tempfile.mkdtemp(prefix="lropt-bench-preview-"))
        start = time.perf_counter()
        proc = subprocess.run(
            [*book_build_command(out), "--all", "--execute-cache"],
            capture_output=True,
            text=True,
            check=False,
        )
        times.append(time.perf_counter() - start)
        shutil.rmtree(out, ignore_errors=True)
        if proc.returncode != 0:
            print((proc.stdout + proc.stderr)[-3000:], file=sys.stderr)
            raise SystemExit(f"the preview build failed (exit {proc.returncode})")
        if not executed:
            executed = len(re.findall(r"\.ipynb: executed in [\d.]+ s and cached", proc.stdout))
    return times[0], times[1], executed


def main() -> int:
    build_book.fast_kernel_shutdown()  # kernels stop as in the build, for the floor and each chapter alone
    floor_one = empty_notebook_seconds()
    imports_one = imports_seconds()
    elapsed, executed, _ = cold_build()
    n = len(executed)
    print(
        f"empty notebook (kernel start + 1 cell): {floor_one:.2f} s; floor for {n} notebooks: {n * floor_one:.1f} s"
    )
    print(
        f"kernel start + a chapter's import cell alone (median): {imports_one:.2f} s "
        f"= {imports_one / floor_one:.1f} × empty, before any computing"
    )
    modes = alone_seconds()
    alone = modes[MODES[0]]
    print(f"{'notebook':<24} {'alone':>9} {'× empty':>8} {'in the build':>13} {'× empty':>8}")
    for name in sorted(alone):
        seconds, built = alone[name], executed.get(name, float("nan"))
        print(
            f"{name:<24} {seconds:>7.1f} s {seconds / floor_one:>8.1f} {built:>11.1f} s {built / floor_one:>8.1f}"
        )
    total, total_built = sum(alone.values()), sum(executed.values())
    print(
        f"{'all notebooks':<24} {total:>7.1f} s {total / (n * floor_one):>8.1f} "
        f"{total_built:>11.1f} s {total_built / (n * floor_one):>8.1f}"
    )
    no_figures, no_explorers = (sum(modes[mode].values()) for mode in MODES[1:])
    print(
        "where the time of the notebooks alone goes (each part measured by leaving it out, fastest of 2 runs):"
    )
    for line in breakdown(n * floor_one, n * (imports_one - floor_one), total, no_figures, no_explorers):
        print(line)
    print(
        "  alone: one kernel at a time, measured like the floor, fastest of 2 runs (the figure to compare with it); "
        f"in the build: make book runs {build_book.jobs()} at a time, so each shares the cores with another kernel "
        "and Sphinx"
    )
    print(
        f"cold build (make book's command, fresh output dir, {build_book.jobs()} chapters at a time): "
        f"{elapsed:.1f} s (target ≤ 90 s)"
    )
    filling, warm, filled = preview_builds()
    print(
        f"make preview (the author's edit loop, outputs from jupyter-cache): {filling:.1f} s filling the cache "
        f"({filled} chapters executed), {warm:.1f} s when nothing changed; an edited chapter adds its own "
        "execution time above"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
