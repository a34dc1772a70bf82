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
from ..._graph_backward import double_backward, linear_in_grad
from ...autograd import Function, named_variant
from ...kernels import interpolate as kernels
from ..._tensor import Tensor
from ..._ops.overloads import Overload, parse
from ..._ops.parsing import native
from .pooling import adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "pixel_shuffle",
           "pixel_unshuffle"]

_SPATIAL_MODES = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
_ALL_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"


class _Resample(Function):
    @staticmethod
    def forward(ctx, x, taps, first_row_everywhere=False, backward_taps=None):
        ctx.taps = backward_taps or taps
        y = kernels.resample(x, taps)
        if first_row_everywhere:
            y[..., 1:, :] = y[..., :1, :]
        return y

    @staticmethod
    def backward(ctx, grad):
        return (kernels.resample_backward(grad, ctx.taps),) + (None,) * (len(ctx.needs_input_grad) - 1)

    @staticmethod
    def meta(x, taps, first_row_everywhere=False, backward_taps=None):
        """Shape-only mode: the trailing dims take the sizes the index tables were built for."""
        return x.shape[:x.ndim - len(taps)] + tuple(t.output_size for t in taps), x.dtype



@double_backward(_Resample)
def _resample_gradient(node, g):
    """create_graph: the backward's adjoint is the resampling itself, with the taps the backward used."""
    return (linear_in_grad(node, g, lambda v: kernels.resample(np.asarray(v), node.taps)),) + (None,) * (
        len(node._inputs) - 1)

def _is_integer(value):
    """torch's interpolate test of a size entry: a Python/NumPy int (bools too) or a non-float Tensor."""
    if isinstance(value, (numbers.Integral, np.integer)):
        return True
    return isinstance(value, Tensor) and not value.is_floating_point()


def _requested_sizes(input, size, scale_factor, dims):
    """(output_size, scale_factors) as torch's Python interpolate passes them on: exactly one is a list or
    tuple, as the user gave it (a scalar repeated per spatial dim); nothing else is checked here."""
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
                                "Tuple[int, int, int], but got size with types ["
                                + ", ".join(str(_torch_type(s)) for s in size) + "]")
            return size, None
        return [size for _ in range(dims)], None
    if scale_factor is not None:
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dims:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, but got input "
                    f"with spatial dimensions of {list(input.shape[2:])} and scale_factor of shape "
                    f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                    "scale_factor in (s1, s2, ...,sK) format.")
            return None, scale_factor
        return None, [scale_factor for _ in range(dims)]
    raise ValueError("either size or scale_factor should be defined")


def _torch_type(value):
    """What ``type(value)`` prints under torch: npconv's Tensor is torch.Tensor there."""
    return "<class 'torch.Tensor'>" if isinstance(value, Tensor) else type(value)


def _check_sizes(spatial, out):
    if all(s > 0 for s in spatial) and all(o > 0 for o in out):
        return
    names = "DHW"[3 - len(spatial):]
    given = ", ".join(f"{a}: {s}" for a, s in zip(names, spatial))
    wanted = ", ".join(f"{a}: {o}" for a, o in zip(names, out))
    joiner = " and output" if len(spatial) == 1 else " output"
    raise RuntimeError(f"Input and output sizes should be greater than 0, but got input ({given}){joiner} "
                       f"({wanted})")


# the native op behind each (mode, spatial dims) and whether it takes align_corners
_NATIVE = {("nearest", 1): "upsample_nearest1d", ("nearest", 2): "upsample_nearest2d",
           ("nearest", 3): "upsample_nearest3d", ("nearest-exact", 1): "_upsample_nearest_exact1d",
           ("nearest-exact", 2): "_upsample_nearest_exact2d", ("nearest-exact", 3): "_upsample_nearest_exact3d",
           ("linear", 1): "upsample_linear1d", ("bilinear", 2): "upsample_bilinear2d",
           ("bicubic", 2): "upsample_bicubic2d", ("trilinear", 3): "upsample_trilinear3d"}
_WRONG_RANK = {(3, "bilinear"): "4D", (3, "trilinear"): "5D", (4, "linear"): "3D", (4, "trilinear"): "5D",
               (5, "linear"): "3D", (5, "bilinear"): "4D"}


