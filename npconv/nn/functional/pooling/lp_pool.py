"""Power-average pooling, as torch.nn.functional.lp_pool{1,2,3}d."""
import collections.abc
import math
import numbers

import numpy as np

from ...._dtype import check_scalar_fits
from ....autograd import Function
from ...._ops.elementwise import power_gradient, power_values
from ...._ops.pointwise import _sign
from ....kernels import pooling as kernels
from ...._ops.parsing import check_argument, check_arguments
from .avg_pool import (_check_avg_pool3d_input, avg_pool1d, avg_pool2d, avg_pool3d, check_avg_pool1d_lists,
                       check_avg_pool_input)
from .max_pool import _max_pool
from ._common import _batched, _check_c_int, _output_size, _pooled_meta, _tuple, _unbatched_like

__all__ = ["lp_pool1d", "lp_pool2d", "lp_pool3d"]


class _LpPool(Function):
    graph_inputs = 1   # options such as divisor_override=None are not tensors
    """(sum over the window of x^p)^(1/p), computed as torch does: (K * avg_pool(x^p))^(1/p)."""

    @staticmethod
    def forward(ctx, x, n, norm_type, kernel_size, stride, out_size, ceil_mode):
        xb = _batched(x, n)
        zeros = (0,) * n
        t = x.dtype.type
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            powered = power_values(xb, norm_type)
            mean = kernels.avg_pool_forward(powered, kernel_size, stride, zeros, out_size, ceil_mode)
            rectified = np.maximum(np.abs(mean), t(0))   # relu keeps a NaN
            scaled = _sign(mean) * rectified * t(math.prod(kernel_size))
            y = power_values(scaled, 1.0 / norm_type)
        ctx.save_for_backward(xb, mean, rectified, scaled)
        ctx.args = (n, norm_type, kernel_size, stride)
        return _unbatched_like(y, x, n)

    @staticmethod
    def backward(ctx, grad):
        """torch's chain step by step (its non-finite values depend on the order):
        pow(1/p) -> mul(K) -> sign(mean) * relu(abs(mean)) -> avg_pool -> pow(p)."""
        xb, mean, rectified, scaled = ctx.saved_tensors
        n, p, kernel_size, stride = ctx.args
        g = _batched(grad, n)
        t = g.dtype.type
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            g_scaled = power_gradient(g, scaled, 1.0 / p) * t(math.prod(kernel_size))
            g_rectified = np.where(rectified <= 0, t(0), g_scaled * _sign(mean))   # relu lets a NaN through
            g_mean = g_rectified * _sign(mean)
            g_pow = kernels.avg_pool_backward(g_mean, xb.shape[2:], kernel_size, stride, (0,) * n)
            gx = power_gradient(g_pow, xb, p)
        return (_unbatched_like(gx, grad, n),) + (None,) * 6

    @staticmethod
    def meta(x, n, norm_type, kernel_size, stride, out_size, ceil_mode):
        return _pooled_meta(x, n, out_size)



def _unpack_kernel(n, kernel_size):
    """torch's lp_pool2d/3d unpack ``_pair``/``_triple(kernel_size)`` into n sizes first: any iterable
    (a str too) is taken as it is, so Python's errors for another length."""
    if n > 1 and isinstance(kernel_size, collections.abc.Iterable):
        count = len(tuple(kernel_size))
        if count < n:
            raise ValueError(f"not enough values to unpack (expected {n}, got {count})")
        if count > n:
            raise ValueError(f"too many values to unpack (expected {n})")


def _check_avg_pool_call(n, input, norm_type, kernel_size, stride, ceil_mode):
    """What torch's lp_pool does before pooling: ``input.pow(norm_type)`` (its errors for a norm that is no
    number), then avg_pool with (kernel, stride, 0, ceil_mode) by position, or without a stride with
    padding and ceil_mode by keyword: the parser's messages name positions accordingly."""
    if not isinstance(norm_type, numbers.Real):
        input[..., :0].pow(norm_type)
    kinds = (("kernel_size", "ints", 2), ("stride", "ints?", 3), ("padding", "ints", 4), ("ceil_mode", "bool", 5))
    values = dict(kernel_size=kernel_size, padding=0, ceil_mode=ceil_mode)
    if stride is not None:
        values["stride"] = stride
    check_arguments(f"avg_pool{n}d", kinds, values, 5 if stride is not None else 2)


