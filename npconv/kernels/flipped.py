"""Stride-1 input gradients as forward convolutions, so forward-only algorithms serve them too.

For stride 1, ``gx[i] = sum_k gy[i + before - k * dilation] * w[k]``: a forward convolution of ``gy`` with
the kernel flipped in space and its channel axes swapped per group, padded by
``(dilation * (K - 1) - before, S - O + before)`` per dim.  When a padding comes out negative (an input
padding wider than the dilated kernel) the caller falls back to a general algorithm.
"""
import numpy as np

__all__ = ["input_grad_padding", "flipped_weight", "input_grad_by_forward"]


def input_grad_padding(input_spatial, out_spatial, kernel, padding, dilation):
    """The (before, after) padding of the equivalent forward convolution, or None if one is negative."""
    pairs = tuple((dl * (k - 1) - before, size - out + before)
                  for size, out, k, (before, _), dl in zip(input_spatial, out_spatial, kernel, padding, dilation))
    return pairs if all(b >= 0 and a >= 0 for b, a in pairs) else None


def flipped_weight(w, groups):
    """``w`` (C_out, C_in/G, *K) -> (C_in, C_out/G, *K): channels swapped within each group, flipped in space."""
    c_out, per_group = w.shape[:2]
    kernel = w.shape[2:]
    d = len(kernel)
    grouped = w.reshape((groups, c_out // groups, per_group) + kernel).swapaxes(1, 2)
    flipped = grouped[(Ellipsis,) + (slice(None, None, -1),) * d]
    return np.ascontiguousarray(flipped).reshape((groups * per_group, c_out // groups) + kernel)


def input_grad_by_forward(forward, gy, w, input_spatial, padding, dilation, groups):
    """``conv_input_grad`` for stride 1 through an algorithm's ``forward(x, w, out_spatial, stride, padding,
    dilation, groups)``; None when the equivalent padding would be negative."""
    input_spatial = tuple(input_spatial)
    pairs = input_grad_padding(input_spatial, gy.shape[2:], w.shape[2:], padding, dilation)
    if pairs is None:
        return None
    stride = (1,) * len(pairs)
    return forward(gy, flipped_weight(w, groups), input_spatial, stride, pairs, tuple(dilation), groups)
