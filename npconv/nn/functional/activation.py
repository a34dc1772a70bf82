"""npconv.nn.functional: activations, as torch.nn.functional. Element-wise ones keep the shape
(*) -> (*); softmax / log_softmax normalise along ``dim``.

Each is one autograd op whose backward is torch's derivative formula, including its choice at the kinks
(relu'(0) = 0, leaky_relu'(0) = slope, hardswish'(-3) = 0, hardswish'(3) = 1).
``inplace=True`` writes the result into the input, under torch's in-place node name (LeakyReluBackward1...).
"""
import math
import warnings

import numpy as np

from ... import _ops
from ..._ops.activation import ShapeKeeping, check_floating, erf_values, sigmoid_values
from ..._ops.activation import relu_ as relu_in_place
from ..._ops.inplace import apply_in_place, write_shared, writes_through_shared_memory
from ..._graph_backward import double_backward, linear_rule, operand, refused_by_torch
from ..._tensor import Tensor
from ...autograd import is_grad_enabled
from ..._ops.parsing import check_argument

__all__ = ["relu", "relu_", "relu6", "leaky_relu", "elu", "gelu", "silu", "sigmoid", "tanh", "softmax",
           "log_softmax", "softmin", "hardswish", "hardtanh", "hardsigmoid", "softplus", "mish", "threshold"]


def _typed(x, value):
    return x.dtype.type(value)


class _Hardtanh(ShapeKeeping):
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
        inside = (x > low) & (x < high)   # torch's vectorised test; its scalar tail tests the outside
        if np.isnan(low) or np.isnan(high) or (x.dtype.kind == "f" and np.isnan(x).any()):
            inside = np.where(_vector_lanes((x, grad)), inside, ~((x <= low) | (x >= high)))
        return np.where(inside, grad, _typed(grad, 0)), None, None


def _at_nan_in_vector_blocks(result, x, grad, value, block_bytes=64):
    """``result`` with ``value`` where x is NaN in torch's vectorised blocks (its scalar tail keeps ``result``
    there): its vector comparisons treat NaN unlike its scalar ones."""
    if x.dtype.kind != "f":
        return result
    nan = np.isnan(x)
    if not nan.any():
        return result
    return np.where(nan & _vector_lanes((x, grad), block_bytes), _typed(grad, value), result)


def _vector_lanes(operands, block_bytes=64):
    """Where torch's CPU elementwise kernels take their vectorised path, as a mask of the operands' shape.
    Its vectorised comparisons treat NaN unlike its scalar loop (hardtanh's gradient at NaN is 0 in the
    vectors and passes in the scalar loop), so npconv follows the same split.

    Torch's iterator walks the elements in C order and merges the inner dimensions that are contiguous in
    every operand into one inner loop; that loop is vectorised only when every operand steps by one element
    there (one input may repeat a single value, stride 0), in whole blocks of ``block_bytes`` (one AVX-512
    vector; 128 for kernels that unroll two), and the rest of each inner loop is its scalar tail."""
    shape, itemsize = operands[0].shape, operands[0].itemsize
    inner = _contiguous_inner_size(shape, operands)
    if inner == 0:
        return np.zeros(shape, bool)
    block = block_bytes // itemsize
    position = np.arange(int(np.prod(shape))) % inner
    return (position < inner - inner % block).reshape(shape)


def _contiguous_inner_size(shape, operands):
    """The length of torch's inner loop when it is vectorisable in every operand, else 0."""
    dims = [d for d in range(len(shape)) if shape[d] != 1]
    if not dims:
        return 1
    repeats = [a.strides[dims[-1]] == 0 for a in operands]
    if sum(repeats) > 1 or any(a.strides[dims[-1]] != a.itemsize for a, r in zip(operands, repeats) if not r):
        return 0
    inner = 1
    for dim in reversed(dims):
        if not all(a.strides[dim] == (0 if r else a.itemsize * inner) for a, r in zip(operands, repeats)):
            break
        inner *= shape[dim]
    return inner


class _LeakyRelu(ShapeKeeping):
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


class _Elu(ShapeKeeping):
    backward_name = "EluBackward0"

    @staticmethod
    def forward(ctx, x, alpha):
        ctx.save_for_backward(x)
        ctx.alpha = alpha
        return np.where(x >= 0, x, _typed(x, alpha) * np.expm1(np.minimum(x, 0)))   # torch: 0 and -0 kept

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        result = np.where(x <= 0, grad * _typed(grad, ctx.alpha) * np.exp(np.minimum(x, 0)), grad)
        result = _at_nan_in_vector_blocks(result, x, grad, np.nan, 128)   # two vectors a step
        return result, None


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


