"""npconv.nn.functional: fractional_max_pool2d / 3d (Graham's fractional max-pooling), as torch.

Shapes::

    fractional_max_pool2d: (N, C, H, W) or (C, H, W) -> (N, C, oH, oW), oH = output_size or int(H * ratio)
    fractional_max_pool3d: (N, C, T, H, W) or (C, T, H, W) -> (N, C, oT, oH, oW)

Each output cell takes the max over a kernel_size window whose start along each dim follows a pseudo-
random increasing sequence drawn from one sample u in [0, 1) per (sample, channel, dim): start_i =
int((i + u) * alpha) - int(u * alpha), alpha = (in - k) / (out - 1), the last window ending at the edge.
"""
import numpy as np

from ... import random as _random
from ..._tensor import Tensor
from ...autograd import Function

__all__ = ["fractional_max_pool2d", "fractional_max_pool3d", "fractional_max_pool2d_with_indices",
           "fractional_max_pool3d_with_indices"]


def _window_starts(sample, size, out, kernel, dtype):
    """torch's interval sequence, computed in the input's dtype as its kernel does."""
    t = dtype.type
    starts = np.empty(out, dtype=np.int64)
    if out > 1:
        alpha = t(size - kernel) / t(out - 1)
        offset = int(t(sample) * alpha)
        for i in range(out - 1):
            starts[i] = int((t(i) + t(sample)) * alpha) - offset
    if out > 0:
        starts[out - 1] = size - kernel
    return starts


class _FractionalMaxPool(Function):
    @staticmethod
    def forward(ctx, x, samples, kernel, out):
        if x.ndim == len(kernel) + 1:  # torch pools an unbatched input in one node too
            output, indices = _FractionalMaxPool.forward(ctx, x[None], samples, kernel, out)
            ctx.input_shape, ctx.unbatched = x.shape, True
            return output[0], indices[0]
        ctx.unbatched = False
        n, c = x.shape[:2]
        dims = len(kernel)
        spatial = x.shape[2:]
        output = np.empty((n, c) + tuple(out), dtype=x.dtype)
        indices = np.empty((n, c) + tuple(out), dtype=np.int64)
        flat_input = x.reshape(n, c, -1)
        strides = np.cumprod((1,) + tuple(spatial[::-1]))[:-1][::-1]  # flat index of each spatial dim
        for b in range(n):
            for ch in range(c):
                # the sample order is torch's: (W, H) for 2-d, (T, H, W) for 3-d
                order = (1, 0) if dims == 2 else (0, 1, 2)
                starts = [_window_starts(samples[b, ch, order[d]], spatial[d], out[d], kernel[d], x.dtype)
                          for d in range(dims)]
                positions = _window_positions(starts, kernel, out, strides)
                values = flat_input[b, ch][positions]
                best = _argmax_nan_last(values)
                indices[b, ch] = np.take_along_axis(positions, best[..., None], axis=-1)[..., 0]
                output[b, ch] = np.take_along_axis(values, best[..., None], axis=-1)[..., 0]
        ctx.indices, ctx.input_shape = indices, x.shape
        return output, indices

    @staticmethod
    def backward(ctx, grad, *unused):
        if ctx.unbatched:
            return _scatter_to_maxima(grad[None], ctx.indices, (1,) + ctx.input_shape)[0], None, None, None
        return _scatter_to_maxima(grad, ctx.indices, ctx.input_shape), None, None, None


def _scatter_to_maxima(grad, indices, input_shape):
    """Each output's gradient added at the input position of its maximum."""
    n, c = input_shape[:2]
    result = np.zeros((n, c, int(np.prod(input_shape[2:]))), dtype=grad.dtype)
    flat_grad = grad.reshape(n, c, -1)
    flat_index = indices.reshape(n, c, -1)
    for b in range(n):
        for ch in range(c):
            np.add.at(result[b, ch], flat_index[b, ch], flat_grad[b, ch])
    return result.reshape(input_shape)


