"""In-place ops: ``x.add_(y)``, ``x[index] = v``, ``fill_``, ``copy_``, the random fills, and the rule that
makes an in-place op on a tensor in a graph a rebinding to a new node."""
import builtins
import numbers

import numpy as np

from .. import random as _random
from .._dtype import from_numpy_dtype
from .._tensor import Tensor
from ..autograd import Function, _sum_to_shape, adopt_saved_output, is_grad_enabled, named_variant, replace_node
from .arguments import _list_str
from .indexing import _check_int_bounds, _prepare_index, getitem, split_mixed_index
from .overloads import Overload, invalid_combination
from .promotion import _as_operand
from .views import _positions, rebase, refresh_views


_LEAF_ERROR = "a leaf Variable that requires grad is being used in an in-place operation."
_VIEW_OF_LEAF_ERROR = "a view of a leaf Variable that requires grad is being used in an in-place operation."


def _check_not_a_leaf(self):
    """torch refuses in-place writes, while recording, to a leaf that requires grad, to a view of one, and to
    a piece of split/chunk/unbind that requires grad."""
    if not is_grad_enabled():
        return
    if self._base is not None and self._base._requires_grad and self._base.grad_fn is None:
        raise RuntimeError(_VIEW_OF_LEAF_ERROR)
    if self._requires_grad and self.grad_fn is None:
        raise RuntimeError(_LEAF_ERROR)
    part_of = getattr(self._view_replay, "multi_output", None)
    if part_of is not None and self._requires_grad:
        raise RuntimeError(f"Output {part_of[0]} of {part_of[1]} is a view and is being modified inplace. This view "
                           "is the output of a function that returns multiple views. Such functions do not allow "
                           "the output views to be modified inplace. You should replace the inplace operation by "
                           "an out-of-place one.")


def _inplace(self, result):
    """Write ``result`` into ``self``'s memory (so its views and its root see it), count the write, and when
    ``result`` is in the graph make ``self`` its output: its node becomes ``result``'s, or, for a view, the
    root records CopySlices and the view AsStridedBackward0 (torch's rebase)."""
    _check_not_a_leaf(self)
    in_graph = result._requires_grad and is_grad_enabled()
    if in_graph and result._data.dtype != self._data.dtype:
        result = _as_operand(result, self._data.dtype)
    _check_inplace_cast(result._data.dtype, self._data.dtype)
    if not self._meta and result._data is not self._data:   # an op may have written in place already
        _write(self, result._data)
    self._bump_version()
    if in_graph:
        adopt_saved_output(result.grad_fn, result, self)
        if self._base is None:
            replace_node(self, result.grad_fn)
        else:
            rebase(self, result)
        refresh_views(self)
    return self


def _write(self, values):
    """Copy ``values`` into self's memory with torch's errors for a shape it cannot take or shared memory."""
    if self._data.shape != values.shape:
        try:
            np.broadcast_to(values, self._data.shape)
        except ValueError:
            raise RuntimeError(f"output with shape {_list_str(self._data.shape)} doesn't match the broadcast "
                               f"shape {_list_str(values.shape)}") from None
    check_writable(self)
    if self._data.size:   # (an empty expanded view is a read-only array with nothing to write)
        np.copyto(self._data, values, casting="unsafe")


_OVERLAP = ("unsupported operation: more than one element of the written-to tensor refers to a single memory "
            "location. Please clone() the tensor before performing the operation.")


def writes_through_shared_memory(t):
    """Whether an in-place kernel that skips torch's shared-memory check (threshold_) writes into ``t``
    through ``write_shared``: an expanded view, outside autograd, of a writable root."""
    return (_shares_memory(t) and t._base is not None and t._base._data.flags.writeable
            and not (t._requires_grad and is_grad_enabled()))


def write_shared(view, values):
    """Such a kernel's result: every element written into its memory (elements sharing memory get the same
    value from an elementwise op), so into the root at each element's position; one write counted."""
    root = view._base
    np.put(root._data, _positions(root._data.shape, view._view_replay), values)
    view._bump_version()
    return view


def check_inplace_target(t):
    """What torch checks of an in-place op's target before its kernel looks at the dtype: autograd's leaf
    rule, then shared memory."""
    _check_not_a_leaf(t)
    check_writable(t)


def check_writable(t):
    """torch's refusal to write into a tensor whose elements share memory (an expanded one); its in-place
    kernels check this before the dtype."""
    if _shares_memory(t):
        raise RuntimeError(_OVERLAP)


def _shares_memory(t):
    """Whether elements of ``t`` share memory: its array is a read-only broadcast (see _ops.shape._expanded)
    with elements (torch finds no overlap in an empty tensor, whatever its strides)."""
    return not t._meta and not t._data.flags.writeable and t._data.size > 0


