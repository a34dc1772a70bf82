"""Kernel-row GEMM: one GEMM per kernel row, only the last kernel dim folded into the inner dimension.

Tiled GEMM copies, for every column, all ``prod(K) * C/G`` input values its window reads, and multiplies the
tile once.  With few input channels that copy is most of the work: the 5x5 layer of 6 -> 16 channels copies
150 values per column for a GEMM of only 16 output rows.  Here a tile holds only the last kernel dim's
offsets (``K[-1] * C/G`` rows, 30 for that layer), over the input rows of the tile's outputs plus the
kernel's overhang: every offset of the leading kernel dims (a kernel row) reads those rows at a fixed flat
shift (the padded input flattened per image, as in shifted GEMM), so its columns are a view of the tile,
and the output is the sum of one GEMM per kernel row on views.  The weight gradient multiplies the output
gradient, laid out on a tile's cells, by the same views.  Measured (float32, one thread, CPU time): the
suite's 5x5 few-channel layer 3.4-3.6 ms -> 2.5 forward, 6.4 -> 3.1 weight gradient (K = 30 also runs
BLAS faster than K = 150 here: 100 GFLOP/s against 78 at 16 output rows).

Stride 1 only (strided layers read other phases per kernel row).  Every output's GEMMs multiply the
weights by the inputs of its window only: the forward is a direct sum's (IEEE).
"""
import math

import numpy as np

from . import geometry as geo
from . import gemm, threads, tiled_gemm

__all__ = ["supports", "conv_forward", "conv_weight_grad", "TILE_BYTES"]

# The input gradient, the forward of the flipped kernel over the zero-padded output gradient, multiplies the
# weights by those zeros too, and the weight gradient the zeros past each output row by the input there: an
# inf or NaN would give NaN where a direct sum gives a number.
NEEDS_FINITE = frozenset({"input_grad", "weight_grad"})

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


class _CompactColumns:
    """The last kernel dim's offsets over the padded input's rows, each row only as long as the outputs
    (``O[-1]`` cells, not the padded width): the offsets are the tile's rows, so no column reads past its
    row's outputs, and a kernel row's shift is whole rows of that compact length.  Tiled GEMM's wide rows
    would compute the kernel's overhang and throw it away (5x5 at 32x32: 36 cells a row, 12% more GEMM).

    ``grid``: the padded grid with the last dim cut to ``O[-1]``; ``fill`` pads only the tile's own rows of
    ``x`` into the calling thread's scratch and copies the tile's columns ``(G, K[-1] * C/G, images * rows *
    row_cells)`` from a window view of it: no padded copy of the whole input is made before the threads
    start (the 5x5 few-channel forward spent 0.27-0.36 of its 2.4-2.6 ms, one thread, in that serial copy,
    which a second thread waited for; per offset boxes copied straight from ``x`` cost more CPU at 2
    threads: 3.0-3.5 ms against 2.5-2.9 here)."""

    def __init__(self, x, groups, padding, kernel_last, dilation, out_spatial):
        d = x.ndim - 2
        kernel = (1,) * (d - 1) + (kernel_last,)
        padded_grid = geo.phase_grid(x.shape[2:], padding, out_spatial, kernel, (1,) * d, dilation)
        self.groups, self.per_group = groups, x.shape[1] // groups
        self.kernel_last = kernel_last
        self.rows = kernel_last * self.per_group
        self.dtype = x.dtype
        self.grid = padded_grid[:-1] + (out_spatial[-1],)
        self.row_cells = math.prod(self.grid[1:])
        self.spatial, self.before = x.shape[2:], tuple(before for before, _ in padding)
        self.step = dilation[-1]
        self.x = geo._channels_first_view(x, groups)  # (G, C/G, N, *S), a view

    def _boxes(self, r0, r1, last_width):
        """For the padded rows ``r0:r1``, every other dim whole and the last ``last_width`` long: the slices of
        those cells (per spatial dim) that hold input values, and of the input they read; None when all are
        padding."""
        d = len(self.grid)
        cells, inputs = [], []
        for axis, (size, before) in enumerate(zip(self.spatial, self.before)):
            start = r0 if axis == 0 else 0
            length = last_width if axis == d - 1 else (r1 - r0 if axis == 0 else self.grid[axis])
            first, stop = min(length, max(0, before - start)), min(length, size + before - start)
            if stop <= first:
                return None
            cells.append(slice(first, stop))
            inputs.append(slice(start + first - before, start + stop - before))
        return tuple(cells), tuple(inputs)

    def fill(self, buffer, n0, n1, r0, r1):
        tile = buffer[:, :, :(n1 - n0) * (r1 - r0) * self.row_cells]
        target = tile.reshape((self.groups, self.kernel_last, self.per_group, n1 - n0, r1 - r0) + self.grid[1:])
        # the tile's rows of the padded input, in the calling thread's scratch (one copy, then in cache)
        outputs = self.grid[-1] if len(self.grid) > 1 else r1 - r0  # along the last dim (in 1-d, the rows)
        width = outputs + (self.kernel_last - 1) * self.step
        shape = (self.groups, self.per_group, n1 - n0) + ((r1 - r0,) + self.grid[1:-1] if len(self.grid) > 1 else ()) \
            + (width,)
        padded = threads.scratch("row_gemm.padded", shape, self.dtype)
        boxes = self._boxes(r0, r1, width)
        if boxes is None:
            padded[...] = 0
        else:
            cells, inputs = boxes
            geo._zero_outside(padded, cells)
            padded[(Ellipsis,) + cells] = self.x[:, :, n0:n1][(Ellipsis,) + inputs]
        item = padded.itemsize
        window = np.lib.stride_tricks.as_strided(
            padded, (self.groups, self.kernel_last) + padded.shape[1:-1] + (outputs,),
            (padded.strides[0], self.step * item) + padded.strides[1:], writeable=False)
        np.copyto(target, window)
        return tile


