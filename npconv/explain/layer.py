"""A layer reduced to what an explanation needs: its kind, hyper-parameters as per-dimension tuples,
and (when a real module was given) its weights.

A :class:`LayerSpec` is built either from a :class:`~npconv.explain.parse.LayerCall` (text) or from a
module object (npconv's, or any object with torch's attribute names, such as a torch module). Values are
checked here only for their *form* (an int where an int is needed); whether they make sense for the
input is decided by npconv's own module and forward, whose error messages reach the user unchanged.
"""
import operator
from dataclasses import dataclass, field

import numpy as np

from .. import _shapes
from .parse import CONV_NAMES, LAYER_NAMES, POOL_NAMES, PARAMETERS, ExplainError, LayerCall, parse_layer

__all__ = ["ExplainError", "LayerSpec", "layer_spec"]


_DEFAULTS = {"stride": None, "padding": 0, "dilation": 1, "groups": 1, "bias": True,
             "padding_mode": "zeros", "output_padding": 0, "ceil_mode": False, "count_include_pad": True,
             "divisor_override": None, "return_indices": False, "size": None, "scale_factor": None,
             "mode": "nearest", "align_corners": None, "recompute_scale_factor": None}
_FIXED_UPSAMPLE = {"UpsamplingNearest2d": ("nearest", None), "UpsamplingBilinear2d": ("bilinear", True)}


@dataclass
class LayerSpec:
    """Normalised hyper-parameters of one layer (tuples have one entry per spatial dimension)."""
    name: str
    kind: str                       # conv | conv_transpose | max_pool | avg_pool | upsample
    dims: int                       # number of spatial dimensions (1, 2 or 3)
    arguments: dict                 # constructor arguments, as torch's __init__ takes them
    kernel_size: tuple = ()
    stride: tuple = ()
    padding: object = ()            # tuple of ints, or 'same' / 'valid'
    dilation: tuple = ()
    output_padding: tuple = ()
    in_channels: int = 1
    out_channels: int = 1
    groups: int = 1
    has_bias: bool = False
    padding_mode: str = "zeros"
    ceil_mode: bool = False
    count_include_pad: bool = True
    divisor_override: object = None
    size: object = None             # Upsample: target size tuple or None
    scale_factor: object = None     # Upsample: tuple of floats or None
    mode: str = "nearest"
    align_corners: object = None
    weight: object = None           # np.ndarray of the real module, or None (explain with ones)
    bias: object = None
    module: object = field(default=None, repr=False)   # the npconv module given by the user, if any

    @property
    def is_conv(self):
        return self.kind in ("conv", "conv_transpose")

    def describe(self):
        """The layer as torch prints it."""
        shown = []
        for key, value in self.arguments.items():
            if key in ("in_channels", "out_channels"):
                shown.append(repr(value))
            else:
                shown.append(f"{key}={value!r}")
        return f"{self.name}({', '.join(shown)})"


def layer_spec(layer, spatial_dims=None):
    """A :class:`LayerSpec` from layer text, a :class:`LayerCall` or a module object.

    ``spatial_dims`` fixes the dimensionality of dimension-free layers (``Upsample``) from the input.
    """
    if isinstance(layer, str):
        layer = parse_layer(layer)
    if isinstance(layer, LayerCall):
        return _spec_from_arguments(layer.name, dict(layer.arguments), spatial_dims)
    name = type(layer).__name__
    if name not in LAYER_NAMES:
        raise ExplainError(f"cannot explain a {name}; explainable layers: {', '.join(LAYER_NAMES)}")
    spec = _spec_from_arguments(name, _arguments_of_module(layer, name), spatial_dims)
    if spec.is_conv:
        spec.weight = _as_array(getattr(layer, "weight", None))
        spec.bias = _as_array(getattr(layer, "bias", None))
    if type(layer).__module__.startswith("npconv"):
        spec.module = layer
    return spec


def _arguments_of_module(module, name):
    arguments = {}
    for key in PARAMETERS[name]:
        if key == "bias":
            arguments["bias"] = getattr(module, "bias", None) is not None
        elif hasattr(module, key):
            arguments[key] = getattr(module, key)
    if name in _FIXED_UPSAMPLE:
        arguments.pop("mode", None)
    return arguments


def _as_array(value):
    if value is None:
        return None
    for method in ("detach", "numpy"):   # torch tensors need detach() first; npconv tensors numpy()
        if hasattr(value, method):
            value = getattr(value, method)()
    return np.array(value, dtype=np.float64)


def _spec_from_arguments(name, arguments, spatial_dims):
    values = {key: arguments.get(key, _DEFAULTS.get(key)) for key in PARAMETERS[name]}
    if name in POOL_NAMES or name in CONV_NAMES:
        dims = int(name[-2])
    elif name in _FIXED_UPSAMPLE:
        dims = 2
    else:
        dims = spatial_dims or _upsample_dims(values)
    spec = LayerSpec(name=name, kind=_kind(name), dims=dims, arguments=arguments)
    if name in CONV_NAMES:
        _fill_conv(spec, values)
    elif name in POOL_NAMES:
        _fill_pool(spec, values)
    else:
        _fill_upsample(spec, values)
    return spec


