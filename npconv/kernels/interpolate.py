"""Raw NumPy resampling along spatial axes (no Tensor, no autograd).

Every mode of ``interpolate`` (nearest, nearest-exact, linear/bilinear/trilinear, bicubic, area) and
adaptive average pooling are separable: along each spatial axis, output ``o`` is a weighted sum of a few
input samples ``x[index[o, t]]`` with weights ``weight[o, t]``. So one axis resampler serves them all:
forward is a gather per tap, backward a segmented sum per tap (``np.add.reduceat``), because each tap's
index is non-decreasing in ``o``. The index/weight tables reproduce PyTorch's CPU rules exactly,
including the float32 arithmetic of the source coordinate when the input is float32.  Large calls are
split by planes (N * C) over the kernel threads. Antialiased bilinear/bicubic (Pillow's widened filters)
are taps of the same kind; 8-bit images resample with torch's integer weights (``uint8_taps``,
``resample_uint8``), rounding to 8 bits after each axis.
"""
import math

import numpy as np

from . import threads

__all__ = [
    "AxisTaps", "nearest_taps", "nearest_exact_taps", "linear_taps", "cubic_taps", "area_taps",
    "resample", "resample_backward", "interpolation_taps", "adaptive_windows", "antialias_taps", "uint8_taps",
    "resample_uint8",
]


class AxisTaps:
    """Resampling of one axis: ``y[o] = sum_t weight[o, t] * x[index[o, t]]``.

    ``weight`` is None for a pure gather (nearest modes), which saves a multiplication.  ``outside`` (bool,
    like ``index``, or None) marks padding taps that are not part of the sum at all: their term is zero
    even where the sample is inf or NaN (a weight of 0 would give NaN), as a direct sum over the window.
    """

    def __init__(self, index, weight, input_size, backward_index=None, outside=None):
        self.index = np.ascontiguousarray(index, dtype=np.intp)
        # The gradient normally flows back through the forward's mapping; PyTorch's nearest mode
        # sometimes uses another one (see nearest_taps), reproduced through backward_index.
        self.backward_index = self.index if backward_index is None else np.ascontiguousarray(
            backward_index, dtype=np.intp)
        self.weight = weight
        self.input_size = input_size
        self.outside = outside

    @property
    def output_size(self):
        return self.index.shape[0]


# ----------------------------------------------------------------------------------------------
# Scales, as PyTorch's UpSample.h computes them (in the op's math type).

def _scale_from_sizes(input_size, output_size, scale, dtype):
    """compute_scales_value: 1/scale when a scale factor is used, else in/out (division in dtype)."""
    if scale is not None and scale > 0:
        return dtype.type(1.0 / scale)
    return dtype.type(dtype.type(input_size) / dtype.type(output_size))


def _area_pixel_scale(input_size, output_size, align_corners, scale, dtype):
    if align_corners:
        if output_size > 1:
            return dtype.type(dtype.type(input_size - 1) / dtype.type(output_size - 1))
        return dtype.type(0)
    return _scale_from_sizes(input_size, output_size, scale, dtype)


def _source_coordinate(scale, output_size, align_corners, cubic, dtype):
    """area_pixel_compute_source_index for every output index, computed in ``dtype``."""
    dst = np.arange(output_size).astype(dtype)
    if align_corners:
        return scale * dst
    src = scale * (dst + dtype.type(0.5)) - dtype.type(0.5)
    if not cubic:
        src = np.maximum(src, dtype.type(0))  # linear modes clamp the left border at pixel 0
    return src


# ----------------------------------------------------------------------------------------------
# Tap tables, one per mode.

def _nearest_index(input_size, output_size, scale, special_cases):
    if special_cases and output_size == input_size:
        return np.arange(output_size)
    if special_cases and output_size == 2 * input_size:
        return np.arange(output_size) >> 1
    f32 = np.dtype(np.float32)  # PyTorch computes nearest indices in float32 whatever the dtype
    s = _scale_from_sizes(input_size, output_size, scale, f32)
    index = np.floor(np.arange(output_size).astype(np.float32) * s).astype(np.int64)
    return np.minimum(index, input_size - 1)


def nearest_taps(input_size, output_size, scale=None, spatial_dims=2):
    """Mode 'nearest' (OpenCV's INTER_NEAREST rule kept by PyTorch): src = floor(dst * scale).

    PyTorch's CPU kernels special-case output == input (copy) and output == 2 * input (dst >> 1),
    which differs from the formula when a scale factor is given: its 2-d forward and every backward
    take the special cases, its 1-d and 3-d forwards do not. Both mappings are kept here.
    """
    forward = _nearest_index(input_size, output_size, scale, special_cases=spatial_dims == 2)
    backward = _nearest_index(input_size, output_size, scale, special_cases=True)
    return AxisTaps(forward[:, None], None, input_size, backward_index=backward[:, None])


