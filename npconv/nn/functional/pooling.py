"""npconv.nn.functional: pooling and unpooling, as torch.nn.functional (argument checks + one autograd op).

Shapes (n = 1, 2, 3 spatial dims; the batch dim N is optional)::

    max_pool / avg_pool:  (N, C, *S) -> (N, C, *O),
        O_d = floor((S_d + 2 p_d - dilation_d (k_d - 1) - 1) / stride_d) + 1   (ceil with ceil_mode)
    adaptive pools:       (N, C, *S) -> (N, C, *output_size)
    max_unpool:           (N, C, *I) -> (N, C, *O),   O_d = (I_d - 1) stride_d - 2 p_d + k_d

Sizes come from npconv._shapes; the arithmetic runs in npconv.kernels.pooling.
"""
import math
import numbers

import numpy as np

from ... import _shapes
from ...autograd import Function
from ...kernels import pooling as kernels
from ..._tensor import Tensor, _normalize_dim
from ._arguments import check_argument, check_arguments, native

__all__ = [
    "max_pool1d", "max_pool2d", "max_pool3d",
    "max_pool1d_with_indices", "max_pool2d_with_indices", "max_pool3d_with_indices",
    "avg_pool1d", "avg_pool2d", "avg_pool3d",
    "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d",
    "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
    "adaptive_max_pool3d_with_indices",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
    "lp_pool1d", "lp_pool2d", "lp_pool3d",
    "max_unpool1d", "max_unpool2d", "max_unpool3d",
]

_COUNT_WORDS = {1: "one int", 2: "two ints", 3: "three ints"}


# ----------------------------------------------------------------------------------------------
# Argument normalisation and checks (torch's messages)

def _tuple(value, n, what, op, omitted_ok=False):
    """int or 1-/n-tuple -> n-tuple of ints, refusing other lengths as torch does."""
    if value is None or (omitted_ok and isinstance(value, (tuple, list)) and len(value) == 0):
        return None
    if isinstance(value, numbers.Integral):
        return (int(value),) * n
    value = tuple(int(v) for v in _shapes.expand(value, n))
    if len(value) != n:
        if n == 1:
            raise RuntimeError(f"{op}: {what} must be {'omitted, ' if omitted_ok else ''}a single int")
        omitted = "either be omitted, a single int" if omitted_ok else "either be a single int"
        raise RuntimeError(f"{op}: {what} must {omitted}, or a tuple of {_COUNT_WORDS[n]}")
    return value


def _check_rank(x, n, op):
    """torch's rank and empty-dimension checks of the 2-d and 3-d ops (avg_pool2d reads dim -3 first and
    words a wrong rank as an empty dimension)."""
    if op == "avg_pool2d":
        _normalize_dim(-3, x.dim())
    elif x.dim() not in (n + 1, n + 2):
        raise RuntimeError(f"non-empty {n + 1}D or {n + 2}D (batch mode) tensor expected for input")
    non_batch = x.shape[1:] if x.dim() == n + 2 else x.shape
    if n == 3 and 0 in non_batch:  # torch's message names dimension 0 whichever is empty
        prefix = "max_pool3d_with_indices_out_cpu_template()" if op == "max_pool3d" else f"{op}()"
        raise RuntimeError(f"{prefix}: Expected input's non-batch dimensions to have positive length, but input has "
                           f"a shape of {list(x.shape)} and non-batch dimension 0 has length zero!")
    if x.dim() not in (n + 1, n + 2) or 0 in non_batch:
        _refuse_empty(x.shape, n)


def _refuse_empty(shape, n):
    raise RuntimeError(f"Expected {n + 1}D or {n + 2}D (batch mode) tensor with optional 0 dim batch size for "
                       f"input, but got:{list(shape)}")


