"""Matrix products (matmul and its 1-D/2-D/batched cases, mm, bmm, dot, outer, einsum) and vector norms."""
import numpy as np

from .._tensor import Tensor
from ..autograd import Function
from .arguments import _broadcast_error
from .parsing import check_argument
from .elementwise import abs, mul
from .reduction import _expand_reduced, _reduce_axes, amax, amin, sum
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


def _folds(a, b):
    """Whether torch's matmul folds a 3-d or larger ``a`` into rows for mm/mv (else it runs bmm): always for a
    ``b`` needing a gradient or an empty ``a``, otherwise when the rows are a view (leading dims contiguous)."""
    if b.requires_grad or a.numel() == 0:
        return True
    shape, strides = a.shape, a.stride()
    return all(strides[i] == strides[i + 1] * shape[i + 1] for i in range(len(shape) - 2))


def _matmul_check(a, b, name="matmul"):
    """torch's refusals of a matrix product, in the order and words of the kernel matmul picks: dot for two
    vectors, mv or mm (the first operand's leading dims folded into rows) for a 1-d or 2-d second operand,
    else bmm on the broadcast batch (sizes before dtypes but for dot). Reads only ``.shape`` and ``.dtype`` (and
    for a folding decision ``a``'s strides and ``b.requires_grad``)."""
    sa, sb = tuple(a.shape), tuple(b.shape)
    if len(sa) == 0 or len(sb) == 0:
        raise RuntimeError(f"both arguments to {name} need to be at least 1D, but they are {len(sa)}D and "
                           f"{len(sb)}D")
    da, db = a.dtype, b.dtype
    if len(sa) == 1 and len(sb) == 1:
        if da != db:
            raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {da.scalar_name} and "
                               f"{db.scalar_name}")
        if sa[0] != sb[0]:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{sa[0]}] and src [{sb[0]}] to have "
                               f"the same number of elements, but got {sa[0]} and {sb[0]} elements respectively")
        return _check_not_bool(da, "dot")
    if len(sb) <= 2 and (len(sa) <= 2 or _folds(a, b)):
        rows = int(np.prod(sa[:-1], dtype=np.int64))
        if len(sb) == 1:
            if sa[-1] != sb[0]:
                raise RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{sa[-1]}), vec ({sb[0]})")
            if da != db:
                raise RuntimeError(f"addmv input tensors must have the same dtype, but got {db.scalar_name}, "
                                   f"{da.scalar_name}, and {db.scalar_name}")
            return _check_not_bool(da, "addmv_impl_cpu", rows * sa[-1])
        if sa[-1] != sb[0]:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{sa[-1]} and {sb[0]}x{sb[1]})")
        if da != db:
            raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {da.c_name} != {db.c_name}")
        return _check_not_bool(da, "addmm_impl_cpu_", rows * sb[1] * sa[-1])
    try:
        batch = np.broadcast_shapes(sa[:-2], sb[:-2])
    except ValueError:
        raise _broadcast_error(np.empty(sa[:-2]), np.empty(sb[:-2])) from None
    count = int(np.prod(batch, dtype=np.int64))
    inner = sb[-2] if len(sb) > 1 else sb[0]   # a vector is a column there
    if sa[-1] != inner:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{count}, {sa[-1]}] "
                           f"but got: [{count}, {inner}].")
    if da != db:
        raise RuntimeError(f"expected scalar type {da.scalar_name} but found {db.scalar_name}")
    rows = sa[-2] if len(sa) > 1 else 1
    columns = sb[-1] if len(sb) > 1 else 1
    _check_not_bool(da, "bmm", count * rows * columns * sa[-1])


def _check_not_bool(dtype, kernel, work=1):
    """torch's product kernels take every dtype but bool; mm, mv and bmm run no kernel (and accept bools) when
    there is nothing to compute (``work``: output elements times the inner size)."""
    if dtype.name == "bool" and work:
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")


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


