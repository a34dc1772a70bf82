"""npconv.nn.functional: conv1d/2d/3d and conv_transpose1d/2d/3d, as torch, differentiable.

One N-d implementation (DESIGN.md): the three kernels of ``npconv.kernels`` serve both ops and both
directions.  Every argument is checked first, with torch's exception type and a message saying what is
wrong, so that nothing large is allocated for a call that must fail.  Output sizes come from
``npconv._shapes`` only, computed once per call and handed to the kernels.
"""
import functools
import math
import os
import sys
import warnings

import numpy as np

from npconv import _shapes, kernels
from ..._ops.parsing import is_int, native
from ..._ops.overloads import overloaded
from npconv._memory import MAX_ARRAY_BYTES, allocation_error, is_huge_broadcast
from npconv._graph_backward import double_backward, operand
from npconv.autograd import Function
from npconv._tensor import Tensor
from npconv._dtype import _combine_categories, promote_types
from npconv._ops.arguments import _infer_shape

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]


# ----------------------------------------------------------------------------------------------------
# The public functions

# torch's two signatures of each convolution (padding as ints or as 'valid'/'same')
_CONV_SIGNATURES = tuple(
    "(Tensor input, Tensor weight, Tensor bias = None, tuple of ints stride = 1, " + padding
    + ", tuple of ints dilation = 1, int groups = 1)"
    for padding in ("tuple of ints padding = 0", 'str padding = "valid"'))



@overloaded("conv1d", *_CONV_SIGNATURES)
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-d convolution (cross-correlation) over an input ``(N, C_in, L)`` or unbatched ``(C_in, L)``.

    weight ``(C_out, C_in / groups, kL)``, bias ``(C_out,)``; ``padding`` an int, a 1-tuple, 'valid' or
    'same' (stride 1 only).  Output ``(N, C_out, L_out)`` with
    ``L_out = floor((L + 2 * padding - dilation * (kL - 1) - 1) / stride) + 1``.
    """
    return _conv(1, "conv1d", input, weight, bias, stride, padding, dilation, groups)


@overloaded("conv2d", *_CONV_SIGNATURES)
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-d convolution over an input ``(N, C_in, H, W)`` or unbatched ``(C_in, H, W)``.

    weight ``(C_out, C_in / groups, kH, kW)``, bias ``(C_out,)``; int-or-pair arguments; ``padding`` may
    be 'valid' or 'same' (stride 1).  Output ``(N, C_out, H_out, W_out)`` with, per dim,
    ``out = floor((in + 2 * padding - dilation * (k - 1) - 1) / stride) + 1``.
    """
    return _conv(2, "conv2d", input, weight, bias, stride, padding, dilation, groups)


@overloaded("conv3d", *_CONV_SIGNATURES)
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-d convolution over an input ``(N, C_in, D, H, W)`` or unbatched ``(C_in, D, H, W)``.

    weight ``(C_out, C_in / groups, kD, kH, kW)``; per dim
    ``out = floor((in + 2 * padding - dilation * (k - 1) - 1) / stride) + 1``.
    """
    return _conv(3, "conv3d", input, weight, bias, stride, padding, dilation, groups)


# the parser's kinds of the transposed convolutions' arguments (their padding is never a string)
_TRANSPOSED_KINDS = dict(stride="ints", padding="ints", output_padding="ints", groups="int", dilation="ints")


@native("conv_transpose1d", **_TRANSPOSED_KINDS)
def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """1-d transposed convolution (the gradient of conv1d w.r.t. its input) over ``(N, C_in, L)``.

    weight ``(C_in, C_out / groups, kL)``, bias ``(C_out,)``.  Output ``(N, C_out, L_out)`` with
    ``L_out = (L - 1) * stride - 2 * padding + dilation * (kL - 1) + output_padding + 1``.
    """
    return _conv_transpose(1, "conv_transpose1d", input, weight, bias, stride, padding, output_padding,
                           groups, dilation)


@native("conv_transpose2d", **_TRANSPOSED_KINDS)
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-d transposed convolution over ``(N, C_in, H, W)`` or unbatched ``(C_in, H, W)``.

    weight ``(C_in, C_out / groups, kH, kW)``; per dim
    ``out = (in - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1``.
    """
    return _conv_transpose(2, "conv_transpose2d", input, weight, bias, stride, padding, output_padding,
                           groups, dilation)


@native("conv_transpose3d", **_TRANSPOSED_KINDS)
def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """3-d transposed convolution over ``(N, C_in, D, H, W)`` or unbatched ``(C_in, D, H, W)``.

    weight ``(C_in, C_out / groups, kD, kH, kW)``; per dim
    ``out = (in - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1``.
    """
    return _conv_transpose(3, "conv_transpose3d", input, weight, bias, stride, padding, output_padding,
                           groups, dilation)


# ----------------------------------------------------------------------------------------------------
# Argument checking (torch's exception types; messages say what is wrong)


