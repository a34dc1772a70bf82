"""Tiled im2col: every kernel offset batched into one GEMM, over column tiles of bounded size.

Shifted GEMM runs one GEMM per kernel offset whose inner dimension is only the channels of a group, and
adds each product into the output: small inner dimensions keep BLAS far from its peak and the additions
cost a pass over the output per offset.  Here, as in im2col, the inner dimension is channels x offsets,
but the column matrix is never built whole: the padded input is split by phase and flattened as in
shifted GEMM (geometry.py), so an offset's rows of a column tile are one contiguous slice, copied at
memory speed into a tile of ``TILE_BYTES`` that stays in cache, and multiplied at once.

Workspace: the phase copy of the input, the wide output and one tile (bounded); nothing grows with the
number of kernel offsets.
"""
import math

import numpy as np

from . import flipped, gemm, threads
from . import geometry as geo

__all__ = ["conv_forward", "conv_input_grad", "conv_weight_grad", "TILE_BYTES"]

# The weight gradient multiplies the zeros past each output row (the wide layout) by the input there, and
# the input gradient the zeros around the output gradient by the weight: an inf or NaN there would give NaN
# where a direct sum gives a number.
NEEDS_FINITE = frozenset({"weight_grad", "input_grad"})

# Bytes of one column tile (offsets x channels x columns): about L2-sized, where the GEMM reads it fastest.
TILE_BYTES = 512 * 2**10
# ... but at least this many columns: narrower tiles cost more in per-tile overhead than they gain in cache
# (sgemm with 16-64 output rows ran fastest at ~512 columns here).
MIN_TILE_COLUMNS = 512
# The input gradient's product tiles (offsets x input channels x columns) may be far longer: a tile of
# ``W^T @ gy`` is added into the block's phases right away, and sgemm with its hundreds of rows and a short
# inner dimension runs faster on long tiles (measured, one thread, CPU time: the transposed 2x up-sampling,
# 512 rows, 7.3 -> 6.3-6.8 ms with the block's whole 3 images in one tile, its product and phases kept as
# scratch; LeNet conv1's backward 4.7-5.1 -> 4.6 ms; the stem's 51 -> 45 ms).
COL2IM_TILE_BYTES = 8 * 2**20


