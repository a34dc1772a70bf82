"""Ops that move, pick or place elements without computing new ones: roll, rot90, tril/triu, diag, diagonal,
diag_embed, take, take_along_dim, index_select, masked_select, repeat_interleave; and the split/view forms
(narrow, tensor_split, hsplit/vsplit/dsplit, movedim, ravel, tile).

One Function serves the first group: the op is applied to the *positions* of the input (an arange of its
shape), so forward reads the input at those positions and backward adds the gradient back to them (-1 marks
an output element that is a zero, not an input's). Each op gets torch's node name."""
import builtins
import numbers

import numpy as np

from .._tensor import Tensor, _normalize_dim
from ..autograd import Function
from .arguments import _normalize_dims
from .indexing import getitem
from .shape import clone, permute, repeat, reshape

__all__ = ["roll", "rot90", "tril", "triu", "diag", "diagonal", "diag_embed", "take", "take_along_dim",
           "index_select", "masked_select", "repeat_interleave", "narrow", "tensor_split", "hsplit", "vsplit",
           "dsplit", "movedim", "ravel", "tile"]


class Rearrange(Function):
    @staticmethod
    def forward(ctx, a, positions):
        ctx.shape, ctx.positions = a.shape, positions
        values = a.reshape(-1)[np.maximum(positions, 0)] if a.size else np.zeros(positions.shape, a.dtype)
        return np.where(positions >= 0, values, np.zeros((), a.dtype)) if (positions < 0).any() else values

    @staticmethod
    def backward(ctx, grad):
        full = np.zeros(int(np.prod(ctx.shape)), dtype=grad.dtype)
        kept = ctx.positions >= 0
        np.add.at(full, ctx.positions[kept], np.broadcast_to(grad, ctx.positions.shape)[kept])
        return full.reshape(ctx.shape), None


_NODES = {}


def _rearranged(node_name, input, move):  # noqa: A002
    """``move`` (an array function) applied to input's positions, as a node named ``node_name``."""
    positions = np.asarray(move(np.arange(input._data.size, dtype=np.intp).reshape(input._data.shape)))
    node = _NODES.get(node_name)
    if node is None:
        node = _NODES[node_name] = type(node_name.replace("Backward0", ""), (Rearrange,),
                                        {"backward_name": node_name, "__module__": __name__})
    return node.apply(input, positions)


def roll(input, shifts, dims=None):  # noqa: A002
    """Elements shifted cyclically along ``dims`` (the flattened tensor when None)."""
    if dims is None:
        return _rearranged("RollBackward0", input, lambda p: np.roll(p.reshape(-1), shifts).reshape(p.shape))
    return _rearranged("RollBackward0", input, lambda p: np.roll(p, shifts, dims))


def rot90(input, k=1, dims=(0, 1)):  # noqa: A002
    """Rotated by 90 degrees ``k`` times in the plane of ``dims`` (from the first towards the second)."""
    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    return _rearranged("Rot90Backward0", input, lambda p: np.rot90(p, k, dims))


def _triangle(node_name, keep, input, diagonal):  # noqa: A002
    if input._data.ndim < 2:
        raise RuntimeError(f"{node_name[:4].lower()}: input tensor must have at least 2 dimensions")
    rows, cols = input._data.shape[-2:]
    mask = keep(np.ones((rows, cols), dtype=bool), diagonal)
    return _rearranged(node_name, input, lambda p: np.where(mask, p, -1))


def tril(input, diagonal=0, *, out=None):  # noqa: A002
    """The lower triangle (on and below ``diagonal``) of the last two dims; zeros above."""
    return _triangle("TrilBackward0", np.tril, input, diagonal)


def triu(input, diagonal=0, *, out=None):  # noqa: A002
    """The upper triangle (on and above ``diagonal``) of the last two dims; zeros below."""
    return _triangle("TriuBackward0", np.triu, input, diagonal)


def diagonal(input, offset=0, dim1=0, dim2=1):  # noqa: A002
    """The diagonal of the plane (dim1, dim2) as the last dim."""
    ndim = input._data.ndim
    d1, d2 = _normalize_dim(dim1, ndim), _normalize_dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return _rearranged("DiagonalBackward0", input, lambda p: np.diagonal(p, offset, d1, d2))


