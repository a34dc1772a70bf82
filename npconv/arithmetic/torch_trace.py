"""Tracing a real ``torch.nn.Module``: the same :class:`~npconv.arithmetic.trace.Call` records as an npconv
model gives, so that summaries, MAC counts and receptive fields of torch models come from npconv's one set of
rules (``mult_adds_of``, ptflops' rules in ``complexity``, ``_spatial_rule`` in ``trace``).

torch is imported only here, and only when the user hands npconv a torch object (:func:`is_torch_object`
asks without importing it). The model runs once on torch's ``'meta'`` device (shapes and dtypes, no values)
as a *meta copy*: every parameter and buffer is replaced by a meta tensor while the module tree is copied,
so the user's model is neither moved nor changed and no weight is copied. Tied weights stay tied (one meta
tensor per original tensor). Module calls are seen through forward hooks on the copy; ``F.*``, ``torch.*``
and Tensor-method calls through a ``TorchFunctionMode``; every call's records name the *user's* modules.
"""
import copy
import dis
import sys

from .receptive import ReceptiveField, keeps_positions
from .trace import TENSOR_OPS, _bind, _mark_repeated_calls, _Observer, _Recorder

__all__ = ["is_torch_object", "meta_tensors", "trace_torch"]


def is_torch_object(obj):
    """True when ``obj`` is a torch object (a Module subclass, a Tensor, a dtype), without importing torch:
    if torch was never imported, the user cannot hold one."""
    # not imported, blocked (None in sys.modules) or, under ``npconv run``, npconv itself
    if getattr(sys.modules.get("torch"), "__name__", None) != "torch":
        return False
    return any((getattr(kind, "__module__", None) or "").split(".")[0] == "torch" for kind in type(obj).__mro__)


def _torch_dtype(value):
    """A torch dtype from a torch dtype, an npconv dtype or a name."""
    import torch
    if value is None or isinstance(value, torch.dtype):
        return value
    return getattr(torch, getattr(value, "name", str(value).replace("torch.", "")))


def meta_tensors(input_size, dtypes=None):
    """torch meta tensors for ``input_size`` (one shape, or a list of shapes for several inputs)."""
    import torch
    shapes = [tuple(input_size)] if all(isinstance(n, int) for n in input_size) else [tuple(s) for s in input_size]
    dtypes = [None] * len(shapes) if dtypes is None else list(dtypes)
    if len(dtypes) != len(shapes):
        raise ValueError(f"dtypes has {len(dtypes)} entries for {len(shapes)} inputs")
    return [torch.zeros(shape, dtype=_torch_dtype(dtype), device="meta") for shape, dtype in zip(shapes, dtypes)]


def to_meta(value):
    """``value`` with every torch tensor in it (lists, tuples, dicts) as a meta tensor of its shape."""
    import torch
    if isinstance(value, torch.Tensor):
        return value.detach().to("meta")
    if isinstance(value, (list, tuple)):
        return type(value)(to_meta(v) for v in value)
    if isinstance(value, dict):
        return {k: to_meta(v) for k, v in value.items()}
    return value


def meta_copy(model):
    """A copy of ``model`` whose parameters, buffers and tensor attributes are meta tensors (tied ones stay
    tied); no weight is copied and ``model`` is untouched."""
    import torch
    memo = {}
    for module in model.modules():
        tensors = list(module._parameters.values()) + list(module._buffers.values()) + \
            [v for v in vars(module).values() if isinstance(v, torch.Tensor)]
        for tensor in tensors:
            if tensor is None or id(tensor) in memo:
                continue
            meta = tensor.detach().to("meta")
            if isinstance(tensor, torch.nn.Parameter):
                meta = torch.nn.Parameter(meta, requires_grad=tensor.requires_grad)
            memo[id(tensor)] = meta
    keep = list(model.modules())   # deepcopy's memo is keyed by id: the originals must outlive it
    copied = copy.deepcopy(model, memo)
    del keep
    return copied


# ----- which torch callables are entry points, and by which npconv name they are bound


def _labels():
    """``{callable: label}``: every public ``F.*`` function, and the ``torch.*`` functions and Tensor methods
    of ``TENSOR_OPS``, labelled as npconv labels its own entry points."""
    import torch
    import torch.nn.functional as F
    labels = {}
    for name in TENSOR_OPS:
        labels[getattr(torch.Tensor, name)] = f"Tensor.{name}"
        labels[getattr(torch, name)] = f"torch.{name}"
    for name, value in vars(F).items():
        if not name.startswith("_") and callable(value) and not isinstance(value, type) \
                and (getattr(value, "__module__", None) or "").startswith(("torch.nn.functional", "torch._C",
                                                                           "torch")) \
                and not isinstance(value, type(sys)):
            try:
                labels.setdefault(value, f"F.{name}")
            except TypeError:        # an unhashable callable
                continue
    return labels


