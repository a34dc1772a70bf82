"""``get_model_complexity_info``: a drop-in for ptflops' function, with ptflops' own counting conventions.

It returns the numbers ptflops 0.7 (default ``'pytorch'`` backend) returns for the same architecture in
torch, computed on a shape-only run (no convolution is computed). ptflops' conventions, reproduced here:

* convolution: ``N * prod(out_spatial) * prod(kernel) * C_in * C_out / groups`` plus, with a bias,
  ``N * C_out * prod(out_spatial)``; transposed convolution: the same with the *input* spatial size;
* linear: ``(in * out + out if bias) * prod(input.shape[:-1])``;
* ReLU, PReLU, ELU, LeakyReLU, ReLU6, GELU modules: output elements; poolings (max, avg, adaptive):
  input elements; BatchNorm/InstanceNorm/GroupNorm: input elements, twice with ``affine``; LayerNorm:
  input elements; Upsample: the output elements of one sample;
* functional calls made in a ``forward`` -- ``F.relu``, ``F.prelu``, ``F.elu``, ``F.relu6``, ``F.gelu``,
  ``F.silu``, ``F.softmax``, the pooling functions: input elements; ``F.interpolate``/``F.upsample``:
  output size from ``size`` or ``input elements x scale_factor ** spatial dims``; ``torch.matmul``/``mm``/
  ``bmm`` and the Tensor methods: ``prod(a.shape) * b.shape[-1]``; ``addmm``/``baddbmm`` add the
  bias elements; ``torch.add``/``torch.mul`` and ``Tensor.add``/``Tensor.mul`` (not ``+``/``*``):
  elements of the broadcast result; ``F.lp_pool*`` (pooling, relu and mul inside): input elements plus
  twice the output elements. ``F.linear`` and ``F.conv*`` calls are not counted (as in ptflops);
* torch's built-in layers call the patched functions internally, and ptflops counts those calls too:
  an ``nn.ReLU`` costs its elements twice, a pooling layer its input twice, an ``nn.Upsample`` both its
  hook and ``F.interpolate``'s count. npconv reproduces these totals by rule, whatever its own layers
  call inside;
* module counts are divided by the batch size of the input (ptflops' "per image" average), functional
  counts are not; parameters are the trainable ones; the model runs in eval mode (ptflops leaves the model
  in eval mode afterwards; npconv puts every module's training flag back).
"""
import math
import sys
import traceback

from ..nn.modules.printing import tree_repr
from .trace import meta_inputs, trace

__all__ = ["get_model_complexity_info", "flops_to_string", "params_to_string"]


def _prod(values):
    return math.prod(int(v) for v in values)


def flops_to_string(flops, units=None, precision=2):
    """ptflops' text for a MAC count: ``'1.23 GMac'``, ``'4.56 MMac'``, ``'7.89 KMac'`` or ``'12 Mac'``."""
    if units is None:
        for name, scale in (("GMac", 10 ** 9), ("MMac", 10 ** 6), ("KMac", 10 ** 3)):
            if flops // scale > 0:
                return str(round(flops / float(scale), precision)) + " " + name
        return str(flops) + " Mac"
    scales = {"GMac": 10. ** 9, "MMac": 10. ** 6, "KMac": 10. ** 3}
    if units in scales:
        return str(round(flops / scales[units], precision)) + " " + units
    return str(flops) + " Mac"


def params_to_string(params_num, units=None, precision=2):
    """ptflops' text for a parameter count: ``'1.23 M'``, ``'4.56 k'`` or ``'789'``."""
    if units is None:
        if params_num // 10 ** 6 > 0:
            return str(round(params_num / 10 ** 6, precision)) + " M"
        if params_num // 10 ** 3:
            return str(round(params_num / 10 ** 3, precision)) + " k"
        return str(params_num)
    scales = {"M": 10. ** 6, "K": 10. ** 3, "B": 10. ** 9}
    if units in scales:
        return str(round(params_num / scales[units], precision)) + " " + units
    return str(params_num)


_ACTIVATIONS = {"ReLU", "PReLU", "ELU", "LeakyReLU", "ReLU6", "GELU"}
_POOLS = {f"{kind}{d}d" for kind in ("MaxPool", "AvgPool", "AdaptiveMaxPool", "AdaptiveAvgPool") for d in (1, 2, 3)}
_NORMS = {"BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d",
          "GroupNorm", "LayerNorm"}
