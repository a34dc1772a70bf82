"""Indexing and selection: ``x[index]`` (basic and advanced, with torch's grad_fn names), gather, split /
chunk / unbind, masked_fill, nonzero, unique. Assignment ``x[index] = v`` is in ``inplace``."""
import builtins
import numbers

import numpy as np

from .._dtype import from_numpy_dtype
from .._shapes import ceil_div
from .._tensor import Tensor, _normalize_dim
from ..autograd import Function
from .views import view_op


class Gather(Function):
    @staticmethod
    def forward(ctx, a, axis, idx):
        ctx.shape, ctx.axis, ctx.idx = a.shape, axis, idx
        return np.take_along_axis(a, idx, axis)

    @staticmethod
    def backward(ctx, grad):
        full = np.zeros(ctx.shape, dtype=grad.dtype)
        idx = np.indices(ctx.idx.shape, sparse=True)
        index = list(idx)
        index[ctx.axis] = ctx.idx
        np.add.at(full, tuple(index), grad)
        return full, None, None


def gather(input, dim, index):  # noqa: A002
    """out[i][j] = input[index[i][j]][j] (for dim=0), as torch.gather."""
    if index._data.dtype != np.int64:
        raise RuntimeError("gather(): Expected dtype int64 for index")
    return Gather.apply(input, _normalize_dim(dim, input._data.ndim), index._data)


class Index(Function):
    backward_name = "IndexBackward0"

    @staticmethod
    def forward(ctx, a, index, advanced):
        ctx.shape, ctx.index, ctx.advanced = a.shape, index, advanced
        return a[index]

    @staticmethod
    def backward(ctx, grad):
        full = np.zeros(ctx.shape, dtype=grad.dtype)
        if ctx.advanced:
            np.add.at(full, ctx.index, grad)
        else:
            full[ctx.index] = grad
        return full, None, None


class _BasicIndex(Index):
    """Indexing with ints, slices, None and ellipsis only: a view, as in torch (an ellipsis at the end makes
    NumPy return a 0-d view where plain ints would give a copied scalar)."""
    returns_view = True

    @staticmethod
    def replay(a, index, advanced):
        return a[index if Ellipsis in index else index + (Ellipsis,)]

    @staticmethod
    def forward(ctx, a, index, advanced):
        ctx.shape, ctx.index, ctx.advanced = a.shape, index, advanced
        return _BasicIndex.replay(a, index, advanced)


class Select(_BasicIndex):
    backward_name = "SelectBackward0"


class Slice(_BasicIndex):
    backward_name = "SliceBackward0"


class SplitPart(_BasicIndex):
    backward_name = "SplitBackward0"


class SplitWithSizesPart(_BasicIndex):
    backward_name = "SplitWithSizesBackward0"


class UnbindPart(_BasicIndex):
    backward_name = "UnbindBackward0"


def _views_of_parts(cls, tensor, indices):
    """The pieces of ``tensor`` cut by ``indices``: views that remember they came from one multi-output op
    (torch refuses in-place ops on them while recording)."""
    pieces = []
    for i, index in enumerate(indices):
        piece = view_op(cls, tensor, index, False)
        piece._view_replay.multi_output = (i, cls.backward_name[:-len("Backward0")])
        pieces.append(piece)
    return tuple(pieces)


class Alias(_BasicIndex):
    backward_name = "AliasBackward0"


class IndexUnsqueeze(_BasicIndex):
    """A ``None`` in an index: a new dim of size 1, recorded as torch records ``unsqueeze``."""
    backward_name = "UnsqueezeBackward0"


def _is_whole(item, length):
    """A slice that keeps a whole dim (``:``, ``0:``, ``:n`` with n >= length): torch skips it inside a tuple
    index (no node), comparing the start as written (``-length:`` still gives a SliceBackward0)."""
    return (item.start in (None, 0) and item.step in (None, 1)
            and (item.stop is None or item.stop >= length))


