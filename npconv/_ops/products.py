"""Products beyond matmul: mv, the fused ``beta * input + alpha * product`` family (addmm, addmv, addr,
baddbmm, addbmm), trace, cross, cdist, inner and kron, with torch's nodes."""
import numpy as np

from .._tensor import Tensor, _normalize_dim
from ..autograd import Function
from .arguments import _broadcast_error
from .linalg import Mv, _check_not_bool, _matmul_check, matmul
from .promotion import _np_dtype_of_result
from .shape import check_expand, permute, reshape
from .elementwise import mul

__all__ = ["mv", "addmm", "addmv", "addr", "baddbmm", "addbmm", "trace", "cross", "cdist", "inner", "kron"]

# kind: (product of a and b, its gradients (grad_a, grad_b) from the product's gradient g)
_PRODUCTS = {
    "mm": (np.matmul, lambda g, a, b: (g @ np.swapaxes(b, -1, -2), np.swapaxes(a, -1, -2) @ g)),
    "mv": (np.matmul, lambda g, a, b: (np.outer(g, b), a.T @ g)),
    "outer": (np.outer, lambda g, a, b: (g @ b, g.T @ a)),
    "summed bmm": (lambda a, b: np.matmul(a, b).sum(0),
                   lambda g, a, b: (g @ np.swapaxes(b, -1, -2), np.swapaxes(a, -1, -2) @ g)),
}
_NODE_NAMES = {"addmm": "mm", "addmv": "mv", "addr": "outer", "baddbmm": "mm", "addbmm": "summed bmm"}


class _Fused(Function):
    """beta * input + alpha * product(a, b); with beta == 0 the input is ignored (nan included), as torch."""

    @staticmethod
    def forward(ctx, c, a, b, beta, alpha, kind):
        product, _ = _PRODUCTS[kind]
        ctx.save_for_backward(a, b)
        ctx.beta, ctx.alpha, ctx.kind = beta, alpha, kind
        p = product(a, b)
        scaled = p if alpha == 1 else alpha * p
        if beta == 0:
            return np.broadcast_to(scaled, np.broadcast_shapes(np.shape(c), p.shape)).astype(a.dtype)
        return (c if beta == 1 else beta * c) + scaled

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        _, gradients = _PRODUCTS[ctx.kind]
        g = grad if ctx.alpha == 1 else grad * ctx.alpha
        if ctx.kind == "summed bmm":
            g = np.broadcast_to(g, (a.shape[0],) + g.shape)
        ga, gb = gradients(g, a, b)
        gc = grad * ctx.beta if ctx.beta != 1 else grad  # zeros when beta == 0, as torch
        return gc, ga, gb, None, None, None


_FUSED = {name: type(name.capitalize(), (_Fused,), {"backward_name": name.capitalize() + "Backward0",
                                                    "__module__": __name__}) for name in _NODE_NAMES}


def _fused(name, input, a, b, beta, alpha, out_shape):  # noqa: A002
    np_dtype = _np_dtype_of_result(input, a, b)
    for t in (input, a, b):
        if t._data.dtype != np_dtype:
            raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {a.dtype.c_name} != "
                               f"{b.dtype.c_name}" if a._data.dtype != b._data.dtype else
                               f"self and mat2 must have the same dtype, but got {input.dtype.scalar_name} and "
                               f"{a.dtype.scalar_name}")
    try:
        np.broadcast_to(np.empty(input._data.shape, bool), out_shape)
    except ValueError:
        raise RuntimeError(f"The expanded size of the tensor ({out_shape[-1]}) must match the existing size "
                           f"({input._data.shape[-1]}) at non-singleton dimension {len(out_shape) - 1}.  Target "
                           f"sizes: {list(out_shape)}.  Tensor sizes: {list(input._data.shape)}") from None
    return _FUSED[name].apply(input, a, b, beta, alpha, _NODE_NAMES[name])


def _need_dims(t, n, what):
    if t._data.ndim != n:
        raise RuntimeError(f"{what} must be a {'matrix' if n == 2 else ('vector' if n == 1 else '3D tensor')}")


def mv(input, vec, *, out=None):  # noqa: A002
    """Matrix times vector."""
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input._data.ndim}, {vec._data.ndim}")
    _matmul_check(input, vec, "mv")
    return Mv.apply(input, vec)


