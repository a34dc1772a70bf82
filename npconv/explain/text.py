"""The written derivation: output-size formula with the user's numbers, weights, parameters, MACs,
receptive field, padding and warnings. Every result comes from npconv.arithmetic (via the Axis list)
or from the real forward; the intermediate numbers only show the working.
"""
import numpy as np

from .. import arithmetic
from .geometry import reads, used_inputs

__all__ = ["derivation_lines", "dim_names", "shape_text"]


def dim_names(dims):
    return {1: ["L"], 2: ["H", "W"], 3: ["D", "H", "W"]}[dims]


def shape_text(shape):
    """``(1, 1, 3, 3)  i.e. torch.Size([1, 1, 3, 3])``."""
    shape = tuple(int(n) for n in shape)
    plain = "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"
    return f"{plain}  i.e. torch.Size([{', '.join(map(str, shape))}])"


def derivation_lines(spec, input_shape, axes, output_shape):
    """All lines of the text explanation but the numeric trace."""
    lines = [f"input  {shape_text(input_shape)}", ""]
    lines += _size_lines(spec, axes)
    lines.append(f"output {shape_text(output_shape)}")
    if tuple(output_shape[-len(axes):]) != tuple(a.out for a in axes):
        lines.append("!! the forward's spatial size differs from npconv.arithmetic: please report this bug")
    lines.append("")
    if spec.is_conv:
        lines += _weight_lines(spec)
    lines += _cost_lines(spec, input_shape, axes, output_shape)
    lines += _field_lines(spec, axes)
    lines += _padding_lines(spec, axes)
    warnings = _warnings(spec, axes)
    if warnings:
        lines.append("")
        lines += [f"warning: {w}" for w in warnings]
    return lines


# ---- output size ----------------------------------------------------------------------------------------
def _size_lines(spec, axes):
    names = dim_names(len(axes))
    if spec.kind == "upsample":
        if spec.size is not None:
            return ["output size = the requested size: " + ", ".join(f"{n}: {a.out}" for n, a in zip(names, axes))]
        lines = ["output size, each spatial dim:  out = floor(in * scale_factor)"]
        lines += [f"  {n}: floor({a.size} * {f:g}) = {a.out}" for n, a, f in zip(names, axes, spec.scale_factor)]
        return lines
    if spec.kind == "conv_transpose":
        lines = ["output size, each spatial dim:",
                 "  out = (in - 1)*stride - 2*padding + dilation*(kernel_size - 1) + output_padding + 1"]
        for n, a in zip(names, axes):
            lines.append(f"  {n}: ({a.size} - 1)*{a.stride} - 2*{a.pad_left} + {a.dilation}*({a.kernel} - 1)"
                         f" + {a.output_padding} + 1 = {a.out}")
        return lines
    symmetric = all(a.pad_left == a.pad_right for a in axes)
    padding_term = "2*padding" if symmetric else "pad_left + pad_right"
    rounding = "ceil" if spec.ceil_mode else "floor"
    lines = ["output size, each spatial dim:",
             f"  out = {rounding}((in + {padding_term} - dilation*(kernel_size - 1) - 1) / stride) + 1"]
    if spec.ceil_mode:
        lines.append("  (ceil_mode: minus 1 if the last window would start past the input and the left padding)")
    for n, a in zip(names, axes):
        padding = f"2*{a.pad_left}" if symmetric else f"{a.pad_left} + {a.pad_right}"
        numerator = a.size + a.pad_left + a.pad_right - a.span
        lines.append(f"  {n}: {rounding}(({a.size} + {padding} - {a.dilation}*({a.kernel} - 1) - 1) / {a.stride})"
                     f" + 1 = {rounding}({numerator} / {a.stride}) + 1 = {a.out}")
    return lines


