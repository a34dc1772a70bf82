"""Order statistics and running reductions: median, mode, kthvalue, aminmax, cumprod, cummax/cummin,
logsumexp, nansum/nanmean; and the counting ops histc, bincount, unique_consecutive, searchsorted/bucketize.
Where torch picks among equal values its choice is followed (median/kthvalue: the stable sort's position;
mode: the smallest most frequent value and its last occurrence; cummax/cummin: the latest extreme), and a
gradient shared among ties is shared evenly, as torch shares it."""
import builtins
import collections

import numpy as np

from .._dtype import get_default_dtype
from .._tensor import Tensor, _normalize_dim
from ..autograd import Function
from .arguments import _normalize_dims
from .reduction import _namedtuple_type, _return_types

__all__ = ["median", "mode", "kthvalue", "aminmax", "cumprod", "cummax", "cummin", "logsumexp", "nansum",
           "nanmean", "histc", "bincount", "unique_consecutive", "searchsorted", "bucketize"]

for _name in ("cummax", "cummin"):
    _return_types[_name] = _namedtuple_type(_name)


def _aminmax_type():
    base = collections.namedtuple("aminmax", ["min", "max"])

    def __repr__(self):
        return f"torch.return_types.aminmax(\nmin={self.min!r},\nmax={self.max!r})"
    return type("aminmax", (base,), {"__repr__": __repr__, "__slots__": ()})


_AMINMAX = _aminmax_type()


class _EvenAmongTies(Function):
    """A value picked from the input (median, min, max of all elements): the gradient goes evenly to every
    element equal to it."""

    @staticmethod
    def forward(ctx, a, value):
        ctx.save_for_backward(a, value)
        return value

    @staticmethod
    def backward(ctx, grad):
        a, value = ctx.saved_tensors
        ties = (a == value) | (np.isnan(a) & np.isnan(value))
        return ties * (grad / builtins.max(np.count_nonzero(ties), 1)), None


MedianAll = type("MedianAll", (_EvenAmongTies,), {"backward_name": "MedianBackward0", "__module__": __name__})
Aminmax = type("Aminmax", (_EvenAmongTies,), {"backward_name": "AminmaxBackward0", "__module__": __name__})


class _Picked(Function):
    """Values picked along an axis at given indices (median/mode/kthvalue with dim): the gradient goes to
    those indices."""

    @staticmethod
    def forward(ctx, a, axis, idx, keepdim):
        ctx.shape, ctx.axis, ctx.idx, ctx.keepdim = a.shape, axis, idx, keepdim
        values = np.take_along_axis(a, idx, axis)
        return values if keepdim else np.squeeze(values, axis)

    @staticmethod
    def backward(ctx, grad):
        full = np.zeros(ctx.shape, dtype=grad.dtype)
        np.put_along_axis(full, ctx.idx, grad if ctx.keepdim else np.expand_dims(grad, ctx.axis), ctx.axis)
        return full, None, None, None


_PICKED_NODES = {name: type(name[:-9], (_Picked,), {"backward_name": name, "__module__": __name__})
                 for name in ("MedianBackward1", "KthvalueBackward0", "ModeBackward0")}


def _picked(node_name, kind, input, axis, idx, keepdim):  # noqa: A002
    values = _PICKED_NODES[node_name].apply(input, axis, idx, keepdim)
    indices = idx if keepdim else np.squeeze(idx, axis)
    return _return_types[kind](values, Tensor._make(indices.astype(np.int64)))


