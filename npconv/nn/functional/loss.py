"""npconv.nn.functional: losses, as torch. ``reduction`` is 'mean' (default), 'sum' or 'none'.

Shapes::

    cross_entropy / nll_loss: input (N, C) or (N, C, d1, ...) or (C,); target class indices (N, d1, ...)
                              (int64) or, for cross_entropy, class probabilities shaped like input
    mse_loss, l1_loss, binary_cross_entropy(_with_logits): input and target of the same shape (*)

'none' keeps the per-element (per-sample for the class losses) shape; 'mean' and 'sum' give a scalar.
"""
import warnings

import numpy as np

from ...autograd import Function
from ..._tensor import Tensor
from .activation import _sigmoid, log_softmax

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
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _warn_if_broadcasting(input, target):
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have the "
                      "same size.", stacklevel=3)


def _check_broadcastable(input, target):
    try:
        np.broadcast_shapes(tuple(input.shape), tuple(target.shape))
    except ValueError:
        a, b = tuple(input.shape), tuple(target.shape)
        for offset in range(1, max(len(a), len(b)) + 1):
            sa = a[-offset] if offset <= len(a) else 1
            sb = b[-offset] if offset <= len(b) else 1
            if sa != sb and 1 not in (sa, sb):
                raise RuntimeError(f"The size of tensor a ({sa}) must match the size of tensor b ({sb}) at "
                                   f"non-singleton dimension {max(len(a), len(b)) - offset}") from None
        raise


def _as_tensor_like(value, like):
    if isinstance(value, Tensor):
        return value
    return Tensor._make(np.asarray(value, dtype=like.dtype.numpy_dtype))


# ----------------------------------------------------------------------------------------------
# Regression losses

def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Squared error (x - y)^2, reduced."""
    _warn_if_broadcasting(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    _check_broadcastable(input, target)
    diff = input - target
    loss = diff * diff
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Absolute error |x - y|, reduced (gradient 0 where x == y, as torch)."""
    _warn_if_broadcasting(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    _check_broadcastable(input, target)
    loss = (input - target).abs()
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


class _Huber(Function):
    @staticmethod
    def forward(ctx, diff, delta, scale):
        ctx.save_for_backward(diff)
        ctx.args = (delta, scale)
        absolute = np.abs(diff)
        half = diff.dtype.type(0.5)
        return np.where(absolute < delta, half * diff * diff, delta * (absolute - half * delta)) / scale

    @staticmethod
    def backward(ctx, grad):
        (diff,) = ctx.saved_tensors
        delta, scale = ctx.args
        return grad * np.clip(diff, -delta, delta) / scale, None, None


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 (x - y)^2 / beta where |x - y| < beta, else |x - y| - 0.5 beta."""
    _warn_if_broadcasting(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    if beta == 0.0:
        return l1_loss(input, target, reduction=reduction)
    return _reduce(_Huber.apply(input - target, beta, beta), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 (x - y)^2 where |x - y| < delta, else delta (|x - y| - 0.5 delta)."""
    _warn_if_broadcasting(input, target)
    reduction = _reduction(None, None, reduction)
    loss = _Huber.apply(input - target, delta, 1.0)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


# ----------------------------------------------------------------------------------------------
# Binary losses

class _BinaryCrossEntropy(Function):
    """-w (y log x + (1 - y) log(1 - x)) with the logs clamped at -100, as torch."""

    backward_name = "BinaryCrossEntropyBackward0"

    @staticmethod
    def forward(ctx, x, y, weight):
        with np.errstate(divide="ignore", invalid="ignore"):
            log_x = np.maximum(np.log(x), x.dtype.type(-100))
            log_1mx = np.maximum(np.log1p(-x), x.dtype.type(-100))
        ctx.save_for_backward(x, y, weight, log_x, log_1mx)
        loss = -(y * log_x + (1 - y) * log_1mx)
        return loss if weight is None else loss * weight

    @staticmethod
    def backward(ctx, grad):
        x, y, weight, log_x, log_1mx = ctx.saved_tensors
        g = grad if weight is None else grad * weight
        eps = x.dtype.type(1e-12)
        grad_x = g * (x - y) / np.maximum((1 - x) * x, eps)
        grad_y = g * (log_1mx - log_x)
        return grad_x, grad_y, None


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """-w (y log x + (1 - y) log(1 - x)) for probabilities x in [0, 1] (logs clamped at -100)."""
    reduction = _reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}) "
                         "is deprecated. Please ensure they have the same size.")
    x = input.detach().numpy()
    if x.size and (np.nanmin(x) < 0 or np.nanmax(x) > 1):
        raise RuntimeError("all elements of input should be between 0 and 1")
    w = None
    if weight is not None:
        try:
            w = np.broadcast_to(weight.detach().numpy(), tuple(input.shape))
        except ValueError:
            raise RuntimeError(f"Attempting to broadcast a dimension of length {weight.shape[-1]} at -1! Mismatching "
                               f"argument at index 1 had {weight.shape}; but expected shape should be broadcastable to "
                               f"{list(input.shape)}") from None
    return _reduce(_BinaryCrossEntropy.apply(input, _as_tensor_like(target, input), w), reduction)


