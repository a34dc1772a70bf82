"""Shape-only tracing of a model: which modules and functional calls run, on which shapes.

``trace(model, inputs)`` runs ``model`` once on ``'meta'`` tensors (shape and dtype, no values: every op
computes only its output shape, see ``npconv.autograd``) and records one :class:`Call` per module call
and per call of a public functional op (``F.conv2d``, ``F.relu``...) or counted tensor op
(``npconv.matmul``, ``Tensor.add``...), in call order, with its input and output shapes and the
receptive field of its output. Summary tables, MAC counters and the ptflops drop-in are all built on
this one record.

How calls are seen, without touching the model or any module's attributes: the trace registers an
observer on its own thread (``npconv._observe``), which ``Module.__call__`` tells about every module call,
the public entry points (every ``F.*`` function, ``torch.*`` function and named Tensor method, not the
operators ``+``/``*``) about their calls, and ``autograd.Function.apply`` about every op, so that receptive
fields are carried through element-wise ops (residual sums, normalisation, activations). Other threads
are not affected: two traces may run at once. Model buffers (BatchNorm running statistics) are restored
on exit, since a training-mode forward on meta tensors would overwrite them.
"""
import contextlib
import inspect
from fractions import Fraction

from .. import _observe
from .receptive import (POSITION_PRESERVING_FUNCTIONS, POSITION_PRESERVING_LAYERS, ReceptiveField, keeps_positions,
                        is_padding_layer, left_pads, left_padding)

__all__ = ["Call", "trace", "TENSOR_OPS"]

# The torch.* functions and Tensor methods recorded beside F.* (those ptflops counts, see complexity.py).
TENSOR_OPS = ("matmul", "mm", "bmm", "addmm", "baddbmm", "mul", "add")

CONTAINERS = {"Sequential", "ModuleList", "ModuleDict"}


class Call:
    """One recorded call: a module's forward or a functional op.

    ``kind`` is ``'module'`` or ``'function'``; ``name`` the dotted module path (functional calls are
    named after their caller, e.g. ``'layer1.0/F.relu:2'``); ``type`` the class name or ``'F.relu'``;
    ``depth`` 0 for the model itself; ``parent`` the enclosing module call; ``internal`` is True for
    calls made inside a built-in layer (``nn.Conv2d`` calling ``F.conv2d``), which are not rows of a
    summary. ``arguments`` holds a functional call's bound arguments.
    """

    def __init__(self, kind, name, type_name, depth, parent, module=None, function=None, arguments=None):
        self.kind, self.name, self.type, self.depth, self.parent = kind, name, type_name, depth, parent
        self.module, self.function, self.arguments = module, function, arguments or {}
        # inside a built-in layer, or inside another functional op: an implementation detail
        self.internal = parent is not None and (parent.internal or parent.kind == "function"
                                                or parent.is_builtin_layer)
        self.input_shapes, self.output_shape = [], None
        self.inputs, self.output = (), None   # the (meta) tensors themselves
        self.input_dtype = self.output_dtype = None
        self.output_field = None
        self.children = []
        self.index = 0  # position in call order

    @property
    def is_builtin_layer(self):
        """A layer class of npconv (or torch) that is not a container: its inner calls are its own business."""
        if self.kind != "module" or self.type in CONTAINERS:
            return False
        module_path = type(self.module).__module__ or ""
        return module_path.startswith(("npconv.nn", "torch.nn"))

    @property
    def input_shape(self):
        return self.input_shapes[0] if self.input_shapes else None

    def __repr__(self):
        return f"Call({self.kind}, {self.name!r}, {self.type}, {self.input_shape} -> {self.output_shape})"


def _tensor_class():
    from .._tensor import Tensor
    return Tensor


def _first_tensor(value, Tensor=None):
    Tensor = Tensor or _tensor_class()
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (tuple, list)):
        for item in value:
            found = _first_tensor(item, Tensor)
            if found is not None:
                return found
    if isinstance(value, dict):
        return _first_tensor(list(value.values()), Tensor)
    return None


def _tensors(values, Tensor=None):
    Tensor = Tensor or _tensor_class()
    return [v for v in values if isinstance(v, Tensor)]