def _signatures(name, dims):
    """torch's two signatures of an upsample op: with a list of scale factors, or one scale per dim."""
    aligned = "nearest" not in name
    corners = "bool align_corners, " if aligned else ""
    per_dim = ["scales"] if dims == 1 else [f"scales_{a}" for a in "dhw"[3 - dims:]]
    scales = ", ".join(f"float {n} = None" for n in per_dim)
    return (Overload(f"(Tensor input, tuple of ints? output_size, {corners}tuple of floats? scale_factors)"),
            Overload(f"(Tensor input, tuple of ints output_size, {corners}{scales}, *, Tensor out = None)"))


def _native_output_size(input, output_size, scale_factors):
    """torch's C++ reading of (output_size, scale_factors): exactly one given, one entry per spatial dim."""
    dims = input.dim() - 2
    if (output_size is None) == (scale_factors is None):
        raise RuntimeError("Must specify exactly one of output_size and scale_factors")
    given = output_size if output_size is not None else scale_factors
    if len(given) != dims:
        name = "output_size" if output_size is not None else "scale_factors"
        raise RuntimeError(f"Expected static_cast<int64_t>({name}->size()) == spatial_dimensions to be true, but "
                           "got false.  (Could this error message be improved?  If so, please report an "
                           "enhancement request to PyTorch.)")
    if output_size is not None:
        return [int(o) for o in output_size], None
    factors = [float(f) for f in scale_factors]
    if not all(math.isfinite(f) for f in factors):
        raise RuntimeError("value cannot be converted to type int64_t without overflow")
    return [_shapes.scaled_length(size, f) for size, f in zip(input.shape[2:], factors)], factors