# ---- weights and parameters ------------------------------------------------------------------------------
def _weight_lines(spec):
    kernel_names = ", ".join(f"k{n}" for n in dim_names(spec.dims))
    kernel = ", ".join(map(str, spec.kernel_size))
    if spec.kind == "conv":
        first, second, per_group = "out_channels", "in_channels", spec.in_channels
        values = (spec.out_channels, spec.in_channels)
    else:
        first, second, per_group = "in_channels", "out_channels", spec.out_channels
        values = (spec.in_channels, spec.out_channels)
    shape = (values[0], values[1] // spec.groups) + tuple(spec.kernel_size)
    weights = int(np.prod(shape))
    bias = spec.out_channels if spec.has_bias else 0
    lines = [f"weight {first}, {second}/groups, {kernel_names} = ({values[0]}, {per_group}/{spec.groups}, "
             f"{kernel}) = {tuple(shape)}",
             f"parameters {' * '.join(map(str, shape))} = {weights} weights"
             + (f" + {bias} bias = {weights + bias}" if bias else " (bias=False)")]
    return lines


def _cost_lines(spec, input_shape, axes, output_shape):
    kernel_volume = int(np.prod(spec.kernel_size)) if spec.kernel_size else 1
    outputs = int(np.prod(output_shape))
    if spec.kind == "conv":
        per_output = spec.in_channels // spec.groups * kernel_volume
        return [f"MACs {outputs} output values * ({spec.in_channels}/{spec.groups} channels * {kernel_volume} "
                f"kernel cells) = {outputs * per_output:,}"]
    if spec.kind == "conv_transpose":
        inputs = int(np.prod(input_shape))
        per_input = spec.out_channels // spec.groups * kernel_volume
        return [f"MACs {inputs} input values each scattered to ({spec.out_channels}/{spec.groups} channels * "
                f"{kernel_volume} kernel cells) = {inputs * per_input:,}"]
    if spec.kind in ("max_pool", "avg_pool"):
        return [f"cost {outputs} output values * {kernel_volume} window cells = {outputs * kernel_volume:,} "
                f"{'comparisons' if spec.kind == 'max_pool' else 'additions'} (no parameters)"]
    return [f"cost {outputs} output values, each a weighted sum of at most "
            f"{2 ** len(axes) if spec.mode != 'nearest' else 1} input values (no parameters)"]


def _field_lines(spec, axes):
    """Receptive field of this one layer, from npconv.arithmetic.receptive_field."""
    field = arithmetic.receptive_field([_field_description(spec, axes)], ndim=len(axes))
    spans = "x".join(str(size) for size in field.size)
    jumps = "x".join(str(jump) for jump in field.jump)
    text = f"receptive field: each output value depends on a {spans} span of input cells"
    if spec.kind in ("conv", "max_pool", "avg_pool") and any(a.dilation > 1 for a in axes):
        text += " (dilation*(kernel_size - 1) + 1: holes between the kernel cells)"
    return [text, f"  neighbouring outputs are {jumps} input cells apart (jump)"]


def _field_description(spec, axes):
    if spec.kind == "upsample":
        factors = spec.scale_factor or tuple(a.out / a.size for a in axes)
        return {"kind": "upsample", "scale_factor": factors, "mode": spec.mode}
    common = dict(kernel_size=spec.kernel_size, stride=spec.stride, dilation=spec.dilation,
                  padding=tuple(a.pad_left for a in axes))
    if spec.kind == "conv_transpose":
        return {"kind": "conv_transpose", "output_padding": spec.output_padding, **common}
    if spec.kind == "conv":
        return {"kind": "conv", **common}
    return {"kind": "pool", "ceil_mode": spec.ceil_mode, **common}


def _padding_lines(spec, axes):
    if spec.padding == "causal" and not axes[0].pad_left:
        return ["padding none (padding='causal' with a kernel span of 1)",
                "causal: output t reads inputs t - 0 .. t only, never a later one"]
    if spec.kind in ("upsample",) or not any(a.pad_left or a.pad_right for a in axes):
        return ["padding none"] if spec.kind != "upsample" else []
    if spec.kind == "conv_transpose":
        return ["padding " + ", ".join(f"{n}: {a.pad_left} cut from each side of the output"
                                       + (f", +{a.output_padding} added on the far side" if a.output_padding else "")
                                       for n, a in zip(dim_names(len(axes)), axes))]
    mode = spec.padding_mode if spec.is_conv else ("-inf" if spec.kind == "max_pool" else "zeros")
    parts = [f"{n}: {a.pad_left} before, {a.pad_right} after" for n, a in zip(dim_names(len(axes)), axes)]
    origin = f", from padding='{spec.padding}'" if spec.padding in ("same", "causal") else ""
    lines = [f"padding {'; '.join(parts)} ({mode}{origin})"]
    if spec.padding == "causal":
        a = axes[0]
        lines.append(f"causal: output t reads inputs t - {a.pad_left} .. t only, never a later one (in PyTorch: "
                     f"F.pad(x, ({a.pad_left}, 0)) then Conv1d with padding=0; or padding={a.pad_left} and the "
                     f"last {a.pad_left} outputs cut off)")
    return lines


# ---- warnings -------------------------------------------------------------------------------------------
def _warnings(spec, axes):
    warnings = []
    names = {"L": "positions", "D": "depth slices", "H": "rows", "W": "columns"}
    if spec.kind in ("conv", "max_pool", "avg_pool"):
        for n, a in zip(dim_names(len(axes)), axes):
            unused = sorted(set(range(a.size)) - used_inputs(spec, a))
            if unused:
                warnings.append(f"input {names[n]} {_ranges(unused)} ({n}) are never read by any output "
                                f"(stride {a.stride}, kernel span {a.span} on size {a.size}"
                                f"{' + padding' if a.pad_left or a.pad_right else ''})")
    if spec.padding == "same" and any(a.pad_left != a.pad_right for a in axes):
        warnings.append("padding='same' with an even kernel span pads one more cell after than before "
                        "(as torch does)")
    if spec.kind == "conv_transpose":
        warnings += _output_padding_warnings(spec, axes)
    if spec.ceil_mode:
        for n, a in zip(dim_names(len(axes)), axes):
            if (a.out - 1) * a.stride + a.span > a.size + a.pad_left + a.pad_right:
                warnings.append(f"ceil_mode: the last window along {n} hangs past the input; it pools only the "
                                f"cells inside")
    return warnings


def _output_padding_warnings(spec, axes):
    warnings = []
    for n, a in zip(dim_names(len(axes)), axes):
        if a.stride == 1:
            continue
        base = a.out - a.output_padding
        candidates = [size for size in range(base, base + a.stride)
                      if arithmetic.conv_output_size(size, a.kernel, a.stride, a.pad_left, a.dilation) == a.size]
        if len(candidates) > 1:
            warnings.append(f"{n}: a Conv with this kernel, stride and padding maps every size in "
                            f"{{{', '.join(map(str, candidates))}}} to {a.size}; output_padding={a.output_padding} "
                            f"picks {a.out} (or pass output_size= to forward)")
    return warnings


def _ranges(values):
    parts, start = [], None
    for i, v in enumerate(values):
        if start is None:
            start = v
        if i + 1 == len(values) or values[i + 1] != v + 1:
            parts.append(str(start) if start == v else f"{start}-{v}")
            start = None
    return ", ".join(parts)

