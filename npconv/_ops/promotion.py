"""Operands and torch's type promotion: the result dtype of mixed operands, the cast that stays in the
graph (``ToCopy``), and the one place a binary op promotes, checks broadcasting and applies its Function."""
import builtins

import numpy as np

from .. import _dtype, _shapes
from .._dtype import get_default_dtype
from .._dtype import result_type as _result_type_of
from .._tensor import Size, Tensor
from ..autograd import Function, is_grad_enabled
from .arguments import _broadcast_error, _check_number, _shape_of


def _np_dtype_of_result(*operands):
    return _result_type_of(operands).numpy_dtype


def _as_operand(x, np_dtype):
    """A Tensor operand cast to ``np_dtype`` (differentiably if it needs grad), or a number as a 0-d array."""
    if isinstance(x, Tensor):
        if x._data.dtype == np_dtype:
            return x
        if x._requires_grad and is_grad_enabled():
            return ToCopy.apply(x, np_dtype)
        return Tensor._make(x._data.astype(np_dtype), x._meta)
    if isinstance(x, np.ndarray):
        return x.astype(np_dtype, copy=False)
    return np.asarray(x, dtype=np_dtype)


def _binary(fn, a, b, name, np_dtype=None):
    """Promote both operands to torch's result type and apply ``fn``."""
    if np_dtype is None:
        if type(a) is Tensor and type(b) is Tensor and a._data.dtype == b._data.dtype:
            np_dtype = a._data.dtype
        elif type(a) is Tensor and type(b) in (float, builtins.int) and a._data.dtype.kind == "f":
            # the common "tensor op number" case: a float tensor keeps its dtype
            return fn.apply(a, np.asarray(b, dtype=a._data.dtype))
        else:
            _check_number(b, name)
            _check_number(a, name)
            np_dtype = _np_dtype_of_result(a, b)
    a, b = _as_operand(a, np_dtype), _as_operand(b, np_dtype)
    sa, sb = _shape_of(a), _shape_of(b)
    if sa != sb:
        try:
            np.broadcast_shapes(sa, sb)
        except ValueError:
            raise _broadcast_error(a._data if isinstance(a, Tensor) else a,
                                   b._data if isinstance(b, Tensor) else b) from None
    return fn.apply(a, b)


def _floating(x):
    """The operand of a float-valued unary op: ints and bools become the default float dtype."""
    if not isinstance(x, Tensor):
        raise TypeError(f"expected a Tensor, got {type(x).__name__}")
    if x._data.dtype.kind == "f":
        return x
    return _as_operand(x, get_default_dtype().numpy_dtype)


def broadcast_shapes(*shapes):
    """The shape the given shapes broadcast to (RuntimeError if they do not)."""
    try:
        return Size(np.broadcast_shapes(*[tuple(s) if isinstance(s, (tuple, list)) else (s,) for s in shapes]))
    except ValueError:
        raise RuntimeError(f"Shape mismatch: objects cannot be broadcast to a single shape") from None


def check_in_place_result(shape, dtype, other):
    """``result op= other`` for a result of ``shape`` and ``dtype`` (a kernel writing into its output): torch's
    size clash, a broadcast larger than the result, or a value of a higher kind (float into int, int into
    bool), in that order."""
    broadcast = _shapes.broadcast_shape(shape, other.shape)
    if broadcast != tuple(shape):
        raise RuntimeError(f"output with shape {list(shape)} doesn't match the broadcast shape {list(broadcast)}")
    rank = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}
    if rank[other.dtype.numpy_dtype.kind] > rank[dtype.numpy_dtype.kind]:
        raise RuntimeError(f"result type {other.dtype.scalar_name} can't be cast to the desired output type "
                           f"{dtype.scalar_name}")


def result_type(tensor, other):
    """The dtype torch's type promotion gives ``tensor op other``."""
    return _result_type_of([tensor, other])


class ToCopy(Function):
    """A dtype conversion recorded in the graph (ToCopyBackward0)."""

    @staticmethod
    def forward(ctx, a, np_dtype):
        return a.astype(np_dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad, None  # the engine casts back to the input's dtype


def to_dtype(input, dtype):  # noqa: A002
    """``input`` converted to ``dtype`` (Tensor.to(dtype)); differentiable into floating dtypes only."""
    d = _dtype.to_dtype(dtype)
    if input._requires_grad and not d.is_floating_point:
        return Tensor._make(input._data.astype(d.numpy_dtype), input._meta)
    return ToCopy.apply(input, d.numpy_dtype)