def _check_max_pool1d_input(input, return_indices):
    """Without indices max_pool1d is its own kernel; with indices torch runs max_pool2d on a height-1 image."""
    empty = 0 in input.shape[-2:]
    if return_indices and input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional tensor for "
                           "argument #1 'self' (while checking arguments for max_pool1d)")
    if return_indices and empty:
        _refuse_empty(input.shape[:-1] + (1, input.shape[-1]), 2)
    if input.dim() not in (2, 3) or empty:
        raise RuntimeError("max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim "
                           f"batch size for input, but got:{list(input.shape)}")


def _check_window(kernel_size, stride, padding, dilation):
    """pooling_output_shape's checks: zero stride, negative or too large padding."""
    for k, s, p, d in zip(kernel_size, stride, padding, dilation):
        if s == 0:
            raise RuntimeError("stride should not be zero")
        if p < 0:
            raise RuntimeError(f"pad must be non-negative, but got pad: {p}")
        if p > int(_shapes.dilated_extent(k, d) / 2):  # C++ division: toward zero for a negative kernel
            raise RuntimeError("pad should be at most half of effective kernel size, but got "
                               f"pad={p}, kernel_size={k} and dilation={d}")


_FLOATS = ("float16", "float32", "float64")
_INTS = ("int64", "int32", "int16", "int8", "uint8")


def _check_dtype(input, kernel, allowed=_FLOATS):
    """torch's CPU kernels are compiled for some dtypes only; the others raise its NotImplementedError
    (after the shape checks, when the kernel runs). ``kernel`` is the name torch's message gives."""
    if input.dtype.name not in allowed:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{input.dtype.scalar_name}\'')


def _describe(sizes):
    return "x".join(str(s) for s in sizes)


