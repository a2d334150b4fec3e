"""Run by the kernel before a chapter (IPython ``exec_files``) for make bench's breakdown of the execution time.

The chapter runs as usual, but the figures it shows are not rendered: every inline figure gets no PNG and, when
the environment variable ``LROPT_BENCH_SKIP_EXPLORERS`` is ``1``, every slider figure (``lropt.interactive``'s
Explorer) shows only its one-line text instead of its widget and static frames. Everything else (imports,
optimisation runs, building the figures' artists) still runs. Never used by the book itself.
"""


def _lropt_bench_skip_rendering() -> None:
    import os
    import sys

    from IPython import get_ipython

    shell = get_ipython()
    skip_explorers = os.environ.get("LROPT_BENCH_SKIP_EXPLORERS") == "1"

    def no_png(fig):
        return None

    def install(*args):
        # again before every cell: lropt.plotting registers its own PNG formatter when a chapter imports it
        from matplotlib.figure import Figure

        shell.display_formatter.formatters["image/png"].for_type(Figure, no_png)
        interactive = sys.modules.get("lropt.interactive")
        if skip_explorers and interactive is not None:
            interactive.Explorer._repr_mimebundle_ = lambda self, include=None, exclude=None: {
                "text/plain": f"<{self.title}>"
            }

    shell.events.register("pre_run_cell", install)


_lropt_bench_skip_rendering()
del _lropt_bench_skip_rendering