_CONVS = {"Conv1d", "Conv2d", "Conv3d"}
_TRANSPOSED = {"ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"}
SUPPORTED_MODULES = _ACTIVATIONS | _POOLS | _NORMS | _CONVS | _TRANSPOSED | {"Linear", "Upsample"}

# What torch's own forward of these layers calls among the functions ptflops patches.
_INTERNAL_FUNCTIONAL = {"ReLU": "relu", "PReLU": "prelu", "ELU": "elu", "GELU": "gelu", "SiLU": "silu",
                        "Softmax": "softmax", "Softmax2d": "softmax", "Upsample": "interpolate",
                        "UpsamplingNearest2d": "interpolate", "UpsamplingBilinear2d": "interpolate",
                        "LPPool1d": "lp_pool", "LPPool2d": "lp_pool", "LPPool3d": "lp_pool",
                        **{name: "pool" for name in _POOLS}}
_NUMEL_FUNCTIONS = {"relu", "prelu", "elu", "relu6", "gelu", "silu", "softmax"} | {
    f"{kind}_pool{d}d" for kind in ("max", "avg", "adaptive_avg", "adaptive_max") for d in (1, 2, 3)}


def _is_builtin(module):
    return (type(module).__module__ or "").startswith(("npconv.nn", "torch.nn"))