def check_addmm(input, mat1, mat2):  # noqa: A002
    """torch's refusals of addmm, in its order: the dtypes of self and mat2, of mat1 and mat2, the operands'
    ranks and sizes, self expanded to the product's shape, the kernel's dtypes. Reads only ``.shape`` and
    ``.dtype`` (and ``input.type`` for a message), so callers may pass what they have not built yet."""
    if input.dtype != mat2.dtype:
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {input.dtype.scalar_name} and "
                           f"{mat2.dtype.scalar_name}")
    if mat1.dtype != mat2.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {mat1.dtype.scalar_name} and "
                           f"{mat2.dtype.scalar_name}")
    for name, t in (("mat1", mat1), ("mat2", mat2)):
        if len(t.shape) != 2:
            raise RuntimeError(f"{name} must be a matrix, got {len(t.shape)}-D tensor")
    (rows, inner), (inner2, columns) = mat1.shape, mat2.shape
    if inner != inner2:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{inner} and {inner2}x{columns})")
    check_expand(tuple(input.shape), (rows, columns), input.type)
    _check_not_bool(input.dtype, "addmm_impl_cpu_", rows * columns * inner)


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):  # noqa: A002
    """beta * input + alpha * (mat1 @ mat2)."""
    check_addmm(input, mat1, mat2)
    return _fused("addmm", input, mat1, mat2, beta, alpha, (mat1._data.shape[0], mat2._data.shape[1]))


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):  # noqa: A002
    """beta * input + alpha * (mat @ vec)."""
    if mat._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input._data.ndim}, {mat._data.ndim}, "
                           f"{vec._data.ndim}")
    _matmul_check(mat, vec, "mv")
    return _fused("addmv", input, mat, vec, beta, alpha, (mat._data.shape[0],))


def addr(input, vec1, vec2, *, beta=1, alpha=1, out=None):  # noqa: A002
    """beta * input + alpha * outer(vec1, vec2)."""
    if vec1._data.ndim != 1 or vec2._data.ndim != 1:
        raise RuntimeError(f"addr: Expected 1-D argument vec1, but got {vec1._data.ndim}-D" if vec1._data.ndim != 1
                           else f"addr: Expected 1-D argument vec2, but got {vec2._data.ndim}-D")
    return _fused("addr", input, vec1, vec2, beta, alpha, (vec1._data.shape[0], vec2._data.shape[0]))


def _batched_pair(batch1, batch2):
    """The shapes of two batches of matrices that multiply batch by batch, or torch's errors."""
    _need_dims(batch1, 3, "batch1")
    _need_dims(batch2, 3, "batch2")
    sa, sb = batch1._data.shape, batch2._data.shape
    if sa[0] != sb[0] or sa[2] != sb[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{sa[0]}, {sa[2]}] "
                           f"but got: [{sb[0]}, {sb[1]}].")
    return sa, sb


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):  # noqa: A002
    """beta * input + alpha * (batch1 @ batch2), batch by batch."""
    sa, sb = _batched_pair(batch1, batch2)
    return _fused("baddbmm", input, batch1, batch2, beta, alpha, (sa[0], sa[1], sb[2]))


def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):  # noqa: A002
    """beta * input + alpha * the sum over the batch of batch1 @ batch2."""
    sa, sb = _batched_pair(batch1, batch2)
    return _fused("addbmm", input, batch1, batch2, beta, alpha, (sa[1], sb[2]))


class Trace(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.shape = a.shape
        return np.asarray(np.trace(a))

    @staticmethod
    def backward(ctx, grad):
        full = np.zeros(ctx.shape, dtype=grad.dtype)
        n = min(ctx.shape)
        full[np.arange(n), np.arange(n)] = grad
        return full


def trace(input):  # noqa: A002
    """The sum of the main diagonal of a matrix (integers sum to int64)."""
    if input._data.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input._data.ndim}")
    if input._data.dtype.kind in "biu":
        return Tensor._make(np.asarray(np.trace(input._data), dtype=np.int64))
    return Trace.apply(input)