def _output_size(x, n, kernel_size, stride, padding, dilation, ceil_mode):
    """Checks of torch's pool shape check, then the output size from npconv._shapes."""
    _check_window(kernel_size, stride, padding, dilation)
    if any(k <= 0 for k in kernel_size):
        raise RuntimeError("kernel size should be greater than zero, but got "
                           + " ".join(f"k{a}: {k}" for a, k in zip("THW"[3 - n:], kernel_size)))
    if any(s <= 0 for s in stride):
        raise RuntimeError("stride should be greater than zero, but got "
                           + " ".join(f"d{a}: {s}" for a, s in zip("THW"[3 - n:], stride)))
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero, but got "
                           + " ".join(f"dilation{a}: {d}" for a, d in zip("THW"[3 - n:], dilation)))
    if any(p > k // 2 for p, k in zip(padding, kernel_size)):
        k, p = (1,) * (3 - n) + tuple(kernel_size), (0,) * (3 - n) + tuple(padding)
        if n == 3:
            detail = f"kT: {k[0]} kW: {k[2]} kH: {k[1]} padT: {p[0]} padW: {p[2]} padH: {p[1]}"
        else:
            detail = f"padW = {p[2]}, padH = {p[1]}, kW = {k[2]}, kH = {k[1]}"
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got {detail}")
    spatial = tuple(x.shape[-n:])
    out = tuple(_shapes.pool_length(size, k, s, p, d, ceil_mode)
                for size, k, s, p, d in zip(spatial, kernel_size, stride, padding, dilation))
    if min(out) < 1:
        lead = tuple(x.shape[-n - 1:-n]) + ((1,) if n == 1 else ())  # 1-d runs as 2-d with height 1
        raise RuntimeError(f"Given input size: ({_describe(lead + spatial)}). Calculated output size: "
                           f"({_describe(lead + tuple(out))}). Output size is too small")
    return tuple(out)


def _pooled(op, input, *args, return_indices):
    """``op.apply(input, *args, return_indices)``: the output, or (output, int64 indices Tensor).

    In shape-only mode the op's meta rule gives the output alone (no window is scanned); the indices are
    then a meta tensor of the output's shape."""
    if input.is_meta:
        output = op.apply(input, *args, False)
        if not return_indices:
            return output
        return output, Tensor._make(np.broadcast_to(np.zeros((), np.int64), tuple(output.shape)), True)
    result = op.apply(input, *args, bool(return_indices))
    if not return_indices:
        return result
    return result[0], Tensor._make(np.ascontiguousarray(result[1], dtype=np.int64))


def _pooled_meta(x, n, out_size):
    """Shape-only rule shared by the pooling ops: (*, *S) -> (*, *out_size), dtype kept."""
    return x.shape[:-n] + tuple(out_size), x.dtype


def _batched(x, n):
    """View an unbatched (C, *S) array as (1, C, *S)."""
    return x if x.ndim == n + 2 else x[None]


def _unbatched_like(y, x, n):
    """Undo _batched on a result ``y`` when ``x`` was unbatched. Pooling keeps the rank, so in backward
    the output gradient tells how the input came: ``_unbatched_like(gx, grad, n)``."""
    return y if x.ndim == n + 2 else y[0]


# ----------------------------------------------------------------------------------------------
# Autograd ops

def _max_pool_grad(grad, n, indices, spatial):
    """Each output gradient added at its argmax; an empty batch scatters nothing (the kernel cannot reshape
    an empty array)."""
    batched = _batched(grad, n)
    if batched.size == 0:
        gx = np.zeros(batched.shape[:2] + tuple(spatial), grad.dtype)
    else:
        gx = kernels.max_pool_backward(batched, indices, spatial)
    return _unbatched_like(gx, grad, n)


class _MaxPool(Function):
    backward_name = "MaxPoolWithIndicesBackward0"

    @staticmethod
    def forward(ctx, x, n, kernel_size, stride, padding, dilation, out_size, return_indices):
        need_indices = return_indices or ctx.needs_input_grad[0]
        y, indices = kernels.max_pool_forward(_batched(x, n), kernel_size, stride, padding, dilation,
                                              out_size, need_indices)
        ctx.n, ctx.spatial = n, x.shape[-n:]
        ctx.indices = indices
        y = _unbatched_like(y, x, n)
        if return_indices:
            return y, _unbatched_like(indices, x, n)
        return y

    @staticmethod
    def backward(ctx, grad):
        return (_max_pool_grad(grad, ctx.n, ctx.indices, ctx.spatial),) + (None,) * 7

    @staticmethod
    def meta(x, n, kernel_size, stride, padding, dilation, out_size, return_indices):
        return _pooled_meta(x, n, out_size)


class _AvgPool(Function):
    @staticmethod
    def forward(ctx, x, n, kernel_size, stride, padding, out_size, ceil_mode, count_include_pad,
                divisor_override):
        ctx.args = (n, x.shape[-n:], kernel_size, stride, padding, count_include_pad, divisor_override)
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


class _AdaptiveAvgPool(Function):
    @staticmethod
    def forward(ctx, x, n, out_size):
        ctx.args = (n, x.shape[-n:])
        return _unbatched_like(kernels.adaptive_avg_pool_forward(_batched(x, n), out_size), x, n)

    @staticmethod
    def backward(ctx, grad):
        n, spatial = ctx.args
        gx = kernels.adaptive_avg_pool_backward(_batched(grad, n), spatial)
        return _unbatched_like(gx, grad, n), None, None

    @staticmethod
    def meta(x, n, out_size):
        return _pooled_meta(x, n, out_size)


class _AdaptiveMaxPool(Function):
    @staticmethod
    def forward(ctx, x, n, out_size, return_indices):
        y, indices = kernels.adaptive_max_pool_forward(_batched(x, n), out_size)
        ctx.args = (n, x.shape[-n:])
        ctx.indices = indices
        y = _unbatched_like(y, x, n)
        if return_indices:
            return y, _unbatched_like(indices, x, n)
        return y

    @staticmethod
    def backward(ctx, grad):
        n, spatial = ctx.args
        return _max_pool_grad(grad, n, ctx.indices, spatial), None, None, None

    @staticmethod
    def meta(x, n, out_size, return_indices):
        return _pooled_meta(x, n, out_size)


class _MaxUnpool(Function):
    @staticmethod
    def forward(ctx, x, indices, n, out_size):
        ctx.n = n
        ctx.indices = _batched(indices, n)
        y = kernels.max_unpool_forward(_batched(x, n), ctx.indices, out_size)
        return _unbatched_like(y, x, n)

    @staticmethod
    def backward(ctx, grad):
        gx = kernels.max_unpool_backward(_batched(grad, ctx.n), ctx.indices)
        return _unbatched_like(gx, grad, ctx.n), None, None, None

    @staticmethod
    def meta(x, indices, n, out_size):
        return _pooled_meta(x, n, out_size)


class _LpPool(Function):
    """(sum over the window of x^p)^(1/p), computed as torch does: (K * avg_pool(x^p))^(1/p)."""

    @staticmethod
    def forward(ctx, x, n, norm_type, kernel_size, stride, out_size, ceil_mode):
        xb = _batched(x, n)
        zeros = (0,) * n
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            powered = xb ** x.dtype.type(norm_type)
            mean = kernels.avg_pool_forward(powered, kernel_size, stride, zeros, out_size, ceil_mode)
            scaled = mean * x.dtype.type(math.prod(kernel_size))
            y = scaled ** x.dtype.type(1.0 / norm_type)
        ctx.save_for_backward(xb, mean, scaled)
        ctx.args = (n, norm_type, kernel_size, stride)
        return _unbatched_like(y, x, n)

    @staticmethod
    def backward(ctx, grad):
        xb, mean, scaled = ctx.saved_tensors
        n, p, kernel_size, stride = ctx.args
        g = _batched(grad, n)
        dt = g.dtype.type
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            # torch's chain: pow(1/p) -> mul(K) -> sign*relu(abs): zero where the window sum is 0.
            g_mean = g * dt(1.0 / p) * scaled ** dt(1.0 / p - 1) * dt(math.prod(kernel_size))
            g_mean = np.where(mean != 0, g_mean, dt(0))
            g_pow = kernels.avg_pool_backward(g_mean, xb.shape[2:], kernel_size, stride, (0,) * n)
            gx = g_pow * dt(p) * xb ** dt(p - 1) if p != 0 else np.zeros_like(xb)
        return (_unbatched_like(gx, grad, n),) + (None,) * 6

    @staticmethod
    def meta(x, n, norm_type, kernel_size, stride, out_size, ceil_mode):
        return _pooled_meta(x, n, out_size)


def _named_by_dims(op, name):
    """Subclasses of ``op`` for 2-d and 3-d whose graph nodes carry torch's names (``name`` formatted with
    2 or 3: MaxPool2DWithIndicesBackward0). There is no 1-d node: see _pool."""
    return {n: type(f"{op.__name__}{n}D", (op,), {"backward_name": name.format(n), "__module__": __name__})
            for n in (2, 3)}


_MAX_POOL = _named_by_dims(_MaxPool, "MaxPool{}DWithIndicesBackward0")
_AVG_POOL = _named_by_dims(_AvgPool, "AvgPool{}DBackward0")
_ADAPTIVE_AVG_POOL = _named_by_dims(_AdaptiveAvgPool, "AdaptiveAvgPool{}DBackward0")
_ADAPTIVE_MAX_POOL = _named_by_dims(_AdaptiveMaxPool, "AdaptiveMaxPool{}DBackward0")


def _pool(ops, input, n, windows, fills, rest=(), return_indices=None):
    """``ops[n].apply(input, n, *windows, *rest)`` (through _pooled when ``return_indices`` is given).

    1-d pooling runs as 2-d pooling of a height-1 image, as in torch (whose graph then reads
    Squeeze <- MaxPool2DWithIndices <- Unsqueeze); ``fills`` are the height entries of the per-dim
    ``windows`` (kernel 1, stride 1, padding 0, ...)."""
    lifted = n == 1
    if lifted:
        input, n = input.unsqueeze(-2), 2
        windows = tuple((fill,) + tuple(w) for w, fill in zip(windows, fills))
    if return_indices is None:
        result = ops[n].apply(input, n, *windows, *rest)
    else:
        result = _pooled(ops[n], input, n, *windows, *rest, return_indices=return_indices)
    if not lifted:
        return result
    if isinstance(result, tuple):
        return tuple(r.squeeze(-2) for r in result)
    return result.squeeze(-2)


# ----------------------------------------------------------------------------------------------
# max pooling

def _one_int(value, what, op):
    """Argument-parser check of torch's 1-d ops: an int or a sequence of exactly one int."""
    if isinstance(value, (tuple, list)) and len(value) != 1:
        raise RuntimeError(f"{op}() argument '{what}' should contain one int (got {len(value)})")


def _max_pool1d_checks(input, kernel_size, stride, padding, dilation, ceil_mode):
    """max_pool1d without indices is its own kernel in torch, with its own messages."""
    op = "max_pool1d()"
    for what, value, allowed in (("kernel_size", kernel_size, "an int, list of ints or tuple of ints"),
                                 ("stride", stride, "None, an int, list of ints, or tuple of ints"),
                                 ("padding", padding, "an int, list of ints, or tuple of ints"),
                                 ("dilation", dilation, "an int, list of ints, or tuple of ints")):
        if isinstance(value, (tuple, list)) and len(value) != 1 and not (what == "stride" and len(value) == 0):
            raise RuntimeError(f"{op} {what} must be {allowed} of size 1 but got size {len(value)}")
    k = _tuple(kernel_size, 1, "kernel_size", op)[0]
    s = (_tuple(stride, 1, "stride", op, omitted_ok=True) or (k,))[0]
    p = _tuple(padding, 1, "padding", op)[0]
    d = _tuple(dilation, 1, "dilation", op)[0]
    if k <= 0:
        raise RuntimeError(f"{op} kernel_size must be greater than zero, but got {k}")
    if s <= 0:
        raise RuntimeError(f"{op} stride must be greater than zero, but got {s}")
    if p < 0:
        raise RuntimeError(f"{op} padding must be non-negative, but got {p}")
    if p > k // 2:
        raise RuntimeError(f"{op} padding should be at most half of kernel size, but got padding={p} and "
                           f"kernel_size={k}")
    if d <= 0:
        raise RuntimeError(f"{op} dilation must be greater than zero, but got {d}")
    out = _shapes.pool_length(input.shape[-1], k, s, p, d, ceil_mode)
    if out <= 0:
        raise RuntimeError(f"{op} Invalid computed output size: {out}")


_MAX_POOL_KINDS = (("kernel_size", "ints", 2), ("stride", "ints?", 3), ("padding", "ints", 4),
                   ("dilation", "ints", 5), ("ceil_mode", "bool", 6))


def _max_pool(n, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    # torch's Python wrapper passes every argument to the native op by position
    check_arguments(f"max_pool{n}d" + ("_with_indices" if return_indices else ""), _MAX_POOL_KINDS,
                    dict(kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation,
                         ceil_mode=ceil_mode), 6)
    op = f"max_pool{n}d" if n > 1 else "max_pool2d"
    if n == 1:
        _check_max_pool1d_input(input, return_indices)
    if n == 1 and not return_indices:
        _max_pool1d_checks(input, kernel_size, stride, padding, dilation, ceil_mode)
    k = _tuple(kernel_size, n, "kernel_size", op)
    s = _tuple(stride, n, "stride", op, omitted_ok=True) or k
    p = _tuple(padding, n, "padding", op)
    d = _tuple(dilation, n, "dilation", op)
    if n > 1:
        _check_rank(input, n, op)
    out = _output_size(input, n, k, s, p, d, ceil_mode)
    if n == 1 and not return_indices:
        _check_dtype(input, "max_pool1d_impl")
    _check_dtype(input, f"max_pool{max(n, 2)}d", _FLOATS + _INTS)
    return _pool(_MAX_POOL, input, n, (k, s, p, d, out), (1, 1, 0, 1, 1), return_indices=return_indices)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """1-d max pooling: (N, C, L) -> (N, C, L_out), L_out = floor((L + 2p - d(k-1) - 1) / s) + 1
    (rounded up with ``ceil_mode``). With ``return_indices``, also the int64 argmax positions in L."""
    return _max_pool(1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-d max pooling: (N, C, H, W) -> (N, C, H_out, W_out), per dim
    out = floor((in + 2p - d(k-1) - 1) / s) + 1 (rounded up with ``ceil_mode``); ``stride`` defaults to
    ``kernel_size``. With ``return_indices``, also the int64 flat argmax index in each H*W plane."""
    return _max_pool(2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """3-d max pooling: (N, C, D, H, W) -> (N, C, D_out, H_out, W_out), per dim as max_pool2d;
    indices are flat in each D*H*W volume."""
    return _max_pool(3, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    """max_pool1d returning (output, indices)."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    """max_pool2d returning (output, indices)."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    """max_pool3d returning (output, indices)."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


# ----------------------------------------------------------------------------------------------
# average pooling

def _avg_pool(n, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    op = f"avg_pool{n}d"
    if n == 1:
        if input.dim() not in (2, 3):
            raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional tensor for "
                               "argument #1 'self' (while checking arguments for avg_pool1d)")
        op = "avg_pool1d"
        for what, value in (("kernel_size", kernel_size), ("stride", stride), ("padding", padding)):
            if not (what == "stride" and value is not None and len(tuple(value) if isinstance(value, (tuple, list)) else (1,)) == 0):
                _one_int(value, what, op)
    k = _tuple(kernel_size, n, "kernel_size", op if n > 1 else "avg_pool2d")
    s = _tuple(stride, n, "stride", op if n > 1 else "avg_pool2d", omitted_ok=True) or k
    p = _tuple(padding, n, "padding", op if n > 1 else "avg_pool2d")
    if n > 1:
        _check_rank(input, n, op)
    elif 0 in input.shape[-2:]:  # torch pools a height-1 image: its words and shape
        _refuse_empty(input.shape[:-1] + (1, input.shape[-1]), 2)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    ones = (1,) * n
    if n == 3:
        _check_avg_pool3d_input(input, k, s, p)
    out = _output_size(input, n, k, s, p, ones, ceil_mode)
    # integer averages: int64 only, rounded toward zero
    if n == 3:
        _check_dtype(input, "avg_pool3d_out_frame", ("float32", "float64", "int64"))
    _check_dtype(input, "avg_pool2d", _FLOATS + ("int64",))
    return _pool(_AVG_POOL, input, n, (k, s, p, out), (1, 1, 0, 1),
                 (bool(ceil_mode), bool(count_include_pad), divisor_override))


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


# ----------------------------------------------------------------------------------------------
# adaptive pooling

def _adaptive_argument(input, n, output_size, op):
    """torch's Python wrappers: the 1-d max op gets output_size by position; the 2-d and 3-d ops first fill
    None entries with the input's sizes (len() of a non-int raises Python's TypeError)."""
    if n > 1 and not isinstance(output_size, int):
        defaults = input.shape[-len(output_size):]
        output_size = [d if o is None else o for o, d in zip(output_size, defaults)]
    if n > 1 or op.startswith("adaptive_max"):
        check_argument(op, "output_size", "ints", output_size, 2)
    return output_size


def _adaptive_size(input, n, output_size, op):
    output_size = _adaptive_argument(input, n, output_size, op)
    if n == 1:
        _one_int(output_size, "output_size", op)
    if isinstance(output_size, numbers.Integral) or output_size is None:
        output_size = (output_size,) * n
    output_size = tuple(output_size)
    if len(output_size) != n:
        if op.startswith("adaptive_max"):
            raise RuntimeError(f"{op}(): internal error: output_size.size() must be {n}")
        raise RuntimeError(f"{op}: output_size must be {n}")
    # None keeps the input size of that dim (torch's _list_with_default).
    return tuple(int(input.shape[-n + d]) if o is None else int(o) for d, o in enumerate(output_size))


def _adaptive_checks(input, n, out, op, is_max):
    if n == 1 and input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional tensor for "
                           f"argument #1 'self' (while checking arguments for {op})")
    if n > 1 and input.dim() not in (n + 1, n + 2):
        if is_max:
            raise RuntimeError(f"{op}(): Expected {n + 1}D or {n + 2}D tensor, but got: {list(input.shape)}")
        raise RuntimeError(f"{op}(): Expected {n + 1}D or {n + 2}D tensor, but got {list(input.shape)}")
    _adaptive_checks_nonempty(input, n, out, op)


def _adaptive_max(n, input, output_size, return_indices):
    op = f"adaptive_max_pool{n}d"
    out = _adaptive_size(input, n, output_size, op)
    _adaptive_checks(input, n, out, op, True)
    _check_dtype(input, "adaptive_max_pool3d_cpu" if n == 3 else "adaptive_max_pool2d")
    return _pool(_ADAPTIVE_MAX_POOL, input, n, (out,), (1,), return_indices=return_indices)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Adaptive 1-d max pooling: (N, C, L) -> (N, C, output_size); window o covers
    [floor(o L / out), ceil((o + 1) L / out))."""
    return _adaptive_max(1, input, output_size, return_indices)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Adaptive 2-d max pooling: (N, C, H, W) -> (N, C, *output_size) (an int means square; None keeps)."""
    return _adaptive_max(2, input, output_size, return_indices)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Adaptive 3-d max pooling: (N, C, D, H, W) -> (N, C, *output_size)."""
    return _adaptive_max(3, input, output_size, return_indices)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):
    """adaptive_max_pool1d returning (output, indices)."""
    return _adaptive_max(1, input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    """adaptive_max_pool2d returning (output, indices)."""
    return _adaptive_max(2, input, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=True):
    """adaptive_max_pool3d returning (output, indices)."""
    return _adaptive_max(3, input, output_size, True)


def _adaptive_avg(n, input, output_size):
    op = f"adaptive_avg_pool{n}d"
    out = _adaptive_size(input, n, output_size, op)
    if n == 1 and input.dim() not in (2, 3):
        _adaptive_checks(input, n, out, op, False)
    if all(o == 1 for o in out):
        # torch takes the mean before any other check (its graph shows MeanBackward1; an empty window
        # gives nan, an integer input mean()'s error)
        lifted = input.unsqueeze(-2) if n == 1 else input
        pooled = lifted.mean(tuple(range(-max(n, 2), 0)), keepdim=True)
        return pooled.squeeze(-2) if n == 1 else pooled
    if n == 1:  # torch pools a height-1 image: the 2-d op's words and shapes
        _adaptive_checks_nonempty(input.unsqueeze(-2), 2, (1,) + tuple(out), "adaptive_avg_pool2d")
    else:
        if input.dim() not in (n + 1, n + 2):
            raise RuntimeError(f"{op}(): Expected {n + 1}D or {n + 2}D tensor, but got {list(input.shape)}")
        _adaptive_checks_nonempty(input, n, out, op)
    _check_dtype(input, "adaptive_avg_pool3d_cpu" if n == 3 else "adaptive_avg_pool2d")
    return _pool(_ADAPTIVE_AVG_POOL, input, n, (out,), (1,))


def _adaptive_checks_nonempty(input, n, out, op):
    """No negative output size, no empty non-batch dim."""
    if any(o < 0 for o in out):
        raise RuntimeError(f"{op}: elements of output_size must be greater than or equal to 0 but received "
                           f"{{{', '.join(map(str, out))}}}")
    for d in range(-n, 0):
        if input.shape[d] == 0:
            raise RuntimeError(f"{op}(): Expected input to have non-zero size for non-batch dimensions, "
                               f"but input has sizes {list(input.shape)} with dimension {input.dim() + d} "
                               "being empty")


@native("adaptive_avg_pool1d", output_size="ints")
def adaptive_avg_pool1d(input, output_size):
    """Adaptive 1-d average pooling: (N, C, L) -> (N, C, output_size); window o covers
    [floor(o L / out), ceil((o + 1) L / out))."""
    return _adaptive_avg(1, input, output_size)


def adaptive_avg_pool2d(input, output_size):
    """Adaptive 2-d average pooling: (*, H, W) -> (*, *output_size) (an int means square; None keeps)."""
    return _adaptive_avg(2, input, output_size)


def adaptive_avg_pool3d(input, output_size):
    """Adaptive 3-d average pooling: (*, D, H, W) -> (*, *output_size)."""
    return _adaptive_avg(3, input, output_size)


# ----------------------------------------------------------------------------------------------
# power-average pooling

def _lp_pool(n, input, norm_type, kernel_size, stride, ceil_mode):
    if isinstance(norm_type, (int, float)) and math.isinf(norm_type):
        pooled = _max_pool(n, _abs(input) if norm_type > 0 else _neg(_abs(input)), kernel_size, stride, 0, 1,
                           ceil_mode, False)
        return pooled if norm_type > 0 else _neg(pooled)
    if not input.dtype.is_floating_point:
        return _lp_pool_integral(n, input, norm_type, kernel_size, stride, ceil_mode)
    op = f"avg_pool{max(n, 2)}d"
    if n == 1 and input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional tensor for "
                           "argument #1 'self' (while checking arguments for avg_pool1d)")
    k = _tuple(kernel_size, n, "kernel_size", op)
    s = _tuple(stride, n, "stride", op, omitted_ok=True) or k
    if n > 1:
        _check_rank(input, n, op)
    if n == 3:
        _check_avg_pool3d_input(input, k, s, (0, 0, 0))
    out = _output_size(input, n, k, s, (0,) * n, (1,) * n, ceil_mode)
    return _LpPool.apply(input, n, float(norm_type), k, s, out, bool(ceil_mode))


def _lp_pool_integral(n, input, norm_type, kernel_size, stride, ceil_mode):
    """torch's composition for integer and bool inputs: the power keeps an int power integral (bool becomes
    int64), the window mean is then an integer one (int64 only, rounded toward zero)."""
    powered = input.pow(norm_type)
    average = (avg_pool1d, avg_pool2d, avg_pool3d)[n - 1]
    pooled = average(powered, kernel_size, stride, 0, ceil_mode)
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
        return grad * np.sign(x)


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


# ----------------------------------------------------------------------------------------------
# max unpooling

def _unpool_output_size(input, kernel_size, stride, padding, output_size):
    """torch's rule: the default is the transposed-convolution size; an explicit ``output_size`` (with or
    without the N, C dims) must lie strictly within one stride of it."""
    n = len(kernel_size)
    default = tuple(_shapes.transposed_length(size, k, s, p)
                    for size, k, s, p in zip(input.shape[-n:], kernel_size, stride, padding))
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
    check_argument(f"max_unpool{n}d", "output_size", "ints", sizes, 3)


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
    # no index values in shape-only mode; torch reads none when the output is empty
    if not (input.is_meta or indices.is_meta) and math.prod(out) > 0:
        _check_unpool_indices(indices.numpy(), out)
    _check_dtype(input, f"max_unpool{max(n, 2)}d")
    return _MaxUnpool.apply(input, indices, n, out)


def _check_unpool_indices(idx, out):
    plane = math.prod(out)
    if idx.size and (idx.min() < 0 or idx.max() >= plane):
        bad = int(idx.max()) if idx.max() >= plane else int(idx.min())
        raise RuntimeError(f"Found an invalid max index: {bad} (output volumes are of size "
                           f"{_describe(out)})")


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
