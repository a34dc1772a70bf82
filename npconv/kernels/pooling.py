"""Raw NumPy pooling kernels (no Tensor, no autograd).

Arrays are shaped (N, C, *S) with 1 to 3 spatial dims; hyper-parameters are per-dim tuples and the
output spatial size is given by the caller (computed once, by npconv._shapes). Windows are strided
views of a padded copy of the input; Python loops run only over kernel offsets, never over pixels.

Max-pool indices follow PyTorch: the flat index of the chosen element inside its (unpadded) input plane;
the chosen element is the first maximum in window scan order, or the last NaN when the window has one.

Every output plane depends only on its own input plane, so large calls are split by planes (N * C) over
the kernel threads (``threads.over_planes``; the costs below count element operations).
"""
import itertools
import math

import numpy as np

from npconv._shapes import window_extent

from . import threads
from .interpolate import adaptive_windows, area_taps, resample, resample_backward

__all__ = [
    "max_pool_forward", "max_pool_backward", "avg_pool_forward", "avg_pool_backward",
    "adaptive_max_pool_forward", "adaptive_avg_pool_forward", "adaptive_avg_pool_backward",
    "max_unpool_forward", "max_unpool_backward",
]


def _padded(x, padding, extent, fill):
    """x padded on each spatial side: ``padding`` before, and after up to ``extent`` (at least the input)."""
    n = len(padding)
    spatial = x.shape[-n:]
    after = [max(0, e - p - s) for e, p, s in zip(extent, padding, spatial)]
    if not any(padding) and not any(after):
        return x
    shape = x.shape[:-n] + tuple(p + s + a for p, s, a in zip(padding, spatial, after))
    xp = np.full(shape, fill, dtype=x.dtype)
    xp[(Ellipsis,) + tuple(slice(p, p + s) for p, s in zip(padding, spatial))] = x
    return xp


def _extent(out_size, kernel_size, stride, dilation):
    """Length of padded input that the windows read, per dim."""
    return [window_extent(o, k, s, d) for o, k, s, d in zip(out_size, kernel_size, stride, dilation)]


def _window(xp, offset, stride, dilation, out_size):
    """The strided view holding, for every output position, the window element at kernel ``offset``."""
    return xp[(Ellipsis,) + tuple(slice(k * d, k * d + (o - 1) * s + 1, s)
                                  for k, d, s, o in zip(offset, dilation, stride, out_size))]


def _positions(out_size, stride, padding):
    """Per dim, the input coordinate of each output window's start: o * s - p (1-D arrays)."""
    return [np.arange(o) * s - p for o, s, p in zip(out_size, stride, padding)]


def _broadcast_dims(vectors):
    """Place the d-th 1-D vector on axis d of an n-d grid (for broadcasting against (N, C, *O))."""
    n = len(vectors)
    return [v.reshape((-1,) + (1,) * (n - 1 - d)) for d, v in enumerate(vectors)]


def _flat_offsets(spatial):
    """Strides, in elements, of a C-contiguous plane of shape ``spatial``."""
    return [int(np.prod(spatial[d + 1:], dtype=np.int64)) for d in range(len(spatial))]


def _planes(x):
    return math.prod(x.shape[:2])


@threads.over_planes(lambda x, kernel_size, stride, padding, dilation, out_size, return_indices=False:
                     3 * _planes(x) * math.prod(out_size) * math.prod(kernel_size) * (1 + bool(return_indices)))
