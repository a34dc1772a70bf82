"""Max unpooling, as torch.nn.functional.max_unpool{1,2,3}d."""
import collections.abc
import math

import numpy as np

from ...._memory import check_allocation
from ....autograd import Function, named_variant
from ....kernels import pooling as kernels
from ...._ops.parsing import check_argument
from ._common import _batched, _check_dtype, _describe, _pooled_meta, _unbatched_like

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
        if ctx.indices.size and grad.size == 0:
            # torch gathers the gradient at the indices, which an empty output cannot hold (its forward skipped
            # the index check then): the gather's error, for the flattened planes' dim
            raise RuntimeError(f"index {int(ctx.indices.reshape(-1)[0])} is out of bounds for dimension "
                               f"{1 if grad.ndim == ctx.n + 1 else 2} with size 0")
        if ctx.indices.size == 0:
            return np.zeros(ctx.indices.shape if grad.ndim == ctx.indices.ndim else ctx.indices.shape[1:],
                            grad.dtype), None, None, None
        gx = kernels.max_unpool_backward(_batched(grad, ctx.n), ctx.indices)
        return _unbatched_like(gx, grad, ctx.n), None, None, None

    @staticmethod
    def meta(x, indices, n, out_size):
        return _pooled_meta(x, n, out_size)



def _python_tuple(value, n):
    """torch's _single/_pair/_triple: any iterable as the tuple of its items, anything else repeated."""
    return tuple(value) if isinstance(value, collections.abc.Iterable) else (value,) * n


def _unpool_output_size(input, kernel_size, stride, padding, output_size):
    """torch's Python rule, with Python's own errors for odd arguments (a short stride, a str kernel): the
    default is the transposed-convolution size; an explicit ``output_size`` (with or without the N, C dims)
    must lie strictly within one stride of it; no size may be negative (or NaN)."""
    input_size = tuple(input.shape)
    default = [(input_size[-len(kernel_size) + d] - 1) * stride[d] + kernel_size[d] - 2 * padding[d]
               for d in range(len(kernel_size))]
    if output_size is None:
        sizes = default
    else:
        if len(output_size) == len(kernel_size) + 2:
            output_size = output_size[2:]
        if len(output_size) != len(kernel_size):
            raise ValueError(f"output_size should be a sequence containing {len(kernel_size)} or "
                             f"{len(kernel_size) + 2} elements, but it has a length of '{len(output_size)}'")
        for d in range(len(kernel_size)):
            low, high = default[d] - stride[d], default[d] + stride[d]
            if not low < output_size[d] < high:
                raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between {low} and {high})')
        sizes = output_size
    for d in range(len(kernel_size)):
        if not sizes[d] >= 0:   # NaN too
            raise ValueError(f"max_unpooling: output_size must contain non-negative spatial dimensions, but got "
                             f"output_size[{d}]={sizes[d]}")
    return list(sizes)


def _max_unpool(n, input, indices, kernel_size, stride, padding, output_size):
    """torch's wrapper (its Python, then the native op's parser and checks, in order), then the op."""
    k = _python_tuple(kernel_size, n)
    s = k if stride is None else _python_tuple(stride, n)
    p = _python_tuple(padding, n)
    sizes = _unpool_output_size(input, k, s, p, output_size) + [1] * (n == 1)   # 1-d runs as 2-d
    native = f"max_unpool{max(n, 2)}d"
    check_argument(native, "output_size", "ints", sizes, 3)
    if n == 3:
        check_argument(native, "stride", "ints", s, 4)
        check_argument(native, "padding", "ints", p, 5)
        _check_unpool3d(input, indices, sizes, s, p)
    else:
        _check_unpool2d(input, indices, sizes, n)
    out = tuple(sizes[:n])
    if not input.is_meta:   # torch sizes its output here: its errors for one beyond int64 or memory
        check_allocation(tuple(input.shape[:input.dim() - n]) + out, input.element_size(), count_first=True)
    batch_and_channels = math.prod(input.shape[:input.dim() - n])
    if batch_and_channels * math.prod(out) > 0:   # torch's kernel runs only for a non-empty output
        _check_dtype(input, native)
        if not (input.is_meta or indices.is_meta):
            _check_unpool_indices(indices.numpy(), out)
    # torch's node is MaxUnpool2DBackward0 / 3D (its 1-d op is the 2-d one on an unsqueezed input)
    return named_variant(_MaxUnpool, f"MaxUnpool{max(n, 2)}DBackward0").apply(input, indices, n, out)


def _check_unpool2d(input, indices, sizes, n):
    """max_unpool2d's checks (the 1-d op's too, on the input with a trailing unit dim)."""
    if indices.dtype.numpy_dtype != np.int64:
        raise RuntimeError(f"elements in indices should be type int64 but got: {indices.dtype.scalar_name}")
    if len(sizes) != 2:
        raise RuntimeError(f"There should be exactly two elements (height, width) in output_size, but got "
                           f"{len(sizes)} elements.")
    _check_unpool_rank(input, n, 2)
    _check_same_shape(input, indices, n)
    _check_unpool_nonempty(input, n)


def _check_unpool3d(input, indices, sizes, stride, padding):
    if indices.dtype.numpy_dtype != np.int64:
        raise RuntimeError("elements in indices should be type int64")
    _check_unpool_rank(input, 3, 3)
    for name, values in (("output_size", sizes), ("stride", stride), ("padding", padding)):
        if len(values) != 3:
            got = "got" if name == "output_size" else "got:"
            raise RuntimeError(f"There should be exactly three elements (depth, height, width) in {name}, but "
                               f"{got} {len(values)} elements.")
    _check_same_shape(input, indices, 3)
    _check_unpool_nonempty(input, 3)
    if any(v <= 0 for v in stride):
        raise RuntimeError(f"strides should be greater than zero, but got stride: {list(stride)}")


def _check_unpool_rank(input, n, kernel_dims):
    if input.dim() not in (n + 1, n + 2):
        shown = input.dim() + (n == 1)   # the 1-d op's input has a trailing unit dim there
        raise RuntimeError(f"Input to max_unpooling{kernel_dims}d should be a {kernel_dims + 1}d or "
                           f"{kernel_dims + 2}d Tensor, but got a tensor with {shown} dimensions.")


def _check_same_shape(input, indices, n):
    if tuple(indices.shape) != tuple(input.shape):
        unit = [1] * (n == 1)   # the 1-d op's operands have a trailing unit dim there
        raise RuntimeError("Expected shape of indices to be same as that of the input tensor "
                           f"({list(input.shape) + unit}) but got indices tensor with shape: "
                           f"{list(indices.shape) + unit}")


def _check_unpool_nonempty(input, n):
    """torch's unpooling kernel refuses an empty dim after the first (of the input seen as 2-d for n = 1)."""
    shape = list(input.shape) + [1] * (n == 1)
    for d in range(1, len(shape)):
        if shape[d] == 0:
            raise RuntimeError(f"max_unpooling{max(n, 2)}d_forward_out_cpu(): Expected input to have non-zero size "
                               f"for non-batch dimensions, but got {shape} with dimension {d} being empty.")


def _check_unpool_indices(idx, out):
    plane = math.prod(out)
    invalid = idx[(idx < 0) | (idx >= plane)]
    if invalid.size:
        bad = int(invalid[-1])   # torch's kernel keeps the last one it meets, in C order
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