def _check_tensor(value, op, name, position):
    if not isinstance(value, Tensor):
        raise TypeError(f"{op}(): argument '{name}' (position {position}) must be Tensor, not "
                        f"{type(value).__name__}")


def _as_tuple(value, dims, op, name, k=None):
    """An int or a sequence of ints as a ``k``-tuple, ``k`` the weight's spatial dims (``dims`` by default).
    As torch: the parser turns an int into ``dims`` copies, then a one-element list is repeated ``k`` times
    and any other length must be ``k``."""
    k = dims if k is None else k
    if type(value) is int and dims == k:   # the everyday forms first: one int, or a tuple of k ints
        return (value,) * k
    if type(value) is tuple and len(value) == k and all(type(item) is int for item in value):
        return value
    values = list(value) if isinstance(value, (tuple, list)) else [value] * dims
    for position, item in enumerate(values):
        if not (is_int(item) or position and isinstance(item, bool)):  # the parser reads later bools as ints
            raise TypeError(f"{op}(): argument '{name}' must be tuple of ints, but found element of type "
                            f"{type(item).__name__} at pos {position}")
    values = [int(v) for v in values]
    if len(values) == 1:
        values = values * k
    if len(values) != k:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {k} values to match "
                           f"the convolution dimensions, but got {name}={values}")
    return tuple(values)


def _check_groups(groups, op):
    if not is_int(groups):
        raise TypeError(f"{op}(): argument 'groups' must be int, not {type(groups).__name__}")
    groups = int(groups)
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    return groups


def _geometry(dims, op, input, weight, bias, stride, padding, dilation, groups, output_padding=None):
    """torch's checks of a convolution's arguments, in its order (a transposed one has ``output_padding``):
    the bias dtype (convolution only), the input's rank, the weight's, groups, the lengths of the int lists
    against the weight's spatial dims, their signs, then the input's rank against the weight's. Returns
    stride, padding (a tuple, or the string), dilation, groups, output_padding."""
    transposed = output_padding is not None
    _check_tensor(input, op, "input", 1)
    _check_tensor(weight, op, "weight", 2)
    if bias is not None:
        _check_tensor(bias, op, "bias", 3)
    if not transposed and not isinstance(padding, str):   # 'same'/'valid': torch casts any bias
        _check_bias_dtype(input, bias)
    _check_input_rank(input, dims, op)
    if weight.ndim < 3:
        raise RuntimeError("weight should have at least three dimensions")
    groups = _check_groups(groups, op)
    k = weight.ndim - 2
    stride = _as_tuple(stride, dims, op, "stride", k)
    if not isinstance(padding, str):
        padding = _as_tuple(padding, dims, op, "padding", k)
    dilation = _as_tuple(dilation, dims, op, "dilation", k)
    # a convolution has an output_padding of zeros inside torch, which is checked the same way
    output_padding = _as_tuple(output_padding if transposed else 0, dims, op, "output_padding", k)
    if not isinstance(padding, str):
        _check_non_negative(padding, "padding")
    _check_non_negative(output_padding, "output_padding")
    _check_positive(stride, "stride")
    if any(d < 0 for d in dilation):   # a zero one is the backend's to refuse, after the shapes
        raise RuntimeError("dilation should be greater than zero")
    batched_shape = list(input.shape) if input.ndim == dims + 2 else [1] + list(input.shape)
    if len(batched_shape) != k + 2:
        raise RuntimeError(f"Expected {k + 2}-dimensional input for {k + 2}-dimensional weight {list(weight.shape)}, "
                           f"but got {len(batched_shape)}-dimensional input of size {batched_shape} instead")
    return stride, padding, dilation, groups, output_padding


def _check_input_rank(input, dims, op):
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"Expected {dims + 1}D (unbatched) or {dims + 2}D (batched) input to {op}, but got "
                           f"input of size: {list(input.shape)}")


def _check_weight(weight, dims, op, layout, groups=1):
    """The weight's rank, then a first dim of at least ``groups`` (an empty kernel is the kernels' to refuse:
    see _check_conv_kernel and _check_transposed_kernel)."""
    if weight.ndim != dims + 2:
        raise RuntimeError(f"{op} expects a {dims + 2}-dimensional weight {layout}, but got weight of size "
                           f"{list(weight.shape)}")
    if weight.shape[0] < groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, but got "
                           f"weight of size {list(weight.shape)} instead")


def _check_positive(values, name):
    if any(v <= 0 for v in values):
        raise RuntimeError(f"non-positive {name} is not supported")


def _check_non_negative(values, name):
    if any(v < 0 for v in values):
        raise RuntimeError(f"negative {name} is not supported")


def _check_transposed_dilation(dilation):
    """torch's slow transposed kernels word a non-positive dilation per dimension (a convolution's: see
    _check_conv_kernel)."""
    if any(d <= 0 for d in dilation):
        shown = _per_dimension_text(dilation=dilation).replace(" dilation_", ", dilation_")
        raise RuntimeError(f"dilation should be greater than zero, but got {shown}")


