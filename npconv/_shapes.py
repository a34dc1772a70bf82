"""The pure size rules of convolution, pooling and interpolation: their one home (DESIGN.md rule 1).

A leaf module: it imports only the standard library, so every layer may use it (kernels/ included).
``npconv.arithmetic.sizes`` re-exports these rules for users, with int-or-tuple broadcasting on top.

Per spatial dim, with kernel ``k``, stride ``s``, dilation ``d`` and ``(before, after)`` padding:

- the dilated kernel spans ``d * (k - 1) + 1`` positions (``dilated_extent``);
- ``out = (size + before + after - span) // s + 1`` windows fit (``conv_length``);
- ``out`` windows read ``(out - 1) * s + span`` positions (``window_extent``, the inverse);
- a transposed convolution gives ``(size - 1) * s - 2 * p + d * (k - 1) + output_padding + 1``.

Nothing here refuses a size that comes out zero or negative: it is returned, so that the caller raises the
message torch raises.  The functions also hold the one argument normaliser (torch's ``_ntuple``).
"""
import collections.abc
import math
import operator

__all__ = ["broadcast_error", "broadcast_shape", "int_list_error", "ceil_div", "dilated_extent", "window_extent", "conv_length", "pool_length", "transposed_length",
           "same_padding_pair", "scaled_length", "conv_output_spatial", "ntuple", "expand", "as_index", "single", "pair", "triple",
           "c_int"]


