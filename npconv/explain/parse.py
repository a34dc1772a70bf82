"""Read a layer written as text (``"Conv2d(1, 1, kernel_size=3, stride=2)"``) without evaluating it.

The text is parsed with :mod:`ast` into one call of a whitelisted layer name with literal arguments
(numbers, strings, booleans, ``None`` and tuples/lists of them). Nothing is ever evaluated: names such
as ``os`` or ``__import__`` are refused before any object is looked up. Text copied from a printed
model is accepted as torch prints it: ``nn.``/``torch.nn.`` prefixes, a leading ``(conv1):`` label and
bare words such as ``padding=same`` or ``padding_mode=reflect`` (torch prints those without quotes).
"""
import ast
import re
from dataclasses import dataclass, field

__all__ = ["LAYER_NAMES", "OTHER_NAMES", "ExplainError", "LayerCall", "LayerSyntaxError", "parse_layer"]


class ExplainError(ValueError):
    """A layer or input that cannot be explained (one-line message)."""


class LayerSyntaxError(ExplainError):
    """A layer string that is not one call of a known layer with literal arguments (one-line message)."""


CONV_NAMES = ("Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d")
POOL_NAMES = ("MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d")
UPSAMPLE_NAMES = ("Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d")
LAYER_NAMES = CONV_NAMES + POOL_NAMES + UPSAMPLE_NAMES    # the layers with a sliding window: drawn as diagrams

# The rest of a CNN, explained in text (npconv.explain.others): torch's positional order of their arguments.
_NORM_ARGS = ("num_features", "eps", "momentum", "affine", "track_running_stats")
OTHER_PARAMETERS = {
    "Linear": ("in_features", "out_features", "bias"),
    **{f"BatchNorm{d}d": _NORM_ARGS for d in (1, 2, 3)},
    "GroupNorm": ("num_groups", "num_channels", "eps", "affine"),
    "LayerNorm": ("normalized_shape", "eps", "elementwise_affine", "bias"),
    "ReLU": ("inplace",), "ReLU6": ("inplace",), "LeakyReLU": ("negative_slope", "inplace"), "Sigmoid": (),
    "Tanh": (), "GELU": ("approximate",), "SiLU": ("inplace",), "ELU": ("alpha", "inplace"),
    "Softmax": ("dim",),
    **{f"Adaptive{kind}Pool{d}d": ("output_size",) for kind in ("Avg", "Max") for d in (1, 2, 3)},
    **{f"MaxUnpool{d}d": ("kernel_size", "stride", "padding") for d in (1, 2, 3)},
    "PixelShuffle": ("upscale_factor",), "PixelUnshuffle": ("downscale_factor",),
    "Flatten": ("start_dim", "end_dim"),
}
OTHER_NAMES = tuple(OTHER_PARAMETERS)

# The arguments each layer accepts, in torch's positional order (device/dtype are left out on purpose:
# a diagram does not depend on them and they are not literals).
_CONV_ARGS = ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups",
              "bias", "padding_mode")
_CONV_TRANSPOSE_ARGS = ("in_channels", "out_channels", "kernel_size", "stride", "padding",
                        "output_padding", "groups", "bias", "dilation", "padding_mode")
_MAX_POOL_ARGS = ("kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode")
_AVG_POOL_1D_ARGS = ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad")
_AVG_POOL_ARGS = _AVG_POOL_1D_ARGS + ("divisor_override",)
_UPSAMPLE_ARGS = ("size", "scale_factor", "mode", "align_corners", "recompute_scale_factor")
_FIXED_MODE_UPSAMPLE_ARGS = ("size", "scale_factor")

PARAMETERS = {
    **{name: _CONV_ARGS for name in CONV_NAMES[:3]},
    **{name: _CONV_TRANSPOSE_ARGS for name in CONV_NAMES[3:]},
    **{name: _MAX_POOL_ARGS for name in POOL_NAMES[:3]},
    "AvgPool1d": _AVG_POOL_1D_ARGS, "AvgPool2d": _AVG_POOL_ARGS, "AvgPool3d": _AVG_POOL_ARGS,
    "Upsample": _UPSAMPLE_ARGS,
    "UpsamplingNearest2d": _FIXED_MODE_UPSAMPLE_ARGS, "UpsamplingBilinear2d": _FIXED_MODE_UPSAMPLE_ARGS,
}
PARAMETERS.update(OTHER_PARAMETERS)
REQUIRED = {name: PARAMETERS[name][:3] for name in CONV_NAMES}
REQUIRED.update({name: ("kernel_size",) for name in POOL_NAMES})
REQUIRED.update({name: OTHER_PARAMETERS[name][:1] for name in OTHER_NAMES
                 if name.startswith(("BatchNorm", "LayerNorm", "Adaptive", "MaxUnpool", "Pixel"))})
REQUIRED.update(Linear=("in_features", "out_features"), GroupNorm=("num_groups", "num_channels"))

# torch prints these string values without quotes (padding=same, padding_mode=reflect).
BARE_WORDS = {"same", "valid", "causal", "zeros", "reflect", "replicate", "circular",
              "nearest", "linear", "bilinear", "bicubic", "trilinear", "area"}
