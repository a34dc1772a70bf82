"""npconv.nn.functional: the sampling of spatial transformer networks, as torch.

    affine_grid(theta (N, 2, 3) | (N, 3, 4), size (N, C, H, W) | (N, C, D, H, W))
        -> grid (N, H, W, 2) | (N, D, H, W, 3): for every output pixel, where to read the input, in
        normalised coordinates (-1 and 1 are the input's first and last pixel, or its outer edges with
        align_corners=False): theta times the pixel's own normalised position (x, y[, z], 1).
    grid_sample(input (N, C, *S), grid (N, *O, d)) -> (N, C, *O): the input read at each grid position,
        between pixels by bilinear (trilinear in 3-d), nearest or bicubic interpolation; outside the
        input by zeros, the border's value or the reflected position.

A grid position lists x first: its last coordinate indexes the input's first spatial dimension. Both ops
differentiate: the grid's gradient is what lets a spatial transformer learn theta.

Reading a position is a sum over *taps*: per spatial dimension a few integer indices with weights that
depend on the fractional position (2 for linear, 4 for cubic, 1 for nearest), combined by product over
the dimensions. Forward gathers the taps; backward scatters the output gradient to them (the input's
gradient) and differentiates the weights (the grid's gradient).
"""
import itertools
import math
import numbers
import warnings

import numpy as np

from ...autograd import Function, named_variant

__all__ = ["affine_grid", "grid_sample"]

_MODES = ("bilinear", "nearest", "bicubic")
_PADDING_MODES = ("zeros", "border", "reflection")
_CUBIC_A = -0.75   # the cubic convolution's sharpness, as torch's bicubic interpolate and grid_sample

_DEFAULT_CHANGED = ("Default grid_sample and affine_grid behavior has changed to align_corners=False since "
                    "1.3.0. Please specify align_corners=True if the old behavior is desired. See the "
                    "documentation of grid_sample for details.")


def _align_corners_or_default(align_corners):
    if align_corners is None:
        warnings.warn(_DEFAULT_CHANGED, UserWarning, stacklevel=3)
        return False
    return align_corners


# ------------------------------------------------------------------------------------------ affine_grid

def _steps(n, align_corners, dtype):
    """The normalised positions of n pixels along one axis (0 alone for a single pixel)."""
    if n <= 1:
        return np.zeros(n, dtype)
    steps = np.linspace(-1, 1, n, dtype=dtype)
    return steps if align_corners else steps * dtype.type(n - 1) / dtype.type(n)


def _base_grid(spatial, align_corners, dtype):
    """(prod(spatial), d + 1): each output pixel's (x, y[, z], 1), x varying fastest."""
    axes = [_steps(n, align_corners, dtype) for n in spatial]
    mesh = np.meshgrid(*axes, indexing="ij")   # one array per spatial dim, in (D,) H, W order
    columns = [m.reshape(-1) for m in reversed(mesh)] + [np.ones(math.prod(spatial), dtype)]
    return np.stack(columns, axis=1)


class _AffineGrid(Function):
    backward_name = "AffineGridGeneratorBackward0"

    @staticmethod
    def forward(ctx, theta, spatial, align_corners):
        base = _base_grid(spatial, align_corners, theta.dtype)
        ctx.base = base
        grid = np.matmul(base, theta.transpose(0, 2, 1))     # (N, P, d)
        return grid.reshape((theta.shape[0],) + tuple(spatial) + (len(spatial),))

    @staticmethod
    def backward(ctx, grad):
        grad = grad.reshape(grad.shape[0], -1, grad.shape[-1])
        return np.matmul(grad.transpose(0, 2, 1), ctx.base), None, None

    @staticmethod
    def meta(theta, spatial, align_corners):
        return (theta.shape[0],) + tuple(spatial) + (len(spatial),), theta.dtype


def affine_grid(theta, size, align_corners=None):
    """The sampling grid of the affine maps ``theta`` for an output of ``size`` (see the module doc)."""
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    align_corners = _align_corners_or_default(align_corners)
    if len(size) not in (4, 5):
        raise NotImplementedError("affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {size}.")
    d = len(size) - 2
    if theta.dim() != 3 or tuple(theta.shape[-2:]) != (d, d + 1):
        raise ValueError(f"Expected a batch of {d}D affine matrices of shape Nx{d}x{d + 1} for size {size}. "
                         f"Got {theta.shape}.")
    spatial = tuple(size[2:])
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
                      "align_corners=True. This is not an intended use case of affine_grid. See the "
                      "documentation of affine_grid for details.", UserWarning, stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if theta.shape[0] != size[0]:   # torch's batched matmul of the base grid by theta says so
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{size[0]}, {d + 1}]"
                           f" but got: [{theta.shape[0]}, {d + 1}].")
    return _AffineGrid.apply(theta, spatial, bool(align_corners))