def _tile_columns(rows, itemsize, length=0, tile_bytes=TILE_BYTES):
    """Columns per tile for a ``rows``-row column tile: as many as fit ``tile_bytes``, at least
    MIN_TILE_COLUMNS (and at most ``length``, when given)."""
    columns = max(MIN_TILE_COLUMNS, tile_bytes // max(1, rows * itemsize))
    return int(min(length, columns) if length else columns)


# A forward whose phase copy of the input is larger than this runs in blocks of images, each copy still in
# cache when its tiles read it (measured, one thread, CPU time: depthwise 3x3 on 8x128x56x56 12.3-13.1 ->
# 7.0-7.6 ms; the suite's other tiled shapes within the noise).
FORWARD_BLOCK_BYTES = 2**20
# The col2im input gradient works in blocks of images (wide gy, phases) of about this size, to stay in cache
# while every kernel offset adds into them (see shifted_gemm.BLOCK_BYTES).
BLOCK_BYTES = 2 * 2**20
# Weight gradients take tiles this many times longer (see conv_weight_grad).
WEIGHT_GRAD_TILE_FACTOR = 4
# A stride-1 input gradient runs as the flipped forward (a GEMM with C_in/G output rows) only when the layer
# has more input than output channels per group; otherwise the col2im (a GEMM over C_out/G with K * C_in/G
# rows, then K additions) is faster.  Measured, 2 threads, CPU time: LeNet conv2's (20 -> 50, 5x5, batch 64)
# 12.6 ms flipped vs 6.5 col2im; 6 -> 16 5x5 3.2 vs 1.3; U-Net 16 -> 32 at 256x256 57 vs 44, 64 -> 64 at
# 56x56 26 vs 25; but 32 -> 16 at 256x256 47 flipped vs 54.
def _flipped_wins(c_in, c_out, groups):
    return c_in // groups > c_out // groups


def _tiles(length, columns):
    return [(start, min(start + columns, length)) for start in range(0, length, columns)]


def _weight_rows(w, groups):
    """``w`` (C_out, C_in/G, *K) as ``(G, C_out/G, prod(K) * C_in/G)``, offset-major columns (a copy)."""
    c_out, per_group = w.shape[:2]
    kernel = w.shape[2:]
    d = len(kernel)
    grouped = w.reshape((groups, c_out // groups, per_group) + kernel)
    order = (0, 1) + tuple(range(3, 3 + d)) + (2,)
    return np.ascontiguousarray(grouped.transpose(order)).reshape(groups, c_out // groups, -1)


def _is_pointwise(kernel, stride, padding):
    """A 1x1 kernel, stride 1, no padding: every kernel is one batched GEMM on the arrays as they are."""
    return all(k == 1 for k in kernel) and all(s == 1 for s in stride) and all(p == (0, 0) for p in padding)


def _pointwise_input(x, kernel, stride, padding, out_spatial):
    """For a 1x1 kernel without padding, the inputs the outputs read (``x`` itself at stride 1, else a copy
    of every stride-th position: a ResNet downsampling's quarter), on which the convolution is one batched
    GEMM; None for other kernels."""
    if not _is_pointwise(kernel, (1,) * len(kernel), padding):
        return None
    if all(s == 1 for s in stride) and tuple(out_spatial) == tuple(x.shape[2:]):
        return x
    return np.ascontiguousarray(x[(Ellipsis,) + tuple(slice(0, (o - 1) * s + 1, s)
                                                      for o, s in zip(out_spatial, stride))])


def _batched_matmul(left, right, out):
    """``np.matmul(left, right, out=out)`` for ``right``/``out`` batched over images, the images split
    between the worker threads."""
    macs = out.size * left.shape[-1]

    def run(piece):
        np.matmul(left, right[piece[0]:piece[1]], out=out[piece[0]:piece[1]])
    threads.run_parallel(run, threads.pieces(out.shape[0], macs))
    return out


def _pointwise_forward(x, w, groups):
    batch, c_in = x.shape[:2]
    c_out = w.shape[0]
    rows = x.reshape(batch, groups, c_in // groups, -1)
    y = np.empty((batch, groups, c_out // groups, rows.shape[-1]), dtype=x.dtype)
    _batched_matmul(w.reshape(groups, c_out // groups, c_in // groups), rows, y)
    return y.reshape((batch, c_out) + x.shape[2:])


def _pointwise_input_grad(gy, w, groups):
    batch, c_out = gy.shape[:2]
    c_in = w.shape[1] * groups
    rows = gy.reshape(batch, groups, c_out // groups, -1)
    weights_t = w.reshape(groups, c_out // groups, c_in // groups).swapaxes(1, 2)
    gx = np.empty((batch, groups, c_in // groups, rows.shape[-1]), dtype=gy.dtype)
    return _batched_matmul(weights_t, rows, gx).reshape((batch, c_in) + gy.shape[2:])


def _pointwise_weight_grad(x, gy, groups):
    batch, c_in = x.shape[:2]
    c_out = gy.shape[1]
    x_rows = x.reshape(batch, groups, c_in // groups, -1)
    gy_rows = gy.reshape(batch, groups, c_out // groups, -1)

    def run(piece):  # (G, C_out/G, C_in/G) summed over this thread's images
        first, stop = piece
        if gemm.larger_rows_first(c_out // groups, c_in // groups):
            return np.matmul(x_rows[first:stop], gy_rows[first:stop].swapaxes(2, 3)).sum(axis=0).swapaxes(1, 2)
        return np.matmul(gy_rows[first:stop], x_rows[first:stop].swapaxes(2, 3)).sum(axis=0)
    grads = np.ascontiguousarray(sum(threads.run_parallel(run, threads.pieces(batch, gy.size * x_rows.shape[2]))))
    return grads.reshape((c_out, c_in // groups) + (1,) * (x.ndim - 2))


def _row_tiles(batch, rows_needed, row_cells, width):
    """Tiles of whole rows of the first spatial dim, as (first image, stop, first row, stop): several
    images per tile when an image's rows fit in ``width`` columns, else a band of rows of one image."""
    per_image = rows_needed * row_cells
    if per_image <= width:
        images = max(1, width // per_image)
        return [(n, min(n + images, batch), 0, rows_needed) for n in range(0, batch, images)]
    rows = max(1, width // row_cells)
    return [(n, n + 1, r, min(r + rows, rows_needed)) for n in range(batch) for r in range(0, rows_needed, rows)]


class _RowColumns:
    """The column matrix of ``x`` for tiles of whole rows (first spatial dim) of one or more images.

    The padded input is split by phase and flattened per image, ``(G, C/G, N, cells)`` per phase, with
    one spare row: the last needed row of the last image reads up to a row past the grid (the wide
    positions beyond each row's outputs, computed and thrown away).  A tile's columns are, for each
    kernel offset, one slice of those cells at the offset's shift.  With stride 1 all offsets read the one
    phase and the whole tile is a single copy from a strided window view; undilated strided kernels take
    one such copy per phase (offsets r + s*j of phase r shift by j cells); others copy offset by offset.
    """

    def __init__(self, x, groups, padding, kernel, stride, dilation, out_spatial):
        batch, c_in = x.shape[:2]
        grid = geo.phase_grid(x.shape[2:], padding, out_spatial, kernel, stride, dilation)
        self.grid = (grid[0] + 1,) + grid[1:]
        self.row_cells = math.prod(self.grid[1:])
        self.groups, self.per_group, self.batch = groups, c_in // groups, batch
        self.rows_needed = out_spatial[0]
        self.starts = geo.offset_starts(kernel, stride, dilation, self.grid)
        used = {phase for phase, _ in self.starts}
        self.phases = geo.to_phases(x, groups, padding, stride, self.grid, used).reshape(
            tuple(stride) + (groups, self.per_group, batch, math.prod(self.grid)))
        self.rows = len(self.starts) * self.per_group
        # windows: (offsets they fill, as slices of the kernel axes; read-only view (G, *J, C/G, N, span))
        self.windows = None
        if all(s == 1 for s in stride):
            self.windows = [(tuple(slice(None) for _ in kernel), self._window((0,) * len(stride), kernel, dilation))]
        elif all(dl == 1 for dl in dilation):  # offsets k = r + s * j of phase r shift by j cells
            self.windows = []
            for phase in sorted(used):
                counts = tuple(len(range(r, k, st)) for r, k, st in zip(phase, kernel, stride))
                self.windows.append((tuple(slice(r, None, st) for r, st in zip(phase, stride)),
                                     self._window(phase, counts, (1,) * len(stride))))
        self.kernel = tuple(kernel)

    def _window(self, phase, counts, steps):
        """View ``(G, *counts, C/G, N, span)`` of ``phase``'s cells: entry j reads ``j * steps`` cells in."""
        cells = self.phases[phase]
        item = cells.itemsize
        offset_strides = tuple(step * math.prod(self.grid[i + 1:]) * item for i, step in enumerate(steps))
        shape = (self.groups,) + tuple(counts) + (self.per_group, self.batch, self.rows_needed * self.row_cells)
        strides = (cells.strides[0],) + offset_strides + cells.strides[1:3] + (item,)
        return np.lib.stride_tricks.as_strided(cells, shape, strides, writeable=False)

    def tiles(self, width, pieces=1):
        """Tiles (first image, stop, first row, stop) of at most about ``width`` columns, and the widest;
        narrower when that gives fewer tiles than ``pieces`` (threads), so that every thread gets work."""
        tiles = _row_tiles(self.batch, self.rows_needed, self.row_cells, width)
        total = self.batch * self.rows_needed * self.row_cells
        if len(tiles) < pieces:
            tiles = _row_tiles(self.batch, self.rows_needed, self.row_cells, max(1, total // pieces))
        return tiles, max((n1 - n0) * (r1 - r0) * self.row_cells for n0, n1, r0, r1 in tiles)

    def fill(self, buffer, n0, n1, r0, r1):
        """The tile's columns ``(G, offsets * C/G, images * rows * row_cells)``, copied into ``buffer``."""
        count = (r1 - r0) * self.row_cells
        tile = buffer[:, :, :(n1 - n0) * count]
        cells = slice(r0 * self.row_cells, r1 * self.row_cells)
        if self.windows is not None:
            by_offset = tile.reshape((self.groups,) + self.kernel + (self.per_group, n1 - n0, count))
            for offsets, window in self.windows:
                np.copyto(by_offset[(slice(None),) + offsets], window[..., n0:n1, cells])
            return tile
        by_image = tile.reshape(self.groups, self.rows, n1 - n0, count)
        for index, (phase, start) in enumerate(self.starts):
            by_image[:, index * self.per_group:(index + 1) * self.per_group] = \
                self.phases[phase][:, :, n0:n1, start + cells.start:start + cells.stop]
        return tile


def conv_forward(x, w, out_spatial, stride, padding, dilation, groups, out=None):
    """``y[n, co, o] = sum_{c, k} w[co, c, k] * x_padded[n, g(co) * C/G + c, o * stride + k * dilation]``.

    Shapes: x (N, C_in, *S), w (C_out, C_in/G, *K) -> y (N, C_out, *out_spatial), ``out_spatial`` at most
    ``npconv._shapes.conv_output_spatial`` of the arguments (fewer trailing outputs are simply not computed).

    Tiles are whole rows (of the first spatial dim) of one or more images, so each tile's product is
    cropped and written straight into ``y`` (or ``out``, a contiguous array of y's shape): the workspace is
    the phase copy of the input and one tile.  A batch whose phase copy would outgrow the cache is
    computed in blocks of images (``FORWARD_BLOCK_BYTES``), each thread taking whole blocks.
    """
    batch = x.shape[0]
    spatial, kernel = x.shape[2:], w.shape[2:]
    c_out = w.shape[0]
    dtype = x.dtype
    out_spatial = tuple(out_spatial)
    picked = _pointwise_input(x, kernel, stride, padding, out_spatial)
    if picked is not None:
        y = _pointwise_forward(picked, w, groups)
        if out is not None:
            out[...] = y
        return y if out is None else out
    y = np.empty((batch, c_out) + out_spatial, dtype=dtype) if out is None else out
    if _forward_in_blocks(x, w, out_spatial, stride, padding, dilation, groups, y):
        return y
    source = _RowColumns(x, groups, padding, kernel, stride, dilation, out_spatial)
    weights = _weight_rows(w, groups)
    rows, grid = source.rows, source.grid
    macs = batch * math.prod(grid) * rows * c_out
    tiles, width = source.tiles(_tile_columns(groups * rows, dtype.itemsize, 0), len(threads.pieces(2**30, macs)))
    y_grouped = y.reshape((batch, groups, c_out // groups) + out_spatial)
    crop = tuple(slice(0, o) for o in out_spatial[1:])
    to_batch_first = (2, 0, 1) + tuple(range(3, 3 + len(out_spatial)))

    def run_tiles(piece):  # each thread fills its own buffers and writes its own rows of y
        columns = np.empty((groups, rows, width), dtype=dtype)
        product = np.empty((groups, c_out // groups, width), dtype=dtype)
        for n0, n1, r0, r1 in tiles[piece[0]:piece[1]]:
            tile = source.fill(columns, n0, n1, r0, r1)
            out = product[:, :, :tile.shape[2]]
            np.matmul(weights, tile, out=out)
            cells = out.reshape((groups, c_out // groups, n1 - n0, r1 - r0) + grid[1:])
            y_grouped[n0:n1, :, :, r0:r1] = cells[(Ellipsis,) + crop].transpose(to_batch_first)
    threads.run_parallel(run_tiles, threads.pieces(len(tiles), macs))
    return y


def _forward_in_blocks(x, w, out_spatial, stride, padding, dilation, groups, y):
    """conv_forward of blocks of images into ``y``, one thread per range of blocks, when the batch's phase
    copy is larger than FORWARD_BLOCK_BYTES and there are at least as many blocks as threads (otherwise
    False: the whole batch is split by tiles)."""
    batch = x.shape[0]
    grid = geo.phase_grid(x.shape[2:], padding, out_spatial, w.shape[2:], stride, dilation)
    image_bytes = x.shape[1] * math.prod(grid) * math.prod(stride) * x.itemsize
    images = max(1, FORWARD_BLOCK_BYTES // image_bytes)
    parts = len(threads.pieces(2**30, y.size * w[0].size))
    blocks = threads.split(batch, -(-batch // images))
    if len(blocks) < max(2, parts):
        return False

    def run_blocks(piece):  # nested in a kernel thread, each block's own split runs serially
        for n0, n1 in blocks[piece[0]:piece[1]]:
            conv_forward(x[n0:n1], w, out_spatial, stride, padding, dilation, groups, out=y[n0:n1])
    threads.run_parallel(run_blocks, threads.split(len(blocks), parts))
    return True


def conv_input_grad(gy, w, input_spatial, stride, padding, dilation, groups):
    """Gradient of ``conv_forward`` with respect to x (also the forward of a transposed convolution).

    Shapes: gy (N, C_out, *O), w (C_out, C_in/G, *K) -> gx (N, C_in, *input_spatial).  Each column tile
    of ``W^T @ gy`` is added back at every offset's shift (a col2im on contiguous slices).
    """
    batch, c_out = gy.shape[:2]
    out_spatial, kernel = gy.shape[2:], w.shape[2:]
    c_in = w.shape[1] * groups
    input_spatial = tuple(input_spatial)
    dtype = gy.dtype
    if _is_pointwise(kernel, stride, padding) and input_spatial == tuple(out_spatial):
        return _pointwise_input_grad(gy, w, groups)
    # stride 1: the forward with the flipped kernel (row tiles, no additions) when it has the more rows
    if all(s == 1 for s in stride) and _flipped_wins(c_in, c_out, groups):
        gx = flipped.input_grad_by_forward(conv_forward, gy, w, input_spatial, padding, dilation, groups)
        if gx is not None:
            return gx
    grid = geo.phase_grid(input_spatial, padding, out_spatial, kernel, stride, dilation)
    weights_t = _weight_rows(w, groups).swapaxes(1, 2)  # (G, K*C_in/G, C_out/G)
    starts = geo.offset_starts(kernel, stride, dilation, grid)
    per_group = c_in // groups
    by_channel = weights_t.reshape(groups, len(starts), per_group, c_out // groups)
    gx = np.empty((batch, c_in) + input_spatial, dtype=dtype)
    gx_grouped = gx.reshape((batch, groups, per_group) + input_spatial)

    def run_block(block):  # one block's images and input channels, from its wide gy to its part of gx
        (n0, n1), (c0, c1) = block
        count = c1 - c0
        wide_gy = geo.scatter_to_wide(gy[n0:n1], groups, grid)
        length = geo.wide_length(n1 - n0, out_spatial, grid)
        cells = (n1 - n0) * math.prod(grid)
        phases = threads.scratch("col2im phases", tuple(stride) + (groups, count, cells), dtype)
        own_weights = by_channel[:, :, c0:c1].reshape(groups, len(starts) * count, c_out // groups)
        whole = _products_fill_phases(starts, stride, groups, length, cells)
        if not whole:
            phases[...] = 0  # the products are added into it; scratch, not np.zeros: no fresh pages per call
        if whole:  # one GEMM writes every cell
            np.matmul(own_weights, wide_gy[:, :, :length], out=phases.reshape(1, -1, cells))
        elif len(starts) == 1:  # a 1x1 kernel: the product lands in place, nothing to add up
            phase, start = starts[0]
            np.matmul(own_weights, wide_gy[:, :, :length], out=phases[phase][:, :, start:start + length])
        else:
            _add_products(phases, own_weights, wide_gy, starts, count, length)
        phases = phases.reshape(tuple(stride) + (groups, count, n1 - n0) + grid)
        geo.from_phases(phases, padding, stride, input_spatial, out=gx_grouped[n0:n1, :, c0:c1])
    macs = gy.size * c_in * len(starts) // groups
    # a block's wide gy and phases: per image about (C_out + strides * C_in) cells (the product is one tile)
    image_bytes = (c_out + math.prod(stride) * c_in) * math.prod(grid) * dtype.itemsize
    threads.over_blocks(run_block, batch, per_group, macs, image_bytes, BLOCK_BYTES)
    return gx


def _products_fill_phases(starts, stride, groups, length, cells):
    """Whether every kernel offset's product is a whole phase of its own, offsets in phase order (one group, a
    kernel as wide as its stride, no padding: U-Net's 2x2 stride-2 up-sampling): then the block's product
    rows are its phases, written by one GEMM with nothing to zero or add."""
    return groups == 1 and length == cells and list(starts) == [(phase, 0) for phase in geo.all_phases(stride)]


def _add_products(phases, weights, wide_gy, starts, count, length):
    """col2im over column tiles: each tile of ``weights @ wide_gy`` added into ``phases`` at every offset's
    shift (``weights``: (G, offsets * count, C_out/G), offset-major rows)."""
    groups = weights.shape[0]
    width = _tile_columns(weights.shape[0] * weights.shape[1], phases.itemsize, length, COL2IM_TILE_BYTES)
    # kept between calls: a fresh array of this size would be fresh pages from the system every call
    product = threads.scratch("col2im product", (groups, weights.shape[1], width), phases.dtype)
    for begin, end in _tiles(length, width):
        tile = product[:, :, :end - begin]
        np.matmul(weights, wide_gy[:, :, begin:end], out=tile)
        for index, (phase, start) in enumerate(starts):
            phases[phase][:, :, start + begin:start + end] += tile[:, index * count:(index + 1) * count]


def conv_weight_grad(x, gy, kernel_spatial, stride, padding, dilation, groups):
    """Gradient of ``conv_forward`` with respect to w: ``gy @ columns^T`` summed over row tiles.

    Shapes: x (N, C_in, *S), gy (N, C_out, *O) -> gw (C_out, C_in/G, *kernel_spatial).  Tiles are those of
    ``conv_forward``; each tile of gy is laid out on the tile's cells (zeros where no output is).
    """
    batch, c_in = x.shape[:2]
    c_out = gy.shape[1]
    spatial, out_spatial = x.shape[2:], gy.shape[2:]
    kernel = tuple(kernel_spatial)
    dtype = x.dtype
    if _is_pointwise(kernel, stride, padding) and spatial == out_spatial:
        return _pointwise_weight_grad(x, gy, groups)
    source = _RowColumns(x, groups, padding, kernel, stride, dilation, out_spatial)
    rows, grid, per_group = source.rows, source.grid, source.per_group
    gy_grouped = gy.reshape((batch, groups, c_out // groups) + out_spatial)
    # longer tiles than forward: the tile is the GEMM's inner dimension here, and fewer tiles mean fewer sums
    macs = batch * math.prod(grid) * rows * c_out
    tiles, width = source.tiles(WEIGHT_GRAD_TILE_FACTOR * _tile_columns(groups * rows, dtype.itemsize, 0),
                                len(threads.pieces(2**30, macs)))
    valid = tuple(slice(0, o) for o in out_spatial[1:])
    channels_first = (1, 2, 0) + tuple(range(3, 3 + len(out_spatial)))  # (n, G, C_out/G, ..) -> (G, .., n, ..)
    columns_first = gemm.larger_rows_first(c_out // groups, rows)  # tile @ gy_cells^T, transposed at the end

    def run_tiles(piece):  # each thread sums its tiles into its own (weight-sized) gradient
        grads = np.zeros((groups, rows, c_out // groups) if columns_first else (groups, c_out // groups, rows),
                         dtype=dtype)
        partial = np.empty_like(grads)
        columns = np.empty((groups, rows, width), dtype=dtype)
        for n0, n1, r0, r1 in tiles[piece[0]:piece[1]]:
            tile = source.fill(columns, n0, n1, r0, r1)
            gy_cells = np.zeros((groups, c_out // groups, n1 - n0, r1 - r0) + grid[1:], dtype=dtype)
            gy_cells[(Ellipsis,) + valid] = gy_grouped[n0:n1, :, :, r0:r1].transpose(channels_first)
            gy_rows = gy_cells.reshape(groups, c_out // groups, -1)
            if columns_first:
                np.matmul(tile, gy_rows.swapaxes(1, 2), out=partial)
            else:
                np.matmul(gy_rows, tile.swapaxes(1, 2), out=partial)
            grads += partial
        return grads
    grads = sum(threads.run_parallel(run_tiles, threads.pieces(len(tiles), macs)))
    if columns_first:
        grads = grads.swapaxes(1, 2)
    d = len(kernel)
    grads = grads.reshape((groups, c_out // groups) + kernel + (per_group,))
    order = (0, 1, 2 + d) + tuple(range(2, 2 + d))  # (G, C_out/G, *K, C/G) -> (G, C_out/G, C/G, *K)
    return np.ascontiguousarray(grads.transpose(order)).reshape((c_out, per_group) + kernel)
