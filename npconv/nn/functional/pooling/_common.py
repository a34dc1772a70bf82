"""Shared parts of the pooling ops: torch's argument and shape checks, batching helpers, the 1-d as
2-d lifting and the graph-node naming by dims."""
import numbers

import numpy as np

from .... import _shapes
from ....kernels import pooling as kernels
from ...._tensor import Tensor, _normalize_dim
from ...._ops.parsing import is_int

_COUNT_WORDS = {1: "one int", 2: "two ints", 3: "three ints"}


# ----------------------------------------------------------------------------------------------
# Argument normalisation and checks (torch's messages)

def _tuple(value, n, what, op, omitted_ok=False):
    """int or 1-/n-tuple -> n-tuple of ints, refusing other lengths as torch does."""
    if value is None or (omitted_ok and isinstance(value, (tuple, list)) and len(value) == 0):
        return None
    if isinstance(value, numbers.Integral) or is_int(value):   # a one-element integer Tensor too
        return (int(value),) * n
    value = tuple(int(v) for v in _shapes.expand(value, n))
    if len(value) != n:
        if n == 1:
            raise RuntimeError(f"{op}: {what} must be {'omitted, ' if omitted_ok else ''}a single int")
        # torch's words differ by op and argument: avg_pool3d says no "either", dilation says "be either"
        if op == "avg_pool3d":
            allowed = "be omitted, a single int" if omitted_ok else "be a single int"
        elif what == "dilation":
            allowed = "be either a single int"
        else:
            allowed = "either be omitted, a single int" if omitted_ok else "either be a single int"
        raise RuntimeError(f"{op}: {what} must {allowed}, or a tuple of {_COUNT_WORDS[n]}")
    return value


def _check_rank(x, n, op):
    """torch's rank and empty-dimension checks of the 2-d and 3-d ops (avg_pool2d reads dim -3 first and
    words a wrong rank as an empty dimension)."""
    if op == "avg_pool2d":
        _normalize_dim(-3, x.dim())
    else:
        _check_rank_first(x, n)
    non_batch = x.shape[1:] if x.dim() == n + 2 else x.shape
    if n == 3 and 0 in non_batch:  # torch's message names dimension 0 whichever is empty
        prefix = "max_pool3d_with_indices_out_cpu_template()" if op == "max_pool3d" else f"{op}()"
        raise RuntimeError(f"{prefix}: Expected input's non-batch dimensions to have positive length, but input has "
                           f"a shape of {list(x.shape)} and non-batch dimension 0 has length zero!")
    if x.dim() not in (n + 1, n + 2) or 0 in non_batch:
        _refuse_empty(x.shape, n)


def _check_rank_first(x, n):
    """The rank check the 2-d max and the 3-d ops make before anything else about the input."""
    if x.dim() not in (n + 1, n + 2):
        raise RuntimeError(f"non-empty {n + 1}D or {n + 2}D (batch mode) tensor expected for input")


def _refuse_empty(shape, n):
    raise RuntimeError(f"Expected {n + 1}D or {n + 2}D (batch mode) tensor with optional 0 dim batch size for "
                       f"input, but got:{list(shape)}")


def _check_max_pool1d_input(input, return_indices):
    """Without indices max_pool1d is its own kernel; with indices torch runs max_pool2d on a height-1 image
    (whose empty-dim check comes after the window's: see max_pool)."""
    if return_indices:
        if input.dim() not in (2, 3):
            raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional tensor for "
                               "argument #1 'self' (while checking arguments for max_pool1d)")
        return
    if input.dim() not in (2, 3) or 0 in input.shape[-2:]:
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


# 2-d kernels torch compiles twice: for a channels-last input (by its strides) their name says so
_CHANNELS_LAST_KERNELS = {"adaptive_max_pool2d", "adaptive_avg_pool2d", "avg_pool2d", "max_pool2d"}


def _check_dtype(input, kernel, allowed=_FLOATS, dims=2):
    """torch's CPU kernels are compiled for some dtypes only; the others raise its NotImplementedError
    (after the shape checks, when the kernel runs). ``kernel`` is the name torch's message gives (for an op
    of ``dims`` spatial dims)."""
    if input.dtype.name not in allowed:
        if kernel in _CHANNELS_LAST_KERNELS and _channels_last_2d(input, dims):
            kernel += "_channels_last"
        raise NotImplementedError(f'"{kernel}" not implemented for \'{input.dtype.scalar_name}\'')