_LABELS = None

# An operator (``a + b``, ``a * b``, ``a @ b``) reaches torch as its method (``Tensor.add``): torch's binary
# operators are counted neither by npconv nor by ptflops, so the caller's instruction tells them apart.
_OPERATOR_INSTRUCTIONS = {name for name in dis.opname if name.startswith(("BINARY_", "INPLACE_"))}


def _called_by_operator(frame):
    code = frame.f_code
    return dis.opname[code.co_code[frame.f_lasti]] in _OPERATOR_INSTRUCTIONS


def _npconv_counterpart(label):
    """npconv's function of the same name: its signature (torch's names and defaults) binds the arguments."""
    from .. import _ops
    from .._tensor import Tensor
    from ..nn import functional as F
    namespace, _, name = label.partition(".")
    owner = {"F": F, "torch": _ops, "Tensor": Tensor}[namespace]
    return getattr(owner, name, None)


class _TorchObserver(_Observer):
    """The npconv observer fed from torch: forward hooks and a TorchFunctionMode."""

    def __init__(self, recorder, model, original):
        super().__init__(recorder, model)
        self.originals = dict(original.named_modules())

    def bind(self, label, function, args, kwargs):
        counterpart = _npconv_counterpart(label)
        bound = _bind(counterpart, args, kwargs) if counterpart is not None else None
        return bound if bound is not None and "args" not in bound else _bind(function, args, kwargs)

    def enter_module(self, module, args, kwargs):
        name = self.names.get(id(module))
        if name is None:
            return None
        call = self.recorder.open("module", name, type(module).__name__, module=self.originals.get(name, module))
        return call, list(args) + list(kwargs.values())


def _function_mode(observer):
    """A TorchFunctionMode recording the labelled calls as rows and carrying receptive fields through every
    op (what ``op_applied`` does for npconv's own ops)."""
    from torch.overrides import TorchFunctionMode

    global _LABELS
    if _LABELS is None:
        _LABELS = _labels()
    recorder = observer.recorder

    class Recording(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            try:
                label = _LABELS.get(func)
            except TypeError:
                label = None
            if label is not None and label.startswith("Tensor.") and _called_by_operator(sys._getframe(1)):
                label = None
            token = observer.enter_function(label, func, args, kwargs) if label is not None else None
            output = None
            try:
                output = func(*args, **kwargs)
                recorder.observe_op(list(args) + list(kwargs.values()), output, _keeps_positions(func, args))
                return output
            finally:
                if token is not None:
                    observer.exit_function(token, output)
    return Recording()


def _keeps_positions(func, args):
    """Whether a torch op leaves values where they are: by name, and for indexing only basic indexing (ints,
    slices, None, Ellipsis: a tensor or list index may reorder pixels)."""
    name = getattr(func, "__name__", "")
    if name == "__getitem__":
        index = args[1] if len(args) > 1 else ()
        return all(item is None or item is Ellipsis or isinstance(item, (int, slice))
                   for item in (index if isinstance(index, tuple) else (index,)))
    return keeps_positions(name)


def _hooks(observer, model):
    """Forward pre-hooks and hooks announcing every module call of ``model`` (removed on exit)."""
    tokens = {}

    def pre(module, args, kwargs):
        tokens.setdefault(id(module), []).append(observer.enter_module(module, args, kwargs))

    def post(module, args, kwargs, output):
        observer.exit_module(tokens[id(module)].pop(), output)

    handles = []
    for module in model.modules():
        handles.append(module.register_forward_pre_hook(pre, with_kwargs=True))
        handles.append(module.register_forward_hook(post, with_kwargs=True, always_call=True))
    return handles


def trace_torch(model, inputs, kwargs=None):
    """Run a meta copy of the torch ``model`` on ``inputs`` (tensors, made meta) and return the list of
    :class:`~npconv.arithmetic.trace.Call` records, naming ``model``'s own modules."""
    import torch
    copied = meta_copy(model)
    inputs = to_meta(list(inputs))
    kwargs = to_meta(dict(kwargs or {}))
    recorder = _Recorder(torch.Tensor, lambda tensor: tensor)
    for t in inputs:
        if isinstance(t, torch.Tensor) and t.dim() >= 3:
            recorder.set_field(t, ReceptiveField.identity(t.dim() - 2))
    observer = _TorchObserver(recorder, copied, model)
    handles = _hooks(observer, copied)
    try:
        with torch.no_grad(), _function_mode(observer):
            copied(*inputs, **kwargs)
    finally:
        for handle in handles:
            handle.remove()
    _mark_repeated_calls(recorder.calls)
    return recorder.calls

