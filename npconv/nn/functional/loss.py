"""npconv.nn.functional: losses, as torch. ``reduction`` is 'mean' (default), 'sum' or 'none'.

Shapes::

    cross_entropy / nll_loss: input (N, C) or (N, C, d1, ...) or (C,); target class indices (N, d1, ...)
                              (int64) or, for cross_entropy, class probabilities shaped like input
    mse_loss, l1_loss, binary_cross_entropy(_with_logits): input and target of the same shape (*)

'none' keeps the per-element (per-sample for the class losses) shape; 'mean' and 'sum' give a scalar.
"""
import math
import warnings

import numpy as np

from ... import _shapes
from ..._dtype import promote_types
from ..._graph_backward import double_backward, known_linear, linear_in_grad, operand
from ...autograd import Function, is_grad_enabled
from ..._tensor import Tensor, _dense_layout, contiguous_format
from ..._ops.activation import sigmoid_values
from ..._ops.parsing import check_argument, check_arguments
from .activation import log_softmax

__all__ = ["cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div"]

_REDUCTIONS = ("none", "mean", "sum")


def _legacy_reduction(size_average, reduce, emit_warning=True):
    """torch's _Reduction.legacy_get_string for the deprecated size_average / reduce arguments."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
    if emit_warning:
        warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{reduction}' "
                      "instead.", stacklevel=3)
    return reduction


def _reduction(size_average, reduce, reduction):
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.",
                      stacklevel=3)
        return "mean"
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _size(value):
    """``value.size()`` as torch's wrappers call it: anything but a Tensor has no ``size`` (torch's words)."""
    if not isinstance(value, Tensor):
        raise AttributeError(f"'{type(value).__name__}' object has no attribute 'size'")
    return tuple(value.shape)


def _warn_if_broadcasting(input, target):
    if _size(target) != _size(input):
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have the "
                      "same size.", stacklevel=4)


def _check_computable(kernel, *tensors):
    """torch's loss kernels run on floating dtypes only (the promoted dtype of their operands)."""
    common = tensors[0].dtype
    for other in tensors[1:]:
        common = promote_types(common, other.dtype)
    if not common.is_floating_point:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{common.scalar_name}\'')


def _check_in_place(shape, other):
    """``tensor of shape *= other`` as torch's kernels do it: a size clash, or a result larger than the tensor."""
    result = _shapes.broadcast_shape(shape, other)
    if result != tuple(shape):
        raise RuntimeError(f"output with shape {list(shape)} doesn't match the broadcast shape {list(result)}")


# ----------------------------------------------------------------------------------------------
# One graph node per loss: torch computes these losses and their reduction in one op
# (``MseLossBackward0``, ...), so ``loss.grad_fn.next_functions`` leads straight to the network.


def _reduce_array(loss, reduction):
    """'none': the per-element loss; 'sum' and 'mean' a 0-d array ('mean' of nothing is NaN, as torch)."""
    if reduction == "none":
        return loss
    total = loss.sum(dtype=loss.dtype)
    if reduction == "sum":
        return np.asarray(total)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(total / loss.dtype.type(loss.size))


def _spread(grad, reduction, shape):
    """The upstream gradient of a reduced loss as a per-element gradient of ``shape``."""
    if reduction == "mean":
        grad = grad / grad.dtype.type(max(math.prod(shape), 1))
    return np.broadcast_to(grad, shape)


def _broadcast_pair(input, target):
    """torch broadcasts input and target to one shape (``ExpandBackward0`` nodes) before the loss op."""
    shape = tuple(np.broadcast_shapes(tuple(input.shape), tuple(target.shape)))
    expand = (lambda t: t if tuple(t.shape) == shape else t.expand(shape))
    return expand(input), expand(target)


def _common_dtype(input, target):
    return promote_types(input.dtype, target.dtype).numpy_dtype


class _MseLoss(Function):
    backward_name = "MseLossBackward0"

    @staticmethod
    def forward(ctx, x, y, *, reduction, dtype):
        diff = x.astype(dtype, copy=False) - y.astype(dtype, copy=False)
        ctx.save_for_backward(diff)
        ctx.reduction = reduction
        return _reduce_array(diff * diff, reduction)

    @staticmethod
    def backward(ctx, grad):
        (diff,) = ctx.saved_tensors
        g = _spread(grad, ctx.reduction, diff.shape) * (2 * diff)
        return g, (-g if ctx.needs_input_grad[1] else None)



