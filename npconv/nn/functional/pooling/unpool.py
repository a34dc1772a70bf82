"""Max unpooling, as torch.nn.functional.max_unpool{1,2,3}d."""
import math

import numpy as np

from ....autograd import Function, named_variant
from ....kernels import pooling as kernels
from .._arguments import check_argument
from ._common import (_batched, _check_dtype, _describe, _pooled_meta, _tuple, _unbatched_like)

__all__ = ["max_unpool1d", "max_unpool2d", "max_unpool3d"]


class _MaxUnpool(Function):
    graph_inputs = 1   # the indices have no gradient and no entry
    @staticmethod
    def forward(ctx, x, indices, n, out_size):
        ctx.n = n
        ctx.indices = _batched(indices, n)
        xb = _batched(x, n)
        if xb.size == 0:  # nothing to place (the kernel cannot reshape an empty batch)
            return _unbatched_like(np.zeros(xb.shape[:2] + tuple(out_size), x.dtype), x, n)
        y = kernels.max_unpool_forward(xb, ctx.indices, out_size)
        return _unbatched_like(y, x, n)

    @staticmethod
    def backward(ctx, grad):
        if ctx.indices.size == 0:
            return np.zeros(ctx.indices.shape if grad.ndim == ctx.indices.ndim else ctx.indices.shape[1:],
                            grad.dtype), None, None, None
        gx = kernels.max_unpool_backward(_batched(grad, ctx.n), ctx.indices)
        return _unbatched_like(gx, grad, ctx.n), None, None, None

    @staticmethod
    def meta(x, indices, n, out_size):
        return _pooled_meta(x, n, out_size)



def _unpool_output_size(input, kernel_size, stride, padding, output_size):
    """torch's rule: the default is the transposed-convolution size; an explicit ``output_size`` (with or
    without the N, C dims) must lie strictly within one stride of it."""
    n = len(kernel_size)
    # torch's Python wrapper computes it for any stride (zero and negative too), not only valid ones
    default = tuple((size - 1) * s - 2 * p + k for size, k, s, p in zip(input.shape[-n:], kernel_size, stride, padding))
    if output_size is None:
        return tuple(default)
    output_size = tuple(int(o) for o in output_size)
    if len(output_size) == n + 2:
        output_size = output_size[2:]
    if len(output_size) != n:
        raise ValueError(f"output_size should be a sequence containing {n} or {n + 2} elements, but it has "
                         f"a length of '{len(output_size)}'")
    for d in range(n):
        low, high = default[d] - stride[d], default[d] + stride[d]
        if not low < output_size[d] < high:
            raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between {low} and {high})')
    return output_size


def _check_unpool_arguments(n, input, kernel_size, stride, padding, output_size):
    """torch's Python wrapper computes the default output size from the raw arguments (a float kernel,
    stride or padding gives float sizes) and passes the sizes by position to the native op, whose parser
    then refuses non-ints."""
    def spread(value):
        return tuple(value) * (n if len(value) == 1 else 1) if isinstance(value, (tuple, list)) else (value,) * n
    if output_size is None:
        k = spread(kernel_size)
        s, p = (k if stride is None else spread(stride)), spread(padding)
        sizes = [(i - 1) * ss - 2 * pp + kk for i, kk, ss, pp in zip(input.shape[-n:], k, s, p)]
    else:
        sizes = list(output_size)[-n:]
    for index, size in enumerate(sizes):
        if isinstance(size, (int, float)) and not size >= 0:   # NaN too
            raise ValueError(f"max_unpooling: output_size must contain non-negative spatial dimensions, but got "
                             f"output_size[{index}]={size}")
    # torch's 1-d unpooling runs the 2-d op on a height-1 input: its name in the message
    check_argument(f"max_unpool{max(n, 2)}d", "output_size", "ints", sizes, 3)
    if n == 3:   # only the 3-d op takes the stride and padding, parsed as int tuples
        check_argument("max_unpool3d", "stride", "ints", spread(kernel_size if stride is None else stride), 4)
        check_argument("max_unpool3d", "padding", "ints", spread(padding), 5)