def _basic_steps(tensor, index, is_tuple):
    """``tensor[index]`` for a basic index as torch applies it, one view per entry left to right: an int a
    SelectBackward0, a slice a SliceBackward0 (a whole one inside a tuple none), None an
    UnsqueezeBackward0, and nothing at all an AliasBackward0."""
    if not is_tuple and isinstance(index[0], slice):
        return view_op(Slice, tensor, index, False)
    explicit = builtins.sum(1 for item in index if item is not None and item is not Ellipsis)
    result, dim = tensor, 0
    for item in index:
        if item is Ellipsis:
            dim += tensor._data.ndim - explicit  # the input's dims no entry names
            continue
        lead = (slice(None),) * dim
        if item is None:
            result, dim = view_op(IndexUnsqueeze, result, lead + (None,), False), dim + 1
        elif isinstance(item, slice):
            if not _is_whole(item, result._data.shape[dim]):
                result = view_op(Slice, result, lead + (item,), False)
            dim += 1
        else:
            result = view_op(Select, result, lead + (item,), False)
    return view_op(Alias, tensor, (), False) if result is tensor else result


def _index_item(item):
    """Turn one index entry into what numpy expects, checking dtypes as torch does."""
    if isinstance(item, Tensor):
        a = item._data
        if a.dtype.kind == "b":
            return a, True
        if a.dtype.kind not in "iu":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        if a.ndim == 0:
            return builtins.int(a), False
        return a.astype(np.intp, copy=False), True
    if isinstance(item, np.ndarray):
        return item, True
    if isinstance(item, (list, tuple, range)):   # any Python sequence, as torch (x[range(n), target])
        a = np.asarray([i.item() if isinstance(i, Tensor) else i for i in item])
        if a.size == 0:
            a = a.astype(np.intp)   # an empty sequence selects nothing (NumPy would call it float)
        if a.dtype.kind == "f":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return a, True
    if isinstance(item, builtins.bool):
        return item, True
    if isinstance(item, slice) and item.step is not None and item.step <= 0:
        if item.step == 0:
            raise ValueError("slice step cannot be zero")
        raise ValueError("step must be greater than zero")
    if item is None or item is Ellipsis or isinstance(item, (slice, numbers.Integral)):
        return item, False
    if isinstance(item, numbers.Number):
        raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
                         "valid indices (got float)")
    raise IndexError(f"only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid "
                     f"indices (got {type(item).__name__})")


def _prepare_index(index):
    items = index if isinstance(index, tuple) else (index,)
    prepared, advanced = [], False
    for item in items:
        value, adv = _index_item(item)
        prepared.append(value)
        advanced = advanced or adv
    return tuple(prepared), advanced


def _check_int_bounds(index, shape):
    """torch's IndexError wording for an integer out of range (numpy says 'axis')."""
    dim = 0
    for item in index:
        if item is Ellipsis:
            dim = len(shape) - builtins.sum(1 for i in index if i is not None and i is not Ellipsis) + dim
            continue
        if item is None:
            continue
        if isinstance(item, numbers.Integral) and not isinstance(item, builtins.bool):
            if dim >= len(shape):
                raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
            if not -shape[dim] <= item < shape[dim]:
                raise IndexError(f"index {item} is out of bounds for dimension {dim} with size {shape[dim]}")
        dim += 1


def getitem(input, index):  # noqa: A002
    """Indexing with ints, slices, None, ellipsis, bool and integer tensors (torch semantics)."""
    is_tuple = isinstance(index, tuple)
    index, advanced = _prepare_index(index)
    if not advanced:
        _check_int_bounds(index, input._data.shape)
    try:
        return _basic_steps(input, index, is_tuple) if not advanced else _advanced(input, index)
    except IndexError as exc:
        raise IndexError(str(exc).replace("axis", "dimension")) from None


def _is_array(item):
    return isinstance(item, np.ndarray)


def _advanced(input, index):  # noqa: A002
    """An index with tensors or lists, as torch applies it: its ints, slices and Nones first (views, so the
    graph shows their nodes), then the arrays on what is left (IndexBackward0). This differs from NumPy
    where an int stands apart from the arrays: x[0, :, [0, 1]] is [3, 2] in torch, [2, 3] in NumPy."""
    parts = split_mixed_index(index, input._data.shape)
    if parts is None:
        return Index.apply(input, index, True)
    basic, rest = parts
    return Index.apply(_basic_steps(input, basic, True), rest, True)