class _Gelu(ShapeKeeping):
    backward_name = "GeluBackward0"

    @staticmethod
    def forward(ctx, x, approximate):
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        if approximate == "tanh":
            inner = _SQRT_2_OVER_PI * (x + 0.044715 * x ** 3)
            return (0.5 * x * (1 + np.tanh(inner))).astype(x.dtype, copy=False)
        y = (x * 0.5 * (1 + erf_values(x / math.sqrt(2.0)))).astype(x.dtype, copy=False)
        if x.dtype == np.float32 and x.size > 1 and x.flags.c_contiguous:
            # torch's vectorised float32 kernel (taken for a contiguous input) gives NaN at +inf, its scalar
            # loop (any other layout) and its float64 kernel give inf
            y = np.where(np.isposinf(x), np.float32(np.nan), y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        if ctx.approximate == "tanh":
            inner = _SQRT_2_OVER_PI * (x + 0.044715 * x ** 3)
            t = np.tanh(inner)
            d_inner = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x)
            derivative = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * d_inner
        else:
            cdf = 0.5 * (1 + erf_values(x / math.sqrt(2.0)))
            pdf = np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
            derivative = cdf + x * pdf
        return (grad * derivative).astype(grad.dtype, copy=False), None


class _Silu(ShapeKeeping):
    backward_name = "SiluBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * sigmoid_values(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        s = sigmoid_values(x)
        return grad * s * (1 + x * (1 - s))


class _Hardswish(ShapeKeeping):
    backward_name = "HardswishBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * np.clip(x + _typed(x, 3), 0, 6) / _typed(x, 6)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        middle = grad * (x / _typed(x, 3) + _typed(x, 0.5))
        result = np.where(x <= -3, _typed(grad, 0), np.where(x < 3, middle, grad))
        return _at_nan_in_vector_blocks(result, x, grad, np.nan, 128)


class _Hardsigmoid(ShapeKeeping):
    backward_name = "HardsigmoidBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.clip(x + _typed(x, 3), 0, 6) / _typed(x, 6)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        # torch's kernel multiplies by the float literal 1.0f / 6.0f, in every dtype (float64 too)
        return np.where((x > -3) & (x < 3), grad * _typed(grad, np.float32(1) / np.float32(6)), _typed(grad, 0))


class _Softplus(ShapeKeeping):
    backward_name = "SoftplusBackward0"

    @staticmethod
    def forward(ctx, x, beta, threshold):
        ctx.save_for_backward(x)
        ctx.args = (beta, threshold)
        bx = x * _typed(x, beta)
        linear = bx > threshold   # a NaN threshold: never (torch's comparison)
        with np.errstate(over="ignore"):
            soft = np.log1p(np.exp(np.where(linear, 0, bx))) / _typed(x, beta)
        return np.where(linear, x, soft).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        beta, threshold = ctx.args
        bx = x * _typed(x, beta)
        z = np.exp(bx)   # torch's z / (z + 1), not a sigmoid: NaN where z overflows (an infinite beta too)
        return np.where(bx > threshold, grad, grad * z / (z + 1)).astype(grad.dtype, copy=False), None, None


class _Mish(ShapeKeeping):
    backward_name = "MishBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * np.tanh(np.logaddexp(x, _typed(x, 0)))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        t = np.tanh(np.logaddexp(x, _typed(x, 0)))
        return grad * (t + x * sigmoid_values(x) * (1 - t * t))


