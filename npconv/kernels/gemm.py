"""One matrix product split over the kernel threads (no Tensor, no autograd).

BLAS runs one thread per call once the kernel threads have started (see threads.py), so a lone GEMM, a
linear layer's forward or one of its two backward products, would use one core.  ``matmul`` cuts the
product into blocks of output rows (or columns, when there are few rows), one per kernel thread; each block
is an independent BLAS call on a slice, written into its part of the result.
"""
import math

import numpy as np

from . import threads

__all__ = ["matmul", "larger_rows_first", "small_product", "MATMUL_GIL_MAX_RESULT"]


def matmul(a, b):
    """``a @ b`` for 2-d ``a`` (M, K) and ``b`` (K, N), the blocks of the result on the kernel threads when
    the product is large; anything else is ``np.matmul`` as is."""
    if a.ndim != 2 or b.ndim != 2 or a.dtype != b.dtype or a.dtype.kind != "f":
        return a @ b
    rows, inner = a.shape
    columns = b.shape[1]
    by_rows = rows >= columns
    ranges = threads.pieces(rows if by_rows else columns, rows * inner * columns)
    if len(ranges) < 2:
        return a @ b
    out = np.empty((rows, columns), dtype=a.dtype)

    def block(bounds):
        start, stop = bounds
        if by_rows:
            np.matmul(a[start:stop], b, out=out[start:stop])
        else:
            out[:, start:stop] = a @ b[:, start:stop]
    threads.run_parallel(block, ranges)
    return out


def larger_rows_first(rows_a, rows_b):
    """For a product ``a @ b^T`` with a long inner dimension (a weight gradient's sum over positions), whether
    to multiply ``b @ a^T`` instead and transpose the (weight-sized) result: OpenBLAS runs these products
    faster with the larger row count as its M.  Measured (one thread, CPU time, the suite's weight gradients,
    columns of C_in/G x offsets rows against gy's C_out/G): 0.66-0.97x the time (transposed 2x up 7.2 -> 6.3
    ms by tiled GEMM, 3-d 10.7 -> 7.6, grouped 11.2 -> 8.5; 3x3 stride-2, 1152 against 256 rows, 1.0x);
    1x1 layers 256 -> 64 0.89x, 16 -> 2 0.78x; the other way round 64 -> 256 1.10x, 512 -> 2048 at 7x7 2.7x."""
    return rows_b > rows_a


# NumPy's matmul keeps the GIL for the whole product when its result has at most this many elements, however
# long the inner dimension, so two kernel threads multiplying at once (a weight gradient's sums over
# positions, split by positions) ran one after the other.  Measured (NumPy 2.4, two threads each repeating
# the product, share of each thread's time spent waiting asleep): (25, 18432) @ (18432, 20) (LeNet conv1's
# weight gradient, 500 results) 0.34; with 21 columns (525) 0.03.  np.dot releases it at any size but copies
# strided operands (1.7x matmul's time on that product's strided views).
MATMUL_GIL_MAX_RESULT = 500


def small_product(a, b):
    """``np.matmul(a, b)`` for ``a`` (..., M, K) and ``b`` (..., K, N), letting the other kernel threads run:
    a result of at most MATMUL_GIL_MAX_RESULT elements is computed as a batch of products over parts of the
    inner dimension (views, no copy), a result large enough for matmul to release the GIL, then summed."""
    lead = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    inner = a.shape[-1]
    parts = MATMUL_GIL_MAX_RESULT // max(1, math.prod(lead) * a.shape[-2] * b.shape[-1]) + 1
    if parts == 1 or inner < parts:
        return np.matmul(a, b)
    length = inner // parts
    a_parts = _inner_parts(a, parts, length, a.ndim - 1)
    b_parts = _inner_parts(b, parts, length, b.ndim - 2)
    total = np.matmul(a_parts, b_parts).sum(axis=-3)
    if parts * length < inner:
        total += np.matmul(a[..., parts * length:], b[..., parts * length:, :])
    return total


def _inner_parts(array, parts, length, axis):
    """A view of ``array`` with its first ``parts * length`` entries along ``axis`` (the inner dimension) as
    ``parts`` products' operands, a new axis before the two matrix axes."""
    strides = array.strides[:-2] + (length * array.strides[axis],) + array.strides[-2:]
    shape = list(array.shape)
    shape[axis] = length
    shape = tuple(shape[:-2]) + (parts,) + tuple(shape[-2:])
    return np.lib.stride_tricks.as_strided(array, shape, strides, writeable=False)