def _check_kernel_dtype(input, dims, transposed, dilation=()):
    """torch's CPU kernels have no bool version, and the transposed and dilated ones none for the small
    integer types: its NotImplementedError (before the weight's dtype is compared)."""
    small_int = input.dtype.name in ("uint8", "int8", "int16", "int32")
    if not transposed and max(dilation, default=1) > 1 and (small_int or input.dtype.name == "bool"):
        raise NotImplementedError(f'"slow_conv_dilated<>" not implemented for \'{input.dtype.scalar_name}\'')
    if input.dtype.name == "bool" or (transposed and small_int):
        kernel = (f"slow_conv_transpose{max(dims, 2)}d_out_cpu" if transposed
                  else f"slow_conv{max(dims, 2)}d_cpu")
        raise NotImplementedError(f'"{kernel}" not implemented for \'{input.dtype.scalar_name}\'')


def _check_bias_dtype(input, bias):
    """A convolution's bias must have the input's dtype: torch checks it before any shape."""
    if bias is not None and bias.dtype != input.dtype:
        raise RuntimeError(f"Input type ({input.dtype.c_name}) and bias type ({bias.dtype.c_name}) should be the "
                           f"same")


def _check_dtypes(input, weight, bias, transposed, backend, padding=0, dilation=()):
    """torch's dtype checks, in its order and words (dtypes named as C types: float, double, long int): a
    convolution's bias must have the input's dtype (checked first), the weight too (in the words of the
    backend's check; the empty backend checks none); a transposed convolution casts a bias of another dtype
    into the output, unless that would turn a float into an integer; with padding 'same' or 'valid' any bias
    is cast."""
    bias_differs = bias is not None and bias.dtype != input.dtype
    if not transposed and not isinstance(padding, str):
        _check_bias_dtype(input, bias)
    if backend == "empty":
        return
    _check_kernel_dtype(input, weight.dim() - 2, transposed, dilation)
    if weight.dtype != input.dtype and backend == "onednn":
        raise RuntimeError(f"Input type ({_cpu_type_name(input.dtype)}) and weight type "
                           f"({_cpu_type_name(weight.dtype)}) should be the same or input should be a MKLDNN tensor "
                           "and weight is a dense tensor")
    if weight.dtype != input.dtype:
        raise RuntimeError(f"expected scalar type {input.dtype.scalar_name} but found {weight.dtype.scalar_name}")
    if transposed and bias_differs and bias.is_floating_point() and not input.is_floating_point():
        raise RuntimeError(f"result type {bias.dtype.scalar_name} can't be cast to the desired output type "
                           f"{input.dtype.scalar_name}")


def _cpu_type_name(dtype):
    """How torch's C++ checks print a CPU tensor's type: its legacy tensor class where C++ has one."""
    if dtype.name in ("bool", "bfloat16") or dtype.is_complex:
        return f"CPU{dtype.scalar_name}Type"
    return f"torch.{dtype.tensor_type_name}"


def _empty_backend_operands(input, batched, weight, bias):
    """The operands as torch's empty backend computes with them: with no channels, the flat input times the
    flat weight (both empty; the result has no channels either), else the input times the weight's first
    element (a 0-d tensor, which lifts only the kind of the result); then the bias's first element is added
    in place, refused if it would lift the result's kind."""
    no_channels = _as_batched(input, batched)[1] == 0
    dtype = (promote_types if no_channels else _combine_categories)(input.dtype, weight.dtype)
    if bias is not None and _combine_categories(dtype, bias.dtype) is not dtype:
        raise RuntimeError(f"result type {bias.dtype.scalar_name} can't be cast to the desired output type "
                           f"{dtype.scalar_name}")
    if no_channels:
        weight, bias = weight[:0], None if bias is None else bias[:0]
    return tuple(t if t is None or t.dtype == dtype else t.to(dtype) for t in (input, weight, bias))


def _check_bias(bias, weight, channels, transposed):
    if bias is not None and tuple(bias.shape) != (channels,):
        raise RuntimeError(f"Given {'transposed=1, ' if transposed else ''}weight of size {list(weight.shape)}, "
                           f"expected bias to be 1-dimensional with {channels} elements, but got bias of size "
                           f"{list(bias.shape)} instead")


def _check_output_size(input, out_shape, op):
    """torch's allocator error before any work: for a broadcast (expanded) input the first buffer torch
    allocates is its contiguous copy, otherwise the output."""
    if input.is_meta:  # a shape-only tensor allocates nothing, as in torch
        return
    data = input._data
    if is_huge_broadcast(data):
        raise allocation_error(data.size * data.itemsize)
    nbytes = math.prod(out_shape) * input.element_size()
    if nbytes > MAX_ARRAY_BYTES:
        raise allocation_error(nbytes)


def _check_divisible_by_groups(weight, groups):
    if weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                           f"but got weight of size {list(weight.shape)} instead")