# ------------------------------------------------------------------------------------------------ taps

def _unnormalize(coord, size, align_corners):
    """Pixel position of a normalised coordinate, and its derivative."""
    if align_corners:
        return (coord + 1) / 2 * (size - 1), (size - 1) / 2
    return ((coord + 1) * size - 1) / 2, size / 2


def _clip(position, size):
    """Clamped to [0, size - 1]; the derivative is 0 on and beyond the borders (torch's convention)."""
    with np.errstate(invalid="ignore"):
        inside = (position > 0) & (position < size - 1)
    return np.clip(position, 0, size - 1), inside


def _reflect(position, twice_low, twice_high):
    """``position`` folded into [low, high] by reflection at both ends, and the derivative's sign."""
    if twice_low == twice_high:
        return np.zeros_like(position), np.zeros_like(position)
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    offset = position - low
    sign = np.where(offset < 0, -1, 1).astype(position.dtype)
    offset = np.abs(offset)
    extra = np.fmod(offset, span)
    even = np.floor(offset / span) % 2 == 0
    return np.where(even, extra + low, span - extra + low), np.where(even, sign, -sign)


def _padded(position, size, padding_mode, align_corners):
    """Where a pixel position reads under the padding mode, and the derivative of that."""
    slope = np.ones_like(position)
    if padding_mode == "reflection":
        twice = (0, 2 * (size - 1)) if align_corners else (-1, 2 * size - 1)
        position, slope = _reflect(position, *twice)
    if padding_mode in ("border", "reflection"):
        position, inside = _clip(position, size)
        slope = slope * inside
    return position, slope


def _cubic_weights(t):
    """The four cubic-convolution weights of taps at -1, 0, 1, 2 for a fraction t, and their derivatives."""
    a = _CUBIC_A

    def near(x):      # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):       # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    def near_slope(x):
        return (3 * (a + 2) * x - 2 * (a + 3)) * x

    def far_slope(x):
        return (3 * a * x - 10 * a) * x + 8 * a

    weights = [far(t + 1), near(t), near(1 - t), far(2 - t)]
    slopes = [far_slope(t + 1), near_slope(t), -near_slope(1 - t), -far_slope(2 - t)]
    return weights, slopes


def _taps(coord, size, mode, padding_mode, align_corners):
    """One spatial dimension's taps: [(index, in bounds, weight, d weight / d coord)] for every position."""
    position, scale = _unnormalize(coord, size, align_corners)
    if mode == "bicubic":   # padding applies to each tap, not to the position (torch's rule)
        first = np.floor(position)
        weights, slopes = _cubic_weights(position - first)
        return [(*_bounded(_padded(first + k - 1, size, padding_mode, align_corners)[0], size),
                 weight, slope * scale) for k, (weight, slope) in enumerate(zip(weights, slopes))]
    position, slope = _padded(position, size, padding_mode, align_corners)
    if mode == "nearest":
        return [(*_bounded(np.rint(position), size), np.ones_like(position), np.zeros_like(position))]
    first = np.floor(position)
    t = position - first
    slope = slope * scale
    return [(*_bounded(first, size), 1 - t, -slope), (*_bounded(first + 1, size), t, slope)]


def _bounded(index, size):
    """An integer index safe to gather with (0 where out of bounds or not a number) and whether it is in."""
    with np.errstate(invalid="ignore"):
        inside = (index >= 0) & (index <= size - 1)
    return np.where(inside, index, 0).astype(np.int64), inside


def _combined(per_dim, strides):
    """Every combination of one tap per dimension: (flat index, in bounds, weights per dimension)."""
    for combo in itertools.product(*per_dim):
        flat = sum(tap[0] * stride for tap, stride in zip(combo, strides))
        inside = np.logical_and.reduce([tap[1] for tap in combo])
        yield flat, inside, combo


# --------------------------------------------------------------------------------------------- sampling