def _softplus_of_negative(x):
    """log(1 + exp(-x)), stable for any x."""
    return np.logaddexp(x.dtype.type(0), -x)


class _BinaryCrossEntropyWithLogits(Function):
    """(1 - y) x + (1 + (p - 1) y) log(1 + exp(-x)), times the weight; stable for large |x|."""

    backward_name = "BinaryCrossEntropyWithLogitsBackward0"

    @staticmethod
    def forward(ctx, x, y, weight, pos_weight):
        softplus = _softplus_of_negative(x)
        log_weight = 1 if pos_weight is None else 1 + (pos_weight - 1) * y
        loss = (1 - y) * x + log_weight * softplus
        ctx.save_for_backward(x, y, weight, pos_weight, softplus)
        return loss if weight is None else loss * weight

    @staticmethod
    def backward(ctx, grad):
        x, y, weight, pos_weight, softplus = ctx.saved_tensors
        g = grad if weight is None else grad * weight
        log_weight = 1 if pos_weight is None else 1 + (pos_weight - 1) * y
        needs = ctx.needs_input_grad
        grad_x = g * ((1 - y) - log_weight * (1 - _sigmoid(x)))
        grad_y = g * (-x + (0 if pos_weight is None else (pos_weight - 1) * softplus)) if needs[1] else None
        grad_w = None
        if weight is not None and needs[2]:
            grad_w = grad * ((1 - y) * x + log_weight * softplus)
        grad_p = g * y * softplus if pos_weight is not None and needs[3] else None
        return grad_x, grad_y, grad_w, grad_p


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """Sigmoid + binary cross-entropy in one numerically stable step; ``pos_weight`` weighs positives."""
    reduction = _reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    return _reduce(_BinaryCrossEntropyWithLogits.apply(input, _as_tensor_like(target, input), weight, pos_weight),
                   reduction)


# ----------------------------------------------------------------------------------------------
# Classification losses

class _NllLoss(Function):
    """-weight[t] * input[n, t, ...] at each target, 0 where t == ignore_index, then reduced; 'mean' divides
    by the summed weights of the non-ignored targets (NaN when there are none, as torch)."""

    backward_name = "NllLossBackward0"

    @staticmethod
    def forward(ctx, logp, target, class_weight, ignore_index, class_dim, reduction):
        valid = target != ignore_index
        safe = np.where(valid, target, 0)
        picked = np.take_along_axis(logp, np.expand_dims(safe, class_dim), axis=class_dim).squeeze(class_dim)
        w = class_weight[safe] if class_weight is not None else np.ones_like(picked)
        w = np.where(valid, w, 0).astype(logp.dtype, copy=False)
        loss = -picked * w
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
        safe, valid, w, class_dim, shape, scale = ctx.args
        with np.errstate(invalid="ignore", over="ignore"):
            per_target = np.where(valid, -(grad * scale) * w, 0).astype(grad.dtype, copy=False)
        grad_logp = np.zeros(shape, dtype=grad.dtype)
        np.put_along_axis(grad_logp, np.expand_dims(safe, class_dim),
                          np.expand_dims(np.broadcast_to(per_target, safe.shape), class_dim), axis=class_dim)
        return grad_logp, None, None, None, None, None


