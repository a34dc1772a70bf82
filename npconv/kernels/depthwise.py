"""Direct accumulation for depthwise convolutions (one input channel per group).

A depthwise layer has no channel sum for a GEMM to do: each output channel is its input channel times
one scalar per kernel offset.  With the input split by phase and flattened (geometry.py), an offset's
contribution to a whole column tile is ``wide[g, m, :] += w[g, m, offset] * phase_row[g, shift:]``,
a scaled row added to another: memory-bound, so the columns are walked in tiles that stay in cache while
every offset is added.  Channel multipliers (C_out = m * C_in) are covered.  Stride-1 input gradients are
forward depthwise convolutions with the flipped kernel, which tiled GEMM's one small GEMM per group runs
in a single pass over the output; going forward that wins too, so this module has no forward (the
dispatcher hands depthwise forwards, and other layers, to the general algorithm).
"""
import math

import numpy as np

from . import geometry as geo
from . import flipped, threads, tiled_gemm

__all__ = ["supports", "conv_input_grad", "conv_weight_grad"]

# The weight gradient multiplies the zeros past each output row (the wide layout) by the input there: an
# inf or NaN in the input would give NaN where a direct sum gives a number.
NEEDS_FINITE = frozenset({"weight_grad"})

# Elements of one accumulator tile (channels x columns): about 256 KB of float32, an L2-sized block.
TILE_ELEMENTS = 64 * 1024


def supports(operation, x_shape, w_shape, stride, dilation, groups):
    """True for depthwise layers: one input channel per group."""
    return groups > 1 and w_shape[1] == 1 and x_shape[1] == groups


def _tiles(length, rows):
    columns = max(128, TILE_ELEMENTS // max(1, rows))
    return ((start, min(start + columns, length)) for start in range(0, length, columns))


def _offset_weights(w, groups):
    """``w`` (G*m, 1, *K) as ``(prod(K), G, m, 1)``: one column of scalars per offset, broadcastable on rows."""
    c_out = w.shape[0]
    return np.ascontiguousarray(w.reshape(groups, c_out // groups, -1).transpose(2, 0, 1))[..., np.newaxis]


def conv_input_grad(gy, w, input_spatial, stride, padding, dilation, groups):
    """Gradient of a depthwise convolution w.r.t. x: gy (N, G*m, *O) -> gx (N, G, *input_spatial)."""
    batch = gy.shape[0]
    out_spatial, kernel = gy.shape[2:], w.shape[2:]
    input_spatial = tuple(input_spatial)
    dtype = gy.dtype
    if all(s == 1 for s in stride):  # a forward depthwise convolution with the flipped kernel: one pass
        gx = flipped.input_grad_by_forward(tiled_gemm.conv_forward, gy, w, input_spatial, padding, dilation,
                                           groups)
        if gx is not None:
            return gx
    grid = geo.phase_grid(input_spatial, padding, out_spatial, kernel, stride, dilation)
    cells = batch * math.prod(grid)
    wide_gy = geo.scatter_to_wide(gy, groups, grid)  # (G, m, cells)
    weights = _offset_weights(w, groups)  # (K, G, m, 1)
    starts = geo.offset_starts(kernel, stride, dilation, grid)
    length = geo.wide_length(batch, out_spatial, grid)
    multiplier = gy.shape[1] // groups
    phases = np.zeros(tuple(stride) + (groups, 1, cells), dtype=dtype)

    def run_groups(piece):  # threads own disjoint channels
        first, stop = piece
        count = stop - first
        scratch = np.empty((count, multiplier, min(length, max(128, TILE_ELEMENTS // count))), dtype=dtype)
        for begin, end in _tiles(length, count):
            rows = wide_gy[first:stop, :, begin:end]
            term = scratch[:, :, :end - begin]
            for index, (phase, start) in enumerate(starts):
                target = phases[phase][first:stop, :, start + begin:start + end]
                np.multiply(rows, weights[index, first:stop], out=term)
                if multiplier == 1:
                    target += term
                else:
                    target += term.sum(axis=1, keepdims=True)
    threads.run_parallel(run_groups, threads.pieces(groups, length * gy.shape[1] * len(starts)))
    phases = phases.reshape(tuple(stride) + (groups, 1, batch) + grid)
    return geo.from_phases(phases, padding, stride, input_spatial)


def conv_weight_grad(x, gy, kernel_spatial, stride, padding, dilation, groups):
    """Gradient of a depthwise convolution w.r.t. w: -> gw (G*m, 1, *kernel_spatial).

    One row-wise dot product per offset: ``gw[g, j, k] = <gy_wide[g, j, :], phase_row[g, shift:]>``.  The
    kernel threads take ranges of channels, each from its own channels' copies of x and gy on.
    """
    kernel = tuple(kernel_spatial)
    multiplier = gy.shape[1] // groups
    gw = np.empty((gy.shape[1], 1) + kernel, dtype=x.dtype)

    def run_channels(piece):
        first, stop = piece
        gw[first * multiplier:stop * multiplier] = _weight_grad_of_channels(
            x[:, first:stop], gy[:, first * multiplier:stop * multiplier], kernel, stride, padding, dilation,
            stop - first)
    threads.run_parallel(run_channels, threads.pieces(groups, gy.size * math.prod(kernel)))
    return gw


def _weight_grad_of_channels(x, gy, kernel, stride, padding, dilation, groups):
    batch = x.shape[0]
    c_out = gy.shape[1]
    spatial, out_spatial = x.shape[2:], gy.shape[2:]
    grid = geo.phase_grid(spatial, padding, out_spatial, kernel, stride, dilation)
    phases = geo.flat_phases(x, groups, padding, stride, grid, kernel, dilation)
    wide_gy = geo.scatter_to_wide(gy, groups, grid)  # zeros past each row
    starts = geo.offset_starts(kernel, stride, dilation, grid)
    length = geo.wide_length(batch, out_spatial, grid)
    grads = np.empty((len(starts), groups, c_out // groups), dtype=x.dtype)
    rows = wide_gy[:, :, :length]
    for index, (phase, start) in enumerate(starts):
        # (G, m, L) . (G, L) per group: a batched matrix-vector product, BLAS sgemv
        np.matmul(rows, phases[phase][:, 0, start:start + length, np.newaxis], out=grads[index, :, :, np.newaxis])
    return np.ascontiguousarray(grads.reshape((len(starts), c_out)).T).reshape((c_out, 1) + kernel)
