"""npconv.nn.functional.pad: constant, reflect, replicate and circular padding, as torch, differentiable."""
import math
import operator

import numpy as np

from npconv._dtype import check_scalar_fits
from npconv._memory import check_allocation
from npconv._graph_backward import double_backward, linear_in_grad, operand
from npconv.autograd import Function

from ..._ops.parsing import check_arguments

__all__ = ["pad"]

_MODES = ("constant", "reflect", "replicate", "circular")
# Non-constant modes pad the last 1, 2 or 3 dims of a batched or unbatched input: pad length -> ndims.
_NON_CONSTANT_RANKS = {2: (2, 3), 4: (3, 4), 6: (4, 5)}


def pad(input, pad, mode="constant", value=None):
    """Pad the last ``len(pad) // 2`` dimensions of ``input``, as ``torch.nn.functional.pad``.

    ``pad`` lists (before, after) amounts starting from the LAST dimension:
    ``(left, right)``, ``(left, right, top, bottom)``, ``(left, right, top, bottom, front, back)``.
    Output size along a padded dim: ``size + before + after``; negative amounts crop.

    ``mode``: 'constant' (fill with ``value``, default 0; any number of dims), 'reflect' (mirror without
    repeating the edge; each pad < size), 'replicate' (repeat the edge), 'circular' (wrap around; each pad
    <= size).  The non-constant modes pad 1-3 trailing dims of a (N, C, *S) or (C, *S) input.
    """
    check_arguments("pad", (("pad", "int_list", 2), ("mode", "str", 3), ("value", "float?", 4)),
                    dict(pad=pad, mode=mode, value=value), 4)  # torch's Python pad passes all by position
    if mode not in _MODES:   # torch reads the mode before it looks at the pad's length
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    pairs = _pad_pairs(input.ndim, pad)
    if mode == "constant":
        _check_constant(input.shape, pairs)
        if value is not None and any(before > 0 or after > 0 for before, after in pairs):  # only a fill converts it
            check_scalar_fits(value.item() if hasattr(value, "item") else value, input.dtype)
        _check_padded_allocation(input, pairs)
        return _Pad.apply(input, pairs, mode, 0.0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if input.ndim not in _NON_CONSTANT_RANKS.get(2 * len(pairs), ()):
        raise NotImplementedError(f"Padding size {2 * len(pairs)} is not supported for {input.ndim}D input "
                                  f"tensor.\n{_SUPPORTED_RANKS}")
    if mode in ("reflect", "replicate"):
        _check_nonempty(input.shape, len(pairs))
    _CHECKS[mode](input.shape, pairs)   # torch compares the pads with the sizes before it looks at the dtype
    if mode in ("reflect", "replicate") and input.dtype.name == "bool":  # torch's kernels have no bool version
        kernel = f"{'reflection' if mode == 'reflect' else 'replication'}_pad{len(pairs)}d"
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')
    _check_padded_allocation(input, pairs)
    return _NON_CONSTANT_NODES[mode, len(pairs)].apply(input, pairs, mode, 0.0)


_SUPPORTED_RANKS = """Supported combinations for non-constant padding:
  - 2D or 3D input: padding size = 2 (pads last dimension)
  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)
  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"""


def _pad_pairs(ndim, pad):
    """torch's flat, last-dim-first ``pad`` as ``(before, after)`` pairs for the trailing dims, in order."""
    amounts = []
    for position, amount in enumerate(pad):
        try:
            amounts.append(operator.index(amount))
        except TypeError:
            raise TypeError(f"pad(): argument 'pad' (position 2) must be tuple of ints, but found element of "
                            f"type {type(amount).__name__} at pos {position}") from None
    if len(amounts) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(amounts) // 2 > ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension "
                           f"but got padding length {len(amounts)} and input of dimension {ndim}")
    return tuple((amounts[i], amounts[i + 1]) for i in range(len(amounts) - 2, -1, -2))


def _check_padded_allocation(input, pairs):
    """torch's allocator errors for a padded result beyond memory, before any work."""
    if input.is_meta:
        return
    sizes = list(input.shape)
    for dim, size, before, after in _padded_dims(input.shape, pairs):
        sizes[dim] = size + before + after
    if min(sizes, default=0) > 0:
        check_allocation(tuple(sizes), input.element_size())


def _padded_dims(shape, pairs):
    """(dim index, size, before, after) for each padded dim."""
    first = len(shape) - len(pairs)
    return [(first + i, shape[first + i], before, after) for i, (before, after) in enumerate(pairs)]


