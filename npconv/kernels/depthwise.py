"""Direct accumulation for depthwise convolutions (one input channel per group).

A depthwise layer has no channel sum for a GEMM to do: each output channel is its input channel times
one scalar per kernel offset.  With the input split by phase and flattened (geometry.py), an offset's
contribution to a whole column tile is ``wide[g, m, :] += w[g, m, offset] * phase_row[g, shift:]``,
a scaled row added to another: memory-bound, so the columns are walked in tiles that stay in cache while
every offset is added.  Channel multipliers (C_out = m * C_in) are covered; other layers are delegated
to ``tiled_gemm``.  Stride-1 input gradients are forward depthwise convolutions with the flipped kernel.
"""
import math

import numpy as np

from . import geometry as geo
from . import flipped, threads, tiled_gemm

__all__ = ["supports", "conv_forward", "conv_input_grad", "conv_weight_grad"]

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


def _starts(kernel, stride, dilation, grid):
    return tiled_gemm._offset_starts(kernel, stride, dilation, grid)


def conv_forward(x, w, stride, padding, dilation, groups):
    """Depthwise ``y[n, g*m + j, o] = sum_k w[g*m + j, 0, k] * x_padded[n, g, o * stride + k * dilation]``.

    Shapes: x (N, G, *S), w (G*m, 1, *K) -> y (N, G*m, *O), O as for any convolution.  Going forward, the
    offsets of a column tile are summed best by tiled_gemm's one small GEMM per group (a single pass over
    the output, where multiply-and-add per offset makes two passes per offset), so this delegates.
    """
    return tiled_gemm.conv_forward(x, w, stride, padding, dilation, groups)


def conv_input_grad(gy, w, input_spatial, stride, padding, dilation, groups):
    """Gradient of the depthwise ``conv_forward`` w.r.t. x: gy (N, G*m, *O) -> gx (N, G, *input_spatial)."""
    x_shape = (gy.shape[0], w.shape[1] * groups) + tuple(input_spatial)
    if not supports("input_grad", x_shape, w.shape, stride, dilation, groups):
        return tiled_gemm.conv_input_grad(gy, w, input_spatial, stride, padding, dilation, groups)
    batch = gy.shape[0]
    out_spatial, kernel = gy.shape[2:], w.shape[2:]
    input_spatial = tuple(input_spatial)
    dtype = np.result_type(gy, w)
    if 0 in gy.shape or 0 in w.shape or 0 in input_spatial:
        return np.zeros((batch, groups) + input_spatial, dtype=dtype)
    if all(s == 1 for s in stride):  # a forward depthwise convolution with the flipped kernel: one pass
        gx = flipped.input_grad_by_forward(tiled_gemm.conv_forward, gy, w, input_spatial, padding, dilation,
                                           groups)
        if gx is not None:
            return gx
    grid = geo.phase_grid(input_spatial, padding, out_spatial, kernel, stride, dilation)
    cells = batch * math.prod(grid)
    wide_gy = geo.scatter_to_wide(gy.astype(dtype, copy=False), groups, grid)  # (G, m, cells)
    weights = _offset_weights(w.astype(dtype, copy=False), groups)  # (K, G, m, 1)
    starts = _starts(kernel, stride, dilation, grid)
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
    parts = threads.workers() if length * gy.shape[1] * len(starts) >= tiled_gemm.PARALLEL_MIN_MACS else 1
    threads.run_parallel(run_groups, threads.split(groups, parts))
    phases = phases.reshape(tuple(stride) + (groups, 1, batch) + grid)
    return geo.from_phases(phases, padding, stride, input_spatial)


def conv_weight_grad(x, gy, kernel_spatial, stride, padding, dilation, groups):
    """Gradient of the depthwise ``conv_forward`` w.r.t. w: -> gw (G*m, 1, *kernel_spatial).

    One row-wise dot product per offset: ``gw[g, j, k] = <gy_wide[g, j, :], phase_row[g, shift:]>``.
    """
    kernel = tuple(kernel_spatial)
    w_shape = (gy.shape[1], 1) + kernel
    if not supports("weight_grad", x.shape, w_shape, stride, dilation, groups):
        return tiled_gemm.conv_weight_grad(x, gy, kernel_spatial, stride, padding, dilation, groups)
    batch = x.shape[0]
    c_out = gy.shape[1]
    spatial, out_spatial = x.shape[2:], gy.shape[2:]
    dtype = np.result_type(x, gy)
    if 0 in x.shape or 0 in gy.shape or 0 in kernel:
        return np.zeros((c_out, 1) + kernel, dtype=dtype)
    grid = geo.phase_grid(spatial, padding, out_spatial, kernel, stride, dilation)
    phases = tiled_gemm._phase_input(x.astype(dtype, copy=False), groups, padding, stride, grid, kernel, dilation)
    wide_gy = geo.scatter_to_wide(gy.astype(dtype, copy=False), groups, grid)  # zeros past each row
    starts = _starts(kernel, stride, dilation, grid)
    length = geo.wide_length(batch, out_spatial, grid)
    grads = np.empty((len(starts), groups, c_out // groups), dtype=dtype)
    rows = wide_gy[:, :, :length]
    for index, (phase, start) in enumerate(starts):
        # (G, m, L) . (G, L) per group: a batched matrix-vector product, BLAS sgemv
        np.matmul(rows, phases[phase][:, 0, start:start + length, np.newaxis], out=grads[index, :, :, np.newaxis])
    return np.ascontiguousarray(grads.reshape((len(starts), c_out)).T).reshape((c_out, 1) + kernel)