def _sizes_text(sizes):
    return " x ".join(str(s) for s in sizes)


def _conv_padding(padding, kernel, dilation, stride, dims, op):
    """Per-dim (before, after) pairs for an int/tuple/'valid'/'same' padding."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * dims
        if padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            pairs = tuple(_shapes.same_padding_pair(k, d) for k, d in zip(kernel, dilation))
            if any(before != after for before, after in pairs):
                _warn_uneven_same_padding()
            return pairs
        raise RuntimeError(f"Invalid padding string: {padding!r}")
    amounts = _as_tuple(padding, dims, op, "padding")
    _check_non_negative(amounts, "padding")
    return tuple((p, p) for p in amounts)


@functools.cache
def _warn_uneven_same_padding():
    """torch warns once per process that an uneven 'same' padding copies the input (it pads it first)."""
    warnings.warn("Using padding='same' with even kernel lengths and odd dilation may require a zero-padded copy "
                  "of the input be created (Triggered internally at /__w/pytorch/pytorch/aten/src/ATen/native/"
                  "Convolution.cpp:1101.)", UserWarning, stacklevel=_caller_of_functional())


def _caller_of_functional():
    """The stack level of the code that called into npconv.nn.functional (where torch's warning points)."""
    here = os.path.dirname(__file__)
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.dirname(frame.f_code.co_filename) == here:
        frame, level = frame.f_back, level + 1
    return level


# ----------------------------------------------------------------------------------------------------
# Convolution


def _conv(dims, op, input, weight, bias, stride, padding, dilation, groups):
    stride, padding, dilation, groups, _ = _geometry(dims, op, input, weight, bias, stride, padding, dilation, groups)
    _check_weight(weight, dims, op, "(out_channels, in_channels / groups, *kernel_size)", groups)
    kernel = tuple(weight.shape[2:])
    pairs = _conv_padding(padding, kernel, dilation, stride, dims, op)
    batched = input.ndim == dims + 2
    channels = input.shape[1 if batched else 0]
    out_channels = weight.shape[0]
    _check_divisible_by_groups(weight, groups)
    if channels != weight.shape[1] * groups:
        # torch pads an input for an uneven 'same' padding (the extra after) before its convolution checks
        shown = _as_batched(input, batched)
        shown[-dims:] = [size + after - before for size, (before, after) in zip(shown[-dims:], pairs)]
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, expected input"
                           f"{shown} to have {weight.shape[1] * groups} channels, but got "
                           f"{channels} channels instead")
    _check_bias(bias, weight, out_channels, transposed=False)
    spatial = tuple(input.shape[-dims:])
    padded = tuple(size + before + after for size, (before, after) in zip(spatial, pairs))
    dilated = tuple(_shapes.dilated_extent(k, d) for k, d in zip(kernel, dilation))
    if any(p < k for p, k in zip(padded, dilated)):
        raise RuntimeError(f"Calculated padded input size per channel: ({_sizes_text(padded)}). Kernel size: "
                           f"({_sizes_text(dilated)}). Kernel size can't be greater than actual input size")
    _check_nonempty_spatial(input, dims, batched)
    backend = _backend(input, batched, weight, stride, dilation, groups)
    _check_conv_kernel(backend, weight, dilation)
    _check_dtypes(input, weight, bias, False, backend, padding, dilation)  # the weight's dtype after the shapes
    if backend == "empty":
        input, weight, bias = _empty_backend_operands(input, batched, weight, bias)
    if bias is not None and bias.dtype != input.dtype:
        bias = bias.to(input.dtype)   # padding 'same' or 'valid': torch adds any bias in the output's dtype
    out_spatial = _shapes.conv_output_spatial(spatial, pairs, kernel, stride, dilation)
    batch = (input.shape[0],) if batched else ()
    _check_output_size(input, batch + (out_channels,) + out_spatial, op)
    direct = backend == "onednn" and _direct_onednn_kernel(weight, groups, pairs, dilation)
    function = _OneDnnConvolution if direct else _Convolution
    return function.apply(input, weight, bias, stride, pairs, dilation, groups, out_spatial, batched)


def _check_conv_kernel(backend, weight, dilation):
    """An empty kernel or a zero dilation, refused by the backend torch picks once the shapes passed, in its
    order and words (oneDNN looks at the dilation first, the slow kernels at the kernel; a 1-d layer runs
    as 2-d in them)."""
    kernel = tuple(weight.shape[2:])
    if backend == "empty":
        return
    if backend == "onednn":
        if min(dilation) <= 0:
            raise RuntimeError("non-positive dilation is not supported")
        if min(kernel) <= 0:
            raise _onednn_refusal("convolution")
        return
    dilated = any(d != 1 for d in dilation)   # the slow dilated kernel words sizes as lists
    if min(kernel) <= 0 and dilated:
        raise RuntimeError(f"kernel size should be greater than zero, but got {_as_kernels_see(kernel)}")
    if min(kernel) <= 0 and len(kernel) == 3:
        raise RuntimeError(f"kernel size should be greater than zero, but got: {' x '.join(map(str, kernel))} "
                           "(TxHxW)")
    if min(kernel) <= 0:
        raise _kernel_size_error(kernel)
    if min(dilation) <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got {_as_kernels_see(dilation)}")