def max_pool_forward(x, kernel_size, stride, padding, dilation, out_size, return_indices=False):
    """Max pooling. (N, C, *S) -> (N, C, *O), plus int64 indices (N, C, *O) when ``return_indices``.

    ``O_d`` is given (npconv._shapes.pool_length); padding is never selected.

    No padded copy: each kernel tap updates only the box of outputs whose window holds that tap inside
    the input (a window's taps in padding are skipped, as PyTorch's loop skips them).
    """
    spatial = x.shape[2:]
    lowest = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min  # an empty window's output
    offsets = list(itertools.product(*[range(k) for k in kernel_size]))
    boxes = [_tap_box(offset, spatial, stride, padding, dilation, out_size) for offset in offsets]
    if return_indices and not _every_window_reads_input(boxes, out_size):
        xp = _padded(x, padding, _extent(out_size, kernel_size, stride, dilation), lowest)
        out = _window(xp, offsets[0], stride, dilation, out_size).copy()
        for offset in offsets[1:]:
            np.maximum(out, _window(xp, offset, stride, dilation, out_size), out=out)
        return out, _argmax_indices(xp, out, offsets, spatial, stride, padding, dilation, out_size)
    whole = next((number for number, (_, target) in enumerate(boxes) if _box_covers(target, out_size)), None)
    if whole is not None and not return_indices:   # a tap every window holds: start from it
        out = x[boxes[whole][0]].copy()
    else:
        out = np.full(x.shape[:2] + tuple(out_size), lowest, dtype=x.dtype)
    if not return_indices:
        for number, (source, target) in enumerate(boxes):
            if number != whole and source is not None:
                np.maximum(out[target], x[source], out=out[target])
        return out, None
    return out, _argmax_scan(x, out, boxes, offsets, stride, padding, dilation)


