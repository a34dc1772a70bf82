"""Explaining the rest of a CNN in words and numbers: Linear, the norms (which values are normalised together,
over which axes), activations, adaptive pooling (the window of each output), MaxUnpool, PixelShuffle and
PixelUnshuffle (where each value moves), Flatten.

Each explanation gives the output shape with its formula, the parameters, and a numeric trace of one output
element on an ``arange`` input (shifted to be centred on 0 for the activations), checked against the real
forward, as :class:`~npconv.explain.core.Explanation` does for the windowed layers. These layers have no
diagram: ``svg()`` says so.
"""
import itertools
import math

import numpy as np

from .diagram import fmt
from .forward import MAX_INPUT_ELEMENTS, npconv_backend
from .layer import ExplainError
from .parse import OTHER_NAMES, OTHER_PARAMETERS, LayerCall, parse_layer

__all__ = ["TextExplanation", "is_other_layer"]

ACTIVATIONS = {
    "ReLU": "ReLU(x) = max(0, x)", "ReLU6": "ReLU6(x) = min(max(0, x), 6)",
    "LeakyReLU": "LeakyReLU(x) = x if x >= 0 else negative_slope * x",
    "Sigmoid": "Sigmoid(x) = 1 / (1 + exp(-x))", "Tanh": "Tanh(x) = (exp(x) - exp(-x)) / (exp(x) + exp(-x))",
    "GELU": "GELU(x) = x * Phi(x), Phi the standard normal CDF (approximate='tanh': its tanh formula)",
    "SiLU": "SiLU(x) = x * sigmoid(x)", "ELU": "ELU(x) = x if x > 0 else alpha * (exp(x) - 1)",
    "Softmax": "Softmax(x)_i = exp(x_i) / sum_j exp(x_j) along dim",
}


def is_other_layer(layer):
    """Whether ``layer`` (text, LayerCall or module) is one of the layers explained here."""
    if isinstance(layer, str):
        try:
            layer = parse_layer(layer)
        except ExplainError:
            return False
    name = layer.name if isinstance(layer, LayerCall) else type(layer).__name__
    return name in OTHER_NAMES


