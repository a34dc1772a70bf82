"""Element-wise kernels of autograd's hot paths: a masked select and a concatenation (no Tensor, no autograd).

``np.where(drop, 0, values)`` branches on every element: on a random mask (a ReLU's, a max pool's) the
branch is mispredicted half the time and the call runs ~10x slower than a multiplication.  A multiplication
by the mask is not exact (inf * 0 is NaN, -x * 0 is -0.0), so ``zero_where`` ANDs the values' bits with a
mask of all ones or all zeros instead: exactly ``values`` where kept and +0.0 where dropped, branch-free.
"""
import numpy as np

from . import threads

__all__ = ["zero_where", "zero_where_compared", "relu", "clamp_negative_in_place", "concatenate"]

_BITS = {2: np.uint16, 4: np.uint32, 8: np.uint64}
# below this many elements no call is split (and the thread setting is not even looked up)
_SPLIT_MIN_ELEMENTS = 2**16
# elements per step of clamp_negative_in_place: its mask stays in the core's cache
_BLOCK_ELEMENTS = 2**16


def zero_where(values, drop):
    """``np.where(drop, 0, values)`` (a new array of ``drop``'s shape; ``values`` broadcasts to it)."""
    bits = _BITS.get(values.dtype.itemsize) if values.dtype.kind == "f" else None
    if bits is None or drop.dtype != np.bool_ or np.broadcast_shapes(values.shape, drop.shape) != drop.shape:
        return np.where(drop, values.dtype.type(0), values)
    out = np.empty(drop.shape, dtype=values.dtype)
    values = np.broadcast_to(values, drop.shape)
    ranges = threads.pieces(out.size, 4 * out.size) if out.size >= _SPLIT_MIN_ELEMENTS else ()
    if len(ranges) < 2 or not (values.flags.c_contiguous and drop.flags.c_contiguous):
        _zero_where_into(values, drop, out, bits)   # one call over the whole arrays (views of any strides)
        return out
    flat = [a.reshape(-1) for a in (values, drop, out)]

    def piece(bounds):
        start, stop = bounds
        _zero_where_into(flat[0][start:stop], flat[1][start:stop], flat[2][start:stop], bits)
    threads.run_parallel(piece, ranges)
    return out


def zero_where_compared(values, reference, compare):
    """``zero_where(values, compare(reference, 0))``, the comparison done in each piece on the kernel threads:
    ReLU is ``zero_where_compared(x, x, np.less)`` (-0.0 and NaN kept, as torch's), its backward
    ``zero_where_compared(grad, y, np.less_equal)``."""
    bits = _BITS.get(values.dtype.itemsize) if values.dtype.kind == "f" else None
    zero = reference.dtype.type(0)
    if bits is None or values.shape != reference.shape:
        return zero_where(values, compare(reference, zero))
    out = np.empty_like(values)   # in the input's layout, as torch's elementwise results
    ranges = threads.pieces(out.size, 5 * out.size) if out.size >= _SPLIT_MIN_ELEMENTS else ()
    if len(ranges) < 2 or not (values.flags.c_contiguous and reference.flags.c_contiguous):
        _zero_where_into(values, compare(reference, zero), out, bits)   # one call (views of any strides)
        return out
    flat = [a.reshape(-1) for a in (values, reference, out)]

    def piece(bounds):
        start, stop = bounds
        value, ref, target = (a[start:stop] for a in flat)
        _zero_where_into(value, compare(ref, zero), target, bits)
    threads.run_parallel(piece, ranges)
    return out


# NumPy's maximum runs its SIMD loop only over two arrays (a scalar operand takes a loop 2-3x slower): ReLU
# takes the maximum with this many zeros at a time, a 2-d broadcast of one block (one call, any length).
_ZERO_BLOCK = 2**14
_zero_blocks = {}
_maximum_is_relu = {}