def _backend(input, batched, weight, stride, dilation, groups, output_padding=None):
    """The CPU backend torch 2.13 gives a convolution whose shapes passed (_select_conv_backend): "empty" for
    an empty batch or no channels, "onednn" (use_mkldnn), else "slow" (its own kernels). Each checks the
    kernel and dtypes in its own order and words."""
    if _runs_empty_backend(input, batched, weight):
        return "empty"
    return "onednn" if _uses_onednn(input, batched, weight, stride, dilation, groups, output_padding) else "slow"


def _runs_empty_backend(input, batched, weight):
    """Whether torch's empty backend answers (an empty batch, or no channels): it checks no kernel, but
    multiplies an input with channels by the weight's first element, which an empty weight lacks."""
    batch, channels = (input.shape[0], input.shape[1]) if batched else (1, input.shape[0])
    if batch and channels:
        return False
    if channels and weight.numel() == 0:
        raise IndexError("select(): index 0 out of range for tensor of size [0] at dimension 0")
    return True


def _uses_onednn(input, batched, weight, stride, dilation, groups, output_padding=None):
    """torch's ConvParams::use_mkldnn on this CPU: bfloat16 always; float32 unless its heuristics find its
    own kernel faster (an unstrided 1x1 kernel on one thread; a single image with a kernel of at most 3 wide
    or high, one group and at most 20480 input values); never a transposed convolution whose output padding
    reaches its stride. A 1-d convolution runs as 2-d with a height of 1."""
    if output_padding is not None and any(o >= s for o, s in zip(output_padding, stride)):
        return False
    if input.dtype.name == "bfloat16":
        return True
    if input.dtype.name != "float32":
        return False
    shape = _as_batched(input, batched)
    shape = shape[:2] + [1] * (len(shape) == 3) + shape[2:]
    kernel_h, kernel_w = _planar(tuple(weight.shape[2:]))
    batch = shape[0]
    not_single_threaded_1x1 = (any(s != 1 for s in stride) or any(d != 1 for d in dilation) or batch >= 16
                               or (kernel_h, kernel_w) != (1, 1) or kernels.threads.get_num_threads() > 1)
    not_small = (groups > 1 or (kernel_w > 3 and kernel_h > 3) or batch > 1
                 or math.prod(shape[:4]) > 20480)
    return not_single_threaded_1x1 and not_small


def _onednn_refusal(direction):
    return RuntimeError(f"could not create a primitive descriptor for the {direction} forward propagation "
                        "primitive. Run workload with environment variable ONEDNN_VERBOSE=all to get additional "
                        "diagnostic information.")


def _planar(kernel):
    """A 1-d or 2-d kernel's (height, width) as torch's 2-d kernels see it (1-d has a height of 1)."""
    return ((1,) + tuple(kernel))[-2:]


def _as_kernels_see(sizes):
    """A layer's sizes as torch's slow kernels list them: 1-d runs as 2-d (a height of 1), 3-d as it is."""
    return list(sizes) if len(sizes) == 3 else list(_planar(sizes))


def _kernel_size_error(kernel):
    height, width = _planar(kernel)
    return RuntimeError(f"kernel size should be greater than zero, but got kernel_height: {height} "
                        f"kernel_width: {width}")


def _as_batched(input, batched):
    """The input's shape as torch's kernels name it: with the batch dim an unbatched input gets."""
    return list(input.shape) if batched else [1] + list(input.shape)


def _check_nonempty_spatial(input, dims, batched):
    """An empty spatial dim is refused unless the batch or the channels are empty (torch shows the input as
    its kernel sees it: batched, and 1-d as 2-d)."""
    shape = list(input.shape) if batched else [1] + list(input.shape)
    if 0 in shape[2:] and shape[0] and shape[1]:
        if dims == 1:
            shape.insert(2, 1)
        raise RuntimeError(f"Only zero batch or zero channel inputs are supported, but got input shape: {shape}")