class _GridSample(Function):
    """input (N, C, *S), grid (N, *O, d) -> (N, C, *O)."""

    @staticmethod
    def forward(ctx, x, grid, mode, padding_mode, align_corners):
        batch, channels, spatial = x.shape[0], x.shape[1], x.shape[2:]
        out_spatial = grid.shape[1:-1]
        coords = grid.reshape(batch, math.prod(out_spatial), grid.shape[-1])   # (-1 fails on empty grids)
        # coordinate 0 (x) indexes the last spatial dimension
        per_dim = [_taps(coords[..., len(spatial) - 1 - axis], size, mode, padding_mode, align_corners)
                   for axis, size in enumerate(spatial)]
        strides = [math.prod(spatial[axis + 1:]) for axis in range(len(spatial))]
        flat_x = x.reshape(batch, channels, math.prod(spatial))
        out = np.zeros((batch, channels, coords.shape[1]), dtype=x.dtype)
        for flat, inside, combo in _combined(per_dim, strides):
            weight = np.prod([tap[2] for tap in combo], axis=0) * inside
            out += np.take_along_axis(flat_x, flat[:, None, :], axis=2) * weight[:, None, :].astype(x.dtype)
        ctx.save_for_backward(x)
        ctx.taps = per_dim, strides
        ctx.out_spatial = tuple(out_spatial)
        return out.reshape((batch, channels) + tuple(out_spatial))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        per_dim, strides = ctx.taps
        batch, channels = x.shape[:2]
        grad = grad.reshape(batch, channels, math.prod(ctx.out_spatial))
        flat_x = x.reshape(batch, channels, math.prod(x.shape[2:]))
        need_x, need_grid = ctx.needs_input_grad[:2]
        grad_x = np.zeros(flat_x.size, dtype=np.float64) if need_x else None
        grad_coords = [np.zeros(grad.shape[::2], dtype=np.float64) for _ in per_dim] if need_grid else None
        rows = (np.arange(batch)[:, None, None] * channels + np.arange(channels)[None, :, None]) * flat_x.shape[2]
        for flat, inside, combo in _combined(per_dim, strides):
            weights = [tap[2] for tap in combo]
            if need_x:
                # only taps inside reach the input (a weight that is NaN for a NaN position included)
                contribution = grad * np.where(inside, np.prod(weights, axis=0), 0)[:, None, :]
                grad_x += np.bincount((rows + flat[:, None, :]).ravel(), contribution.ravel(), grad_x.size)
            if need_grid:
                along = (np.take_along_axis(flat_x, flat[:, None, :], axis=2) * grad).sum(axis=1) * inside
                for axis, tap in enumerate(combo):
                    others = np.prod([w for k, w in enumerate(weights) if k != axis], axis=0)
                    grad_coords[axis] += along * tap[3] * others
        if need_x:
            grad_x = grad_x.astype(x.dtype).reshape(x.shape)
        grad_grid = None
        if need_grid:   # coordinate 0 (x) belongs to the last spatial dimension
            grad_grid = np.stack(grad_coords[::-1], axis=-1).astype(x.dtype)
            grad_grid = grad_grid.reshape((batch,) + ctx.out_spatial + (len(per_dim),))
        return grad_x, grad_grid, None, None, None

    @staticmethod
    def meta(x, grid, mode, padding_mode, align_corners):
        return x.shape[:2] + grid.shape[1:-1], x.dtype


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """``input`` read at the normalised positions of ``grid`` (see the module doc)."""
    if mode not in _MODES:
        raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', "
                         f"but got: '{mode}'")
    if padding_mode not in _PADDING_MODES:
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    align_corners = _align_corners_or_default(align_corners)
    _check_sampler_inputs(input, grid, mode)
    dims = input.dim() - 2
    op = named_variant(_GridSample, f"GridSampler{dims}DBackward0")
    return op.apply(input, grid, mode, padding_mode, bool(align_corners))


def _sizes(t):
    return list(t.shape)


def _check_sampler_inputs(input, grid, mode):
    """torch's native checks of grid_sampler, in its order."""
    if input.dtype != grid.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype.scalar_name} but found {grid.dtype.scalar_name}")
    if input.dim() == 0 or grid.dim() == 0 or input.shape[0] != grid.shape[0]:
        raise RuntimeError("grid_sampler(): expected grid and input to have same batch size, but got input with "
                           f"sizes {_sizes(input)} and grid with sizes {_sizes(grid)}")
    if grid.shape[-1] != input.dim() - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {input.dim() - 2} in last dimension, but "
                           f"got grid with sizes {_sizes(grid)}")
    for axis in range(2, input.dim()):
        if input.shape[axis] == 0:
            raise RuntimeError("grid_sampler(): expected input to have non-empty spatial dimensions, but input "
                               f"has sizes {_sizes(input)} with dimension {axis} being empty")
    expected = 4 if input.dim() == 4 else 5
    if input.dim() != expected or grid.dim() != expected:
        raise RuntimeError(f"grid_sampler(): expected {expected}D input and grid with same number of dimensions, "
                           f"but got input with sizes {_sizes(input)} and grid with sizes {_sizes(grid)}")
    if mode == "bicubic" and expected == 5:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if not input.is_floating_point():
        kernel = "grid_sampler_2d_cpu_kernel_impl" if expected == 4 else "grid_sampler_3d_cpu"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{input.dtype.scalar_name}'")
