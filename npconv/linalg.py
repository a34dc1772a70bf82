"""``torch.linalg``: the linear algebra tutorials reach for (norms, det, inv, solve, cross, svd, eigh, qr...).

NumPy's LAPACK does the factorising. Gradients follow torch's formulas for det, slogdet, inv, solve,
cross and the norms; of the factorisations only the values differentiate (singular values, eigenvalues):
U, Vh, eigenvectors and Q, R come back without a graph, so a loss built on them says it has no gradient
instead of receiving a wrong one.
"""
import math
import numbers

import numpy as np

from . import _ops
from ._ops import matrices, products
from ._ops.matrices import _LinAlgError
from ._ops.linalg import vector_norm as _vector_norm
from ._ops.reduction import _namedtuple_type
from ._tensor import Tensor
from .autograd import Function

__all__ = ["LinAlgError", "matmul", "cross", "vecdot", "vector_norm", "matrix_norm", "norm", "det", "slogdet",
           "inv", "solve", "svd", "svdvals", "eigh", "eigvalsh", "qr", "pinv", "matrix_rank", "matrix_power",
           "multi_dot", "cholesky"]


LinAlgError = _LinAlgError
_svd_type = _namedtuple_type("linalg_svd", ("U", "S", "Vh"))
_eigh_type = _namedtuple_type("linalg_eigh", ("eigenvalues", "eigenvectors"))
_qr_type = _namedtuple_type("linalg_qr", ("Q", "R"))
_slogdet_type = _namedtuple_type("linalg_slogdet", ("sign", "logabsdet"))

matmul = _ops.matmul


def _check_float(name, A):
    if A.dtype.numpy_dtype.kind != "f":
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got "
                           f"{A.dtype.scalar_name}")


def _check_square(name, A, what="A"):
    _check_float(name, A)
    if A.dim() < 2:
        raise RuntimeError(f"{name}: The input tensor {what} must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{name}: {what} must be batches of square matrices, but they are {A.shape[-2]} by "
                           f"{A.shape[-1]} matrices")


def _transpose(a):
    return np.swapaxes(a, -1, -2)


# ---------------------------------------------------------------------------------------- products

def cross(input, other, *, dim=-1):  # noqa: A002
    """The cross product of 3-vectors along ``dim`` (broadcasting the rest)."""
    return products.cross(input, other, dim)


def vecdot(x, y, *, dim=-1):
    """Sum of x * y along ``dim``."""
    return (x * y).sum(dim)


def multi_dot(tensors):
    """A chain of matrix products, left to right."""
    result = tensors[0]
    for t in tensors[1:]:
        result = result @ t
    return result


matrix_power = matrices.matrix_power


# ------------------------------------------------------------------------------------------- norms

def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    """(sum |x|^ord)^(1/ord) over ``dim`` (all elements by default); ord inf/-inf/0 as torch."""
    _check_float("linalg.vector_norm", x)
    if dtype is not None:
        x = x.to(dtype)
    return _vector_norm(x, ord, dim, keepdim)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """Frobenius, nuclear, 1/-1/inf/-inf (column/row sums) or 2/-2 (singular values) norm of matrices."""
    _check_float("linalg.matrix_norm", A)
    if dtype is not None:
        A = A.to(dtype)
    rows, cols = dim
    if ord == "fro":
        return vector_norm(A, 2, dim, keepdim)
    if ord in ("nuc", 2, -2):
        values = svdvals(A.movedim((rows, cols), (-2, -1)))
        result = values.sum(-1) if ord == "nuc" else (values.amax(-1) if ord == 2 else values.amin(-1))
        if keepdim:
            for d in sorted(d % A.dim() for d in dim):
                result = result.unsqueeze(d)
        return result
    if ord in (1, -1, math.inf, -math.inf):
        summed, reduced = (rows, cols) if ord in (1, -1) else (cols, rows)
        sums = A.abs().sum(summed, keepdim=True)
        result = sums.amax(reduced, keepdim=True) if ord > 0 else sums.amin(reduced, keepdim=True)
        return result if keepdim else result.squeeze(dim)
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """A vector norm (1-d, or ``dim`` an int) or a matrix norm (2-d, or ``dim`` a pair), as torch chooses."""
    if isinstance(dim, numbers.Integral):
        dim = (dim,)
    if ord is None:
        return vector_norm(A, 2, dim, keepdim, dtype=dtype) if dim is None or len(dim) == 1 \
            else matrix_norm(A, "fro", dim, keepdim, dtype=dtype)
    if dim is None:
        dim = tuple(range(A.dim()))
    if len(dim) == 2:
        return matrix_norm(A, ord, dim, keepdim, dtype=dtype)
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord {ord!r} needs a matrix (dim of length 2)")
    return vector_norm(A, ord, dim, keepdim, dtype=dtype)


# ------------------------------------------------------------------------------- det, inv, solve

det = matrices.det


class _LogAbsDet(Function):
    backward_name = "LinalgSlogdetBackward0"

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.asarray(np.linalg.slogdet(a)[1], dtype=a.dtype)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return (grad[..., None, None] * _transpose(np.linalg.inv(a))).astype(a.dtype)


def slogdet(A):
    """(sign, log|det|) of square matrices."""
    _check_square("linalg.slogdet", A)
    sign = Tensor._make(np.asarray(np.linalg.slogdet(A.detach().numpy())[0], dtype=A.dtype.numpy_dtype))
    return _slogdet_type(sign, _LogAbsDet.apply(A))


inv = matrices.inverse


