"""npconv.nn.functional: the less common losses, as torch: soft_margin_loss and multi_margin_loss (one node
each, as torch's kernels), and the ones torch composes from Tensor ops (margin_ranking, hinge_embedding,
cosine_embedding, multilabel_soft_margin, poisson_nll, gaussian_nll, triplet_margin), composed the same way
so values, gradients at the kinks and the graph's nodes follow torch's.

Shapes::

    soft_margin_loss, hinge_embedding_loss, poisson_nll_loss, margin_ranking_loss: input, target (*)
    multi_margin_loss:            input (N, C) or (C,), target class indices (N,) or ()
    multilabel_soft_margin_loss:  input (N, C), target (N, C) in {0, 1}
    cosine_embedding_loss:        x1, x2 (N, D) or (D,), target (N,) or () in {1, -1}
    gaussian_nll_loss:            input, target (N, *), var (N, *) or one dim fewer or with a 1 in it
    triplet_margin_loss:          anchor, positive, negative (N, D) or (D,)
"""
import math

import numpy as np

from ... import _ops
from ..._ops.promotion import check_in_place_result
from ..._dtype import check_scalar_fits, get_default_dtype
from ..._tensor import Tensor
from ...autograd import Function, no_grad
from .activation_extra import logsigmoid
from .distance import broadcast_pair as _same_shape, pairwise_distance
from .loss import _legacy_reduction, _reduce, _reduce_array, _reduction, _refuse_grad, _spread
from ..._ops.parsing import check_arguments

__all__ = ["soft_margin_loss", "multi_margin_loss", "multilabel_soft_margin_loss", "hinge_embedding_loss",
           "margin_ranking_loss", "cosine_embedding_loss", "poisson_nll_loss", "gaussian_nll_loss",
           "triplet_margin_loss", "triplet_margin_with_distance_loss", "multilabel_margin_loss"]


