"""npconv.nn.functional: dropout, as torch. Shapes are kept: (*) -> (*).

In training, each element (dropout) or each whole channel (dropout1d/2d/3d) is zeroed with probability
``p`` and the survivors are scaled by 1 / (1 - p), so the expectation is unchanged; in eval mode
(``training=False``) the input passes through. The mask comes from npconv's global generator
(``npconv.manual_seed``), so runs are reproducible, though not the same draws as torch's.
"""
import math
import warnings

import numpy as np

from ... import random as _random
from ..._memory import check_allocation
from ..._graph_backward import double_backward
from ...autograd import Function
from ..._tensor import Tensor
from ..._ops.parsing import check_argument
from .activation import _inplace

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]


class _Mask(Function):
    """Multiply by a fixed mask (already scaled by 1 / (1 - p))."""

    backward_name = "MulBackward0"
    graph_inputs = 2   # input and mask, as torch's product

    @staticmethod
    def forward(ctx, x, mask):
        ctx.mask = mask
        return x * mask

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.mask, None

    @staticmethod
    def meta(x, mask):
        return np.broadcast_shapes(x.shape, mask.shape), np.result_type(x.dtype, mask.dtype)



@double_backward(_Mask)
def _mask_gradient(node, g):
    return g * Tensor._make(np.asarray(node.mask)), None

def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _native_p(op, p, training):
    """What torch's native dropout op checks after the Python range check: ``training`` must be a bool
    (argument 'train'), and a nan probability, which passes ``p < 0 or p > 1``, is refused. Returns p as a
    Python float (a 0-d Tensor probability works too)."""
    check_argument(op, "p", "float", p if not isinstance(p, Tensor) else 0.0, 2)
    check_argument(op, "train", "bool", training, 3)
    p = float(p)
    if math.isnan(p):
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {p}")
    return p


def _shape_only_mask(input, mask_shape):
    """A meta input has no values to drop: a zero-stride mask keeps the shape and draws no random numbers."""
    return np.broadcast_to(np.zeros((), input.dtype.numpy_dtype), mask_shape)


def _check_floating_result(input, name=None):
    """torch multiplies by a float mask in place of the input's dtype: integer and bool inputs are refused
    (the alpha variants first turn a bool input into int64, hence ``name``)."""
    if not input.dtype.is_floating_point and input.numel() > 0:  # torch runs no kernel on an empty input
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{name or input.dtype.scalar_name}")


def _skipped(input, p, training):
    """torch's early exits before any check of the input: nothing to drop, not training, or no elements
    (the input itself comes back, even in place on a leaf)."""
    return not training or p == 0.0 or input.numel() == 0


def _times(input, mask, inplace):
    """input * mask; in place as torch's ``mul_`` (its checks, MulBackward0, one version, views rebased)."""
    if inplace:
        return input.mul_(Tensor._make(mask, input.is_meta))
    return _Mask.apply(input, mask)