def diag_embed(input, offset=0, dim1=-2, dim2=-1):  # noqa: A002
    """Each last-dim vector as the ``offset`` diagonal of a new plane (dim1, dim2), zeros elsewhere."""
    def place(p):
        n = p.shape[-1] + builtins.abs(offset)
        out = np.full(p.shape[:-1] + (n, n), -1, dtype=np.intp)
        i = np.arange(p.shape[-1])
        rows, cols = (i, i + offset) if offset >= 0 else (i - offset, i)
        out[..., rows, cols] = p
        ndim = out.ndim
        return np.moveaxis(out, (-2, -1), (_normalize_dim(dim1, ndim), _normalize_dim(dim2, ndim)))
    return _rearranged("DiagEmbedBackward0", input, place)


def diag(input, diagonal=0, *, out=None):  # noqa: A002
    """A 1-D tensor -> the square matrix with it on the ``diagonal``; a matrix -> that diagonal."""
    if input._data.ndim == 1:
        return diag_embed(input, diagonal)
    if input._data.ndim != 2:
        raise RuntimeError("diag(): Supports 1D or 2D tensors. Got " + f"{input._data.ndim}D")
    return _rearranged("DiagonalBackward0_copy", input, lambda p: np.diagonal(p, diagonal).copy())


def _index_array(index, name):
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' must be Tensor, not {type(index).__name__}")
    if index._data.dtype.kind not in "iu":
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")
    return index._data.astype(np.intp)


def _check_range(index, size, name):
    if index.size and (index.min() < -size or index.max() >= size):
        bad = index.max() if index.max() >= size else index.min()
        raise IndexError(f"index {bad} is out of bounds for dimension 0 with size {size}" if name == "take"
                         else f"index out of range in self")


def take(input, index):  # noqa: A002
    """Elements of the flattened input at ``index`` (the result has index's shape)."""
    idx = _index_array(index, "take")
    if idx.size and (idx.min() < -input._data.size or idx.max() >= input._data.size):
        bad = int(idx.max() if idx.max() >= input._data.size else idx.min())
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {input._data.size} elements.")
    return _rearranged("TakeBackward0", input, lambda p: p.reshape(-1)[idx])


def take_along_dim(input, indices, dim=None):  # noqa: A002
    """Values at ``indices`` along ``dim`` (broadcast against input), or of the flattened input."""
    idx = _index_array(indices, "take_along_dim")
    if dim is None:
        return _rearranged("GatherBackward0", input, lambda p: p.reshape(-1)[idx.reshape(-1)])
    axis = _normalize_dim(dim, input._data.ndim)

    def pick(p):
        shape = list(np.broadcast_shapes(p.shape[:axis] + (1,) + p.shape[axis + 1:],
                                         idx.shape[:axis] + (1,) + idx.shape[axis + 1:]))
        p_shape, i_shape = list(shape), list(shape)
        p_shape[axis], i_shape[axis] = p.shape[axis], idx.shape[axis]
        return np.take_along_axis(np.broadcast_to(p, p_shape), np.broadcast_to(idx, i_shape), axis)
    return _rearranged("GatherBackward0", input, pick)


def index_select(input, dim, index, *, out=None):  # noqa: A002
    """The slices of ``input`` along ``dim`` at the 1-D ``index``."""
    idx = _index_array(index, "index_select")
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    axis = _normalize_dim(dim, builtins.max(input._data.ndim, 1))
    size = input._data.shape[axis] if input._data.ndim else 1
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        bad = int(idx.max() if idx.max() >= size else idx.min())
        raise IndexError(f"index out of range in self")
    if input._data.ndim == 0:
        return _rearranged("IndexSelectBackward0", input, lambda p: p.reshape(1)[idx.reshape(-1)].reshape(idx.shape))
    return _rearranged("IndexSelectBackward0", input, lambda p: np.take(p, idx.reshape(-1), axis))


def masked_select(input, mask):  # noqa: A002
    """The elements where ``mask`` (broadcast with input) is True, as a 1-D tensor."""
    cond = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if cond.dtype != np.bool_:
        raise RuntimeError(f"masked_select: expected BoolTensor for mask")
    shape = np.broadcast_shapes(input._data.shape, cond.shape)
    return _rearranged("MaskedSelectBackward0", input,
                       lambda p: np.broadcast_to(p, shape)[np.broadcast_to(cond, shape)])


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):  # noqa: A002
    """Each element repeated ``repeats`` times (an int or one count per element) along ``dim`` (the flattened
    input when None); ``repeat_interleave(counts)`` of a 1-D tensor gives indices repeated by counts."""
    if repeats is None:  # torch.repeat_interleave(counts)
        counts = input._data
        return Tensor._make(np.repeat(np.arange(counts.size, dtype=np.int64), counts))
    counts = repeats._data if isinstance(repeats, Tensor) else int(repeats)
    node = "IndexSelectBackward0" if isinstance(repeats, Tensor) and np.ndim(counts) else "ViewBackward0"
    if dim is None:
        return _rearranged(node, input, lambda p: np.repeat(p.reshape(-1), counts))
    axis = _normalize_dim(dim, builtins.max(input._data.ndim, 1))
    return _rearranged(node, input, lambda p: np.repeat(p, counts, axis))


