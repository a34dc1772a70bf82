"""Average pooling, as torch.nn.functional.avg_pool{1,2,3}d."""
import numpy as np

from ...._graph_backward import double_backward, linear_in_grad, operand
from ....autograd import Function
from ....kernels import pooling as kernels
from ...._ops.parsing import native
from ...._tensor import _normalize_dim
from ._common import (check_1d_lists, check_positive, _batched, _check_c_int, _check_dtype, _check_rank,
                      _check_rank_first, _check_window, _FLOATS, _named_by_dims, _output_size, _pool, _pooled_meta,
                      _refuse_empty, _tuple, _unbatched_like)

__all__ = ["avg_pool1d", "avg_pool2d", "avg_pool3d"]


class _AvgPool(Function):
    graph_inputs = 1   # options such as divisor_override=None are not tensors
    @staticmethod
    def forward(ctx, x, n, kernel_size, stride, padding, out_size, ceil_mode, count_include_pad,
                divisor_override):
        ctx.args = (n, x.shape[-n:], kernel_size, stride, padding, count_include_pad, divisor_override)
        ctx.forward_args = (out_size, ceil_mode)   # for the adjoint of backward (create_graph)
        integral = x.dtype.kind in "iu"
        y = kernels.avg_pool_forward(_batched(x.astype(np.float64) if integral else x, n), kernel_size, stride,
                                     padding, out_size, ceil_mode, count_include_pad, divisor_override)
        if integral:  # torch divides integer sums by integer divisors: the quotient rounds toward zero
            y = np.trunc(y).astype(x.dtype)
        return _unbatched_like(y, x, n)

    @staticmethod
    def backward(ctx, grad):
        n, spatial, kernel_size, stride, padding, count_include_pad, divisor_override = ctx.args
        gx = kernels.avg_pool_backward(_batched(grad, n), spatial, kernel_size, stride, padding,
                                       count_include_pad, divisor_override)
        return (_unbatched_like(gx, grad, n),) + (None,) * 8

    @staticmethod
    def meta(x, n, kernel_size, stride, padding, out_size, *args):
        return _pooled_meta(x, n, out_size)



@double_backward(_AvgPool)
def _avg_pool_gradient(node, g):
    """create_graph: the backward's adjoint is the forward itself; torch sends the input zeros."""
    n, _, kernel_size, stride, padding, count_include_pad, divisor_override = node.args
    out_size, ceil_mode = node.forward_args

    def pool(v):
        v = np.asarray(v)
        y = kernels.avg_pool_forward(_batched(v, n), kernel_size, stride, padding, out_size, ceil_mode,
                                     count_include_pad, divisor_override)
        return _unbatched_like(y, v, n)
    return (linear_in_grad(node, g, pool, (operand(node, 0),)),) + (None,) * 8

_AVG_POOL = _named_by_dims(_AvgPool, "AvgPool{}DBackward0", __name__)


def check_avg_pool1d_lists(kernel_size, stride, padding):
    """avg_pool1d's parser: kernel_size, stride and padding are one int each (an empty stride is none)."""
    check_1d_lists("avg_pool1d", kernel_size=kernel_size, stride=stride, padding=padding)


def _avg_pool(n, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    op = f"avg_pool{n}d"
    if n == 1:
        if input.dim() not in (2, 3):
            raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional tensor for "
                               "argument #1 'self' (while checking arguments for avg_pool1d)")
        op = "avg_pool1d"
        check_avg_pool1d_lists(kernel_size, stride, padding)
    k = _tuple(kernel_size, n, "kernel_size", op if n > 1 else "avg_pool2d")
    s = _tuple(stride, n, "stride", op if n > 1 else "avg_pool2d", omitted_ok=True) or k
    p = _tuple(padding, n, "padding", op if n > 1 else "avg_pool2d")
    _check_c_int(k, s, p)
    if divisor_override is not None and divisor_override == 0:   # right after the arguments are read
        raise RuntimeError("divisor must be not zero")
    check_avg_pool_input(n, input, k, s, p, op)
    ones = (1,) * n
    if n == 3:
        _check_avg_pool3d_input(input, k, s, p)
    out = _output_size(input, n, k, s, p, ones, ceil_mode)
    # integer averages: int64 only, rounded toward zero
    if n == 3:
        _check_dtype(input, "avg_pool3d_out_frame", ("float32", "float64", "int64"))
    _check_dtype(input, "avg_pool2d", _FLOATS + ("int64",), dims=n)
    return _pool(_AVG_POOL, input, n, (k, s, p, out), (1, 1, 0, 1),
                 (bool(ceil_mode), bool(count_include_pad), divisor_override))


def check_avg_pool_input(n, input, k, s, p, op):
    """avg pooling's checks of the input against the window, in torch's order (lp pooling's too)."""
    if n == 2:   # torch reads dim -3 first
        _normalize_dim(-3, input.dim())
    if n == 3:
        _check_rank_first(input, n)
    _check_window(k, s, p, (1,) * n)   # torch's output-length rules come before its rank and size checks
    check_positive(n, k, s, (1,) * n)   # the shape check looks at the window before the empty dims
    if n > 1:
        _check_rank(input, n, op)
    elif 0 in input.shape[-2:]:  # torch pools a height-1 image: its words and shape
        _refuse_empty(input.shape[:-1] + (1, input.shape[-1]), 2)


def _check_avg_pool3d_input(input, kernel_size, stride, padding):
    """avg_pool3d alone refuses an input smaller than the kernel, whatever the padding."""
    _check_window(kernel_size, stride, padding, (1, 1, 1))
    spatial, k = input.shape[-3:], kernel_size
    if any(i < kk for i, kk in zip(spatial, k)):
        raise RuntimeError(f"input image (T: {spatial[0]} H: {spatial[1]} W: {spatial[2]}) smaller "
                           f"than kernel size (kT: {k[0]} kH: {k[1]} kW: {k[2]})")


_AVG_POOL_KINDS = dict(kernel_size="ints", stride="ints?", padding="ints", ceil_mode="bool",
                       count_include_pad="bool", divisor_override="int?")


@native("avg_pool1d", **_AVG_POOL_KINDS)
def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """1-d average pooling: (N, C, L) -> (N, C, L_out), L_out = floor((L + 2p - k) / s) + 1
    (rounded up with ``ceil_mode``); padded zeros count in the mean when ``count_include_pad``."""
    return _avg_pool(1, input, kernel_size, stride, padding, ceil_mode, count_include_pad, None)


@native("avg_pool2d", **_AVG_POOL_KINDS)
def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """2-d average pooling: (N, C, H, W) -> (N, C, H_out, W_out), per dim out = floor((in + 2p - k) / s) + 1
    (rounded up with ``ceil_mode``); ``divisor_override`` replaces the window size as divisor."""
    return _avg_pool(2, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)


@native("avg_pool3d", **_AVG_POOL_KINDS)
def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """3-d average pooling: (N, C, D, H, W) -> (N, C, D_out, H_out, W_out), per dim as avg_pool2d."""
    return _avg_pool(3, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
