"""Layer mode: one layer (given as text) on one input size, as the JSON the page draws.

Everything is computed by npconv's own pieces: the text is read by :func:`npconv.explain.parse_layer`,
sizes, the derivation, the numeric trace and the SVG come from :class:`npconv.explain.Explanation`,
parameters, MACs and the receptive field from :func:`npconv.summary` of the same layer. Errors of an
invalid combination are npconv's, which are torch's word for word. This module adds only the limits that
keep a local server responsive, the control schema and the PyTorch code shown beside the diagram.
"""
import inspect
import math

from ..explain import ExplainError, explain, layer_spec, parse_layer
from ..explain.geometry import axes_of, padding_pairs
from ..explain.parse import PARAMETERS, REQUIRED
from ..explain.text import shape_text

__all__ = ["EXPLORED_LAYERS", "LIMITS", "layer_schema", "module_defaults", "dims_text", "python_literal",
           "explain_layer", "explanation_payload", "pytorch_code",
           "parse_indices", "check_limits"]

EXPLORED_LAYERS = ("Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
                   "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d", "Upsample")

# A request never makes the server allocate more than this (the page is for learning, not for benchmarks).
LIMITS = dict(argument=256, scale_factor=64, input_elements=1_000_000, weight_elements=1_000_000,
              work_elements=4_000_000, trace_terms=20_000, dims_of_input=5)

# What the page needs to draw a control; the default values come from npconv.nn's own signatures.
_PER_DIM = {"kernel_size", "stride", "padding", "dilation", "output_padding", "size"}
_BOOLEANS = {"bias", "ceil_mode", "count_include_pad", "return_indices"}
_OPTIONAL_BOOLEANS = {"align_corners", "recompute_scale_factor"}
# Values the page offers for the initially required arguments (torch has no default for them).
_STARTING_VALUES = {"in_channels": 1, "out_channels": 1, "kernel_size": 3}


def layer_schema():
    """The controls of every explored layer: for each argument its kind, default and choices."""
    return {"layers": [_layer_controls(name) for name in EXPLORED_LAYERS], "limits": LIMITS,
            "padding_modes": _padding_modes(), "interpolation_modes": _interpolation_modes()}


def module_defaults(name):
    """The default value of each argument of ``npconv.nn.<name>`` (torch's, which the tests check)."""
    import npconv.nn as nn
    parameters = inspect.signature(getattr(nn, name).__init__).parameters
    return {key: p.default for key, p in parameters.items() if p.default is not inspect.Parameter.empty}


def _layer_controls(name):
    defaults = module_defaults(name)
    dims = int(name[-2]) if name[-2].isdigit() else None
    controls = []
    for argument in PARAMETERS[name]:
        required = argument in REQUIRED.get(name, ())
        default = _STARTING_VALUES.get(argument) if required else defaults.get(argument)
        controls.append({"name": argument, "kind": _control_kind(name, argument), "default": default,
                         "required": required})
    return {"name": name, "dims": dims, "kind": layer_spec(_starting_text(name)).kind, "controls": controls}


def _starting_text(name):
    if name == "Upsample":
        return "Upsample(scale_factor=2)"
    values = ", ".join(f"{key}={_STARTING_VALUES[key]}" for key in REQUIRED[name])
    return f"{name}({values})"


def _control_kind(name, argument):
    if argument == "padding" and name.startswith("Conv") and not name.startswith("ConvTranspose"):
        return "padding"             # per-dim ints or 'same' / 'valid'
    if argument == "stride" and not name.startswith("Conv"):
        return "optional_ints"       # pools: None means kernel_size
    if argument == "size":
        return "optional_ints"
    if argument == "scale_factor":
        return "optional_floats"
    if argument in _PER_DIM:
        return "ints"
    if argument in _BOOLEANS:
        return "bool"
    if argument in _OPTIONAL_BOOLEANS:
        return "optional_bool"
    if argument == "padding_mode":
        return "padding_mode"
    if argument == "mode":
        return "mode"
    if argument == "divisor_override":
        return "optional_int"
    return "int"


def _padding_modes():
    from ..nn.modules.conv import _PADDING_MODES   # the one list; 'zeros' (the default) first
    return sorted(_PADDING_MODES, key=lambda mode: (mode != "zeros", mode))