def _check_nonempty(shape, k):
    """reflect/replicate kernels refuse an empty dim, but for the batch dim of a batched input."""
    batched = len(shape) == k + 2
    if 0 in shape[1 if batched else 0:]:
        raise RuntimeError(f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 batch size and other "
                           f"non-zero dimensions for input, but got: {list(shape)}")


def _check_constant(shape, pairs):
    for dim, size, before, after in _padded_dims(shape, pairs):
        kept = size - max(-before, 0) - max(-after, 0)  # torch crops before it pads
        if kept < 0:  # torch crops with narrow()
            raise RuntimeError("narrow(): length must be non-negative.")


def _check_output_size(shape, pairs, mode):
    """torch's 1-d kernels refuse an empty or negative result by name; its 2-d and 3-d kernels return an
    empty one and fail (each with its own words) on a negative one."""
    sizes = list(shape)
    for dim, size, before, after in _padded_dims(shape, pairs):
        sizes[dim] = size + before + after
    if len(pairs) == 1 and sizes[-1] < 1:
        raise RuntimeError(f"input (W: {shape[-1]}) is too small. Calculated output W: {sizes[-1]}")
    k = len(pairs)
    if k > 1 and all(s < 1 for s in sizes[-k:]):   # torch's 2-d/3-d kernels refuse only when every dim is
        given, out = shape[-k:], sizes[-k:]           # empty or negative, in their own spacing
        if k == 2:
            space = " " if mode == "replicate" else ""
            raise RuntimeError(f"input (H: {given[0]}, W: {given[1]}{space}) is too small. Calculated output "
                               f"H: {out[0]} W: {out[1]}")
        raise RuntimeError(f"input (D: {given[0]} H: {given[1]}, W: {given[2]}) is too small. Calculated output "
                           f"D: {out[0]} H: {out[1]} W: {out[2]}")
    negative = [s for s in sizes if s < 0]
    if negative:
        if mode == "reflect" and len(pairs) == 2:
            raise RuntimeError("numel: integer multiplication overflow")
        raise RuntimeError(f"Trying to create tensor with negative dimension {negative[0]}: {sizes}")


def _check_reflect(shape, pairs):
    # torch checks the last dimension first; its (before, after) pair is pad's argument #4, the next #6...
    for from_last, (dim, size, before, after) in enumerate(reversed(_padded_dims(shape, pairs))):
        if before >= size or after >= size:
            raise RuntimeError(f"Argument #{4 + 2 * from_last}: Padding size should be less than the corresponding input "
                               f"dimension, but got: padding ({before}, {after}) at dimension {dim} of input "
                               f"{list(shape)}")
    _check_output_size(shape, pairs, "reflect")


def _check_replicate(shape, pairs):
    _check_output_size(shape, pairs, "replicate")


def _check_circular(shape, pairs):
    """torch's checks, dim by dim (a pad wider than the dim, a negative result); then npconv refuses what
    torch answers with uninitialised memory (see _circular_sources)."""
    for dim, size, before, after in _padded_dims(shape, pairs):
        if before > size or after > size:
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if size + before + after < 0:
            raise RuntimeError("Negative padding value is resulting in an empty dimension")
    sources = _circular_sources(shape, pairs)   # torch's copy checks, then what its result leaves unwritten
    if math.prod(shape[:len(shape) - len(pairs)]) and (sources < 0).any():
        raise RuntimeError(f"npconv: circular padding {[p for pair in reversed(pairs) for p in pair]} of an input "
                           f"of size {list(shape)} copies elements torch leaves uninitialised; its result is "
                           f"undefined")


def _circular_sources(shape, pairs):
    """For each element of the padded dims' result, the flat index (over the padded dims) of the input element
    torch's circular padding puts there, -1 where it leaves memory uninitialised.

    torch copies the cropped input into the middle, then, for each padded dim from the last, copies slices
    of its own result into the left and right pads. Its slices take Python's rules (a negative bound counts
    from the end, bounds are clamped). With a negative pad on the other side, a pad may overlap the slice it
    copies: see _copy_pad."""
    lead = tuple(shape[:len(shape) - len(pairs)])
    spatial = tuple(shape[len(lead):])
    sources = np.arange(math.prod(spatial)).reshape(spatial)
    result = np.full(tuple(size + b + a for size, (b, a) in zip(spatial, pairs)), -1, dtype=np.int64)
    target = tuple(slice(max(b, 0), n - max(a, 0)) for n, (b, a) in zip(result.shape, pairs))
    cropped = sources[tuple(slice(max(-b, 0), n - max(-a, 0)) for n, (b, a) in zip(spatial, pairs))]
    _check_copy(lead, result[target].shape, cropped.shape)
    result[target] = cropped
    for axis in reversed(range(len(pairs))):
        before, after = pairs[axis]
        out = result.shape[axis]
        if before > 0:
            _copy_pad(result, axis, lead, (0, before), (out - before - max(after, 0), out - max(after, 0)))
        if after > 0:
            _copy_pad(result, axis, lead, (out - after, out), (max(before, 0), max(before, 0) + after))
    return result


