"""Explain one layer: output-size derivation, numeric trace and diagrams (SVG, PNG, GIF).

>>> print(npconv.explain("Conv2d(1, 1, kernel_size=3, stride=2, padding=1)", (1, 1, 5, 5)))
"""
from .core import Explanation, explain
from .layer import ExplainError, LayerSpec, layer_spec
from .parse import LAYER_NAMES, LayerCall, LayerSyntaxError, parse_layer

__all__ = ["explain", "Explanation", "ExplainError", "LayerSyntaxError", "LayerSpec", "LayerCall",
           "LAYER_NAMES", "layer_spec", "parse_layer"]


class _CallableModule(__import__("types").ModuleType):
    """Lets ``npconv.explain(...)`` call :func:`explain` while ``npconv.explain.cli`` stays a module."""

    def __call__(self, layer, input_size, at=None):
        return explain(layer, input_size, at=at)


__import__("sys").modules[__name__].__class__ = _CallableModule
