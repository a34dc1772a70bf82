"""Matrix products (matmul and its 1-D/2-D/batched cases, mm, bmm, dot, outer, einsum) and vector norms."""
import numpy as np

from .._tensor import Tensor
from ..autograd import Function
from .arguments import _broadcast_error
from .elementwise import abs, mul, pow
from .reduction import _expand_reduced, _reduce_axes, amax, sum
from .shape import reshape


class MatMul(Function):
    backward_name = "MmBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        # treat 1-D operands as a row (left) / column (right) matrix, as matmul does
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        if a.ndim == 1 and b.ndim == 1:
            g2 = grad.reshape(1, 1)
        elif a.ndim == 1:
            g2 = np.expand_dims(grad, -2)
        elif b.ndim == 1:
            g2 = np.expand_dims(grad, -1)
        else:
            g2 = grad
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = np.matmul(g2, np.swapaxes(b2, -1, -2))
            if a.ndim == 1:
                ga = ga[..., 0, :]
        if ctx.needs_input_grad[1]:
            gb = np.matmul(np.swapaxes(a2, -1, -2), g2)
            if b.ndim == 1:
                gb = gb[..., 0]
        return ga, gb


class Dot(MatMul):
    backward_name = "DotBackward0"


class Mv(MatMul):
    backward_name = "MvBackward0"


class Bmm(MatMul):
    backward_name = "BmmBackward0"


class BatchedMatMul(MatMul):
    backward_name = "UnsafeViewBackward0"


def _matmul_check(a, b, name="matmul"):
    sa, sb = a._data.shape, b._data.shape
    if len(sa) == 0 or len(sb) == 0:
        raise RuntimeError(f"both arguments to {name} need to be at least 1D, but they are {len(sa)}D and "
                           f"{len(sb)}D")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{a.dtype.c_name} != {b.dtype.c_name}")
    inner_a = sa[-1]
    inner_b = sb[0] if len(sb) == 1 else sb[-2]
    if inner_a != inner_b:
        if len(sa) == 1 and len(sb) == 1:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{sa[0]}] and src [{sb[0]}] to have "
                               f"the same number of elements, but got {sa[0]} and {sb[0]} elements respectively")
        if len(sa) <= 2 and len(sb) <= 2:
            m1 = "x".join(str(n) for n in (sa if len(sa) == 2 else (1,) + sa))
            m2 = "x".join(str(n) for n in (sb if len(sb) == 2 else sb + (1,)))
            if len(sb) == 1:
                raise RuntimeError(f"size mismatch, got input ({sa[0]}), mat ({sa[0]}x{sa[1]}), vec ({sb[0]})")
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({m1} and {m2})")
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{sa[0] if len(sa) > 2 else 1}, {inner_a}] but got: [{sb[0] if len(sb) > 2 else 1}, "
                           f"{inner_b}].")
    try:
        np.broadcast_shapes(sa[:-2], sb[:-2])
    except ValueError:
        raise _broadcast_error(np.empty(sa[:-2]), np.empty(sb[:-2])) from None


def matmul(input, other, *, out=None):  # noqa: A002
    """Matrix product with torch's rules: 1-D dot, matrix-vector, batched with broadcasting."""
    if not isinstance(other, Tensor):
        raise TypeError(f"matmul(): argument 'other' (position 1) must be Tensor, not {type(other).__name__}")
    _matmul_check(input, other)
    na, nb = input._data.ndim, other._data.ndim
    if na == 1 and nb == 1:
        return Dot.apply(input, other)
    if na == 2 and nb == 1:
        return Mv.apply(input, other)
    if na == 2 and nb == 2:
        return MatMul.apply(input, other)
    return BatchedMatMul.apply(input, other)


def mm(input, mat2, *, out=None):  # noqa: A002
    """2-D matrix product."""
    if input._data.ndim != 2:
        raise RuntimeError(f"self must be a matrix")
    if mat2._data.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix")
    _matmul_check(input, mat2, "mm")
    return MatMul.apply(input, mat2)


def bmm(input, mat2, *, out=None):  # noqa: A002
    """Batched 3-D matrix product (no broadcasting)."""
    if input._data.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor")
    if mat2._data.ndim != 3:
        raise RuntimeError(f"batch2 must be a 3D tensor")
    if input._data.shape[0] != mat2._data.shape[0] or input._data.shape[2] != mat2._data.shape[1]:
        sa = input._data.shape
        sb = mat2._data.shape
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{sa[0]}, {sa[2]}] "
                           f"but got: [{sb[0]}, {sb[1]}].")
    _matmul_check(input, mat2, "bmm")
    return Bmm.apply(input, mat2)


def dot(input, other, *, out=None):  # noqa: A002
    """The inner product of two 1-D tensors of the same length."""
    if input._data.ndim != 1 or other._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input._data.ndim}D and {other._data.ndim}D tensors")
    _matmul_check(input, other, "dot")
    return Dot.apply(input, other)


def outer(input, vec2):  # noqa: A002
    """The outer product of two 1-D tensors: out[i, j] = input[i] * vec2[j]."""
    return mul(reshape(input, (-1, 1)), vec2)


def einsum(equation, *operands):
    """Not differentiable here: computes with numpy.einsum."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = operands[0]
    return Tensor._make(np.asarray(np.einsum(equation, *[o._data for o in operands])))



class VectorNorm(Function):
    backward_name = "LinalgVectorNormBackward0"

    @staticmethod
    def forward(ctx, a, axes, keepdim):
        out = np.sqrt(np.sum(a * a, axis=axes, keepdims=keepdim))
        ctx.save_for_backward(a, np.asarray(out))
        ctx.axes, ctx.keepdim = axes, keepdim
        return np.asarray(out)

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(out == 0, 0, grad / out).astype(a.dtype)  # torch: 0 at the origin
        return _expand_reduced(scale, a.shape, ctx.axes, ctx.keepdim) * a, None, None


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):  # noqa: A002
    """The 2-norm (``p=2`` or 'fro') over all elements or ``dim``; other p as sum(|x|^p)^(1/p)."""
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                           f"{input.dtype.scalar_name}")
    axes = _reduce_axes(input, dim)
    if p in ("fro", 2, 2.0, None):
        return VectorNorm.apply(input, axes, keepdim)
    if p == float("inf"):
        return amax(abs(input), dim if dim is not None else (), keepdim)
    if p == 1:
        return sum(abs(input), dim, keepdim)
    return pow(sum(pow(abs(input), p), dim, keepdim), 1.0 / p)


