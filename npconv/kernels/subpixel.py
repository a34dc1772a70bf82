"""Sub-pixel input gradient: a strided input gradient (a transposed convolution's forward) as one stride-1
forward of the output gradient, every output phase's weights stacked as output channels.

Input position ``i = q * s + r`` (phase ``r`` along a dim of stride ``s``) receives ``gy[m] * w[k]`` for
``m * s + k - before = i``: only the offsets ``k = k0 + s * j`` with ``k0 = (r + before) % s`` reach the phase,
each from ``m = q + c - j`` (``c = (r + before - k0) / s``).  With ``K = s * J``, every phase has J such
offsets and reads the same J-wide window of gy ending at ``q + c``: shifting each phase's positions by its
``c``, the whole input gradient is one stride-1 correlation of gy with a (phases x C_in)-row, J-wide kernel,
followed by a copy of each phase's rows to its positions (the pixel shuffle).  Tiled GEMM's col2im instead
multiplies every offset's rows by gy and adds each product into its phase: K / s additions per input value
(one thread, CPU time, the suite's transposed 2x up-sampling, 4x4 stride 2, 64 -> 32 channels at 28x28:
tiled GEMM 8.7 ms, of which 1.8 in those additions; here 7.4: the forward's GEMMs and its one addition 5.5,
its tile copies 0.5, the shuffle 0.65).  The forward is the one the chooser picks for a stride-1 layer.

Every input value is the sum over exactly its offsets' products; the padding of gy around the window is
multiplied by real weights: a weight holding inf or NaN would give NaN there where a direct sum gives a
number (NEEDS_FINITE).  Dilation 1 only, and kernels a multiple of the stride along each dim (others would
give some phases fewer offsets, computed as zero weights).
"""
import math

import numpy as np

from . import chooser, threads

__all__ = ["supports", "conv_input_grad"]

NEEDS_FINITE = frozenset({"input_grad"})

# The shuffle scatters every phase to every s-th position: about 7x a contiguous copy's time per element (0.65
# ms for the suite's 0.8 M floats, one thread), so it pays to split it over the kernel threads from a
# proportionally smaller size than threads.PARALLEL_MIN_COPY.
SHUFFLE_MIN_PARALLEL = threads.PARALLEL_MIN_COPY // 4


def supports(operation, x_shape, w_shape, stride, dilation, groups):
    """Strided input gradients, undilated, whose kernel is a multiple of the stride (and wider) along each dim."""
    kernel = w_shape[2:]
    return (operation == "input_grad" and any(s > 1 for s in stride) and all(dl == 1 for dl in dilation)
            and all(k % s == 0 for k, s in zip(kernel, stride)) and any(k > s for k, s in zip(kernel, stride)))


def _phases_along(size, before, stride, taps):
    """Per phase ``r`` of a dim: ``(k0, c, count)`` (first offset, window end shift, input positions)."""
    phases = []
    for r in range(stride):
        k0 = (r + before) % stride
        phases.append((k0, (r + before - k0) // stride, -(-(size - r) // stride) if size > r else 0))
    return phases


def _stacked_weight(w, groups, per_dim, stride):
    """``w`` (C_out, C_in/G, *K) as the forward kernel ``(G * phases * C_in/G, C_out/G, *J)``: for phase r,
    tap ``j`` is offset ``k0 + s * (J - 1 - j)`` (a correlation, so the window's last tap is the nearest)."""
    c_out, per_group_in = w.shape[:2]
    kernel = w.shape[2:]
    grouped = w.reshape((groups, c_out // groups, per_group_in) + kernel).swapaxes(1, 2)
    blocks = []
    for phase in np.ndindex(*stride):
        taps = tuple(slice(dim[r][0] + s * (k // s - 1), dim[r][0] - 1 if dim[r][0] else None, -s)
                     for dim, r, k, s in zip(per_dim, phase, kernel, stride))
        blocks.append(grouped[(Ellipsis,) + taps])
    stacked = np.stack(blocks, axis=1)  # (G, phases, C_in/G, C_out/G, *J)
    return np.ascontiguousarray(stacked).reshape((-1, c_out // groups) + stacked.shape[4:])


def conv_input_grad(gy, w, input_spatial, stride, padding, dilation, groups):
    """Same contract as ``tiled_gemm.conv_input_grad``: gy (N, C_out, *O) -> gx (N, C_in, *input_spatial)."""
    batch = gy.shape[0]
    kernel = w.shape[2:]
    per_group_in = w.shape[1]
    out_spatial = gy.shape[2:]
    per_dim = [_phases_along(size, before, s, k // s)
               for size, (before, _), s, k in zip(input_spatial, padding, stride, kernel)]
    taps = tuple(k // s for k, s in zip(kernel, stride))
    # the forward's outputs t = q + c - first cover every phase's positions; it reads gy at t + first - J + 1 + j
    first = tuple(min(c for _, c, count in dim if count) for dim in per_dim)
    last = tuple(max(c + count for _, c, count in dim if count) for dim in per_dim)
    lengths = tuple(b - a for a, b in zip(first, last))
    start = tuple(a - j + 1 for a, j in zip(first, taps))  # gy position of the first window's first tap
    crop = tuple(slice(max(0, p), None) for p in start)
    source = gy[(Ellipsis,) + crop]
    pads = tuple((max(0, -p), max(0, length + j - 1 - max(0, -p) - o))
                 for p, length, j, o in zip(start, lengths, taps, source.shape[2:]))
    weight = _stacked_weight(w, groups, per_dim, stride)
    forward = chooser.ALGORITHMS[chooser.automatic("forward", source.shape, weight.shape, lengths, (1,) * len(stride),
                                                   groups, (1,) * len(stride))]
    product = forward.conv_forward(source, weight, lengths, (1,) * len(stride), pads, (1,) * len(stride), groups)
    phases = product.reshape((batch, groups, math.prod(stride), per_group_in) + lengths)
    gx = np.empty((batch, groups * per_group_in) + tuple(input_spatial), dtype=product.dtype)
    gx_grouped = gx.reshape((batch, groups, per_group_in) + tuple(input_spatial))

    def shuffle(images):  # each phase's rows to its input positions
        for index, phase in enumerate(np.ndindex(*stride)):
            at = tuple(slice(r, None, s) for r, s in zip(phase, stride))
            rows = tuple(slice(dim[r][1] - a, dim[r][1] - a + dim[r][2]) for dim, r, a in zip(per_dim, phase, first))
            gx_grouped[(slice(*images), Ellipsis) + at] = phases[(slice(*images), slice(None), index, Ellipsis) + rows]
    threads.run_parallel(shuffle, threads.pieces(batch, gx.size, SHUFFLE_MIN_PARALLEL))
    return gx
