"""Sampling an (N, C, *S) array at the points of a grid (N, *O, d) of normalised coordinates in [-1, 1],
as torch's grid_sample, for d = 2 or 3 spatial dims, with its input and grid gradients; and the base grid
of affine_grid.

One engine serves every mode: along each spatial dim a point reads a few "taps" (integer positions, each
with a weight and the weight's derivative by the coordinate): bilinear 2 taps, nearest 1, bicubic 4. A
point's value is the sum over the product of taps of the weights' product times the input there (zero
outside the input). Coordinates and tap positions follow torch's CPU kernels: unnormalise, then the padding
mode (clip to the border, or reflect about the edges: the coordinate for bilinear and nearest, each tap
position for bicubic).
"""
import itertools

import numpy as np

from .fma import fused_multiply_add

__all__ = ["sample", "sample_backward", "base_grid"]

_CUBIC_A = -0.75


def _linspace(size, align_corners, dtype):
    """The normalised centres of ``size`` pixels: -1..1 at the centres (align_corners) or at the edges.

    Bit for bit as torch builds them (points on pixel centres must land exactly where torch's do, or a
    sampler's one-sided derivative picks the other side): its linspace fills the first half up from -1 and
    the second half down from 1, and the edge variant multiplies by (size - 1), then divides by size."""
    if size <= 1:
        return np.zeros(size, dtype=dtype)
    one = dtype.type(1)
    step = (one + one) / dtype.type(size - 1)
    index = np.arange(size)
    steps = np.where(index < size // 2, -one + step * index.astype(dtype),
                     one - step * (size - 1 - index).astype(dtype)).astype(dtype)
    return steps if align_corners else steps * dtype.type(size - 1) / dtype.type(size)


def base_grid(spatial, align_corners, dtype):
    """(*spatial, d + 1): for each output point its normalised (x, y[, z], 1), x along the last dim."""
    dtype = np.dtype(dtype)
    axes = [_linspace(s, align_corners, dtype) for s in spatial]
    mesh = np.meshgrid(*axes, indexing="ij")  # mesh[j] varies along spatial dim j
    return np.stack(list(mesh[::-1]) + [np.ones(tuple(spatial), dtype=dtype)], axis=-1)


def _unnormalize(coord, size, align_corners, vectorised):
    """Pixel coordinate of a normalised one, and d(pixel)/d(normalised). torch's vectorised 2-d kernel
    computes (coord + 1) * scale (- 0.5, fused), its 3-d kernel ((coord + 1) * size - 1) / 2: the roundings
    differ, and decide on which side of a pixel centre a point falls."""
    dtype = coord.dtype.type
    scale = dtype((size - 1) / 2 if align_corners else size / 2)
    if vectorised:
        if align_corners:
            return (coord + 1) * scale, scale
        return fused_multiply_add(coord + 1, scale, -0.5), scale
    if align_corners:
        return (coord + 1) / 2 * dtype(size - 1), scale
    return ((coord + 1) * dtype(size) - 1) / 2, scale


def _clip(coord, size):
    """Clamp to [0, size - 1], with the derivative (0 where clamped). A NaN lands on 0, as in torch's
    vectorised clamp."""
    clipped = np.where(np.isnan(coord), 0, np.clip(coord, 0, size - 1))
    return clipped, ((coord > 0) & (coord < size - 1)).astype(coord.dtype)


def _reflect(coord, twice_low, twice_high):
    """Reflect about the edges low = twice_low / 2, high = twice_high / 2 until inside, with the derivative
    (+1 or -1: each reflection flips the direction)."""
    one = coord.dtype.type(1)
    if twice_low == twice_high:
        return np.zeros_like(coord), np.zeros_like(coord)
    low = coord.dtype.type(twice_low / 2)
    span = coord.dtype.type((twice_high - twice_low) / 2)
    shifted = coord - low
    sign = np.where(shifted < 0, -one, one)
    shifted = np.abs(shifted)
    extra = np.fmod(shifted, span)
    flips = np.floor(shifted / span)
    even = np.fmod(flips, 2) == 0
    return np.where(even, extra + low, span - extra + low), np.where(even, sign, -sign)


def _pad_coordinate(coord, size, padding_mode, align_corners):
    """The coordinate after the padding mode, and its derivative."""
    if padding_mode == "border":
        return _clip(coord, size)
    if padding_mode == "reflection":
        if align_corners:
            reflected, grad = _reflect(coord, 0, 2 * (size - 1))
        else:
            reflected, grad = _reflect(coord, -1, 2 * size - 1)
        clipped, clip_grad = _clip(reflected, size)
        return clipped, grad * clip_grad
    return coord, np.ones_like(coord)


def _cubic_weights(t):
    """torch's cubic convolution weights (A = -0.75) of the 4 taps at offsets -1, 0, 1, 2 from floor, for
    the fraction ``t``, and their derivatives by t."""
    a = _CUBIC_A

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1, (3 * (a + 2) * x - 2 * (a + 3)) * x

    def far(x):   # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a, (3 * a * x - 10 * a) * x + 8 * a

    values, derivatives = [], []
    for function, x, sign in ((far, t + 1, 1), (near, t, 1), (near, 1 - t, -1), (far, 2 - t, -1)):
        value, derivative = function(x)
        values.append(value)
        derivatives.append(sign * derivative)
    return values, derivatives


