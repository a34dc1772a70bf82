"""npconv.nn.functional: the less common activations (selu, celu, prelu, rrelu, glu, logsigmoid, softsign,
softshrink, hardshrink, tanhshrink) and the in-place ``*_`` forms torch keeps in F (elu_, leaky_relu_,
hardtanh_, threshold_, selu_, celu_, rrelu_), as torch.

Element-wise ones keep the shape (*) -> (*); glu halves ``dim``. Ops torch computes as one kernel are one
node here with torch's name (EluBackward0 for selu, as torch); ops torch composes (softsign, tanhshrink) are
composed from the same Tensor ops, so the graph shows the same nodes. The in-place forms write into the
input and name the node as torch's in-place kernels (EluBackward1, LeakyReluBackward1, ...).
"""
import numpy as np

from ... import random as _random
from ..._graph_backward import double_backward, linear_rule, operand
from ..._tensor import Tensor, _normalize_dim
from ..._ops.activation import ShapeKeeping, check_floating, sigmoid_values
from ..._ops.elementwise import where
from ..._ops.shape import cat
from .activation import (_apply, _at_nan_in_vector_blocks, _number, _typed, _vector_lanes, clamp_activation,
                         leaky_relu)
from .activation import threshold as _threshold
from ..._ops.inplace import _check_not_a_leaf
from ..._ops.parsing import check_argument, check_arguments, native

__all__ = ["selu", "selu_", "celu", "celu_", "prelu", "rrelu", "rrelu_", "glu", "logsigmoid", "softsign",
           "softshrink", "hardshrink", "tanhshrink", "elu_", "leaky_relu_", "hardtanh_", "threshold_", "gumbel_softmax"]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


class _ScaledElu(ShapeKeeping):
    """scale * (x if x >= 0 else alpha * (exp(x * input_scale) - 1)): torch's one kernel for elu, selu, celu.
    The backward may use its own input_scale: torch's celu derivative takes 1 / alpha with alpha rounded to
    float32 (so celu'(0) for alpha 0.3 is 0.99999996, not 1)."""

    backward_name = "EluBackward0"

    @staticmethod
    def forward(ctx, x, alpha, scale, input_scale, backward_input_scale=None):
        ctx.save_for_backward(x)
        ctx.coefficients = (alpha, scale, input_scale if backward_input_scale is None else backward_input_scale)
        with np.errstate(over="ignore", invalid="ignore"):
            negative = _typed(x, alpha) * np.expm1(np.minimum(x, 0) * _typed(x, input_scale))
            return (np.where(x >= 0, x, negative) * _typed(x, scale)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        alpha, scale, input_scale = ctx.coefficients
        t = grad.dtype.type
        with np.errstate(over="ignore", invalid="ignore"):
            negative = grad * t(input_scale) * t(alpha) * t(scale) * np.exp(np.minimum(x, 0) * t(input_scale))
        result = np.where(x <= 0, negative, grad * t(scale))
        result = _at_nan_in_vector_blocks(result, x, grad, np.nan, 128)   # two vectors a step
        return result, None, None, None, None


class _Celu(_ScaledElu):
    backward_name = "CeluBackward0"


def selu(input, inplace=False):
    """scale * elu(x, alpha) with torch's self-normalising constants (alpha 1.6733, scale 1.0507)."""
    check_floating(input, "elu_cpu", inplace)
    return _apply(_ScaledElu, input, (_SELU_ALPHA, _SELU_SCALE, 1.0, None), inplace, "EluBackward1")


def selu_(input):
    return selu(input, inplace=True)


def celu(input, alpha=1.0, inplace=False):
    """x if x > 0 else alpha * (exp(x / alpha) - 1)."""
    check_argument("celu_" if inplace else "celu", "alpha", "number", alpha, 2)
    alpha = _number(alpha)
    if inplace:   # torch's autograd refuses a leaf (or a view of one) before celu_ reads alpha
        _check_not_a_leaf(input)
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    check_floating(input, "elu_cpu", inplace)
    return _apply(_Celu, input, (alpha, 1.0, 1.0 / alpha, 1.0 / float(np.float32(alpha))), inplace,
                  "CeluBackward1")


def celu_(input, alpha=1.0):
    return celu(input, alpha, inplace=True)


@native("elu_", alpha="number")
def elu_(input, alpha=1.0):
    """elu written into ``input``."""
    check_floating(input, "elu_cpu", True)
    return _apply(_ScaledElu, input, (alpha, 1.0, 1.0, None), True, "EluBackward1")


def leaky_relu_(input, negative_slope=0.01):
    """leaky_relu written into ``input``."""
    return leaky_relu(input, negative_slope, inplace=True)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """hardtanh written into ``input`` (torch's native op: no Python check of min_val <= max_val)."""
    return clamp_activation(input, min_val, max_val, inplace=True)


def threshold_(input, threshold, value):
    """threshold written into ``input``."""
    return _threshold(input, threshold, value, inplace=True)


class _Prelu(ShapeKeeping):
    """x if x > 0 else w * x, with one learnable slope per channel (dim 1) or one for all."""

    backward_name = "PreluKernelBackward0"

    @staticmethod
    def forward(ctx, x, weight):
        ctx.save_for_backward(x, weight)
        return np.where(x > 0, x, x * weight)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        return np.where(x > 0, grad, grad * weight), np.where(x > 0, 0, grad * x).astype(grad.dtype, copy=False)


@native("prelu", input="Tensor", weight="Tensor")
def prelu(input, weight):
    """x if x > 0 else weight * x; ``weight`` holds 1 slope or one per channel (dim 1 of input)."""
    if input.dtype != weight.dtype:
        raise RuntimeError(f"prelu: Type promoting not supported. Got {input.dtype.scalar_name} and "
                           f"{weight.dtype.scalar_name}")
    channels = input.shape[1] if input.dim() >= 2 else 1
    if weight.numel() != 1:
        if input.dim() == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        if weight.numel() != channels:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                               f"{weight.numel()} and channel size = {channels}.")
    if weight.dim() > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {weight.dim()}")
    shape = [1] * input.dim()
    if weight.numel() != 1:
        shape[1] = channels
    slopes = weight.reshape(shape) if input.dim() else weight.reshape(())
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"prelu_cpu\" not implemented for '{input.dtype.scalar_name}'")
    return _Prelu.apply(input, slopes)