def _check_inplace_cast(src, dst):
    """torch refuses to write a result into a tensor of a lower kind (float into int, int into bool)."""
    order = {"b": 0, "u": 1, "i": 1, "f": 2}
    if order[src.kind] > order[dst.kind]:
        raise RuntimeError(f"result type {from_numpy_dtype(src).scalar_name} can't be cast to the desired "
                           f"output type {from_numpy_dtype(dst).scalar_name}")


def _original(t, copy=True):
    """``t`` as it is before an in-place op overwrites it, standing in its place in the graph: a copy of
    its values when the op may save them for backward (torch saves the original self), else its memory."""
    alias = Tensor._make(t._data.copy() if copy and not t._meta else t._data, t._meta)
    alias._requires_grad, alias.grad_fn = t._requires_grad, t.grad_fn
    return alias


def apply_in_place(function, input, args, node_name):  # noqa: A002
    """``function.apply(input, *args)`` written into ``input`` under torch's in-place node name (relu_,
    leaky_relu(inplace=True)...). A function whose forward writes into its input's memory itself
    (``returns_view``) costs no copy; the original values are copied only for a backward that reads them."""
    _check_not_a_leaf(input)
    node = named_variant(function, node_name)
    if input._requires_grad and is_grad_enabled():
        original = _original(input, copy=getattr(function, "backward_reads_input", True))
        return _inplace(input, node.apply(original, *args))
    return _inplace(input, node.apply(input, *args))


def _make_inplace(fn, name=None):
    """The in-place method ``x.fn_(...)`` (``name``, by default fn's name and "_"): ``fn`` computed from x's
    original value, written back into x."""
    def method(self, *args, **kwargs):
        try:
            if self._requires_grad and is_grad_enabled():
                _check_not_a_leaf(self)
                return _inplace(self, fn(_original(self), *args, **kwargs))
            return _inplace(self, fn(self, *args, **kwargs))
        except TypeError as error:   # torch's parser names the op called: "add_(): argument 'other' ..."
            called = method.__name__[:-1]
            if not str(error).startswith(called + "("):
                raise
            raise TypeError(method.__name__ + str(error)[len(called):]) from None
    method.__name__ = name or fn.__name__ + "_"
    return method


class _Fill(Function):
    """Every element overwritten by a value that does not depend on the old one (fill_, zero_, the random
    fills): a zero gradient flows to the old value."""

    @staticmethod
    def forward(ctx, old, values):
        return np.broadcast_to(np.asarray(values, dtype=old.dtype), old.shape).copy()

    @staticmethod
    def backward(ctx, grad):
        return np.zeros_like(grad), None  # torch sends zeros down: the leaves below get a zero .grad


def _overwrite_node(name):
    return type(name, (_Fill,), {"backward_name": name, "__module__": __name__})


_FILL_NODES = {name: _overwrite_node(name) for name in ("FillBackward2", "FillBackward3", "ZeroBackward0",
                                                         "UniformBackward0", "NormalBackward0", "BernoulliBackward2")}


def _overwrite(self, node_name, values):
    """Fill self with ``values`` (a number or an array of self's shape); in the graph as torch names it."""
    _check_not_a_leaf(self)
    if self._requires_grad and is_grad_enabled():
        return _inplace(self, _FILL_NODES[node_name].apply(_original(self, copy=False), values))
    if not self._meta:
        _write(self, np.asarray(values, dtype=self._data.dtype))
    self._bump_version()
    return self


def zero_(self):
    """Fill self with zeros, in place."""
    return _overwrite(self, "ZeroBackward0", 0)


def check_fill_value(value):
    """What torch's parser and kernel take as fill_'s value: a Number, or a 0-d Tensor."""
    if isinstance(value, Tensor):
        if value.dim() != 0:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with {value.dim()} "
                               "dimensions.")
    elif not isinstance(value, numbers.Number):
        raise TypeError(invalid_combination("fill_", (Overload("(Tensor value)"), Overload("(Number value)")),
                                            (value,), {}))


def fill_(self, value):
    """Fill self with ``value`` (a number or a 0-d tensor), in place."""
    check_fill_value(value)
    if isinstance(value, Tensor) and value._requires_grad and is_grad_enabled():
        return copy_(self, value.reshape(()))
    if isinstance(value, Tensor):
        return _overwrite(self, "FillBackward3", value.item())
    return _overwrite(self, "FillBackward2", value)


class Copy(Function):
    """``self.copy_(src)``: src broadcast to self's shape in self's dtype; a zero gradient reaches the old
    self (torch's CopyBackwards)."""

    backward_name = "CopyBackwards"

    @staticmethod
    def forward(ctx, old, src):
        return np.broadcast_to(src, old.shape).astype(old.dtype)

    @staticmethod
    def backward(ctx, grad):
        # the old value gets zeros (as torch); the engine sums src's and casts it back to src's shape and dtype
        return np.zeros_like(grad), grad


