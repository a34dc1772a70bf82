"""npconv.nn.functional: embedding (a lookup table of rows) and one_hot, as torch.

Shapes::

    embedding: indices (*) int64/int32, weight (V, D) -> (*, D)
    one_hot:   indices (*) int64 -> (*, num_classes) int64
"""
import numpy as np

from ..._tensor import Tensor
from ..._graph_backward import double_backward, linear_in_grad
from ..._ops.parsing import check_arguments, native
from ...autograd import Function

__all__ = ["embedding", "embedding_bag", "one_hot"]


class _Embedding(Function):
    backward_name = "EmbeddingBackward0"

    @staticmethod
    def forward(ctx, weight, indices, padding_idx, scale_grad_by_freq):
        ctx.indices, ctx.rows = indices, weight.shape[0]
        ctx.padding_idx, ctx.scale_grad_by_freq = padding_idx, scale_grad_by_freq
        return weight[indices]

    @staticmethod
    def backward(ctx, grad):
        flat = ctx.indices.ravel()
        rows = grad.reshape(flat.size, grad.shape[-1])
        if ctx.scale_grad_by_freq:  # each row's gradient is averaged over its uses in this batch
            counts = np.bincount(flat, minlength=ctx.rows)
            rows = rows / counts[flat, None].astype(grad.dtype)
        grad_weight = np.zeros((ctx.rows, rows.shape[1]), dtype=grad.dtype)
        np.add.at(grad_weight, flat, rows)
        if ctx.padding_idx >= 0:
            grad_weight[ctx.padding_idx] = 0
        return grad_weight, None, None, None


@double_backward(_Embedding)
def _embedding_gradient(node, g):
    """create_graph: the weight's gradient (rows summed per index) has the lookup as its adjoint. torch's
    double backward leaves out scale_grad_by_freq's division (not the exact adjoint then): as torch."""
    def look_up(v):
        rows = np.asarray(v)[node.indices]
        if node.padding_idx >= 0:
            rows = np.where((node.indices == node.padding_idx)[..., None], 0, rows)
        return rows
    return linear_in_grad(node, g, look_up), None, None, None


def _indices(input, op="embedding", position=1):
    if input.dtype.name not in ("int64", "int32"):
        raise RuntimeError(f"Expected tensor for argument #{position} 'indices' to have one of the following scalar "
                           f"types: Long, Int; but got torch.{input.dtype.tensor_type_name} instead (while checking "
                           f"arguments for {op})")
    return input.numpy().astype(np.int64)


def _renorm_rows(weight, indices, max_norm, norm_type):
    """torch's embedding_renorm_: each row looked up whose p-norm exceeds max_norm is scaled down to it, in
    place and outside the graph."""
    rows = np.unique(indices)
    array = weight._data
    norms = np.linalg.norm(array[rows], ord=norm_type, axis=1)
    over = norms > max_norm
    scale = (max_norm / (norms[over] + 1e-7)).astype(array.dtype)
    array[rows[over]] *= scale[:, None]
    weight._version_counter()[0] += 1


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """Rows of ``weight`` (V, D) at ``input``'s indices: (*) -> (*, D). The ``padding_idx`` row gets no
    gradient; with ``max_norm`` the rows looked up are first scaled down in place to that norm."""
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < weight.shape[0], "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -weight.shape[0], "Padding_idx must be within num_embeddings"
            padding_idx = weight.shape[0] + padding_idx
    else:
        padding_idx = -1
    if max_norm is not None:   # torch renormalises first, with embedding_renorm_'s checks
        check_arguments("embedding_renorm_", _RENORM_KINDS, {"max_norm": max_norm, "norm_type": norm_type},
                        positional=4)
        _renorm_rows(weight, _checked_renorm_rows(input, weight), max_norm, norm_type)
    check_arguments("embedding", _EMBEDDING_KINDS, {"weight": weight, "indices": input, "padding_idx": padding_idx,
                                                    "scale_grad_by_freq": scale_grad_by_freq, "sparse": sparse},
                    positional=5)   # torch.embedding(weight, input, padding_idx, ...) by position
    if weight.dim() != 2:
        raise RuntimeError("'weight' must be 2-D")
    indices = _indices(input)
    _check_selected_rows(indices, weight)
    return _Embedding.apply(weight, indices, padding_idx, scale_grad_by_freq)