def _channels_last_2d(input, dims):
    """Whether torch suggests channels-last for ``input`` as its 2-d kernel sees it (a batched 1-d input with a
    unit height inserted), by torch's stride rule (ambiguous layouts count as contiguous)."""
    array = input._data
    sizes, strides = list(array.shape), [s // max(array.itemsize, 1) for s in array.strides]
    if dims == 1 and len(sizes) == 3:   # (N, C, L) pooled as (N, C, 1, L)
        sizes.insert(2, 1)
        strides.insert(2, sizes[3] * strides[2])
    if len(sizes) != 4 or strides[1] == 0:
        return False
    smallest = 0
    for d in (1, 3, 2, 0):
        if sizes[d] == 0 or strides[d] < smallest or (d == 0 and smallest == strides[1]):
            return False
        smallest = strides[d] * (sizes[d] if sizes[d] > 1 else 1)
    return True


def _check_c_int(*groups):
    """torch's avg pooling (and 2-d/3-d max pooling) read kernel, stride, padding (and dilation) as C ints:
    a value beyond 32 bits is refused before any other check of them."""
    if any(not -2**31 <= v < 2**31 for values in groups for v in values):
        raise RuntimeError("value cannot be converted to type int without overflow")


def _describe(sizes):
    return "x".join(str(s) for s in sizes)


def check_positive(n, kernel_size, stride, dilation):
    """The first checks of torch's pool shape check: kernel, stride and dilation above zero."""
    def shown(prefix, values):   # a 1-d op runs as 2-d with a height of 1: torch names both
        values = (1,) + tuple(values) if n == 1 else tuple(values)
        return " ".join(f"{prefix}{a}: {v}" for a, v in zip("THW"[3 - len(values):], values))
    if any(k <= 0 for k in kernel_size):
        raise RuntimeError("kernel size should be greater than zero, but got " + shown("k", kernel_size))
    if any(s <= 0 for s in stride):
        raise RuntimeError("stride should be greater than zero, but got " + shown("d", stride))
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero, but got " + shown("dilation", dilation))


def _output_size(x, n, kernel_size, stride, padding, dilation, ceil_mode):
    """Checks of torch's pool shape check, then the output size from npconv._shapes."""
    _check_window(kernel_size, stride, padding, dilation)
    check_positive(n, kernel_size, stride, dilation)
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


def _max_pool_grad(grad, n, indices, spatial, distinct=False):
    """Each output gradient added at its argmax; an empty batch scatters nothing (the kernel cannot reshape
    an empty array). ``distinct``: the windows share no input element (see kernels.max_pool_backward)."""
    batched = _batched(grad, n)
    if batched.size == 0:
        gx = np.zeros(batched.shape[:2] + tuple(spatial), grad.dtype)
    else:
        gx = kernels.max_pool_backward(batched, indices, spatial, distinct=distinct)
    return _unbatched_like(gx, grad, n)


def _named_by_dims(op, name, module):
    """Subclasses of ``op`` for 2-d and 3-d whose graph nodes carry torch's names (``name`` formatted with
    2 or 3: MaxPool2DWithIndicesBackward0). There is no 1-d node: see _pool."""
    return {n: type(f"{op.__name__}{n}D", (op,), {"backward_name": name.format(n), "__module__": module})
            for n in (2, 3)}


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


def check_1d_lists(op, **values):
    """The parser of torch's 1-d pooling ops: each argument one int (an empty stride means none)."""
    for what, value in values.items():
        if not (what == "stride" and isinstance(value, (tuple, list)) and len(value) == 0):
            _one_int(value, what, op)


def _one_int(value, what, op):
    """Argument-parser check of torch's 1-d ops: an int or a sequence of exactly one int."""
    if isinstance(value, (tuple, list)) and len(value) != 1:
        raise RuntimeError(f"{op}() argument '{what}' should contain one int (got {len(value)})")
