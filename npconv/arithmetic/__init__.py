"""Convolution arithmetic: output sizes, padding, solvers, receptive fields, model summaries."""
from .sizes import *  # noqa: F401,F403
from .solvers import *  # noqa: F401,F403
from .receptive import *  # noqa: F401,F403
from .summary import ModelSummary, LayerRow, summary  # noqa: F401
from .complexity import get_model_complexity_info  # noqa: F401
from . import sizes as _sizes, solvers as _solvers, receptive as _receptive

__all__ = [*_sizes.__all__, *_solvers.__all__, *_receptive.__all__, "summary", "ModelSummary", "LayerRow",
           "get_model_complexity_info"]