class _Recorder:
    """The state of one trace: the call stack, the calls, and a receptive field per array.

    ``tensor_type`` is the class of the traced tensors (npconv's Tensor, or torch's for a torch model) and
    ``storage(tensor)`` the object a field is attached to: npconv's ndarray (which the ops observer sees),
    or a torch tensor itself."""

    def __init__(self, tensor_type=None, storage=None):
        self.calls = []
        self.stack = []
        self.fields = {}   # id(ndarray) -> ReceptiveField; the arrays are kept alive in self.keep
        self.keep = []
        self.tensor_type = tensor_type or _tensor_class()
        self.storage = storage or (lambda tensor: tensor._data)

    # ----- receptive fields, keyed by the identity of a tensor's array
    def field_of(self, tensor):
        return None if tensor is None else self.fields.get(id(self.storage(tensor)))

    def set_field(self, array, field):
        self.keep.append(array)
        if field is None:
            self.fields.pop(id(array), None)
        else:
            self.fields[id(array)] = field

    def observe_op(self, arrays, result, keeps_positions=True):
        """After any shape-only op: ops that keep positions give (the union of) their inputs' fields of the
        same spatial size; other ops give none."""
        out = result[0] if isinstance(result, tuple) else result
        shape = getattr(out, "shape", None)
        if shape is None:
            return
        if not keeps_positions:
            self.set_field(out, None)
            return
        fields = [self.fields[id(a)] for a in _flat_arrays(arrays)
                  if id(a) in self.fields and getattr(a, "ndim", 0) == len(shape) and a.shape[2:] == shape[2:]]
        self.set_field(out, _union(fields))

    # ----- calls
    def open(self, kind, name, type_name, module=None, function=None, arguments=None):
        parent = self.stack[-1] if self.stack else None
        depth = 0 if parent is None else parent.depth + 1
        call = Call(kind, name, type_name, depth, parent, module, function, arguments)
        call.index = len(self.calls)
        self.calls.append(call)
        if parent is not None:
            parent.children.append(call)
        self.stack.append(call)
        return call

    def close(self, call, inputs, output):
        self.stack.pop()
        call.inputs, call.output = tuple(inputs), output
        first_out = _first_tensor(output, self.tensor_type)
        call.input_shapes = [tuple(t.shape) for t in _tensors(inputs, self.tensor_type)]
        first_in = _first_tensor(list(inputs), self.tensor_type)
        call.input_dtype = first_in.dtype if first_in is not None else None
        if first_out is not None:
            call.output_shape = tuple(first_out.shape)
            call.output_dtype = first_out.dtype
            field = _spatial_rule(call, first_in, first_out, self.field_of(first_in))
            if field is not _KEEP:
                self.set_field(self.storage(first_out), field)
            call.output_field = self.field_of(first_out)


def _flat_arrays(values):
    """The arrays among an op's arguments, looking into lists of tensors (``cat``, ``stack``)."""
    Tensor = _tensor_class()
    for value in values:
        if isinstance(value, (list, tuple)):
            yield from _flat_arrays(value)
        elif isinstance(value, Tensor):
            yield value._data
        else:
            yield value


def _union(fields):
    if not fields:
        return None
    joined = fields[0]
    for other in fields[1:]:
        if other.jump != joined.jump:
            return None
        joined = joined.union(other)
    return joined


_KEEP = object()  # "leave the field the inner ops produced"


def _spatial_rule(call, x, out, field):
    """The receptive field of a known layer's output, from its input's field; _KEEP for unknown layers."""
    if call.kind == "module":
        kind, params = _module_geometry(call.module, call.type)
    elif call.type.startswith("F."):
        kind, params = _function_geometry(call.type[2:], call.arguments)
    else:                      # torch.add, Tensor.mul...: element-wise, left to the op observer
        kind, params = None, {}
    if kind is None:
        return _KEEP
    if field is None or x is None or x.dim() != out.dim() or field.ndim != out.dim() - 2:
        return None
    try:
        if kind == "elementwise":
            return field
        if kind == "conv":
            return field.conv(**params)
        if kind == "conv_transpose":
            return field.conv_transpose(**params)
        if kind == "pad":
            return field.conv(1, 1, params["padding"], 1)
        if kind == "spread":      # each output pixel copies one input pixel: PixelShuffle, MaxUnpool
            factors = tuple(Fraction(o, i) for o, i in zip(out.shape[2:], x.shape[2:]))
            return field.upsample(factors, "nearest")
        if kind == "gather":      # each output pixel reads a block: PixelUnshuffle
            factor = params["factor"]
            return field.conv(factor, factor, 0, 1)
        if kind == "adaptive":
            return field.adaptive_pool(tuple(x.shape[2:]), tuple(out.shape[2:]))
        if kind == "upsample":
            factors = tuple(Fraction(o, i) for o, i in zip(out.shape[2:], x.shape[2:]))
            return field.upsample(factors, params.get("mode", "nearest"))
    except (TypeError, ValueError):
        return None
    return None