class _ConvolutionFunction(Function):
    """What convolution and transposed convolution share: the optional batch dim, the bias, the saved
    x and w, the bias gradient. A subclass is one row of DESIGN.md's table: the kernels for its output,
    its input gradient and its weight gradient (``geometry`` = stride, pairs, dilation, groups)."""

    @classmethod
    def forward(cls, ctx, x, w, b, stride, pairs, dilation, groups, out_spatial, batched):
        x_batched = x if batched else x[np.newaxis]
        geometry = (stride, pairs, dilation, groups)
        y = cls.output(x_batched, w, out_spatial, geometry)
        if b is not None:
            kernels.add_bias(y, b)
        ctx.save_for_backward(x_batched, w)
        ctx.geometry = geometry
        ctx.batched = batched
        return y if batched else y[0]

    @classmethod
    def backward(cls, ctx, grad):
        x, w = ctx.saved_tensors
        gy = grad if ctx.batched else grad[np.newaxis]
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            gx = cls.input_grad(gy, w, x.shape[2:], ctx.geometry)
            gx = gx if ctx.batched else gx[0]
        if ctx.needs_input_grad[1]:
            gw = cls.weight_grad(x, gy, w.shape[2:], ctx.geometry)
        if ctx.needs_input_grad[2]:
            gb = kernels.bias_grad(gy)
        return gx, gw, gb, None, None, None, None, None, None

    @classmethod
    def meta(cls, x, w, b, stride, pairs, dilation, groups, out_spatial, batched):
        batch = x.shape[:1] if batched else ()
        return batch + (cls.out_channels(w, groups),) + tuple(out_spatial), x.dtype


class _Convolution(_ConvolutionFunction):
    """y = conv(x, w) + b; backward: conv_input_grad, conv_weight_grad, a sum (DESIGN.md's table)."""

    backward_name = "ConvolutionBackward0"

    @staticmethod
    def out_channels(w, groups):
        return w.shape[0]

    @staticmethod
    def output(x, w, out_spatial, geometry):
        return kernels.conv_forward(x, w, *geometry, out_spatial=out_spatial)

    @staticmethod
    def input_grad(gy, w, in_spatial, geometry):
        return kernels.conv_input_grad(gy, w, in_spatial, *geometry)

    @staticmethod
    def weight_grad(x, gy, kernel, geometry):
        return kernels.conv_weight_grad(x, gy, kernel, *geometry)


def _direct_onednn_kernel(weight, groups, pairs, dilation):
    """Whether oneDNN runs one of its direct kernels, which skip the padding, rather than its GEMM one
    (im2col: zeros multiplied). Observed on this AVX-512 CPU with torch 2.13 (fitted on random layers with
    non-finite weights): only when every padding is narrower than the dilated kernel, and then for every
    ungrouped and depthwise convolution, and grouped ones whose channels per group are multiples of 4 (one
    input channel per group: outputs per group a multiple of 8)."""
    extents = (_shapes.dilated_extent(k, d) for k, d in zip(weight.shape[2:], dilation))
    if any(max(pair) >= extent for pair, extent in zip(pairs, extents)):
        return False
    outputs, inputs = weight.shape[0] // groups, weight.shape[1]
    if groups == 1 or (inputs, outputs) == (1, 1):
        return True
    if inputs == 1:
        return outputs % 8 == 0
    return inputs % 4 == 0 and outputs % 4 == 0


class _OneDnnConvolution(_Convolution):
    """A convolution torch hands to oneDNN, which never multiplies the zero padding (see
    kernels/padding_skipped.py): the same but for a weight holding inf or NaN."""

    backward_name = "ConvolutionBackward0"   # a node's name is its class's own (not inherited)

    @staticmethod
    def output(x, w, out_spatial, geometry):
        return kernels.conv_forward(x, w, *geometry, out_spatial=out_spatial, skip_padding=True)


# ----------------------------------------------------------------------------------------------------
# Higher-order gradients (create_graph=True). A convolution is bilinear in (x, w): its output, its input
# gradient and its weight gradient are three bilinear maps, and the derivatives of each are the others, so
# one Function computing any of the three (``_ConvolutionTerm``) is differentiable to any order.

# term -> for each of its two operands: (the term giving its gradient, the operands of that term), where
# "v" is the incoming gradient and 0/1 the term's own operands: <input_grad(g, w), v> = <g, output(v, w)>...
_TERM_DERIVATIVES = {
    "output": (("input_grad", ("v", 1)), ("weight_grad", (0, "v"))),
    "input_grad": (("output", ("v", 1)), ("weight_grad", ("v", 0))),
    "weight_grad": (("input_grad", (1, "v")), ("output", (0, "v"))),
}


class _ConvolutionTerm(Function):
    """One of the three bilinear maps of ``convolution`` (a _ConvolutionFunction subclass) on batched
    operands; ``sizes`` = (input spatial, output spatial, kernel) sizes."""

    backward_name = "ConvolutionBackwardBackward0"

    @staticmethod
    def forward(ctx, a, b, term, convolution, geometry, sizes):
        ctx.term, ctx.convolution, ctx.geometry, ctx.sizes = term, convolution, geometry, sizes
        ctx.save_for_backward(a, b)
        return _convolution_term(term, convolution, a, b, geometry, sizes)

    @staticmethod
    def backward(ctx, grad):
        operands = ctx.saved_tensors + (grad,)
        grads = [None, None]
        for index, (term, (first, second)) in enumerate(_TERM_DERIVATIVES[ctx.term]):
            if ctx.needs_input_grad[index]:
                pick = [operands[2 if k == "v" else k] for k in (first, second)]
                grads[index] = _convolution_term(term, ctx.convolution, *pick, ctx.geometry, ctx.sizes)
        return grads[0], grads[1], None, None, None, None