def _check_class_target(input, target, weight, ignore_index):
    if input.dim() == 0:
        raise ValueError(f"Expected 1 or more dimensions (got {input.dim()})")
    if input.dim() >= 2 and target.dim() >= 1 and input.shape[0] != target.shape[0]:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                         f"({target.shape[0]}).")
    if target.dtype.name not in ("int64", "uint8"):
        name = {"int32": "Int", "int16": "Short", "int8": "Char", "float32": "Float", "float64": "Double",
                "bool": "Bool"}.get(target.dtype.name, target.dtype.name)
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {name}")
    if input.dim() <= 2 and target.dim() > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if input.dim() > 2 and tuple(target.shape) != (input.shape[0],) + tuple(input.shape[2:]):
        raise RuntimeError(f"Expected target size {[input.shape[0]] + list(input.shape[2:])}, got "
                           f"{list(target.shape)}")
    classes = input.shape[1] if input.dim() >= 2 else input.shape[0]
    if weight is not None and (weight.dim() != 1 or weight.numel() != classes):
        raise RuntimeError(f"weight tensor should be defined either for all {classes} classes or no classes but "
                           f"got weight tensor of shape: {list(weight.shape)}")
    t = target.numpy().astype(np.int64)
    bad = (t != ignore_index) & ((t < 0) | (t >= classes))
    if bad.any():
        raise IndexError(f"Target {int(t[bad].flat[0])} is out of bounds.")
    return t, classes


def _nll(input, target, weight, ignore_index, reduction, class_dim):
    w = None if weight is None else weight.detach().numpy()
    return _NllLoss.apply(input, target, w, ignore_index, class_dim, reduction)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    """Negative log-likelihood of log-probabilities ``input`` (N, C, ...) at class indices ``target`` (N, ...);
    'mean' divides by the summed weights of the non-ignored targets."""
    reduction = _reduction(size_average, reduce, reduction)
    t, _ = _check_class_target(input, target, weight, ignore_index)
    return _nll(input, t, weight, ignore_index, reduction, 1 if input.dim() >= 2 else 0)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    """log_softmax over the class dim + nll_loss, with optional ``label_smoothing`` (mix the one-hot target with
    the uniform distribution); ``target`` holds class indices, or class probabilities shaped like ``input``."""
    reduction = _reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if input.dim() == 0:
        raise ValueError(f"Expected 1 or more dimensions (got {input.dim()})")
    class_dim = 1 if input.dim() >= 2 else 0
    classes = input.shape[class_dim]
    if target.dtype.numpy_dtype.kind == "f" and tuple(target.shape) == tuple(input.shape):
        return _cross_entropy_probabilities(input, target, weight, reduction, label_smoothing, class_dim, classes)
    t, classes = _check_class_target(input, target, weight, ignore_index)
    logp = log_softmax(input, class_dim)
    nll = _nll(logp, t, weight, ignore_index, reduction, class_dim)
    if label_smoothing == 0.0:
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
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / classes)


def _cross_entropy_probabilities(input, target, weight, reduction, label_smoothing, class_dim, classes):
    if weight is not None and (weight.dim() != 1 or weight.numel() != classes):
        raise RuntimeError(f"weight tensor should be defined either for all {classes} classes or no classes but "
                           f"got weight tensor of shape: {list(weight.shape)}")
    logp = log_softmax(input, class_dim)
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / classes
    product = logp * target
    if weight is not None:
        broadcast = [1] * input.dim()
        broadcast[class_dim] = classes
        product = product * weight.detach().reshape(broadcast)
    loss = -product.sum(class_dim)
    if reduction == "mean":
        count = input.numel() // classes if input.numel() else 0
        return loss.sum() / count if count else loss.sum() * float("nan")
    if reduction == "sum":
        return loss.sum()
    return loss


class _KlDiv(Function):
    @staticmethod
    def forward(ctx, input, target, log_target):
        ctx.save_for_backward(input, target)
        ctx.log_target = log_target
        if log_target:
            return np.exp(target) * (target - input)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(target > 0, target * (np.log(target) - input), 0).astype(input.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad):
        input, target = ctx.saved_tensors
        if ctx.log_target:
            e = np.exp(target)
            return -grad * e, grad * e * (target - input + 1), None
        with np.errstate(divide="ignore", invalid="ignore"):
            grad_t = np.where(target > 0, grad * (np.log(target) + 1 - input), 0)
        return -grad * target, grad_t, None


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Kullback-Leibler divergence target * (log target - input) with ``input`` given as log-probabilities."""
    if reduction != "batchmean":
        reduction = _reduction(size_average, reduce, reduction)
    loss = _KlDiv.apply(input, _as_tensor_like(target, input), log_target)
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.dim() else loss.sum()
    return _reduce(loss, reduction)
