"""Raw NumPy resampling along spatial axes (no Tensor, no autograd).

Every mode of ``interpolate`` (nearest, nearest-exact, linear/bilinear/trilinear, bicubic, area) and
adaptive average pooling are separable: along each spatial axis, output ``o`` is a weighted sum of a few
input samples ``x[index[o, t]]`` with weights ``weight[o, t]``. So one axis resampler serves them all:
forward is a gather per tap, backward a segmented sum per tap (``np.add.reduceat``), because each tap's
index is non-decreasing in ``o``. The index/weight tables reproduce PyTorch's CPU rules exactly,
including the float32 arithmetic of the source coordinate when the input is float32.  Large calls are
split by planes (N * C) over the kernel threads.
"""
import math

import numpy as np

from . import threads

__all__ = [
    "AxisTaps", "nearest_taps", "nearest_exact_taps", "linear_taps", "cubic_taps", "area_taps",
    "resample", "resample_backward", "interpolation_taps", "adaptive_windows",
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
    if output_size == input_size:
        index = np.arange(output_size)[:, None]
        return AxisTaps(index, np.ones((output_size, 1), dtype=dtype), input_size)
    s = _area_pixel_scale(input_size, output_size, align_corners, scale, dtype)
    src = _source_coordinate(s, output_size, align_corners, False, dtype)
    index0 = np.minimum(src.astype(np.int64), input_size - 1)
    index1 = index0 + (index0 < input_size - 1)
    lambda1 = np.clip(src - index0.astype(dtype), 0, 1).astype(dtype)
    lambda0 = (dtype.type(1) - lambda1).astype(dtype)
    return AxisTaps(np.stack([index0, index1], axis=1), np.stack([lambda0, lambda1], axis=1), input_size)


def _cubic_coefficients(t, dtype):
    """Keys' cubic convolution with A = -0.75, as PyTorch's get_cubic_upsample_coefficients."""
    a = dtype.type(-0.75)
    one = dtype.type(1)

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + one

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    return np.stack([far(t + one), near(t), near(one - t), far(one - t + one)], axis=1).astype(dtype)


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


