"""npconv.nn.functional: interpolate (upsampling / resizing) and pixel (un)shuffle, as torch.

Shapes::

    interpolate:      (N, C, *S) -> (N, C, *O),  O = size, or O_d = floor(S_d * scale_factor_d)
    pixel_shuffle:    (*, C r^2, H, W) -> (*, C, H r, W r)
    pixel_unshuffle:  (*, C, H r, W r) -> (*, C r^2, H, W)

Every mode is separable and runs through npconv.kernels.interpolate, whose index and weight tables
follow PyTorch's CPU kernels (coordinate mapping, align_corners, scale factors, border clamping).
"""
import math
import numbers
import warnings

import numpy as np

from ... import _shapes
from ..._memory import check_allocation
from ...autograd import Function, named_variant
from ...kernels import interpolate as kernels
from .pooling import adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "pixel_shuffle",
           "pixel_unshuffle"]

_SPATIAL_MODES = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
_ALL_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"


class _Resample(Function):
    @staticmethod
    def forward(ctx, x, taps):
        ctx.taps = taps
        return kernels.resample(x, taps)

    @staticmethod
    def backward(ctx, grad):
        return kernels.resample_backward(grad, ctx.taps), None

    @staticmethod
    def meta(x, taps):
        """Shape-only mode: the trailing dims take the sizes the index tables were built for."""
        return x.shape[:x.ndim - len(taps)] + tuple(t.output_size for t in taps), x.dtype


def _is_integer(value):
    return isinstance(value, numbers.Integral) or (hasattr(value, "dtype") and np.issubdtype(
        getattr(value, "dtype", np.float64), np.integer))


def _requested_sizes(input, size, scale_factor, dims):
    """(output_size, scale_factors): exactly one is a list, as in torch's interpolate."""
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != dims:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got input with "
                    f"spatial dimensions of {list(input.shape[2:])} and output size of {size}. Please provide "
                    "input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.")
            if not all(_is_integer(s) for s in size):
                raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                                f"Tuple[int, int, int], but got size with types {[type(s) for s in size]}")
            return [int(s) for s in size], None
        if not _is_integer(size):
            raise TypeError(f"interpolate(): size must be an int or a tuple of ints, got {type(size).__name__}")
        return [int(size)] * dims, None
    if scale_factor is not None:
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dims:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, but got input "
                    f"with spatial dimensions of {list(input.shape[2:])} and scale_factor of shape "
                    f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                    "scale_factor in (s1, s2, ...,sK) format.")
            return None, [float(f) for f in scale_factor]
        return None, [float(scale_factor)] * dims
    raise ValueError("either size or scale_factor should be defined")


def _check_sizes(spatial, out):
    if all(s > 0 for s in spatial) and all(o > 0 for o in out):
        return
    names = "DHW"[3 - len(spatial):]
    given = ", ".join(f"{a}: {s}" for a, s in zip(names, spatial))
    wanted = ", ".join(f"{a}: {o}" for a, o in zip(names, out))
    joiner = " and output" if len(spatial) == 1 else " output"
    raise RuntimeError(f"Input and output sizes should be greater than 0, but got input ({given}){joiner} "
                       f"({wanted})")


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize ``input`` (N, C, *S) to (N, C, *O) with O = ``size`` or O_d = floor(S_d * scale_factor_d).

    Modes: 'nearest', 'nearest-exact', 'linear' (3-D input), 'bilinear' and 'bicubic' (4-D),
    'trilinear' (5-D), 'area' (adaptive average pooling). ``align_corners`` (interpolating modes only)
    maps the corner pixel centres onto each other; with a ``scale_factor`` and without
    ``recompute_scale_factor`` the given factor (not O/S) drives the coordinate mapping, as in torch.
    """
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dims = input.dim() - 2
    output_size, scale_factors = _requested_sizes(input, size, scale_factor, dims)
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and output_size is None:
        recompute_scale_factor = True
    spatial = tuple(input.shape[2:])
    if recompute_scale_factor:
        output_size = [_shapes.scaled_length(size, f) for size, f in zip(spatial, scale_factors)]
        scale_factors = None
    if antialias:
        if not (mode in ("bilinear", "bicubic", "lanczos") and input.dim() == 4):
            raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and "
                             "requires a 4-D tensor as input")
        raise NotImplementedError("npconv: interpolate(antialias=True) is not implemented")
    if input.dim() not in (3, 4, 5) or mode not in ("nearest", "nearest-exact", "area", *_SPATIAL_MODES):
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) "
                                  f"for the modes: {_ALL_MODES} (got {mode})")
    if mode in _SPATIAL_MODES and _SPATIAL_MODES[mode] != dims:
        wanted = {1: "3D", 2: "4D", 3: "5D"}[_SPATIAL_MODES[mode]]
        raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs {wanted} input")
    if output_size is None:
        if not all(math.isfinite(f) for f in scale_factors):   # area mode has raised int()'s error above
            raise RuntimeError("value cannot be converted to type int64_t without overflow")
        output_size = [_shapes.scaled_length(size, f) for size, f in zip(spatial, scale_factors)]
    if mode == "area":  # torch's rule too: area interpolation is adaptive average pooling
        adaptive_avg_pool = {1: adaptive_avg_pool1d, 2: adaptive_avg_pool2d, 3: adaptive_avg_pool3d}[dims]
        return adaptive_avg_pool(input, tuple(output_size))
    _check_sizes(spatial, output_size)
    if input.shape[1] == 0:
        raise RuntimeError(f"Non-empty {input.dim()}D data tensor expected but got a tensor with sizes "
                           f"{list(input.shape)}")
    if not input.is_meta:   # before the tap tables, whose cost grows with the output too
        check_allocation(tuple(input.shape[:2]) + tuple(output_size), input.element_size())
    dtype = input.dtype.numpy_dtype
    if dtype.kind != "f":
        kernel = {"nearest": "upsample_nearest", "nearest-exact": "_upsample_nearest_exact"}.get(mode, f"upsample_{mode}")
        raise NotImplementedError(f'"{kernel}{dims}d_channels_last" not implemented for '
                                  f"'{input.dtype.scalar_name}'")
    scales = scale_factors or [None] * dims
    taps = [kernels.interpolation_taps(mode, s, o, align_corners, f, dtype, dims)
            for s, o, f in zip(spatial, output_size, scales)]
    return named_variant(_Resample, _resample_node_name(mode, dims)).apply(input, taps)


def _resample_node_name(mode, dims):
    """torch's graph node for interpolate: UpsampleNearestExact2DBackward0, UpsampleTrilinear3DBackward0..."""
    spelled = "".join(part.capitalize() for part in mode.split("-"))
    return f"Upsample{spelled}{dims}DBackward0"




