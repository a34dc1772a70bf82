"""Writing into chosen places: scatter / scatter_add / scatter_reduce (by an index along a dim), index_add,
index_fill (by indices of a dim) and masked_scatter (by a mask), each with its in-place form and torch's
node; the gradient of the written-over places goes to the values written there."""
import numpy as np

from .._tensor import Tensor, _normalize_dim
from ..autograd import Function

__all__ = ["scatter", "scatter_add", "scatter_reduce", "index_add", "index_fill", "masked_scatter"]


def _along(index, axis):
    """Full index tuples for ``index`` along ``axis`` (the other dims run over index's own shape)."""
    grids = list(np.indices(index.shape, sparse=True))
    grids[axis] = index
    return tuple(grids)


def _to_source(values, index_shape, source_shape):
    """The gradient of a source read only in its leading ``index_shape`` corner, in the source's shape."""
    full = np.zeros(source_shape, dtype=values.dtype)
    full[tuple(slice(0, n) for n in index_shape)] = values
    return full


def _check_scatter(name, input, dim, index, src):  # noqa: A002
    if not isinstance(index, Tensor) or index._data.dtype.kind not in "iu":
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")
    if isinstance(src, Tensor) and src._data.dtype != input._data.dtype:
        raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype")
    ndim = input._data.ndim
    if index._data.ndim != ndim and index._data.size:
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    axis = _normalize_dim(dim, max(ndim, 1)) if ndim else 0
    idx = index._data.astype(np.intp)
    size = input._data.shape[axis] if ndim else 1
    if idx.size and (idx.min() < -size or idx.max() >= size):
        bad = int(idx.max() if idx.max() >= size else idx.min())
        raise RuntimeError(f"index {bad} is out of bounds for dimension {axis} with size {size}")
    return axis, np.where(idx < 0, idx + size, idx)


class Scatter(Function):
    """input with src's values (or one value) written at index along axis; the last write wins."""
    @staticmethod
    def forward(ctx, a, src, axis, index):
        ctx.axis, ctx.index, ctx.src_is_array, ctx.src_shape = axis, index, np.ndim(src) > 0, np.shape(src)
        out = a.copy()
        places = _along(index, axis)
        out[places] = src[tuple(slice(0, n) for n in index.shape)] if ctx.src_is_array else src
        return out

    @staticmethod
    def backward(ctx, grad):
        places = _along(ctx.index, ctx.axis)
        kept = grad.copy()
        kept[places] = 0
        src_grad = _to_source(grad[places], ctx.index.shape, ctx.src_shape) if ctx.needs_input_grad[1] else None
        return kept, src_grad, None, None


class ScatterValue(Scatter):
    backward_name = "ScatterBackward1"


class ScatterAdd(Function):
    @staticmethod
    def forward(ctx, a, src, axis, index):
        ctx.axis, ctx.index, ctx.src_shape = axis, index, src.shape
        out = a.copy()
        np.add.at(out, _along(index, axis), src[tuple(slice(0, n) for n in index.shape)])
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad, _to_source(grad[_along(ctx.index, ctx.axis)], ctx.index.shape, ctx.src_shape), None, None


def scatter(input, dim, index, src=None, *, value=None, reduce=None):  # noqa: A002
    """A copy of input with ``src`` (a tensor or a number) written at ``index`` along ``dim``."""
    if src is None:
        src = value
    axis, idx = _check_scatter("scatter", input, dim, index, src)
    if reduce is not None:
        return scatter_reduce(input, dim, index, src if isinstance(src, Tensor) else
                              Tensor._make(np.full(idx.shape, src, input._data.dtype)),
                              {"add": "sum", "multiply": "prod"}[reduce])
    if isinstance(src, Tensor):
        return Scatter.apply(input, src, axis, idx)
    return ScatterValue.apply(input, np.asarray(src, dtype=input._data.dtype), axis, idx)


def scatter_add(input, dim, index, src):  # noqa: A002
    """A copy of input with ``src``'s values added at ``index`` along ``dim`` (repeats add up)."""
    axis, idx = _check_scatter("scatter_add", input, dim, index, src)
    return ScatterAdd.apply(input, src, axis, idx)