def _kind(name):
    if name.startswith("ConvTranspose"):
        return "conv_transpose"
    if name.startswith("Conv"):
        return "conv"
    if name.startswith("MaxPool"):
        return "max_pool"
    if name.startswith("AvgPool"):
        return "avg_pool"
    return "upsample"


def _fill_conv(spec, values):
    name = spec.name
    spec.in_channels = _integer(values["in_channels"], name, "in_channels")
    spec.out_channels = _integer(values["out_channels"], name, "out_channels")
    spec.groups = _integer(values["groups"], name, "groups")
    spec.kernel_size = _per_dim(values["kernel_size"], spec.dims, name, "kernel_size")
    spec.stride = _per_dim(values["stride"] or 1, spec.dims, name, "stride")
    spec.dilation = _per_dim(values["dilation"], spec.dims, name, "dilation")
    padding = values["padding"]
    if padding == "causal" and (spec.name != "Conv1d" or values["padding_mode"] != "zeros"):
        raise ExplainError(f"{name}: padding='causal' (explain's name for left zero padding of "
                           f"dilation*(kernel_size - 1), as a causal Conv1d pads) is for Conv1d with zero padding")
    if isinstance(padding, str) and spec.kind == "conv":
        if padding not in ("same", "valid", "causal"):
            raise ExplainError(f"{name}: invalid padding string {padding!r}, should be one of "
                               f"{{'valid', 'same'}}")
        spec.padding = padding
    else:
        spec.padding = _per_dim(padding, spec.dims, name, "padding")
    if spec.kind == "conv_transpose":
        spec.output_padding = _per_dim(values["output_padding"], spec.dims, name, "output_padding")
    spec.has_bias = bool(values["bias"])
    spec.padding_mode = values["padding_mode"]
    if spec.padding_mode not in ("zeros", "reflect", "replicate", "circular"):
        raise ExplainError(f"{name}: padding_mode must be 'zeros', 'reflect', 'replicate' or 'circular', "
                           f"got {spec.padding_mode!r}")


def _fill_pool(spec, values):
    name = spec.name
    spec.kernel_size = _per_dim(values["kernel_size"], spec.dims, name, "kernel_size")
    stride = values["stride"]
    spec.stride = spec.kernel_size if stride is None or stride == () else \
        _per_dim(stride, spec.dims, name, "stride")
    spec.padding = _per_dim(values["padding"], spec.dims, name, "padding")
    spec.dilation = _per_dim(values.get("dilation", 1), spec.dims, name, "dilation")
    spec.ceil_mode = bool(values["ceil_mode"])
    spec.count_include_pad = bool(values.get("count_include_pad", True))
    spec.divisor_override = values.get("divisor_override")
    spec.in_channels = spec.out_channels = None


def _fill_upsample(spec, values):
    name = spec.name
    mode, align_corners = _FIXED_UPSAMPLE.get(name, (values.get("mode", "nearest"), values.get("align_corners")))
    spec.mode, spec.align_corners = mode, align_corners
    if (values["size"] is None) == (values["scale_factor"] is None):
        raise ExplainError(f"{name}: give exactly one of size and scale_factor")
    if values["size"] is not None:
        spec.size = _per_dim(values["size"], spec.dims, name, "size")
    else:
        factor = values["scale_factor"]
        factors = factor if isinstance(factor, tuple) else (factor,) * spec.dims
        if len(factors) != spec.dims or not all(_is_number(f) for f in factors):
            raise ExplainError(f"{name}: scale_factor must be a number or a tuple of {spec.dims} numbers, "
                               f"got {factor!r}")
        spec.scale_factor = tuple(float(f) for f in factors)
    spec.in_channels = spec.out_channels = None


def _upsample_dims(values):
    for key in ("size", "scale_factor"):
        if isinstance(values[key], tuple):
            return len(values[key])
    return 2


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _integer(value, layer, argument):
    if isinstance(value, bool):
        raise ExplainError(f"{layer}: {argument} must be an int, got {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise ExplainError(f"{layer}: {argument} must be an int, got {value!r}") from None


def _per_dim(value, dims, layer, argument):
    """``value`` as a tuple of ``dims`` ints (an int or a 1-tuple is repeated, as torch's ops do)."""
    if isinstance(value, str):
        raise ExplainError(f"{layer}: {argument} must be an int or a tuple of {dims} ints, got {value!r}")
    items = _shapes.expand(value, dims)
    if len(items) != dims:
        raise ExplainError(f"{layer}: {argument} must be an int or a tuple of {dims} ints, got {value!r}")
    return tuple(_integer(item, layer, argument) for item in items)
