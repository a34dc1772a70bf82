"""Reductions: sum, mean, var/std, max/min (with indices), arg-max/min, prod, cumsum, all/any, and the
sorting selections topk/sort. A reduced gradient is expanded back over the reduced dims."""
import builtins
import collections

import numpy as np

from .._dtype import to_dtype
from .._tensor import Tensor, _normalize_dim
from ..autograd import Function
from .arguments import _reduction_axes
from .elementwise import maximum, minimum
from .indexing import Gather
from .promotion import _as_operand


def all(input, dim=None, keepdim=False):  # noqa: A002
    """True where every element (over all, or along ``dim``) is non-zero."""
    axis = None if dim is None else _reduction_axes(dim, input._data.ndim)
    return Tensor._make(np.asarray(np.all(input._data, axis=axis, keepdims=keepdim)))


def any(input, dim=None, keepdim=False):  # noqa: A002
    """True where some element (over all, or along ``dim``) is non-zero."""
    axis = None if dim is None else _reduction_axes(dim, input._data.ndim)
    return Tensor._make(np.asarray(np.any(input._data, axis=axis, keepdims=keepdim)))


def count_nonzero(input, dim=None):  # noqa: A002
    """The number of non-zero elements (over all, or along ``dim``), int64."""
    axis = None if dim is None else _reduction_axes(dim, input._data.ndim)
    return Tensor._make(np.asarray(np.count_nonzero(input._data, axis=axis), dtype=np.int64))


def _expand_reduced(grad, shape, axes, keepdim):
    """A reduced gradient reshaped to broadcast against the input of a reduction."""
    if not keepdim and axes is not None:
        grad = np.expand_dims(grad, axes)
    return np.broadcast_to(grad, shape)


class Sum(Function):
    graph_inputs = 1   # dim=None is an option, not an absent tensor
    @staticmethod
    def forward(ctx, a, axes, keepdim, np_dtype):
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, axes, keepdim
        return np.asarray(np.sum(a, axis=axes, keepdims=keepdim, dtype=np_dtype), order="C")   # torch's layout

    @staticmethod
    def backward(ctx, grad):
        return _expand_reduced(grad, ctx.shape, ctx.axes, ctx.keepdim), None, None, None


class SumDim(Sum):
    backward_name = "SumBackward1"


class Mean(Function):
    graph_inputs = 1   # dim=None is an option, not an absent tensor
    @staticmethod
    def forward(ctx, a, axes, keepdim):
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, axes, keepdim
        ctx.count = a.size if axes is None else int(np.prod([a.shape[i] for i in axes]))
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(np.mean(a, axis=axes, keepdims=keepdim), order="C")

    @staticmethod
    def backward(ctx, grad):
        with np.errstate(invalid="ignore", divide="ignore"):
            g = grad / np.asarray(ctx.count, dtype=grad.dtype)
        return _expand_reduced(g, ctx.shape, ctx.axes, ctx.keepdim), None, None


class MeanDim(Mean):
    backward_name = "MeanBackward1"


def _reduce_axes(input, dim):
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return None
    return _reduction_axes(dim, input._data.ndim)


def sum(input, dim=None, keepdim=False, *, dtype=None, out=None):  # noqa: A002
    """Sum over all elements or over ``dim`` (int or tuple); integers and bools sum to int64."""
    axes = _reduce_axes(input, dim)
    if dtype is not None:
        np_dtype = to_dtype(dtype).numpy_dtype
        input = _as_operand(input, np_dtype)
    elif input._data.dtype.kind in "biu":
        np_dtype = np.dtype(np.int64)
    else:
        np_dtype = input._data.dtype
    fn = Sum if dim is None else SumDim
    return fn.apply(input, axes, keepdim, np_dtype)


def mean(input, dim=None, keepdim=False, *, dtype=None, out=None):  # noqa: A002
    """Mean over all elements or over ``dim``; needs a floating dtype (as torch)."""
    if dtype is not None:
        input = _as_operand(input, to_dtype(dtype).numpy_dtype)
    if input._data.dtype.kind != "f":
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a floating "
                           f"point or complex dtype. Got: {input.dtype.scalar_name}")
    fn = Mean if dim is None else MeanDim
    return fn.apply(input, _reduce_axes(input, dim), keepdim)