def median(input, dim=None, keepdim=False):  # noqa: A002
    """The lower median (of all elements, or (values, indices) along ``dim``); nan if there is one."""
    a = input._data
    if dim is None:
        flat = np.sort(a.reshape(-1))
        if flat.size == 0:
            return MedianAll.apply(input, np.asarray(np.nan, a.dtype))
        value = flat[-1] if np.isnan(flat[-1]) else flat[(flat.size - 1) // 2]
        return MedianAll.apply(input, np.asarray(value, a.dtype))
    axis = _normalize_dim(dim, builtins.max(a.ndim, 1))
    if a.ndim == 0:
        return _return_types["median"](input.clone(), Tensor._make(np.asarray(0, np.int64)))
    order = np.argsort(a, axis=axis, kind="stable")  # NumPy sorts nan last
    idx = np.take(order, [(a.shape[axis] - 1) // 2], axis=axis)
    has_nan = np.isnan(a).any(axis=axis, keepdims=True)
    first_nan = np.argmax(np.isnan(a), axis=axis)
    idx = np.where(has_nan, np.expand_dims(first_nan, axis), idx)
    return _picked("MedianBackward1", "median", input, axis, idx, keepdim)


def kthvalue(input, k, dim=-1, keepdim=False):  # noqa: A002
    """The k-th smallest value along ``dim`` and its index."""
    a = input._data
    axis = _normalize_dim(dim, builtins.max(a.ndim, 1))
    size = a.shape[axis] if a.ndim else 1
    if not 1 <= k <= size:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {axis}")
    if a.ndim == 0:
        return _return_types["kthvalue"](input.clone(), Tensor._make(np.asarray(0, np.int64)))
    idx = np.take(np.argsort(a, axis=axis, kind="stable"), [k - 1], axis=axis)
    return _picked("KthvalueBackward0", "kthvalue", input, axis, idx, keepdim)


def mode(input, dim=-1, keepdim=False):  # noqa: A002
    """The most frequent value along ``dim`` (the smallest of equally frequent ones) and its last index."""
    a = input._data
    if a.ndim == 0:
        return _return_types["mode"](input.clone(), Tensor._make(np.asarray(0, np.int64)))
    axis = _normalize_dim(dim, a.ndim)
    moved = np.moveaxis(a, axis, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    picks = np.empty(rows.shape[0], dtype=np.intp)
    for r, row in enumerate(rows):
        values, counts = np.unique(row, return_counts=True)
        best = values[np.argmax(counts)]
        picks[r] = np.flatnonzero(row == best)[-1]
    idx = np.expand_dims(np.moveaxis(picks.reshape(moved.shape[:-1] + (1,)), -1, axis).squeeze(axis), axis)
    return _picked("ModeBackward0", "mode", input, axis, idx, keepdim)


def aminmax(input, *, dim=None, keepdim=False):  # noqa: A002
    """(min, max) over all elements or along ``dim``."""
    from .reduction import amax, amin
    if dim is None and input._data.size:
        a = input._data
        lo = Aminmax.apply(input, np.asarray(np.min(a)))
        hi = Aminmax.apply(input, np.asarray(np.max(a)))
        if keepdim:
            lo, hi = lo.reshape((1,) * a.ndim), hi.reshape((1,) * a.ndim)
        return _AMINMAX(lo, hi)
    return _AMINMAX(amin(input, () if dim is None else dim, keepdim), amax(input, () if dim is None else dim, keepdim))


class Cumprod(Function):
    @staticmethod
    def forward(ctx, a, axis):
        ctx.save_for_backward(a)
        ctx.axis = axis
        return np.cumprod(a, axis=axis, dtype=np.int64 if a.dtype.kind in "biu" else a.dtype)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        x, g = np.moveaxis(a, ctx.axis, -1), np.moveaxis(grad, ctx.axis, -1)
        n = x.shape[-1]
        result = np.zeros_like(g)
        for i in range(n):  # d out_j / d x_i = prod_{k <= j, k != i} x_k for j >= i (exact with zeros)
            without = x.copy()
            without[..., i] = 1
            partial = np.cumprod(without, axis=-1)
            result[..., i] = (g[..., i:] * partial[..., i:]).sum(axis=-1)
        return np.moveaxis(result, -1, ctx.axis), None


def cumprod(input, dim, *, dtype=None, out=None):  # noqa: A002
    """Running product along ``dim``."""
    if dtype is not None:
        input = input.to(dtype)
    axis = _normalize_dim(dim, builtins.max(input._data.ndim, 1)) if input._data.ndim else 0
    if input._data.ndim == 0:
        return Cumprod.apply(input.reshape(1), 0).reshape(())
    return Cumprod.apply(input, axis)


class _CumExtreme(Function):
    @staticmethod
    def forward(ctx, a, axis, take_max):
        moved = np.moveaxis(a, axis, -1)
        values = (np.maximum if take_max else np.minimum).accumulate(moved, axis=-1)
        positions = np.broadcast_to(np.arange(moved.shape[-1]), moved.shape)
        # the latest position holding the running extreme (nan, once seen, stays the extreme)
        hits = (moved == values) | np.isnan(values)
        idx = np.maximum.accumulate(np.where(hits, positions, 0), axis=-1)
        ctx.shape, ctx.axis, ctx.idx = a.shape, axis, np.moveaxis(idx, -1, axis)
        return np.moveaxis(values, -1, axis), ctx.idx.astype(np.int64)

    @staticmethod
    def backward(ctx, grad):
        full = np.zeros(ctx.shape, dtype=grad.dtype)
        moved_full, moved_idx, moved_grad = (np.moveaxis(v, ctx.axis, -1) for v in (full, ctx.idx, grad))
        rows = np.indices(moved_idx.shape[:-1] + (1,), sparse=True)[:-1]
        np.add.at(moved_full, tuple(r for r in rows) + (moved_idx,), moved_grad)
        return full, None, None


Cummax = type("Cummax", (_CumExtreme,), {"backward_name": "CummaxBackward0", "__module__": __name__})
Cummin = type("Cummin", (_CumExtreme,), {"backward_name": "CumminBackward0", "__module__": __name__})


def _cum_extreme(node, kind, input, dim):  # noqa: A002
    if input._data.ndim == 0:
        return _return_types[kind](input.clone(), Tensor._make(np.asarray(0, np.int64)))
    values, idx = node.apply(input, _normalize_dim(dim, input._data.ndim), kind == "cummax")
    return _return_types[kind](values, Tensor._make(idx))


def cummax(input, dim):  # noqa: A002
    """Running maximum along ``dim`` and the index where it was reached."""
    return _cum_extreme(Cummax, "cummax", input, dim)


def cummin(input, dim):  # noqa: A002
    """Running minimum along ``dim`` and the index where it was reached."""
    return _cum_extreme(Cummin, "cummin", input, dim)


class Logsumexp(Function):
    @staticmethod
    def forward(ctx, a, axes, keepdim):
        peak = np.max(a, axis=axes, keepdims=True) if a.size else np.zeros((1,) * a.ndim, a.dtype)
        peak = np.where(np.isfinite(peak), peak, 0)
        with np.errstate(divide="ignore"):
            out = np.log(np.sum(np.exp(a - peak), axis=axes, keepdims=True)) + peak
        ctx.save_for_backward(a, out)
        ctx.axes, ctx.keepdim = axes, keepdim
        return out if keepdim else np.squeeze(out, axes)

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        if not ctx.keepdim:
            grad = np.expand_dims(grad, ctx.axes)
        with np.errstate(invalid="ignore"):
            return grad * np.exp(a - out), None, None


def logsumexp(input, dim, keepdim=False, *, out=None):  # noqa: A002
    """log(sum(exp(input))) over ``dim``, without overflow; integers give the default float dtype."""
    if input._data.dtype.kind != "f":
        input = input.to(get_default_dtype())
    axes = _normalize_dims(dim, builtins.max(input._data.ndim, 1)) if input._data.ndim else ()
    if input._data.ndim == 0:
        return Logsumexp.apply(input.reshape(1), (0,), False).reshape(())
    return Logsumexp.apply(input, axes, keepdim)


class Nansum(Function):
    @staticmethod
    def forward(ctx, a, axes, keepdim):
        ctx.save_for_backward(a)
        ctx.axes, ctx.keepdim = axes, keepdim
        return np.asarray(np.nansum(a, axis=axes, keepdims=keepdim))

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        if not ctx.keepdim and ctx.axes is not None:
            grad = np.expand_dims(grad, ctx.axes)
        return np.where(np.isnan(a), 0, np.broadcast_to(grad, a.shape)), None, None


def nansum(input, dim=None, keepdim=False, *, dtype=None, out=None):  # noqa: A002
    """Sum treating nan as zero."""
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind != "f":
        from .reduction import sum as _sum
        return _sum(input, dim, keepdim)
    axes = None if dim is None or dim == () else _normalize_dims(dim, builtins.max(input._data.ndim, 1))
    return Nansum.apply(input, axes, keepdim)


def nanmean(input, dim=None, keepdim=False, *, dtype=None, out=None):  # noqa: A002
    """Mean of the elements that are not nan."""
    if input._data.dtype.kind != "f" and dtype is None:
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype but got "
                           f"{input.dtype.scalar_name}")
    counted = Tensor._make(~np.isnan(input._data))
    from .reduction import sum as _sum
    return nansum(input, dim, keepdim, dtype=dtype) / _sum(counted, dim, keepdim)


def histc(input, bins=100, min=0, max=0, *, out=None):  # noqa: A002
    """Counts of the values in ``bins`` equal-width bins over [min, max] (the data's range when both are 0)."""
    a = input._data
    if a.dtype.kind != "f":
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{input.dtype.scalar_name}'")
    low, high = float(min), float(max)
    if low == high and a.size:
        low, high = float(a.min()), float(a.max())
    if low == high:
        low, high = low - 1, high + 1
    if low > high:
        raise RuntimeError("torch.histc: max must be larger than min")
    inside = a[(a >= low) & (a <= high)].astype(np.float64)
    # torch's binning: (x - min) * bins / (max - min), the maximum itself in the last bin
    positions = np.minimum(((inside - low) * bins / (high - low)).astype(np.int64), bins - 1)
    return Tensor._make(np.bincount(positions, minlength=bins).astype(a.dtype))


def bincount(input, weights=None, minlength=0):  # noqa: A002
    """Occurrences of each non-negative integer (summed ``weights`` when given)."""
    a = input._data
    if a.ndim != 1 or a.dtype.kind not in "iu":
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if a.size and a.min() < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    w = None if weights is None else weights._data
    counts = np.bincount(a, weights=w, minlength=minlength)
    if w is None:
        return Tensor._make(counts.astype(np.int64))
    return Tensor._make(counts.astype(w.dtype if w.dtype.kind == "f" else np.float64))


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
    """Each run of equal consecutive values once (optionally the run of every element and run lengths)."""
    a = input._data
    flat = a.reshape(-1) if dim is None else np.moveaxis(a, _normalize_dim(dim, a.ndim), 0)
    if flat.shape[0] == 0:
        starts = np.zeros(0, dtype=bool)
    else:
        differs = (flat[1:] != flat[:-1]).reshape(flat.shape[0] - 1, -1).any(axis=1)
        starts = np.concatenate([[True], differs])
    values = flat[starts]
    if dim is not None:
        values = np.moveaxis(values, 0, _normalize_dim(dim, a.ndim))
    result = [Tensor._make(np.ascontiguousarray(values))]
    if return_inverse:
        inverse = np.cumsum(starts) - 1
        result.append(Tensor._make(inverse.reshape(a.shape if dim is None else -1).astype(np.int64)))
    if return_counts:
        positions = np.flatnonzero(starts)
        result.append(Tensor._make(np.diff(np.append(positions, flat.shape[0])).astype(np.int64)))
    return result[0] if len(result) == 1 else tuple(result)


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):  # noqa: A002
    """Where each value of ``input`` would be inserted into the sorted last dim of ``sorted_sequence``."""
    if side is not None:
        right = side == "right"
    seq = sorted_sequence._data
    values = input._data if isinstance(input, Tensor) else np.asarray(input)
    if sorter is not None:
        seq = np.take_along_axis(seq, sorter._data, -1)
    side_name = "right" if right else "left"
    if seq.ndim <= 1:
        found = np.searchsorted(seq, values, side=side_name)
    else:
        rows = seq.reshape(-1, seq.shape[-1])
        vals = values.reshape(rows.shape[0], -1)
        found = np.stack([np.searchsorted(r, v, side=side_name) for r, v in zip(rows, vals)]).reshape(values.shape)
    return Tensor._make(np.asarray(found).astype(np.int32 if out_int32 else np.int64))


def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):  # noqa: A002
    """The bucket of each value between the 1-D sorted ``boundaries``."""
    if isinstance(input, Tensor) and boundaries._data.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries._data.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)
