"""Direct accumulation for depthwise convolutions (one input channel per group).

A depthwise layer has no channel sum for a GEMM to do: each output channel is its input channel times
one scalar per kernel offset.  With the input split by phase and flattened (geometry.py), an offset's
contribution to a whole column tile is ``wide[g, m, :] += w[g, m, offset] * phase_row[g, shift:]``,
a scaled row added to another: memory-bound, so the columns are walked in tiles that stay in cache while
every offset is added.  Channel multipliers (C_out = m * C_in) are covered.  Stride-1 input gradients are
forward depthwise convolutions with the flipped kernel, which tiled GEMM's one small GEMM per group runs
in a single pass over the output.

The stride-1 forward adds the offsets' scaled planes in place, a chunk of channels of one image at a time
(see ``conv_forward``); strided forwards go to the general algorithm.
"""
import math

import numpy as np

from . import geometry as geo
from . import flipped, gemm, threads, tiled_gemm

__all__ = ["supports", "conv_forward", "conv_input_grad", "conv_weight_grad"]

# The weight gradient multiplies the zeros past each output row (the wide layout) by the input there: an
# inf or NaN in the input would give NaN where a direct sum gives a number.
NEEDS_FINITE = frozenset({"weight_grad"})

# Elements of one forward chunk's three work arrays (padded planes, sum, term): 8 MB of float32, past L2 but
# fewer NumPy calls.  The suite's depthwise layer (one image's 128 planes of 56x56 take 1.7M), alternating
# runs, wall / CPU ms: 2**18 8.05 / 8.05, 2**19 7.77 / 7.77, 2**20 7.44 / 7.40, 2**21 7.18 / 7.18 at one
# thread (tiled GEMM 7.80), 5.08 / 8.90, 4.37 / 8.17, 4.25 / 7.78, 3.97 / 7.45 at two (tiled GEMM 5.07 / 8.64);
# several images a chunk lost (2**22 8.6 ms, 2**23 9.3 at one thread).
CHUNK_ELEMENTS = 2**21

# Elements of one accumulator tile (channels x columns): about 256 KB of float32, an L2-sized block.
TILE_ELEMENTS = 64 * 1024


def supports(operation, x_shape, w_shape, stride, dilation, groups):
    """True for depthwise layers (one input channel per group), going forward with stride 1."""
    depthwise = groups > 1 and w_shape[1] == 1 and x_shape[1] == groups
    return depthwise and (operation != "forward" or all(s == 1 for s in stride))


def _tiles(length, rows):
    columns = max(128, TILE_ELEMENTS // max(1, rows))
    return ((start, min(start + columns, length)) for start in range(0, length, columns))


def _offset_weights(w, groups):
    """``w`` (G*m, 1, *K) as ``(prod(K), G, m, 1)``: one column of scalars per offset, broadcastable on rows."""
    c_out = w.shape[0]
    return np.ascontiguousarray(w.reshape(groups, c_out // groups, -1).transpose(2, 0, 1))[..., np.newaxis]


def conv_forward(x, w, out_spatial, stride, padding, dilation, groups):
    """Stride-1 depthwise forward: x (N, G, *S), w (G*m, 1, *K) -> y (N, G*m, *out_spatial).

    A chunk of channels (of one image, or of several small ones) is zero-padded into a work array and
    flattened per plane; an offset's contribution to every output (in the plane's padded width, the kernel's
    overhang per row computed and dropped) is then the plane from the offset's shift times one scalar per
    channel: one multiply and one in-place add per offset, with no copy of each offset's window (tiled
    GEMM's batched matrix-vector products copy them all), and chunks of whole planes for the threads.  Each
    output is a plain sum over its window (IEEE).
    """
    batch = x.shape[0]
    spatial, kernel = x.shape[2:], w.shape[2:]
    multiplier = w.shape[0] // groups
    grid = geo.phase_grid(spatial, padding, out_spatial, kernel, stride, dilation)
    grid = (grid[0] + 1,) + grid[1:]  # a spare row: the last row's overhang reads past the grid
    row_cells = math.prod(grid[1:])
    cells = out_spatial[0] * row_cells  # the wide outputs of a plane
    starts = [start for _, start in geo.offset_starts(kernel, stride, dilation, grid)]
    weights = _offset_weights(w, groups)  # (K, G, m, 1)
    per_channel = math.prod(grid) + 2 * multiplier * cells  # elements of the three work arrays
    parts = len(threads.pieces(2**30, batch * w.shape[0] * cells * len(starts)))
    chunks = _chunks(batch, groups, per_channel, parts)
    largest = max((n1 - n0) * (c1 - c0) for (n0, n1), (c0, c1) in chunks)
    inside = tuple(slice(before, before + size) for (before, _), size in zip(padding, spatial))
    crop = tuple(slice(0, o) for o in out_spatial[1:])
    y = np.empty((batch, w.shape[0]) + tuple(out_spatial), dtype=x.dtype)

    def run_chunks(piece):  # each thread pads, sums and writes its own chunks
        padded = threads.scratch("depthwise.padded", (largest,) + grid, x.dtype)
        padded[...] = 0  # the interiors are overwritten chunk by chunk, the borders stay zero
        total = threads.scratch("depthwise.total", (largest * multiplier * cells,), x.dtype)
        term = threads.scratch("depthwise.term", (largest * multiplier * cells,), x.dtype)
        for (n0, n1), (c0, c1) in chunks[piece[0]:piece[1]]:
            images, count = n1 - n0, c1 - c0
            block = padded[:images * count].reshape((images, count) + grid)
            block[(Ellipsis,) + inside] = x[n0:n1, c0:c1]
            planes = block.reshape(images, count, 1, -1)
            out = total[:images * count * multiplier * cells].reshape(images, count, multiplier, cells)
            scratch = term[:out.size].reshape(out.shape)
            for index, start in enumerate(starts):
                np.multiply(planes[..., start:start + cells], weights[index, c0:c1], out=scratch if index else out)
                if index:
                    np.add(out, scratch, out=out)
            wide = out.reshape((images, count * multiplier, out_spatial[0]) + grid[1:])
            y[n0:n1, c0 * multiplier:c1 * multiplier] = wide[(Ellipsis,) + crop]
    threads.run_parallel(run_chunks, threads.split(len(chunks), parts))
    return y


def _chunks(batch, channels, per_channel, parts):
    """(image range, channel range) chunks of at most about CHUNK_ELEMENTS work elements (``per_channel`` a
    channel of one image): several images when one fits (``threads.blocks``: as many chunks for each of
    ``parts`` threads), else each image's channels split."""
    per_image = channels * per_channel
    if per_image <= CHUNK_ELEMENTS:
        return threads.blocks(batch, channels, parts, CHUNK_ELEMENTS // per_image)
    pieces = max(parts if batch < parts else 1, -(-per_image // CHUNK_ELEMENTS))
    return [((n, n + 1), part) for n in range(batch) for part in threads.split(channels, pieces)]


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
        # (G, m, L) . (G, L) per group: a batched matrix-vector product, BLAS sgemv (a small result: see
        # gemm.small_product)
        grads[index] = gemm.small_product(rows, phases[phase][:, 0, start:start + length, np.newaxis])[..., 0]
    return np.ascontiguousarray(grads.reshape((len(starts), c_out)).T).reshape((c_out, 1) + kernel)
