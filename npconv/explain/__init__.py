"""Explain one layer: output-size derivation, numeric trace and diagrams (SVG, PNG, GIF).

>>> print(npconv.explain("Conv2d(1, 1, kernel_size=3, stride=2, padding=1)", (1, 1, 5, 5)))
"""
from .core import Explanation, explain
from .layer import ExplainError, LayerSpec, layer_spec
from .parse import LAYER_NAMES, LayerCall, LayerSyntaxError, parse_layer

__all__ = ["explain", "Explanation", "ExplainError", "LayerSyntaxError", "LayerSpec", "LayerCall",
           "LAYER_NAMES", "layer_spec", "parse_layer"]