def _module_geometry(module, type_name):
    if type_name in POSITION_PRESERVING_LAYERS:
        return "elementwise", {}
    if type_name.startswith("ConvTranspose") and hasattr(module, "kernel_size"):
        return "conv_transpose", dict(kernel_size=module.kernel_size, stride=module.stride,
                                      padding=module.padding, dilation=module.dilation)
    if type_name.startswith("Conv") and hasattr(module, "kernel_size"):
        return "conv", dict(kernel_size=module.kernel_size, stride=module.stride, dilation=module.dilation,
                            padding=left_padding(module.padding, module.kernel_size, module.dilation))
    if type_name.startswith("Adaptive"):
        return "adaptive", {}
    if type_name.startswith(("MaxPool", "AvgPool", "LPPool")):
        return "conv", dict(kernel_size=module.kernel_size, stride=module.stride or module.kernel_size,
                            padding=getattr(module, "padding", 0), dilation=getattr(module, "dilation", 1))
    if type_name in ("PixelShuffle", "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d"):
        return "spread", {}
    if type_name == "PixelUnshuffle":
        return "gather", dict(factor=module.downscale_factor)
    if type_name.startswith("Upsampl"):
        mode = getattr(module, "mode", "bilinear" if "Bilinear" in type_name else "nearest")
        return "upsample", dict(mode=mode)
    if is_padding_layer(type_name):
        return "pad", dict(padding=left_pads(module.padding))
    return None, {}


def _function_geometry(name, a):
    if name in POSITION_PRESERVING_FUNCTIONS:
        return "elementwise", {}
    if name.startswith("conv_transpose"):
        kernel = tuple(a["weight"].shape[2:])
        return "conv_transpose", dict(kernel_size=kernel, stride=a.get("stride", 1), padding=a.get("padding", 0),
                                      dilation=a.get("dilation", 1))
    if name.startswith("conv"):
        kernel = tuple(a["weight"].shape[2:])
        dilation = a.get("dilation", 1)
        return "conv", dict(kernel_size=kernel, stride=a.get("stride", 1), dilation=dilation,
                            padding=left_padding(a.get("padding", 0), kernel, dilation))
    if name.startswith("adaptive"):
        return "adaptive", {}
    if name == "pixel_shuffle":
        return "spread", {}
    if name == "pixel_unshuffle":
        return "gather", dict(factor=a["downscale_factor"])
    if name.startswith(("max_pool", "avg_pool", "lp_pool")):
        stride = a.get("stride")
        if stride is None or stride == [] or stride == ():
            stride = a["kernel_size"]
        return "conv", dict(kernel_size=a["kernel_size"], stride=stride, padding=a.get("padding", 0),
                            dilation=a.get("dilation", 1))
    if name in ("interpolate", "upsample"):
        return "upsample", dict(mode=a.get("mode", "nearest"))
    if name == "pad" and a.get("input") is not None:
        return "pad", dict(padding=left_pads(a["pad"], a["input"].dim() - 2))
    return None, {}


# ----- observing (npconv._observe: Module.__call__, the public entry points, Function.apply)


def _bind(function, args, kwargs):
    """The call's arguments by name (defaults filled in); the raw args when the signature is unknown."""
    try:
        bound = inspect.signature(function).bind(*args, **kwargs)
        bound.apply_defaults()
        return dict(bound.arguments)
    except (TypeError, ValueError):
        return {"args": args, **kwargs}