class _Threshold(ShapeKeeping):
    backward_name = "ThresholdBackward0"

    @staticmethod
    def forward(ctx, x, threshold, value):
        ctx.save_for_backward(x)
        ctx.threshold = threshold
        return np.where(x <= threshold, _typed(x, value), x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return np.where(x <= ctx.threshold, _typed(grad, 0), grad), None, None


# ----------------------------------------------------------------------------------------------
# Public functions

def _apply(function, input, args, inplace, inplace_name):
    """``function(input, *args)``; with ``inplace`` written into ``input`` under torch's in-place node name."""
    if not inplace:
        return function.apply(input, *args)
    return apply_in_place(function, input, args, inplace_name)


def _inplace(input, inplace):
    """torch's refusal to overwrite a leaf that requires grad, or a view of one, for ops that return a new
    tensor even with inplace=True (dropout)."""
    if not (inplace and input.requires_grad and is_grad_enabled()):
        return
    if input.is_leaf:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    base = input._base
    if base is not None and base.is_leaf and base.requires_grad:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")


def relu(input, inplace=False):
    """max(x, 0), element-wise."""
    return relu_in_place(input) if inplace else _ops.relu(input)


def relu_(input):
    """relu written into ``input``."""
    return relu(input, inplace=True)


def _number(value):
    """A Scalar argument as a Python number (a 0-d Tensor gives its value)."""
    return value.item() if hasattr(value, "item") and not isinstance(value, (int, float)) else value


def _integral_scalar(input, value):
    """torch converts a Scalar to an integer input's dtype, refusing values outside its range."""
    info = np.iinfo(input.dtype.numpy_dtype)
    if not info.min <= value <= info.max:
        raise RuntimeError(f"value cannot be converted to type {input.dtype.numpy_dtype.name}_t without overflow")
    return int(value)


def threshold(input, threshold, value, inplace=False):
    """value where x <= threshold, else x (NaN stays NaN)."""
    name = "threshold_" if inplace else "threshold"
    check_argument(name, "threshold", "number", threshold, 2)
    check_argument(name, "value", "number", value, 3)
    threshold, value = _number(threshold), _number(value)
    if input.dtype.name == "bool":
        check_floating(input, "threshold_cpu")
    if input.dtype.numpy_dtype.kind in "iu":
        threshold, value = _integral_scalar(input, threshold), _integral_scalar(input, value)
    if inplace and writes_through_shared_memory(input):   # torch's threshold_ skips the shared-memory check
        return write_shared(input, _Threshold.apply(input, threshold, value)._data)
    return _apply(_Threshold, input, (threshold, value), inplace, "ThresholdBackward1")


def _check_hardtanh_input(input, min_val, max_val):
    if input.dtype.name == "bool":
        raise RuntimeError("Bool inputs not supported for hardtanh")
    if input.dtype.numpy_dtype.kind == "u" and (min_val < 0 or max_val < 0):
        raise RuntimeError("cannot do hardtanh on an unsigned type with negative limits")


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """clamp(x, min_val, max_val)."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return clamp_activation(input, min_val, max_val, inplace)


def clamp_activation(input, min_val, max_val, inplace=False):
    """torch's native hardtanh / hardtanh_ (no Python range check)."""
    name = "hardtanh_" if inplace else "hardtanh"
    check_argument(name, "min_val", "number", min_val, 2)
    check_argument(name, "max_val", "number", max_val, 3)
    min_val, max_val = _number(min_val), _number(max_val)
    _check_hardtanh_input(input, min_val, max_val)
    return _apply(_Hardtanh, input, (min_val, max_val), inplace, "HardtanhBackward0")


def relu6(input, inplace=False):
    """min(max(x, 0), 6)."""
    _check_hardtanh_input(input, 0.0, 6.0)
    return _apply(_Hardtanh, input, (0.0, 6.0), inplace, "HardtanhBackward0")


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x if x > 0 else negative_slope * x."""
    check_argument("leaky_relu_" if inplace else "leaky_relu", "negative_slope", "number", negative_slope, 2)
    check_floating(input, "leaky_relu_cpu", inplace)
    return _apply(_LeakyRelu, input, (_number(negative_slope),), inplace, "LeakyReluBackward1")


def elu(input, alpha=1.0, inplace=False):
    """x if x > 0 else alpha * (exp(x) - 1)."""
    check_argument("elu_" if inplace else "elu", "alpha", "number", alpha, 2)
    check_floating(input, "elu_cpu", inplace)
    return _apply(_Elu, input, (_number(alpha),), inplace, "EluBackward1")


def gelu(input, *, approximate="none"):   # keyword-only, as torch
    """x * Phi(x) (Phi: the standard normal CDF); approximate='tanh' uses
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    check_argument("gelu", "approximate", "str", approximate)
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    check_floating(input, "GeluKernelImpl")
    return _Gelu.apply(input, approximate)


def silu(input, inplace=False):
    """x * sigmoid(x) (swish)."""
    check_floating(input, "silu_cpu", inplace)
    return _apply(_Silu, input, (), inplace, "SiluBackward0")


def sigmoid(input):
    """1 / (1 + exp(-x))."""
    return _ops.sigmoid(input)


def tanh(input):
    """tanh(x)."""
    return _ops.tanh(input)


def hardswish(input, inplace=False):
    """x * relu6(x + 3) / 6."""
    check_floating(input, "hardswish_cpu", inplace)
    return _apply(_Hardswish, input, (), inplace, "HardswishBackward0")


def hardsigmoid(input, inplace=False):
    """relu6(x + 3) / 6."""
    check_floating(input, "hardsigmoid_cpu", inplace)
    return _apply(_Hardsigmoid, input, (), inplace, "HardsigmoidBackward0")


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta x)) / beta, and x where beta x > threshold."""
    check_argument("softplus", "beta", "number", beta, 2)
    check_argument("softplus", "threshold", "number", threshold, 3)
    check_floating(input, "softplus_cpu")
    return _Softplus.apply(input, _number(beta), _number(threshold))


def mish(input, inplace=False):
    """x * tanh(softplus(x))."""
    check_floating(input, "mish_cpu", inplace)
    return _apply(_Mish, input, (), inplace, "MishBackward0")


def _softmax_dim(name, ndim, stacklevel):
    """torch's legacy implicit dim: 0 for 0-, 1- and 3-d inputs, else 1 (with a warning)."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
                  "dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(x_i) / sum_j exp(x_j) along ``dim`` (computed with the max subtracted, so it never overflows)."""
    if dim is None:
        dim = _softmax_dim("softmax", input.dim(), _stacklevel)
    check_argument("softmax", "dim", "int", dim, 1)
    check_argument("softmax", "dtype", "dtype?", dtype)   # passed on by keyword: no position in the message
    return _ops.softmax(input, dim, dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-x) along ``dim``."""
    if dim is None:
        dim = _softmax_dim("softmin", input.dim(), _stacklevel)
    check_argument("softmax", "dim", "int", dim, 1)
    check_argument("softmax", "dtype", "dtype?", dtype)   # passed on by keyword: no position in the message
    return _ops.softmax(-input, dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """x_i - log(sum_j exp(x_j)) along ``dim``, numerically stable (log-sum-exp with the max taken out)."""
    if dim is None:
        dim = _softmax_dim("log_softmax", input.dim(), _stacklevel)
    check_argument("log_softmax", "dim", "int", dim, 1)
    check_argument("log_softmax", "dtype", "dtype?", dtype)   # passed on by keyword: no position in the message
    return _ops.log_softmax(input, dim, dtype)


# --------------------------------------------------------------------------------------------------
# Higher-order gradients (create_graph=True): see npconv/_graph_backward.py

def _input_of(node):
    return operand(node, 0, *node.saved_tensors)


# a gradient times a piecewise-constant mask of the input: torch sends the input a zero second-order gradient
double_backward(_Hardsigmoid)(refused_by_torch("hardsigmoid_backward"))
double_backward(_LeakyRelu, _Hardtanh, _Threshold)(
    linear_rule(("self",), lambda node: (_input_of(node),)))


@double_backward(_Hardswish)
def _hardswish_gradient(node, g):
    x = _input_of(node)
    below, inside = (Tensor._make(mask) for mask in (x._data <= -3, x._data < 3))
    return _ops.where(below, 0.0, _ops.where(inside, g * (x / 3 + 0.5), g))


@double_backward(_Mish)
def _mish_gradient(node, g):
    x = _input_of(node)
    t = softplus(x).tanh()
    return g * (t + x * x.sigmoid() * (1 - t * t))


@double_backward(_Silu)
def _silu_gradient(node, g):
    x = _input_of(node)
    s = x.sigmoid()
    return (g * s * (1 + x * (1 - s)),)


@double_backward(_Elu)
def _elu_gradient(node, g):
    x = _input_of(node)
    negative = Tensor._make(x._data <= 0)
    return _ops.where(negative, g * node.alpha * x.clamp(max=0).exp(), g), None


@double_backward(_Softplus)
def _softplus_gradient(node, g):
    x = _input_of(node)
    beta, threshold = node.args
    scaled = x * beta
    return _ops.where(Tensor._make(scaled._data > threshold), g, g * scaled.sigmoid()), None, None


@double_backward(_Gelu)
def _gelu_gradient(node, g):
    x = _input_of(node)
    if node.approximate == "tanh":
        t = (_SQRT_2_OVER_PI * (x + 0.044715 * x ** 3)).tanh()
        derivative = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * (_SQRT_2_OVER_PI * (1 + 3 * 0.044715 * x * x))
    else:
        derivative = 0.5 * (1 + (x / math.sqrt(2.0)).erf()) + x * (-0.5 * x * x).exp() / math.sqrt(2.0 * math.pi)
    return g * derivative, None
