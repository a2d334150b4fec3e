"""``jupyter-book build`` with Sphinx reading the pages on every CPU core (make book, make build-strict), or with
the notebooks' outputs taken from a cache while the author edits (make preview).

Jupyter Book 1 reads (and, with myst-nb, executes) the chapters one after another: its command line has no
``-j`` option, although its ``build_sphinx`` passes a job count to Sphinx. Executing a notebook keeps one core
busy in its kernel, so on a 2-core machine two chapters at a time halve the build. This script runs the same
command line, arguments unchanged, with that count set to the number of cores (or ``LROPT_BUILD_JOBS``).

Every extension the book loads must declare parallel reading safe, otherwise Sphinx warns and reads one page at
a time: ``_config.yml`` turns off the PDF-only sphinx-jupyterbook-latex, and ``lropt_site`` vouches for
sphinx-multitoc-numbering (see ``_mark_parallel_safe`` there). Two more settings of this process save time in
every build: jsonschema does not load ``rfc3987_syntax`` (``skip_slow_optional_imports``) and each notebook's
kernel is stopped at once after its last cell (``fast_kernel_shutdown``).

``--execute-cache`` (this script's own option, taken out of the arguments) is the author's edit loop:
``execute_notebooks: cache`` instead of the ``force`` of ``_config.yml``. A notebook whose code cells are
unchanged is not executed again; its outputs come from jupyter-cache. That cache only looks at the notebook,
so it would keep serving outputs computed by an older ``lropt``: the cache folder is therefore named after a
hash of everything the kernels run besides the notebook (``code/lropt``, ``requirements.txt``, the Python
version). Changing any of those starts an empty cache and every chapter is executed again; folders of other
hashes are deleted. jupyter-cache keeps its records in one SQLite file, which two Sphinx processes writing at
once can leave "database is locked" (a known failure of parallel builds with the cache), so Sphinx reads one
page at a time in this mode. Before it starts, the chapters missing from the cache are executed here, one per
core at a time, exactly as myst-nb would (same notebook, folder, timeout and error policy), and this one
process writes them to the cache; Sphinx then finds them there. A chapter that fails is not cached: Sphinx
executes it once more and reports the error as usual.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CACHE_OPTION = "--execute-cache"


def jobs() -> int:
    value = os.environ.get("LROPT_BUILD_JOBS", "")
    if value:
        if not value.isdigit() or int(value) < 1:
            raise SystemExit(f"LROPT_BUILD_JOBS must be a positive integer, got {value!r}")
        return int(value)
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def kernel_inputs_key(root: Path = ROOT) -> str:
    """A hash of what the notebooks' outputs depend on besides the notebooks themselves.

    Every file of ``code/lropt`` (sources and data; not compiled bytecode) by path and content, the pinned
    packages (``requirements.txt``) and the Python version.
    """
    digest = hashlib.sha256()
    package = root / "code" / "lropt"
    files = sorted(
        p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    )
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    digest.update((root / "requirements.txt").read_bytes() + b"\0")
    digest.update(sys.version.encode())
    return digest.hexdigest()[:16]


def cache_path(root: Path = ROOT) -> Path:
    """The cache folder of the current ``kernel_inputs_key``; the folders of other keys are removed."""
    cache_root = root / "_build" / ".jupyter_cache"
    current = cache_root / f"lropt-{kernel_inputs_key(root)}"
    for stale in cache_root.glob("lropt-*"):
        if stale != current and stale.is_dir():
            shutil.rmtree(stale)
    return current


def toc_notebooks(root: Path = ROOT) -> list[Path]:
    """The notebooks that ``_toc.yml`` lists, in its order (read by Jupyter Book's own toc parser)."""
    from sphinx_external_toc.parsing import parse_toc_yaml

    paths = [root / f"{docname}.ipynb" for docname in parse_toc_yaml(root / "_toc.yml")]
    return [p for p in paths if p.is_file()]


def _execution_timeout(root: Path) -> int:
    import yaml

    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    return int((config.get("execute") or {}).get("timeout", 30))


def _execute(path: Path, notebook: Any, timeout: int) -> tuple[Any, float, str | None]:
    """Execute ``notebook`` (read from ``path``) as myst-nb's cache mode does; the executed notebook, seconds,
    and the error if any."""
    from jupyter_cache.executors.utils import single_nb_execution

    result = single_nb_execution(notebook, cwd=str(path.parent), timeout=timeout, allow_errors=False)
    return notebook, result.time, None if result.err is None else (result.exc_string or repr(result.err))


def prefill_cache(cache_dir: Path, notebooks: list[Path], job_count: int, timeout: int) -> list[Path]:
    """Execute the ``notebooks`` the cache lacks, ``job_count`` at a time, and cache those that succeed.

    Returns the notebooks executed successfully."""
    import nbformat
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    cache = get_cache(str(cache_dir))
    missing = {}
    for path in notebooks:
        notebook = nbformat.read(path, as_version=4)
        try:
            cache.match_cache_notebook(notebook)
        except KeyError:
            missing[path] = notebook
    if not missing:
        return []
    start = time.perf_counter()
    done = []
    with ProcessPoolExecutor(max_workers=min(job_count, len(missing))) as pool:
        results = pool.map(_execute, missing, missing.values(), [timeout] * len(missing))
        for path, (notebook, seconds, error) in zip(missing, results, strict=True):
            name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
            if error is not None:
                print(f"{name}: execution failed; the build runs it again and reports the error", flush=True)
                continue
            record = cache.add_nb_to_project(str(path))
            cache.cache_notebook_bundle(
                CacheBundleIn(notebook, record.uri, data={"execution_seconds": seconds}),
                check_validity=False,
                overwrite=True,
            )
            done.append(path)
            print(f"{name}: executed in {seconds:.1f} s and cached", flush=True)
    print(
        f"executed {len(done)} of {len(notebooks)} notebooks ({job_count} at a time) "
        f"in {time.perf_counter() - start:.1f} s; the others came from the cache",
        flush=True,
    )
    return done


def build_options(argv: list[str]) -> tuple[list[str], dict[str, Any], int]:
    """The arguments for jupyter-book, the Sphinx settings to override, and the number of jobs.

    With ``--execute-cache`` the chapters missing from the cache are executed (and cached) first."""
    if CACHE_OPTION not in argv:
        return argv, {}, jobs()
    args = [a for a in argv if a != CACHE_OPTION]
    folder = cache_path()
    prefill_cache(folder, toc_notebooks(), jobs(), _execution_timeout(ROOT))
    overrides = {"nb_execution_mode": "cache", "nb_execution_cache_path": str(folder)}
    return args, overrides, 1


def skip_slow_optional_imports() -> None:
    """Keep jsonschema from importing ``rfc3987_syntax`` in the build process.

    jsonschema (which Jupyter Book and nbformat import) loads that optional package, if installed, only to
    offer the "iri" string formats to format checkers; JupyterLab's dependencies install it. Importing it
    compiles 39 Lark grammars: 3.4 s of every build on this 2-core VM, a tenth of ``make book``. Nothing in the
    build checks formats (Jupyter Book validates ``_config.yml`` without a format checker), so the build
    behaves the same without it. A ``None`` in ``sys.modules`` makes the import raise ImportError, which
    jsonschema expects when the package is absent.
    """
    sys.modules.setdefault("rfc3987_syntax", None)


def fast_kernel_shutdown() -> None:
    """Stop each notebook's kernel at once when its last cell has run (nbclient's ``shutdown_kernel``).

    The default, a graceful shutdown, interrupts the kernel, asks it to exit and polls until it has: 0.3 s per
    notebook here. In 5 of 36 runs (ipykernel 7.4, jupyter_client 8.10) the kernel ignored the request after
    the interrupt and was terminated only when half of ``shutdown_wait_time`` had passed: 2.5 s more for that
    chapter (07_quiz executed 12 times took 2.2–2.6 s, twice 5.0 s; stopped at once, 1.7–2.2 s).
    The book needs nothing from a kernel once its outputs are collected (history is kept in memory only, no
    ``atexit`` work). myst-nb passes no nbclient settings, so the class default is changed; ``make bench``
    times its floor the same way.
    """
    from nbclient import NotebookClient

    NotebookClient.shutdown_kernel.default_value = "immediate"


def main() -> int:
    skip_slow_optional_imports()
    fast_kernel_shutdown()
    import jupyter_book.sphinx
    from jupyter_book.cli.main import main as jupyter_book_main

    args, overrides, job_count = build_options(sys.argv[1:])
    build_sphinx = jupyter_book.sphinx.build_sphinx

    @functools.wraps(build_sphinx)
    def build(*a: Any, confoverrides: dict[str, Any] | None = None, **kw: Any) -> Any:
        return build_sphinx(*a, confoverrides={**(confoverrides or {}), **overrides}, jobs=job_count, **kw)

    # the command imports build_sphinx from this module when it runs, so the wrapped one is used
    jupyter_book.sphinx.build_sphinx = build
    return jupyter_book_main(args=args, prog_name="jupyter-book")


if __name__ == "__main__":
    sys.exit(main())