def narrow(input, dim, start, length):  # noqa: A002
    """A view of ``length`` elements of ``dim`` from ``start``."""
    axis = _normalize_dim(dim, input._data.ndim)
    size = input._data.shape[axis]
    start = int(start.item() if isinstance(start, Tensor) else start)
    if start < 0:
        start += size
    if not 0 <= start <= size or length < 0 or start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return getitem(input, (slice(None),) * axis + (slice(start, start + length),))


def _split_points(size, sections):
    return [(i * (size // sections) + builtins.min(i, size % sections)) for i in range(sections + 1)]


def tensor_split(input, indices_or_sections, dim=0):  # noqa: A002
    """Views splitting ``dim`` into n near-equal parts (an int) or at the given indices."""
    axis = _normalize_dim(dim, input._data.ndim)
    size = input._data.shape[axis]
    if isinstance(indices_or_sections, Tensor):
        indices_or_sections = indices_or_sections.tolist()
    if isinstance(indices_or_sections, numbers.Integral):
        if indices_or_sections <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {indices_or_sections}")
        bounds = _split_points(size, int(indices_or_sections))
    else:
        bounds = [0] + [builtins.min(builtins.max(int(i) if i >= 0 else int(i) + size, 0), size)
                        for i in indices_or_sections] + [size]
    return tuple(getitem(input, (slice(None),) * axis + (slice(lo, builtins.max(lo, hi)),))
                 for lo, hi in zip(bounds[:-1], bounds[1:]))


def _directional_split(input, sections, dim, name, min_dims):  # noqa: A002
    ndim = input._data.ndim
    if ndim < min_dims:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dims} dimension, but got a tensor "
                           f"with {ndim} dimensions!")
    if isinstance(sections, numbers.Integral):
        size = input._data.shape[dim]
        if sections == 0 or size % sections:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the size of the "
                               f"dimension {size} is not divisible by the split_size {sections}!")
    return tensor_split(input, sections, dim)


def hsplit(input, indices_or_sections):  # noqa: A002
    """tensor_split along dim 1 (dim 0 for a 1-D tensor); an int must divide the size."""
    return _directional_split(input, indices_or_sections, 1 if input._data.ndim > 1 else 0, "hsplit", 1)


def vsplit(input, indices_or_sections):  # noqa: A002
    """tensor_split along dim 0; an int must divide the size."""
    return _directional_split(input, indices_or_sections, 0, "vsplit", 2)


def dsplit(input, indices_or_sections):  # noqa: A002
    """tensor_split along dim 2; an int must divide the size."""
    return _directional_split(input, indices_or_sections, 2, "dsplit", 3)


def movedim(input, source, destination):  # noqa: A002
    """The dims ``source`` moved to the positions ``destination`` (a permute)."""
    ndim = input._data.ndim
    source = _normalize_dims(source, ndim) if isinstance(source, (tuple, list)) else (_normalize_dim(source, ndim),)
    destination = _normalize_dims(destination, ndim) if isinstance(destination, (tuple, list)) else \
        (_normalize_dim(destination, ndim),)
    if len(source) != len(destination):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(source)} dims) should "
                           f"contain the same number of dims as destination ({list(destination)} dims)")
    order = [None] * ndim
    for s, d in zip(source, destination):
        order[d] = s
    rest = iter(i for i in range(ndim) if i not in source)
    return permute(input, *[next(rest) if o is None else o for o in order])


def ravel(input):  # noqa: A002
    """The flattened tensor: a view of a contiguous one, else of a contiguous copy (as torch records it)."""
    return reshape(input if input._data.flags.c_contiguous else clone(input), -1)


def tile(input, dims):  # noqa: A002
    """The tensor repeated ``dims[i]`` times along each dim (missing leading dims count as 1)."""
    dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    dims = (1,) * (input._data.ndim - len(dims)) + dims
    return repeat(input, *dims)
