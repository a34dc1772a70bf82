"""The activations torch has at top level: relu, sigmoid, tanh, softmax, log_softmax and erf, implemented
once here and reached from ``npconv.*``, the Tensor methods and ``npconv.nn.functional`` (which adds only
its own argument handling). Each backward is torch's derivative formula, including its choices at the
edges: relu passes the gradient where the output is NaN (only ``y <= 0`` blocks it, as torch's
threshold_backward); sigmoid is torch's 1 / (1 + exp(-x)), so where exp(-x) overflows (float32 x < -88.7)
it is exactly 0 as in torch 2.13, not the subnormal a rearranged formula would give.
"""
import functools
import math

import numpy as np
from numpy.polynomial import chebyshev

from .._tensor import Tensor, _normalize_dim
from ..autograd import Function
from ..kernels.elementwise import relu as relu_values, zero_where_compared
from .inplace import apply_in_place, check_inplace_target
from .promotion import _floating

__all__ = ["relu", "sigmoid", "tanh", "softmax", "log_softmax", "erf"]


# ----------------------------------------------------------------------------------------------
# erf without scipy (an optional dependency): vectorised NumPy, float64 accurate (about 5e-16 relative
# to math.erf over the whole line). Three regimes:
#   |x| < 1:      the Maclaurin series erf(x) = 2/sqrt(pi) sum_n (-1)^n x^(2n+1) / (n! (2n+1)) (20 terms
#                 leave less than 1e-18; alternating terms of at most twice the result: no cancellation)
#   1 <= |x| < 6: erf(x) = 1 - exp(-x^2) erfcx(x), with the scaled complement erfcx = exp(x^2) erfc(x),
#                 smooth and slowly varying (about 1 / (x sqrt(pi))), interpolated by Chebyshev
#                 polynomials fitted once from math.erfc; its error is then damped by exp(-x^2) <= 0.37
#   |x| >= 6:     erfc(6) = 2e-17 is below half an ulp of 1: erf is +-1

_ERF_SERIES = np.array([2 / math.sqrt(math.pi) * (-1) ** n / (math.factorial(n) * (2 * n + 1))
                        for n in range(20)])
_ERFCX_PIECES = ((1.0, 2.5), (2.5, 4.0), (4.0, 6.0))
_ERFCX_DEGREE = 18


@functools.lru_cache(maxsize=None)
def _erfcx_coefficients():
    """Chebyshev coefficients of erfcx on each piece (fitted on first use: a few dozen math.erfc calls)."""
    def erfcx(points):
        return np.array([math.erfc(t) * math.exp(t * t) for t in points])
    return tuple(chebyshev.Chebyshev.interpolate(erfcx, _ERFCX_DEGREE, domain=piece).coef
                 for piece in _ERFCX_PIECES)


def erf_float64(x):
    """erf(x) element-wise in float64 (NaN stays NaN, erf(+-inf) = +-1, the sign of -0.0 is kept)."""
    x = np.asarray(x, dtype=np.float64)
    magnitude = np.abs(x)
    result = np.ones_like(magnitude)
    small = magnitude < 1.0
    t = magnitude[small]
    square = t * t
    series = np.full_like(t, _ERF_SERIES[-1])
    for c in _ERF_SERIES[-2::-1]:  # Horner in x^2, in place
        series *= square
        series += c
    result[small] = series * t
    for (low, high), coefficients in zip(_ERFCX_PIECES, _erfcx_coefficients()):
        inside = (magnitude >= low) & (magnitude < high)
        t = magnitude[inside]
        scaled = chebyshev.chebval((2 * t - (low + high)) / (high - low), coefficients)
        result[inside] = 1 - np.exp(-t * t) * scaled
    result[np.isnan(x)] = np.nan
    return np.copysign(result, x)


# scipy's erf when installed (a compiled ufunc), else the NumPy one above. Looked up on first use:
# importing scipy.special costs ~0.1 s that ``import npconv`` should not pay for an op few models call.
_NOT_LOOKED_UP = object()
_scipy_erf = _NOT_LOOKED_UP


def _scipy_erf_or_none():
    global _scipy_erf
    if _scipy_erf is _NOT_LOOKED_UP:
        try:
            from scipy.special import erf as found
        except ImportError:
            found = None
        _scipy_erf = found
    return _scipy_erf


def erf_values(x):
    """erf of an ndarray, in the array's dtype (scipy's ufunc when installed, else ``erf_float64``)."""
    scipy_erf = _scipy_erf_or_none()
    values = erf_float64(x) if scipy_erf is None else scipy_erf(x)
    return np.asarray(values).astype(x.dtype, copy=False)


def sigmoid_values(x):
    """1 / (1 + exp(-x)) of an ndarray, in its dtype, written as torch's kernel writes it: an overflowing
    exp(-x) gives exactly 0 (silently: torch does not warn)."""
    with np.errstate(over="ignore"):
        return (1 / (1 + np.exp(-x))).astype(x.dtype, copy=False)


def _typed(x, value):
    return x.dtype.type(value)


def check_floating(input, kernel, inplace=False):  # noqa: A002
    """torch's NotImplementedError for an integer or bool input to a kernel defined for floats only (an
    in-place kernel first refuses a target whose elements share memory)."""
    if inplace:
        check_inplace_target(input)
    if input.dtype.numpy_dtype.kind != "f":
        raise NotImplementedError(f'"{kernel}" not implemented for \'{input.dtype.scalar_name}\'')