def module_flops(call):
    """ptflops' module hook count for one module call (0 for layers ptflops does not know)."""
    module, name = call.module, call.type
    if name not in SUPPORTED_MODULES or not _is_builtin(module) or call.output_shape is None:
        return 0
    x, out = call.input_shape, call.output_shape
    if name in _CONVS or name in _TRANSPOSED:
        kernel = module.kernel_size if isinstance(module.kernel_size, (tuple, list)) else (module.kernel_size,)
        per_position = _prod(kernel) * module.in_channels * (module.out_channels // module.groups)
        positions = x[0] * _prod((x if name in _TRANSPOSED else out)[2:])
        bias = x[0] * _prod(out[1:]) if getattr(module, "bias", None) is not None else 0
        return per_position * positions + bias
    if name == "Linear":
        bias = out[-1] if getattr(module, "bias", None) is not None else 0
        return (x[-1] * out[-1] + bias) * _prod(x[:-1])
    if name in _ACTIVATIONS:
        return _prod(out)
    if name in _POOLS:
        return _prod(x)
    if name in _NORMS:
        affine = name != "LayerNorm" and bool(getattr(module, "affine", False))
        return _prod(x) * (2 if affine else 1)
    if name == "Upsample":
        return _prod(out[1:])
    return 0


def _internal_functional_flops(call):
    """What ptflops' patched functions see when torch's own layer runs (see the module doc)."""
    kind = _INTERNAL_FUNCTIONAL.get(call.type)
    if kind is None or not _is_builtin(call.module) or call.output_shape is None:
        return 0
    if kind == "interpolate":
        return _interpolate_flops(call.input_shape, call.module.size, call.module.scale_factor)
    if kind == "lp_pool":
        return _lp_pool_flops(call.input_shape, call.output_shape)
    return _prod(call.input_shape)


def _lp_pool_flops(input_shape, output_shape):
    """torch's lp_pool calls avg_pool (input elements), then relu and Tensor.mul on the pooled result."""
    return _prod(input_shape) + 2 * _prod(output_shape)


def _interpolate_flops(shape, size, scale_factor):
    if size is not None:
        if isinstance(size, (tuple, list)):
            return _prod(size) * _prod(shape[:2])
        return int(size) ** (len(shape) - 2) * _prod(shape[:2])
    flops = _prod(shape)
    if isinstance(scale_factor, tuple) and len(scale_factor) == len(shape) - 2:
        return flops * int(math.prod(scale_factor))
    return flops * scale_factor ** (len(shape) - 2)


def _shape(value):
    shape = getattr(value, "shape", None)
    return None if shape is None else tuple(shape)


def function_flops(call):
    """ptflops' count for one functional or tensor-op call made outside a built-in layer."""
    kind, _, name = call.type.partition(".")
    a = call.arguments
    if kind == "F":
        if name in _NUMEL_FUNCTIONS:
            return _prod(call.input_shape) if call.input_shape is not None else 0
        if name.startswith("lp_pool"):
            return _lp_pool_flops(call.input_shape, call.output_shape)
        if name in ("interpolate", "upsample"):
            flops = _interpolate_flops(_shape(a.get("input")), a.get("size"), a.get("scale_factor"))
            # F.upsample calls F.interpolate through the module namespace: ptflops counts both
            return flops * 2 if name == "upsample" else flops
        return 0
    values = list(a.values())
    first = values[0] if values else None
    if name in ("matmul", "mm", "bmm"):
        return _prod(_shape(first)) * _shape(values[1])[-1]
    if name in ("addmm", "baddbmm"):
        bias, mat1, mat2 = values[0], values[1], values[2]
        beta = a.get("beta", 1)
        return _prod(_shape(mat1)) * _shape(mat2)[-1] + (_prod(_shape(bias)) if beta != 0 else 0)
    if name in ("add", "mul"):
        return _elementwise_flops(first, values[1] if len(values) > 1 else None)
    return 0


def _elementwise_flops(a, b):
    sa, sb = _shape(a), _shape(b)
    if sa is None:
        return _prod(sb) if sb is not None else 1
    if sb is None:
        return _prod(sa)
    ndim = max(len(sa), len(sb))
    sa, sb = (1,) * (ndim - len(sa)) + sa, (1,) * (ndim - len(sb)) + sb
    return _prod(max(x, y) for x, y in zip(sa, sb))


class _Rules:
    """Which layers ptflops hooks and how: its built-in table, minus ``ignore_modules``, plus
    ``custom_modules_hooks`` (class -> ``hook(module, inputs, output)``)."""

    def __init__(self, ignore_modules=(), custom_modules_hooks=None):
        self.custom = dict(custom_modules_hooks or {})
        self.ignored = set(ignore_modules)

    def supported(self, module):
        """ptflops counts a supported layer by its own hook and does not look inside it."""
        return type(module) in self.custom or (type(module).__name__ in SUPPORTED_MODULES and _is_builtin(module))

    def flops(self, call):
        module = call.module
        if type(module) in self.ignored:
            return 0
        hook = self.custom.get(type(module))
        return module_flops(call) if hook is None else _run_custom_hook(hook, call)

    def params(self, module):
        return 0 if type(module) in self.ignored else _trainable_params(module)


def _warn_zero_op_modules(model, rules, ost):
    """ptflops' verbose warning, once per layer class it does not count (children before parents)."""
    seen = set()

    def visit(module):
        for child in module.children():
            visit(child)
        kind = type(module)
        if kind not in seen and kind not in rules.ignored and not rules.supported(module) \
                and kind.__name__ not in ("Sequential", "ModuleList"):
            print("Warning: module " + kind.__name__ + " is treated as a zero-op.", file=ost)
        seen.add(kind)
    visit(model)


def _run_custom_hook(hook, call):
    """A ptflops-style hook adds to ``module.__flops__``; one that returns a number is taken at its word."""
    module = call.module
    saved = module.__dict__.get("__flops__")
    module.__dict__["__flops__"] = 0
    try:
        returned = hook(module, call.inputs, call.output)
        counted = module.__dict__["__flops__"]
    finally:
        if saved is None:
            module.__dict__.pop("__flops__", None)
        else:
            module.__dict__["__flops__"] = saved
    return returned if isinstance(returned, (int, float)) and not counted else counted


def count(model, calls, batch_size, rules=None):
    """ptflops' total and per-module counts from a trace: ``(total, {id(module): flops})``.

    Module counts are summed down the module tree, stopping at the layers ptflops hooks (as its
    ``accumulate_flops``), and divided by the batch size; functional counts are added as they are.
    """
    rules = rules or _Rules()
    per_module = {}
    functional_total = 0
    for call in calls:
        if call.kind == "module":
            if rules.supported(call.module):
                per_module[id(call.module)] = per_module.get(id(call.module), 0) + rules.flops(call)
            if not call.internal:
                functional_total += _internal_functional_flops(call)
        elif not call.internal:
            functional_total += function_flops(call)
    return _accumulate(model, per_module, "flops", rules) / batch_size + functional_total, per_module


def _trainable_params(module):
    return sum(_prod(p.shape) for p in {id(p): p for p in module.parameters()}.values() if p.requires_grad)


def _accumulate(module, per_module, what, rules):
    if rules.supported(module):
        return per_module.get(id(module), 0) if what == "flops" else rules.params(module)
    return sum(_accumulate(child, per_module, what, rules) for child in module.children())


def _repr_with_flops(model, per_module, rules, batch, total_flops, total_params, flops_units, param_units,
                     precision):
    """torch's Module.__repr__ with ptflops' statistics in front of each layer's extra_repr."""
    def statistics(module):
        params = _accumulate(module, per_module, "params", rules)
        flops = _accumulate(module, per_module, "flops", rules) / batch
        return ", ".join([params_to_string(params, units=param_units, precision=precision),
                          "{:.3%} Params".format(params / total_params),
                          flops_to_string(flops, units=flops_units, precision=precision),
                          "{:.3%} MACs".format(flops / total_flops), module.extra_repr()])
    return tree_repr(model, statistics)


def get_model_complexity_info(model, input_res, print_per_layer_stat=True, as_strings=True,
                              input_constructor=None, ost=sys.stdout, verbose=False, ignore_modules=(),
                              custom_modules_hooks=None, backend="pytorch", flops_units=None, param_units=None,
                              output_precision=2, backend_specific_config=None):
    """MACs and parameters of ``model`` for one input of shape ``(1, *input_res)``, as ptflops counts them.

    Same signature and results as ``ptflops.get_model_complexity_info``, for its default ``'pytorch'``
    backend and for ``backend='aten'`` (which counts only convolutions and matrix products):
    returns ``(macs, params)`` as strings (``'15.5 GMac'``, ``'138.36 M'``) or, with ``as_strings=False``,
    as numbers; ``(None, None)`` after printing the error when the model cannot run. With
    ``print_per_layer_stat`` the model's repr is printed to ``ost`` with each layer's parameters, MACs and
    their shares. ``input_constructor(input_res)`` may build the input (a tensor, or a dict of keyword
    arguments). Counting conventions: see the module doc. ``ignore_modules`` lists layer classes to count
    as zero; ``custom_modules_hooks`` maps a class to ptflops' kind of hook, ``hook(module, inputs,
    output)`` adding to ``module.__flops__`` (inputs and output are shape-only tensors), or returning the
    count.
    """
    if not (isinstance(input_res, tuple) and len(input_res) >= 1):
        raise AssertionError("input_res must be a non-empty tuple")
    backend = str(getattr(backend, "value", backend))
    if backend not in ("pytorch", "aten"):
        raise ValueError("Wrong backend name")
    if backend == "aten":
        return _aten_complexity(model, input_res, print_per_layer_stat, as_strings, input_constructor, ost,
                                ignore_modules, flops_units, param_units, output_precision)
    config = backend_specific_config or {}
    try:
        calls, batch = _run(model, input_res, input_constructor, ost)
        rules = _Rules(ignore_modules, custom_modules_hooks)
        if verbose:
            _warn_zero_op_modules(model, rules, ost)
        if not config.get("count_functional", True):
            calls = [c for c in calls if c.kind == "module"]
        total, per_module = count(model, calls, batch, rules)
        params = _trainable_params(model)
    except Exception as error:  # ptflops reports and returns (None, None)
        print("Flops estimation was not finished successfully because of"
              f" the following exception: \n{type(error)}: {error}")
        traceback.print_exc()
        return None, None
    if print_per_layer_stat:
        print(_repr_with_flops(model, per_module, rules, batch, max(total, 1), max(params, 1), flops_units,
                               param_units, output_precision), file=ost)
    total = int(total)
    if as_strings:
        return (flops_to_string(total, units=flops_units, precision=output_precision),
                params_to_string(params, units=param_units, precision=output_precision))
    return total, params


def _run(model, input_res, input_constructor, ost):
    """Trace the model in eval mode, as ptflops runs it (ptflops leaves it in eval mode; npconv restores
    each module's training flag afterwards)."""
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        return _run_eval(model, input_res, input_constructor, ost)
    finally:
        for module, training in modes:
            module.training = training


def _run_eval(model, input_res, input_constructor, ost):
    import npconv
    dtype = next(iter(model.parameters()), None)
    dtype = dtype.dtype if dtype is not None else None
    if input_constructor is None:
        inputs = meta_inputs((1, *input_res), [dtype], model)
        calls = trace(model, inputs)
        return calls, 1
    batch = input_constructor(input_res)
    if isinstance(batch, dict):
        meta = {k: v.to("meta") if isinstance(v, npconv.Tensor) else v for k, v in batch.items()}
        print("Warning! No positional inputs found for a module, assuming batch size is 1.")
        return trace(model, [], meta), 1
    meta = batch.to("meta") if isinstance(batch, npconv.Tensor) else batch
    return trace(model, [meta]), len(batch)


# ----- ptflops' 'aten' backend: it counts only matrix products and convolutions, as torch dispatches them


def aten_ops(call):
    """The ``(aten op name, count)`` pairs torch would dispatch for one call, as ptflops' aten backend
    counts them: convolutions (bias included), and linear layers and matrix products as mm/addmm/bmm."""
    if call.output_shape is None or not call.input_shapes:
        return []
    name, x, out = call.type, call.input_shape, call.output_shape
    if call.kind == "module":
        module = call.module
        if not _is_builtin(module):
            return []
        if name in _CONVS or name in _TRANSPOSED:
            return [("aten.convolution", _aten_convolution(x, tuple(module.weight.shape), out, name in _TRANSPOSED,
                                                           getattr(module, "bias", None) is not None))]
        if name == "Linear":
            return _aten_linear(x, module.in_features, module.out_features, module.bias is not None)
        return []
    kind, _, op = name.partition(".")
    a = call.arguments
    if kind == "F" and op.startswith("conv"):
        return [("aten.convolution", _aten_convolution(x, tuple(a["weight"].shape), out, "transpose" in op,
                                                       a.get("bias") is not None))]
    if kind == "F" and op == "linear":
        weight = a["weight"]
        return _aten_linear(x, weight.shape[-1], weight.shape[0], a.get("bias") is not None)
    values = list(a.values())
    if op in ("matmul", "mm", "bmm"):
        return _aten_matmul(_shape(values[0]), _shape(values[1]))
    if op == "addmm":
        mat1, mat2 = _shape(values[1]), _shape(values[2])
        return [("aten.addmm", mat1[0] * mat1[1] * mat2[1] + mat1[0] * mat2[1])]
    return []


def _aten_convolution(x, w, out, transposed, bias):
    positions = (x if transposed else out)[2:]
    flops = x[0] * _prod(w) * _prod(positions)
    return flops + (x[0] * out[1] * _prod(out[2:]) if bias else 0)


def _aten_linear(x, in_features, out_features, bias):
    rows = _prod(x[:-1])
    if len(x) == 1:   # a vector: torch dispatches mv / dot, which ptflops does not count
        return []
    if bias:
        return [("aten.addmm", rows * in_features * out_features + rows * out_features)]
    return [("aten.mm", rows * in_features * out_features)]


def _aten_matmul(a, b):
    if len(a) < 2 or len(b) < 2:
        return []
    if len(b) == 2:           # (..., n, k) @ (k, m): folded into one mm
        return [("aten.mm", _prod(a) * b[-1])]
    batch = _prod(max(p, q) for p, q in zip((1,) * (len(b) - len(a)) + a[:-2], (1,) * (len(a) - len(b)) + b[:-2]))
    return [("aten.bmm", batch * a[-2] * a[-1] * b[-1])]


def _aten_complexity(model, input_res, print_per_layer_stat, as_strings, input_constructor, ost, ignored_ops,
                     flops_units, param_units, precision):
    """ptflops' aten backend: totals per op, for the whole model ('Global') and per top-level child."""
    ignored = {str(op) for op in ignored_ops}
    try:
        calls, _ = _run(model, input_res, input_constructor, ost)
    except Exception as error:
        print("Flops estimation was not finished successfully because of"
              f" the following exception: \n{type(error)}: {error}")
        traceback.print_exc()
        return None, None
    counts = {"Global": {}}   # owner -> {op: count}, in the order ptflops first meets them
    top_level = {id(child): name for name, child in model.named_children()}
    for call in calls:
        if call.internal:
            continue
        for op, flops in aten_ops(call):
            if op in ignored:
                print(f"Warning: {op} operation is ignored", file=ost)
                continue
            for owner in ["Global"] + _top_level_owners(call, top_level):
                counts.setdefault(owner, {}).setdefault(op, 0)
                counts[owner][op] += flops
    total = sum(counts["Global"].values())
    if print_per_layer_stat:
        print("Total:" + flops_to_string(total, units=flops_units, precision=precision), file=ost)
        for owner, ops in counts.items():
            print("Module: ", owner, file=ost)
            for op, flops in ops.items():
                print(f"{op}: " + flops_to_string(flops, units=flops_units, precision=precision), file=ost)
            print(file=ost)
    params = _trainable_params(model)
    if as_strings:
        return (flops_to_string(total, units=flops_units, precision=precision),
                params_to_string(params, units=param_units, precision=precision))
    return total, params


def _top_level_owners(call, top_level):
    """Names of the model's direct children this call runs inside (ptflops hooks only those)."""
    owners = []
    node = call
    while node is not None:
        if node.kind == "module" and id(node.module) in top_level and node.depth == 1:
            owners.append(top_level[id(node.module)])
        node = node.parent
    return owners[::-1]