def _check_copy(lead, target, source):
    """torch's copy_ broadcasts the source to the target's shape (a length 1 stretches) or refuses: sizes
    that cannot broadcast (the last dim checked first), then a broadcast shape that is not the target's."""
    for dim in reversed(range(len(target))):
        t, s = target[dim], source[dim]
        if t != s and 1 not in (t, s):
            raise RuntimeError(f"The size of tensor a ({t}) must match the size of tensor b ({s}) at "
                               f"non-singleton dimension {len(lead) + dim}")
    if any(t == 1 and s != 1 for t, s in zip(target, source)):
        raise RuntimeError(f"output with shape {list(lead + target)} doesn't match the broadcast shape "
                           f"{list(lead + tuple(np.broadcast_shapes(target, source)))}")


def _copy_pad(array, axis, lead, to, source):
    """array[slice(*to)] = array[slice(*source)] along ``axis`` with torch's copy_ checks. A target behind an
    overlapping source reads each element before it is written, as a whole copy does; a target ahead of it
    gets what torch's copy kernel happens to do (its scalar loop repeats values already written, its vector
    blocks do not): npconv refuses that."""
    size = array.shape[axis]
    (to, length), (start, count) = (_resolved(size, *bounds) for bounds in (to, source))
    _check_copy(lead, _with(array.shape, axis, length), _with(array.shape, axis, count))
    _check_no_partial_overlap(lead + array.shape, len(lead) + axis, (to, length), (start, count))
    if 0 < to - start < min(length, count) and math.prod(lead):   # (an empty batch copies nothing)
        raise RuntimeError("npconv: this circular padding copies a slice of torch's result onto itself, ahead of "
                           "where it reads; torch's values then depend on its copy kernel's order (undefined)")
    array[_along(array.ndim, axis, to, length)] = array[_along(array.ndim, axis, start, count)]


def _check_no_partial_overlap(shape, axis, target, source):
    """torch's copy_ refuses a source and target in one tensor whose memory ranges partly overlap, when it
    can tell: both are dense blocks (no dim before ``axis`` longer than 1, or the whole ``axis``)."""
    outer, inner = math.prod(shape[:axis]), math.prod(shape[axis + 1:])
    dense = [outer == 1 or length == shape[axis] for _, length in (target, source)]
    if not all(dense) or not inner or not outer or not target[1] or not source[1]:
        return
    (a, n), (b, m) = target, source
    if (a, n) != (b, m) and a < b + m and b < a + n:
        raise RuntimeError("unsupported operation: some elements of the input tensor and the written-to tensor "
                           "refer to a single memory location. Please clone() the tensor before performing the "
                           "operation.")


def _resolved(size, begin, end):
    """(start, length) of a slice as Python and torch resolve it."""
    positions = range(size)[begin:end]
    return positions.start, len(positions)


def _with(shape, axis, length):
    return shape[:axis] + (length,) + shape[axis + 1:]


def _along(ndim, axis, begin, count):
    where = [slice(None)] * ndim
    where[axis] = slice(begin, begin + count)
    return tuple(where)


_CHECKS = {"reflect": _check_reflect, "replicate": _check_replicate, "circular": _check_circular}


def _source_indices(mode, size, before, after):
    """For each output position along one dim, the input position it copies (reflect and replicate)."""
    positions = np.arange(size + before + after) - before
    if mode == "reflect":
        positions = np.abs(positions)
        return np.where(positions >= size, 2 * (size - 1) - positions, positions)
    return np.clip(positions, 0, size - 1)   # replicate


def _constant_pad(array, pairs, value):
    """Crop the negative amounts, then pad the positive ones with ``value``."""
    first = array.ndim - len(pairs)
    crop = [slice(None)] * array.ndim
    widths = [(0, 0)] * array.ndim
    for i, (before, after) in enumerate(pairs):
        size = array.shape[first + i]
        crop[first + i] = slice(max(-before, 0), size - max(-after, 0))
        widths[first + i] = (max(before, 0), max(after, 0))
    cropped = array[tuple(crop)]
    if not any(b or a for b, a in widths):
        return cropped.copy()
    return np.pad(cropped, widths, constant_values=value)