def copy_(self, src, non_blocking=False):
    """Copy ``src`` (broadcast) into self, keeping self's dtype."""
    src_t = src if isinstance(src, Tensor) else Tensor._make(np.asarray(src))
    _check_not_a_leaf(self)
    try:
        np.broadcast_to(src_t._data, self._data.shape)
    except ValueError:
        raise RuntimeError(f"The size of tensor a ({self._data.shape[-1] if self._data.ndim else 1}) must match "
                           f"the size of tensor b ({src_t._data.shape[-1] if src_t._data.ndim else 1}) at "
                           f"non-singleton dimension {builtins.max(self._data.ndim - 1, 0)}") from None
    if (src_t._requires_grad or self._requires_grad) and is_grad_enabled():
        return _inplace(self, Copy.apply(_original(self, copy=False), src_t))
    if not self._meta:
        _write(self, src_t._data)
    self._bump_version()
    return self


def _random_fill(self, node_name, sample):
    return _overwrite(self, node_name, sample(_random.generator(), self._data.shape) if not self._meta else 0)


def uniform_(self, a=0.0, b=1.0, *, generator=None):
    """Fill self with samples uniform on [a, b), in place."""
    return _random_fill(self, "UniformBackward0", lambda g, s: g.uniform(a, b, s))


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    """Fill self with normal samples N(mean, std**2), in place."""
    return _random_fill(self, "NormalBackward0", lambda g, s: g.normal(mean, std, s))


def bernoulli_(self, p=0.5, *, generator=None):
    """Fill self with 1 with probability ``p``, else 0, in place."""
    return _random_fill(self, "BernoulliBackward2", lambda g, s: g.random(s) < p)


class IndexPut(Function):
    backward_name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, a, value, index):
        ctx.index, ctx.value_shape = index, np.shape(value)
        out = a.copy()
        out[index] = value
        return out

    @staticmethod
    def backward(ctx, grad):
        ga = grad.copy()
        ga[ctx.index] = 0
        gv = grad[ctx.index] if ctx.needs_input_grad[1] else None
        if gv is not None and gv.shape != ctx.value_shape:
            gv = _reduce_broadcast(gv, ctx.value_shape)
        return ga, gv, None


def _reduce_broadcast(g, shape):
    return _sum_to_shape(g, tuple(shape))


def setitem(input, index, value):  # noqa: A002
    """``input[index] = value`` in place: through a view for basic indexing (the root records CopySlices, as
    torch), with IndexPutBackward0 for advanced indexing."""
    prepared, advanced = _prepare_index(index)
    if not advanced:
        _check_int_bounds(prepared, input._data.shape)
    else:
        parts = split_mixed_index(prepared, input._data.shape)
        if parts is not None:  # torch's order: the ints, slices and Nones make a view, the arrays index it
            setitem(getitem(input, parts[0]), parts[1], value)
            return
    value_requires_grad = isinstance(value, Tensor) and value._requires_grad
    if is_grad_enabled() and (input._requires_grad or value_requires_grad):
        if not advanced:
            copy_(getitem(input, index), value)
            return
        v = _as_operand(value, input._data.dtype)
        _inplace(input, IndexPut.apply(_original(input, copy=False), v, prepared))
        return
    values = value._data if isinstance(value, Tensor) else np.asarray(value, dtype=input._data.dtype)
    if not input._meta:
        _assign(input, prepared, values)
    input._bump_version()


def _assign(input, index, values):  # noqa: A002
    """NumPy's item assignment with torch's errors."""
    try:
        input._data[index] = values
    except ValueError as exc:
        if "read-only" in str(exc):
            raise RuntimeError(_OVERLAP) from None
        raise RuntimeError(f"shape mismatch: value tensor of shape {_list_str(np.shape(values))} cannot be "
                           f"broadcast to indexing result of shape {_list_str(input._data[index].shape)}") from None


def _with_out(fn):
    """torch's ``out=`` argument: write the result into ``out`` (resized to the result's shape, keeping
    its dtype) and return it; not differentiable, as in torch."""
    def wrapper(*args, out=None, **kwargs):
        result = fn(*args, **kwargs)
        if out is None:
            return result
        if result._requires_grad and is_grad_enabled():
            raise RuntimeError(f"{fn.__name__}(): functions with out=... arguments don't support automatic "
                               "differentiation, but one of the arguments requires grad.")
        _check_inplace_cast(result._data.dtype, out._data.dtype)
        if out._data.shape != result._data.shape:
            out._data = np.empty(result._data.shape, out._data.dtype)
        np.copyto(out._data, result._data, casting="unsafe")
        out._bump_version()
        return out
    wrapper.__name__, wrapper.__doc__, wrapper.__wrapped__ = fn.__name__, fn.__doc__, fn
    return wrapper