def _convolution_term(term, convolution, a, b, geometry, sizes):
    in_spatial, out_spatial, kernel = sizes
    if term == "output":
        return convolution.output(a, b, out_spatial, geometry)
    if term == "input_grad":
        return convolution.input_grad(a, b, in_spatial, geometry)
    return convolution.weight_grad(a, b, kernel, geometry)


def _term_gradients(node, v, term, a, b, spec):
    """The gradients of ``term``(a, b) (Tensors; None where ``node`` has no input needing one) for the
    incoming gradient ``v``, as _ConvolutionTerm Tensors; spec = (convolution, geometry, sizes)."""
    operands = (a, b, v)
    grads = []
    for index, (grad_term, (first, second)) in enumerate(_TERM_DERIVATIVES[term]):
        if node._inputs[index] is None:
            grads.append(None)
            continue
        pick = [operands[2 if k == "v" else k] for k in (first, second)]
        grads.append(_ConvolutionTerm.apply(*pick, grad_term, *spec))
    return grads


@double_backward(_ConvolutionTerm)
def _convolution_term_rule(node, g):
    a, b = node.saved_tensors
    spec = (node.convolution, node.geometry, node.sizes)
    return tuple(_term_gradients(node, g, node.term, operand(node, 0, a), operand(node, 1, b), spec)) + (None,) * 4


@double_backward(_ConvolutionFunction)
def _convolution_rule(node, g):
    x, w = node.saved_tensors   # x with its batch dim
    gy = g if node.batched else g.unsqueeze(0)
    if node._inputs[0] is None:
        x_tensor = Tensor._make(x)
    else:
        x_tensor = operand(node, 0, x if node.batched else node._inputs[0]._data)
        x_tensor = x_tensor if node.batched else x_tensor.unsqueeze(0)
    spec = (node._function, node.geometry, (x.shape[2:], gy.shape[2:], w.shape[2:]))
    gx, gw = _term_gradients(node, gy, "output", x_tensor, operand(node, 1, w), spec)
    gb = gy.sum((0,) + tuple(range(2, gy.dim()))) if node._inputs[2] is not None else None
    if gx is not None and not node.batched:
        gx = gx.squeeze(0)
    return (gx, gw, gb) + (None,) * 6


# ----------------------------------------------------------------------------------------------------
# Transposed convolution


def _per_dimension_text(**values):
    """``output_padding_height: 1 output_padding_width: 2 stride_height: ...`` as torch words its checks
    (a 1-d layer runs as 2-d in torch, so it reports a height of output_padding 0, stride 1, dilation 1)."""
    parts = []
    for name, value in values.items():
        value = tuple(value)
        if len(value) == 1:
            value = (0 if name == "output_padding" else 1,) + value
        names = ("depth", "height", "width")[-len(value):]
        parts += [f"{name}_{axis}: {v}" for axis, v in zip(names, value)]
    return " ".join(parts)


def _conv_transpose(dims, op, input, weight, bias, stride, padding, output_padding, groups, dilation):
    if isinstance(padding, str):
        raise TypeError(f"{op}(): argument 'padding' must be tuple of ints, not str")
    stride, amounts, dilation, groups, output_padding = _geometry(dims, op, input, weight, bias, stride, padding,
                                                                  dilation, groups, output_padding)
    _check_weight(weight, dims, op, "(in_channels, out_channels / groups, *kernel_size)", groups)
    batched = input.ndim == dims + 2
    channels = input.shape[1 if batched else 0]
    _check_divisible_by_groups(weight, groups)
    if channels != weight.shape[0]:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected input"
                           f"{_as_batched(input, batched)} to have {weight.shape[0]} channels, but got {channels} "
                           f"channels instead")
    out_channels = weight.shape[1] * groups
    _check_bias(bias, weight, out_channels, transposed=True)
    spatial = tuple(input.shape[-dims:])
    _check_nonempty_spatial(input, dims, batched)
    kernel = tuple(weight.shape[2:])
    out_spatial = tuple(_shapes.transposed_length(size, k, s, p, o, d) for size, k, s, p, o, d
                        in zip(spatial, kernel, stride, amounts, output_padding, dilation))
    checked_spatial = tuple(_c_int_transposed_length(*values) for values
                            in zip(spatial, kernel, stride, amounts, output_padding, dilation))
    backend = _backend(input, batched, weight, stride, dilation, groups, output_padding)
    _check_transposed_kernel(backend, weight, dilation, output_padding, stride)
    _check_transposed_output(input, batched, spatial, out_channels, out_spatial, backend, checked_spatial)
    if backend == "onednn" and dims == 3 and min(dilation) <= 0:
        raise RuntimeError("dimensions are invalid")
    if backend == "onednn" and (0 in kernel or weight.shape[1] == 0 or min(dilation) <= 0):
        raise _onednn_refusal("deconvolution")
    _check_dtypes(input, weight, bias, True, backend)  # torch compares dtypes after the shapes
    if backend == "empty":
        input, weight, bias = _empty_backend_operands(input, batched, weight, bias)
    if bias is not None and bias.dtype != input.dtype:
        bias = bias.to(input.dtype)  # torch adds a bias of another dtype in the output's
    batch = (input.shape[0],) if batched else ()
    _check_output_size(input, batch + (out_channels,) + out_spatial, op)
    pairs = tuple((p, p) for p in amounts)
    return _TransposedConvolution.apply(input, weight, bias, stride, pairs, dilation, groups, out_spatial, batched)