class _RreluWithNoise(ShapeKeeping):
    """x if x >= 0 else slope * x; the slope is (lower + upper) / 2, or drawn per element when training."""

    backward_name = "RreluWithNoiseBackward0"

    @staticmethod
    def forward(ctx, x, slopes):
        ctx.slopes = slopes
        return (x * slopes).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        return (grad * ctx.slopes).astype(grad.dtype, copy=False), None


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomised leaky ReLU: negative inputs scaled by a slope drawn from U(lower, upper) when training,
    by the mean slope (lower + upper) / 2 otherwise."""
    # torch's wrapper passes every argument by position to the native op (rrelu_ when inplace)
    check_arguments("rrelu_" if inplace else "rrelu", _RRELU_KINDS, {"lower": lower, "upper": upper,
                                                                     "training": training}, positional=4)
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    # torch's eval-mode rrelu is its leaky_relu kernel
    check_floating(input, "rrelu_with_noise_out_cpu" if training else "leaky_relu_cpu", inplace)
    if input.is_meta:   # shape only (a summary's or a tiling plan's trace): no values to choose slopes for
        return _apply(_RreluWithNoise, input, (None,), inplace, "RreluWithNoiseBackward1")
    x = input.detach().numpy()
    dtype = x.dtype.type
    if training:
        drawn = _random.generator().uniform(lower, upper, x.shape).astype(x.dtype)
        slopes = np.where(x <= 0, drawn, dtype(1))
    else:
        slopes = np.where(x > 0, dtype(1), dtype((lower + upper) / 2))  # torch: the slope at 0 too
    return _apply(_RreluWithNoise, input, (slopes,), inplace, "RreluWithNoiseBackward1")


_RRELU_KINDS = (("lower", "number", 2), ("upper", "number", 3), ("training", "bool", 4))


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu(input, lower, upper, training, inplace=True)


class _Glu(ShapeKeeping):
    backward_name = "GluBackward0"

    @staticmethod
    def forward(ctx, x, dim):
        a, b = np.split(x, 2, axis=dim)
        gate = sigmoid_values(b)
        ctx.parts, ctx.dim = (a, gate), dim
        return a * gate

    @staticmethod
    def backward(ctx, grad):
        a, gate = ctx.parts
        with np.errstate(invalid="ignore", over="ignore"):
            return np.concatenate([grad * gate, grad * a * gate * (1 - gate)], axis=ctx.dim), None

    @staticmethod
    def meta(x, dim):
        shape = list(x.shape)
        shape[dim] //= 2
        return tuple(shape), x.dtype


def glu(input, dim=-1):
    """a * sigmoid(b), a and b the two halves of ``input`` along ``dim``."""
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    check_argument("glu", "dim", "int", dim, 2)
    dim = _normalize_dim(dim, input.dim())
    if input.shape[dim] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim} is size {input.shape[dim]}")
    check_floating(input, "glu_cpu")
    return _Glu.apply(input, dim)


class _LogSigmoid(ShapeKeeping):
    backward_name = "LogSigmoidBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        z = np.exp(-np.abs(x))
        negative = x < 0
        return grad * (np.where(negative, 1, 0) - np.where(negative, 1, -1) * (z / (1 + z)))


@double_backward(_LogSigmoid)
def _log_sigmoid_gradient(node, g):
    """create_graph: d/dx log sigmoid(x) = sigmoid(-x)."""
    return (g * (-operand(node, 0, *node.saved_tensors)).sigmoid(),)


def logsigmoid(input):
    """log(sigmoid(x)) = min(x, 0) - log(1 + exp(-|x|)), stable for large |x|."""
    check_floating(input, "log_sigmoid_cpu")
    return _LogSigmoid.apply(input)


def softsign(input):
    """x / (1 + |x|) (composed as torch composes it)."""
    return input / (input.abs() + 1)


def tanhshrink(input):
    """x - tanh(x) (composed as torch composes it)."""
    return input - input.tanh()


class _Softshrink(ShapeKeeping):
    backward_name = "SoftshrinkBackward0"

    @staticmethod
    def forward(ctx, x, lambd):
        ctx.save_for_backward(x)
        ctx.lambd = lambd
        t = _typed(x, lambd)
        inside = np.where(np.isnan(x), x, _typed(x, 0))  # NaN stays NaN, as in torch
        return np.where(x > t, x - t, np.where(x < -t, x + t, inside))

    @staticmethod
    def backward(ctx, grad):
        return _shrink_backward(ctx, grad)


class _Hardshrink(ShapeKeeping):
    backward_name = "HardshrinkBackward0"

    @staticmethod
    def forward(ctx, x, lambd):
        ctx.save_for_backward(x)
        ctx.lambd = lambd
        t = _typed(x, lambd)
        return np.where((x >= -t) & (x <= t), _typed(x, 0), x)

    @staticmethod
    def backward(ctx, grad):
        return _shrink_backward(ctx, grad)


def _shrink_backward(ctx, grad):
    """The gradient passes outside [-lambd, lambd]. With a NaN (in x or lambd) torch's vectorised blocks test
    "outside" (false: 0) and its scalar tail "not inside" (true: the gradient passes)."""
    (x,) = ctx.saved_tensors
    t = _typed(x, ctx.lambd)
    outside = (x > t) | (x < -t)
    if np.isnan(x).any() or np.isnan(t):
        outside = np.where(_vector_lanes((x, grad)), outside, ~((x >= -t) & (x <= t)))
    return np.where(outside, grad, _typed(grad, 0)), None


def softshrink(input, lambd=0.5):
    """x - lambd if x > lambd, x + lambd if x < -lambd, else 0."""
    check_argument("softshrink", "lambd", "number", lambd, 2)
    lambd = _number(lambd)
    check_floating(input, "softshrink_check")
    finite = float(np.finfo(input.dtype.numpy_dtype).max) if input.dtype.is_floating_point else 0.0
    if not 0 <= lambd <= finite:   # NaN too; a lambd beyond the dtype's largest value (inf) as well
        raise RuntimeError(f"lambda must be in range [0, {finite:g}] for input dtype {input.dtype.scalar_name}, "
                           f"but found {lambd:g}")
    return _Softshrink.apply(input, lambd)


def hardshrink(input, lambd=0.5):
    """x if |x| > lambd else 0."""
    check_argument("hardshrink", "lambd", "number", lambd, 2)
    lambd = _number(lambd)
    check_floating(input, "hardshrink_cpu")
    return _Hardshrink.apply(input, lambd)


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    """softmax((logits + g) / tau) with g ~ Gumbel(0, 1) along ``dim``; ``hard`` gives the one-hot of the
    argmax in the forward and the soft sample's gradient (straight-through)."""
    noise = _random.generator().exponential(1.0, tuple(logits.shape)).astype(logits.dtype.numpy_dtype)
    gumbels = (logits + Tensor._make(-np.log(noise))) / tau
    soft = gumbels.softmax(dim)
    if not hard:
        return soft
    index = soft.max(dim, keepdim=True)[1]
    one_hot = Tensor._make(np.zeros(tuple(logits.shape), dtype=logits.dtype.numpy_dtype))
    one_hot = one_hot.scatter(dim, index, 1.0)
    return one_hot - soft.detach() + soft