def _interpolation_modes():
    from ..nn.functional.upsampling import _ALL_MODES   # the modes npconv's interpolate names in its errors
    return [mode.strip() for mode in _ALL_MODES.split("|")]


# ---------------------------------------------------------------------------------------------- parsing

def parse_indices(text, what):
    """``'1,3,5'`` -> ``(1, 3, 5)``; ExplainError naming ``what`` otherwise."""
    if text is None or str(text).strip() == "":
        return None
    try:
        return tuple(int(part) for part in str(text).replace("x", ",").split(",") if part.strip())
    except ValueError:
        raise ExplainError(f"{what} must be integers separated by commas, e.g. 1,1,5,5; got {text!r}") from None


def check_limits(spec, input_shape, existing_weights=False):
    """Refuse (ExplainError) a layer/input pair that would make the server allocate too much.

    ``existing_weights``: the layer is a model's own module, whose weights exist already (model mode).
    """
    if not 2 <= len(input_shape) <= LIMITS["dims_of_input"]:
        raise ExplainError(f"input size needs 2 to {LIMITS['dims_of_input']} numbers (N, C, spatial...), "
                           f"got {len(input_shape)}")
    _check_count("input", math.prod(input_shape), LIMITS["input_elements"])
    for key in ("kernel_size", "stride", "padding", "dilation", "output_padding", "size"):
        value = getattr(spec, key, None)
        if isinstance(value, tuple) and any(abs(v) > LIMITS["argument"] for v in value):
            raise ExplainError(f"{spec.name}: {key}={value} is beyond this page's limit of "
                               f"{LIMITS['argument']} per dimension")
    if spec.scale_factor and any(abs(f) > LIMITS["scale_factor"] for f in spec.scale_factor):
        raise ExplainError(f"{spec.name}: scale_factor beyond this page's limit of {LIMITS['scale_factor']}")
    if spec.is_conv:
        for key in ("in_channels", "out_channels", "groups"):
            if abs(getattr(spec, key)) > LIMITS["input_elements"]:
                raise ExplainError(f"{spec.name}: {key} is beyond this page's limits")
        groups = max(spec.groups, 1)
        per_output = abs(spec.in_channels) // groups * math.prod(abs(k) for k in spec.kernel_size)
        if not existing_weights:
            _check_count("weight", per_output * abs(spec.out_channels), LIMITS["weight_elements"])
        _check_count("terms of one output's trace", per_output, LIMITS["trace_terms"])
    _check_work(spec, input_shape)


def _check_work(spec, input_shape):
    """The padded input, the output and (transposed) the uncropped output stay within the limit."""
    if len(input_shape) < spec.dims + 1:
        return   # the forward reports the wrong number of dimensions
    spatial = input_shape[-spec.dims:]
    inputs = math.prod(input_shape[:-spec.dims])            # N * C (or C unbatched)
    outputs = inputs // max(input_shape[-spec.dims - 1], 1) * abs(spec.out_channels or input_shape[-spec.dims - 1])
    try:
        pads = padding_pairs(spec) if spec.kind != "upsample" else [(0, 0)] * len(spatial)
        padded = math.prod(size + left + right for size, (left, right) in zip(spatial, pads))
        axes = axes_of(spec, spatial)
    except (ValueError, TypeError, ArithmeticError):
        return   # not a valid combination: the forward reports torch's error before allocating
    out_cells = math.prod(max(a.out, 0) for a in axes)
    if spec.kind == "conv_transpose":   # computed uncropped, then cropped by padding
        out_cells = max(out_cells, math.prod(max(a.full_cells, 0) for a in axes))
    _check_count("intermediate", max(padded * inputs, out_cells * outputs), LIMITS["work_elements"])


def _check_count(what, count, limit):
    if count > limit:
        raise ExplainError(f"the {what} would have {count:,} elements; this page explains layers of at most "
                           f"{limit:,} (the arithmetic is the same on a smaller input)")


# ------------------------------------------------------------------------------------------- the answer

