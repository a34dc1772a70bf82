"""Convolution arithmetic: output sizes, padding, solvers, receptive fields, model summaries."""
from .sizes import *  # noqa: F401,F403
from .sizes import __all__ as _sizes_all

__all__ = list(_sizes_all)