def nearest_exact_taps(input_size, output_size, scale=None):
    """Mode 'nearest-exact' (as Pillow / scipy.ndimage.zoom): src = floor((dst + 0.5) * scale)."""
    f32 = np.dtype(np.float32)
    s = _scale_from_sizes(input_size, output_size, scale, f32)
    # (dst + 0.5) is a double in PyTorch; the product is rounded to float before floorf.
    src = ((np.arange(output_size) + 0.5) * np.float64(s)).astype(np.float32)
    index = np.minimum(np.floor(src).astype(np.int64), input_size - 1)
    return AxisTaps(index[:, None], None, input_size)


def linear_taps(input_size, output_size, align_corners, scale=None, dtype=np.float64):
    """Linear interpolation between the two neighbours of the source coordinate."""
    dtype = np.dtype(dtype)
    if output_size == input_size:   # torch's "simply copy": both taps on the same sample, weights 1 and 0
        index = np.repeat(np.arange(output_size)[:, None], 2, axis=1)   # (so an inf there reads inf * 0: NaN)
        return AxisTaps(index, np.tile(np.array([1, 0], dtype=dtype), (output_size, 1)), input_size)
    s = _area_pixel_scale(input_size, output_size, align_corners, scale, dtype)
    src = _source_coordinate(s, output_size, align_corners, False, dtype)
    index0 = np.minimum(src.astype(np.int64), input_size - 1)
    index1 = index0 + (index0 < input_size - 1)
    lambda1 = np.clip(src - index0.astype(dtype), 0, 1).astype(dtype)
    lambda0 = (dtype.type(1) - lambda1).astype(dtype)
    return AxisTaps(np.stack([index0, index1], axis=1), np.stack([lambda0, lambda1], axis=1), input_size)


def _triangle(x):
    x = np.abs(x)
    return np.where(x < 1, 1 - x, 0)


def _keys_cubic(a):
    """Keys' cubic convolution kernel with parameter ``a`` (-0.5 antialiased, -0.75 otherwise)."""
    def kernel(x):
        x = np.abs(x)
        near = ((a + 2) * x - (a + 3)) * x * x + 1
        far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
        return np.where(x < 1, near, np.where(x < 2, far, 0))
    return kernel


def _cubic_coefficients(t, dtype):
    """Keys' cubic convolution with A = -0.75 at the four taps, as PyTorch's get_cubic_upsample_coefficients."""
    kernel = _keys_cubic(dtype.type(-0.75))
    one = dtype.type(1)
    return np.stack([kernel(t + one), kernel(t), kernel(one - t), kernel(one - t + one)], axis=1).astype(dtype)


def cubic_taps(input_size, output_size, align_corners, scale=None, dtype=np.float64):
    """Bicubic taps floor(src)-1 .. floor(src)+2, clamped to the border (replicate)."""
    dtype = np.dtype(dtype)
    s = _area_pixel_scale(input_size, output_size, align_corners, scale, dtype)
    src = _source_coordinate(s, output_size, align_corners, True, dtype)
    floor = np.floor(src)
    t = np.clip(src - floor, 0, 1).astype(dtype)
    base = floor.astype(np.int64)
    index = np.clip(base[:, None] + np.arange(-1, 3)[None, :], 0, input_size - 1)
    return AxisTaps(index, _cubic_coefficients(t, dtype), input_size)


def adaptive_windows(input_size, output_size):
    """Start (inclusive) and end (exclusive) of each adaptive pooling window, as PyTorch:
    start = floor(o * in / out), end = ceil((o + 1) * in / out)."""
    o = np.arange(output_size)
    start = (o * input_size) // output_size
    end = ((o + 1) * input_size + output_size - 1) // output_size
    return start, end


def area_taps(input_size, output_size, dtype=np.float64):
    """Mode 'area' = adaptive average pooling: the mean of each adaptive window."""
    dtype = np.dtype(dtype)
    start, end = adaptive_windows(input_size, output_size)
    width = end - start
    steps = np.arange(int(width.max()) if output_size else 1)
    # Taps beyond a window's end repeat its last sample (which keeps indices monotone) and are left out.
    index = np.minimum(start[:, None] + steps[None, :], (end - 1)[:, None])
    outside = steps[None, :] >= width[:, None]
    weight = np.where(outside, 0.0, 1.0 / width[:, None]).astype(dtype)
    return AxisTaps(index, weight, input_size, outside=outside if outside.any() else None)


# ----------------------------------------------------------------------------------------------
# Antialiased resampling and 8-bit images (torch's separable kernels, after Pillow's resampler).