def explain_layer(text, input_text, at_text=None):
    """The page's answer for ``text`` (a layer) on ``input_text`` (``'1,1,5,5'``), traced at ``at_text``."""
    call = parse_layer(text)
    if call.name not in EXPLORED_LAYERS:
        raise ExplainError(f"the explorer's layer mode covers {', '.join(EXPLORED_LAYERS)}; got {call.name}")
    input_shape = parse_indices(input_text, "input size")
    if not input_shape or any(n <= 0 for n in input_shape):
        raise ExplainError(f"input size must be positive integers, got {input_text!r}")
    spec = layer_spec(call, spatial_dims=max(len(input_shape) - 2, 1))
    check_limits(spec, input_shape)
    explanation = explain(call_text(call), input_shape, at=parse_indices(at_text, "position"))
    payload = explanation_payload(explanation)
    payload.update(layer=call_text(call), arguments=dict(call.arguments), name=call.name,
                   code=pytorch_code(call, input_shape, explanation.output_shape),
                   numbers=layer_numbers(call, input_shape))
    return payload


def explanation_payload(explanation):
    """SVG, text, trace and the output grid of an :class:`~npconv.explain.Explanation`, as plain data."""
    dims = explanation.spec.dims
    at = explanation.at
    try:
        svg, diagram_error = explanation.svg(), None
    except ExplainError as error:
        svg, diagram_error = None, str(error)
    lines = explanation.text.splitlines()
    trace_start = next(i for i, line in enumerate(lines) if line.startswith("trace of output"))
    return {"ok": True, "svg": svg, "diagram_error": diagram_error,
            "derivation": "\n".join(lines[1:trace_start]).strip("\n"), "trace": "\n".join(lines[trace_start:]),
            "input_shape": list(explanation.input_shape), "output_shape": list(explanation.output_shape),
            "output_spatial": [int(n) for n in explanation.output_shape[-dims:]],
            "at": [int(i) for i in at[-dims:]], "traced_value": explanation.traced_value,
            "forward_value": explanation.forward_value}


def layer_numbers(call, input_shape):
    """Parameters, MACs, receptive field and jump of the layer, from :func:`npconv.summary` (shape-only)."""
    import npconv.nn as nn
    from ..arithmetic import summary
    module = getattr(nn, call.name)(**call.arguments)
    row = next(r for r in summary(module, tuple(input_shape), verbose=0).layers)
    return {"params": row.params, "macs": row.mult_adds, "receptive_field": dims_text(row.receptive_field),
            "jump": dims_text(row.stride), "output_shape": shape_text(row.output_shape)}


def dims_text(values):
    """``(3, 3)`` -> ``'3x3'``, fractions (a jump of 1/2) with 3 significant digits; None stays None."""
    if values is None:
        return None
    return "x".join(str(int(v)) if float(v) == int(v) else f"{float(v):.3g}" for v in values)


def call_text(call):
    """The layer as a user writes it: channels positional, the other arguments by keyword."""
    positional = [repr(call.arguments[key]) for key in ("in_channels", "out_channels")
                  if key in call.arguments and PARAMETERS[call.name][:2] == ("in_channels", "out_channels")]
    keywords = [f"{key}={python_literal(value)}" for key, value in call.arguments.items()
                if key not in ("in_channels", "out_channels") or not positional]
    return f"{call.name}({', '.join(positional + keywords)})"


def python_literal(value):
    """``value`` as it is written in a layer's arguments (lists as tuples, as torch stores them)."""
    if isinstance(value, (tuple, list)):
        items = ", ".join(python_literal(v) for v in value)
        return f"({items},)" if len(value) == 1 else f"({items})"
    return repr(value)


def pytorch_code(call, input_shape, output_shape):
    """Runnable PyTorch code that builds the layer and applies it to an input of ``input_shape``."""
    result = "y[0]" if call.arguments.get("return_indices") else "y"
    shape = ", ".join(map(str, output_shape))
    return "\n".join([
        "import torch",
        "from torch import nn",
        "",
        f"layer = nn.{call_text(call)}",
        f"x = torch.randn({', '.join(map(str, input_shape))})",
        "y = layer(x)" + ("  # (values, indices)" if result != "y" else ""),
        f"print({result}.shape)  # torch.Size([{shape}])",
    ])