@double_backward(_ScaledElu)
def _scaled_elu_gradient(node, g):
    """create_graph: elu, selu and celu's gradient as Tensor ops (with the backward's own input scale)."""
    x = operand(node, 0, *node.saved_tensors)
    alpha, scale, input_scale = node.coefficients
    negative = g * (input_scale * alpha * scale) * (x.clamp(max=0) * input_scale).exp()
    return (where(Tensor._make(x._data <= 0), negative, g * scale),) + (None,) * 4


@double_backward(_Prelu)
def _prelu_gradient(node, g):
    x, weight = node.saved_tensors
    x_t, w_t = operand(node, 0, x), operand(node, 1, weight)
    positive = Tensor._make(x > 0)
    return (where(positive, g, g * w_t) if node._inputs[0] is not None else None,
            where(positive, 0.0, g * x_t) if node._inputs[1] is not None else None)


# the shrinks: the gradient times a mask of the input; torch sends the input a zero second-order gradient
double_backward(_Softshrink, _Hardshrink)(linear_rule(("self",), lambda node: (operand(node, 0, *node.saved_tensors),)))


@double_backward(_Glu)
def _glu_gradient(node, g):
    """create_graph: glu's gradient for both halves as Tensor ops."""
    first, second = operand(node, 0).chunk(2, node.dim)
    gate = second.sigmoid()
    return cat([g * gate, g * first * gate * (1 - gate)], node.dim), None
