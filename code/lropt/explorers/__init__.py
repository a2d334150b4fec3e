"""The book's ready-made sliders (スライダー付きの図), one submodule per chapter.

Each ``explore_*`` function builds an :class:`lropt.interactive.Explorer`: displayed as the last expression of a
notebook cell it is a live ipywidgets control in Jupyter and a kernel-free slider on the website. All runs are
computed with :func:`lropt.trajectory.run` and the optimizers of :mod:`lropt.optimizers` — nothing is
re-implemented.
"""

from .adagrad import explore_adagrad
from .adam import explore_adam
from .comparison import explore_comparison
from .learning_rate import explore_learning_rate
from .momentum import explore_momentum
from .rmsprop import explore_rmsprop

__all__ = [
    "explore_learning_rate",
    "explore_momentum",
    "explore_adagrad",
    "explore_rmsprop",
    "explore_adam",
    "explore_comparison",
]