def _c_int_transposed_length(size, kernel, stride, padding, output_padding, dilation):
    """The output length as torch's slow transposed kernels compute it, every argument a C int (a huge
    stride may wrap to a negative one: the formula, not the argument checks, applies)."""
    stride, padding, output_padding, dilation = map(_shapes.c_int, (stride, padding, output_padding, dilation))
    return _shapes.c_int((size - 1) * stride - 2 * padding + _shapes.dilated_extent(kernel, dilation) + output_padding)


def _check_transposed_kernel(backend, weight, dilation, output_padding, stride):
    """What torch's slow transposed kernels check, in their order (the empty backend checks nothing;
    oneDNN's own errors come after the output size's)."""
    if backend != "slow":
        return
    big_padding = any(o >= s and o >= d for o, s, d in zip(output_padding, stride, dilation))
    dims, kernel = len(dilation), tuple(weight.shape[2:])
    if dims < 3 and min(kernel) <= 0:
        raise _kernel_size_error(kernel)
    if min(map(_shapes.c_int, stride)) <= 0:  # a C int there: a huge stride may wrap
        raise RuntimeError("stride should be greater than zero, but got "
                           + _per_dimension_text(stride=map(_shapes.c_int, stride)))
    _check_transposed_dilation(dilation)
    if big_padding:
        raise RuntimeError("output padding must be smaller than either stride or dilation, but got "
                           + _per_dimension_text(output_padding=output_padding, stride=stride, dilation=dilation))
    if weight.numel() == 0:
        if dims == 3:
            raise RuntimeError("non-empty 5D (n_output_plane x n_input_plane x kernel_depth x kernel_height x "
                               f"kernel_width) tensor expected for weight, but got: {list(weight.shape)}")
        shown = list(weight.shape[:2]) + [1] * (dims == 1) + list(weight.shape[2:])
        raise RuntimeError(f"non-empty 2D or 4D weight tensor expected, but got: {shown}")


def _check_transposed_output(input, batched, spatial, out_channels, out_spatial, backend, checked_spatial=None):
    """An output size below 1, refused as torch's CPU backends refuse it. The empty backend reaches a
    reshape to (N, C_out, *out) that fails on negative sizes only; oneDNN takes empty sizes and fails on
    negative ones with its own words; the slow kernels say "too small" (torch runs 1-d as 2-d with a height
    of 1) from sizes computed with C ints (``checked_spatial``), and when those pass, the allocator refuses
    the real negative size."""
    lead = (1,) if len(spatial) == 1 else ()
    batch = input.shape[0] if batched else 1
    if backend == "empty":
        if any(o < 0 for o in out_spatial):
            _infer_shape((batch, out_channels) + lead + tuple(out_spatial), 0)
        return
    if backend == "onednn":
        if any(o < 0 for o in out_spatial):
            raise RuntimeError("could not construct a memory descriptor using a format tag")
        return
    checked = out_spatial if checked_spatial is None else checked_spatial
    if any(o < 1 for o in checked):
        raise RuntimeError(f"Given input size per channel: ({_sizes_text(lead + spatial)}). Calculated output size "
                           f"per channel: ({_sizes_text(lead + checked)}). Output size is too small")
    if any(o < 0 for o in out_spatial):
        shape = [batch, out_channels] + list(lead + out_spatial)
        raise RuntimeError(f"Trying to create tensor with negative dimension {next(o for o in shape if o < 0)}: "
                           f"{shape}")


class _TransposedConvolution(_ConvolutionFunction):
    """y = conv_input_grad(x, w) + b; backward: conv_forward (cropped) and conv_weight_grad, swapped."""

    backward_name = "ConvolutionBackward0"

    @staticmethod
    def out_channels(w, groups):
        return w.shape[1] * groups

    @staticmethod
    def output(x, w, out_spatial, geometry):
        return kernels.conv_input_grad(x, w, out_spatial, *geometry)

    @staticmethod
    def input_grad(gy, w, in_spatial, geometry):
        # exactly the transposed conv's input positions: with output_padding >= stride (allowed when
        # < dilation) the forward formula would give extra trailing ones
        return kernels.conv_forward(gy, w, *geometry, out_spatial=in_spatial)

    @staticmethod
    def weight_grad(x, gy, kernel, geometry):
        return kernels.conv_weight_grad(gy, x, kernel, *geometry)