def ceil_div(a, b):
    """``ceil(a / b)`` for ints (``b > 0``), exact for any size (no float rounding)."""
    return -(-a // b)


def dilated_extent(kernel, dilation=1):
    """Positions a kernel of ``kernel`` taps with ``dilation`` spans: ``dilation * (kernel - 1) + 1``."""
    return dilation * (kernel - 1) + 1


def window_extent(out, kernel, stride=1, dilation=1):
    """Padded input length that ``out`` windows read: ``(out - 1) * stride + dilated_extent`` (the inverse
    of ``conv_length`` for an input that leaves nothing over)."""
    return (out - 1) * stride + dilated_extent(kernel, dilation)


def c_int(value):
    """``value`` as a 32-bit C int holds it (torch computes some sizes so and words its errors with them)."""
    return (value + 2**31) % 2**32 - 2**31


def _check_stride(stride):
    if stride <= 0:
        raise ValueError(f"stride must be positive, got {stride}")


def conv_length(size, kernel, stride=1, before=0, after=None, dilation=1):
    """Windows of a convolution along one dim: ``floor((size + before + after - span) / stride) + 1``.

    ``after`` defaults to ``before`` (symmetric padding); ``span`` is ``dilated_extent(kernel, dilation)``.
    """
    _check_stride(stride)
    after = before if after is None else after
    return (size + before + after - dilated_extent(kernel, dilation)) // stride + 1


def pool_length(size, kernel, stride, padding=0, dilation=1, ceil_mode=False):
    """Windows of max / average pooling along one dim: ``conv_length`` with symmetric padding, or with
    ``ceil_mode`` the division rounded up, dropping a last window that would start in the right padding
    (torch's rule: ``(out - 1) * stride >= size + padding``)."""
    _check_stride(stride)
    span = size + 2 * padding - dilated_extent(kernel, dilation)
    if not ceil_mode:
        return span // stride + 1
    count = ceil_div(span, stride) + 1
    if (count - 1) * stride >= size + padding:
        count -= 1
    return count


def transposed_length(size, kernel, stride=1, padding=0, output_padding=0, dilation=1):
    """Output length of a transposed convolution along one dim:
    ``(size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1``."""
    _check_stride(stride)
    return (size - 1) * stride - 2 * padding + dilated_extent(kernel, dilation) + output_padding


def same_padding_pair(kernel, dilation=1):
    """``(before, after)`` padding that keeps a stride-1 convolution's size; an odd total puts the extra
    position after, as torch's ``padding='same'`` does."""
    total = dilated_extent(kernel, dilation) - 1
    return total // 2, total - total // 2


def scaled_length(size, scale_factor):
    """Output length of ``interpolate`` for a scale factor: ``floor(size * scale_factor)``."""
    return math.floor(size * float(scale_factor))


def conv_output_spatial(spatial, pairs, kernel, stride, dilation):
    """Output sizes of a convolution, per dim, for ``(before, after)`` padding ``pairs`` (a tuple)."""
    return tuple(conv_length(size, k, s, before, after, dl)
                 for size, (before, after), k, s, dl in zip(spatial, pairs, kernel, stride, dilation))


def ntuple(value, n):
    """torch's ``_ntuple``: an iterable as a tuple, anything else repeated ``n`` times."""
    if isinstance(value, collections.abc.Iterable):
        return tuple(value)
    return (value,) * n


def expand(value, n):
    """The expansion torch's C++ ops apply to an int-list argument: ``ntuple``, then a one-element
    sequence repeated ``n`` times.  The caller checks the length and the element types (its messages)."""
    values = ntuple(value, n)
    return values * n if len(values) == 1 else values


def single(value):
    """torch's ``_single``: ``ntuple(value, 1)``."""
    return ntuple(value, 1)


def pair(value):
    """torch's ``_pair``: ``ntuple(value, 2)``."""
    return ntuple(value, 2)


def triple(value):
    """torch's ``_triple``: ``ntuple(value, 3)``."""
    return ntuple(value, 3)


def as_index(value, name):
    """``value`` as a Python int (anything with ``__index__``), or TypeError naming the argument."""
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an int or a tuple of ints, got {value!r}") from None


def int_list_error(head, value, is_int):
    """torch's argument-parser TypeError for an ``int[]`` argument (a size, a kernel size...) that is not
    one, or None. ``head`` is "op(): argument 'name'" plus " (position k)" when passed by position; the
    first element is named only then; later elements may be bools (read as ints). ``is_int`` says what
    counts as an int (the caller knows its Tensor class)."""
    def type_name(item):
        kind = type(item)
        return f"numpy.{kind.__name__}" if kind.__module__ == "numpy" else kind.__name__
    if not isinstance(value, (tuple, list)):
        return None if is_int(value) else TypeError(f"{head} must be tuple of ints, not {type_name(value)}")
    for index, item in enumerate(value):
        if index == 0 and not is_int(item):
            found = (f"but found element of type {type_name(item)} at pos 0" if "(position" in head
                     else f"not {type_name(value)}")
            return TypeError(f"{head} must be tuple of ints, {found}")
        if index > 0 and not (is_int(item) or isinstance(item, bool)):
            return TypeError(f"{head.split(' (position')[0]} failed to unpack the object at pos {index + 1} with "
                             f"error \"type must be tuple of ints,but got {type_name(item)}\"")
    return None


def broadcast_error(a, b):
    """torch's RuntimeError for shapes ``a`` and ``b`` that do not broadcast (the first clash from the left)."""
    n = max(len(a), len(b))
    for i in range(n):
        da = a[i - n + len(a)] if i - n + len(a) >= 0 else 1
        db = b[i - n + len(b)] if i - n + len(b) >= 0 else 1
        if da != db and da != 1 and db != 1:
            return RuntimeError(f"The size of tensor a ({da}) must match the size of tensor b ({db}) at "
                                f"non-singleton dimension {i}")
    return RuntimeError(f"shapes {list(a)} and {list(b)} cannot be broadcast")


def broadcast_shape(a, b):
    """The shape ``a`` and ``b`` broadcast to, or torch's RuntimeError."""
    a, b = tuple(a), tuple(b)
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    if any(x != y and x != 1 and y != 1 for x, y in zip(a, b)):
        raise broadcast_error(a, b)
    return tuple(y if x == 1 else x for x, y in zip(a, b))