@double_backward(_MseLoss)
def _mse_gradient(node, g):
    """create_graph: 2 (x - y) times the spread gradient, the saved difference re-attached to x and y."""
    (diff,) = node.saved_tensors
    operands = [operand(node, i) if node._inputs[i] is not None else None for i in (0, 1)]
    difference = known_linear(diff, zip(operands, (1, -1)))
    if node.reduction == "mean":
        g = g / max(diff.size, 1)
    grad_x = g * 2 * difference
    return (grad_x if operands[0] is not None else None), (-grad_x if operands[1] is not None else None)

class _HuberLoss(Function):
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta); divided by ``scale`` (smooth L1: scale = beta)."""

    backward_name = "HuberLossBackward0"

    @staticmethod
    def forward(ctx, x, y, *, reduction, dtype, delta, scale, clash=None):
        diff = x.astype(dtype, copy=False) - y.astype(dtype, copy=False)
        ctx.save_for_backward(diff)
        ctx.args = (reduction, delta, scale)
        ctx.clash = clash
        absolute = np.abs(diff)
        half = diff.dtype.type(0.5)
        loss = np.where(absolute < delta, half * diff * diff, delta * (absolute - half * delta)) / scale
        return _reduce_array(loss.astype(dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, grad):
        (diff,) = ctx.saved_tensors
        reduction, delta, scale = ctx.args
        if ctx.clash:  # torch's huber_loss computes forward in the input's dtype, but refuses backward
            own, other = ctx.clash if ctx.needs_input_grad[0] else ctx.clash[::-1]   # the first gradient's
            raise RuntimeError(f"Found dtype {other} but expected {own}")
        g = _spread(grad, reduction, diff.shape) * np.clip(diff, -delta, delta) / scale
        return g, (-g if ctx.needs_input_grad[1] else None)


class _SmoothL1Loss(_HuberLoss):
    backward_name = "SmoothL1LossBackward0"


# ----------------------------------------------------------------------------------------------
# Regression losses

def _expanded_pair(input, target, size_average=None, reduce=None, reduction="mean"):
    """What torch's regression wrappers do first: warn when the sizes differ, read the legacy arguments,
    broadcast the two tensors (torch's size error); the reduction is checked later, by the kernel."""
    _warn_if_broadcasting(input, target)
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    _shapes.broadcast_shape(input.shape, target.shape)
    x, y = _broadcast_pair(input, target)
    return x, y, reduction


def _weighted(elementwise, weight, reduction, input, mean_over_weight):
    """torch's weighted regression losses: (loss * weight), summed, or for 'mean' divided by the summed
    weights (mse, l1) or by the element count (huber)."""
    if _size(weight) != _size(input):
        raise ValueError("Weights and input must have the same size.")
    loss = elementwise() * weight
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return loss.sum() / weight.sum() if mean_over_weight else loss.mean()
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Squared error (x - y)^2: per element ('none'), summed, or averaged ('mean'; with ``weight``,
    sum(w (x - y)^2) / sum(w))."""
    x, y, reduction = _expanded_pair(input, target, size_average, reduce, reduction)
    if weight is not None:
        return _weighted(lambda: (x - y) ** 2, weight, reduction, input, mean_over_weight=True)
    reduction = _reduction(None, None, reduction)
    _check_computable("mse_cpu", x, y)
    return _MseLoss.apply(x, y, reduction=reduction, dtype=_common_dtype(x, y))


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Absolute error |x - y| (gradient 0 where x == y, as torch); weighted as ``mse_loss``."""
    x, y, reduction = _expanded_pair(input, target, size_average, reduce, reduction)
    if weight is not None:
        return _weighted(lambda: (x - y).abs(), weight, reduction, input, mean_over_weight=True)
    reduction = _reduction(None, None, reduction)   # read before the kernel runs
    return _reduce((x - y).abs(), reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 (x - y)^2 / beta where |x - y| < beta, else |x - y| - 0.5 beta (beta = 0: the L1 loss)."""
    x, y, reduction = _expanded_pair(input, target, size_average, reduce, reduction)
    if beta == 0.0:   # torch's l1_loss kernel, the reduction read first
        reduction = _reduction(None, None, reduction)
        return _reduce((x - y).abs(), reduction)
    reduction = _reduction(None, None, reduction)
    check_argument("smooth_l1_loss", "beta", "float", beta, 4)
    if not beta >= 0:   # NaN too
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    _check_computable("smooth_l1_cpu", x, y)
    return _SmoothL1Loss.apply(x, y, reduction=reduction, dtype=_common_dtype(x, y), delta=beta, scale=beta)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 (x - y)^2 where |x - y| < delta, else delta (|x - y| - 0.5 delta); with ``weight``, 'mean'
    averages w * loss over the elements."""
    x, y, _ = _expanded_pair(input, target)

    def elementwise(reduction):
        reduction = _reduction(None, None, reduction)
        check_argument("huber_loss", "delta", "float", delta, 4)
        if not delta > 0:   # NaN too
            raise RuntimeError("huber_loss does not support non-positive values for delta.")
        _check_computable("huber_cpu", x, y)
        # torch's huber_loss computes in the input's dtype, whatever the target's
        clash = (x.dtype.scalar_name, y.dtype.scalar_name) if x.dtype != y.dtype else None
        return _HuberLoss.apply(x, y, reduction=reduction, dtype=x.dtype.numpy_dtype, delta=delta, scale=1.0,
                                clash=clash)
    if weight is None:
        return elementwise(reduction)
    return _weighted(lambda: elementwise("none"), weight, reduction, input, mean_over_weight=False)


# ----------------------------------------------------------------------------------------------
# Binary losses

def _refuse_grad(tensor, op, argument):
    """torch's binary losses are not differentiable in their weights."""
    if isinstance(tensor, Tensor) and tensor.requires_grad and is_grad_enabled():
        raise RuntimeError(f"The function '{op}' is not differentiable with respect to argument '{argument}'. "
                           "This input cannot have requires_grad True.")


def _check_same_dtype(input, target):
    if target.dtype != input.dtype:
        raise RuntimeError(f"Found dtype {target.dtype.scalar_name} but expected {input.dtype.scalar_name}")


class _BinaryCrossEntropy(Function):
    """-w (y log x + (1 - y) log(1 - x)) with the logs clamped at -100, as torch, then reduced."""

    backward_name = "BinaryCrossEntropyBackward0"

    @staticmethod
    def forward(ctx, x, y, *, weight, reduction):
        with np.errstate(divide="ignore", invalid="ignore"):
            log_x = np.maximum(np.log(x), x.dtype.type(-100))
            log_1mx = np.maximum(np.log1p(-x), x.dtype.type(-100))
        ctx.save_for_backward(x, y, log_x, log_1mx)
        ctx.args = (weight, reduction)
        loss = -(y * log_x + (1 - y) * log_1mx)
        return _reduce_array(loss if weight is None else loss * weight, reduction)

    @staticmethod
    def backward(ctx, grad):
        x, y, log_x, log_1mx = ctx.saved_tensors
        weight, reduction = ctx.args
        g = _spread(grad, reduction, x.shape)
        g = g if weight is None else g * weight
        eps = x.dtype.type(1e-12)
        grad_x = g * (x - y) / np.maximum((1 - x) * x, eps)
        grad_y = g * (log_1mx - log_x) if ctx.needs_input_grad[1] else None
        return grad_x, grad_y


def _check_probabilities(input, target):
    """torch refuses values outside [0, 1] (nan included) in binary_cross_entropy's input and target, element
    by element (in C order): the input's error at the first element where either is out of range and the
    input is, else the target's."""
    if input.is_meta or target.is_meta:
        return
    outside = [~((v >= 0) & (v <= 1)) for v in (input.detach().numpy(), target.detach().numpy())]
    either = np.flatnonzero(outside[0] | outside[1])
    if either.size:
        what = "input" if outside[0].reshape(-1)[either[0]] else "target"
        raise RuntimeError(f"all elements of {what} should be between 0 and 1")


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """-w (y log x + (1 - y) log(1 - x)) for probabilities x in [0, 1] (logs clamped at -100)."""
    reduction = _reduction(size_average, reduce, reduction)
    if _size(target) != _size(input):
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}) "
                         "is deprecated. Please ensure they have the same size.")
    if weight is not None:   # torch's wrapper expands the weight to the target's shape
        try:
            shape = tuple(np.broadcast_shapes(tuple(target.shape), _size(weight)))
        except ValueError:
            raise RuntimeError(f"Attempting to broadcast a dimension of length {weight.shape[-1]} at -1! Mismatching "
                               f"argument at index 1 had {weight.shape}; but expected shape should be broadcastable to "
                               f"{list(input.shape)}") from None
    # the native op: autograd's refusal, then the kernel's checks (dtypes, values, the weight's product)
    _refuse_grad(weight, "binary_cross_entropy", "weight")
    _check_same_dtype(input, target)
    _check_computable("binary_cross_entropy", input)
    _check_probabilities(input, target)
    w = None
    if weight is not None:
        _check_in_place(tuple(input.shape), shape)
        w = np.broadcast_to(weight.detach().numpy(), shape).astype(input.dtype.numpy_dtype, copy=False)
    return _BinaryCrossEntropy.apply(input, target, weight=w, reduction=reduction)