class VarStd(Function):
    graph_inputs = 1   # dim=None is an option, not an absent tensor
    @staticmethod
    def forward(ctx, a, axes, correction, keepdim, take_sqrt):
        mu = np.mean(a, axis=axes, keepdims=True)
        centered = a - mu
        n = a.size if axes is None else int(np.prod([a.shape[i] for i in axes]))
        with np.errstate(invalid="ignore", divide="ignore"):
            var = np.sum(centered * centered, axis=axes, keepdims=keepdim) / np.asarray(
                builtins.max(n - correction, 0), dtype=a.dtype)
            out = np.sqrt(var) if take_sqrt else var
        ctx.save_for_backward(centered, np.asarray(out))
        ctx.axes, ctx.keepdim, ctx.denominator, ctx.take_sqrt = axes, keepdim, builtins.max(n - correction, 0), take_sqrt
        return np.asarray(out)

    @staticmethod
    def backward(ctx, grad):
        centered, out = ctx.saved_tensors
        with np.errstate(invalid="ignore", divide="ignore"):
            # torch: the gradient of std is 0 where std is 0 (instead of 0/0)
            g = np.where(out == 0, 0, grad / (2 * out)).astype(grad.dtype) if ctx.take_sqrt else grad
            g = _expand_reduced(g, centered.shape, ctx.axes, ctx.keepdim)
            return g * (2 / np.asarray(ctx.denominator, dtype=centered.dtype)) * centered, None, None, None, None


class Var(VarStd):
    backward_name = "VarBackward0"


class Std(VarStd):
    backward_name = "StdBackward0"


def _var_std(fn, input, dim, unbiased, keepdim, correction, take_sqrt):
    if isinstance(dim, builtins.bool):  # legacy overload var(unbiased)
        dim, unbiased = None, dim
    if correction is not None and unbiased is not None:
        raise RuntimeError("var: can't specify both unbiased and correction")
    if correction is None:
        correction = 0 if unbiased is False else 1
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"std and var only support floating point and complex dtypes")
    return fn.apply(input, _reduce_axes(input, dim), correction, keepdim, take_sqrt)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):  # noqa: A002
    """Variance over all elements or ``dim``, with Bessel's correction by default (``correction=1``)."""
    return _var_std(Var, input, dim, unbiased, keepdim, correction, False)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):  # noqa: A002
    """Standard deviation: the square root of ``var``."""
    return _var_std(Std, input, dim, unbiased, keepdim, correction, True)


class MaxAll(Function):
    graph_inputs = 1   # dim=None is an option, not an absent tensor
    """max()/min() over all elements: the gradient is shared evenly among ties (torch)."""
    backward_name = "MaxBackward1"

    @staticmethod
    def forward(ctx, a, use_min):
        if a.size == 0:
            raise RuntimeError(f"{'min' if use_min else 'max'}(): Expected reduction dim to be specified for "
                               "input.numel() == 0. Specify the reduction dim with the 'dim' argument.")
        out = np.asarray(np.min(a) if use_min else np.max(a))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        ties = a == out
        return ties * (grad / np.count_nonzero(ties)), None


class MinAll(MaxAll):
    backward_name = "MinBackward1"


class MaxDim(Function):
    graph_inputs = 1   # dim=None is an option, not an absent tensor
    """max(dim)/min(dim): values and int64 indices; the gradient goes to the selected index."""
    backward_name = "MaxBackward0"

    @staticmethod
    def forward(ctx, a, axis, keepdim, use_min):
        if a.shape[axis] == 0:
            raise IndexError(f"{'min' if use_min else 'max'}(): Expected reduction dim {axis} to have non-zero "
                             "size.")
        idx = np.expand_dims((np.argmin if use_min else np.argmax)(a, axis=axis), axis)
        values = np.take_along_axis(a, idx, axis)
        ctx.shape, ctx.axis, ctx.keepdim, ctx.idx = a.shape, axis, keepdim, idx
        if not keepdim:
            values, idx = np.squeeze(values, axis), np.squeeze(idx, axis)
        return values, idx.astype(np.int64)

    @staticmethod
    def backward(ctx, grad):
        if not ctx.keepdim:
            grad = np.expand_dims(grad, ctx.axis)
        full = np.zeros(ctx.shape, dtype=grad.dtype)
        np.put_along_axis(full, ctx.idx, grad, ctx.axis)
        return full, None, None, None