class LinalgCross(Function):
    @staticmethod
    def forward(ctx, a, b, axis):
        ctx.save_for_backward(a, b)
        ctx.axis = axis
        return np.cross(a, b, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        # d(a x b) = da x b + a x db: grad . (da x b) = da . (b x grad)
        return np.cross(b, grad, axis=ctx.axis), np.cross(grad, a, axis=ctx.axis), None


def cross(input, other, dim=None, *, out=None):  # noqa: A002
    """The cross product of 3-vectors along ``dim`` (the first dim of size 3 when None, as torch warns)."""
    if input._data.ndim != other._data.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    try:
        shape = np.broadcast_shapes(input._data.shape, other._data.shape)
    except ValueError:
        raise _broadcast_error(input._data, other._data) from None
    if dim is None:
        import warnings
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the dim "
                      "explicitly or simply use torch.linalg.cross.\nThe default value of dim will change to agree "
                      "with that of linalg.cross in a future release. (Triggered internally at "
                      "/__w/pytorch/pytorch/aten/src/ATen/native/Cross.cpp:63.)", UserWarning, stacklevel=2)
        dim = next((i for i, n in enumerate(shape) if n == 3), None)
        if dim is None:
            raise RuntimeError(f"no dimension of size 3 in input")
    axis = _normalize_dim(dim, len(shape))
    if shape[axis] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {input._data.shape[axis]} "
                           f"and {other._data.shape[axis]}")
    return LinalgCross.apply(input, other, axis)


class Cdist(Function):
    @staticmethod
    def forward(ctx, a, b, p):
        difference = a[..., :, None, :] - b[..., None, :, :]
        if p == 0:
            out = np.count_nonzero(difference, axis=-1).astype(a.dtype)
        elif p == np.inf:
            out = np.abs(difference).max(axis=-1, initial=0)
        else:
            out = (np.abs(difference) ** p).sum(axis=-1) ** (1 / p)
        ctx.save_for_backward(difference, out)
        ctx.p = p
        return out

    @staticmethod
    def backward(ctx, grad):
        difference, out = ctx.saved_tensors
        p, d = ctx.p, difference
        with np.errstate(all="ignore"):
            if p == 0:
                pairwise = np.zeros_like(d)
            elif p == np.inf:
                pairwise = np.sign(d) * (np.abs(d) == out[..., None])
            elif p == 1:
                pairwise = np.sign(d)
            else:
                pairwise = np.sign(d) * np.abs(d) ** (p - 1) / out[..., None] ** (p - 1)
            pairwise = np.where(out[..., None] == 0, 0, pairwise) if p not in (0, 1) else pairwise
        weighted = grad[..., None] * pairwise
        return weighted.sum(axis=-2), -weighted.sum(axis=-3), None


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """The p-norm distance between every row of x1 and every row of x2 (batched over leading dims)."""
    if x1._data.ndim < 2 or x2._data.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1._data.ndim}D")
    if x1._data.shape[-1] != x2._data.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1._data.shape[-1]} X2: "
                           f"{x2._data.shape[-1]}")
    if p < 0:
        raise RuntimeError(f"cdist only supports non-negative p values")
    return Cdist.apply(x1, x2, float(p))


def inner(input, other, *, out=None):  # noqa: A002
    """Sum over the last dims of both: a dot product for vectors, input @ other^T-like for more."""
    if input._data.ndim == 0 or other._data.ndim == 0:
        return mul(input, other)
    if input._data.shape[-1] != other._data.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"{list(input._data.shape)} and {list(other._data.shape)}")
    if other._data.ndim == 1:
        return matmul(input, other)
    last = other._data.ndim - 1
    columns = reshape(permute(other, last, *range(last)), other._data.shape[-1], -1)  # (k, everything else)
    result = matmul(input, columns)
    return reshape(result, *input._data.shape[:-1], *other._data.shape[:-1])


def kron(input, other, *, out=None):  # noqa: A002
    """The Kronecker product: every element of input times the whole of other, in blocks."""
    na, nb = input._data.ndim, other._data.ndim
    n = max(na, nb)
    a = reshape(input, *((1,) * (n - na) + input._data.shape))
    b = reshape(other, *((1,) * (n - nb) + other._data.shape))
    sa, sb = a._data.shape, b._data.shape
    spread_a = reshape(a, *[v for s in sa for v in (s, 1)])
    spread_b = reshape(b, *[v for s in sb for v in (1, s)])
    return reshape(mul(spread_a, spread_b), *[x * y for x, y in zip(sa, sb)])