def _softplus_of_negative(x):
    """log(1 + exp(-x)), stable for any x."""
    return np.logaddexp(x.dtype.type(0), -x)


class _BinaryCrossEntropyWithLogits(Function):
    """(1 - y) x + (1 + (p - 1) y) log(1 + exp(-x)), times the weight, reduced; stable for large |x|."""

    backward_name = "BinaryCrossEntropyWithLogitsBackward0"

    @staticmethod
    def forward(ctx, x, y, *, weight, pos_weight, reduction):
        softplus = _softplus_of_negative(x)
        log_weight = 1 if pos_weight is None else 1 + (pos_weight - 1) * y
        loss = (1 - y) * x + log_weight * softplus
        ctx.save_for_backward(x, y, softplus)
        ctx.args = (weight, pos_weight, reduction)
        loss = loss if weight is None else loss * weight
        return _reduce_array(loss.astype(y.dtype, copy=False), reduction)  # torch: the target's dtype

    @staticmethod
    def backward(ctx, grad):
        x, y, softplus = ctx.saved_tensors
        weight, pos_weight, reduction = ctx.args
        g = _spread(grad, reduction, np.broadcast_shapes(x.shape, y.shape))
        g = g if weight is None else g * weight
        log_weight = 1 if pos_weight is None else 1 + (pos_weight - 1) * y
        grad_x = g * ((1 - y) - log_weight * (1 - sigmoid_values(x)))
        grad_y = None
        if ctx.needs_input_grad[1]:
            grad_y = g * (-x + (0 if pos_weight is None else (pos_weight - 1) * softplus))
        return grad_x, grad_y