_RENORM_KINDS = (("max_norm", "float", 3), ("norm_type", "float", 4))
_EMBEDDING_KINDS = (("weight", "Tensor", 1), ("indices", "Tensor", 2), ("padding_idx", "int", 3),
                    ("scale_grad_by_freq", "bool", 4), ("sparse", "bool", 5))


def _checked_renorm_rows(input, weight):
    """embedding_renorm_'s checks: a matrix, integer indices, each distinct row (in order) selectable."""
    if weight.dim() != 2:
        raise RuntimeError(f"Expected 2-dimensional tensor, but got {weight.dim()}-dimensional tensor for argument "
                           f"#1 'self' (while checking arguments for embedding_renorm_)")
    indices = _indices(input, "embedding_renorm_", 2)
    rows = weight.shape[0]
    for index in np.unique(indices):
        if not -rows <= index < rows:
            raise IndexError(f"select(): index {index} out of range for tensor of size {list(weight.shape)} at "
                             f"dimension 0")
    if indices.size and not weight.dtype.is_floating_point:   # the rows' norms
        raise RuntimeError(f"norm(): input dtype should be either floating point or complex. Got "
                           f"{weight.dtype.scalar_name} instead.")
    return indices % max(rows, 1)   # select wraps a negative row (index_select later refuses it)


def _check_selected_rows(indices, weight):
    """index_select's bounds: an empty weight gets its own kernel's words."""
    if not indices.size:
        return
    rows = weight.shape[0]
    if weight.numel() == 0:
        if rows == 0:
            raise RuntimeError("index_select(): self indexing axis dim should be positive")
        bad = indices[(indices < 0) | (indices >= rows)]
        if bad.size:
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={int(bad[0])} axis_dim={rows}")
    elif indices.min() < 0 or indices.max() >= rows:
        raise IndexError("index out of range in self")


@native("one_hot", input="Tensor", num_classes="int")
def one_hot(input, num_classes=-1):  # noqa: A002 - torch names it input
    """int64 (*) -> int64 (*, num_classes): 1 at each value's position; num_classes=-1 takes max + 1."""
    num_classes = int(num_classes)   # a one-element integer tensor too
    if input.dtype.name != "int64":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    values = input.numpy()
    if values.size == 0:
        if num_classes <= 0:   # torch infers no class count from nothing (0 included)
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        return Tensor._make(np.zeros(values.shape + (num_classes,), dtype=np.int64))
    if values.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        num_classes = int(values.max()) + 1
    elif values.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return Tensor._make((values[..., None] == np.arange(num_classes)).astype(np.int64))