def _window_positions(starts, kernel, out, strides):
    """Flat input positions of every window element, (*out, prod(kernel)), the window in row-major order."""
    dims = len(kernel)
    positions = 0
    for d in range(dims):
        shape = [1] * (2 * dims)
        shape[d], shape[dims + d] = out[d], kernel[d]
        along = starts[d][:, None] + np.arange(kernel[d])
        positions = positions + along.reshape(shape) * strides[d]
    return np.broadcast_to(positions, tuple(out) + tuple(kernel)).reshape(tuple(out) + (-1,))


def _argmax_nan_last(values):
    """The first maximum along the last axis, or the last NaN (torch: ``val > max || isnan(val)``)."""
    nan = np.isnan(values)
    last_nan = values.shape[-1] - 1 - nan[..., ::-1].argmax(axis=-1)
    return np.where(nan.any(axis=-1), last_nan, values.argmax(axis=-1))


class _FractionalMaxPool2D(_FractionalMaxPool):
    backward_name = "FractionalMaxPool2DBackward0"


class _FractionalMaxPool3D(_FractionalMaxPool):
    backward_name = "FractionalMaxPool3DBackward0"


def _fractional(dims, input, kernel_size, output_size, output_ratio, return_indices, _random_samples):
    name = f"fractional_max_pool{dims}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an output_ratio")
    kernel = _ints(kernel_size, dims)
    if output_size is None:
        ratio = _floats(output_ratio, dims)
        output_size = [int(input.size(d - dims) * r) for d, r in enumerate(ratio)]
    out = _ints(output_size, dims)
    if _random_samples is None:
        batch = 1 if input.dim() == dims + 1 else input.size(0)
        channels = input.size(-dims - 1)
        _random_samples = Tensor._make(_random.generator().random((batch, channels, dims)).astype(
            input.dtype.numpy_dtype))
    batched = input.dim() == dims + 2
    if input.dim() not in (dims + 1, dims + 2):
        raise RuntimeError(f"{name}(): Expected {dims + 1}D or {dims + 2}D tensor, but got: {list(input.shape)}")
    x = input if batched else input.unsqueeze(0)
    samples = _random_samples.detach().numpy()
    if samples.ndim != 3 or samples.shape[2] != dims:
        raise RuntimeError(f"Expect _random_samples.size(2) equals to {dims}; got {samples.shape[2]}.")
    names = ("height", "width") if dims == 2 else ("time", "height", "width")
    for d in range(dims):
        # torch's 3-d kernel also refuses a last window that ends exactly at the edge
        reach = out[d] + kernel[d] - 1 + (dims == 3)
        if reach > x.shape[2 + d]:
            raise RuntimeError(f"{name if dims == 2 else name + '_out'}(): pool {names[d]} {kernel[d]} too large "
                               f"relative to input {names[d]} {x.shape[2 + d]}")
    node = _FractionalMaxPool2D if dims == 2 else _FractionalMaxPool3D
    output, indices = node.apply(input, samples, kernel, out)
    indices = Tensor._make(indices)
    return (output, indices) if return_indices else output


def _ints(value, dims):
    return tuple(int(v) for v in value) if isinstance(value, (tuple, list)) else (int(value),) * dims


def _floats(value, dims):
    return tuple(float(v) for v in value) if isinstance(value, (tuple, list)) else (float(value),) * dims


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    """Fractional max pooling over (H, W); see the module doc."""
    return _fractional(2, input, kernel_size, output_size, output_ratio, return_indices, _random_samples)


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    """Fractional max pooling over (T, H, W); see the module doc."""
    return _fractional(3, input, kernel_size, output_size, output_ratio, return_indices, _random_samples)


def fractional_max_pool2d_with_indices(*args, **kwargs):
    return fractional_max_pool2d(*args, **dict(kwargs, return_indices=True))


def fractional_max_pool3d_with_indices(*args, **kwargs):
    return fractional_max_pool3d(*args, **dict(kwargs, return_indices=True))