class _Solve(Function):
    backward_name = "LinalgSolveExBackward0"
    graph_inputs = 2

    @staticmethod
    def forward(ctx, a, b, vector):
        try:
            x = np.linalg.solve(a, b[..., None] if vector else b)
        except np.linalg.LinAlgError:
            raise _LinAlgError("torch.linalg.solve: The solver failed because the input matrix is singular.") \
                from None
        ctx.save_for_backward(a, x)
        ctx.vector = vector
        return x[..., 0] if vector else x

    @staticmethod
    def backward(ctx, grad):
        a, x = ctx.saved_tensors
        g = grad[..., None] if ctx.vector else grad
        grad_b = np.linalg.solve(_transpose(a), g)                # A^-T g
        grad_a = -grad_b @ _transpose(x)
        return grad_a, (grad_b[..., 0] if ctx.vector else grad_b), None


def solve(A, B, *, left=True):
    """X with A X = B (B a vector or a batch of matrices)."""
    _check_square("linalg.solve", A)
    if not left:
        return solve(A.mT, B.mT).mT
    vector = B.dim() == 1 or (B.dim() == A.dim() - 1 and B.shape == A.shape[:-1])
    return _Solve.apply(A, B, vector)


# ------------------------------------------------------------------------------- factorisations

class _SingularValues(Function):
    backward_name = "LinalgSvdBackward0"

    @staticmethod
    def forward(ctx, a):
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        ctx.save_for_backward(u, vh)
        return s

    @staticmethod
    def backward(ctx, grad):
        u, vh = ctx.saved_tensors
        return (u * grad[..., None, :]) @ vh      # U diag(g) Vh


def _constant(array, like):
    return Tensor._make(np.ascontiguousarray(array, dtype=like.dtype.numpy_dtype))


def svd(A, full_matrices=True):
    """A = U diag(S) Vh; S differentiates, U and Vh do not (see the module doc)."""
    _check_float("linalg.svd", A)
    u, _, vh = np.linalg.svd(A.detach().numpy(), full_matrices=full_matrices)
    return _svd_type(_constant(u, A), _SingularValues.apply(A), _constant(vh, A))


def svdvals(A):
    """The singular values, largest first."""
    _check_float("linalg.svdvals", A)
    return _SingularValues.apply(A)


class _Eigenvalues(Function):
    backward_name = "LinalgEighBackward0"

    @staticmethod
    def forward(ctx, a, upper):
        values, vectors = np.linalg.eigh(a, UPLO="U" if upper else "L")
        ctx.save_for_backward(vectors)
        return values

    @staticmethod
    def backward(ctx, grad):
        (vectors,) = ctx.saved_tensors
        return (vectors * grad[..., None, :]) @ _transpose(vectors), None   # V diag(g) V^T


def eigh(A, UPLO="L"):
    """Eigenvalues (ascending) and eigenvectors of symmetric matrices; the eigenvalues differentiate."""
    _check_square("linalg.eigh", A)
    vectors = np.linalg.eigh(A.detach().numpy(), UPLO=UPLO)[1]
    return _eigh_type(_Eigenvalues.apply(A, UPLO == "U"), _constant(vectors, A))


def eigvalsh(A, UPLO="L"):
    _check_square("linalg.eigvalsh", A)
    return _Eigenvalues.apply(A, UPLO == "U")


def qr(A, mode="reduced"):
    """A = Q R (no gradient)."""
    _check_float("linalg.qr", A)
    q, r = np.linalg.qr(A.detach().numpy(), mode=mode)
    return _qr_type(_constant(q, A), _constant(r, A))


def cholesky(A, *, upper=False):
    """The lower (or upper) triangular L with A = L L^T (no gradient); LinAlgError when not positive-definite."""
    _check_square("linalg.cholesky", A)
    try:
        lower = np.linalg.cholesky(A.detach().numpy())
    except np.linalg.LinAlgError:
        raise _LinAlgError("linalg.cholesky: The factorization could not be completed because the input is not "
                           "positive-definite.") from None
    return _constant(_transpose(lower) if upper else lower, A)


def pinv(A, *, rtol=None, hermitian=False):
    """The Moore-Penrose pseudo-inverse (no gradient)."""
    _check_float("linalg.pinv", A)
    array = A.detach().numpy()
    if rtol is None:
        rtol = max(array.shape[-2:]) * np.finfo(array.dtype).eps
    return _constant(np.linalg.pinv(array, rcond=rtol, hermitian=hermitian), A)


def matrix_rank(A, *, hermitian=False):
    _check_float("linalg.matrix_rank", A)
    return Tensor._make(np.asarray(np.linalg.matrix_rank(A.detach().numpy(), hermitian=hermitian), dtype=np.int64))


# torch's top-level names for the same operations (torch.det, torch.inverse, torch.svd ...)
_svd_v_type = _namedtuple_type("svd", ("U", "S", "V"))


def torch_svd(input, some=True, compute_uv=True):  # noqa: A002
    """torch.svd: U, S, V (not Vh), reduced unless some=False."""
    u, s, vh = svd(input, full_matrices=not some)
    return _svd_v_type(u, s, vh.mT)


# (det, inverse, logdet and matrix_power are torch.* functions of npconv._ops.matrices)
TOP_LEVEL = {"slogdet": slogdet, "svd": torch_svd, "pinverse": pinv, "cholesky": cholesky, "qr": qr}

from ._torch_api import module_getattr as _module_getattr  # noqa: E402

__getattr__ = _module_getattr("torch.linalg")  # a torch.linalg name npconv lacks: NotImplementedError naming it