class ScatterReduce(Function):
    @staticmethod
    def forward(ctx, a, src, axis, index, reduce, include_self):
        places = _along(index, axis)
        values = src[tuple(slice(0, n) for n in index.shape)]
        out = a.copy()
        touched = np.zeros(a.shape, dtype=bool)
        touched[places] = True
        if not include_self:
            out[touched] = {"sum": 0, "mean": 0, "prod": 1, "amax": -np.inf, "amin": np.inf}[reduce]
        ufunc = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum, "amin": np.minimum}[reduce]
        ufunc.at(out, places, values)
        if reduce == "mean":
            counts = np.full(a.shape, 1 if include_self else 0)
            np.add.at(counts, places, 1)
            out = out / np.maximum(counts, 1) if a.dtype.kind == "f" else out // np.maximum(counts, 1)
            ctx.counts = np.maximum(counts, 1)
        ctx.axis, ctx.index, ctx.reduce, ctx.include_self, ctx.touched = axis, index, reduce, include_self, touched
        ctx.src_shape = src.shape
        ctx.save_for_backward(a, values, out)
        return out.astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        a, values, out = ctx.saved_tensors
        places = _along(ctx.index, ctx.axis)
        if ctx.reduce == "sum":
            ga = grad if ctx.include_self else np.where(ctx.touched, 0, grad)
            return ga, _to_source(grad[places], ctx.index.shape, ctx.src_shape), None, None, None, None
        if ctx.reduce == "mean":
            share = grad / ctx.counts
            return (share if ctx.include_self else np.where(ctx.touched, 0, grad)), \
                _to_source(share[places], ctx.index.shape, ctx.src_shape), None, None, None, None
        if ctx.reduce in ("amax", "amin"):  # the gradient is shared evenly among the values equal to the result
            hits = (values == out[places]).astype(grad.dtype)
            count = np.zeros(out.shape, dtype=grad.dtype)
            np.add.at(count, places, hits)
            self_hit = (a == out) & (ctx.include_self | ~ctx.touched)
            count += self_hit
            share = np.where(count > 0, grad / np.maximum(count, 1), 0)
            return np.where(self_hit, share, 0), _to_source(hits * share[places], ctx.index.shape, ctx.src_shape), \
                None, None, None, None
        raise NotImplementedError("the derivative of scatter_reduce with reduce='prod' is not implemented here")


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):  # noqa: A002
    """input with ``src``'s values combined in at ``index`` along ``dim`` by ``reduce`` ('sum', 'prod',
    'mean', 'amax', 'amin'); ``include_self=False`` leaves input's own value out where something lands."""
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    axis, idx = _check_scatter("scatter_reduce", input, dim, index, src)
    return ScatterReduce.apply(input, src, axis, idx, reduce, include_self)


class IndexAdd(Function):
    @staticmethod
    def forward(ctx, a, source, axis, index, alpha):
        ctx.axis, ctx.index, ctx.alpha = axis, index, alpha
        out = a.copy()
        np.add.at(np.moveaxis(out, axis, 0), index, np.moveaxis(source * alpha, axis, 0))
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad, np.take(grad, ctx.index, ctx.axis) * ctx.alpha, None, None, None


def _dim_index(name, input, dim, index):  # noqa: A002
    if not isinstance(index, Tensor) or index._data.dtype.kind not in "iu":
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")
    axis = _normalize_dim(dim, max(input._data.ndim, 1))
    idx = index._data.astype(np.intp).reshape(-1)
    size = input._data.shape[axis] if input._data.ndim else 1
    if idx.size and (idx.min() < -size or idx.max() >= size):
        raise IndexError(f"index out of range in self")
    return axis, np.where(idx < 0, idx + size, idx)


def index_add(input, dim, index, source, *, alpha=1):  # noqa: A002
    """A copy of input with ``alpha * source``'s slices added at ``index`` along ``dim``."""
    axis, idx = _dim_index("index_add", input, dim, index)
    return IndexAdd.apply(input, source, axis, idx, alpha)


class IndexFill(Function):
    @staticmethod
    def forward(ctx, a, value, axis, index):
        ctx.axis, ctx.index = axis, index
        out = a.copy()
        np.moveaxis(out, axis, 0)[index] = value
        return out

    @staticmethod
    def backward(ctx, grad):
        kept = grad.copy()
        np.moveaxis(kept, ctx.axis, 0)[ctx.index] = 0
        value_grad = np.moveaxis(grad, ctx.axis, 0)[ctx.index].sum() if ctx.needs_input_grad[1] else None
        return kept, value_grad, None, None


def index_fill(input, dim, index, value):  # noqa: A002
    """A copy of input with the slices at ``index`` along ``dim`` set to ``value``."""
    axis, idx = _dim_index("index_fill", input, dim, index)
    value = value if isinstance(value, Tensor) else np.asarray(value, dtype=input._data.dtype)
    return IndexFill.apply(input, value, axis, idx)


class MaskedScatter(Function):
    @staticmethod
    def forward(ctx, a, source, mask):
        mask = np.broadcast_to(mask, a.shape)
        count = int(mask.sum())
        if count > source.size:
            raise RuntimeError("Number of elements of source < number of ones in mask")
        ctx.mask, ctx.count, ctx.source_shape = mask, count, source.shape
        out = a.copy()
        out[mask] = source.reshape(-1)[:count]
        return out

    @staticmethod
    def backward(ctx, grad):
        source_grad = np.zeros(int(np.prod(ctx.source_shape)), dtype=grad.dtype)
        source_grad[:ctx.count] = grad[ctx.mask]
        return np.where(ctx.mask, 0, grad), source_grad.reshape(ctx.source_shape), None


def masked_scatter(input, mask, source):  # noqa: A002
    """A copy of input with ``source``'s first elements, in order, written where ``mask`` is True."""
    cond = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if cond.dtype != np.bool_:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype "
                           f"{mask.dtype.c_name}")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but got "
                           f"{input.dtype.scalar_name} and {source.dtype.scalar_name}")
    return MaskedScatter.apply(input, source, cond)