def relu(x, out=None):
    """``x`` unless ``x < 0`` (-0.0 and NaN kept, +0.0 where dropped, as torch's), into ``out`` (``x`` itself
    for the in-place form) or a new array in ``x``'s layout: ``np.maximum(0, x)``, which returns its second
    operand on ties and NaN, over a block of zeros at a time (0.27 -> 0.14 ms for 800K floats, one thread),
    where NumPy does so (``_maximum_keeps_ties``); else the branch-free mask of ``zero_where_compared``."""
    if x.dtype.kind != "f" or not x.flags.c_contiguous or not _maximum_keeps_ties(x.dtype):
        if out is x:
            return clamp_negative_in_place(x)
        return zero_where_compared(x, x, np.less)
    out = np.empty_like(x) if out is None else out
    flat, target = x.reshape(-1), out.reshape(-1)
    zeros = _zero_block(x.dtype)

    def piece(bounds):
        start, stop = bounds
        whole = start + (stop - start) // _ZERO_BLOCK * _ZERO_BLOCK
        if whole > start:
            np.maximum(zeros, flat[start:whole].reshape(-1, _ZERO_BLOCK),
                       out=target[start:whole].reshape(-1, _ZERO_BLOCK))
        np.maximum(zeros[:stop - whole], flat[whole:stop], out=target[whole:stop])
    # one pass, as a copy's: split from a copy's size
    threads.run_parallel(piece, threads.pieces(flat.size, flat.size, threads.PARALLEL_MIN_COPY))
    return out


def _zero_block(dtype):
    block = _zero_blocks.get(dtype)
    if block is None:
        block = _zero_blocks[dtype] = np.zeros(_ZERO_BLOCK, dtype)
        block.flags.writeable = False
    return block


def _maximum_keeps_ties(dtype):
    """Whether ``np.maximum(0, x)`` keeps x's -0.0 and NaN (sign included) on this machine's SIMD loop and its
    tail: checked once per dtype on a block with the special values at the start, middle and end."""
    if dtype not in _maximum_is_relu:
        probe = np.tile(np.array([-0.0, np.nan, -np.nan, -1.0, 2.0, -np.inf], dtype), 1001)[:3 * _ZERO_BLOCK // 8 + 5]
        probe = np.concatenate([probe, probe[::-1]])
        expected = np.where(np.less(probe, 0), dtype.type(0), probe)
        result = np.maximum(np.zeros_like(probe), probe)
        _maximum_is_relu[dtype] = bool(np.array_equal(result, expected, equal_nan=True)
                                       and np.array_equal(np.signbit(result), np.signbit(expected)))
    return _maximum_is_relu[dtype]


def clamp_negative_in_place(x):
    """``x`` unless ``x < 0`` (-0.0 and NaN kept), written into ``x`` itself (a writeable array): ReLU's
    in-place form, one read and one write of ``x`` (its mask made a cache-sized block at a time)."""
    bits = _BITS.get(x.dtype.itemsize) if x.dtype.kind == "f" else None
    if bits is None or not x.flags.c_contiguous:
        np.copyto(x, x.dtype.type(0), where=np.less(x, x.dtype.type(0)))
        return x
    flat = x.reshape(-1)
    zero = x.dtype.type(0)

    def piece(bounds):
        for start in range(bounds[0], bounds[1], _BLOCK_ELEMENTS):
            block = flat[start:min(start + _BLOCK_ELEMENTS, bounds[1])]
            mask = np.subtract(np.less(block, zero).view(np.uint8), 1, dtype=bits, casting="unsafe")
            np.bitwise_and(block.view(bits), mask, out=block.view(bits))
    ranges = threads.pieces(flat.size, 4 * flat.size) if flat.size >= _SPLIT_MIN_ELEMENTS else [(0, flat.size)]
    threads.run_parallel(piece, ranges)
    return x


def _zero_where_into(values, drop, out, bits):
    mask = out.view(bits)
    # bool 1 (drop) - 1 = 0, bool 0 (keep) - 1 wraps to all ones
    np.subtract(drop.view(np.uint8), 1, out=mask, dtype=bits, casting="unsafe")
    np.bitwise_and(mask, values.view(bits), out=mask)


def concatenate(arrays, axis):
    """``np.concatenate(arrays, axis)``, a large result copied on the kernel threads in blocks of its
    leading dim (each block one ``np.concatenate`` of the inputs' slices) when ``axis`` is not that dim."""
    first = arrays[0]
    total = sum(a.size for a in arrays)
    ranges = threads.pieces(first.shape[0], total) if axis > 0 and first.ndim > 1 else []
    if len(ranges) < 2:
        return np.concatenate(arrays, axis=axis)
    shape = list(first.shape)
    shape[axis] = sum(a.shape[axis] for a in arrays)
    out = np.empty(shape, dtype=np.result_type(*arrays))

    def block(bounds):
        start, stop = bounds
        np.concatenate([a[start:stop] for a in arrays], axis=axis, out=out[start:stop])
    threads.run_parallel(block, ranges)
    return out