def _masked(input, p, mask_shape, inplace=False):
    """torch's dropout past its early exits: the input times a random mask of kept / (1 - p)."""
    _inplace(input, inplace)
    if p != 1.0:
        _check_floating_result(input)
    dtype = input.dtype.numpy_dtype
    if not input.is_meta:  # the result has the input's full size, even for an expanded input
        check_allocation(tuple(input.shape), dtype.itemsize)
    if input.is_meta:
        mask = _shape_only_mask(input, mask_shape)
    elif p == 1.0:
        mask = np.zeros(mask_shape, dtype=dtype)
    else:
        keep = _random.generator().random(mask_shape) >= p
        mask = keep.astype(dtype) / dtype.type(1.0 - p)
    return _times(input, mask, inplace)


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale the rest by 1/(1-p) (identity when not training)."""
    _check_p(p)
    p = _native_p("dropout_" if inplace else "dropout", p, training)
    if _skipped(input, p, training):
        return input
    return _masked(input, p, tuple(input.shape), inplace)


def _channel_dropout(input, p, training, batched, inplace=False):
    """torch's feature dropout of (N, C, *S); an unbatched (C, *S) input gets a batch dim around it, added
    and removed in place when inplace (torch's unsqueeze_ / squeeze_ nodes and versions)."""
    if not batched:
        input = input.unsqueeze_(0) if inplace else input.unsqueeze(0)
    p = _native_p("feature_dropout_" if inplace else "feature_dropout", p, training)
    result = input
    if not _skipped(input, p, training):
        if p != 1.0 and input.dim() < 2:   # the channel noise needs (N, C); p = 1 multiplies by zero first
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        shape = tuple(input.shape)
        result = _masked(input, p, shape[:2] + (1,) * (len(shape) - 2), inplace)
    if not batched:
        result = result.squeeze_(0) if inplace else result.squeeze(0)
    return result


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) or (C, L) with probability p, scaling the rest by 1/(1-p)."""
    _check_p(p)
    if input.dim() not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.dim()}D input. Note that "
                           "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a "
                           "channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _channel_dropout(input, p, training, input.dim() == 3, inplace)


def _warn_unexpected_rank(n, ndim):
    """dropout2d/3d's deprecation warning for an input that is not (C, *S) or (N, C, *S) with n dims in S;
    stacklevel points at the caller of dropout{n}d."""
    if ndim not in (n + 1, n + 2):
        warnings.warn(f"dropout{n}d: Received a {ndim}-D input to dropout{n}d, which is deprecated and will result "
                      "in an error in a future release. To retain the behavior and silence this warning, please use "
                      f"dropout instead. Note that dropout{n}d exists to provide channel-wise dropout on inputs with "
                      f"{n} spatial dimensions, a channel dimension, and an optional batch dimension (i.e. {n + 1}D or "
                      f"{n + 2}D inputs).", stacklevel=3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, H, W) or (C, H, W) with probability p, scaling the rest by 1/(1-p)."""
    _check_p(p)
    ndim = input.dim()
    _warn_unexpected_rank(2, ndim)
    if ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                      "This behavior will change in a future release to interpret the input as one without a "
                      "batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, "
                      "please switch to using dropout1d instead.", stacklevel=2)
    return _channel_dropout(input, p, training, True, inplace)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) with probability p, scaling the rest by 1/(1-p)."""
    _check_p(p)
    ndim = input.dim()
    _warn_unexpected_rank(3, ndim)
    return _channel_dropout(input, p, training, ndim == 5, inplace)


def _alpha(op, input, p, training, mask_shape, inplace=False):
    """SELU-preserving dropout: dropped units take the SELU saturation value, then an affine fix-up (in
    place as torch: mul_ then add_)."""
    _check_p(p)
    p = _native_p(op + "_" if inplace else op, p, training)   # torch's in-place native op is op_
    if _skipped(input, p, training):
        return input
    _inplace(input, inplace)
    if op == "feature_alpha_dropout" and p != 1.0 and input.dim() < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    if p != 1.0:
        _check_floating_result(input, "Long" if input.dtype.name == "bool" else None)
    dtype = input.dtype.numpy_dtype
    alpha_prime = -1.7580993408473766  # -scale * alpha of SELU
    if input.is_meta:
        return _times(input, _shape_only_mask(input, mask_shape), inplace)
    if p == 1.0:
        return _times(input, np.zeros(tuple(input.shape), dtype=dtype), inplace)
    keep = (_random.generator().random(mask_shape) >= p).astype(dtype)
    a = (1.0 / np.sqrt((alpha_prime ** 2 * p + 1) * (1 - p)))
    b = -a * alpha_prime * p
    shift = Tensor._make(dtype.type(a * alpha_prime) * (1 - keep) + dtype.type(b))
    scaled = _times(input, (keep * a).astype(dtype), inplace)
    return scaled.add_(shift) if inplace else scaled + shift


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for SELU networks (keeps zero mean and unit variance)."""
    return _alpha("alpha_dropout", input, p, training, tuple(input.shape), inplace)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Channel-wise alpha dropout."""
    shape = tuple(input.shape)
    return _alpha("feature_alpha_dropout", input, p, training, shape[:2] + (1,) * (len(shape) - 2), inplace)