def _taps(coord, size, mode, padding_mode, align_corners, fused):
    """For one spatial dim: [(position, weight, d weight / d normalised coordinate)] per tap."""
    pixel, scale = _unnormalize(coord, size, align_corners, fused)
    if mode == "bicubic":  # the padding applies to each tap's position, not to the coordinate
        start = np.floor(pixel)
        values, derivatives = _cubic_weights(pixel - start)
        taps = []
        for offset, value, derivative in zip((-1, 0, 1, 2), values, derivatives):
            position, _ = _pad_coordinate(start + offset, size, padding_mode, align_corners)
            taps.append((position, value, derivative * scale))
        return taps
    pixel, pad_grad = _pad_coordinate(pixel, size, padding_mode, align_corners)
    factor = scale * pad_grad
    if mode == "nearest":
        return [(np.rint(pixel), np.ones_like(pixel), np.zeros_like(pixel))]
    low = np.floor(pixel)
    high = low + 1
    return [(low, high - pixel, -factor), (high, pixel - low, factor)]


def _tap_table(grid, spatial, mode, padding_mode, align_corners):
    """Per spatial dim (in input order) its taps; grid's last axis lists x (last dim) first."""
    d = len(spatial)
    fused = d == 2  # torch's 2-d kernel is vectorised (with fused multiply-adds), its 3-d one is not
    return [_taps(grid[..., d - 1 - j], spatial[j], mode, padding_mode, align_corners, fused) for j in range(d)]


def _combinations(table, spatial):
    """For each product of taps: flat input index (N, P), in-bounds mask, per-dim weights and derivatives."""
    for combo in itertools.product(*table):
        flat = np.zeros(combo[0][0].shape, dtype=np.int64)
        inside = np.ones(combo[0][0].shape, dtype=bool)
        for (position, _, _), size in zip(combo, spatial):
            with np.errstate(invalid="ignore"):
                inside &= (position >= 0) & (position <= size - 1)
            index = np.where(inside, position, 0).astype(np.int64)
            flat = flat * size + index
        flat = np.where(inside, flat, 0)
        yield flat, inside, [w for _, w, _ in combo], [dw for _, _, dw in combo]


def _flatten(input, grid):
    n, c = input.shape[:2]
    spatial = input.shape[2:]
    out_spatial = grid.shape[1:-1]
    return input.reshape(n, c, -1), grid.reshape(n, -1, grid.shape[-1]), spatial, out_spatial


def sample(input, grid, mode, padding_mode, align_corners):
    """(N, C, *S) sampled at grid (N, *O, d) -> (N, C, *O)."""
    values, points, spatial, out_spatial = _flatten(input, grid)
    table = _tap_table(points, spatial, mode, padding_mode, align_corners)
    out = np.zeros(values.shape[:2] + points.shape[1:2], dtype=input.dtype)
    if mode == "bicubic":  # torch sums each row of taps first, then the rows
        return _sample_bicubic(values, table, spatial).reshape(out.shape[:2] + tuple(out_spatial))
    for flat, inside, weights, _ in _combinations(table, spatial):
        gathered = np.where(inside[:, None, :], np.take_along_axis(values, flat[:, None, :], axis=2), 0)
        weight = np.prod(weights, axis=0)[:, None, :]
        if len(spatial) == 2:  # torch's vectorised kernel: an outside tap reads 0, times its (maybe NaN) weight
            out += gathered * weight
        else:                  # its 3-d kernel skips an outside tap
            out += np.where(inside[:, None, :], gathered * weight, 0)
    return out.reshape(out.shape[:2] + tuple(out_spatial))


def _sample_bicubic(values, table, spatial):
    rows, columns = table
    out = 0
    for y_position, y_weight, _ in rows:
        row = 0
        for x_position, x_weight, _ in columns:
            ((flat, inside, _, _),) = _combinations([[(y_position, y_weight, 0)], [(x_position, x_weight, 0)]],
                                                    spatial)
            gathered = np.where(inside[:, None, :], np.take_along_axis(values, flat[:, None, :], axis=2), 0)
            row = row + gathered * x_weight[:, None, :]
        out = out + row * y_weight[:, None, :]
    return np.asarray(out, dtype=values.dtype)


def sample_backward(grad, input, grid, mode, padding_mode, align_corners, need_input=True, need_grid=True):
    """(grad wrt input, grad wrt grid) of ``sample`` for the upstream ``grad`` (N, C, *O)."""
    values, points, spatial, _ = _flatten(input, grid)
    n, c, length = values.shape
    grad = grad.reshape(n, c, -1)
    table = _tap_table(points, spatial, mode, padding_mode, align_corners)
    grad_values = np.zeros((c, n * length), dtype=input.dtype) if need_input else None
    grad_points = np.zeros(points.shape, dtype=input.dtype) if need_grid else None
    d = len(spatial)
    offsets = (np.arange(n) * length)[:, None]
    for flat, inside, weights, derivatives in _combinations(table, spatial):
        if need_input:
            weight = np.where(inside, np.prod(weights, axis=0), 0).ravel()
            target = (flat + offsets).ravel()
            for channel in range(c):
                grad_values[channel] += np.bincount(target, weights=grad[:, channel].ravel() * weight,
                                                    minlength=n * length).astype(input.dtype, copy=False)
        if need_grid and mode != "nearest":
            gathered = np.take_along_axis(values, flat[:, None, :], axis=2)
            along = np.where(inside, (grad * gathered).sum(axis=1), 0)
            for j in range(d):
                others = [weights[i] for i in range(d) if i != j]
                grad_points[..., d - 1 - j] += along * derivatives[j] * np.prod(others, axis=0)
    if need_input:
        grad_values = grad_values.reshape(c, n, length).transpose(1, 0, 2).reshape(input.shape)
    if need_grid:
        grad_points = grad_points.reshape(grid.shape)
    return grad_values, grad_points
