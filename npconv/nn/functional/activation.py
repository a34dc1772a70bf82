"""npconv.nn.functional: activations, as torch.nn.functional. Element-wise ones keep the shape
(*) -> (*); softmax / log_softmax normalise along ``dim``.

Each is one autograd op whose backward is torch's derivative formula, including its choice at the kinks
(relu'(0) = 0, leaky_relu'(0) = slope, hardswish'(-3) = 0, hardswish'(3) = 1).
``inplace=True`` is accepted for compatibility; the result is a new tensor either way.
"""
import functools
import math
import warnings

import numpy as np
from numpy.polynomial import chebyshev

from ...autograd import Function, is_grad_enabled

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


def _erf_float64(x):
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


try:  # scipy's erf when installed (a compiled ufunc), else the NumPy one above
    from scipy.special import erf as _erf
except ImportError:
    _erf = _erf_float64

__all__ = ["relu", "relu_", "relu6", "leaky_relu", "elu", "gelu", "silu", "sigmoid", "tanh", "softmax",
           "log_softmax", "softmin", "hardswish", "hardtanh", "hardsigmoid", "softplus", "mish", "threshold"]


class _ShapeKeeping(Function):
    """Base of the ops whose output has the input's shape and dtype (all activations here)."""

    @staticmethod
    def meta(x, *args, **kwargs):
        """Shape-only mode: nothing to compute, the output looks like the input."""
        return x.shape, x.dtype


def _typed(x, value):
    return x.dtype.type(value)


class _Relu(_ShapeKeeping):
    backward_name = "ReluBackward0"

    @staticmethod
    def forward(ctx, x):
        y = np.maximum(x, _typed(x, 0))  # NaN stays NaN
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return np.where(y <= 0, _typed(grad, 0), grad)


class _Hardtanh(_ShapeKeeping):
    backward_name = "HardtanhBackward0"

    @staticmethod
    def forward(ctx, x, low, high):
        ctx.save_for_backward(x)
        ctx.bounds = (low, high)
        return np.clip(x, _typed(x, low), _typed(x, high))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        low, high = ctx.bounds
        return np.where((x <= low) | (x >= high), _typed(grad, 0), grad), None, None


class _LeakyRelu(_ShapeKeeping):
    backward_name = "LeakyReluBackward0"

    @staticmethod
    def forward(ctx, x, slope):
        ctx.save_for_backward(x)
        ctx.slope = slope
        return np.where(x > 0, x, x * _typed(x, slope))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return np.where(x > 0, grad, grad * _typed(grad, ctx.slope)), None


class _Elu(_ShapeKeeping):
    backward_name = "EluBackward0"

    @staticmethod
    def forward(ctx, x, alpha):
        ctx.save_for_backward(x)
        ctx.alpha = alpha
        return np.where(x > 0, x, _typed(x, alpha) * np.expm1(np.minimum(x, 0)))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return np.where(x <= 0, grad * _typed(grad, ctx.alpha) * np.exp(np.minimum(x, 0)), grad), None


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


class _Gelu(_ShapeKeeping):
    backward_name = "GeluBackward0"

    @staticmethod
    def forward(ctx, x, approximate):
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        if approximate == "tanh":
            inner = _SQRT_2_OVER_PI * (x + 0.044715 * x ** 3)
            return (0.5 * x * (1 + np.tanh(inner))).astype(x.dtype, copy=False)
        return (x * 0.5 * (1 + _erf(x / math.sqrt(2.0)))).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        if ctx.approximate == "tanh":
            inner = _SQRT_2_OVER_PI * (x + 0.044715 * x ** 3)
            t = np.tanh(inner)
            d_inner = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
            derivative = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * d_inner
        else:
            cdf = 0.5 * (1 + _erf(x / math.sqrt(2.0)))
            pdf = np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
            derivative = cdf + x * pdf
        return (grad * derivative).astype(grad.dtype, copy=False), None