def antialias_taps(mode, input_size, output_size, align_corners, scale=None, dtype=np.float64):
    """torch's antialiased bilinear/bicubic taps: when shrinking, the filter is stretched over ``scale``
    input samples (Pillow's rule) and each output's weights are normalised to sum 1; computed in ``dtype``."""
    dtype = np.dtype(dtype)
    size = 2 if mode == "bilinear" else 4
    filter_ = _triangle if mode == "bilinear" else _keys_cubic(dtype.type(-0.5))
    s = _area_pixel_scale(input_size, output_size, align_corners, scale, dtype)
    support = dtype.type(size * 0.5 * s if s >= 1 else size * 0.5)
    width = int(math.ceil(support)) * 2 + 1
    inverse = dtype.type(1 / s if s >= 1 else 1)
    center = (s * (np.arange(output_size) + 0.5)).astype(dtype)
    first = np.maximum(np.trunc(center - support + dtype.type(0.5)).astype(np.int64), 0)
    count = np.clip(np.minimum(np.trunc(center + support + dtype.type(0.5)).astype(np.int64), input_size) - first,
                    0, width)
    steps = np.arange(width)
    outside = steps[None, :] >= count[:, None]
    weight = filter_(((steps[None, :] + first[:, None]).astype(dtype) - center[:, None] + dtype.type(0.5))
                     * inverse).astype(dtype)
    weight = np.where(outside, dtype.type(0), weight)
    total = weight.sum(axis=1, keepdims=True)
    weight = np.where(total != 0, weight / np.where(total != 0, total, 1), weight).astype(dtype)
    index = np.minimum(first[:, None] + steps[None, :], input_size - 1)
    return AxisTaps(index, weight, input_size, outside=outside if outside.any() else None)


def _plain_taps_as_ranges(mode, input_size, output_size, align_corners, scale):
    """torch's 8-bit bilinear/bicubic taps without antialiasing, in double: the taps of the usual table, with
    the weights of taps beyond a border added onto the border sample (first index, count, weights)."""
    cubic = mode == "bicubic"
    size = 4 if cubic else 2
    filter_ = _keys_cubic(-0.75) if cubic else _triangle
    f64 = np.dtype(np.float64)
    s = _area_pixel_scale(input_size, output_size, align_corners, scale, f64)
    dst = np.arange(output_size, dtype=np.float64)
    src = s * dst if align_corners else s * (dst + 0.5) - 0.5
    if not align_corners and not cubic:
        src = np.maximum(src, 0)
    base = np.minimum(np.floor(src).astype(np.int64), input_size - 1)
    fraction = np.clip(src - base, 0, 1)
    half = size // 2
    unbound = base - half + 1
    first = np.maximum(unbound, 0)
    count = np.clip(np.minimum(base + half + 1, input_size) - first, 0, size)
    weight = np.zeros((output_size, size))
    running_max = np.zeros(output_size)
    for o in range(output_size):
        slot = 0
        for j in range(size):
            w = filter_(j + 1 - half - fraction[o])
            if unbound[o] + j <= 0:
                slot = 0
            elif unbound[o] + j >= input_size - 1:
                slot = count[o] - 1
            weight[o, slot] += w
            running_max[o] = max(running_max[o], weight[o, slot])
            slot += 1
    return first, count, weight, float(running_max.max(initial=0.0))


def uint8_taps(mode, input_size, output_size, align_corners, scale, antialias):
    """torch's 8-bit resampling of one axis: double weights rounded to int16 at the largest precision
    (at most 22 bits) at which the largest weight still fits. Returns (AxisTaps with integer weights,
    precision)."""
    if antialias:
        taps = antialias_taps(mode, input_size, output_size, align_corners, scale, np.float64)
        first, width = taps.index[:, 0], taps.index.shape[1]
        count = width - (taps.outside.sum(axis=1) if taps.outside is not None else 0)
        weight, largest = taps.weight, float(taps.weight.max(initial=0.0))
    else:
        first, count, weight, largest = _plain_taps_as_ranges(mode, input_size, output_size, align_corners, scale)
        width = weight.shape[1]
    precision = 0
    while precision < 22 and int(0.5 + largest * (1 << (precision + 1))) < (1 << 15):
        precision += 1
    scaled = weight * (1 << precision)
    integer = np.where(scaled < 0, np.trunc(scaled - 0.5), np.trunc(scaled + 0.5)).astype(np.int64)
    steps = np.arange(width)
    outside = steps[None, :] >= count[:, None]
    index = np.minimum(first[:, None] + steps[None, :], input_size - 1)
    integer = np.where(outside, 0, integer)
    return AxisTaps(index, integer, input_size), precision


