"""Shared hypothesis strategies for layer arguments (the one home: conv, pooling, arithmetic tests use them).

Each strategy draws a *valid* set of arguments (torch accepts them) as a dict whose keys are torch's
argument names, plus the shapes the test needs.  Per-dim values are drawn as tuples and, when all equal,
sometimes given as a plain int, so both forms torch accepts are exercised.  Sizes stay small: the
differential tests run many cases on a shared 2-core machine.
"""
from hypothesis import strategies as st

__all__ = ["spatial_dims", "int_or_tuple", "conv_arguments", "conv_transpose_arguments", "padding_modes",
           "float_dtypes"]

spatial_dims = st.integers(1, 3)
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
def _channels(draw, max_groups=3, max_per_group=3):
    groups = draw(st.integers(1, max_groups))
    return groups, groups * draw(st.integers(1, max_per_group)), groups * draw(st.integers(1, max_per_group))


@st.composite
def conv_arguments(draw, dims=None, max_kernel=4, max_stride=3, max_dilation=3, max_extra=5,
                   string_padding=True, batched=None):
    """Arguments of ``conv{1,2,3}d`` / ``Conv{1,2,3}d`` that torch accepts.

    Returns a dict: ``dims, batch (None: unbatched), in_channels, out_channels, groups, kernel_size, stride,
    padding, dilation, bias`` (bool), ``input_shape``, ``weight_shape`` and the per-dim tuples
    ``kernel, strides, paddings, dilations`` (paddings None for 'same'/'valid').
    """
    dims = draw(spatial_dims) if dims is None else dims
    groups, in_channels, out_channels = draw(_channels())
    kernel = _per_dim(draw, dims, 1, max_kernel)
    dilation = _per_dim(draw, dims, 1, max_dilation)
    padding_form = draw(st.sampled_from(["numbers", "same", "valid"]) if string_padding else st.just("numbers"))
    stride = (1,) * dims if padding_form == "same" else _per_dim(draw, dims, 1, max_stride)
    if padding_form == "numbers":
        # torch refuses padding > half the (dilated) kernel only for pooling; for conv any padding works
        paddings = _per_dim(draw, dims, 0, 3)
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
                             batched=None):
    """Arguments of ``conv_transpose{1,2,3}d`` / ``ConvTranspose{1,2,3}d`` that torch accepts.

    Same keys as ``conv_arguments`` plus ``output_padding`` (and per-dim ``output_paddings``); the weight
    is ``(in_channels, out_channels / groups, *kernel)``.  output_padding < max(stride, dilation), as
    torch requires, and the output size is at least 1.
    """
    dims = draw(spatial_dims) if dims is None else dims
    groups, in_channels, out_channels = draw(_channels())
    kernel = _per_dim(draw, dims, 1, max_kernel)
    dilation = _per_dim(draw, dims, 1, max_dilation)
    stride = _per_dim(draw, dims, 1, max_stride)
    paddings = _per_dim(draw, dims, 0, 3)
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
