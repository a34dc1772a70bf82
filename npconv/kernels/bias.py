"""A convolution's bias: added to its output, and its gradient (the output gradient summed per channel),
both one pass over an (N, C, *S) array, split over the kernel threads (images, or channels for a batch
smaller than the threads: batch-1 inference)."""
import numpy as np

from . import threads

__all__ = ["add_bias", "bias_grad"]


def _parts(a):
    """(axis, ranges) splitting ``a`` (N, C, ...) for the kernel threads, or (0, [whole]) when small."""
    ranges = threads.pieces(a.shape[0] * a.shape[1], a.size, threads.PARALLEL_MIN_COPY)
    if len(ranges) < 2:
        return 0, [(0, a.shape[0])]
    axis = 0 if a.shape[0] >= len(ranges) else 1
    return axis, threads.split(a.shape[axis], len(ranges))


def add_bias(y, b):
    """``y += b`` per channel, in place: y (N, C, *S), b (C,)."""
    per_channel = b.reshape((1, -1) + (1,) * (y.ndim - 2))
    axis, ranges = _parts(y)

    def add(piece):
        part = (slice(None),) * axis + (slice(*piece),)
        y[part] += per_channel[part] if axis == 1 else per_channel
    threads.run_parallel(add, ranges)
    return y


def bias_grad(gy):
    """``gy`` (N, C, *S) summed over every axis but the channels: (C,)."""
    axes = (0,) + tuple(range(2, gy.ndim))
    axis, ranges = _parts(gy)
    if axis == 1:
        sums = threads.run_parallel(lambda piece: gy[:, piece[0]:piece[1]].sum(axis=axes), ranges)
        return np.concatenate(sums)
    return sum(threads.run_parallel(lambda piece: gy[piece[0]:piece[1]].sum(axis=axes), ranges))
