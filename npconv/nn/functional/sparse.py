"""npconv.nn.functional: embedding (a lookup table of rows) and one_hot, as torch.

Shapes::

    embedding: indices (*) int64/int32, weight (V, D) -> (*, D)
    one_hot:   indices (*) int64 -> (*, num_classes) int64
"""
import numpy as np

from ..._tensor import Tensor
from ...autograd import Function

__all__ = ["embedding", "one_hot"]


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


def _indices(input, op="embedding"):
    if input.dtype.name not in ("int64", "int32"):
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got torch.{input.dtype.tensor_type_name} instead (while checking "
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
    indices = _indices(input)
    if weight.dim() != 2:
        raise RuntimeError("'weight' must be 2-D")
    if indices.size and (indices.min() < 0 or indices.max() >= weight.shape[0]):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        _renorm_rows(weight, indices, max_norm, norm_type)
    return _Embedding.apply(weight, indices, padding_idx, scale_grad_by_freq)


def one_hot(tensor, num_classes=-1):
    """int64 (*) -> int64 (*, num_classes): 1 at each value's position; num_classes=-1 takes max + 1."""
    if not isinstance(tensor, Tensor) or tensor.dtype.name != "int64":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    values = tensor.numpy()
    if values.size == 0:
        if num_classes == -1:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        return Tensor._make(np.zeros(values.shape + (num_classes,), dtype=np.int64))
    if values.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        num_classes = int(values.max()) + 1
    elif values.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return Tensor._make((values[..., None] == np.arange(num_classes)).astype(np.int64))