class MinDim(MaxDim):
    backward_name = "MinBackward0"


def _namedtuple_type(name, fields=("values", "indices")):
    """torch.return_types.<name>: a named tuple printed one field a line, as torch prints it."""
    base = collections.namedtuple(name, fields)

    def __repr__(self):
        lines = ",\n".join(f"{field}={value!r}" for field, value in zip(fields, self))
        return f"torch.return_types.{name}(\n{lines})"
    return type(name, (base,), {"__repr__": __repr__, "__slots__": ()})


_return_types = {n: _namedtuple_type(n) for n in ("max", "min", "topk", "sort", "mode", "median", "kthvalue")}


def _max_min(input, dim, keepdim, other, use_min):  # noqa: A002
    name = "min" if use_min else "max"
    if isinstance(dim, Tensor) and other is None:
        dim, other = None, dim
    if other is not None:
        return (minimum if use_min else maximum)(input, other)
    if dim is None:
        return (MinAll if use_min else MaxAll).apply(input, use_min)
    axis = _normalize_dim(dim, input._data.ndim) if input._data.ndim else None
    if axis is None:  # a 0-d tensor: torch returns it and index 0
        return _return_types[name](input.clone(), Tensor._make(np.asarray(0, dtype=np.int64)))
    values, idx = (MinDim if use_min else MaxDim).apply(input, axis, keepdim, use_min)
    return _return_types[name](values, Tensor._make(idx, input._meta))


def max(input, dim=None, keepdim=False, *, other=None, out=None):  # noqa: A002
    """max(): the largest element; max(dim): (values, indices); max(other): element-wise maximum."""
    return _max_min(input, dim, keepdim, other, False)


def min(input, dim=None, keepdim=False, *, other=None, out=None):  # noqa: A002
    """min(): the smallest element; min(dim): (values, indices); min(other): element-wise minimum."""
    return _max_min(input, dim, keepdim, other, True)


class Amax(Function):
    """The largest values over several axes at once; the gradient is shared evenly among ties (torch's
    amax rule, unlike max(dim), which picks one index)."""

    graph_inputs = 1
    reduce = staticmethod(np.amax)

    @classmethod
    def forward(cls, ctx, a, axes, keepdim):
        out = np.asarray(cls.reduce(a, axis=axes, keepdims=keepdim))
        ctx.save_for_backward(a, out)
        ctx.axes, ctx.keepdim = axes, keepdim
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        hits = a == _expand_reduced(out, a.shape, ctx.axes, ctx.keepdim)
        ties = np.sum(hits, axis=ctx.axes, keepdims=True)
        share = _expand_reduced(grad, a.shape, ctx.axes, ctx.keepdim) / ties
        return np.where(hits, share, 0).astype(a.dtype), None, None


class Amin(Amax):
    reduce = staticmethod(np.amin)


def _extreme_over(function, input, dim, keepdim):  # noqa: A002
    """amax/amin over ``dim`` (an int or a tuple; all dims when empty or None)."""
    ndim = input._data.ndim
    axes = tuple(range(ndim)) if dim == () or dim is None else _reduction_axes(dim, ndim)
    empty = [a for a in axes if input._data.shape[a] == 0]
    if empty:
        name = "amax" if function is Amax else "amin"
        raise IndexError(f"{name}(): Expected reduction dim {empty[0]} to have non-zero size.")
    return function.apply(input, tuple(axes), keepdim)


def amax(input, dim=(), keepdim=False):  # noqa: A002
    """The largest values over ``dim`` (an int or a tuple; all dims by default)."""
    return _extreme_over(Amax, input, dim, keepdim)


def amin(input, dim=(), keepdim=False):  # noqa: A002
    """The smallest values over ``dim`` (an int or a tuple; all dims by default)."""
    return _extreme_over(Amin, input, dim, keepdim)


def _arg(np_fn, input, dim, keepdim):  # noqa: A002
    a = input._data
    if dim is None:
        out = np.asarray(np_fn(a.reshape(-1)))
        if keepdim:
            out = out.reshape((1,) * a.ndim)
    else:
        axis = _normalize_dim(dim, a.ndim) if a.ndim else None
        out = np.asarray(np_fn(a, axis=axis))
        if keepdim and axis is not None:
            out = np.expand_dims(out, axis)
    return Tensor._make(out.astype(np.int64), input._meta)


