"""One matrix product split over the kernel threads (no Tensor, no autograd).

BLAS runs one thread per call once the kernel threads have started (see threads.py), so a lone GEMM, a
linear layer's forward or one of its two backward products, would use one core.  ``matmul`` cuts the
product into blocks of output rows (or columns, when there are few rows), one per kernel thread; each block
is an independent BLAS call on a slice, written into its part of the result.
"""
import numpy as np

from . import threads

__all__ = ["matmul"]


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
