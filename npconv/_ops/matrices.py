"""Square-matrix functions (det, inverse, logdet, matrix_power, batched over leading dims) and the index
writes index_put / put, the in-place random fills random_/exponential_/log_normal_/cauchy_/geometric_,
logcumsumexp, nanmedian and block_diag."""
import numpy as np

from .._tensor import Tensor, _normalize_dim
from ..autograd import Function, is_grad_enabled
from .elementwise import log, mul
from .inplace import _FILL_NODES, _check_not_a_leaf, _inplace, _original, _overwrite_node, _random_fill
from .linalg import matmul
from .promotion import _as_operand
from .reduction import _return_types, _namedtuple_type

__all__ = ["det", "inverse", "logdet", "matrix_power", "index_put", "put", "logcumsumexp", "nanmedian",
           "block_diag"]

_return_types["nanmedian"] = _namedtuple_type("nanmedian")
_FILL_NODES.update({name: _overwrite_node(name) for name in ("RandomBackward0", "ExponentialBackward0",
                                                             "LogNormalBackward0", "CauchyBackward0",
                                                             "GeometricBackward0")})


class _LinAlgError(RuntimeError):
    """A singular or not positive-definite matrix: torch's linalg error (torch.linalg.LinAlgError), a
    RuntimeError."""


def _square(input, name):  # noqa: A002
    shape = input._data.shape
    if len(shape) < 2 or shape[-1] != shape[-2]:
        rows, cols = (shape[-2] if len(shape) > 1 else 1), (shape[-1] if shape else 1)
        raise RuntimeError(f"linalg.{name}: A must be batches of square matrices, but they are {rows} by {cols} "
                           "matrices")
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"linalg.{name}: Expected a floating point or complex tensor as input. Got "
                           f"{input.dtype.scalar_name}")


class LinalgDet(Function):
    @staticmethod
    def forward(ctx, a):
        out = np.linalg.det(a)
        ctx.save_for_backward(a, np.asarray(out))
        return np.asarray(out)

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        # d det / dA = det * inv(A)^T; torch gives 0 for a singular matrix, and so does this
        singular = out == 0
        safe = np.where(singular[..., None, None], np.eye(a.shape[-1], dtype=a.dtype), a)
        scale = np.where(singular, 0, np.asarray(grad) * out)
        return scale[..., None, None] * np.swapaxes(np.linalg.inv(safe), -1, -2)


def det(input):  # noqa: A002
    """The determinant of each square matrix."""
    _square(input, "det")
    return LinalgDet.apply(input)


class LinalgInvEx(Function):
    @staticmethod
    def forward(ctx, a):
        try:
            out = np.linalg.inv(a)
        except np.linalg.LinAlgError:
            raise _LinAlgError("linalg.inv: The diagonal element 1 is zero, the inversion could not be completed "
                               "because the input matrix is singular.") from None
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        transposed = np.swapaxes(out, -1, -2)
        return -transposed @ grad @ transposed


def inverse(input, *, out=None):  # noqa: A002
    """The inverse of each square matrix (RuntimeError for a singular one)."""
    _square(input, "inv")
    return LinalgInvEx.apply(input)


def logdet(input):  # noqa: A002
    """log(det(input)): nan for a negative determinant, -inf for zero."""
    return log(det(input))


def matrix_power(input, n):  # noqa: A002
    """The matrix to the integer power n (the identity for 0, powers of the inverse for n < 0)."""
    shape = input._data.shape
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but they are {shape[-2]} by "
                           f"{shape[-1]} matrices")
    if n == 0:  # the identity, written over a tensor of the graph as torch does (CopyBackwards)
        identity = np.broadcast_to(np.eye(shape[-1], dtype=input._data.dtype), shape)
        return mul(input, 0).copy_(Tensor._make(identity))
    base = inverse(input) if n < 0 else input
    result = base
    for _ in range(abs(n) - 1):
        result = matmul(result, base)
    return result


def index_put(input, indices, values, accumulate=False):  # noqa: A002
    """A copy of input with ``values`` written (or added, with ``accumulate``) at the tensor ``indices``."""
    return index_put_(input.clone(), indices, values, accumulate)


def index_put_(self, indices, values, accumulate=False):
    """``self[indices] = values`` (``+=`` with repeats adding up when ``accumulate``), in place."""
    index = tuple(i._data.astype(np.intp) if isinstance(i, Tensor) and i._data.dtype.kind in "iu"
                  else (i._data if isinstance(i, Tensor) else i) for i in indices)
    if not accumulate:
        from .inplace import setitem
        setitem(self, tuple(indices), values)
        return self
    v = _as_operand(values, self._data.dtype)
    if (self._requires_grad or (isinstance(v, Tensor) and v._requires_grad)) and is_grad_enabled():
        return _inplace(self, _IndexPutAccumulate.apply(_original(self, copy=False), v, index))
    _check_not_a_leaf(self)
    np.add.at(self._data, index, v._data if isinstance(v, Tensor) else v)
    self._bump_version()
    return self


class _IndexPutAccumulate(Function):
    backward_name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, a, values, index):
        ctx.index, ctx.value_shape = index, np.shape(values)
        out = a.copy()
        np.add.at(out, index, np.broadcast_to(values, out[index].shape))
        return out

    @staticmethod
    def backward(ctx, grad):
        from ..autograd import _sum_to_shape
        return grad, _sum_to_shape(grad[ctx.index], tuple(ctx.value_shape)), None


