"""npconv.nn.functional: local_response_norm (AlexNet), rms_norm and channel_shuffle, as torch.

Shapes::

    local_response_norm: (N, C, *) -> same; each value divided by (k + alpha/n sum of squares over n
                         neighbouring channels) ** beta
    rms_norm:            (*, *normalized_shape) -> same; x / sqrt(mean(x^2 over normalized_shape) + eps)
    channel_shuffle:     (N, C, *) -> same; channels (g, C/g) transposed to (C/g, g)
"""
import numpy as np

from ..._ops.parsing import check_arguments, native
from ...autograd import Function
from .normalization import check_normalized_shape
from .padding import pad
from .pooling import avg_pool2d, avg_pool3d

__all__ = ["local_response_norm", "rms_norm", "channel_shuffle"]


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """x / (k + alpha * mean of x^2 over ``size`` channels around each one) ** beta (composed as torch)."""
    dim = input.dim()
    if dim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input (got {dim} "
                         f"dimensions)")
    if input.numel() == 0:
        return input
    div = input.mul(input)
    before, after = size // 2, (size - 1) // 2
    if dim == 3:
        div = avg_pool2d(pad(div.unsqueeze(1), (0, 0, before, after)), (size, 1), stride=1).squeeze(1)
    else:
        sizes = input.size()
        div = div.view(sizes[0], 1, sizes[1], sizes[2], -1)
        div = avg_pool3d(pad(div, (0, 0, 0, 0, before, after)), (size, 1, 1), stride=1).squeeze(1)
        div = div.view(sizes)
    div = div.mul(alpha).add(k).pow(beta)
    return input / div


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """x / sqrt(mean(x^2) + eps) over the trailing ``normalized_shape`` dims, times ``weight`` if given;
    eps=None takes the machine epsilon of x's dtype."""
    check_arguments("rms_norm", (("normalized_shape", "ints", 2), ("weight", "Tensor?", 3), ("eps", "float?", 4)),
                    dict(normalized_shape=normalized_shape, weight=weight, eps=eps), 4)
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    check_normalized_shape(normalized_shape, weight=weight)
    if len(normalized_shape) > input.dim():   # torch's TORCH_CHECK_VALUE: a ValueError
        raise ValueError(f"Input tensor must have at least {len(normalized_shape)} dimensions, but got {input.dim()}")
    if tuple(input.shape[input.dim() - len(normalized_shape):]) != normalized_shape:
        expected = ", ".join(map(str, normalized_shape))
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with shape "
                           f"[*{expected}], but got input of size{list(input.shape)}")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f'"rms_norm" not implemented for \'{input.dtype.scalar_name}\'')
    # torch normalises half precision in float32 (with float32's epsilon by default), multiplies by the
    # weight there, and returns the input's dtype
    upcast = input.float() if input.dtype.name == "float16" else input
    if eps is None:
        eps = float(np.finfo(upcast.dtype.numpy_dtype).eps)
    dims = tuple(range(input.dim() - len(normalized_shape), input.dim()))
    normalized = upcast * (upcast.pow(2).mean(dims, keepdim=True) + eps).rsqrt()
    if weight is not None:
        normalized = normalized * weight
    return normalized if normalized.dtype == input.dtype else normalized.to(input.dtype)


class _ChannelShuffle(Function):
    backward_name = "ChannelShuffleBackward0"

    @staticmethod
    def forward(ctx, x, groups):
        ctx.groups = groups
        n, c = x.shape[:2]
        rest = x.shape[2:]
        return x.reshape((n, groups, c // groups) + rest).swapaxes(1, 2).reshape(x.shape)

    @staticmethod
    def backward(ctx, grad):
        n, c = grad.shape[:2]
        rest = grad.shape[2:]
        _check_groups(c // ctx.groups)  # torch shuffles back with C / groups groups, checked as any
        return grad.reshape((n, c // ctx.groups, ctx.groups) + rest).swapaxes(1, 2).reshape(grad.shape), None


def _check_groups(groups):
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")


def _shuffled(input, groups, node):
    if input.dim() <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with sizes "
                           f"{list(input.shape)}")
    groups = int(groups)
    _check_groups(groups)
    if input.shape[1] % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {input.shape[1]} channels and "
                           f"{groups} groups.")
    return node.apply(input, groups)


@native("channel_shuffle", input="Tensor", groups="int")
def channel_shuffle(input, groups):
    """Interleave the channels of ``groups`` groups (ShuffleNet): channel g * (C/g) + i goes to i * g + g."""
    return _shuffled(input, groups, _ChannelShuffle)


class _NativeChannelShuffle(_ChannelShuffle):
    """torch's native_channel_shuffle: the same shuffle without a derivative (its backward refuses)."""

    backward_name = "NotImplemented"

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError("derivative for aten::native_channel_shuffle is not implemented")


@native("native_channel_shuffle", input="Tensor", groups="int")
def native_channel_shuffle(input, groups):
    """channel_shuffle without a gradient, as torch's."""
    return _shuffled(input, groups, _NativeChannelShuffle)


__all__.append("native_channel_shuffle")