def _gather_trailing(x, sources):
    """x's trailing dims (as many as ``sources`` has) gathered at the flat indices ``sources``."""
    lead = x.shape[:x.ndim - sources.ndim]
    flat = x.reshape(lead + (math.prod(x.shape[len(lead):]),))
    return np.take(flat, sources.reshape(-1), axis=-1).reshape(lead + sources.shape)


def _scatter_trailing(grad, sources, input_shape):
    """The gradient of _gather_trailing: each output's gradient added at its source (none where the source
    is -1, an element no input reached)."""
    lead = grad.shape[:grad.ndim - sources.ndim]
    flat = grad.reshape(lead + (sources.size,))
    reached = sources.reshape(-1) >= 0
    size = math.prod(input_shape[len(lead):])
    return _gather_adjoint(flat[..., reached], sources.reshape(-1)[reached], size, flat.ndim - 1).reshape(
        input_shape)


def _gather_adjoint(grad, indices, size, axis):
    """Gradient of ``np.take(x, indices, axis)``: scatter-add ``grad`` back to the ``size`` source positions."""
    moved = np.moveaxis(grad, axis, 0)
    result = np.zeros((size,) + moved.shape[1:], dtype=grad.dtype)
    np.add.at(result, indices, moved)
    return np.moveaxis(result, 0, axis)


class _Pad(Function):
    backward_name = "ConstantPadNdBackward0"

    @staticmethod
    def forward(ctx, x, pairs, mode, value):
        ctx.pairs, ctx.mode, ctx.input_shape = pairs, mode, x.shape
        if mode == "constant":
            return _constant_pad(x, pairs, value)
        if mode == "circular":
            ctx.sources = _circular_sources(x.shape, pairs)
            return _gather_trailing(x, ctx.sources)
        ctx.gathers = []
        for dim, size, before, after in _padded_dims(x.shape, pairs):
            indices = _source_indices(mode, size, before, after)
            ctx.gathers.append((dim, size, indices))
            x = np.take(x, indices, axis=dim)
        return x

    @staticmethod
    def backward(ctx, grad):
        if ctx.mode == "constant":  # cropping is padding's adjoint and the other way round
            return _constant_pad(grad, tuple((-b, -a) for b, a in ctx.pairs), 0), None, None, None
        if ctx.mode == "reflect" and len(ctx.pairs) == 3 and grad.size == 0 and math.prod(ctx.input_shape):
            # torch's 3-d reflection backward never writes its gradient then: uninitialised memory
            raise RuntimeError("npconv: the gradient of a 3-d reflection pad with an empty result is undefined "
                               "(torch returns uninitialised memory)")
        if ctx.mode == "circular":
            return _scatter_trailing(grad, ctx.sources, ctx.input_shape), None, None, None
        for dim, size, indices in reversed(ctx.gathers):
            grad = _gather_adjoint(grad, indices, size, dim)
        return grad, None, None, None



@double_backward(_Pad)
def _pad_gradient(node, g):
    """create_graph: the backward (a crop, or the scatter of the copied borders) has the padding itself as
    its adjoint; torch's reflection and replication backwards send the input zeros."""
    def pad_again(v):
        v = np.asarray(v)
        if node.mode == "constant":
            return _constant_pad(v, node.pairs, 0)
        if node.mode == "circular":
            return _gather_trailing(v, _circular_sources(node.input_shape, node.pairs))
        for dim, _, indices in node.gathers:
            v = np.take(v, indices, axis=dim)
        return v
    zero_for = (operand(node, 0),) if node.mode in ("reflect", "replicate") else ()
    return (linear_in_grad(node, g, pad_again, zero_for), None, None, None)

def _node(name):
    function = type(name, (_Pad,), {"backward_name": name, "__module__": __name__})
    if name == "CopySlices":  # a node of torch's engine itself: its name() has the namespace
        function._node_class.name = lambda node: "torch::autograd::CopySlices"
    return function


# torch's node per mode and number of padded dims (circular padding is slice copies there: CopySlices)
_NON_CONSTANT_NODES = {(mode, dims): _node(f"{kind}Pad{dims}DBackward0" if kind else "CopySlices")
                       for mode, kind in (("reflect", "Reflection"), ("replicate", "Replication"),
                                          ("circular", None)) for dims in (1, 2, 3)}
