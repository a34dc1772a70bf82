"""Output-size rules of convolution and pooling for users: the rules of the leaf ``npconv._shapes`` (their
one home, DESIGN.md rule 1), with int-or-tuple arguments.

Every function takes each size argument either as an int or as a tuple/list of ints (one per spatial
dimension). Ints are broadcast against tuples; the result is an int when every argument was an int and a
tuple otherwise. The functions never refuse a size that comes out zero or negative: they return it, so
that the caller (a functional op, a module, the summary) raises the error message torch would raise.
They do refuse a zero or negative stride, for which no size exists (callers check stride first).
"""
from npconv import _shapes
from npconv._shapes import ceil_div, dilated_extent, window_extent

__all__ = ["conv_output_size", "conv_transpose_output_size", "pool_output_size", "same_padding",
           "interpolate_output_size", "dilated_extent", "window_extent", "ceil_div"]


def _broadcast(**arguments):
    """Turn int-or-tuple arguments into a list of per-dimension dicts and tell whether any was a tuple."""
    lengths = {name: len(value) for name, value in arguments.items() if isinstance(value, (tuple, list))}
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"{name} has {length}" for name, length in lengths.items())
        raise ValueError(f"size arguments disagree on the number of spatial dimensions: {described}")
    ndim = next(iter(lengths.values()), 1)
    per_dim = []
    for d in range(ndim):
        per_dim.append({name: _shapes.as_index(value[d] if name in lengths else value, name)
                        for name, value in arguments.items()})
    return per_dim, bool(lengths)


def _pack(values, as_tuple):
    return tuple(values) if as_tuple else values[0]


def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    """Output size of a convolution along each spatial dimension.

    ``out = floor((size + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1``

    The result may be zero or negative when the (dilated) kernel does not fit in the padded input;
    it is returned as is, the caller raises.
    """
    per_dim, as_tuple = _broadcast(size=size, kernel_size=kernel_size, stride=stride, padding=padding,
                                   dilation=dilation)
    return _pack([_shapes.conv_length(a["size"], a["kernel_size"], a["stride"], a["padding"], a["padding"],
                                      a["dilation"]) for a in per_dim], as_tuple)


def conv_transpose_output_size(size, kernel_size, stride=1, padding=0, output_padding=0, dilation=1):
    """Output size of a transposed convolution along each spatial dimension.

    ``out = (size - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1``

    The result may be zero or negative (large padding); it is returned as is, the caller raises.
    """
    per_dim, as_tuple = _broadcast(size=size, kernel_size=kernel_size, stride=stride, padding=padding,
                                   output_padding=output_padding, dilation=dilation)
    return _pack([_shapes.transposed_length(a["size"], a["kernel_size"], a["stride"], a["padding"],
                                            a["output_padding"], a["dilation"]) for a in per_dim], as_tuple)


def pool_output_size(size, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """Output size of max / average pooling along each spatial dimension.

    ``stride`` defaults to ``kernel_size`` (as in torch). With ``ceil_mode=False``:
    ``out = floor((size + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1``;
    with ``ceil_mode=True`` the division rounds up, but the last window must start inside the input or
    the left padding (torch's rule), so ``out`` drops by one when ``(out - 1) * stride >= size + padding``.

    The result may be zero or negative; it is returned as is, the caller raises.
    """
    if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0):
        stride = kernel_size  # torch treats stride=None and stride=[] both as "same as kernel_size"
    per_dim, as_tuple = _broadcast(size=size, kernel_size=kernel_size, stride=stride, padding=padding,
                                   dilation=dilation)
    return _pack([_shapes.pool_length(a["size"], a["kernel_size"], a["stride"], a["padding"], a["dilation"],
                                      ceil_mode) for a in per_dim], as_tuple)


def same_padding(kernel_size, dilation=1):
    """Padding that keeps the size of a stride-1 convolution: ``(left, right)`` per spatial dimension.

    ``total = dilation * (kernel_size - 1)``, ``left = total // 2``, ``right = total - left``: an odd
    total puts the extra pixel on the right, as torch's ``padding='same'`` does. An int kernel gives one
    ``(left, right)`` pair; a tuple gives a tuple of pairs.
    """
    per_dim, as_tuple = _broadcast(kernel_size=kernel_size, dilation=dilation)
    return _pack([_shapes.same_padding_pair(a["kernel_size"], a["dilation"]) for a in per_dim], as_tuple)


def interpolate_output_size(size, scale_factor):
    """Output size of ``interpolate`` / ``Upsample`` given a scale factor: ``out = floor(size * scale_factor)``.

    ``scale_factor`` is a number or a tuple of numbers (one per spatial dimension).
    """
    if isinstance(scale_factor, (tuple, list)):
        sizes = size if isinstance(size, (tuple, list)) else (size,) * len(scale_factor)
        if len(sizes) != len(scale_factor):
            raise ValueError(f"size has {len(sizes)} dimensions but scale_factor has {len(scale_factor)}")
        return tuple(_shapes.scaled_length(_shapes.as_index(s, "size"), f) for s, f in zip(sizes, scale_factor))
    if isinstance(size, (tuple, list)):
        return tuple(_shapes.scaled_length(_shapes.as_index(s, "size"), scale_factor) for s in size)
    return _shapes.scaled_length(_shapes.as_index(size, "size"), scale_factor)