class _SoftMarginLoss(Function):
    """log(1 + exp(-y x)), reduced."""

    backward_name = "SoftMarginLossBackward0"

    @staticmethod
    def forward(ctx, x, y, *, reduction):
        ctx.save_for_backward(x, y)
        ctx.reduction = reduction
        with np.errstate(over="ignore", invalid="ignore"):   # in the input's dtype, as torch's kernel
            return _reduce_array(np.log1p(np.exp(-y * x)).astype(x.dtype, copy=False), reduction)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        with np.errstate(over="ignore", invalid="ignore"):
            z = np.exp(-y * x)
            return _spread(grad, ctx.reduction, x.shape) * (-y * z / (1 + z)), None


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-target * input)) for targets in {1, -1}."""
    reduction = _reduction(size_average, reduce, reduction)
    _refuse_grad(target, "soft_margin_loss", "target")
    # torch's kernel: (-input).mul_(target).exp_().log1p_(), in the input's shape and dtype
    if input.dtype.name == "bool":
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying to "
                           "invert a mask, use the `~` or `logical_not()` operator instead.")
    check_in_place_result(tuple(input.shape), input.dtype, target)
    if not input.dtype.is_floating_point:   # exp's floating result cannot go back
        raise RuntimeError(f"result type {get_default_dtype().scalar_name} can't be cast to the desired output "
                           f"type {input.dtype.scalar_name}")
    input, target = _same_shape(input, target)
    return _SoftMarginLoss.apply(input, target, reduction=reduction)


class _MultiMarginLoss(Function):
    """Per sample: sum over the classes i != y of max(0, margin - x[y] + x[i]) ** p * w[y], over C."""

    backward_name = "MultiMarginLossBackward0"

    @staticmethod
    def forward(ctx, x, *, target, p, margin, class_weight, reduction):
        rows = x.reshape(-1, x.shape[-1])
        picked = np.take_along_axis(rows, target[:, None], axis=1)
        with np.errstate(over="ignore", invalid="ignore"):
            hinge = margin - picked + rows
            active = (hinge > 0)  # a NaN margin is not counted, as in torch
            active[np.arange(rows.shape[0]), target] = False
            terms = np.where(active, hinge if p == 1 else hinge * hinge, 0)
        if class_weight is not None:
            terms = terms * class_weight[target][:, None]
        per_sample = (terms.sum(axis=1) / rows.shape[1]).astype(x.dtype, copy=False)
        ctx.args = (rows, target, active, hinge, p, class_weight, reduction, x.shape)
        if not per_sample.size and reduction == "mean":   # torch's kernel gives 0 for an empty batch, not NaN
            return np.zeros((), x.dtype)
        out = _reduce_array(per_sample, reduction)
        return out if reduction != "none" or x.ndim != 1 else out.reshape(())

    @staticmethod
    def backward(ctx, grad):
        rows, target, active, hinge, p, class_weight, reduction, shape = ctx.args
        per_sample = _spread(grad, reduction, (rows.shape[0],)).reshape(-1)
        scale = per_sample / rows.shape[1]
        if class_weight is not None:
            scale = scale * class_weight[target]
        with np.errstate(over="ignore", invalid="ignore"):
            slope = np.where(active, 1 if p == 1 else 2 * hinge, 0) * scale[:, None]
        g = slope.astype(rows.dtype, copy=True)
        g[np.arange(rows.shape[0]), target] = 0 - slope.sum(axis=1)  # 0 - 0 is +0, as torch prints it
        return g.reshape(shape)


def _check_nonempty_rows(input):
    """The margin losses' kernels take a vector or a matrix whose rows are not empty (an empty batch is fine)."""
    ndims = input.dim()
    if not (ndims == 2 and input.shape[1] or ndims == 1 and input.shape[0] or ndims == 0):
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, but got: "
                           f"{list(input.shape)}")


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    """Multi-class hinge loss of scores (N, C) at class indices (N,) (p = 1 or 2)."""
    reduction = _reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    _refuse_grad(weight, "multi_margin_loss", "weight")
    _check_nonempty_rows(input)
    samples = input.shape[0] if input.dim() == 2 else 1
    if input.dim() > 2 or target.dim() > 1 or target.numel() != samples:
        raise RuntimeError(f"multi_margin_loss: target tensor should be 1-D with size equal to the number of "
                           f"input samples (batch size). Expected target size [{samples}], but got "
                           f"{list(target.shape)}. Input has shape {list(input.shape)}.")
    classes = input.shape[-1] if input.dim() else 1
    if weight is not None and (weight.dim() > 1 or weight.numel() != classes):
        raise RuntimeError(f"inconsistent weight size, expected {classes} but got {list(weight.shape)}")
    if target.dtype.name != "int64":   # the kernel reads the targets as int64
        raise RuntimeError(f"expected scalar type Long but found {target.dtype.scalar_name}")
    t = target.numpy().astype(np.int64).reshape(-1)
    if ((t < 0) | (t >= classes)).any():
        raise RuntimeError("target out of range")
    w = None if weight is None else weight.detach().numpy().astype(input.dtype.numpy_dtype)
    return _MultiMarginLoss.apply(input, target=t, p=p, margin=margin, class_weight=w, reduction=reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Per sample: the mean over classes of the binary cross-entropy of sigmoid(input) with target."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    loss = loss.sum(dim=class_dim) / input.size(class_dim)
    if reduction != "none" and reduction != "mean" and reduction != "sum":   # read last, no elementwise_mean
        raise ValueError(reduction + " is not valid")
    return _reduce(loss, reduction)


# the native ops' tensors, as torch's wrappers pass them (by position)
_TENSORS_AND_MARGIN = (("input", "Tensor", 1), ("target", "Tensor", 2))


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """input where target == 1, max(0, margin - input) where target == -1 (both where neither)."""
    reduction = _reduction(size_average, reduce, reduction)
    check_arguments("hinge_embedding_loss", _TENSORS_AND_MARGIN[:2] + (("margin", "float", 3),),
                    {"input": input, "target": target, "margin": margin}, positional=3)
    zeros = Tensor._make(np.zeros((), dtype=input.dtype.numpy_dtype))
    # torch's C++ `margin - input` fills a tensor like the input with the margin first (truncated for integers)
    check_scalar_fits(float(margin), input.dtype)
    filled = Tensor._make(np.asarray(margin).astype(input.dtype.numpy_dtype))
    margin_part = _where(target != 1, (filled - input).clamp_min(0), zeros)
    self_part = _where(target != -1, input, zeros)
    return _reduce(margin_part + self_part, reduction)


def _where(condition, a, b):
    return _ops.where(condition, a, b)


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    """max(0, -target * (input1 - input2) + margin)."""
    reduction = _reduction(size_average, reduce, reduction)
    if not (input1.dim() == input2.dim() == target.dim()):
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {input1.size()}, input2: {input2.size()}, target: {target.size()} ")
    check_arguments("margin_ranking_loss", (("input1", "Tensor", 1), ("input2", "Tensor", 2), ("target", "Tensor", 3),
                                            ("margin", "float", 4)),
                    {"input1": input1, "input2": input2, "target": target, "margin": margin}, positional=4)
    return _reduce((-target * (input1 - input2) + margin).clamp_min(0), reduction)


_COSINE_EPS = 1e-12


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                          reduction="mean"):
    """1 - cos(x1, x2) where target == 1, max(0, cos(x1, x2) - margin) where target == -1."""
    reduction = _reduction(size_average, reduce, reduction)
    check_arguments("cosine_embedding_loss", (("input1", "Tensor", 1), ("input2", "Tensor", 2),
                                              ("target", "Tensor", 3), ("margin", "float", 4)),
                    {"input1": input1, "input2": input2, "target": target, "margin": margin}, positional=4)
    if target.dim() not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    wanted = 2 if target.dim() == 1 else 1
    if input1.dim() != wanted or input2.dim() != wanted:
        raise RuntimeError(f"{target.dim()}D target tensor expects {wanted}D input tensors, but found inputs with "
                           f"sizes {list(input1.shape)} and {list(input2.shape)}.")
    dim = input1.dim() - 1
    products = (input1 * input2).sum(dim)
    squares1 = (input1 * input1).sum(dim) + _COSINE_EPS
    squares2 = (input2 * input2).sum(dim) + _COSINE_EPS
    cos = products / (squares1 * squares2).sqrt()
    zeros = Tensor._make(np.zeros((), dtype=cos.dtype.numpy_dtype))
    positive = _where(target == 1, 1 - cos, zeros)
    negative = _where(target == -1, (cos - margin).clamp_min(0), zeros)
    return _reduce(positive + negative, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    """exp(input) - target * input (log_input), else input - target * log(input + eps); ``full`` adds
    Stirling's approximation of log(target!) where target > 1."""
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if reduction != "none" and reduction != "mean" and reduction != "sum":   # no elementwise_mean here
        raise ValueError(reduction + " is not a valid value for reduction")
    check_arguments("poisson_nll_loss", _TENSORS_AND_MARGIN + (("log_input", "bool", 3), ("full", "bool", 4),
                                                               ("eps", "float", 5)),
                    {"input": input, "target": target, "log_input": log_input, "full": full, "eps": eps},
                    positional=5)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss + stirling.masked_fill(target <= 1, 0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """0.5 * (log(max(var, eps)) + (input - target)^2 / max(var, eps)), plus 0.5 log(2 pi) if ``full``."""
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = Tensor._make(np.full(tuple(input.shape), var, dtype=input.dtype.numpy_dtype))
    elif (var.detach().numpy() < 0).any():
        raise ValueError("var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (input.dim() == var.dim() and sum(v for i, v in zip(input.shape, var.shape) if i != v) == 1):
            raise ValueError("var is of incorrect size")   # torch: one mismatched dim, of size 1 in var
    if reduction != "none" and reduction != "mean" and reduction != "sum":
        raise ValueError(f"{reduction} is not valid")
    var = var.clone()
    with no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """max(0, margin + d(anchor, positive) - d(anchor, negative)), d the p-norm pairwise distance; ``swap``
    takes min(d(a, n), d(p, n)) as the negative distance."""
    reduction = _reduction(size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    check_arguments("triplet_margin_loss", (("anchor", "Tensor", 1), ("positive", "Tensor", 2),
                                            ("negative", "Tensor", 3), ("margin", "float", 4), ("p", "float", 5),
                                            ("eps", "float", 6), ("swap", "bool", 7)),
                    {"anchor": anchor, "positive": positive, "negative": negative, "margin": margin, "p": p,
                     "eps": eps, "swap": swap}, positional=7)
    dims = (anchor.dim(), positive.dim(), negative.dim())
    if len(set(dims)) != 1:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {dims[0]}D, positive {dims[1]}D, and negative "
                           f"{dims[2]}D inputs")
    positive_distance = pairwise_distance(anchor, positive, p, eps)
    negative_distance = pairwise_distance(anchor, negative, p, eps)
    if swap:
        negative_distance = _ops.minimum(negative_distance, pairwise_distance(positive, negative, p, eps))
    return _reduce((margin + positive_distance - negative_distance).clamp_min(0), reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0,
                                      swap=False, reduction="mean"):
    """max(0, margin + d(anchor, positive) - d(anchor, negative)) for any distance function ``d``
    (default: pairwise_distance); ``swap`` takes min(d(a, n), d(p, n)) as the negative distance."""
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    dims = (anchor.dim(), positive.dim(), negative.dim())
    if len(set(dims)) != 1:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {dims[0]}D, positive {dims[1]}D, and negative "
                           f"{dims[2]}D inputs")
    distance = distance_function if distance_function is not None else pairwise_distance
    positive_distance = distance(anchor, positive)
    negative_distance = distance(anchor, negative)
    if swap:
        negative_distance = _ops.minimum(negative_distance, distance(positive, negative))
    return _reduce((margin + positive_distance - negative_distance).clamp_min(0), _reduction(None, None, reduction))


class _MultilabelMarginLoss(Function):
    """Per sample: sum over its target classes j and the other classes i of max(0, 1 - (x[j] - x[i])), over C."""

    backward_name = "MultilabelMarginLossBackward0"

    @staticmethod
    def forward(ctx, x, *, target_counts, reduction):
        rows = x.reshape(-1, x.shape[-1]) if x.ndim else x.reshape(1, 1)   # a 0-d input is one class
        counts = target_counts.reshape(rows.shape)  # a class listed twice counts twice, as in torch
        targets = counts > 0
        # hinge[n, j, i] for target j and non-target i; a NaN margin is not counted, as in torch
        with np.errstate(over="ignore", invalid="ignore"):
            hinge = 1 - (rows[:, :, None] - rows[:, None, :])
            active = (targets[:, :, None] & ~targets[:, None, :] & (hinge > 0)) * counts[:, :, None]
            per_sample = (np.where(active > 0, active * hinge, 0).sum(axis=(1, 2)) / rows.shape[1]).astype(x.dtype)
        ctx.args = (active, rows.shape, x.shape, reduction)
        if not rows.shape[0] and reduction != "none":   # torch's kernel skips an empty batch, leaving its output
            return np.zeros((), x.dtype)                 # uninitialised (small fresh memory: mostly zeros)
        out = _reduce_array(per_sample, reduction)
        return out.reshape(()) if reduction == "none" and x.ndim <= 1 else out

    @staticmethod
    def backward(ctx, grad):
        active, rows_shape, shape, reduction = ctx.args
        per_sample = _spread(grad, reduction, (rows_shape[0],)).reshape(-1) / rows_shape[1]
        weights = active * per_sample[:, None, None]
        g = weights.sum(axis=1) - weights.sum(axis=2)  # +1 for each non-target i, -1 for each target j
        return g.astype(grad.dtype).reshape(shape)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Multi-label hinge loss: ``target`` lists each sample's classes, ended by the first -1."""
    reduction = _reduction(size_average, reduce, reduction)
    ndims = input.dim()
    _check_nonempty_rows(input)
    classes = input.shape[-1] if ndims else 1
    if ndims <= 1:
        consistent = target.dim() <= 1 and target.numel() == classes
    else:
        consistent = tuple(target.shape) == tuple(input.shape)
    if not consistent:
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: "
                           f"{list(input.shape)}")
    indices = target.numpy().astype(np.int64).reshape(-1, classes)
    counts = np.zeros(indices.shape, dtype=np.int64)
    for row, labels in enumerate(indices):
        for label in labels:
            if label == -1:
                break
            if label < 0 or label >= classes:
                raise RuntimeError("argument #2 'target' is out of range")
            counts[row, label] += 1
    if input.numel():   # torch's kernel returns before it reads an empty batch (or looks at its dtypes)
        if input.dtype.name not in ("float32", "float64"):   # the kernel's dtypes (no half either)
            raise NotImplementedError(f'"multilabel_margin_loss_forward_out_frame" not implemented for '
                                      f"'{input.dtype.scalar_name}'")
        if target.dtype.name != "int64":   # read as int64 by the kernel, after the range check
            raise RuntimeError(f"expected scalar type Long but found {target.dtype.scalar_name}")
    return _MultilabelMarginLoss.apply(input, target_counts=counts.reshape(input.shape), reduction=reduction)