class ZeroNorm(Function):
    """The vector norm of order 0, a count of the non-zero elements: no gradient reaches the input (torch's
    is undefined, so the input's .grad stays None)."""
    backward_name = "LinalgVectorNormBackward0"

    @staticmethod
    def forward(ctx, a, axes, keepdim):
        return np.asarray(np.count_nonzero(a, axis=axes, keepdims=keepdim)).astype(a.dtype)

    @staticmethod
    def backward(ctx, grad):
        return None, None, None


def _sign(a):
    """torch's sgn: 0 at NaN."""
    return np.where(np.isnan(a), 0, np.sign(a))


class PowerNorm(Function):
    """(sum |x|^p)^(1/p) for an order other than 0, 1, 2 and +-inf, with torch's backward: an element that is
    0 (p < 1) or a norm that is 0 (p > 1) passes no gradient instead of a NaN."""
    backward_name = "LinalgVectorNormBackward0"

    @staticmethod
    def forward(ctx, a, p, axes, keepdim):
        # torch accumulates a CPU reduction in a wider type (float32 in double, half in float)
        accumulated = a.astype(np.float32 if a.dtype == np.float16 else np.float64)
        out = np.sum(np.abs(accumulated) ** p, axis=axes, keepdims=True) ** (1.0 / p)
        ctx.save_for_backward(a, out)
        ctx.p, ctx.axes = p, axes
        return (out if keepdim else np.squeeze(out, axis=axes)).astype(a.dtype)

    @staticmethod
    def backward(ctx, grad):
        a, norm = ctx.saved_tensors
        p = ctx.p
        grad = grad.reshape(norm.shape)
        magnitude = np.abs(a)
        if p < 1:
            return _sign(a) * np.where(a == 0, 0, magnitude ** (p - 1)) * grad * norm ** (1 - p), None, None, None
        scaled = _sign(a) * magnitude ** (p - 1) if p < 2 else a * magnitude ** (p - 2)
        return scaled * np.where(norm == 0, 0, grad / norm ** (p - 1)), None, None, None


def _check_identity(input, p, dim):
    """A negative or infinite order has no value for an empty reduction: torch's words."""
    if not (p < 0 or p == float("inf")):
        return
    order = f"{p:g}" if isinstance(p, float) else p
    if dim is None or dim == () or dim == []:
        if input._data.size == 0:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {order} norm on an empty tensor because "
                               f"the operation does not have an identity")
        return
    for axis in _reduce_axes(input, dim):
        if input._data.shape[axis] == 0:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {order} norm on the dimension {axis}"
                               f"because this dimension is empty and the operation does not have an identity")


def vector_norm(input, p, dim, keepdim):  # noqa: A002
    """(sum |x|^p)^(1/p) over ``dim`` (every element when None); p = inf, -inf and 0 as torch (the largest
    and smallest magnitude, the count of non-zeros). The input is a floating tensor."""
    if p in ("fro", None):
        p = 2
    _check_identity(input, p, dim)
    if p == 2:
        return VectorNorm.apply(input, _reduce_axes(input, dim), keepdim)
    if p == float("inf"):
        return amax(abs(input), dim if dim is not None else (), keepdim)
    if p == -float("inf"):
        return amin(abs(input), dim if dim is not None else (), keepdim)
    if p == 0:
        return ZeroNorm.apply(input, _reduce_axes(input, dim), keepdim)
    if p == 1:
        return sum(abs(input), dim, keepdim)
    return PowerNorm.apply(input, float(p), _reduce_axes(input, dim), keepdim)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):  # noqa: A002
    """The p-norm over all elements or ``dim`` (see vector_norm); 'fro' is the 2-norm."""
    if dim is not None:   # torch.norm hands an int dim to linalg.vector_norm as a one-element list
        check_argument("linalg_vector_norm", "dim", "ints", [dim] if isinstance(dim, int) else dim, 3)
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                           f"{input.dtype.scalar_name}")
    return vector_norm(input, p, dim, keepdim)