def argmax(input, dim=None, keepdim=False):  # noqa: A002
    """Index of the largest element (of the flattened tensor, or along ``dim``)."""
    return _arg(np.argmax, input, dim, keepdim)


def argmin(input, dim=None, keepdim=False):  # noqa: A002
    """Index of the smallest element (of the flattened tensor, or along ``dim``)."""
    return _arg(np.argmin, input, dim, keepdim)


class Prod(Function):
    """The product over one axis (or all elements: axis None)."""

    graph_inputs = 1

    @staticmethod
    def forward(ctx, a, axis, keepdim, np_dtype):
        ctx.save_for_backward(a)
        ctx.axis, ctx.keepdim = axis, keepdim
        return np.asarray(np.prod(a, axis=axis, keepdims=keepdim and axis is not None, dtype=np_dtype))

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        axis = ctx.axis
        values = a.reshape(-1) if axis is None else np.moveaxis(a, axis, -1)
        # the product of all the other elements: prefix times suffix products (exact with zeros, no division)
        ones = np.ones(values.shape[:-1] + (1,), dtype=values.dtype)
        before = np.cumprod(np.concatenate([ones, values[..., :-1]], axis=-1), axis=-1)
        after = np.flip(np.cumprod(np.flip(np.concatenate([values[..., 1:], ones], axis=-1), -1), axis=-1), -1)
        others = before * after
        if axis is None:
            return (grad * others).reshape(a.shape), None, None, None
        g = grad if ctx.keepdim else np.expand_dims(grad, axis)
        return np.moveaxis(np.moveaxis(g, axis, -1) * others, -1, axis), None, None, None


class ProdDim(Prod):
    backward_name = "ProdBackward1"


def prod(input, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    """Product of elements, of all (ProdBackward0) or along ``dim`` (ProdBackward1)."""
    axis = None if dim is None else _normalize_dim(dim, input._data.ndim)
    a = input._data
    np_dtype = np.int64 if a.dtype.kind in "biu" and dtype is None else (
        a.dtype if dtype is None else to_dtype(dtype).numpy_dtype)
    return (Prod if axis is None else ProdDim).apply(input, axis, keepdim, np_dtype)


class Cumsum(Function):
    graph_inputs = 1   # dim=None is an option, not an absent tensor
    @staticmethod
    def forward(ctx, a, axis):
        ctx.axis = axis
        # NumPy gives a 0-d input one dim; torch keeps it 0-d
        return np.cumsum(a, axis=axis, dtype=np.int64 if a.dtype.kind in "biu" else a.dtype).reshape(a.shape)

    @staticmethod
    def backward(ctx, grad):
        if grad.ndim == 0:
            return grad, None
        return np.flip(np.cumsum(np.flip(grad, ctx.axis), axis=ctx.axis), ctx.axis), None


def cumsum(input, dim, *, dtype=None):  # noqa: A002
    """Running sum along ``dim``."""
    if dtype is not None:
        input = _as_operand(input, to_dtype(dtype).numpy_dtype)
    return Cumsum.apply(input, _normalize_dim(dim, builtins.max(input._data.ndim, 1)) if input._data.ndim else 0)


def topk(input, k, dim=-1, largest=True, sorted=True):  # noqa: A002
    """The k largest (or smallest) values along ``dim`` and their indices."""
    a = input._data
    axis = _normalize_dim(dim, a.ndim)
    if k > a.shape[axis] or k < 0:
        raise RuntimeError("selected index k out of range")
    order = np.argsort(-a if largest else a, axis=axis, kind="stable")
    idx = np.take(order, np.arange(k), axis=axis)
    values = Gather.apply(input, axis, idx)
    return _return_types["topk"](values, Tensor._make(idx.astype(np.int64)))


def sort(input, dim=-1, descending=False, stable=False):  # noqa: A002
    """The values along ``dim`` in ascending (or descending) order and their int64 indices."""
    a = input._data
    axis = _normalize_dim(dim, a.ndim)
    idx = np.argsort(-a if descending else a, axis=axis, kind="stable")
    return _return_types["sort"](Gather.apply(input, axis, idx), Tensor._make(idx.astype(np.int64)))


def argsort(input, dim=-1, descending=False, stable=False):  # noqa: A002
    """The int64 indices that sort ``input`` along ``dim``."""
    return sort(input, dim, descending).indices