@double_backward(_BinaryCrossEntropyWithLogits)
def _bce_with_logits_gradient(node, g):
    """create_graph: the gradients of the logits (and of the target) as Tensor ops."""
    from .activation import softplus
    x_array, y_array, _ = node.saved_tensors
    weight, pos_weight, reduction = node.args
    x, y = operand(node, 0, x_array), operand(node, 1, y_array)
    if reduction == "mean":
        g = g / max(math.prod(np.broadcast_shapes(x_array.shape, y_array.shape)), 1)
    if weight is not None:
        g = g * Tensor._make(np.asarray(weight))
    pos = None if pos_weight is None else Tensor._make(np.asarray(pos_weight))
    log_weight = 1 if pos is None else 1 + (pos - 1) * y
    grad_x = g * ((1 - y) - log_weight * (1 - x.sigmoid())) if node._inputs[0] is not None else None
    grad_y = None
    if node._inputs[1] is not None:
        grad_y = g * (-x if pos is None else -x + (pos - 1) * softplus(-x))
    return grad_x, grad_y

def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """Sigmoid + binary cross-entropy in one numerically stable step; ``pos_weight`` weighs positives."""
    reduction = _reduction(size_average, reduce, reduction)
    if _size(target) != _size(input):
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    check_arguments("binary_cross_entropy_with_logits", _LOGITS_KINDS, {"weight": weight, "pos_weight": pos_weight},
                    positional=4)
    # the native op: autograd's refusals, then torch's composition (log_sigmoid(input), the positive
    # weights times the target, (1 - target) * input in the target's dtype, the weight's product)
    _refuse_grad(weight, "binary_cross_entropy_with_logits", "weight")
    _refuse_grad(pos_weight, "binary_cross_entropy_with_logits", "pos_weight")
    _check_computable("log_sigmoid_cpu", input)
    if pos_weight is not None:
        _check_in_place(tuple(input.shape), _shapes.broadcast_shape(pos_weight.shape, target.shape))
    if target.dtype.name == "bool":   # torch's 1 - target
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
                           "`logical_xor()` operator instead.")
    if not target.dtype.is_floating_point:
        raise RuntimeError(f"result type {input.dtype.scalar_name} can't be cast to the desired output type "
                           f"{target.dtype.scalar_name}")
    if weight is not None:
        _check_in_place(tuple(input.shape), tuple(weight.shape))
    arrays = [None if t is None else t.detach().numpy() for t in (weight, pos_weight)]
    return _BinaryCrossEntropyWithLogits.apply(input, target, weight=arrays[0], pos_weight=arrays[1],
                                               reduction=reduction)