def _lp_pool(n, input, norm_type, kernel_size, stride, ceil_mode):
    _unpack_kernel(n, kernel_size)
    if isinstance(norm_type, (int, float)) and math.isinf(norm_type):
        if input.dtype.name == "bool":   # torch takes input.abs() first
            raise NotImplementedError("\"abs_cpu\" not implemented for 'Bool'")
        pooled = _max_pool(n, _abs(input) if norm_type > 0 else _neg(_abs(input)), kernel_size, stride, 0, 1,
                           ceil_mode, False)
        return pooled if norm_type > 0 else _neg(pooled)
    if input.dtype.is_floating_point and isinstance(norm_type, numbers.Real):   # input.pow(norm_type) comes first
        check_scalar_fits(norm_type, input.dtype)
    _check_avg_pool_call(n, input, norm_type, kernel_size, stride, ceil_mode)
    if not input.dtype.is_floating_point:
        return _lp_pool_integral(n, input, norm_type, kernel_size, stride, ceil_mode)
    op = f"avg_pool{max(n, 2)}d"
    if n == 1:
        check_avg_pool1d_lists(kernel_size, stride, 0)
    check_argument(f"avg_pool{n}d", "kernel_size", "ints", kernel_size, 2)
    check_argument(f"avg_pool{n}d", "stride", "ints?", stride, 3)
    if n == 1 and input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional tensor for "
                           "argument #1 'self' (while checking arguments for avg_pool1d)")
    k = _tuple(kernel_size, n, "kernel_size", op)
    s = _tuple(stride, n, "stride", op, omitted_ok=True) or k
    _check_c_int(k, s)   # avg_pool's C ints
    check_avg_pool_input(n, input, k, s, (0,) * n, op)
    if n == 3:
        _check_avg_pool3d_input(input, k, s, (0, 0, 0))
    out = _output_size(input, n, k, s, (0,) * n, (1,) * n, ceil_mode)
    if n == 1 and isinstance(kernel_size, (tuple, list)):  # torch's lp_pool1d multiplies by the kernel as given
        raise TypeError(f"mul(): argument 'other' (position 1) must be Tensor, not {type(kernel_size).__name__}")
    return _LpPool.apply(input, n, float(norm_type), k, s, out, bool(ceil_mode))


def _lp_pool_integral(n, input, norm_type, kernel_size, stride, ceil_mode):
    """torch's composition for integer and bool inputs: the power keeps an int power integral (bool becomes
    int64), the window mean is then an integer one (int64 only, rounded toward zero)."""
    powered = input.pow(norm_type)
    average = (avg_pool1d, avg_pool2d, avg_pool3d)[n - 1]
    pooled = average(powered, kernel_size, stride, 0, ceil_mode)
    if n == 1 and isinstance(kernel_size, (tuple, list)):  # torch's lp_pool1d multiplies by the kernel as given
        raise TypeError(f"mul(): argument 'other' (position 1) must be Tensor, not {type(kernel_size).__name__}")
    window = math.prod(_tuple(kernel_size, n, "kernel_size", f"avg_pool{max(n, 2)}d"))
    return (pooled.sign() * pooled.abs().relu()).mul(window).pow(1.0 / norm_type)


class _Abs(Function):
    @staticmethod
    def meta(x):
        return x.shape, x.dtype

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * _sign(x)


class _Neg(Function):
    @staticmethod
    def meta(x):
        return x.shape, x.dtype

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, grad):
        return -grad


def _abs(t):
    return _Abs.apply(t)


def _neg(t):
    return _Neg.apply(t)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """1-d power-average pooling: (sum over each window of x^p)^(1/p); shapes as avg_pool1d without padding."""
    return _lp_pool(1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """2-d power-average pooling: (sum over each window of x^p)^(1/p); shapes as avg_pool2d without padding."""
    return _lp_pool(2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """3-d power-average pooling: (sum over each window of x^p)^(1/p); shapes as avg_pool3d without padding."""
    return _lp_pool(3, input, norm_type, kernel_size, stride, ceil_mode)
