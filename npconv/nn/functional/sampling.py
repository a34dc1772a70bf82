"""npconv.nn.functional: affine_grid and grid_sample (spatial transformer networks), as torch.

Shapes::

    affine_grid:  theta (N, 2, 3), size (N, C, H, W)    -> grid (N, H, W, 2)
                  theta (N, 3, 4), size (N, C, D, H, W) -> grid (N, D, H, W, 3)
    grid_sample:  input (N, C, H, W),    grid (N, H_out, W_out, 2)        -> (N, C, H_out, W_out)
                  input (N, C, D, H, W), grid (N, D_out, H_out, W_out, 3) -> (N, C, D_out, H_out, W_out)

Grid coordinates are normalised: (-1, -1) is the top-left of the input (the centre of its corner pixel with
align_corners=True, the corner pixel's outer corner with False); grid[..., 0] is x (along W).
"""
import warnings

import numpy as np

from ...autograd import Function
from ...kernels import grid_sample as kernels

__all__ = ["affine_grid", "grid_sample", "GRID_SAMPLE_INTERPOLATION_MODES", "GRID_SAMPLE_PADDING_MODES"]

# torch's integer codes of the modes (its native kernels take these)
GRID_SAMPLE_INTERPOLATION_MODES = {"bilinear": 0, "nearest": 1, "bicubic": 2}
GRID_SAMPLE_PADDING_MODES = {"zeros": 0, "border": 1, "reflection": 2}

_DEFAULT_CHANGED = ("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. "
                    "Please specify align_corners=True if the old behavior is desired. See the documentation of "
                    "grid_sample for details.")


def _align_corners(align_corners):
    if align_corners is None:
        warnings.warn(_DEFAULT_CHANGED, stacklevel=3)
        return False
    return align_corners


class _AffineGridGenerator(Function):
    backward_name = "AffineGridGeneratorBackward0"

    @staticmethod
    def forward(ctx, theta, spatial, align_corners):
        base = kernels.base_grid(spatial, align_corners, theta.dtype)  # (*S, d + 1)
        flat = base.reshape(-1, base.shape[-1])
        ctx.flat_base = flat
        grid = np.matmul(flat[None], np.swapaxes(theta, 1, 2))  # (N, P, d)
        return grid.reshape((theta.shape[0],) + tuple(spatial) + (theta.shape[1],))

    @staticmethod
    def backward(ctx, grad):
        flat_grad = grad.reshape(grad.shape[0], -1, grad.shape[-1])  # (N, P, d)
        return np.matmul(np.swapaxes(flat_grad, 1, 2), ctx.flat_base[None]), None, None


def affine_grid(theta, size, align_corners=None):
    """The sampling grid of the affine maps ``theta`` for an output of ``size`` (see the module doc)."""
    align_corners = _align_corners(align_corners)
    if not theta.dtype.is_floating_point:
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    shape = tuple(theta.shape)
    if len(size) == 4:
        if theta.dim() != 3 or shape[-2:] != (2, 3):
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {size}. "
                             f"Got {theta.shape}.")
    elif len(size) == 5:
        if theta.dim() != 3 or shape[-2:] != (3, 4):
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {size}. "
                             f"Got {theta.shape}.")
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {size}.")
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if align_corners and min(size[2:]) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
                      "align_corners=True. This is not an intended use case of affine_grid. See the documentation "
                      "of affine_grid for details.", stacklevel=2)
    if shape[0] != size[0]:  # torch's batched matmul of the base grid by theta refuses it
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{size[0]}, "
                           f"{shape[2]}] but got: [{shape[0]}, {shape[2]}].")
    return _AffineGridGenerator.apply(theta, tuple(int(s) for s in size[2:]), align_corners)


class _GridSampler(Function):
    @staticmethod
    def forward(ctx, input, grid, mode, padding_mode, align_corners):
        ctx.save_for_backward(input, grid)
        ctx.settings = (mode, padding_mode, align_corners)
        with np.errstate(invalid="ignore", over="ignore"):  # inf and NaN propagate as in torch, silently
            return kernels.sample(input, grid, mode, padding_mode, align_corners)

    @staticmethod
    def backward(ctx, grad):
        input, grid = ctx.saved_tensors
        need_input, need_grid = ctx.needs_input_grad[:2]
        with np.errstate(invalid="ignore", over="ignore"):
            grad_input, grad_grid = kernels.sample_backward(grad, input, grid, *ctx.settings,
                                                            need_input=need_input, need_grid=need_grid)
        return grad_input, grad_grid, None, None, None

    @staticmethod
    def meta(input, grid, mode, padding_mode, align_corners):
        return tuple(input.shape[:2]) + tuple(grid.shape[1:-1]), input.dtype


class _GridSampler2D(_GridSampler):
    backward_name = "GridSampler2DBackward0"


class _GridSampler3D(_GridSampler):
    backward_name = "GridSampler3DBackward0"


def _check_sampling(input, grid, mode):
    in_shape, grid_shape = list(input.shape), list(grid.shape)
    if input.dim() not in (4, 5) or input.dim() != grid.dim():
        if input.dim() in (3, 4) and grid.dim() == input.dim() + 1 or input.shape[0] != grid.shape[0]:
            raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, but got input "
                               f"with sizes {in_shape} and grid with sizes {grid_shape}")
        raise RuntimeError(f"grid_sampler(): expected 4D or 5D input and grid with same number of dimensions, but "
                           f"got input with sizes {in_shape} and grid with sizes {grid_shape}")
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, but got input with "
                           f"sizes {in_shape} and grid with sizes {grid_shape}")
    spatial = input.dim() - 2
    if grid.shape[-1] != spatial:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {spatial} in last dimension, but got grid "
                           f"with sizes {grid_shape}")
    for dim in range(2, input.dim()):
        if input.shape[dim] == 0:
            raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial dimensions, but input "
                               f"has sizes {in_shape} with dimension {dim} being empty")
    if mode == "bicubic" and spatial != 2:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"grid_sampler_{spatial}d_cpu_kernel_impl\" not implemented for "
                                  f"'{input.dtype.scalar_name}'")
    if input.dtype != grid.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype.scalar_name} but found {grid.dtype.scalar_name}")


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Sample ``input`` at the normalised points of ``grid`` (see the module doc).

    mode: 'bilinear' (trilinear for 5-d), 'nearest' or 'bicubic' (4-d only); padding_mode: 'zeros' (outside
    reads 0), 'border' (clamped to the edge) or 'reflection' (mirrored at the edges).
    """
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', "
                         f"but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    align_corners = _align_corners(align_corners)
    _check_sampling(input, grid, mode)
    node = _GridSampler2D if input.dim() == 4 else _GridSampler3D
    return node.apply(input, grid, mode, padding_mode, align_corners)