class _Observer:
    """Feeds a :class:`_Recorder` from the calls announced on this thread: the modules of one model, the
    ``F.*`` functions, and the tensor ops of ``TENSOR_OPS`` (``torch.matmul``, ``Tensor.add``...)."""

    def __init__(self, recorder, model):
        self.recorder = recorder
        self.names = {}
        for name, module in model.named_modules():
            self.names.setdefault(id(module), name)

    def enter_module(self, module, args, kwargs):
        name = self.names.get(id(module))
        if name is None:        # a module outside the model (built inside forward): its ops still count
            return None
        call = self.recorder.open("module", name, type(module).__name__, module=module)
        return call, list(args) + list(kwargs.values())

    def exit_module(self, token, output):
        if token is not None:
            self.recorder.close(token[0], token[1], output)

    def enter_function(self, label, function, args, kwargs):
        namespace, _, op = label.partition(".")
        if namespace != "F" and op not in TENSOR_OPS:
            return None
        recorder = self.recorder
        parent = recorder.stack[-1] if recorder.stack else None
        siblings = sum(1 for c in (parent.children if parent else recorder.calls)
                       if c.kind == "function" and c.type == label)
        prefix = f"{parent.name}/" if parent is not None and parent.name else ""
        call = recorder.open("function", f"{prefix}{label}:{siblings + 1}", label, function=function,
                             arguments=self.bind(label, function, args, kwargs))
        return call, list(args) + list(kwargs.values())

    exit_function = exit_module

    def bind(self, label, function, args, kwargs):
        """The call's arguments by name, for the rules of ``_function_geometry`` and the MAC counters."""
        return _bind(function, args, kwargs)

    def op_applied(self, function_class, arrays, result):
        self.recorder.observe_op(arrays, result, keeps_positions(function_class.__name__))


@contextlib.contextmanager
def _buffers_restored(model):
    """A training-mode forward on meta tensors updates BatchNorm's running statistics from values that do
    not exist: put back every buffer, both the object and (in place) its values."""
    saved = []
    for module in model.modules():
        for key, value in getattr(module, "_buffers", {}).items():
            if type(value).__name__ == "UninitializedBuffer":  # a lazy layer's: the forward gives it a shape
                continue
            data = getattr(value, "_data", None)
            saved.append((module, key, value, None if data is None else data.copy()))
    try:
        yield
    finally:
        for module, key, value, data in saved:
            module._buffers[key] = value
            if data is not None:
                value._data = data


def meta_inputs(input_size, dtypes=None, model=None):
    """Meta tensors for ``input_size`` (one shape, or a list of shapes for several inputs): torch's when
    ``model`` is a torch model, else npconv's."""
    import npconv
    from .torch_trace import is_torch_object, meta_tensors
    if is_torch_object(model):
        return meta_tensors(input_size, dtypes)
    shapes = [tuple(input_size)] if all(isinstance(n, int) for n in input_size) else [tuple(s) for s in input_size]
    if dtypes is None:
        dtypes = [None] * len(shapes)
    if len(dtypes) != len(shapes):
        raise ValueError(f"dtypes has {len(dtypes)} entries for {len(shapes)} inputs")
    return [npconv.zeros(shape, dtype=dtype, device="meta") for shape, dtype in zip(shapes, dtypes)]


def trace(model, inputs, kwargs=None):
    """Run ``model(*inputs, **kwargs)`` on meta tensors and return the list of :class:`Call` records.

    ``inputs`` are tensors (meta tensors, see :func:`meta_inputs`); the first module call is the model.
    A torch model is traced by :func:`~npconv.arithmetic.torch_trace.trace_torch` into the same records.
    """
    import npconv
    from .torch_trace import is_torch_object, trace_torch
    if is_torch_object(model):
        return trace_torch(model, inputs, kwargs)
    recorder = _Recorder()
    for t in inputs:
        if isinstance(t, npconv.Tensor) and t.dim() >= 3:
            recorder.set_field(t._data, ReceptiveField.identity(t.dim() - 2))
    with _observe.observing(_Observer(recorder, model)), _buffers_restored(model), npconv.no_grad():
        model(*inputs, **(kwargs or {}))
    _mark_repeated_calls(recorder.calls)
    return recorder.calls


def _mark_repeated_calls(calls):
    """A module called twice (weight sharing) gets ' (recursive)' appended on its later rows, as torchinfo."""
    seen = set()
    for call in calls:
        if call.kind != "module":
            continue
        call.recursive = id(call.module) in seen
        seen.add(id(call.module))