# ----------------------------------------------------------------------------------------------
# The Functions


class ShapeKeeping(Function):
    """Base of the ops whose output has the input's shape and dtype (every activation)."""

    @staticmethod
    def meta(x, *args, **kwargs):
        """Shape-only mode: nothing to compute, the output looks like the input."""
        return x.shape, x.dtype


class Relu(ShapeKeeping):
    backward_reads_input = False   # only the output is saved: relu_ needs no copy of the original values

    @staticmethod
    def forward(ctx, x):
        y = relu_values(x)  # x unless x < 0: NaN stays NaN, -0.0 stays -0.0 (as torch)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return zero_where_compared(grad, y, np.less_equal)


class ReluInPlace(Relu):
    """relu written into its input's own (writeable) memory, for ``relu(x, inplace=True)``: no result-sized
    array and no copy back (the in-place machinery finds the result already in place)."""

    returns_view = True   # the output is the input's memory

    @staticmethod
    def forward(ctx, x):
        y = relu_values(x, out=x)
        ctx.save_for_backward(y)
        return y


class Sigmoid(ShapeKeeping):
    backward_reads_input = False

    @staticmethod
    def forward(ctx, x):
        y = sigmoid_values(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (1 - y) * y


class Tanh(ShapeKeeping):
    backward_reads_input = False

    @staticmethod
    def forward(ctx, x):
        y = np.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (1 - y * y)


_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


class Erf(ShapeKeeping):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return erf_values(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * (_typed(x, _TWO_OVER_SQRT_PI) * np.exp(-(x * x)))


def _output_saved_along(ctx, y, dim):
    """Softmax-like ops differentiate through their output along ``dim``: keep both for backward. torch
    returns it contiguous whatever the input's layout."""
    y = np.asarray(y, order="C")
    ctx.save_for_backward(y)
    ctx.dim = dim
    return y


class Softmax(ShapeKeeping):
    @staticmethod
    def forward(ctx, x, dim):
        if x.size == 0:
            return _output_saved_along(ctx, x.copy(), dim)
        e = np.exp(x - np.max(x, axis=dim, keepdims=True))  # the max subtracted: never overflows
        return _output_saved_along(ctx, e / np.sum(e, axis=dim, keepdims=True), dim)

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return y * (grad - np.sum(grad * y, axis=ctx.dim, keepdims=True)), None


class LogSoftmax(ShapeKeeping):
    @staticmethod
    def forward(ctx, x, dim):
        if x.size == 0:
            return _output_saved_along(ctx, x.copy(), dim)
        shifted = x - np.max(x, axis=dim, keepdims=True)
        return _output_saved_along(ctx, shifted - np.log(np.sum(np.exp(shifted), axis=dim, keepdims=True)), dim)

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad - np.exp(y) * np.sum(grad, axis=ctx.dim, keepdims=True), None


# ----------------------------------------------------------------------------------------------
# The public functions


def relu(input):  # noqa: A002
    """max(input, 0), element-wise (integers stay integers; NaN stays NaN)."""
    if input._data.dtype == np.bool_:
        raise RuntimeError("Boolean inputs not supported for relu")
    return Relu.apply(input)


def relu_(input):  # noqa: A002
    """relu written into ``input``: straight into its memory when it can take it (a writeable float array),
    else computed and copied in."""
    data = input._data
    if data.dtype == np.bool_:
        raise RuntimeError("Boolean inputs not supported for relu")
    into = data.flags.writeable and not input._meta and data.dtype.kind == "f"
    return apply_in_place(ReluInPlace if into else Relu, input, (), "ReluBackward0")


def sigmoid(input, *, out=None):  # noqa: A002
    """1 / (1 + exp(-input)); integers give the default float dtype."""
    return Sigmoid.apply(_floating(input))


def tanh(input, *, out=None):  # noqa: A002
    """Hyperbolic tangent; integers give the default float dtype."""
    return Tanh.apply(_floating(input))


def erf(input, *, out=None):  # noqa: A002
    """The error function 2/sqrt(pi) * integral_0^x exp(-t^2) dt; its gradient is 2/sqrt(pi) exp(-x^2)."""
    return Erf.apply(_floating(input))


def _along_dim(op, kernel, input, dim, dtype):  # noqa: A002
    dim = _normalize_dim(dim, input._data.ndim)
    if dtype is not None:
        input = input.to(dtype)
    if input._data.size == 0:  # torch runs no kernel on an empty input: any dtype passes, as it is
        return op.apply(input, dim) if input.dtype.is_floating_point else input.clone()
    # torch's kernel for the last dim has its own name in the message
    check_floating(input, kernel if dim == input._data.ndim - 1 or input._data.ndim == 0
                   else kernel.replace("_lastdim", ""))
    if input._data.ndim == 0:
        return op.apply(input.reshape(1), 0).reshape(())
    return op.apply(input, dim)


def softmax(input, dim, dtype=None):  # noqa: A002
    """exp(x_i) / sum_j exp(x_j) along ``dim`` (computed with the max subtracted, so it never overflows);
    ``dtype`` converts the input first."""
    return _along_dim(Softmax, "softmax_lastdim_kernel_impl", input, dim, dtype)


def log_softmax(input, dim, dtype=None):  # noqa: A002
    """x_i - log(sum_j exp(x_j)) along ``dim``, numerically stable (log-sum-exp with the max taken out)."""
    return _along_dim(LogSoftmax, "log_softmax_lastdim_kernel_impl", input, dim, dtype)
