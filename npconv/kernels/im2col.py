"""im2col + GEMM: the simple reference algorithm.

Every window of the padded input is copied into a column matrix ``(G, C/G * prod(K), N * prod(O))``; the
convolution is then one batched matmul with the weights.  Memory: prod(K) times the output-sized input,
which is why it is the reference and fallback rather than the default.
"""
import math

import numpy as np

from . import geometry as geo
from . import gemm, threads


def _padded(x, padding, extent):
    """Zero-pad ``x``'s last ``len(extent)`` dims to ``extent``: ``before`` in front, whatever is needed at
    the back."""
    d = len(extent)
    pads = [(0, 0)] * (x.ndim - d)
    for size, (before, _), total in zip(x.shape[-d:], padding, extent):
        pads.append((before, total - before - size))
    return np.pad(x, pads)


def _windows(padded, kernel, stride, dilation, out_spatial):
    """Read-only view ``(*lead, *O, *K)`` of every window of ``padded`` (*lead, *P); no copy."""
    d = len(kernel)
    lead, spatial_strides = padded.strides[:-d], padded.strides[-d:]
    shape = padded.shape[:-d] + tuple(out_spatial) + tuple(kernel)
    strides = (lead + tuple(st * s for st, s in zip(spatial_strides, stride))
               + tuple(st * dl for st, dl in zip(spatial_strides, dilation)))
    return np.lib.stride_tricks.as_strided(padded, shape, strides, writeable=False)


def _padded_windows(x, padding, kernel, stride, dilation, out_spatial):
    """Read-only view ``(*lead, *O, *K)`` of every window of ``x`` (*lead, *S) zero-padded (one padded copy)."""
    extent = geo.padded_extent(x.shape[-len(kernel):], padding, out_spatial, kernel, stride, dilation)
    return _windows(_padded(x, padding, extent), kernel, stride, dilation, out_spatial)


def _columns(grouped, padding, kernel, stride, dilation, out_spatial):
    """The im2col matrix ``(G, C/G * prod(K), N * prod(O))`` of ``grouped`` (N, G, C/G, *S) (a copy)."""
    return _gathered(_padded_windows(grouped, padding, kernel, stride, dilation, out_spatial))


def _gathered(windows):
    """The windows ``(N, G, C/G, *O, *K)`` copied as the column matrix ``(G, C/G * prod(K), N * prod(O))``."""
    d = (windows.ndim - 3) // 2
    # (N, G, C/G, *O, *K) -> (G, C/G, *K, N, *O)
    order = (1, 2) + tuple(range(3 + d, 3 + 2 * d)) + (0,) + tuple(range(3, 3 + d))
    source = windows.transpose(order)
    columns = np.empty(source.shape, dtype=windows.dtype)
    threads.assign(columns, source)  # a memory-bound copy: split over the kernel threads when large
    return columns.reshape(windows.shape[1], -1, windows.shape[0] * math.prod(windows.shape[3:3 + d]))


