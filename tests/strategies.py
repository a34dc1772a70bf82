"""Shared hypothesis strategies for layer arguments (the one home: conv, pooling, arithmetic tests use them).

Each strategy draws a *valid* set of arguments (torch accepts them) as a dict whose keys are torch's
argument names, plus the shapes the test needs.  Per-dim values are drawn as tuples and, when all equal,
sometimes given as a plain int, so both forms torch accepts are exercised.  Sizes stay small: the
differential tests run many cases on a shared 2-core machine.
"""
import numpy as np
from hypothesis import assume, strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

from npconv.arithmetic import conv_output_size, conv_transpose_output_size, pool_output_size

__all__ = ["spatial_dims", "one_in", "int_or_tuple", "conv_arguments", "conv_transpose_arguments",
           "padding_modes", "float_dtypes", "KERNEL_DOMAINS", "kernel_arguments",
           "kernel_arguments_mostly_in_domain", "chooser_layers", "pooling_input", "pooling_arguments",
           "normalization_input", "loss_classification_cases", "loss_regression_pairs", "pad_cases",
           "interpolate_cases", "chunkings", "tiling_layer_specs", "sequential_stacks", "MODES_BY_DIMS", "float_arrays",
           "OPTIMIZER_OPTIONS", "optimizer_options", "SCHEDULER_ARGUMENTS", "scheduler_arguments",
           "plateau_arguments", "plateau_metrics", "prune_steps", "reduction_case", "matmul_shapes",
           "fold_arguments"]

spatial_dims = st.integers(1, 3)


def one_in(n):
    """True in about one draw in ``n`` (hypothesis draws the ends of an integer range far more often than
    the middle, so ``st.integers(0, n - 1) == 0`` would be true much more often)."""
    return st.sampled_from([False] * (n - 1) + [True])


padding_modes = st.sampled_from(["zeros", "reflect", "replicate", "circular"])
float_dtypes = st.sampled_from(["float32", "float64"])


@st.composite
def int_or_tuple(draw, values):
    """``values`` (a tuple) as torch would accept it: the tuple, or an int when every entry is equal."""
    if len(set(values)) == 1 and draw(st.booleans()):
        return values[0]
    return tuple(values)


def _per_dim(draw, dims, low, high):
    return tuple(draw(st.integers(low, high)) for _ in range(dims))


@st.composite
def _channels(draw, max_groups=3, max_per_group=3, depthwise=None):
    """(groups, in_channels, out_channels); ``depthwise="in"`` ("out") gives one input (output) channel per
    group and 2 to 5 groups."""
    if depthwise is not None:
        groups, multiplier = draw(st.integers(2, 5)), draw(st.integers(1, max_per_group))
        return (groups, groups, groups * multiplier) if depthwise == "in" else (groups, groups * multiplier, groups)
    groups = draw(st.integers(1, max_groups))
    return groups, groups * draw(st.integers(1, max_per_group)), groups * draw(st.integers(1, max_per_group))


