"""``jupyter-book build`` with Sphinx reading the pages on every CPU core (make book, make build-strict).

Jupyter Book 1 reads (and, with myst-nb, executes) the chapters one after another: its command line has no
``-j`` option, although its ``build_sphinx`` passes a job count to Sphinx. Executing a notebook keeps one core
busy in its kernel, so on a 2-core machine two chapters at a time halve the build. This script runs the same
command line, arguments unchanged, with that count set to the number of cores (or ``LROPT_BUILD_JOBS``).

Every extension the book loads must declare parallel reading safe, otherwise Sphinx warns and reads one page at
a time: ``_config.yml`` turns off the PDF-only sphinx-jupyterbook-latex, and ``lropt_site`` vouches for
sphinx-multitoc-numbering (see ``_mark_parallel_safe`` there).
"""

from __future__ import annotations

import functools
import os
import sys


def jobs() -> int:
    value = os.environ.get("LROPT_BUILD_JOBS", "")
    if value:
        if not value.isdigit() or int(value) < 1:
            raise SystemExit(f"LROPT_BUILD_JOBS must be a positive integer, got {value!r}")
        return int(value)
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


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


def main() -> int:
    skip_slow_optional_imports()
    import jupyter_book.sphinx
    from jupyter_book.cli.main import main as jupyter_book_main

    # the command imports build_sphinx from this module when it runs, so the patched one is used
    jupyter_book.sphinx.build_sphinx = functools.partial(jupyter_book.sphinx.build_sphinx, jobs=jobs())
    return jupyter_book_main(args=sys.argv[1:], prog_name="jupyter-book")


if __name__ == "__main__":
    sys.exit(main())