def put(input, index, source, accumulate=False):  # noqa: A002
    """A copy of input (taken as flat) with source's values at ``index``."""
    return put_(input.clone(), index, source, accumulate)


def put_(self, index, source, accumulate=False):
    """Write (or add) source's values at the flat positions ``index``, in place."""
    flat = index._data.reshape(-1).astype(np.intp)
    positions = np.unravel_index(np.where(flat < 0, flat + self._data.size, flat), self._data.shape)
    return index_put_(self, tuple(Tensor._make(p.astype(np.int64)) for p in positions), source.reshape(-1),
                      accumulate)


_MANTISSA_BITS = {np.dtype(np.float16): 11, np.dtype(np.float32): 24, np.dtype(np.float64): 53}


def random_(self, *bounds, generator=None):
    """Integers uniform on [from, to), on [0, to) with one bound, up to 2**mantissa (the dtype's largest
    integer) without any."""
    if not bounds:
        low = 0
        high = 2 ** _MANTISSA_BITS[self._data.dtype] if self._data.dtype.kind == "f" else \
            int(np.iinfo(self._data.dtype).max) + 1 if self._data.dtype != np.bool_ else 2
    else:
        low, high = (0, bounds[0]) if len(bounds) == 1 else bounds
    return _random_fill(self, "RandomBackward0", lambda g, s: g.integers(low, high, s))


def exponential_(self, lambd=1.0, *, generator=None):
    """Samples of the exponential distribution with rate ``lambd``, in place."""
    return _random_fill(self, "ExponentialBackward0", lambda g, s: g.exponential(1 / lambd, s))


def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    """Samples of exp(N(mean, std**2)), in place."""
    return _random_fill(self, "LogNormalBackward0", lambda g, s: g.lognormal(mean, std, s))


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    """Samples of the Cauchy distribution, in place."""
    return _random_fill(self, "CauchyBackward0", lambda g, s: median + sigma * g.standard_cauchy(s))


def geometric_(self, p, *, generator=None):
    """Samples of the geometric distribution (trials to the first success, from 1), in place."""
    return _random_fill(self, "GeometricBackward0", lambda g, s: g.geometric(p, s))


class Logcumsumexp(Function):
    @staticmethod
    def forward(ctx, a, axis):
        out = np.logaddexp.accumulate(a, axis=axis) if a.ndim else a.copy()   # NumPy accumulates no 0-d array
        ctx.save_for_backward(a, out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        if a.ndim == 0:
            return grad, None
        # d out_j / d a_i = exp(a_i - out_j) for j >= i: a reversed running sum of grad * exp(-out)
        with np.errstate(all="ignore"):
            weights = np.flip(np.cumsum(np.flip(grad * np.exp(-out), ctx.axis), axis=ctx.axis), ctx.axis)
            return weights * np.exp(a), None


def logcumsumexp(input, dim, *, out=None):  # noqa: A002
    """log(cumsum(exp(input))) along ``dim``, without overflow."""
    return Logcumsumexp.apply(input, _normalize_dim(dim, max(input._data.ndim, 1)))


def _nanmedian_node():
    from .order import _EvenAmongTies
    return type("Nanmedian", (_EvenAmongTies,), {"backward_name": "NanmedianBackward0", "__module__": __name__})


_NANMEDIAN = _nanmedian_node()


def nanmedian(input, dim=None, keepdim=False):  # noqa: A002
    """The lower median of the values that are not nan (nan only where all are)."""
    from .order import _picked
    a = input._data
    if dim is None:
        kept = np.sort(a[~np.isnan(a)])
        value = kept[(kept.size - 1) // 2] if kept.size else np.nan
        return _NANMEDIAN.apply(input, np.asarray(value, a.dtype))
    axis = _normalize_dim(dim, a.ndim)
    order = np.argsort(a, axis=axis, kind="stable")  # nan last
    counts = np.sum(~np.isnan(a), axis=axis, keepdims=True)
    idx = np.take_along_axis(order, np.maximum(counts - 1, 0) // 2, axis)
    result = _picked("MedianBackward1", "median", input, axis, idx, keepdim)
    return _return_types["nanmedian"](*result)


def block_diag(*tensors):
    """The tensors (0-, 1- or 2-D) as blocks along the diagonal of one matrix, zeros elsewhere."""
    from .shape import cat
    from .grids import atleast_2d
    blocks = [atleast_2d(t) for t in tensors]
    total = sum(b._data.shape[1] for b in blocks)
    rows, start = [], 0
    for b in blocks:
        width = b._data.shape[1]
        left = Tensor._make(np.zeros((b._data.shape[0], start), b._data.dtype))
        right = Tensor._make(np.zeros((b._data.shape[0], total - start - width), b._data.dtype))
        rows.append(cat([left, b, right], 1))
        start += width
    return cat(rows, 0)


TENSOR_ONLY = {"index_put_": index_put_, "put_": put_, "random_": random_, "exponential_": exponential_,
               "log_normal_": log_normal_, "cauchy_": cauchy_, "geometric_": geometric_}