# UpsamplingNearest2d/Bilinear2d print a mode they do not accept; ignore it when it is their own.
_FIXED_MODES = {"UpsamplingNearest2d": "nearest", "UpsamplingBilinear2d": "bilinear"}
_MODULE_PREFIXES = ("nn", "torch.nn", "npconv.nn", "torch", "npconv")
_LABEL = re.compile(r"^\s*\([\w.]+\)\s*:\s*")   # "(conv1): " as in a printed model
MAX_TEXT_LENGTH = 2000


@dataclass(frozen=True)
class LayerCall:
    """One parsed layer: its class name and arguments bound to torch's parameter names."""
    name: str
    arguments: dict = field(default_factory=dict)

    def __str__(self):
        shown = ", ".join(f"{key}={value!r}" for key, value in self.arguments.items())
        return f"{self.name}({shown})"


def parse_layer(text):
    """Parse ``text`` into a :class:`LayerCall`; raise :class:`LayerSyntaxError` with a one-line reason.

    >>> parse_layer("nn.Conv2d(1, 8, kernel_size=3, padding=same)")
    LayerCall(name='Conv2d', arguments={'in_channels': 1, 'out_channels': 8, 'kernel_size': 3, 'padding': 'same'})
    """
    if not isinstance(text, str):
        raise LayerSyntaxError(f"expected the text of a layer, got {type(text).__name__}")
    if len(text) > MAX_TEXT_LENGTH:
        raise LayerSyntaxError(f"layer text is {len(text)} characters long; at most {MAX_TEXT_LENGTH}")
    source = _LABEL.sub("", text.strip(), count=1)
    if not source:
        raise LayerSyntaxError("empty layer text; write e.g. Conv2d(1, 1, kernel_size=3)")
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as error:
        raise LayerSyntaxError(f"cannot read {source!r}: {error.msg} (write e.g. Conv2d(1, 1, kernel_size=3))"
                               ) from None
    except (ValueError, RecursionError, MemoryError):   # null bytes, absurd nesting
        raise LayerSyntaxError("cannot read the layer text; write e.g. Conv2d(1, 1, kernel_size=3)") from None
    call = tree.body
    if not isinstance(call, ast.Call):
        raise LayerSyntaxError(f"expected one layer call such as Conv2d(1, 1, 3), got {_snippet(call)!r}")
    name = _layer_name(call.func)
    arguments = _bind(name, [_literal(node, name) for node in call.args],
                      {kw.arg: _literal(kw.value, name, kw.arg) for kw in _keywords(call, name)})
    return LayerCall(name, arguments)


def _layer_name(func):
    dotted = _dotted_name(func)
    if dotted is None:
        raise LayerSyntaxError(f"expected a layer name such as Conv2d, got {_snippet(func)!r}")
    prefix, _, name = dotted.rpartition(".")
    known = LAYER_NAMES + OTHER_NAMES
    if prefix and prefix not in _MODULE_PREFIXES or name not in known:
        from ..arithmetic.summary_table import suggestion
        raise LayerSyntaxError(f"unknown layer {dotted!r}{suggestion(name, known)}; known layers: {', '.join(known)}")
    return name


def _dotted_name(node):
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted_name(node.value)
        return None if inner is None else f"{inner}.{node.attr}"
    return None


def _keywords(call, layer):
    for keyword in call.keywords:
        if keyword.arg is None:
            raise LayerSyntaxError(f"{layer}: '**' arguments are not accepted; write each argument out")
        yield keyword


def _literal(node, layer, argument=None):
    """The Python value of a literal node; anything else (names, calls, operators) is refused."""
    where = f"{layer} argument {argument!r}" if argument else f"{layer} argument"
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str, bool, type(None))):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)) \
            and isinstance(node.operand, ast.Constant) and type(node.operand.value) in (int, float):
        return -node.operand.value if isinstance(node.op, ast.USub) else node.operand.value
    if isinstance(node, (ast.Tuple, ast.List)):
        return tuple(_literal(element, layer, argument) for element in node.elts)
    if isinstance(node, ast.Name) and node.id in BARE_WORDS:
        return node.id
    raise LayerSyntaxError(f"{where}: only literal numbers, strings, True/False/None and tuples are "
                           f"accepted, got {_snippet(node)!r}")


def _bind(name, positional, keywords):
    parameters = PARAMETERS[name]
    if name in _FIXED_MODES and keywords.get("mode") == _FIXED_MODES[name]:
        del keywords["mode"]
    if len(positional) > len(parameters):
        raise LayerSyntaxError(f"{name} takes at most {len(parameters)} positional arguments "
                               f"({', '.join(parameters)}), got {len(positional)}")
    arguments = dict(zip(parameters, positional))
    for key, value in keywords.items():
        if key not in parameters:
            raise LayerSyntaxError(f"{name} got an unexpected argument {key!r}; "
                                   f"its arguments are: {', '.join(parameters)}")
        if key in arguments:
            raise LayerSyntaxError(f"{name} got two values for argument {key!r}")
        arguments[key] = value
    missing = [key for key in REQUIRED.get(name, ()) if key not in arguments]
    if missing:
        raise LayerSyntaxError(f"{name} is missing required argument(s): {', '.join(missing)}")
    return arguments


def _snippet(node, limit=60):
    text = ast.unparse(node)
    return text if len(text) <= limit else text[:limit - 3] + "..."