def _grouped(x, groups):
    """``x`` (N, C, *S) as (N, G, C/G, *S) (a view)."""
    return x.reshape((x.shape[0], groups, x.shape[1] // groups) + x.shape[2:])


def _grouped_rows(a, groups):
    """``(N, C, *O)`` as ``(G, C/G, N * prod(O))`` (a copy)."""
    batch, channels = a.shape[:2]
    d = a.ndim - 2
    grouped = a.reshape((batch, groups, channels // groups) + a.shape[2:])
    return np.ascontiguousarray(grouped.transpose((1, 2, 0) + tuple(range(3, 3 + d)))).reshape(
        groups, channels // groups, -1)


def _ungroup_rows(rows, batch, spatial):
    """Inverse of ``_grouped_rows``: ``(G, C/G, N * prod(S))`` -> ``(N, C, *S)``."""
    groups, per_group = rows.shape[:2]
    d = len(spatial)
    cells = rows.reshape((groups, per_group, batch) + tuple(spatial))
    return np.ascontiguousarray(cells.transpose((2, 0, 1) + tuple(range(3, 3 + d)))).reshape(
        (batch, groups * per_group) + tuple(spatial))


def _col2im(block_at, lead, dtype, spatial, padding, out_spatial, kernel, stride, dilation):
    """Scatter-add every kernel offset's block ``block_at(offset)`` (``lead + O``) back onto the input
    positions it was read from; -> ``lead + spatial`` (a cropped view of the padded sum)."""
    extent = geo.padded_extent(spatial, padding, out_spatial, kernel, stride, dilation)
    padded = np.zeros(tuple(lead) + tuple(extent), dtype=dtype)
    for offset in geo.kernel_offsets(kernel):
        window = tuple(slice(k * dl, k * dl + (o - 1) * s + 1, s)
                       for k, dl, o, s in zip(offset, dilation, out_spatial, stride))
        padded[(Ellipsis,) + window] += block_at(offset)
    crop = tuple(slice(before, before + size) for (before, _), size in zip(padding, spatial))
    return padded[(Ellipsis,) + crop]


def unfold(x, kernel, dilation, padding, stride, out_spatial):
    """torch's im2col: (N, C, *S) -> (N, C * prod(K), prod(O)), row ``c * prod(K) + k`` (k the kernel
    offset in C order), column the block's position in C order; padding is zero."""
    batch, channels = x.shape[:2]
    windows = _padded_windows(x, padding, kernel, stride, dilation, out_spatial)
    d = len(kernel)
    order = (0, 1) + tuple(range(2 + d, 2 + 2 * d)) + tuple(range(2, 2 + d))  # (N, C, *O, *K) -> (N, C, *K, *O)
    return np.ascontiguousarray(windows.transpose(order)).reshape(
        batch, channels * int(np.prod(kernel)), int(np.prod(out_spatial)))


def fold(columns, spatial, kernel, dilation, padding, stride, out_spatial):
    """torch's col2im, the adjoint of ``unfold``: (N, C * prod(K), prod(O)) -> (N, C, *spatial), the entries
    that land on one position summed."""
    batch = columns.shape[0]
    channels = columns.shape[1] // int(np.prod(kernel))
    blocks = columns.reshape((batch, channels) + tuple(kernel) + tuple(out_spatial))
    lead = (slice(None), slice(None))
    return np.ascontiguousarray(_col2im(lambda offset: blocks[lead + offset], (batch, channels), columns.dtype,
                                        spatial, padding, out_spatial, kernel, stride, dilation))


# A forward whose column matrix has fewer elements than this (a copy too small to split on its own, see
# threads.PARALLEL_MIN_COPY) copies its columns inside each thread's piece (``_fused_forward``); the chooser
# counts on it for strided layers (chooser.IM2COL_SMALL_STRIDED_MIN_INNER).
FUSED_MAX_COLUMNS = threads.PARALLEL_MIN_COPY


def conv_forward(x, w, out_spatial, stride, padding, dilation, groups):
    """Same contract as ``shifted_gemm.conv_forward``: x (N, C_in, *S), w (C_out, C_in/G, *K) -> (N, C_out, *O)."""
    batch, c_in = x.shape[:2]
    c_out, kernel = w.shape[0], w.shape[2:]
    weights = w.reshape(groups, c_out // groups, -1)
    column_count = c_in * math.prod(kernel) * batch * math.prod(out_spatial)
    if column_count >= FUSED_MAX_COLUMNS or threads.workers() < 2:
        columns = _columns(_grouped(x, groups), padding, kernel, stride, dilation, out_spatial)
        return _ungroup_rows(_split_matmul(weights, columns), batch, out_spatial)
    return _fused_forward(x, weights, kernel, out_spatial, stride, padding, dilation, groups)


def _fused_forward(x, weights, kernel, out_spatial, stride, padding, dilation, groups):
    """The forward of a column matrix too small for a split copy (below FUSED_MAX_COLUMNS): each kernel thread
    copies its own part of the columns and multiplies it, in one dispatch, so that the copy runs in parallel
    too (2 threads, batch 1: ResNet-18's 512 channels at 7x7 2.9 -> 2.1 ms, its 64 -> 128 stride-2 layer
    1.34 -> 1.09).  The parts are blocks of output rows (images, then rows of the first output dim), each
    thread writing its block of the result; or, when the weights outnumber the columns' positions, ranges
    of input channels per group, whose partial products are summed: each thread then packs only its share of
    the weights for BLAS, and the result summed is small."""
    batch, c_in = x.shape[:2]
    grouped = _grouped(x, groups)
    positions = batch * math.prod(out_spatial)
    parts = len(threads.pieces(2**30, weights.size * positions))
    if weights.shape[1] > positions and c_in // groups >= parts:
        return _forward_by_channels(grouped, weights, kernel, out_spatial, stride, padding, dilation, parts)
    windows = _padded_windows(grouped, padding, kernel, stride, dilation, out_spatial)
    out = np.empty((batch, groups, weights.shape[1]) + tuple(out_spatial), dtype=np.result_type(x, weights))

    def block(piece):
        (first, last), (top, bottom) = piece
        rows = np.matmul(weights, _gathered(windows[first:last, :, :, top:bottom]))
        rows = rows.reshape(weights.shape[:2] + (last - first, bottom - top) + tuple(out_spatial[1:]))
        out[first:last, :, :, top:bottom] = np.moveaxis(rows, 2, 0)
    threads.run_parallel(block, threads.blocks(batch, out_spatial[0], parts))
    return out.reshape((batch, -1) + tuple(out_spatial))


def _forward_by_channels(grouped, weights, kernel, out_spatial, stride, padding, dilation, parts):
    """``_fused_forward`` split over the input channels of each group: partial products, summed."""
    taps = math.prod(kernel)

    def part(piece):
        columns = _columns(grouped[:, :, piece[0]:piece[1]], padding, kernel, stride, dilation, out_spatial)
        return np.matmul(weights[:, :, piece[0] * taps:piece[1] * taps], columns)
    products = threads.run_parallel(part, threads.split(grouped.shape[2], parts))
    return _ungroup_rows(sum(products[1:], products[0]), grouped.shape[0], out_spatial)


def _summed_matmul(left, right):
    """``left @ right`` for (G, M, K) @ (G, K, L) with a long inner dimension (a weight gradient's positions):
    each kernel thread multiplies its range of K, each matrix read once, and the partial products are summed
    (gemm.small_product: a small result would otherwise keep the GIL, the threads taking turns)."""
    def run(piece):
        return gemm.small_product(left[:, :, piece[0]:piece[1]], right[:, piece[0]:piece[1]])
    return sum(threads.run_parallel(run, threads.pieces(left.shape[2], left.size * right.shape[2])))


def _split_matmul(left, right):
    """``left @ right`` for (G, M, K) @ (G, K, L), the M rows split over the kernel threads: each thread packs
    only its share of ``left`` (the weights), the wide matrix ``right`` is read by all."""
    out = np.empty(left.shape[:2] + right.shape[2:], dtype=np.result_type(left, right))

    def run(piece):
        np.matmul(left[:, piece[0]:piece[1]], right, out=out[:, piece[0]:piece[1]])
    threads.run_parallel(run, threads.pieces(left.shape[1], out.size * left.shape[2]))
    return out


def conv_input_grad(gy, w, input_spatial, stride, padding, dilation, groups):
    """Same contract as ``shifted_gemm.conv_input_grad``: gy (N, C_out, *O) -> gx (N, C_in, *input_spatial)."""
    batch, c_out = gy.shape[:2]
    out_spatial, kernel = gy.shape[2:], w.shape[2:]
    c_in = w.shape[1] * groups
    dtype = gy.dtype
    weights = w.reshape(groups, c_out // groups, -1)
    columns = _split_matmul(weights.swapaxes(1, 2), _grouped_rows(gy, groups))  # (G, C_in/G * prod(K), N * prod(O))
    columns = columns.reshape((groups, c_in // groups) + kernel + (batch,) + out_spatial)
    d = len(kernel)
    batch_first = (2, 0, 1) + tuple(range(3, 3 + d))  # an offset's (G, C/G, N, *O) -> (N, G, C/G, *O)
    gx = _col2im(lambda offset: columns[(slice(None), slice(None)) + offset].transpose(batch_first),
                 (batch, groups, c_in // groups), dtype, input_spatial, padding, out_spatial, kernel, stride, dilation)
    return np.ascontiguousarray(gx).reshape((batch, c_in) + input_spatial)


def conv_weight_grad(x, gy, kernel_spatial, stride, padding, dilation, groups):
    """Same contract as ``shifted_gemm.conv_weight_grad``: -> gw (C_out, C_in/G, *kernel_spatial)."""
    batch, c_in = x.shape[:2]
    c_out, out_spatial = gy.shape[1], gy.shape[2:]
    kernel = tuple(kernel_spatial)
    columns = _columns(_grouped(x, groups), padding, kernel, stride, dilation, out_spatial)
    gy_rows = _grouped_rows(gy, groups)
    if gemm.larger_rows_first(gy_rows.shape[1], columns.shape[1]):  # columns @ gy^T, transposed after
        grads = _summed_matmul(columns, gy_rows.swapaxes(1, 2)).swapaxes(1, 2)
    else:
        grads = _summed_matmul(gy_rows, columns.swapaxes(1, 2))  # (G, C_out/G, C_in/G * prod(K))
    return np.ascontiguousarray(grads).reshape((c_out, c_in // groups) + kernel)