def _unsupported_dtype(input, mode, dims, antialias=False):
    """torch's NotImplementedError for an integer or bool input (uint8 resizes in the nearest modes and in
    bilinear/bicubic), and for a half input with antialiasing."""
    name = input.dtype.name
    if antialias and (name not in ("float32", "float64", "uint8")):
        return NotImplementedError(f'"compute_index_ranges_weights" not implemented for '
                                   f'\'{input.dtype.scalar_name}\'')
    if input.dtype.is_floating_point:
        return None
    if name == "uint8" and mode in ("nearest", "nearest-exact", "bilinear", "bicubic"):
        return None
    if mode in ("nearest", "nearest-exact"):
        kernel = "upsample_nearest2d_channels_last" if dims == 2 else "compute_indices_weights_nearest"
    elif mode == "bilinear":
        kernel = "upsample_bilinear2d_channels_last"
    elif mode == "bicubic":
        kernel = "compute_indices_weights_cubic"
    else:
        kernel = "compute_indices_weights_linear"
    return NotImplementedError(f'"{kernel}" not implemented for \'{input.dtype.scalar_name}\'')


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize ``input`` (N, C, *S) to (N, C, *O) with O = ``size`` or O_d = floor(S_d * scale_factor_d).

    Modes: 'nearest', 'nearest-exact', 'linear' (3-D input), 'bilinear' and 'bicubic' (4-D),
    'trilinear' (5-D), 'area' (adaptive average pooling). ``align_corners`` (interpolating modes only)
    maps the corner pixel centres onto each other; with a ``scale_factor`` and without
    ``recompute_scale_factor`` the given factor (not O/S) drives the coordinate mapping, as in torch.
    Arguments are read in torch's order (its Python checks, then the native op's parser and checks), so
    a wrong one is reported with torch's exception and words.
    """
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dims = input.dim() - 2
    output_size, scale_factors = _requested_sizes(input, size, scale_factor, dims)
    if recompute_scale_factor is not None and recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and output_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor is not None and recompute_scale_factor:
        output_size = [int(input.size(i + 2) * scale_factors[i]) for i in range(dims)]  # Python's own errors
        scale_factors = None
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.dim() == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and "
                         "requires a 4-D tensor as input")
    if mode == "area" and input.dim() in (3, 4, 5):  # torch's rule too: area is adaptive average pooling
        adaptive_avg_pool = {1: adaptive_avg_pool1d, 2: adaptive_avg_pool2d, 3: adaptive_avg_pool3d}[dims]
        return adaptive_avg_pool(input, output_size)
    named = isinstance(mode, str)   # torch compares the mode with its names: a list is no name (nor a key here)
    native = _NATIVE.get((mode, dims)) if input.dim() in (3, 4, 5) and named else None
    if native is None:
        if named and (input.dim(), mode) in _WRONG_RANK:
            raise NotImplementedError(f"Got {input.dim()}D input, but {mode} mode needs "
                                      f"{_WRONG_RANK[input.dim(), mode]} input")
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.dim()}D) "
                                  f"for the modes: {_ALL_MODES} (got {mode})")
    if antialias:
        native = f"_upsample_{mode}2d_aa"
    arguments = (input, output_size, align_corners, scale_factors) if "nearest" not in native else (
        input, output_size, scale_factors)
    parse(native, _signatures(native, dims), arguments, {})
    output_size, scale_factors = _native_output_size(input, output_size, scale_factors)
    return _resize(input, mode, dims, output_size, scale_factors, align_corners, bool(antialias))


def _resize(input, mode, dims, output_size, scale_factors, align_corners, antialias=False):
    """The native op after its arguments were read: its size and dtype checks, then the separable taps."""
    spatial = tuple(input.shape[2:])
    _check_sizes(spatial, output_size)
    if input.shape[1] == 0:
        raise RuntimeError(f"Non-empty {input.dim()}D data tensor expected but got a tensor with sizes "
                           f"{list(input.shape)}")
    if not input.is_meta:   # before the tap tables, whose cost grows with the output too
        check_allocation(tuple(input.shape[:2]) + tuple(output_size), input.element_size())
    refusal = _unsupported_dtype(input, mode, dims, antialias)
    if refusal is not None:
        raise refusal
    dtype = input.dtype.numpy_dtype
    scales = scale_factors or [None] * dims
    if dtype == np.uint8 and mode in ("bilinear", "bicubic"):
        return _resize_uint8(input, mode, spatial, output_size, scales, align_corners, antialias)
    if dtype.kind != "f":   # uint8 in a nearest mode: the chosen source values, copied
        resized = _resize(input.float(), mode, dims, output_size, scale_factors, align_corners)
        return resized.to(input.dtype)
    if antialias:   # torch's forward leaves a dim of unchanged size alone, its backward resamples every dim
        backward_taps = [kernels.antialias_taps(mode, s, o, align_corners, f, dtype)
                         for s, o, f in zip(spatial, output_size, scales)]
        taps = [kernels.interpolation_taps("linear", s, s, dtype=dtype) if s == o else t
                for t, s, o in zip(backward_taps, spatial, output_size)]
        return named_variant(_Resample, _resample_node_name(mode, dims, antialias)).apply(
            input, taps, _separable_row_bug(spatial, output_size), backward_taps)
    taps = [kernels.interpolation_taps(mode, s, o, align_corners, f, dtype, dims)
            for s, o, f in zip(spatial, output_size, scales)]
    return named_variant(_Resample, _resample_node_name(mode, dims)).apply(input, taps)


def _separable_row_bug(spatial, output_size):
    """torch's separable resampler (antialiased float images, 8-bit images of more than 4 channels) writes
    the first output row into every row when the result is one pixel wide and the height is resampled
    (its gradient is right). npconv gives the same values."""
    return output_size[-1] == 1 and spatial[0] != output_size[0]


def _resize_uint8(input, mode, spatial, output_size, scales, align_corners, antialias):
    """torch's 8-bit bilinear/bicubic resize: integer weights, the width resampled first and rounded to
    8 bits, then the height; a dim of unchanged size is left alone."""
    taps = [None if s == o else kernels.uint8_taps(mode, s, o, align_corners, f, antialias)
            for s, o, f in zip(spatial, output_size, scales)]
    taps = [(None, 0) if t is None else t for t in taps]
    channels = input.shape[1]
    if channels == 3 and tuple(output_size) == (1, 1) and tuple(spatial) != (1, 1):   # its 3-channel AVX path
        raise RuntimeError('num_channels == unpacked_output.size(0) INTERNAL ASSERT FAILED at "/__w/pytorch/'
                           'pytorch/aten/src/ATen/native/cpu/UpSampleKernelAVXAntialias.h":269, please report a bug '
                           'to PyTorch. ')
    if input.is_meta:
        return Tensor._make(np.broadcast_to(np.zeros((), np.uint8), tuple(input.shape[:2]) + tuple(output_size)),
                            True)
    resized = kernels.resample_uint8(input.detach().numpy(), taps)
    if channels > 4 and _separable_row_bug(spatial, output_size):   # more than 4 channels: the separable path
        resized[..., 1:, :] = resized[..., :1, :]
    return Tensor._make(resized)


def _resample_node_name(mode, dims, antialias=False):
    """torch's graph node for interpolate: UpsampleNearestExact2DBackward0, UpsampleBilinear2DAaBackward0..."""
    spelled = "".join(part.capitalize() for part in mode.split("-"))
    return f"Upsample{spelled}{dims}D{'Aa' if antialias else ''}Backward0"




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