def _tap_box(offset, spatial, stride, padding, dilation, out_size):
    """(input view index, output box index) of the outputs whose window holds tap ``offset`` inside the
    input; (None, None) when no window does."""
    source, target = [Ellipsis], [Ellipsis]
    for k, s, p, d, o, length in zip(offset, stride, padding, dilation, out_size, spatial):
        first = max(0, -(-(p - k * d) // s))               # o * s - p + k * d >= 0
        stop = min(o, (length - 1 + p - k * d) // s + 1)   # o * s - p + k * d <= length - 1
        if stop <= first:
            return None, None
        begin = first * s - p + k * d
        source.append(slice(begin, begin + (stop - first - 1) * s + 1, s))
        target.append(slice(first, stop))
    return tuple(source), tuple(target)


def _box_covers(target, out_size):
    """Whether the output box ``target`` of _tap_box is every output."""
    return target is not None and all(t.start == 0 and t.stop == o for t, o in zip(target[1:], out_size))


def _every_window_reads_input(boxes, out_size):
    """Whether each output window holds at least one tap inside the input (with dilation and ceil_mode
    a window may lie wholly in the padding)."""
    for d, o in enumerate(out_size):
        covered = np.zeros(o, dtype=bool)
        for _, target in boxes:
            if target is not None:
                covered[target[1 + d]] = True
        if not covered.all():
            return False
    return True


def _argmax_scan(x, out, boxes, offsets, stride, padding, dilation):
    """Fill ``out`` (all lowest) with the window maxima and return their flat indices, in one scan and
    without a branch per element.  Each output starts at the first tap of its window inside the input (a
    window of -inf reports it, as PyTorch); tap numbers only grow during the scan, so "take ``number``
    where this tap beats the maximum so far" is ``chosen = max(chosen, number * beats)``."""
    chosen = np.zeros(out.shape, dtype=np.uint8 if len(offsets) <= 256 else np.int32)
    for number, (source, target) in reversed(list(enumerate(boxes))):
        if source is not None:
            chosen[target] = number   # ends as the first tap inside the input
    for number, (source, target) in enumerate(boxes):
        if source is None:
            continue
        tap, best, picked = x[source], out[target], chosen[target]
        beats = np.greater(tap, best)      # strict: the first maximum keeps its place
        np.maximum(best, tap, out=best)    # NaN wins and stays, as in PyTorch's scan
        np.maximum(picked, np.multiply(beats, number, dtype=picked.dtype), out=picked)
    if out.dtype.kind == "f" and np.isnan(out).any():
        # PyTorch's scan keeps updating on NaN: the last NaN of the window is chosen.
        for number, (source, target) in enumerate(boxes):
            if source is not None:
                np.copyto(chosen[target], number, where=np.isnan(x[source]))
    return _flat_indices(chosen, offsets, x.shape[2:], stride, padding, dilation)


def _flat_indices(chosen, offsets, spatial, stride, padding, dilation):
    """Flat index in the input plane of the tap numbered ``chosen`` of each output window."""
    plane_strides = _flat_offsets(spatial)
    tap_offset = np.array([sum(k * d * ps for k, d, ps in zip(offset, dilation, plane_strides))
                           for offset in offsets], dtype=np.int64)
    base = 0
    for v, ps in zip(_broadcast_dims(_positions(chosen.shape[2:], stride, padding)), plane_strides):
        base = base + v * ps
    indices = tap_offset[chosen]   # (np.take is several times slower on small index dtypes)
    indices += base
    return indices


def _argmax_indices(xp, out, offsets, spatial, stride, padding, dilation, out_size):
    starts = _positions(out_size, stride, padding)
    # Which output positions see a real (non-padding) element at each kernel offset, per dim.
    def valid_mask(offset):
        per_dim = [(st + k * d >= 0) & (st + k * d < s)
                   for st, k, d, s in zip(starts, offset, dilation, spatial)]
        if all(v.all() for v in per_dim):
            return None
        mask = True
        for v in _broadcast_dims(per_dim):
            mask = mask & v
        return mask

    masks = [valid_mask(offset) for offset in offsets]
    chosen = np.full(out.shape, -1, dtype=np.int32)
    # Reverse scan: the last write wins, so the earliest offset holding the maximum is kept.
    for number in reversed(range(len(offsets))):
        hit = _window(xp, offsets[number], stride, dilation, out_size) == out
        if masks[number] is not None:
            hit &= masks[number]
        np.copyto(chosen, number, where=hit)
    if out.dtype.kind == "f" and np.isnan(out).any():
        # PyTorch's scan keeps updating on NaN: the last NaN of the window is chosen.
        for number, offset in enumerate(offsets):
            hit = np.isnan(_window(xp, offset, stride, dilation, out_size))
            if masks[number] is not None:
                hit &= masks[number]
            np.copyto(chosen, number, where=hit)
    missed = chosen < 0
    indices = _flat_indices(np.maximum(chosen, 0), offsets, spatial, stride, padding, dilation)
    if missed.any():
        # Windows lying wholly in the padding (dilation and ceil_mode allow it) output -inf; PyTorch
        # then reports the first tap at a non-negative coordinate of each dim.
        plane_strides = _flat_offsets(spatial)
        first = 0
        for st, d, ps in zip(_broadcast_dims(starts), dilation, plane_strides):
            first = first + (st + (-np.minimum(st, 0) + d - 1) // d * d) * ps
        indices = np.where(missed, first, indices)
    return indices


@threads.over_planes(lambda grad, indices, input_spatial, distinct=False:
                     grad.size + _planes(grad) * math.prod(input_spatial), arrays=2)
def max_pool_backward(grad, indices, input_spatial, distinct=False):
    """Gradient of max pooling: each output gradient is added at its argmax. (N, C, *O) -> (N, C, *S).

    ``distinct``: no two windows share an input element (kernel extent <= stride), so no two outputs
    share an argmax and the gradients are written, not summed (a scatter instead of a bincount).
    """
    n, c = grad.shape[:2]
    plane = int(np.prod(input_spatial, dtype=np.int64))
    weights = grad.reshape(-1)
    target = (indices.reshape(n * c, -1) + (np.arange(n * c, dtype=np.int64) * plane)[:, None]).reshape(-1)
    if indices.size and (indices.min() < 0 or indices.max() >= plane):
        # Only a window lying wholly in the padding has an index outside its plane (see _argmax_indices).
        # torch's kernel adds its gradient at that offset from the plane's start all the same, into the
        # next plane; past the whole gradient (torch's out-of-bounds write) it goes nowhere.
        outside = (target < 0) | (target >= n * c * plane)
        weights = np.where(outside, 0, weights)
        target = np.clip(target, 0, n * c * plane - 1)
        distinct = False   # the moved indices may meet a real argmax
    gx = np.zeros(n * c * plane, dtype=grad.dtype)
    if distinct:
        gx[target] = weights + grad.dtype.type(0)   # 0 + g, as a sum gives: -0.0 lands as +0.0
    else:
        np.add.at(gx, target, weights)   # in output order and in the gradient's dtype, as PyTorch sums
    return gx.reshape((n, c) + tuple(input_spatial))


def _avg_divisor(spatial, kernel_size, stride, padding, out_size, count_include_pad, divisor_override,
                 dtype):
    """The divisor of each output window, broadcastable to (N, C, *O), as PyTorch's avg_pool."""
    if divisor_override:
        return dtype.type(divisor_override)
    per_dim = []
    for s, k, st, p, o in zip(spatial, kernel_size, stride, padding, out_size):
        start = np.arange(o) * st - p
        end = np.minimum(start + k, s + p)
        if count_include_pad:
            per_dim.append(end - start)
        else:
            per_dim.append(np.minimum(end, s) - np.maximum(start, 0))
    divisor = 1
    for v in _broadcast_dims(per_dim):
        divisor = divisor * v
    # A window lying wholly in the padding (possible with ceil_mode) sums to 0; avoid 0 / 0.
    return np.where(divisor > 0, divisor, 1).astype(dtype)


def _window_sum_along(x, axis, kernel, stride, padding, out):
    """Sum of ``kernel`` consecutive (zero-padded) samples every ``stride`` along one axis."""
    extent = (out - 1) * stride + kernel
    length = x.shape[axis]
    after = max(0, extent - padding - length)
    if padding or after:
        widths = [(0, 0)] * x.ndim
        widths[axis] = (padding, after)
        x = np.pad(x, widths)
    total = None
    for k in range(kernel):
        where = [slice(None)] * x.ndim
        where[axis] = slice(k, k + (out - 1) * stride + 1, stride)
        view = x[tuple(where)]
        if total is None:
            total = view.copy()
        else:
            total += view
    return total


@threads.over_planes(lambda x, kernel_size, *args, **kwargs: x.size * sum(kernel_size))
def avg_pool_forward(x, kernel_size, stride, padding, out_size, ceil_mode=False, count_include_pad=True,
                     divisor_override=None):
    """Average pooling. (N, C, *S) -> (N, C, *O), ``O_d`` given by npconv._shapes.pool_length.

    A box sum is separable: summing along one axis at a time costs sum(k_d) instead of prod(k_d)
    passes, and each pass shrinks the array by its stride.
    """
    n = len(kernel_size)
    # The axis that shrinks the most goes first, so later passes touch less data.
    order = sorted(range(n), key=lambda d: out_size[d] / x.shape[2 + d])
    out = x
    for d in order:
        out = _window_sum_along(out, 2 + d, kernel_size[d], stride[d], padding[d], out_size[d])
    out /= _avg_divisor(x.shape[2:], kernel_size, stride, padding, out_size, count_include_pad,
                        divisor_override, x.dtype)
    return out


@threads.over_planes(lambda grad, input_spatial, kernel_size, *args, **kwargs: grad.size * math.prod(kernel_size))
def avg_pool_backward(grad, input_spatial, kernel_size, stride, padding, count_include_pad=True,
                      divisor_override=None):
    """Gradient of average pooling. (N, C, *O) -> (N, C, *S)."""
    out_size = grad.shape[2:]
    ones = (1,) * len(kernel_size)
    g = grad / _avg_divisor(input_spatial, kernel_size, stride, padding, out_size, count_include_pad,
                            divisor_override, grad.dtype)
    extent = _extent(out_size, kernel_size, stride, ones)
    padded_shape = grad.shape[:2] + tuple(max(e, p + s) for e, p, s in zip(extent, padding, input_spatial))
    gp = np.zeros(padded_shape, dtype=grad.dtype)
    for offset in itertools.product(*[range(k) for k in kernel_size]):
        _window(gp, offset, stride, ones, out_size)[...] += g
    return np.ascontiguousarray(gp[(Ellipsis,) + tuple(slice(p, p + s) for p, s in zip(padding, input_spatial))])


@threads.over_planes(lambda x, out_size: x.size * len(out_size))
def adaptive_avg_pool_forward(x, out_size):
    """Adaptive average pooling: window o spans [floor(o*S/O), ceil((o+1)*S/O)). (N, C, *S) -> (N, C, *O)."""
    return resample(x, [area_taps(s, o, x.dtype) for s, o in zip(x.shape[2:], out_size)])


@threads.over_planes(lambda grad, input_spatial: _planes(grad) * math.prod(input_spatial) * len(input_spatial))
def adaptive_avg_pool_backward(grad, input_spatial):
    """Gradient of adaptive average pooling. (N, C, *O) -> (N, C, *S)."""
    return resample_backward(grad, [area_taps(s, o, grad.dtype) for s, o in zip(input_spatial, grad.shape[2:])])


@threads.over_planes(lambda x, out_size: 2 * x.size)
def adaptive_max_pool_forward(x, out_size):
    """Adaptive max pooling with PyTorch's flat per-plane indices. (N, C, *S) -> ((N, C, *O), indices)."""
    spatial = x.shape[2:]
    windows = [adaptive_windows(s, o) for s, o in zip(spatial, out_size)]
    widths = [int((end - start).max()) if len(start) else 0 for start, end in windows]
    plane_strides = _flat_offsets(spatial)
    lowest = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    out = np.full(x.shape[:2] + tuple(out_size), lowest, dtype=x.dtype)
    # Start with each window's first element, as PyTorch does.
    indices = 0
    for start, ps in zip(_broadcast_dims([w[0] for w in windows]), plane_strides):
        indices = indices + start * ps
    indices = np.broadcast_to(indices, out.shape).astype(np.int64)
    for offset in itertools.product(*[range(w) for w in widths]):
        # Past a window's end, repeat its last element: it can never win a strict comparison again.
        coords = [np.minimum(start + k, end - 1) for (start, end), k in zip(windows, offset)]
        grid = _broadcast_dims(coords)
        value = x[(Ellipsis,) + tuple(grid)]
        take = (value > out) | np.isnan(value)
        flat = 0
        for g, ps in zip(grid, plane_strides):
            flat = flat + g * ps
        np.copyto(out, value, where=take)
        np.copyto(indices, np.broadcast_to(flat, out.shape), where=take)
    return out, indices


def max_unpool_forward(x, indices, out_spatial):
    """Scatter each value to its flat index in a zero plane of shape ``out_spatial``. (N, C, *I) -> (N, C, *O).

    Indices must lie in [0, prod(out_spatial)) (checked by the caller).
    """
    n, c = x.shape[:2]
    plane = int(np.prod(out_spatial, dtype=np.int64))
    out = np.zeros((n * c, plane), dtype=x.dtype)
    if plane:  # an empty volume receives nothing (torch then ignores the indices too)
        np.put_along_axis(out, indices.reshape(n * c, -1), x.reshape(n * c, -1), axis=1)
    return out.reshape((n, c) + tuple(out_spatial))


def max_unpool_backward(grad, indices):
    """Gradient of max unpooling: the output gradient read back at each index. (N, C, *O) -> (N, C, *I)."""
    n, c = grad.shape[:2]
    if grad.size == 0:  # an empty volume: no value depended on the input
        return np.zeros(indices.shape, dtype=grad.dtype)
    picked = np.take_along_axis(grad.reshape(n * c, -1), indices.reshape(n * c, -1), axis=1)
    return picked.reshape(indices.shape)