def _unaliased(length):
    """A row length for a GEMM's operand or product, at least ``length``, that is an odd multiple of 16
    elements: rows whose stride is a multiple of a large power of two map to the same cache sets (one thread,
    CPU time, 16 -> 16 channels 3x3 at 64x64, 4096-cell rows: the GEMMs 0.22 ms a tile with the product's
    rows 16 KB apart, 0.185 with 16 elements more)."""
    blocks = -(-length // 16)
    return 16 * (blocks + 1 - blocks % 2)


class _Plan:
    """What the forward and the weight gradient share: the tile source (the last kernel dim's offsets over
    every input row a tile's outputs read, rows as long as the outputs'), each kernel row's flat shift, and
    the tiles."""

    def __init__(self, x, kernel, out_spatial, padding, dilation, groups, macs):
        # input rows a tile reads past its outputs' rows: the kernel's overhang in the first dim, and in 3-d
        # one more, where a kernel row's shift in the second dim reads up to a plane past the overhang's
        self.overhang = ((kernel[0] - 1) * dilation[0] if len(kernel) > 1 else 0) + (len(kernel) > 2)
        stride = (1,) * len(kernel)
        self.source = _CompactColumns(x, groups, padding, kernel[-1], dilation,
                                      (out_spatial[0] + self.overhang,) + tuple(out_spatial[1:]))
        self.grid, self.row_cells = self.source.grid, self.source.row_cells
        self.shifts = [start for _, start in geo.offset_starts(kernel[:-1] + (1,), stride, dilation, self.grid)]
        width = tiled_gemm._tile_columns(groups * self.source.rows, x.itemsize, tile_bytes=TILE_BYTES)
        self.parts = len(threads.pieces(2**30, macs))
        self.tiles = _tiles(x.shape[0], out_spatial[0], self.row_cells, width, self.parts)
        self.widest = _unaliased(max((n1 - n0) * (r1 - r0 + self.overhang) * self.row_cells
                                     for n0, n1, r0, r1 in self.tiles))
        self.most = max((n1 - n0) * (r1 - r0) * self.row_cells for n0, n1, r0, r1 in self.tiles)
        self.most_cells = max((r1 - r0) * self.row_cells for _, _, r0, r1 in self.tiles)

    def columns(self, n0, n1, r0, r1):
        """The tile's columns as ``(images, G, K[-1] * C/G, span)`` (the calling thread's scratch), and its
        output cells per image: each kernel row's columns are ``[..., shift:shift + cells]``."""
        source = self.source
        buffer = threads.scratch("row_gemm.columns", (source.groups, source.rows, self.widest), source.dtype)
        tile = source.fill(buffer, n0, n1, r0, r1 + self.overhang)  # (G, K[-1] * C/G, images * span)
        by_image = tile.reshape(source.groups, source.rows, n1 - n0, -1).transpose(2, 0, 1, 3)
        return by_image, (r1 - r0) * self.row_cells

    def run(self, task):
        """``task(tile)`` for every tile, the tiles split over the kernel threads; the tasks' results."""
        def run_tiles(piece):
            return [task(tile) for tile in self.tiles[piece[0]:piece[1]]]
        return [result for results in threads.run_parallel(run_tiles, threads.split(len(self.tiles), self.parts))
                for result in results]


def conv_forward(x, w, out_spatial, stride, padding, dilation, groups):
    """Same contract as ``tiled_gemm.conv_forward``: x (N, C_in, *S), w (C_out, C_in/G, *K) -> (N, C_out, *O)."""
    batch, c_out = x.shape[0], w.shape[0]
    out_spatial = tuple(out_spatial)
    y = np.empty((batch, c_out) + out_spatial, dtype=x.dtype)
    plan = _Plan(x, w.shape[2:], out_spatial, padding, dilation, groups, y.size * w[0].size)
    weights = _row_weights(w, groups)
    per_group = c_out // groups
    y_grouped = y.reshape((batch, groups, per_group) + out_spatial)
    crop = tuple(slice(0, o) for o in out_spatial[1:])
    # a tile's sums: a row per image and output channel, rows padded apart (see _unaliased)
    size = max(n1 - n0 for n0, n1, _, _ in plan.tiles) * c_out * _unaliased(plan.most_cells)

    def run_tile(tile):  # each thread writes its own rows of y
        n0, n1, r0, r1 = tile
        by_image, cells = plan.columns(*tile)
        whole = (n1 - n0, groups, per_group, _unaliased(cells))
        total, extra = (threads.scratch(slot, (size,), x.dtype)[:math.prod(whole)].reshape(whole)
                        for slot in ("row_gemm.total", "row_gemm.term"))
        total[..., cells:] = extra[..., cells:] = 0  # the padding is added too: the sums run on whole arrays
        out, term = total[..., :cells], extra[..., :cells]
        # the tile spans its rows plus the overhang: every kernel row's columns are a whole view of it
        for index, shift in enumerate(plan.shifts):
            np.matmul(weights[index], by_image[..., shift:shift + cells], out=term if index else out)
            if index:
                np.add(total, extra, out=total)
        y_grouped[n0:n1, :, :, r0:r1] = out.reshape((n1 - n0, groups, per_group, r1 - r0) + plan.grid[1:])[
            (Ellipsis,) + crop]
    plan.run(run_tile)
    return y


def conv_weight_grad(x, gy, kernel_spatial, stride, padding, dilation, groups):
    """Same contract as ``tiled_gemm.conv_weight_grad``: -> gw (C_out, C_in/G, *kernel_spatial).

    Per tile, the output gradient laid out on the tile's output cells (zeros past each row's outputs) times
    each kernel row's columns transposed: ``gw[row] += gy_cells @ columns[..., shift:shift + cells].T``
    (multiplied the other way round when the columns have more rows, gemm.larger_rows_first).
    """
    batch, c_out = gy.shape[:2]
    kernel, out_spatial = tuple(kernel_spatial), gy.shape[2:]
    per_group, per_group_in = c_out // groups, x.shape[1] // groups
    plan = _Plan(x, kernel, out_spatial, padding, dilation, groups, gy.size * per_group_in * math.prod(kernel))
    gy_grouped = gy.reshape((batch, groups, per_group) + out_spatial)
    crop = tuple(slice(0, o) for o in out_spatial[1:])

    def run_tile(tile):
        n0, n1, r0, r1 = tile
        by_image, cells = plan.columns(*tile)
        gy_cells = threads.scratch("row_gemm.total", (plan.most * groups * per_group,), x.dtype)
        gy_cells = gy_cells[:(n1 - n0) * groups * per_group * cells]
        laid_out = gy_cells.reshape((n1 - n0, groups, per_group, r1 - r0) + plan.grid[1:])
        geo._zero_outside(laid_out, crop)  # the junk columns multiply whatever the input holds there by zero
        laid_out[(Ellipsis,) + crop] = gy_grouped[n0:n1, :, :, r0:r1]
        rows = gy_cells.reshape(n1 - n0, groups, per_group, cells)
        # (one thread, CPU time, columns first: 3x3 64 -> 64 at 56x56 0.88x the time, grouped 0.82x, 5x5 0.98x)
        if gemm.larger_rows_first(per_group, by_image.shape[2]):
            return np.stack([gemm.small_product(by_image[..., shift:shift + cells], rows.swapaxes(2, 3)).sum(axis=0)
                             for shift in plan.shifts]).swapaxes(2, 3)
        return np.stack([gemm.small_product(rows, by_image[..., shift:shift + cells].swapaxes(2, 3)).sum(axis=0)
                         for shift in plan.shifts])  # (kernel rows, G, C_out/G, K[-1] * C/G)
    grads = sum(plan.run(run_tile))
    # (*K[:-1], G, C_out/G, K[-1], C/G) -> (G, C_out/G, C/G, *K)
    grads = grads.reshape(kernel[:-1] + (groups, per_group, kernel[-1], per_group_in))
    d = len(kernel)
    order = (d - 1, d, d + 2) + tuple(range(d - 1)) + (d + 1,)
    return np.ascontiguousarray(grads.transpose(order)).reshape((c_out, per_group_in) + kernel)
