"""Convolution arithmetic: output sizes, padding, solvers, receptive fields, model summaries.

* :mod:`.sizes` -- the one home of the size rules the ops use: ``conv_output_size``,
  ``conv_transpose_output_size``, ``pool_output_size`` (torch's ceil_mode rule), ``same_padding``,
  ``interpolate_output_size``.
* :mod:`.solvers` -- the inverse: ``solve_conv(128, 64)``, ``solve_conv_transpose(128, 255)``,
  ``solve_pool``, ``solve_padding``: every setting giving the wanted size, simplest first.
* :mod:`.receptive` -- receptive field and jump per spatial dimension (``ReceptiveField``,
  ``receptive_field(layers)``).
* :mod:`.summary` -- ``summary(model, input_size)``: a torchinfo-style table from a shape-only run.
  **MAC convention:** ``mult_adds`` counts the weight multiply-accumulates of convolution, transposed
  convolution and linear layers, bias excluded (the "GMACs" of papers): convolution = output elements x
  in_channels / groups x kernel volume; transposed convolution = *input* elements x out_channels / groups x
  kernel volume (torchinfo overcounts these by about stride^d); linear = output elements x in_features.
* :mod:`.complexity` -- ``get_model_complexity_info``: ptflops' function and ptflops' own conventions
  (bias, activations, pooling, norms, upsampling and functional calls counted as ptflops counts them).
* :mod:`.torch_trace` -- the three accept a real ``torch.nn.Module`` too (the ``npconv[torch]`` extra): it
  runs as a meta copy on torch's meta device and feeds the same rows and rules; torch is imported only
  when the user passes a torch object.
* :mod:`.cli` -- ``npconv summary MODEL --input 1,3,224,224 --format table|json|csv|markdown``.
"""
from .sizes import *  # noqa: F401,F403
from .solvers import *  # noqa: F401,F403
from .receptive import *  # noqa: F401,F403
from .summary import ModelSummary, LayerRow, summary  # noqa: F401
from .complexity import get_model_complexity_info  # noqa: F401
from . import sizes as _sizes, solvers as _solvers, receptive as _receptive

__all__ = [*_sizes.__all__, *_solvers.__all__, *_receptive.__all__, "summary", "ModelSummary", "LayerRow",
           "get_model_complexity_info"]