def resample_uint8(x, axis_taps):
    """Resample the trailing axes of an 8-bit ``x`` with ``uint8_taps``, the last axis first: each pass sums
    in integers, rounds by adding half a unit of the precision, shifts and clamps to 0..255."""
    first = x.ndim - len(axis_taps)
    for offset in reversed(range(len(axis_taps))):
        taps, precision = axis_taps[offset]
        if taps is None:
            continue
        axis = first + offset
        total = np.full(x.shape[:axis] + (taps.output_size,) + x.shape[axis + 1:], 1 << (precision - 1) if precision
                        else 0, dtype=np.int64)
        for t in range(taps.index.shape[1]):
            total += np.take(x, taps.index[:, t], axis=axis).astype(np.int64) * _along(taps.weight[:, t], axis,
                                                                                          x.ndim)
        x = np.clip(total >> precision, 0, 255).astype(np.uint8)
    return x


# ----------------------------------------------------------------------------------------------
# Applying taps.

def _along(vector, axis, ndim):
    shape = [1] * ndim
    shape[axis] = -1
    return vector.reshape(shape)


def _weighted(values, taps, t, axis, in_place):
    """``values`` (a gathered tap, or a gradient) times tap ``t``'s weights along ``axis`` (in place when
    ``values`` is a temporary); zero where the tap is outside its window."""
    if taps.weight is not None:
        weight = _along(taps.weight[:, t].astype(values.dtype, copy=False), axis, values.ndim)
        values = np.multiply(values, weight, out=values if in_place else None)
        if taps.outside is not None:
            np.copyto(values, 0, where=_along(taps.outside[:, t], axis, values.ndim))
    return values


def _resample_axis(x, axis, taps):
    out = None
    for t in range(taps.index.shape[1]):
        term = _weighted(np.take(x, taps.index[:, t], axis=axis), taps, t, axis, in_place=True)
        if out is None:
            out = term
        else:
            out += term
    return out


def _resample_axis_backward(grad, axis, taps):
    shape = list(grad.shape)
    shape[axis] = taps.input_size
    grad_x = np.zeros(shape, dtype=grad.dtype)
    for t in range(taps.backward_index.shape[1]):
        index = taps.backward_index[:, t]
        g = _weighted(grad, taps, t, axis, in_place=False)
        if np.all(index[1:] >= index[:-1]):
            # Outputs reading the same input sample are contiguous: sum each run at once.
            starts = np.flatnonzero(np.concatenate(([True], index[1:] != index[:-1])))
            sums = np.add.reduceat(g, starts, axis=axis)
            where = [slice(None)] * grad.ndim
            where[axis] = index[starts]
            grad_x[tuple(where)] += sums
        else:  # not produced by the tables above; kept correct for any caller
            moved = np.moveaxis(grad_x, axis, 0)
            np.add.at(moved, index, np.moveaxis(g, axis, 0))
    return grad_x


def _resample_cost(x, taps_per_axis):
    """Element operations of ``resample``: every tap of every axis reads and adds one output-sized array."""
    outputs = math.prod(x.shape[:x.ndim - len(taps_per_axis)]) * math.prod(t.output_size for t in taps_per_axis)
    return max(x.size, outputs) * sum(t.index.shape[1] for t in taps_per_axis)


@threads.over_planes(_resample_cost)
def resample(x, taps_per_axis):
    """Resample the trailing ``len(taps_per_axis)`` axes of ``x``, one AxisTaps per axis.

    Shape: (..., L_1, ..., L_n) -> (..., taps_1.output_size, ..., taps_n.output_size).
    """
    first = x.ndim - len(taps_per_axis)
    for offset, taps in enumerate(taps_per_axis):
        x = _resample_axis(x, first + offset, taps)
    return x


@threads.over_planes(_resample_cost)
def resample_backward(grad, taps_per_axis):
    """Gradient of :func:`resample` with respect to its input, given the output gradient."""
    first = grad.ndim - len(taps_per_axis)
    for offset in reversed(range(len(taps_per_axis))):
        grad = _resample_axis_backward(grad, first + offset, taps_per_axis[offset])
    return grad


def interpolation_taps(mode, input_size, output_size, align_corners=False, scale=None, dtype=np.float64,
                       spatial_dims=2):
    """The AxisTaps of one axis for an ``interpolate`` mode ('linear' covers bi/trilinear)."""
    if mode == "nearest":
        return nearest_taps(input_size, output_size, scale, spatial_dims)
    if mode == "nearest-exact":
        return nearest_exact_taps(input_size, output_size, scale)
    if mode in ("linear", "bilinear", "trilinear"):
        return linear_taps(input_size, output_size, bool(align_corners), scale, dtype)
    if mode == "bicubic":
        return cubic_taps(input_size, output_size, bool(align_corners), scale, dtype)
    if mode == "area":
        return area_taps(input_size, output_size, dtype)
    raise ValueError(f"unknown interpolation mode {mode!r}")


