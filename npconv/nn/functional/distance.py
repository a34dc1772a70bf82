"""npconv.nn.functional: cosine_similarity and pairwise_distance, as torch (composed from Tensor ops the
way torch composes them, so values, gradients and the norm's clamping match).

Shapes::

    normalize: any shape -> the same shape
    cosine_similarity: x1, x2 broadcastable, (*, D, *) -> the broadcast shape without ``dim``
    pairwise_distance: x1, x2 (N, D) or (D,) -> (N,) (or (N, 1) with keepdim)
"""
import numpy as np

from ... import _shapes
from ..._dtype import get_default_dtype, result_type
from ..._ops.parsing import native
from ...autograd import Function, no_grad

__all__ = ["cosine_similarity", "pairwise_distance", "pdist", "normalize"]


@native("cosine_similarity", x1="Tensor", x2="Tensor", dim="int", eps="float")
def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps)) along ``dim``; the clamp is outside the graph,
    as in torch (a zero vector gets a zero gradient, not an infinite one). Integers and bools are cast to
    the common floating dtype first (both integral: refused)."""
    common = result_type([x1, x2])
    if not common.is_floating_point:
        raise RuntimeError(f"expected common dtype to be floating point, yet common dtype is {common.scalar_name}")
    if not eps >= 0:
        raise RuntimeError(f"eps must be non-negative, got: {float(eps):g}")
    x1, x2 = (x if x.dtype.is_floating_point else x.to(common) for x in (x1, x2))
    x1, x2 = broadcast_pair(x1, x2)
    return ((x1 / _clamped_norm(x1, dim, eps)) * (x2 / _clamped_norm(x2, dim, eps))).sum(dim)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """x / max(||x||_p, eps) along ``dim``, composed as torch composes it (the norm's checks and words,
    its p = 0 and +-inf, the clamp's gradient)."""
    return input / input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)


def broadcast_pair(x1, x2):
    """Both tensors at their common shape (expanded only where needed), or torch's size-mismatch error."""
    shape = _shapes.broadcast_shape(x1.shape, x2.shape)
    return (x1 if tuple(x1.shape) == shape else x1.expand(shape)), \
        (x2 if tuple(x2.shape) == shape else x2.expand(shape))


def _clamped_norm(x, dim, eps):
    norm = x.norm(2, dim, keepdim=True).clone()
    with no_grad():
        norm.clamp_min_(eps)
    return norm


class _AddScalar(Function):
    """tensor + number as torch's C++ composites record it (aten::add.Scalar: ``AddBackward1``)."""

    backward_name = "AddBackward1"

    @staticmethod
    def forward(ctx, x, value):
        if x.dtype.kind != "f":   # an integer tensor plus a Python float: the default dtype
            x = x.astype(get_default_dtype().numpy_dtype)
        return x + x.dtype.type(value)

    @staticmethod
    def backward(ctx, grad):
        return grad, None


@native("pairwise_distance", x1="Tensor", x2="Tensor", p="float", eps="float", keepdim="bool")
def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p along the last dim (eps keeps the gradient finite where x1 == x2)."""
    innermost = max(x1.dim(), x2.dim()) - 1   # -1 for two 0-d tensors: the one element
    return _AddScalar.apply(x1 - x2, eps).norm(p, innermost, keepdim=keepdim)


class _Pdist(Function):
    """The p-norm distances between the rows of (N, M), pairs i < j in row order: (N (N - 1) / 2,)."""

    backward_name = "PdistBackward0"

    @staticmethod
    def forward(ctx, x, p):
        first, second = np.triu_indices(x.shape[0], k=1)
        with np.errstate(over="ignore", invalid="ignore"):
            difference = x[first] - x[second]
            distance = _p_norm(difference, p)
        ctx.saved = (difference, distance, first, second, p, x.shape)
        return distance

    @staticmethod
    def backward(ctx, grad):
        difference, distance, first, second, p, shape = ctx.saved
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if p == 0:
                pair = np.zeros_like(difference)
            elif p == 1:
                pair = np.sign(difference)
            elif p == np.inf:
                pair = np.sign(difference) * (np.abs(difference) == distance[:, None])
            else:
                pair = np.sign(difference) * np.abs(difference) ** (p - 1) / distance[:, None] ** (p - 1)
            pair = np.where(distance[:, None] == 0, 0, pair) * grad[:, None]
        result = np.zeros(shape, dtype=grad.dtype)
        np.add.at(result, first, pair)
        np.add.at(result, second, -pair)
        return result, None


def _p_norm(rows, p):
    magnitude = np.abs(rows)
    if p == 0:
        return (magnitude != 0).sum(axis=1).astype(rows.dtype)
    if p == np.inf:
        return magnitude.max(axis=1, initial=0)
    return (magnitude ** p).sum(axis=1) ** (1 / p)


@native("pdist", input="Tensor", p="float")
def pdist(input, p=2):
    """p-norm distance between every pair of rows i < j of ``input`` (N, M): (N (N - 1) / 2,)."""
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    return _Pdist.apply(input, float(p))