def _sigmoid(x):
    # exp of a non-positive number only: no overflow warning for large |x|
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


class _Silu(_ShapeKeeping):
    backward_name = "SiluBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * _sigmoid(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        s = _sigmoid(x)
        return grad * s * (1 + x * (1 - s))


class _Sigmoid(_ShapeKeeping):
    backward_name = "SigmoidBackward0"

    @staticmethod
    def forward(ctx, x):
        y = _sigmoid(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (1 - y) * y


class _Tanh(_ShapeKeeping):
    backward_name = "TanhBackward0"

    @staticmethod
    def forward(ctx, x):
        y = np.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * (1 - y * y)


class _Softmax(_ShapeKeeping):
    backward_name = "SoftmaxBackward0"

    @staticmethod
    def forward(ctx, x, dim):
        shifted = x - np.max(x, axis=dim, keepdims=True)  # numerically stable
        e = np.exp(shifted)
        y = e / np.sum(e, axis=dim, keepdims=True)
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return y * (grad - np.sum(grad * y, axis=ctx.dim, keepdims=True)), None


class _LogSoftmax(_ShapeKeeping):
    backward_name = "LogSoftmaxBackward0"

    @staticmethod
    def forward(ctx, x, dim):
        shifted = x - np.max(x, axis=dim, keepdims=True)
        y = shifted - np.log(np.sum(np.exp(shifted), axis=dim, keepdims=True))
        ctx.save_for_backward(y)
        ctx.dim = dim
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad - np.exp(y) * np.sum(grad, axis=ctx.dim, keepdims=True), None


class _Hardswish(_ShapeKeeping):
    backward_name = "HardswishBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * np.clip(x + _typed(x, 3), 0, 6) / _typed(x, 6)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        middle = grad * (x / _typed(x, 3) + _typed(x, 0.5))
        return np.where(x <= -3, _typed(grad, 0), np.where(x < 3, middle, grad))


class _Hardsigmoid(_ShapeKeeping):
    backward_name = "HardsigmoidBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.clip(x + _typed(x, 3), 0, 6) / _typed(x, 6)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return np.where((x > -3) & (x < 3), grad / _typed(grad, 6), _typed(grad, 0))


class _Softplus(_ShapeKeeping):
    backward_name = "SoftplusBackward0"

    @staticmethod
    def forward(ctx, x, beta, threshold):
        ctx.save_for_backward(x)
        ctx.args = (beta, threshold)
        bx = x * _typed(x, beta)
        with np.errstate(over="ignore"):
            soft = np.log1p(np.exp(np.minimum(bx, threshold))) / _typed(x, beta)
        return np.where(bx > threshold, x, soft).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        beta, threshold = ctx.args
        bx = x * _typed(x, beta)
        return np.where(bx > threshold, grad, grad * _sigmoid(bx)), None, None


class _Mish(_ShapeKeeping):
    backward_name = "MishBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * np.tanh(np.logaddexp(x, _typed(x, 0)))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        t = np.tanh(np.logaddexp(x, _typed(x, 0)))
        return grad * (t + x * _sigmoid(x) * (1 - t * t))


class _Threshold(_ShapeKeeping):
    backward_name = "ThresholdBackward0"

    @staticmethod
    def forward(ctx, x, threshold, value):
        ctx.save_for_backward(x)
        ctx.threshold = threshold
        return np.where(x > threshold, x, _typed(x, value))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return np.where(x <= ctx.threshold, _typed(grad, 0), grad), None, None


# ----------------------------------------------------------------------------------------------
# Public functions

def _inplace(input, inplace):
    """torch refuses to overwrite a leaf that requires grad; npconv never overwrites (returns a new tensor)."""
    if inplace and input.requires_grad and input.is_leaf and is_grad_enabled():
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")


def _floating(input, name):
    if input.dtype.numpy_dtype.kind != "f":
        type_name = {"int64": "Long", "int32": "Int", "bool": "Bool", "uint8": "Byte"}.get(
            input.dtype.name, input.dtype.name)
        raise NotImplementedError(f'"{name}" not implemented for \'{type_name}\'')


def relu(input, inplace=False):
    """max(x, 0), element-wise."""
    _inplace(input, inplace)
    return _Relu.apply(input)


def relu_(input):
    """relu (npconv returns a new tensor)."""
    _inplace(input, True)
    return _Relu.apply(input)


def threshold(input, threshold, value, inplace=False):
    """x if x > threshold else value."""
    _inplace(input, inplace)
    return _Threshold.apply(input, threshold, value)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """clamp(x, min_val, max_val)."""
    _inplace(input, inplace)
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _Hardtanh.apply(input, min_val, max_val)


def relu6(input, inplace=False):
    """min(max(x, 0), 6)."""
    _inplace(input, inplace)
    return _Hardtanh.apply(input, 0.0, 6.0)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x if x > 0 else negative_slope * x."""
    _inplace(input, inplace)
    return _LeakyRelu.apply(input, negative_slope)


def elu(input, alpha=1.0, inplace=False):
    """x if x > 0 else alpha * (exp(x) - 1)."""
    _inplace(input, inplace)
    return _Elu.apply(input, alpha)


def gelu(input, approximate="none"):
    """x * Phi(x) (Phi: the standard normal CDF); approximate='tanh' uses
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    _floating(input, "GeluKernelImpl")
    return _Gelu.apply(input, approximate)


def silu(input, inplace=False):
    """x * sigmoid(x) (swish)."""
    _inplace(input, inplace)
    return _Silu.apply(input)


def sigmoid(input):
    """1 / (1 + exp(-x))."""
    return _Sigmoid.apply(input)


def tanh(input):
    """tanh(x)."""
    return _Tanh.apply(input)


def hardswish(input, inplace=False):
    """x * relu6(x + 3) / 6."""
    _inplace(input, inplace)
    return _Hardswish.apply(input)


def hardsigmoid(input, inplace=False):
    """relu6(x + 3) / 6."""
    _inplace(input, inplace)
    return _Hardsigmoid.apply(input)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta x)) / beta, and x where beta x > threshold."""
    return _Softplus.apply(input, beta, threshold)


def mish(input, inplace=False):
    """x * tanh(softplus(x))."""
    _inplace(input, inplace)
    return _Mish.apply(input)


def _softmax_dim(name, ndim, stacklevel):
    """torch's legacy implicit dim: 0 for 0-, 1- and 3-d inputs, else 1 (with a warning)."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
                  "dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def _normalised_dim(dim, ndim):
    rank = max(ndim, 1)
    if not -rank <= dim < rank:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-rank}, {rank - 1}], "
                         f"but got {dim})")
    return dim % rank


def _softmax_like(op, name, input, dim, dtype, stacklevel):
    if dim is None:
        dim = _softmax_dim(name, input.dim(), stacklevel + 1)
    dim = _normalised_dim(dim, input.dim())
    if dtype is not None:
        input = input.to(dtype)
    _floating(input, f"{name}_lastdim_kernel_impl")
    if input.dim() == 0:
        return op.apply(input.reshape(1), 0).reshape(())
    return op.apply(input, dim)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(x_i) / sum_j exp(x_j) along ``dim`` (computed with the max subtracted, so it never overflows)."""
    return _softmax_like(_Softmax, "softmax", input, dim, dtype, _stacklevel)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-x) along ``dim``."""
    return _softmax_like(_Softmax, "softmin", -input, dim, dtype, _stacklevel)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """x_i - log(sum_j exp(x_j)) along ``dim``, numerically stable (log-sum-exp with the max taken out)."""
    return _softmax_like(_LogSoftmax, "log_softmax", input, dim, dtype, _stacklevel)