def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of :func:`interpolate` (warns, as torch)."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(input, size, scale_factor, mode='nearest')``."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: ``interpolate(input, size, scale_factor, mode='bilinear', align_corners=True)``."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ----------------------------------------------------------------------------------------------
# pixel shuffle

def _shuffle(x, r):
    *batch, c, h, w = x.shape
    y = x.reshape(*batch, c // (r * r), r, r, h, w)
    k = len(batch)
    y = y.transpose(*range(k), k, k + 3, k + 1, k + 4, k + 2)
    return y.reshape(*batch, c // (r * r), h * r, w * r)


def _unshuffle(x, r):
    *batch, c, h, w = x.shape
    y = x.reshape(*batch, c, h // r, r, w // r, r)
    k = len(batch)
    y = y.transpose(*range(k), k, k + 2, k + 4, k + 1, k + 3)
    return y.reshape(*batch, c * r * r, h // r, w // r)


def _refuse_empty_gradient(name, grad, input_shape):
    """torch's backward of an empty pixel (un)shuffle returns the gradient unreshaped, which its engine
    then refuses: the same error here."""
    if grad.size == 0 and grad.shape != tuple(input_shape):
        raise RuntimeError(f"Function {name}Backward0 returned an invalid gradient at index 0 - got "
                           f"{list(grad.shape)} but expected shape compatible with {list(input_shape)}")


class _PixelShuffle(Function):
    @staticmethod
    def forward(ctx, x, r):
        ctx.r, ctx.shape = r, x.shape
        return np.ascontiguousarray(_shuffle(x, r))

    @staticmethod
    def backward(ctx, grad):
        _refuse_empty_gradient("PixelShuffle", grad, ctx.shape)
        return np.ascontiguousarray(_unshuffle(grad, ctx.r)), None

    @staticmethod
    def meta(x, r):
        return _shuffle(x, r).shape, x.dtype  # a view of the zero-stride input: no copy


class _PixelUnshuffle(Function):
    @staticmethod
    def forward(ctx, x, r):
        ctx.r, ctx.shape = r, x.shape
        return np.ascontiguousarray(_unshuffle(x, r))

    @staticmethod
    def backward(ctx, grad):
        _refuse_empty_gradient("PixelUnshuffle", grad, ctx.shape)
        return np.ascontiguousarray(_shuffle(grad, ctx.r)), None

    @staticmethod
    def meta(x, r):
        return _unshuffle(x, r).shape, x.dtype  # a view of the zero-stride input: no copy


def _check_factor(value, name, op):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{op}(): argument '{name}' (position 2) must be int, not {type(value).__name__}")
    if value <= 0:
        raise RuntimeError(f"{op} expects a positive {name}, but got {value}")


def pixel_shuffle(input, upscale_factor):
    """Rearrange (*, C r^2, H, W) into (*, C, H r, W r) (sub-pixel convolution's upsampling)."""
    if input.dim() < 3:
        raise RuntimeError("pixel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.dim()} dimension(s)")
    _check_factor(upscale_factor, "upscale_factor", "pixel_shuffle")
    r = int(upscale_factor)
    if input.shape[-3] % (r * r):
        raise RuntimeError("pixel_shuffle expects its input's 'channel' dimension to be divisible by the square "
                           f"of upscale_factor, but input.size(-3)={input.shape[-3]} is not divisible by {r * r}")
    return _PixelShuffle.apply(input, r)


def pixel_unshuffle(input, downscale_factor):
    """Rearrange (*, C, H r, W r) into (*, C r^2, H, W) (the inverse of pixel_shuffle)."""
    if input.dim() < 3:
        raise RuntimeError("pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.dim()} dimension(s)")
    _check_factor(downscale_factor, "downscale_factor", "pixel_unshuffle")
    r = int(downscale_factor)
    for name, axis in (("height", -2), ("width", -1)):
        if input.shape[axis] % r:
            raise RuntimeError(f"pixel_unshuffle expects {name} to be divisible by downscale_factor, but "
                               f"input.size({axis})={input.shape[axis]} is not divisible by {r}")
    return _PixelUnshuffle.apply(input, r)