_LOGITS_KINDS = (("weight", "Tensor?", 3), ("pos_weight", "Tensor?", 4))


# ----------------------------------------------------------------------------------------------
# Classification losses

class _NllLoss(Function):
    """-weight[t] * input[n, t, ...] at each target, 0 where t == ignore_index, then reduced; 'mean' divides
    by the summed weights of the non-ignored targets (NaN when there are none, as torch)."""

    backward_name = "NllLossBackward0"

    @staticmethod
    def forward(ctx, logp, *, target, class_weight, ignore_index, class_dim, reduction):
        # a 1-d input with a one-element 1-d target: one sample, whose backward torch refuses
        ctx.mismatch = logp.ndim == 1 and target.ndim == 1 and (logp.shape, target.shape)
        target = target.reshape(()) if ctx.mismatch else target
        valid = target != ignore_index
        safe = np.where(valid, target, 0)
        if logp.shape[class_dim]:
            picked = np.take_along_axis(logp, np.expand_dims(safe, class_dim), axis=class_dim).squeeze(class_dim)
        else:   # no classes: every target was ignored (checked), none is read
            picked = np.zeros(safe.shape, logp.dtype)
        w = class_weight[safe] if class_weight is not None else np.ones_like(picked)
        w = np.where(valid, w, 0).astype(logp.dtype, copy=False)
        loss = np.where(valid, -picked * w, logp.dtype.type(0))   # an ignored target's value is never read
        scale = 1
        if reduction == "sum":
            loss = loss.sum()
        elif reduction == "mean":
            total = w.sum()
            with np.errstate(divide="ignore", invalid="ignore"):
                scale = logp.dtype.type(1) / total
                loss = np.asarray(loss.sum() * scale if total else loss.sum() / total, dtype=logp.dtype)
        ctx.args = (safe, valid, w, class_dim, logp.shape, scale)
        return np.asarray(loss, dtype=logp.dtype)

    @staticmethod
    def backward(ctx, grad):
        if ctx.mismatch:
            raise RuntimeError(f"size mismatch (got input: {list(ctx.mismatch[0])}, target: "
                               f"{list(ctx.mismatch[1])})")
        safe, valid, w, class_dim, shape, scale = ctx.args
        with np.errstate(invalid="ignore", over="ignore"):
            per_target = np.where(valid, -(grad * scale) * w, 0).astype(grad.dtype, copy=False)
        grad_logp = np.zeros(shape, dtype=grad.dtype)
        if not shape[class_dim]:
            return grad_logp
        np.put_along_axis(grad_logp, np.expand_dims(safe, class_dim),
                          np.expand_dims(np.broadcast_to(per_target, safe.shape), class_dim), axis=class_dim)
        return grad_logp


@double_backward(_NllLoss)
def _nll_gradient(node, g):
    """create_graph: the scatter of the weighted gradient to the targets, whose adjoint gathers there."""
    safe, valid, w, class_dim, _, scale = node.args
    out_shape = g._data.shape

    def gather(v):
        picked = np.take_along_axis(np.asarray(v), np.expand_dims(safe, class_dim), class_dim).squeeze(class_dim)
        per_target = np.where(valid, -(picked * scale) * w, 0)
        return per_target if per_target.shape == out_shape else per_target.sum().reshape(out_shape)
    return (linear_in_grad(node, g, gather),)