class _EmbeddingBag(Function):
    """Per bag, the sum, mean or max of the rows of ``weight`` its indices pick (padding_idx ones left
    out; an empty bag gives zeros); sum mode may weight each picked row."""

    backward_name = "EmbeddingBagBackward0"

    @staticmethod
    def forward(ctx, weight, per_sample_weights, indices, bags, count, mode, padding_idx, scale_grad_by_freq):
        keep = indices != padding_idx
        picked, bag_of = indices[keep], bags[keep]
        rows = weight[picked]
        if per_sample_weights is not None:
            rows = rows * per_sample_weights[keep][:, None]
        out = np.zeros((count, weight.shape[1]), dtype=weight.dtype)
        sizes = np.bincount(bag_of, minlength=count)
        winners = None
        if mode == "max":
            winners = np.full((count, weight.shape[1]), -1, dtype=np.int64)  # position in ``picked``
            for bag in np.flatnonzero(sizes):
                members = np.flatnonzero(bag_of == bag)
                best = rows[members].argmax(axis=0)
                winners[bag] = members[best]
                out[bag] = rows[members[best], np.arange(weight.shape[1])]
        else:
            np.add.at(out, bag_of, rows)
            if mode == "mean":
                out /= np.maximum(sizes, 1)[:, None].astype(out.dtype)
        ctx.saved = (weight, per_sample_weights, picked, bag_of, sizes, winners, mode, scale_grad_by_freq, keep)
        return out

    @staticmethod
    def backward(ctx, grad):
        weight, per_sample_weights, picked, bag_of, sizes, winners, mode, scale_grad_by_freq, keep = ctx.saved
        grad_weight = np.zeros(weight.shape, dtype=grad.dtype)
        if mode == "max":
            bags, dims = np.nonzero(winners >= 0)
            contributions = np.zeros((picked.size, weight.shape[1]), dtype=grad.dtype)
            contributions[winners[bags, dims], dims] = grad[bags, dims]
        else:
            contributions = grad[bag_of]
            if mode == "mean":
                contributions = contributions / sizes[bag_of][:, None].astype(grad.dtype)
        grad_samples = None
        if per_sample_weights is not None:
            grad_samples = np.zeros(keep.shape, dtype=grad.dtype)
            grad_samples[keep] = (contributions * weight[picked]).sum(axis=1)
            contributions = contributions * per_sample_weights[keep][:, None]
        if scale_grad_by_freq:
            frequency = np.bincount(picked, minlength=weight.shape[0])
            contributions = contributions / frequency[picked][:, None].astype(grad.dtype)
        np.add.at(grad_weight, picked, contributions)
        return grad_weight, grad_samples, None, None, None, None, None, None


def _bags(input, offsets, include_last_offset):
    """(flat indices, bag number of each, number of bags) from a 2-d input or a 1-d input with offsets."""
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError(f"if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             f"fixed length sequences. However, found offsets of type {_torch_type_name(offsets)}")
        rows, length = input.shape
        return np.repeat(np.arange(rows), length), rows
    if input.dim() != 1:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    if offsets is None or offsets.dim() != 1:
        raise ValueError(f"offsets has to be a 1D Tensor but got {offsets if offsets is None else offsets.dim()}")
    starts = offsets.numpy().astype(np.int64)
    if starts.size and starts[0] != 0:
        raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
                           f"position 0. However, got {starts[0]}\n[ torch.LongTensor{{}} ]")
    if starts.size and starts[-1] > input.numel():
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {input.numel()} but got "
                           f"offsets[-1] of {starts[-1]}")
    # with include_last_offset the last offset is the input's length: the last bag runs to the end either way
    count = starts.size - 1 if include_last_offset else starts.size
    return np.searchsorted(starts[:count], np.arange(input.numel()), side="right") - 1, count


def _torch_type_name(value):
    return "<class 'torch.Tensor'>" if isinstance(value, Tensor) else str(type(value))


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False,
                  mode="mean", sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """Sum, mean or max of the embedding rows of each bag: input (B, N) (a bag per row), or a flat input with
    the ``offsets`` where each bag starts -> (B, embedding_dim)."""
    indices = _indices(input, "embedding_bag")
    if per_sample_weights is not None:
        if tuple(per_sample_weights.shape) != tuple(input.shape):
            raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, then "
                             f"it must have the same shape as the input ({input.shape})")
        if mode != "sum":
            raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                      f"supported for mode='sum' (got mode='{mode}'). Please open a feature "
                                      f"request on GitHub.")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    bag_of, count = _bags(input, offsets, include_last_offset)
    flat = indices.reshape(-1)
    bad = np.flatnonzero((flat < 0) | (flat >= weight.shape[0]))
    if bad.size:
        raise RuntimeError(f"Index {bad[0]} of input takes value {flat[bad[0]]} which is not in the valid range "
                           f"[0, {weight.shape[0]})")
    padding_idx = -1 if padding_idx is None else padding_idx % weight.shape[0]
    if max_norm is not None:
        _renorm_rows(weight, flat, max_norm, norm_type)
    samples = None if per_sample_weights is None else per_sample_weights.reshape(-1)
    return _EmbeddingBag.apply(weight, samples, flat, bag_of, count, mode, padding_idx, scale_grad_by_freq)