@st.composite
def conv_arguments(draw, dims=None, max_kernel=4, max_stride=3, max_dilation=3, max_extra=5,
                   string_padding=True, batched=None, min_kernel=1, max_padding=3, depthwise=False):
    """Arguments of ``conv{1,2,3}d`` / ``Conv{1,2,3}d`` that torch accepts (``depthwise``: groups = in_channels).

    Returns a dict: ``dims, batch (None: unbatched), in_channels, out_channels, groups, kernel_size, stride,
    padding, dilation, bias`` (bool), ``input_shape``, ``weight_shape`` and the per-dim tuples
    ``kernel, strides, paddings, dilations`` (paddings None for 'same'/'valid').
    """
    dims = draw(spatial_dims) if dims is None else dims
    groups, in_channels, out_channels = draw(_channels(depthwise="in" if depthwise else None))
    kernel = _per_dim(draw, dims, min_kernel, max_kernel)
    dilation = _per_dim(draw, dims, 1, max_dilation)
    padding_form = draw(st.sampled_from(["numbers", "same", "valid"]) if string_padding else st.just("numbers"))
    stride = (1,) * dims if padding_form == "same" else _per_dim(draw, dims, 1, max_stride)
    if padding_form == "numbers":
        # torch refuses padding > half the (dilated) kernel only for pooling; for conv any padding works
        paddings = _per_dim(draw, dims, 0, max_padding)
        padding = draw(int_or_tuple(paddings))
    else:
        paddings, padding = None, padding_form
    spatial = []
    for i in range(dims):
        span = dilation[i] * (kernel[i] - 1) + 1
        pad_total = 2 * paddings[i] if paddings else 0
        smallest = max(1, span - pad_total)  # the dilated kernel must fit in the padded input
        spatial.append(draw(st.integers(smallest, smallest + max_extra)))
    batched = draw(st.booleans()) if batched is None else batched
    batch = draw(st.integers(1, 3)) if batched else None
    input_shape = ((batch,) if batched else ()) + (in_channels,) + tuple(spatial)
    return dict(dims=dims, batch=batch, in_channels=in_channels, out_channels=out_channels, groups=groups,
                kernel_size=draw(int_or_tuple(kernel)), stride=draw(int_or_tuple(stride)), padding=padding,
                dilation=draw(int_or_tuple(dilation)), bias=draw(st.booleans()), input_shape=input_shape,
                weight_shape=(out_channels, in_channels // groups) + kernel, kernel=kernel, strides=stride,
                paddings=paddings, dilations=dilation)


@st.composite
def conv_transpose_arguments(draw, dims=None, max_kernel=4, max_stride=3, max_dilation=3, max_extra=4,
                             batched=None, min_kernel=1, max_padding=3, depthwise=False):
    """Arguments of ``conv_transpose{1,2,3}d`` / ``ConvTranspose{1,2,3}d`` that torch accepts.

    Same keys as ``conv_arguments`` plus ``output_padding`` (and per-dim ``output_paddings``); the weight
    is ``(in_channels, out_channels / groups, *kernel)``.  output_padding < max(stride, dilation), as
    torch requires, and the output size is at least 1. ``depthwise``: out_channels = groups (the convolution
    this one is the gradient of is depthwise).
    """
    dims = draw(spatial_dims) if dims is None else dims
    groups, in_channels, out_channels = draw(_channels(depthwise="out" if depthwise else None))
    kernel = _per_dim(draw, dims, min_kernel, max_kernel)
    dilation = _per_dim(draw, dims, 1, max_dilation)
    stride = _per_dim(draw, dims, 1, max_stride)
    paddings = _per_dim(draw, dims, 0, max_padding)
    output_paddings = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    spatial = []
    for i in range(dims):
        # out = (S - 1) * s - 2p + d (k - 1) + op + 1 >= 1
        deficit = 2 * paddings[i] - dilation[i] * (kernel[i] - 1) - output_paddings[i]
        smallest = max(1, 1 + -(-deficit // stride[i]))
        spatial.append(draw(st.integers(smallest, smallest + max_extra)))
    batched = draw(st.booleans()) if batched is None else batched
    batch = draw(st.integers(1, 3)) if batched else None
    input_shape = ((batch,) if batched else ()) + (in_channels,) + tuple(spatial)
    return dict(dims=dims, batch=batch, in_channels=in_channels, out_channels=out_channels, groups=groups,
                kernel_size=draw(int_or_tuple(kernel)), stride=draw(int_or_tuple(stride)),
                padding=draw(int_or_tuple(paddings)), output_padding=draw(int_or_tuple(output_paddings)),
                dilation=draw(int_or_tuple(dilation)), bias=draw(st.booleans()), input_shape=input_shape,
                weight_shape=(in_channels, out_channels // groups) + kernel, kernel=kernel, strides=stride,
                paddings=paddings, output_paddings=output_paddings, dilations=dilation)


# ------------------------------------------------------------------------------ npconv.kernels' arguments

# Where each special convolution algorithm computes rather than hands the call to a general one (its
# ``supports``), as limits of conv_arguments / conv_transpose_arguments. Winograd: 3-wide kernels, stride 1,
# undilated, padding <= 2 (its input gradient is its forward with the flipped kernel, padded k - 1 - p);
# FFT: stride 1, kernels up to 9 wide; depthwise: one input channel per group.
KERNEL_DOMAINS = {
    "winograd": dict(min_kernel=3, max_kernel=3, max_stride=1, max_dilation=1, max_padding=2),
    "winograd_f2": dict(min_kernel=3, max_kernel=3, max_stride=1, max_dilation=1, max_padding=2),
    "fft": dict(max_kernel=9, max_stride=1, max_extra=6),
    "depthwise": dict(depthwise=True, max_extra=4),
    "row_gemm": dict(max_stride=1),
}


@st.composite
def kernel_arguments(draw, algorithm=None, transposed=False, asymmetric=True, **limits):
    """Arguments of npconv.kernels' entry points, inside ``algorithm``'s domain (KERNEL_DOMAINS) when given.

    A dict: ``x_shape, w_shape, stride, pairs`` ((before, after) padding per dim; sometimes asymmetric, never
    past the domain's padding limit), ``dilation, groups``; with ``transposed``, the arguments of
    conv_transpose (``output_padding`` and ``y_shape``, the transposed output's shape, added).
    """
    limits = dict(KERNEL_DOMAINS.get(algorithm, {}), **limits)
    if transposed:
        limits.pop("max_extra", None)
        args = draw(conv_transpose_arguments(batched=True, **limits))
    else:
        args = draw(conv_arguments(string_padding=False, batched=True, **limits))
    limit = limits.get("max_padding", 3)
    pairs = tuple((p, p) for p in args["paddings"])
    if asymmetric and not transposed and draw(st.booleans()):
        pairs = tuple((p, draw(st.integers(p, max(p, limit)))) for p in args["paddings"])
    case = dict(x_shape=args["input_shape"], w_shape=args["weight_shape"], stride=args["strides"], pairs=pairs,
                dilation=args["dilations"], groups=args["groups"])
    if transposed:
        case["output_padding"] = args["output_paddings"]
    return case


@st.composite
def kernel_arguments_mostly_in_domain(draw, algorithm, transposed=False):
    """kernel_arguments inside ``algorithm``'s domain three draws in four (``in_domain`` True), anywhere in the
    fourth (where a special algorithm hands the call to a general one)."""
    inside = algorithm in KERNEL_DOMAINS and not draw(one_in(4))
    case = draw(kernel_arguments(algorithm if inside else None, transposed=transposed))
    case["in_domain"] = inside
    return case


@st.composite
def chooser_layers(draw):
    """Random convolutions for the algorithm chooser, with depthwise and wide 3x3 stride-1 layers (the special
    algorithms' domains) often: (x_shape, w_shape, stride, pairs, dilation, groups)."""
    args = draw(conv_arguments(string_padding=False, batched=True, max_extra=40))
    x_shape, w_shape = args["input_shape"], args["weight_shape"]
    stride, dilation, groups = args["strides"], args["dilations"], args["groups"]
    kind = draw(st.sampled_from(["any", "depthwise", "3x3"]))
    dims = len(stride)
    if kind == "depthwise":
        groups = x_shape[1]
        w_shape = (groups * draw(st.integers(1, 2)), 1) + w_shape[2:]
    elif kind == "3x3":
        channels = draw(st.sampled_from([1, 16, 64]))
        x_shape = x_shape[:1] + (channels,) + tuple(max(s, 3) for s in x_shape[2:])
        w_shape = (draw(st.sampled_from([8, 32])), channels) + (3,) * dims
        stride, dilation, groups = (1,) * dims, (1,) * dims, 1
    pairs = tuple((p, p) for p in args["paddings"])
    return x_shape, w_shape, stride, pairs, dilation, groups


# ------------------------------------------------------------------------------------------------- pooling


@st.composite
def pooling_input(draw, dims, low=1, high=8):
    """An input of pooling: batched or not, 1-3 channels, ``dims`` sizes from ``low`` (an int or one per dim)
    to ``high`` (or low + 7 if that is more), float32 or float64, with many ties half the time."""
    lows = (low,) * dims if isinstance(low, int) else tuple(low)
    batched = draw(st.booleans())
    shape = ((draw(st.integers(1, 2)),) if batched else ()) + (draw(st.integers(1, 3)),)
    shape += tuple(draw(st.integers(size, max(high, size + 7))) for size in lows)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal(shape)
    if draw(st.booleans()):
        x = np.round(x)  # many ties: the chosen index must still be torch's
    return x.astype(draw(st.sampled_from([np.float32, np.float64])))


@st.composite
def pooling_arguments(draw, dims, with_dilation=True, invalid_share=10):
    """A pooling window and an input it fits: a dict of torch's keyword arguments (kernel_size, stride or None,
    padding, dilation, ceil_mode) plus ``input`` (pooling_input). One draw in ``invalid_share`` (never if
    None) is unconstrained, so torch may refuse it (padding over half the kernel, a window wider than the
    padded input); the others are valid."""
    kernel = _per_dim(draw, dims, 1, 4)
    stride = draw(st.one_of(st.none(), st.just(_per_dim(draw, dims, 1, 3))))
    anything = invalid_share is not None and draw(one_in(invalid_share))
    padding = tuple(draw(st.integers(0, 3 if anything else k // 2)) for k in kernel)
    dilation = _per_dim(draw, dims, 1, 3) if with_dilation else (1,) * dims
    smallest = [1 if anything else max(1, d * (k - 1) + 1 - 2 * p) for k, d, p in zip(kernel, dilation, padding)]
    return dict(input=draw(pooling_input(dims, low=smallest)), kernel_size=draw(int_or_tuple(kernel)),
                stride=None if stride is None else draw(int_or_tuple(stride)), padding=draw(int_or_tuple(padding)),
                dilation=draw(int_or_tuple(dilation)), ceil_mode=draw(st.booleans()))


@st.composite
def fold_arguments(draw, invalid_share=8):
    """Arguments of unfold and of its adjoint fold (2 spatial dims): a dict of torch's keyword arguments
    (kernel_size, dilation, padding, stride) plus ``image`` (unfold's input, batched or not) and ``columns``
    (fold's input, the shape unfold gives) and ``output_size``. One draw in ``invalid_share`` is unconstrained:
    a window wider than the padded image, and columns of a wrong size (torch refuses both)."""
    anything = invalid_share is not None and draw(one_in(invalid_share))
    kernel, dilation, stride = _per_dim(draw, 2, 1, 3), _per_dim(draw, 2, 1, 2), _per_dim(draw, 2, 1, 3)
    padding = _per_dim(draw, 2, 0, 2)
    smallest = [1 if anything else max(1, d * (k - 1) + 1 - 2 * p) for k, d, p in zip(kernel, dilation, padding)]
    spatial = tuple(draw(st.integers(low, low + 5)) for low in smallest)
    batch = (draw(st.integers(1, 2)),) if draw(st.booleans()) else ()
    channels = draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    blocks = 1
    for size, k, d, p, s in zip(spatial, kernel, dilation, padding, stride):
        blocks *= conv_output_size(size, k, s, p, d)
    planes = channels * kernel[0] * kernel[1]
    if anything:
        blocks, planes = max(1, blocks + draw(st.integers(-1, 1))), max(1, planes + draw(st.integers(-1, 1)))
    return dict(image=rng.standard_normal(batch + (channels,) + spatial).astype(dtype),
                columns=rng.standard_normal(batch + (planes, blocks)).astype(dtype), output_size=draw(int_or_tuple(spatial)),
                kernel_size=draw(int_or_tuple(kernel)), dilation=draw(int_or_tuple(dilation)),
                padding=draw(int_or_tuple(padding)), stride=draw(int_or_tuple(stride)))


# ------------------------------------------------------------------------------------------- normalization


@st.composite
def normalization_input(draw, min_dims=2, max_dims=5, single_value_share=10):
    """(x, rng): x of shape (N, C, *spatial) with sizes 1-4 and values 3 * normal + 1, float32 or float64, and
    the generator that made it (for weights). One draw in ``single_value_share`` may hold a single value
    per channel (N = 1 and no spatial extent), which normalisation in training refuses; the others do not."""
    ndim = draw(st.integers(min_dims, max_dims))
    spatial = tuple(draw(st.integers(1, 4)) for _ in range(ndim - 2))
    single_value_allowed = draw(one_in(single_value_share))
    smallest_batch = 1 if single_value_allowed or any(size > 1 for size in spatial) else 2
    shape = (draw(st.integers(smallest_batch, 4)), draw(st.integers(1, 4))) + spatial
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return (rng.standard_normal(shape) * 3 + 1).astype(dtype), rng


# ------------------------------------------------------------------------------------------------------- losses


@st.composite
def loss_classification_cases(draw):
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    classes = draw(st.integers(1, 5))
    layout = draw(st.sampled_from(["unbatched", "batched", "spatial"]))
    if layout == "unbatched":
        shape, target_shape = (classes,), ()
    elif layout == "batched":
        n = draw(st.integers(1, 4))
        shape, target_shape = (n, classes), (n,)
    else:
        n, extra = draw(st.integers(1, 3)), tuple(draw(st.integers(1, 3)) for _ in range(draw(st.integers(1, 2))))
        shape, target_shape = (n, classes) + extra, (n,) + extra
    logits = (rng.standard_normal(shape) * 3).astype(dtype)
    target = rng.integers(0, classes, target_shape)
    ignore_index = draw(st.sampled_from([-100, 0, 1]))
    weight = rng.uniform(0.2, 2.0, classes).astype(dtype) if draw(st.booleans()) else None
    return logits, np.asarray(target, dtype=np.int64), ignore_index, weight, rng


@st.composite
def loss_regression_pairs(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=0, max_size=3)))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    return rng.standard_normal(shape).astype(dtype), rng.standard_normal(shape).astype(dtype), rng


# ------------------------------------------------------------------------------------------------------ padding


@st.composite
def pad_cases(draw):
    mode = draw(st.sampled_from(["constant", "reflect", "replicate", "circular"]))
    ndim = draw(st.integers(1, 5))
    shape = tuple(draw(st.integers(1, 5)) for _ in range(ndim))
    padded_dims = draw(st.integers(0 if mode == "constant" else 1, min(ndim, 3)))
    pad = tuple(draw(st.integers(-4, 5)) for _ in range(2 * padded_dims))
    value = draw(st.sampled_from([None, 0.0, 1.5])) if mode == "constant" else None
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    return shape, pad, mode, value, dtype


# ------------------------------------------------------------------------------------------------ interpolation


MODES_BY_DIMS = {1: ["nearest", "nearest-exact", "linear", "area"],
                 2: ["nearest", "nearest-exact", "bilinear", "bicubic", "area"],
                 3: ["nearest", "nearest-exact", "trilinear", "area"]}


@st.composite
def interpolate_cases(draw):
    dims = draw(st.integers(1, 3))
    mode = draw(st.sampled_from(MODES_BY_DIMS[dims]))
    spatial = tuple(draw(st.integers(1, 7)) for _ in range(dims))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) + spatial
    kwargs = {}
    if draw(st.booleans()):
        sizes = tuple(draw(st.integers(1, 10)) for _ in range(dims))
        kwargs["size"] = sizes[0] if len(set(sizes)) == 1 and draw(st.booleans()) else sizes
    else:
        # integer, non-integer and shrinking factors
        factor = st.one_of(st.sampled_from([0.5, 1.0, 2.0, 3.0]), st.floats(0.3, 3.5).map(lambda f: round(f, 3)))
        factors = tuple(draw(factor) for _ in range(dims))
        kwargs["scale_factor"] = factors[0] if draw(st.booleans()) else factors
        kwargs["recompute_scale_factor"] = draw(st.sampled_from([None, False, True]))
    if mode in ("linear", "bilinear", "bicubic", "trilinear"):
        kwargs["align_corners"] = draw(st.sampled_from([None, False, True]))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    x = np.random.default_rng(draw(st.integers(0, 2**32 - 1))).standard_normal(shape).astype(dtype)
    return x, mode, kwargs


# ------------------------------------------------------------------------------------- tiling (npconv.parallel)


TILEABLE_PADDING_MODES = st.sampled_from(["zeros", "zeros", "reflect", "replicate"])  # circular wraps around


@st.composite
def tiling_layer_specs(draw, ndim):
    kind = draw(st.sampled_from(["conv", "conv", "conv_same", "maxpool", "avgpool", "upsample", "convT",
                                 "pointwise"]))
    k = draw(st.integers(1, 4))
    if kind == "conv":
        dilation = draw(st.integers(1, 3))
        return kind, dict(kernel_size=k, stride=draw(st.integers(1, 3)), padding=draw(st.integers(0, k)),
                          dilation=dilation, padding_mode=draw(TILEABLE_PADDING_MODES))
    if kind == "conv_same":
        return kind, dict(kernel_size=k, dilation=draw(st.integers(1, 2)), padding_mode=draw(TILEABLE_PADDING_MODES))
    if kind in ("maxpool", "avgpool"):
        k = max(k, 2)
        args = dict(kernel_size=k, stride=draw(st.integers(1, k)), padding=draw(st.integers(0, k // 2)),
                    ceil_mode=draw(st.booleans()))
        if kind == "maxpool":
            args["dilation"] = draw(st.integers(1, 2))
        return kind, args
    if kind == "upsample":
        modes = ["nearest", "linear" if ndim == 1 else "bilinear"]
        return kind, dict(scale_factor=draw(st.integers(1, 3)), mode=draw(st.sampled_from(modes)))
    if kind == "convT":
        stride, dilation = draw(st.integers(1, 3)), draw(st.integers(1, 2))
        return kind, dict(kernel_size=k, stride=stride, padding=draw(st.integers(0, (k - 1) * dilation)),
                          dilation=dilation, output_padding=draw(st.integers(0, max(stride, dilation) - 1)))
    return kind, dict(which=draw(st.sampled_from(["relu", "batchnorm", "tanh"])))


@st.composite
def chunkings(draw, size):
    cuts = sorted(draw(st.sets(st.integers(1, size - 1), max_size=min(size - 1, 4)))) if size > 1 else []
    bounds = [0, *cuts, size]
    return tuple(b - a for a, b in zip(bounds, bounds[1:]))


# ------------------------------------------------------- random models for the arithmetic (summary, complexity)


@st.composite
def sequential_stacks(draw):
    """Source text of an nn.Sequential of 2-d layers whose sizes stay positive, and its input size."""
    channels, size = draw(st.integers(1, 4)), draw(st.integers(6, 24))
    input_size = (draw(st.integers(1, 2)), channels, size, size)
    layers = []
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["conv", "conv", "transposed", "pool", "avg", "bn", "relu", "up"]))
        if kind in ("conv", "transposed"):
            groups = draw(st.sampled_from([1, channels]))
            out = groups * draw(st.integers(1, 3))
            k, s, d = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
            p, bias = draw(st.integers(0, 2)), draw(st.booleans())
            if kind == "conv":
                size = conv_output_size(size, k, s, p, d)
                layers.append(f"nn.Conv2d({channels}, {out}, {k}, {s}, {p}, {d}, groups={groups}, bias={bias})")
            else:
                op = draw(st.integers(0, max(s, d) - 1))
                size = conv_transpose_output_size(size, k, s, p, op, d)
                layers.append(f"nn.ConvTranspose2d({channels}, {out}, {k}, {s}, {p}, {op}, groups={groups}, "
                              f"bias={bias}, dilation={d})")
            channels = out
        elif kind in ("pool", "avg"):
            k = draw(st.integers(1, 3))
            s, p, ceil = draw(st.integers(1, 3)), draw(st.integers(0, k // 2)), draw(st.booleans())
            size = pool_output_size(size, k, s, p, 1, ceil)
            layer = "MaxPool2d" if kind == "pool" else "AvgPool2d"
            layers.append(f"nn.{layer}({k}, {s}, {p}, ceil_mode={ceil})")
        elif kind == "bn":
            assume(input_size[0] * size * size > 1)    # torch refuses to train BatchNorm on one value
            layers.append(f"nn.BatchNorm2d({channels}, affine={draw(st.booleans())})")
        elif kind == "relu":
            layers.append("nn.ReLU()")
        else:
            size = size * 2
            layers.append("nn.Upsample(scale_factor=2)")
        assume(0 < size <= 64)
    source = "import npconv.nn as nn\ndef build():\n    return nn.Sequential(" + ", ".join(layers) + ")\n"
    return source, input_size


@st.composite
def float_arrays(draw, min_dims=0, max_dims=4, special=(), scales=(1.0, 4.0, 30.0)):
    """A float32 or float64 array of up to ``max_dims`` small dims: normal values times a drawn scale, and in
    half the draws about a third of the elements replaced by values from ``special`` (e.g. 0, nan, inf)."""
    shape = tuple(draw(st.lists(st.integers(1, 5), min_size=min_dims, max_size=max_dims)))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal(shape) * draw(st.sampled_from(scales))
    if special and draw(st.booleans()):
        x = np.where(rng.random(shape) < 0.3, rng.choice(np.asarray(special, dtype=np.float64), size=shape), x)
    return np.asarray(x, dtype=dtype)


# ------------------------------------------------------------------------------------------ optimisers (optim)
# every option of every optimiser; values outside torch's ranges are drawn too (the tests then expect
# torch's exception), as are the option combinations torch refuses on a CPU
_OPTIMIZER_FLAGS = {"maximize": st.booleans(), "foreach": st.sampled_from([None, False, True]),
                    "differentiable": st.sampled_from([False, False, False, True])}
_CAPTURABLE = {"capturable": st.sampled_from([False, False, False, True])}
_FUSED = {"fused": st.sampled_from([None, False, False, True])}
_LR = st.sampled_from([1e-3, 0.01, 0.1, 0.5, -0.1])
_EPS = st.sampled_from([1e-8, 1e-6, 1e-3, 0.0, -1e-8])
_DECAY = st.sampled_from([0, 0.01, 0.1, -0.1])
_BETAS = st.sampled_from([(0.9, 0.999), (0.8, 0.99), (0.3, 0.6), (0.0, 0.5), (1.0, 0.9), (0.9, 1.0), (0, 0.9)])
OPTIMIZER_OPTIONS = {
    "SGD": {"lr": _LR, "momentum": st.sampled_from([0, 0.5, 0.9, -0.1]), "dampening": st.sampled_from([0, 0.1, 0.6]),
            "weight_decay": _DECAY, "nesterov": st.booleans(), **_OPTIMIZER_FLAGS, **_FUSED},
    "Adam": {"lr": _LR, "betas": _BETAS, "eps": _EPS, "weight_decay": _DECAY, "amsgrad": st.booleans(),
             "decoupled_weight_decay": st.booleans(), **_OPTIMIZER_FLAGS, **_CAPTURABLE, **_FUSED},
    "AdamW": {"lr": _LR, "betas": _BETAS, "eps": _EPS, "weight_decay": _DECAY, "amsgrad": st.booleans(),
              **_OPTIMIZER_FLAGS, **_CAPTURABLE, **_FUSED},
    "Adadelta": {"lr": st.sampled_from([1.0, 0.5, -1.0]), "rho": st.sampled_from([0.9, 0.5, 0.0, 1.0, 1.1]),
                 "eps": _EPS, "weight_decay": _DECAY, **_OPTIMIZER_FLAGS, **_CAPTURABLE},
    "Adagrad": {"lr": _LR, "lr_decay": st.sampled_from([0, 0.1, -0.1]), "weight_decay": _DECAY,
                "initial_accumulator_value": st.sampled_from([0, 0.1, -0.1]), "eps": _EPS, **_OPTIMIZER_FLAGS,
                **_FUSED},
    "RMSprop": {"lr": _LR, "alpha": st.sampled_from([0.99, 0.9, 0.3, -0.1]), "eps": _EPS, "weight_decay": _DECAY,
                "momentum": st.sampled_from([0, 0.5, 0.9, -0.1]), "centered": st.booleans(), **_OPTIMIZER_FLAGS,
                **_CAPTURABLE},
    "NAdam": {"lr": _LR, "betas": _BETAS, "eps": _EPS, "weight_decay": _DECAY,
              "momentum_decay": st.sampled_from([4e-3, 0.1, 0.0, -0.1]), "decoupled_weight_decay": st.booleans(),
              **_OPTIMIZER_FLAGS, **_CAPTURABLE},
    "RAdam": {"lr": _LR, "betas": _BETAS, "eps": _EPS, "weight_decay": _DECAY,
              "decoupled_weight_decay": st.booleans(), **_OPTIMIZER_FLAGS, **_CAPTURABLE},
    "Adamax": {"lr": _LR, "betas": _BETAS, "eps": _EPS, "weight_decay": _DECAY, **_OPTIMIZER_FLAGS, **_CAPTURABLE},
    "Rprop": {"lr": _LR, "etas": st.sampled_from([(0.5, 1.2), (0.3, 2.0), (1.0, 1.2), (0.5, 0.9)]),
              "step_sizes": st.sampled_from([(1e-6, 50), (1e-3, 0.05), (0.0, 1.0)]), **_OPTIMIZER_FLAGS, **_CAPTURABLE},
    "ASGD": {"lr": _LR, "lambd": st.sampled_from([1e-4, 0.1, 0.0]), "alpha": st.sampled_from([0.75, 0.5, 1.0]),
             "t0": st.sampled_from([1e6, 0.0, 2.0, 3.5]), "weight_decay": _DECAY, **_OPTIMIZER_FLAGS, **_CAPTURABLE},
}


def optimizer_options(name):
    """Keyword arguments for optimiser ``name``: any subset of its options (the rest take the defaults)."""
    return st.fixed_dictionaries({}, optional=OPTIMIZER_OPTIONS[name])


# ----------------------------------------------------------------------------- lr schedulers (optim.lr_scheduler)
_FACTOR = st.sampled_from([0.1, 0.5, 1.0 / 3, 0.9, 1.0, 0.0, 1.5])
SCHEDULER_ARGUMENTS = {
    "StepLR": {"step_size": st.integers(1, 7), "gamma": st.sampled_from([0.1, 0.5, 0.95])},
    "MultiStepLR": {"milestones": st.lists(st.integers(0, 45), max_size=5), "gamma": st.sampled_from([0.1, 0.7])},
    "ExponentialLR": {"gamma": st.sampled_from([0.9, 0.99, 1.01])},
    "ConstantLR": {"factor": _FACTOR, "total_iters": st.integers(0, 45)},
    "LinearLR": {"start_factor": _FACTOR, "end_factor": _FACTOR, "total_iters": st.integers(1, 45)},
    "PolynomialLR": {"total_iters": st.integers(1, 45), "power": st.sampled_from([0.5, 1.0, 2.0, 3.3])},
    "CosineAnnealingLR": {"T_max": st.integers(1, 30), "eta_min": st.sampled_from([0.0, 1e-3, 0.02])},
    "CosineAnnealingWarmRestarts": {"T_0": st.sampled_from([1, 3, 10, 0, 2.0]), "T_mult": st.sampled_from([1, 2, 3, 0]),
                                    "eta_min": st.sampled_from([0.0, 1e-3, "0"])},
    "CyclicLR": {"base_lr": st.sampled_from([0.001, [0.001, 0.002]]), "max_lr": st.sampled_from([0.1, [0.2, 0.05]]),
                 "step_size_up": st.integers(1, 10), "step_size_down": st.sampled_from([None, 1, 4, 7]),
                 "mode": st.sampled_from(["triangular", "triangular2", "exp_range", "other"]),
                 "gamma": st.sampled_from([1.0, 0.9]), "cycle_momentum": st.booleans(),
                 "base_momentum": st.sampled_from([0.8, 0.85]), "max_momentum": st.sampled_from([0.9, [0.95, 0.9]])},
    "OneCycleLR": {"max_lr": st.sampled_from([0.1, 1.0, [0.5, 0.2], [0.1]]),
                   "total_steps": st.sampled_from([40, 45, 100, 0, 39]),
                   "pct_start": st.sampled_from([0.3, 0.25, 0.5, 0.0, 1.0, 1, 1.5]),
                   "anneal_strategy": st.sampled_from(["cos", "linear", "exp"]), "cycle_momentum": st.booleans(),
                   "div_factor": st.sampled_from([25.0, 10.0]), "final_div_factor": st.sampled_from([1e4, 100.0]),
                   "three_phase": st.booleans()},
}
# the arguments without a default, given when the draw leaves them out
_SCHEDULER_REQUIRED = {"StepLR": {"step_size": 3}, "ExponentialLR": {"gamma": 0.9},
                       "CyclicLR": {"base_lr": 0.01, "max_lr": 0.1}, "OneCycleLR": {"max_lr": 0.5, "total_steps": 40},
                       "CosineAnnealingLR": {"T_max": 7}, "CosineAnnealingWarmRestarts": {"T_0": 7}}


def scheduler_arguments(name):
    """Keyword arguments for lr scheduler ``name`` (after the optimizer): a random subset, required ones
    always present."""
    required = _SCHEDULER_REQUIRED.get(name, {})
    return st.fixed_dictionaries({}, optional=SCHEDULER_ARGUMENTS[name]).map(lambda drawn: {**required, **drawn})


def plateau_arguments():
    """Keyword arguments for ReduceLROnPlateau (all valid)."""
    return st.fixed_dictionaries({
        "mode": st.sampled_from(["min", "max"]), "factor": st.sampled_from([0.1, 0.5]),
        "patience": st.integers(0, 4), "threshold": st.sampled_from([1e-4, 0.1]),
        "threshold_mode": st.sampled_from(["rel", "abs"]), "cooldown": st.integers(0, 3),
        "min_lr": st.sampled_from([0, 0.01, [0.0, 0.02]])})


def plateau_metrics(steps):
    """A metric per epoch, with plateaus, improvements and relapses."""
    return st.lists(st.sampled_from([1.0, 0.9, 0.95, 1.1, 0.5, 0.55]), min_size=steps, max_size=steps)


# ---------------------------------------------------------------------------------------- nn.utils.prune
@st.composite
def prune_steps(draw, max_steps=3):
    """Deterministic pruning calls for a Conv2d(2, 4, 3): (function name, tensor name, keyword arguments);
    amounts are counts or fractions (counts of entries for weight, of channels for ln_structured; some too
    large), dims and norms any (some out of range or refused by torch)."""
    steps = []
    for _ in range(draw(st.integers(1, max_steps))):
        kind = draw(st.sampled_from(["l1_unstructured", "l1_unstructured", "ln_structured", "identity",
                                     "custom_from_mask"]))
        amount = draw(st.one_of(st.integers(0, 8), st.sampled_from([0.0, 0.2, 0.5, 0.75, 1.0])))
        if kind == "l1_unstructured":
            name = draw(st.sampled_from(["weight", "bias"]))
            steps.append((kind, name, {"amount": amount % 5 if name == "bias" and isinstance(amount, int) else amount}))
        elif kind == "ln_structured":
            norm = draw(st.sampled_from([1, 2, 3, float("inf"), float("-inf"), "fro"]))
            dim = draw(st.sampled_from([0, 1, -1, 2, 3, -4, 4]))
            steps.append((kind, "weight", {"amount": amount if isinstance(amount, float) else amount % 4,
                                           "n": norm, "dim": dim}))
        elif kind == "identity":
            steps.append((kind, "weight", {}))
        else:
            steps.append((kind, "weight", {"mask_seed": draw(st.integers(0, 100))}))
    return steps


# ------------------------------------------------------------------------------ tensor ops (reductions, matmul)


@st.composite
def reduction_case(draw):
    shape = draw(array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4))
    ndim = len(shape)
    dims = draw(st.one_of(st.none(), st.integers(-ndim, ndim - 1),
                          st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(tuple)))
    return shape, dims, draw(st.booleans())

@st.composite
def matmul_shapes(draw):
    kind = draw(st.sampled_from(["1x1", "2x1", "1x2", "2x2", "batched"]))
    n, k, p = (draw(st.integers(1, 4)) for _ in range(3))
    if kind == "1x1":
        return (k,), (k,)
    if kind == "2x1":
        return (n, k), (k,)
    if kind == "1x2":
        return (k,), (k, p)
    if kind == "2x2":
        return (n, k), (k, p)
    batch = draw(mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3)).input_shapes
    left = batch[0] + (n, k) if draw(st.booleans()) else (k,)
    right = batch[1] + (k, p) if draw(st.booleans()) or len(left) == 1 else (k,)
    return left, right
