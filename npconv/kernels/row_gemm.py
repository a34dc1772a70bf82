"""Kernel-row GEMM: one GEMM per kernel row, only the last kernel dim folded into the inner dimension.

Tiled GEMM copies, for every column, all ``prod(K) * C/G`` input values its window reads, and multiplies the
tile once.  With few input channels that copy is most of the work: the 5x5 layer of 6 -> 16 channels copies
150 values per column for a GEMM of only 16 output rows.  Here a tile holds only the last kernel dim's
offsets (``K[-1] * C/G`` rows, 30 for that layer), over the input rows of the tile's outputs plus the
kernel's overhang: every offset of the leading kernel dims (a kernel row) reads those rows at a fixed flat
shift (the padded input flattened per image, as in shifted GEMM), so its columns are a view of the tile,
and the output is the sum of one GEMM per kernel row on views.  Measured (float32, one thread, CPU time):
the suite's 5x5 few-channel layer 3.4-3.6 ms -> 2.6 (K = 30 also runs BLAS faster than K = 150 here:
100 GFLOP/s against 78 at 16 output rows).

Stride 1 only (strided layers read other phases per kernel row).  Every output's GEMMs multiply the
weights by the inputs of its window only: the forward is a direct sum's (IEEE).
"""
import math

import numpy as np

from . import geometry as geo
from . import threads, tiled_gemm

__all__ = ["supports", "conv_forward", "TILE_BYTES"]

# The input gradient, the forward of the flipped kernel over the zero-padded output gradient, multiplies the
# weights by those zeros too: an inf or NaN weight would give NaN where a direct sum gives a number.
NEEDS_FINITE = frozenset({"input_grad"})

# Bytes of one tile's columns: several whole images at once, each a GEMM per kernel row from one Python call
# (one thread, CPU time, the 5x5 layer: 3.4 ms at 128 KB, 2.6 at 512 KB, 2.5 at 2 MB, 2.46 at 4 MB).
TILE_BYTES = 2 * 2**20


def supports(operation, x_shape, w_shape, stride, dilation, groups):
    """Stride-1 layers (their input gradients through the flipped kernel); in 1-d the one kernel row is the
    whole kernel, tiled GEMM's tile."""
    return all(s == 1 for s in stride)


def _row_weights(w, groups):
    """``w`` (C_out, C/G, *K) as ``(prod(K[:-1]), G, C_out/G, K[-1] * C/G)``: one weight matrix per kernel
    row, its columns ordered (last-dim offset, channel) as the tile's rows."""
    c_out, per_group = w.shape[:2]
    kernel = w.shape[2:]
    d = len(kernel)
    grouped = w.reshape((groups, c_out // groups, per_group) + kernel)
    order = tuple(range(3, 2 + d)) + (0, 1, 2 + d, 2)  # (*K[:-1], G, C_out/G, K[-1], C/G)
    return np.ascontiguousarray(grouped.transpose(order)).reshape(
        (math.prod(kernel[:-1]), groups, c_out // groups, kernel[-1] * per_group))


def _tiles(batch, rows, row_cells, width, parts):
    """Tiles (first image, stop, first row, stop) of about ``width`` columns at most: whole images when one
    fits, as many tiles for every one of ``parts`` threads; else bands of rows of one image."""
    per_image = rows * row_cells
    if per_image <= width and batch >= parts:
        blocks = threads.blocks(batch, 1, parts, max(1, width // per_image))
        return [(n0, n1, 0, rows) for (n0, n1), _ in blocks]
    return tiled_gemm._row_tiles(batch, rows, row_cells, max(1, min(width, batch * per_image // parts)))


def conv_forward(x, w, out_spatial, stride, padding, dilation, groups):
    """Same contract as ``tiled_gemm.conv_forward``: x (N, C_in, *S), w (C_out, C_in/G, *K) -> (N, C_out, *O)."""
    batch = x.shape[0]
    kernel = w.shape[2:]
    c_out = w.shape[0]
    out_spatial = tuple(out_spatial)
    # input rows a tile reads past its outputs' rows: the kernel's overhang in the first dim, and in 3-d one
    # more, where a kernel row's shift in the second dim reads up to a plane past the overhang's
    overhang = ((kernel[0] - 1) * dilation[0] if len(kernel) > 1 else 0) + (len(kernel) > 2)
    # the columns of the last kernel dim's offsets, over every input row an output row reads
    source = tiled_gemm._RowColumns(x, groups, padding, (1,) * (len(kernel) - 1) + kernel[-1:], stride,
                                    dilation, (out_spatial[0] + overhang,) + out_spatial[1:])
    grid, row_cells = source.grid, source.row_cells
    shifts = [start for _, start in geo.offset_starts(kernel[:-1] + (1,), stride, dilation, grid)]
    weights = _row_weights(w, groups)
    y = np.empty((batch, c_out) + out_spatial, dtype=x.dtype)
    y_grouped = y.reshape((batch, groups, c_out // groups) + out_spatial)
    crop = tuple(slice(0, o) for o in out_spatial[1:])
    per_group = c_out // groups
    macs = y.size * w[0].size
    width = tiled_gemm._tile_columns(groups * source.rows, x.itemsize, tile_bytes=TILE_BYTES)
    parts = len(threads.pieces(2**30, macs))
    tiles = _tiles(batch, out_spatial[0], row_cells, width, parts)
    widest = max((n1 - n0) * (r1 - r0 + overhang) * row_cells for n0, n1, r0, r1 in tiles)
    most = max((n1 - n0) * (r1 - r0) * row_cells for n0, n1, r0, r1 in tiles)

    def run_tiles(piece):  # each thread fills its own buffers and writes its own rows of y
        columns = threads.scratch("row_gemm.columns", (groups, source.rows, widest), x.dtype)
        total = threads.scratch("row_gemm.total", (most * groups * per_group,), x.dtype)
        term = threads.scratch("row_gemm.term", (most * groups * per_group,), x.dtype)
        for n0, n1, r0, r1 in tiles[piece[0]:piece[1]]:
            images, count = n1 - n0, (r1 - r0) * row_cells
            tile = source.fill(columns, n0, n1, r0, r1 + overhang)  # (G, K[-1] * C/G, images * span)
            by_image = tile.reshape(groups, source.rows, images, -1).transpose(2, 0, 1, 3)
            out = total[:images * groups * per_group * count].reshape(images, groups, per_group, count)
            scratch = term[:out.size].reshape(out.shape)
            # the tile spans its rows plus the overhang: every kernel row's columns are a whole view of it
            for index, shift in enumerate(shifts):
                np.matmul(weights[index], by_image[..., shift:shift + count], out=scratch if index else out)
                if index:
                    np.add(out, scratch, out=out)
            cells = out.reshape((images, groups, per_group, r1 - r0) + grid[1:])
            y_grouped[n0:n1, :, :, r0:r1] = cells[(Ellipsis,) + crop]
    threads.run_parallel(run_tiles, threads.pieces(len(tiles), macs))
    return y