def split_mixed_index(index, shape):
    """A prepared advanced index with ints, slices or Nones among its arrays as (the basic index torch
    applies first, the index of arrays it applies to that view), or None when there is nothing to split."""
    plain = not builtins.any(isinstance(i, numbers.Integral) or i is None or (isinstance(i, slice) and
                                                                         i != slice(None)) for i in index
                             if not isinstance(i, builtins.bool))
    if plain or builtins.any(isinstance(i, builtins.bool) for i in index):
        return None
    basic, rest = [], []
    for item in index:
        if _is_array(item):
            width = item.ndim if item.dtype == np.bool_ else 1  # a mask covers as many dims as it has
            basic.extend([slice(None)] * width)
            rest.append(item)
        elif isinstance(item, numbers.Integral):
            basic.append(item)  # selected now: no dim left for the arrays to see
        else:
            basic.append(item)
            rest.append(slice(None) if item is not Ellipsis else Ellipsis)
    _check_int_bounds(tuple(basic), shape)
    return tuple(basic), tuple(rest)


def split(tensor, split_size_or_sections, dim=0):
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the listed sizes."""
    shape = tensor._data.shape
    axis = _normalize_dim(dim, len(shape))
    n = shape[axis]
    part = SplitPart
    if isinstance(split_size_or_sections, numbers.Integral):
        size = builtins.int(split_size_or_sections)
        if size <= 0 and not (size == 0 and n == 0):
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
        sizes = [size] * (n // size) + ([n % size] if n % size else []) if size else [0]
    else:
        sizes, part = [builtins.int(s) for s in split_size_or_sections], SplitWithSizesPart
        if builtins.sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at "
                               f"dimension {axis}), but got split_sizes={sizes}")
    starts = np.cumsum([0] + sizes[:-1])
    return _views_of_parts(part, tensor, [(slice(None),) * axis + (slice(start, start + s),)
                                          for start, s in zip(starts, sizes)])


def chunk(input, chunks, dim=0):  # noqa: A002
    """Split into ``chunks`` pieces of ceil(size / chunks) (fewer if they run out)."""
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    n = input._data.shape[_normalize_dim(dim, input._data.ndim)]
    size = ceil_div(n, chunks)
    return split(input, builtins.max(size, 1) if n else 0, dim) if n else split(input, [0] * 1, dim)


def unbind(input, dim=0):  # noqa: A002
    """The slices along ``dim`` as a tuple (views of ``input``)."""
    axis = _normalize_dim(dim, input._data.ndim)
    return _views_of_parts(UnbindPart, input, [(slice(None),) * axis + (i,) for i in range(input._data.shape[axis])])


class MaskedFill(Function):
    """``value`` (a number) where ``mask`` is True, else ``input``."""

    @staticmethod
    def forward(ctx, a, mask, value):
        ctx.mask = mask
        return np.where(mask, np.asarray(value, dtype=a.dtype), a)

    @staticmethod
    def backward(ctx, grad):
        return np.where(ctx.mask, 0, grad), None, None


class MaskedFillTensor(MaskedFill):
    """``value`` a 0-d tensor: its gradient is the sum of the gradient where ``mask`` is True."""
    backward_name = "MaskedFillBackward1"

    @staticmethod
    def backward(ctx, grad):
        return np.where(ctx.mask, 0, grad), None, np.where(ctx.mask, grad, 0).sum()


def masked_fill(input, mask, value):  # noqa: A002
    """``value`` where ``mask`` is True (differentiable wrt input, and wrt a tensor value)."""
    cond = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if cond.dtype != np.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{from_numpy_dtype(cond.dtype).c_name}")
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value._data.ndim} dimension(s).")
        return MaskedFillTensor.apply(input, cond, value.to(input.dtype))
    return MaskedFill.apply(input, cond, value)



def nonzero(input, *, as_tuple=False):  # noqa: A002
    """Indices of the non-zero elements: an (n, ndim) int64 tensor, or one tensor per dim."""
    found = np.nonzero(input._data)
    if as_tuple:
        return tuple(Tensor._make(i.astype(np.int64)) for i in found)
    return Tensor._make(np.stack(found, axis=1).astype(np.int64) if found else np.zeros((0, 0), np.int64))


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
    """The sorted distinct values (optionally with inverse indices and counts)."""
    values, inverse, counts = np.unique(input._data, return_inverse=True, return_counts=True, axis=dim)
    result = [Tensor._make(values)]
    if return_inverse:
        result.append(Tensor._make(inverse.reshape(input._data.shape if dim is None else -1).astype(np.int64)))
    if return_counts:
        result.append(Tensor._make(counts.astype(np.int64)))
    return result[0] if len(result) == 1 else tuple(result)


