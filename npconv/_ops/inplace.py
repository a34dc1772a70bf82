"""In-place ops: ``x.add_(y)``, ``x[index] = v``, ``fill_``, ``copy_``, the random fills, and the rule that
makes an in-place op on a tensor in a graph a rebinding to a new node."""
import builtins

import numpy as np

from .. import random as _random
from .._dtype import from_numpy_dtype
from .._tensor import Tensor
from ..autograd import Function, _sum_to_shape, is_grad_enabled
from .arguments import _list_str
from .elementwise import add, mul
from .indexing import _check_int_bounds, _prepare_index
from .promotion import _as_operand


def _inplace(self, result):
    """Make ``self`` hold ``result``: true in-place when no graph is involved, else a rebinding that keeps
    autograd correct (saved arrays are never mutated)."""
    if self._requires_grad and self.grad_fn is None and is_grad_enabled():
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    if result._requires_grad and is_grad_enabled():
        if result._data.dtype != self._data.dtype:
            result = _as_operand(result, self._data.dtype)
        self._data, self.grad_fn, self._requires_grad = result._data, result.grad_fn, True
        return self
    _check_inplace_cast(result._data.dtype, self._data.dtype)
    if self._meta:
        return self
    if self._data.shape != result._data.shape:
        try:
            np.broadcast_to(result._data, self._data.shape)
        except ValueError:
            raise RuntimeError(f"output with shape {_list_str(self._data.shape)} doesn't match the broadcast "
                               f"shape {_list_str(result._data.shape)}") from None
    if not self._data.flags.writeable:
        raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers to a "
                           "single memory location. Please clone() the tensor before performing the operation.")
    np.copyto(self._data, result._data, casting="unsafe")
    return self


def _check_inplace_cast(src, dst):
    """torch refuses to write a result into a tensor of a lower kind (float into int, int into bool)."""
    order = {"b": 0, "u": 1, "i": 1, "f": 2}
    if order[src.kind] > order[dst.kind]:
        raise RuntimeError(f"result type {from_numpy_dtype(src).scalar_name} can't be cast to the desired "
                           f"output type {from_numpy_dtype(dst).scalar_name}")


def _graph_alias(t):
    """A second Tensor object for the current value and node of ``t``: an in-place op that rebinds ``t``
    computes from the alias, so the new node never points back at ``t`` itself (no cycle)."""
    alias = Tensor._make(t._data, t._meta)
    alias._requires_grad, alias.grad_fn = t._requires_grad, t.grad_fn
    return alias


def _make_inplace(fn):
    def method(self, *args, **kwargs):
        if self._requires_grad and is_grad_enabled():
            alias = _graph_alias(self)
            args = tuple(alias if a is self else a for a in args)
            return _inplace(self, fn(alias, *args, **kwargs))
        return _inplace(self, fn(self, *args, **kwargs))
    method.__name__ = fn.__name__ + "_"
    return method


def zero_(self):
    """Fill self with zeros, in place."""
    return fill_(self, 0)


def fill_(self, value):
    """Fill self with ``value`` (a number or a one-element tensor), in place."""
    value = value.item() if isinstance(value, Tensor) else value
    if self._requires_grad and self.grad_fn is None and is_grad_enabled():
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    if not self._meta:
        if self._requires_grad and is_grad_enabled():
            return _inplace(self, mul(_graph_alias(self), 0) + value)
        self._data[...] = value
    return self


def copy_(self, src, non_blocking=False):
    """Copy ``src`` (broadcast) into self, keeping self's dtype."""
    src_t = src if isinstance(src, Tensor) else Tensor._make(np.asarray(src))
    if self._requires_grad and self.grad_fn is None and is_grad_enabled():
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    if src_t._requires_grad and is_grad_enabled():
        return _inplace(self, add(mul(_graph_alias(self), 0), src_t))
    if self._meta:
        return self
    try:
        np.copyto(self._data, np.broadcast_to(src_t._data, self._data.shape), casting="unsafe")
    except ValueError:
        raise RuntimeError(f"The size of tensor a ({self._data.shape[-1] if self._data.ndim else 1}) must match "
                           f"the size of tensor b ({src_t._data.shape[-1] if src_t._data.ndim else 1}) at "
                           f"non-singleton dimension {builtins.max(self._data.ndim - 1, 0)}") from None
    return self


def _random_fill(self, sample):
    if self._requires_grad and self.grad_fn is None and is_grad_enabled():
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    if not self._meta:
        self._data[...] = sample(_random.generator(), self._data.shape)
    return self


def uniform_(self, a=0.0, b=1.0, *, generator=None):
    """Fill self with samples uniform on [a, b), in place."""
    return _random_fill(self, lambda g, s: g.uniform(a, b, s))


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    """Fill self with normal samples N(mean, std**2), in place."""
    return _random_fill(self, lambda g, s: g.normal(mean, std, s))


def bernoulli_(self, p=0.5, *, generator=None):
    """Fill self with 1 with probability ``p``, else 0, in place."""
    return _random_fill(self, lambda g, s: g.random(s) < p)


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
    """In-place assignment; recorded in the graph (a new node) when grad mode needs it."""
    index, advanced = _prepare_index(index)
    if not advanced:
        _check_int_bounds(index, input._data.shape)
    if isinstance(value, Tensor):
        v = value
        if v._data.dtype != input._data.dtype:
            v = _as_operand(v, input._data.dtype)
    else:
        v = np.asarray(value, dtype=input._data.dtype)
    needs_graph = is_grad_enabled() and (input._requires_grad or (isinstance(v, Tensor) and v._requires_grad))
    if needs_graph:
        if input.grad_fn is None and input._requires_grad:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place "
                               "operation.")
        out = IndexPut.apply(_graph_alias(input), v, index)
        input._data, input.grad_fn, input._requires_grad = out._data, out.grad_fn, True
        return
    if input._meta:
        return
    try:
        input._data[index] = v._data if isinstance(v, Tensor) else v
    except ValueError as exc:
        if "read-only" in str(exc):
            raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers to "
                               "a single memory location. Please clone() the tensor before performing the "
                               "operation.") from None
        raise RuntimeError(f"shape mismatch: value tensor of shape {_list_str(np.shape(v._data if isinstance(v, Tensor) else v))} "
                           f"cannot be broadcast to indexing result of shape "
                           f"{_list_str(input._data[index].shape)}") from None


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
        return out
    wrapper.__name__, wrapper.__doc__, wrapper.__wrapped__ = fn.__name__, fn.__doc__, fn
    return wrapper