def _max_unpool(n, input, indices, kernel_size, stride, padding, output_size):
    _check_unpool_arguments(n, input, kernel_size, stride, padding, output_size)
    k = _tuple(kernel_size, n, "kernel_size", f"max_unpool{n}d")
    s = _tuple(stride, n, "stride", f"max_unpool{n}d", omitted_ok=True) or k
    p = _tuple(padding, n, "padding", f"max_unpool{n}d")
    out = _unpool_output_size(input, k, s, p, output_size)
    if indices.dtype.numpy_dtype != np.int64:
        raise RuntimeError(f"elements in indices should be type int64 but got: {indices.dtype.scalar_name}")
    if tuple(indices.shape) != tuple(input.shape):
        raise RuntimeError("Expected shape of indices to be same as that of the input tensor "
                           f"({list(input.shape)}) but got indices tensor with shape: {list(indices.shape)}")
    if input.dim() not in (n + 1, n + 2):
        # torch runs the 1-d op as the 2-d one on the input with a trailing unit dim: its words
        kernel_dims, shown = max(n, 2), input.dim() + (n == 1)
        raise RuntimeError(f"Input to max_unpooling{kernel_dims}d should be a {kernel_dims + 1}d or "
                           f"{kernel_dims + 2}d Tensor, but got a tensor with {shown} dimensions.")
    _check_unpool_nonempty(input, n)
    if n == 3 and any(v <= 0 for v in s):  # only the 3-d kernel reads the stride
        raise RuntimeError(f"strides should be greater than zero, but got stride: {list(s)}")
    # no index values in shape-only mode; torch reads none when the output is empty
    if not (input.is_meta or indices.is_meta) and math.prod(out) > 0:
        _check_unpool_indices(indices.numpy(), out)
    if input.numel():  # no kernel runs on an empty input, whatever its dtype
        _check_dtype(input, f"max_unpool{max(n, 2)}d")
    # torch's node is MaxUnpool2DBackward0 / 3D (its 1-d op is the 2-d one on an unsqueezed input)
    return named_variant(_MaxUnpool, f"MaxUnpool{max(n, 2)}DBackward0").apply(input, indices, n, out)


def _check_unpool_nonempty(input, n):
    """torch's unpooling kernel refuses an empty dim after the first (of the input seen as 2-d for n = 1)."""
    shape = list(input.shape) + [1] * (n == 1)
    for d in range(1, len(shape)):
        if shape[d] == 0:
            raise RuntimeError(f"max_unpooling{max(n, 2)}d_forward_out_cpu(): Expected input to have non-zero size "
                               f"for non-batch dimensions, but got {shape} with dimension {d} being empty.")


def _check_unpool_indices(idx, out):
    plane = math.prod(out)
    if idx.size and (idx.min() < 0 or idx.max() >= plane):
        bad = int(idx.max()) if idx.max() >= plane else int(idx.min())
        shown = tuple(out) + (1,) if len(out) == 1 else out   # torch unpools 1-d as (L, 1) planes
        raise RuntimeError(f"Found an invalid max index: {bad} (output volumes are of size {_describe(shown)})")


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of max_pool1d: (N, C, L_in) -> (N, C, L_out), L_out = (L_in - 1) s - 2p + k
    unless ``output_size`` is given; every value lands at its index, the rest are zeros."""
    return _max_unpool(1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of max_pool2d: (N, C, H_in, W_in) -> (N, C, H_out, W_out), per dim
    out = (in - 1) s - 2p + k unless ``output_size`` is given; non-maximal positions are zeros."""
    return _max_unpool(2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Partial inverse of max_pool3d: (N, C, D, H, W)_in -> (N, C, D, H, W)_out, per dim as max_unpool2d."""
    return _max_unpool(3, input, indices, kernel_size, stride, padding, output_size)