def _unshuffle_as_torch(x, r):
    """torch's pixel_unshuffle returns an empty input unchanged (shape and all), forward and backward."""
    return x if x.size == 0 else _unshuffle(x, r)


def _engine_checked_gradient(name, grad, input_shape):
    """torch's backward of an empty pixel (un)shuffle returns the gradient unreshaped; its engine sums it to
    the input's shape when that shape expands to it, and refuses it otherwise: the same here."""
    shape = tuple(input_shape)
    if grad.size or grad.shape == shape:
        return grad
    lead = len(grad.shape) - len(shape)
    if lead >= 0 and all(n in (g, 1) for n, g in zip(shape, grad.shape[lead:])):
        return np.zeros(shape, grad.dtype)   # the sum of an empty gradient
    raise RuntimeError(f"Function {name}Backward0 returned an invalid gradient at index 0 - got "
                       f"{list(grad.shape)} but expected shape compatible with {list(input_shape)}")


class _PixelShuffle(Function):
    @staticmethod
    def forward(ctx, x, r):
        ctx.r, ctx.shape = r, x.shape
        return np.ascontiguousarray(_shuffle(x, r))

    @staticmethod
    def backward(ctx, grad):
        grad = _engine_checked_gradient("PixelShuffle", _unshuffle_as_torch(grad, ctx.r), ctx.shape)
        return np.ascontiguousarray(grad), None

    @staticmethod
    def meta(x, r):
        return _shuffle(x, r).shape, x.dtype  # a view of the zero-stride input: no copy


class _PixelUnshuffle(Function):
    @staticmethod
    def forward(ctx, x, r):
        ctx.r, ctx.shape = r, x.shape
        return np.array(_unshuffle_as_torch(x, r), copy=True)

    @staticmethod
    def backward(ctx, grad):
        _check_shuffled_channels(grad.shape[-3], ctx.r)   # torch's backward is the pixel_shuffle op, checks too
        grad = _engine_checked_gradient("PixelUnshuffle", np.ascontiguousarray(_shuffle(grad, ctx.r)), ctx.shape)
        return grad, None

    @staticmethod
    def meta(x, r):
        return _unshuffle_as_torch(x, r).shape, x.dtype  # a view of the zero-stride input: no copy


# create_graph: each shuffle's backward is the other shuffle, so its adjoint is the shuffle itself
double_backward(_PixelShuffle)(lambda node, g: (linear_in_grad(node, g, lambda v: np.ascontiguousarray(
    _shuffle(np.asarray(v), node.r))), None))
double_backward(_PixelUnshuffle)(lambda node, g: (linear_in_grad(node, g, lambda v: np.array(
    _unshuffle_as_torch(np.asarray(v), node.r), copy=True)), None))


def _check_factor(value, name, op):
    """The factor's value (its type was parsed: an int, or a one-element integer Tensor)."""
    if int(value) <= 0:
        raise RuntimeError(f"{op} expects a positive {name}, but got {int(value)}")


@native("pixel_shuffle", input="Tensor", upscale_factor="int")
def pixel_shuffle(input, upscale_factor):
    """Rearrange (*, C r^2, H, W) into (*, C, H r, W r) (sub-pixel convolution's upsampling)."""
    if input.dim() < 3:
        raise RuntimeError("pixel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.dim()} dimension(s)")
    _check_factor(upscale_factor, "upscale_factor", "pixel_shuffle")
    r = int(upscale_factor)
    _check_shuffled_channels(input.shape[-3], r)
    return _PixelShuffle.apply(input, r)


def _check_shuffled_channels(channels, r):
    if channels % (r * r):
        raise RuntimeError("pixel_shuffle expects its input's 'channel' dimension to be divisible by the square "
                           f"of upscale_factor, but input.size(-3)={channels} is not divisible by {r * r}")


@native("pixel_unshuffle", input="Tensor", downscale_factor="int")
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