def _class_target(input, target, weight, ignore_index, reduction):
    """The class indices as int64 and the class count, after torch's checks in its order: nll_loss_nd's
    (rank, batch sizes, spatial sizes), autograd's refusal of a weight that needs a gradient, the kernel's."""
    _check_nd(input, target)
    _refuse_grad(weight, "nll_loss2d_forward" if input.dim() > 2 else "nll_loss_forward", "weight")
    return _check_kernel(input, target, weight, ignore_index, reduction)


def _check_nd(input, target):
    if input.dim() == 0:
        raise ValueError(f"Expected 1 or more dimensions (got {input.dim()})")
    batch = target.shape[0] if target.dim() else 0   # torch reads a 0-d target's first size as 0
    if input.dim() >= 2 and input.shape[0] != batch:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size ({batch}).")
    expected = (input.shape[0],) + tuple(input.shape[2:])
    if input.dim() > 2 and input.dim() != 4 and tuple(target.shape) != expected:
        raise RuntimeError(f"Expected target size {list(expected)}, got {list(target.shape)}")


def _spatial_views(input_shape, target_shape):
    """The 4-d input and 3-d target torch's nll_loss2d kernel sees: other ranks flattened to (N, C, 1, -1) and
    (N, 1, -1), but an empty one to (N, C, 0, 0) or (N, 0, 0) (so an empty input with a non-empty target
    mismatches)."""
    if len(input_shape) == 4:
        return input_shape, target_shape
    n, c = input_shape[:2]
    input_numel, target_numel = math.prod(input_shape), math.prod(target_shape)
    return ((n, c, 1, input_numel // (n * c)) if input_numel else (n, c, 0, 0),
            (n, 1, target_numel // n) if target_numel else (n, 0, 0))


def _check_kernel(input, target, weight, ignore_index, reduction):
    # torch's order: the target's rank (and, but for 4-d inputs, its shape), then its dtype
    expected = (input.shape[0],) + tuple(input.shape[2:])
    if input.dim() <= 2 and target.dim() > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if input.dim() == 4 and target.dim() != 3:
        raise RuntimeError(f"only batches of spatial targets supported (3D tensors) but got targets of dimension: "
                           f"{target.dim()}")
    if target.dtype.name not in ("int64", "uint8"):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {target.dtype.scalar_name}")
    if input.dim() == 1 and target.dim() == 1 and target.shape[0] != 1:
        raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {target.shape[0]}")
    if input.dim() > 2:
        shapes = _spatial_views(tuple(input.shape), tuple(target.shape))
        if shapes[1] != (shapes[0][0],) + shapes[0][2:]:
            raise RuntimeError(f"size mismatch (got input: {list(shapes[0])} , target: {list(shapes[1])}")
    classes = input.shape[1] if input.dim() >= 2 else input.shape[0]
    if weight is not None and (weight.dim() != 1 or weight.numel() != classes):
        if input.dim() > 2:   # torch's spatial kernel (nll_loss2d) words it shorter
            raise RuntimeError("weight tensor should be defined either for all or no classes")
        raise RuntimeError(f"weight tensor should be defined either for all {classes} classes or no classes but "
                           f"got weight tensor of shape: {list(weight.shape)}")
    if not input.dtype.is_floating_point:
        frame = "nll_loss2d_forward_out_frame" if input.dim() > 2 else "nll_loss_out_frame"
        raise NotImplementedError(f'"{frame}" not implemented for \'{input.dtype.scalar_name}\'')
    if weight is not None and weight.dtype != input.dtype:   # the kernel reads the weights as the input's type
        raise RuntimeError(f"expected scalar type {input.dtype.scalar_name} but found {weight.dtype.scalar_name}")
    # the spatial kernel reads the targets as int64 (a reduction of no targets reads none)
    if input.dim() > 2 and target.dtype.name == "uint8" and (target.numel() or reduction == "none"):
        raise RuntimeError("expected scalar type Long but found Byte")
    t = target.numpy().astype(np.int64)
    bad = (t != ignore_index) & ((t < 0) | (t >= classes))
    if bad.any():
        raise IndexError(f"Target {int(t[bad].flat[0])} is out of bounds.")
    return t, classes


class _NllLoss2d(_NllLoss):
    """torch's node for inputs with spatial dims (N, C, d1, ...). Its 4-d kernel's backward allocates the
    input's gradient in the input's layout and then insists on a contiguous one: a permuted (dense but not
    contiguous) 4-d input fails there."""

    backward_name = "NllLoss2DBackward0"

    @staticmethod
    def forward(ctx, logp, byte_target=False, **kwargs):
        ctx.permuted = logp.ndim == 4 and _dense_layout(logp) is not contiguous_format   # dense, permuted
        ctx.byte_target = byte_target
        return _NllLoss.forward(ctx, logp, **kwargs)

    @staticmethod
    def backward(ctx, grad):
        if ctx.byte_target:   # the spatial backward kernel reads the targets as int64, even none of them
            raise RuntimeError("expected scalar type Long but found Byte")
        if ctx.permuted:
            raise RuntimeError("grad_input must be contiguous")
        return _NllLoss.backward(ctx, grad)


double_backward(_NllLoss2d)(_nll_gradient)   # its backward's own refusal still runs first




def _nll(input, target, weight, ignore_index, reduction, class_dim, target_dtype):
    w = None if weight is None else weight.detach().numpy()
    options = dict(target=target, class_weight=w, ignore_index=ignore_index, class_dim=class_dim, reduction=reduction)
    if input.dim() > 2:
        return _NllLoss2d.apply(input, byte_target=target_dtype.name == "uint8", **options)
    return _NllLoss.apply(input, **options)


# the native ops' arguments torch's parser checks (its Python wrappers pass them all by position)
_CLASS_LOSS_KINDS = (("input", "Tensor", 1), ("target", "Tensor", 2), ("weight", "Tensor?", 3),
                     ("ignore_index", "int", 5), ("label_smoothing", "float", 6))


def _class_loss_arguments(op, size_average, reduce, reduction, **values):
    """torch's wrappers: the reduction read first (its ValueError), then the native op's parser."""
    reduction = _reduction(size_average, reduce, reduction)
    kinds = [kind for kind in _CLASS_LOSS_KINDS if kind[0] in values]
    check_arguments(op, kinds, values, positional=kinds[-1][2])   # every one by position
    return reduction


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log-likelihood of log-probabilities ``input`` (N, C, ...) at class indices ``target`` (N, ...);
    'mean' divides by the summed weights of the non-ignored targets."""
    reduction = _class_loss_arguments("nll_loss_nd", size_average, reduce, reduction, input=input, target=target,
                                      weight=weight, ignore_index=ignore_index)
    t, _ = _class_target(input, target, weight, ignore_index, reduction)
    return _nll(input, t, weight, ignore_index, reduction, 1 if input.dim() >= 2 else 0, target.dtype)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    """log_softmax over the class dim + nll_loss, with optional ``label_smoothing`` (mix the one-hot target with
    the uniform distribution); ``target`` holds class indices, or class probabilities shaped like ``input``."""
    reduction = _class_loss_arguments("cross_entropy_loss", size_average, reduce, reduction, input=input,
                                      target=target, weight=weight, ignore_index=ignore_index,
                                      label_smoothing=label_smoothing)
    class_dim = 0 if input.dim() == 1 else 1
    if tuple(target.shape) == tuple(input.shape):   # class probabilities
        if not target.dtype.is_floating_point:
            raise RuntimeError(f"Expected floating point type for target with class probabilities, got "
                               f"{target.dtype.scalar_name}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        if label_smoothing > 1.0:
            raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {float(label_smoothing):g}")
        if input.dim() == 0:   # torch reads the class count at dim 1
            raise IndexError("Dimension specified as 1 but tensor has no dimensions")
        return _cross_entropy_probabilities(input, target, weight, reduction, label_smoothing, class_dim,
                                            input.shape[class_dim])
    if label_smoothing > 1.0:  # torch smooths only for a positive amount: a negative or nan one is none
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {float(label_smoothing):g}")
    logp = log_softmax(input, class_dim)
    t, classes = _class_target(logp, target, weight, ignore_index, reduction)
    nll = _nll(logp, t, weight, ignore_index, reduction, class_dim, target.dtype)
    if not label_smoothing > 0.0:
        return nll
    broadcast = [1] * input.dim()
    broadcast[class_dim] = classes
    weighted = logp if weight is None else logp * weight.detach().reshape(broadcast)
    ignored = t == ignore_index
    # masked_fill (not a product with the mask): ignored positions get a zero gradient even when the
    # mean below divides by a zero total weight.
    smooth = (-weighted.sum(class_dim)).masked_fill(Tensor._make(np.asarray(ignored)), 0.0)
    if reduction == "mean":
        if weight is not None:
            total = weight.detach().numpy()[t[~ignored]].sum()
        else:
            total = (~ignored).sum()
        smooth = smooth.sum() / Tensor._make(np.asarray(total, dtype=input.dtype.numpy_dtype))
    elif reduction == "sum":
        smooth = smooth.sum()
    return _scale(nll, 1 - label_smoothing) + _scale(smooth, _c_divide(label_smoothing, classes))


def _cross_entropy_probabilities(input, target, weight, reduction, label_smoothing, class_dim, classes):
    if weight is not None and (weight.dim() != 1 or weight.numel() != classes):
        raise RuntimeError(f"cross_entropy: weight tensor should be defined either for all {classes} classes or no "
                           "classes but "
                           f"got weight tensor of shape: {list(weight.shape)}")
    logp = log_softmax(input, class_dim)
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + _c_divide(label_smoothing, classes)
    product = logp * target
    if weight is not None:
        broadcast = [1] * input.dim()
        broadcast[class_dim] = classes
        product = product * weight.reshape(broadcast)   # differentiable here, as in torch
    if reduction == "none":
        return -product.sum(class_dim)
    loss = -product.sum()
    if reduction == "mean":
        count = input.numel() // classes if input.numel() else 0
        return _DivScalar.apply(loss, count if count else float("nan"))
    return loss


class _MulScalar(Function):
    """tensor * number as torch's composite losses record it (aten::mul.Scalar: ``MulBackward1``)."""

    backward_name = "MulBackward1"

    @staticmethod
    def forward(ctx, x, factor):
        ctx.factor = factor
        return x * x.dtype.type(factor)

    @staticmethod
    def backward(ctx, grad):
        return grad * grad.dtype.type(ctx.factor), None


class _DivScalar(Function):
    """tensor / number as torch's composite losses record it (aten::div.Scalar: ``DivBackward1``)."""

    backward_name = "DivBackward1"

    @staticmethod
    def forward(ctx, x, divisor):
        ctx.divisor = divisor
        with np.errstate(divide="ignore", invalid="ignore"):
            return x / x.dtype.type(divisor)

    @staticmethod
    def backward(ctx, grad):
        with np.errstate(divide="ignore", invalid="ignore"):
            return grad / grad.dtype.type(ctx.divisor), None


def _c_divide(a, b):
    """a / b as C++ doubles divide (no class: inf or NaN, not Python's ZeroDivisionError)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.float64(a) / b)


def _scale(x, factor):
    return _MulScalar.apply(x, factor)


class _Xlogy(Function):
    """x * log(y), 0 where x == 0 (kl_div's entropy term, as torch composes it)."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(x == 0, 0, x * np.log(y)).astype(np.result_type(x, y), copy=False)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            grad_x = np.where((x == 0) & (y <= 0), 0, np.where(grad == 0, 0, grad * np.log(y)))
            return grad_x, grad * x / y


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Kullback-Leibler divergence target * (log target - input) with ``input`` given as log-probabilities."""
    if size_average is not None or reduce is not None:
        applied = _legacy_reduction(size_average, reduce)
    else:
        if reduction == "mean":
            warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                          "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                          "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                          stacklevel=2)
        applied = _reduction(None, None, "sum" if reduction == "batchmean" else reduction)
    check_arguments("kl_div", _KL_DIV_KINDS, {"input": input, "target": target, "log_target": log_target},
                    positional=2)
    if not (input.dtype.is_floating_point and target.dtype.is_floating_point):
        raise RuntimeError("kl_div: Integral inputs not supported.")
    # torch composes it from element-wise ops, so its graph shows them (SubBackward0, XlogyBackward0, ...)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = _Xlogy.apply(target, target) - target * input
    loss = _reduce(loss, applied)
    if reduction == "batchmean" and input.dim() != 0:   # torch divides even after legacy arguments
        return loss / input.shape[0]
    return loss


_KL_DIV_KINDS = (("input", "Tensor", 1), ("target", "Tensor", 2), ("log_target", "bool", 4))