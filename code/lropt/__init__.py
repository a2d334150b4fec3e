"""lropt — the shared NumPy library of the book 学習率最適化手法.

Chapters import from the submodules (``lropt.optimizers``, ``lropt.surfaces``, ...); nothing here is
re-implemented in a notebook.
"""

__version__ = "0.1.0"