class TextExplanation:
    """The explanation of a non-windowed layer on one input size; ``str()`` gives the text."""

    def __init__(self, layer, input_shape, at=None, _backend=None):
        self.module = layer if not isinstance(layer, (str, LayerCall)) else None
        call = parse_layer(layer) if isinstance(layer, str) else layer if isinstance(layer, LayerCall) else \
            _call_of_module(layer)
        self.name, self.arguments = call.name, dict(call.arguments)
        self.layer_text = layer.strip() if isinstance(layer, str) else repr(layer)
        self.input_shape = tuple(input_shape)
        self.backend = _backend or npconv_backend()
        self.input, self.output, self.extra = self._forward()
        self.output_shape = tuple(self.output.shape)
        self.at = self._index(at)
        self.trace = _TRACES[self._family()](self)

    # ---- forward
    def _built(self):
        backend = self.backend
        if self.module is not None and type(self.module).__module__.startswith(backend.__name__):
            return self.module
        module = getattr(backend.nn, self.name)(**self.arguments)
        if self.name == "Linear":      # as for a convolution: weights 1, bias 0, so the trace reads easily
            with backend.no_grad():
                module.weight.fill_(1.0)
                if module.bias is not None:
                    module.bias.zero_()
        return module

    def _forward(self):
        count = math.prod(self.input_shape)
        if count > MAX_INPUT_ELEMENTS:
            raise ExplainError(f"input {self.input_shape} has {count} elements; at most {MAX_INPUT_ELEMENTS}")
        values = np.arange(count, dtype=np.float32).reshape(self.input_shape)
        if self.name in ACTIVATIONS:
            values = values - count // 2
        backend, extra = self.backend, {}
        try:
            module = self._built()
            if self.name.startswith("MaxUnpool"):
                return self._unpool_forward(module, values)
            with backend.no_grad():
                output = module(backend.tensor(values))
            extra["module"] = module
        except ExplainError:
            raise
        except (ValueError, TypeError, RuntimeError, IndexError, NotImplementedError) as error:
            raise ExplainError(f"{self.name} on input {self.input_shape}: {str(error).strip().splitlines()[0]}"
                               ) from None
        return values.astype(np.float64), _numpy(output), extra

    def _unpool_forward(self, module, values):
        """MaxUnpool's input is what MaxPool (same arguments) gives with its indices: pool an arange of the
        unpooled size, then unpool the maxima."""
        backend, dims = self.backend, int(self.name[-2])
        pool = getattr(backend.nn, f"MaxPool{dims}d")(**self.arguments, return_indices=True)
        spatial = [(i - 1) * s - 2 * p + k for i, k, s, p in zip(
            self.input_shape[-dims:], *(_tuple(self.arguments.get(key, default), dims) for key, default in (
                ("kernel_size", 1), ("stride", self.arguments["kernel_size"]), ("padding", 0))))]
        before = np.arange(math.prod(self.input_shape[:-dims]) * math.prod(spatial), dtype=np.float32)
        with backend.no_grad():
            pooled, indices = pool(backend.tensor(before.reshape(self.input_shape[:-dims] + tuple(spatial))))
            output = module(pooled, indices)
        return _numpy(pooled), _numpy(output), {"indices": _numpy(indices).astype(np.int64), "before": spatial}

    def _family(self):
        for prefix in ("BatchNorm", "Adaptive", "MaxUnpool", "Pixel"):
            if self.name.startswith(prefix):
                return prefix
        return "activation" if self.name in ACTIVATIONS else self.name

    def _index(self, at):
        shape = self.output_shape
        if at is None:
            return tuple(s // 2 if i >= 1 else 0 for i, s in enumerate(shape))
        at = tuple(int(i) for i in (at if isinstance(at, (tuple, list)) else (at,)))
        if len(at) != len(shape):
            raise ExplainError(f"--at has {len(at)} {'index' if len(at) == 1 else 'indices'} but the output "
                               f"{shape} has {len(shape)} dimensions: give all {len(shape)}")
        if any(not 0 <= i < s for i, s in zip(at, shape)):
            raise ExplainError(f"--at {', '.join(map(str, at))} is outside the output of shape {shape}")
        return at

    # ---- text
    @property
    def forward_value(self):
        return float(self.output[self.at])

    @property
    def traced_value(self):
        return self.trace["total"]

    @property
    def text(self):
        lines = [self.layer_text, f"input  {self.input_shape}  i.e. torch.Size({list(self.input_shape)})", ""]
        lines += self.trace["about"]
        lines += [f"output {self.output_shape}  i.e. torch.Size({list(self.output_shape)})", ""]
        lines += self.trace_lines()
        return "\n".join(lines)

    def trace_lines(self):
        at = _index_text(self.at)
        lines = [f"trace of output{at} on input = {self.trace['input']}:"]
        lines += ["  " + term for term in self.trace["terms"][:40]]
        if len(self.trace["terms"]) > 40:
            lines.append(f"  ... {len(self.trace['terms']) - 40} more terms")
        lines.append(f"  {self.trace['summary']}")
        agrees = np.isclose(self.traced_value, self.forward_value, rtol=1e-4, atol=1e-5)
        lines.append(f"forward output{at} = {fmt(self.forward_value)}  "
                     f"{'(matches)' if agrees else '(DIFFERS from the trace: please report this bug)'}")
        return lines

    def __str__(self):
        return self.text

    def __repr__(self):
        return f"<Explanation of {self.layer_text} on input {self.input_shape}>"

    # ---- no pictures
    def svg(self, position=None):
        raise ExplainError(f"{self.name} has no diagram: its explanation is the text (diagrams are drawn for "
                           f"convolution, pooling and upsampling layers)")

    def save_svg(self, path):
        self.svg()

    save_png = save_gif = save_svg

    def _repr_html_(self):
        from html import escape
        return f"<pre>{escape(self.text)}</pre>"


# ----- one trace per family: {"about": lines, "input": text, "terms": lines, "summary": text, "total": value}

def _arange_text(e, centred=False):
    count = math.prod(e.input_shape)
    return f"arange({count}){f' - {count // 2}' if centred else ''}.reshape{e.input_shape}"


def _linear(e):
    module = e.extra["module"]
    weight, bias = _numpy(module.weight), None if module.bias is None else _numpy(module.bias)
    row, j = e.at[:-1], e.at[-1]
    terms, total = [], 0.0
    for i in range(weight.shape[1]):
        value = e.input[row + (i,)]
        total += value * weight[j, i]
        terms.append(f"x{_index_text(row + (i,))} * w[{j}, {i}] = {fmt(value)} * {fmt(weight[j, i])} = "
                     f"{fmt(value * weight[j, i])}")
    total += 0.0 if bias is None else bias[j]
    outputs = math.prod(e.output_shape)
    about = ["output shape: (*, in_features) -> (*, out_features): every output value reads one whole row "
             "of the input (no receptive field: positions are mixed)",
             f"weight out_features, in_features = {tuple(weight.shape)}",
             f"parameters {weight.shape[0]} * {weight.shape[1]} = {weight.size} weights"
             + (f" + {bias.size} bias = {weight.size + bias.size}" if bias is not None else ""),
             f"MACs {outputs:,} output values * {weight.shape[1]} in_features = {outputs * weight.shape[1]:,}"]
    summary = f"sum of {len(terms)} products" + (f" + bias {fmt(bias[j])}" if bias is not None else "") + \
        f" = {fmt(total)}"
    return dict(about=about, terms=terms, total=total, summary=summary,
                input=_arange_text(e) + f", {_weights_text(e)}")


def _normalised(e, axes, what, weight_index):
    """The trace of a norm: mean and variance over ``axes`` of the traced element's group, then the affine."""
    module = e.extra["module"]
    selection = tuple(slice(None) if axis in axes else e.at[axis] for axis in range(e.input.ndim))
    group = e.input[selection]
    if what == "group":
        per_group = e.input_shape[1] // module.num_groups
        first = (e.at[1] // per_group) * per_group
        group = e.input[e.at[0], first:first + per_group]
    eps = module.eps
    if e.name.startswith("BatchNorm") and not module.training:
        mean, variance = _numpy(module.running_mean)[e.at[1]], _numpy(module.running_var)[e.at[1]]
        source = "running_mean, running_var (eval mode)"
    else:
        mean, variance = float(group.mean()), float(group.var())
        source = f"mean and biased variance of those {group.size} values"
    x = e.input[e.at]
    normal = (x - mean) / math.sqrt(variance + eps)
    weight = getattr(module, "weight", None)
    gamma = 1.0 if weight is None else float(_numpy(weight)[weight_index])
    beta = 0.0 if getattr(module, "bias", None) is None else float(_numpy(module.bias)[weight_index])
    total = normal * gamma + beta
    terms = [f"{source}: mean = {fmt(mean)}, var = {fmt(variance)}",
             f"(x{_index_text(e.at)} - mean) / sqrt(var + eps) = ({fmt(x)} - {fmt(mean)}) / "
             f"sqrt({fmt(variance)} + {eps:g}) = {fmt(normal)}",
             f"* weight {fmt(gamma)} + bias {fmt(beta)} = {fmt(total)}"]
    return terms, total


def _batch_norm(e):
    module, axes = e.extra["module"], tuple(a for a in range(len(e.input_shape)) if a != 1)
    count = math.prod(e.input_shape[a] for a in axes)
    about = [f"normalises each channel over the axes {axes} (batch and spatial): {count} values per channel "
             "share one mean and variance (training mode: the batch's; eval mode: running_mean/running_var)",
             "output shape = input shape",
             f"parameters weight {module.num_features} + bias {module.num_features}" if module.affine else
             "parameters none (affine=False)",
             f"buffers running_mean, running_var ({module.num_features} each)" if module.track_running_stats else
             "buffers none (track_running_stats=False)"]
    terms, total = _normalised(e, axes, "channel", e.at[1])
    return dict(about=about, terms=terms, total=total, summary=f"= {fmt(total)}",
                input=_arange_text(e) + (", training mode" if module.training else ", eval mode"))


def _group_norm(e):
    module = e.extra["module"]
    groups, channels = module.num_groups, e.input_shape[1]
    per_group = channels // groups
    spatial = tuple(range(2, len(e.input_shape)))
    about = [f"normalises each sample's group of {per_group} channels over the axes (1, {', '.join(map(str, spatial))})"
             f" restricted to the group: {groups} groups of channels "
             f"{', '.join(f'{g * per_group}-{(g + 1) * per_group - 1}' for g in range(min(groups, 4)))}"
             f"{', ...' if groups > 4 else ''}; {per_group * math.prod(e.input_shape[2:])} values share one mean "
             "and variance (the batch plays no part)",
             "output shape = input shape",
             f"parameters weight {channels} + bias {channels} (per channel)" if module.affine else "parameters none"]
    terms, total = _normalised(e, (), "group", e.at[1])
    return dict(about=about, terms=terms, total=total, summary=f"= {fmt(total)}", input=_arange_text(e))


def _layer_norm(e):
    module = e.extra["module"]
    shape = tuple(module.normalized_shape)
    axes = tuple(range(len(e.input_shape) - len(shape), len(e.input_shape)))
    about = [f"normalises over the last {len(shape)} axes {axes} (normalized_shape {shape}): each "
             f"{' x '.join(map(str, shape))} block of one sample has its own mean and variance",
             "output shape = input shape",
             f"parameters weight {math.prod(shape)}" + (" + bias " + str(math.prod(shape))
                                                       if getattr(module, "bias", None) is not None else "")
             if module.elementwise_affine else "parameters none (elementwise_affine=False)"]
    terms, total = _normalised(e, axes, "layer", e.at[-len(shape):])
    return dict(about=about, terms=terms, total=total, summary=f"= {fmt(total)}", input=_arange_text(e))


def _activation(e):
    about = [ACTIVATIONS[e.name] + (f"; {', '.join(f'{k}={v!r}' for k, v in e.arguments.items())}"
                                     if e.arguments else ""),
             "element-wise: output shape = input shape, each output reads only the input at its own index"
             if e.name != "Softmax" else
             "output shape = input shape; each output reads the whole line along dim", "parameters none"]
    x = e.input[e.at]
    if e.name == "Softmax":
        dim = e.arguments.get("dim")
        dim = dim % len(e.input_shape)
        line = tuple(slice(None) if a == dim else e.at[a] for a in range(len(e.input_shape)))
        values = e.input[line]
        total = float(np.exp(x - values.max()) / np.exp(values - values.max()).sum())
        terms = [f"exp(x{_index_text(e.at)} - max) / sum of exp over the {values.size} values along dim {dim} = "
                 f"{fmt(total)}"]
    else:
        total = float(e.output[e.at])
        terms = [f"x{_index_text(e.at)} = {fmt(x)}", f"{e.name}({fmt(x)}) = {fmt(_activation_value(e, x))}"]
        total = _activation_value(e, x)
    return dict(about=about, terms=terms, total=total, summary=f"= {fmt(total)}", input=_arange_text(e, True))


def _activation_value(e, x):
    """The formula of ACTIVATIONS written out in NumPy, independently of the forward."""
    a = e.arguments
    if e.name == "ReLU":
        return max(0.0, x)
    if e.name == "ReLU6":
        return min(max(0.0, x), 6.0)
    if e.name == "LeakyReLU":
        return x if x >= 0 else a.get("negative_slope", 0.01) * x
    if e.name == "Sigmoid":
        return 1 / (1 + math.exp(-x)) if x > -700 else 0.0
    if e.name == "Tanh":
        return math.tanh(x)
    if e.name == "SiLU":
        return x / (1 + math.exp(-x)) if x > -700 else 0.0
    if e.name == "ELU":
        return x if x > 0 else a.get("alpha", 1.0) * math.expm1(x)
    if a.get("approximate", "none") == "tanh":
        return 0.5 * x * (1 + math.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1 + math.erf(x / math.sqrt(2)))


def _adaptive(e):
    dims = int(e.name[-2])
    inside, outside = e.input_shape[-dims:], e.output_shape[-dims:]
    windows = [(o * i // n, -(-(o + 1) * i // n)) for o, i, n in zip(e.at[-dims:], inside, outside)]
    about = ["output size: output_size (None keeps the input's size); the window of output o along an axis "
             "reads input cells floor(o * in / out) .. ceil((o + 1) * in / out) - 1, so windows may differ in "
             "size and overlap"]
    for axis, (i, n) in enumerate(zip(inside, outside)):
        spans = [f"{o * i // n}-{-(-(o + 1) * i // n) - 1}" for o in range(min(n, 8))]
        about.append(f"  axis {len(e.input_shape) - dims + axis}: {i} -> {n}: windows {' '.join(spans)}"
                     f"{' ...' if n > 8 else ''}")
    about.append("parameters none")
    cells = list(itertools.product(*(range(a, b) for a, b in windows)))
    lead = e.at[:-dims]
    values = [e.input[lead + cell] for cell in cells]
    terms = [f"x{_index_text(lead + cell)} = {fmt(v)}" for cell, v in zip(cells, values)]
    is_max = "Max" in e.name
    total = float(max(values) if is_max else sum(values) / len(values))
    summary = f"{'max' if is_max else 'mean'} of the {len(values)} cells = {fmt(total)}"
    return dict(about=about, terms=terms, total=total, summary=summary, input=_arange_text(e))


def _unpool(e):
    dims, spatial = int(e.name[-2]), e.extra["before"]
    flat = int(np.ravel_multi_index(e.at[-dims:], e.output_shape[-dims:]))
    lead = e.at[:-dims]
    indices = e.extra["indices"][lead]
    hits = list(zip(*np.nonzero(indices == flat)))
    about = ["output size, each spatial dim: (in - 1)*stride - 2*padding + kernel_size "
             f"(or output_size): {' x '.join(map(str, spatial))}",
             "every input value goes to the flat position its index names (MaxPool's argmax); every other "
             "output is 0", "parameters none"]
    if hits:
        source = lead + tuple(int(i) for i in hits[0])
        total = float(e.input[source])
        terms = [f"indices{_index_text(source)} = {flat} = flat position of output{_index_text(e.at[-dims:])} "
                 f"-> x{_index_text(source)} = {fmt(total)}"]
    else:
        total, terms = 0.0, [f"no index names flat position {flat}: 0"]
    return dict(about=about, terms=terms, total=total, summary=f"= {fmt(total)}",
                input=f"MaxPool{dims}d(same arguments, return_indices=True) of arange over "
                      f"{tuple(e.input_shape[:-dims]) + tuple(spatial)} (values and indices)")


def _pixel(e):
    n, c, h, w = e.at[:4] if len(e.at) == 4 else (0,) + e.at[:3]
    lead = e.at[:-3]
    if e.name == "PixelShuffle":
        r = e.arguments["upscale_factor"]
        source = lead + (c * r * r + (h % r) * r + w % r, h // r, w // r)
        about = [f"(N, C*r*r, H, W) -> (N, C, H*r, W*r) with r = {r}: each block of r*r channels becomes an "
                 "r x r patch of pixels", "output[n, c, h, w] = input[n, c*r*r + (h % r)*r + (w % r), h // r, w // r]",
                 "parameters none"]
    else:
        r = e.arguments["downscale_factor"]
        source = lead + (c // (r * r), h * r + (c % (r * r)) // r, w * r + c % r)
        about = [f"(N, C, H*r, W*r) -> (N, C*r*r, H, W) with r = {r}: each r x r patch of pixels becomes r*r "
                 "channels", "output[n, c, h, w] = input[n, c // (r*r), h*r + (c % (r*r)) // r, w*r + c % r]",
                 "parameters none"]
    total = float(e.input[source])
    return dict(about=about, terms=[f"x{_index_text(source)} = {fmt(total)}"], total=total,
                summary=f"= {fmt(total)}", input=_arange_text(e))


def _flatten(e):
    start = e.arguments.get("start_dim", 1) % len(e.input_shape)
    end = e.arguments.get("end_dim", -1) % len(e.input_shape)
    merged = e.input_shape[start:end + 1]
    about = [f"dims {start}..{end} {merged} become one of {math.prod(merged)} (row-major: the last index "
             "moves fastest); no value changes", "parameters none"]
    inner = np.unravel_index(e.at[start], merged)
    source = e.at[:start] + tuple(int(i) for i in inner) + e.at[start + 1:]
    total = float(e.input[source])
    return dict(about=about, terms=[f"index {e.at[start]} of the merged dim = {tuple(int(i) for i in inner)} -> "
                                    f"x{_index_text(source)} = {fmt(total)}"],
                total=total, summary=f"= {fmt(total)}", input=_arange_text(e))


_TRACES = {"Linear": _linear, "BatchNorm": _batch_norm, "GroupNorm": _group_norm, "LayerNorm": _layer_norm,
           "activation": _activation, "Adaptive": _adaptive, "MaxUnpool": _unpool, "Pixel": _pixel,
           "Flatten": _flatten}


def _call_of_module(module):
    """The LayerCall of a module (npconv's or torch's): its arguments read from its attributes."""
    name = type(module).__name__
    arguments = {}
    for key in OTHER_PARAMETERS[name]:
        if key == "bias" and name in ("Linear", "LayerNorm"):
            arguments[key] = getattr(module, "bias", None) is not None
        elif hasattr(module, key):
            value = getattr(module, key)
            arguments[key] = tuple(value) if isinstance(value, list) else value
    return LayerCall(name, arguments)


def _weights_text(e):
    return "the module's weights" if e.module is not None else "weights = 1, bias = 0"


def _numpy(tensor):
    if hasattr(tensor, "detach"):
        tensor = tensor.detach()
    return np.array(tensor.numpy(), dtype=np.float64)


def _tuple(value, dims):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * dims


def _index_text(index):
    return "[" + ", ".join(str(int(i)) for i in index) + "]"
