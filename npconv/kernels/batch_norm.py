"""Batch normalisation of ``(N, C, S)`` arrays, per channel over ``(N, S)`` (no Tensor, no autograd).

The output is written as PyTorch's CPU kernel writes it, ``y = x * alpha + beta`` with per-channel
``alpha = weight / sqrt(var + eps)`` and ``beta = bias - mean * alpha``: two passes over the data instead of
the five of ``(x - mean) / sqrt(var + eps) * weight + bias``.  The backward is PyTorch's formula,
``dx = (dy - mean(dy) - (x - mean) * k) * invstd * weight`` with ``k = sum(dy * (x - mean)) * invstd^2 / M``,
from the saved input (no normalised copy is kept between forward and backward).

Channels are independent, so the work is split into blocks of channels, run on the kernel threads; a
block holds about ``BLOCK_ELEMENTS`` elements, so that its temporaries stay in cache between passes.
"""
import numpy as np

from . import threads

__all__ = ["train_forward", "train_backward", "affine", "BLOCK_ELEMENTS"]

BLOCK_ELEMENTS = 2**17
# element operations per element of input in a forward or backward (cost for the parallel threshold)
_PASSES = 8


def _blocks(x3):
    """Channel ranges of about BLOCK_ELEMENTS elements each (whole channels)."""
    n, c, s = x3.shape
    per_block = max(1, BLOCK_ELEMENTS // max(1, n * s))
    return threads.split(c, -(-c // per_block))


def _run(task, x3, parallel=None):
    """``task`` over every block: on the kernel threads when the work is worth splitting (``parallel``;
    default: its _PASSES element operations per element reach PARALLEL_MIN_MACS), else one after the other
    here; cache-sized blocks either way, so that a block's passes read it from cache (a 1.6M-float
    evaluation batch norm in one block: 0.65 ms, two passes from memory)."""
    blocks = _blocks(x3)
    if parallel is None:
        parallel = _PASSES * x3.size >= threads.PARALLEL_MIN_MACS
    if len(blocks) < 2 or not parallel:
        for bounds in blocks:
            task(bounds)
        return
    threads.run_parallel(task, threads.split(x3.shape[1], max(threads.workers(), len(blocks))))


def train_forward(x3, weight, bias, eps):
    """``(y, mean, biased var, invstd)`` of a training-mode batch norm; ``weight``/``bias`` (C,) or None."""
    c = x3.shape[1]
    y = np.empty_like(x3)
    mean, var, invstd = (np.empty(c, dtype=x3.dtype) for _ in range(3))

    def block(bounds):
        c0, c1 = bounds
        xb = x3[:, c0:c1]
        m = xb.mean(axis=(0, 2))
        centered = xb - m[:, None]
        np.multiply(centered, centered, out=centered)
        v = centered.mean(axis=(0, 2))
        inv = 1 / np.sqrt(v + x3.dtype.type(eps))
        mean[c0:c1], var[c0:c1], invstd[c0:c1] = m, v, inv
        _affine_block(xb, y[:, c0:c1], m, inv, weight, bias, c0, c1)
    _run(block, x3)
    return y, mean, var, invstd


def affine(x3, mean, invstd, weight, bias):
    """``(x - mean) * invstd * weight + bias`` per channel, written as ``x * alpha + beta`` (evaluation)."""
    y = np.empty_like(x3)

    def block(bounds):
        c0, c1 = bounds
        _affine_block(x3[:, c0:c1], y[:, c0:c1], mean[c0:c1], invstd[c0:c1], weight, bias, c0, c1)
    # two passes, as a copy's: split from a copy's size (wall, 1 -> 2 threads, 2**19 elements 0.10 -> 0.16 ms,
    # 2**20 0.20 -> 0.24, 2**21 0.48-0.51 -> 0.39-0.48, 2**22 1.4-1.7 -> 0.9-1.5)
    _run(block, x3, parallel=x3.size >= threads.PARALLEL_MIN_COPY)
    return y


def _affine_block(xb, yb, mean, invstd, weight, bias, c0, c1):
    alpha = invstd if weight is None else invstd * weight[c0:c1]
    beta = -mean * alpha if bias is None else bias[c0:c1] - mean * alpha
    np.multiply(xb, alpha.astype(xb.dtype, copy=False)[:, None], out=yb)
    yb += beta.astype(xb.dtype, copy=False)[:, None]


def train_backward(dy3, x3, mean, invstd, weight, need_input=True):
    """``(dx or None, dweight, dbias)`` of ``train_forward`` (``dweight`` None without a weight)."""
    n, c, s = x3.shape
    count = n * s
    dx = np.empty_like(x3) if need_input else None
    dot, total = np.empty(c, dtype=x3.dtype), np.empty(c, dtype=x3.dtype)

    def block(bounds):
        c0, c1 = bounds
        xb, dyb = x3[:, c0:c1], dy3[:, c0:c1]
        sum_dy = dyb.sum(axis=(0, 2))
        centered = xb - mean[c0:c1, None]
        product = centered * dyb
        dot_p = product.sum(axis=(0, 2))
        dot[c0:c1], total[c0:c1] = dot_p, sum_dy
        if dx is None:
            return
        inv = invstd[c0:c1]
        k = dot_p * inv * inv / count
        np.multiply(centered, k[:, None], out=centered)
        gx = dx[:, c0:c1]
        np.subtract(dyb, (sum_dy / count)[:, None], out=gx)
        gx -= centered
        gx *= (inv if weight is None else inv * weight[c0:c1])[:, None]
    _run(block, x3)
    return dx, None if weight is None else dot * invstd, total
