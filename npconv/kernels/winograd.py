"""Winograd minimal filtering F(m, 3) in 1, 2 or 3 dims, for stride-1 3-wide kernels.

Each output tile of m^d values is computed from an input tile of (m+2)^d values as
``Y = A^T [ (G g G^T) * (B^T d B) ] A`` (Lavin & Gray, 2015), the transforms applied along every spatial
axis in turn.  After the transforms the channel sums of all tiles are one batched GEMM per transformed
position: (m+2)^d GEMMs of (C_out/G x C_in/G) @ (C_in/G x tiles).  F(4x4, 3x3) does 36 multiplications
per 16 outputs where direct convolution does 144; F(2x2, 3x3) does 16 per 4 (36 direct) with smaller
transforms and less float32 rounding.  The input is processed in chunks of whole tiles so the transformed
input and product stay under ``CHUNK_BYTES`` (bounded workspace).

The input gradient of a stride-1 convolution is a forward convolution with the flipped kernel
(flipped.py, run by the dispatcher), so it runs here too.  The weight gradient transforms the input tiles
as the forward does and the output-gradient tiles with A, multiplies them per transformed position (the
tiles as the GEMMs' inner dimension) and transforms the sum back with G: F(4x4, 3x3) does 2.25
multiplications per output and weight where the GEMM methods do 9.  A dilated convolution is one undilated convolution per residue of the
dilation, all in the same GEMMs.  The transforms mix the values of a tile (``NEEDS_FINITE``): the
dispatcher hands non-finite inputs to a direct method.
"""
import math

import numpy as np

from npconv._shapes import ceil_div

from . import threads

__all__ = ["supports", "conv_forward", "transform_matrices", "F2", "F4", "NEEDS_FINITE"]

# An inf or NaN in an input tile reaches every output of the tile through the transforms (as NaN); in the
# weight gradient, every weight through the tile sums.
NEEDS_FINITE = frozenset({"forward", "input_grad", "weight_grad"})

# Transformed input + product of one chunk of tiles: large enough for efficient GEMMs, small for the cache.
CHUNK_BYTES = 2 * 2**20
# The weight gradient gathers its input tiles from a channels-last copy when the channels are at least this
# many times the tiles of a row: each tile element's channels are then one long contiguous run (a row's few
# tiles were the copy's inner loop), and the tile products ``Z V^T`` read V as rows, not transposed.  One
# thread, CPU time, channels-last / channels-first: grouped 3x3 (128 channels, 7 tiles a row) 0.79, 64 at
# 56x56 (14) 0.80, 128 at 28x28 0.81, 256 at 14x14 0.92, 512 at 7x7 0.98; 64 at 64x64 (16) 1.01, 3-d 16
# channels (8) 0.96; U-Net's 32 at 128x128 (32) and 16 at 256x256 1.18, 8 at 56x56 1.14 (two threads alike).
# The forward would multiply the same V transposed (a slower GEMM here): it keeps channels first.
CHANNELS_LAST_MIN_RATIO = 4


def transform_matrices(m):
    """(B^T, G, A^T) of F(m, 3) for m = 2 or 4, interpolation points 0, +-1 (, +-2) and infinity."""
    if m == 2:
        bt = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]
        g = [[1, 0, 0], [.5, .5, .5], [.5, -.5, .5], [0, 0, 1]]
        at = [[1, 1, 1, 0], [0, 1, -1, -1]]
    elif m == 4:
        bt = [[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
              [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]]
        g = [[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6],
             [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]]
        at = [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]]
    else:
        raise ValueError(f"Winograd F(m, 3) is implemented for m = 2 and 4, not {m}")
    return np.array(bt, dtype=np.float64), np.array(g, dtype=np.float64), np.array(at, dtype=np.float64)


def supports(operation, x_shape, w_shape, stride, dilation, groups):
    """Convolutions with every kernel size 3 and stride 1 (any dilation)."""
    return all(k == 3 for k in w_shape[2:]) and all(s == 1 for s in stride)


def _transform_leading(matrix, array, d, slots=None):
    """Apply ``matrix`` along each of the first ``d`` axes of ``array``: (e_1..e_d, rest) -> (a_1..a_d, rest).

    Each step is one (broadcast) matmul on a contiguous array, no transposed copy: the axis being
    transformed sits between the already transformed ones and the rest.  With ``slots`` (two names), the
    steps write into this thread's scratch buffers of those names in turn (``threads.scratch``); the result
    lives in one of them.
    """
    if slots is None:
        array = np.ascontiguousarray(array)
    elif not array.flags.c_contiguous:
        array = _copy_to(threads.scratch(slots[1], array.shape, array.dtype), array)
    for axis in range(d):
        shape = array.shape
        flat = array.reshape(math.prod(shape[:axis]), shape[axis], -1)
        out_shape = (flat.shape[0], matrix.shape[0], flat.shape[2])
        out = None if slots is None else threads.scratch(slots[axis % 2], out_shape, array.dtype)
        array = np.matmul(matrix, flat, out=out).reshape(shape[:axis] + (matrix.shape[0],) + shape[axis + 1:])
    return array


def _copy_to(target, source):
    np.copyto(target, source)
    return target


def _weight_transform(w, groups, g_matrix):
    """U = G g G^T for every (C_out, C_in/G) pair, as ``(alpha^d, G, C_out/G, C_in/G)``."""
    c_out, per_group = w.shape[:2]
    d = w.ndim - 2
    by_offset = w.transpose(tuple(range(2, 2 + d)) + (0, 1))  # (k_1..k_d, C_out, C_in/G)
    u = _transform_leading(g_matrix, by_offset, d)
    alpha = g_matrix.shape[0]
    u = u.reshape((alpha ** d, groups, c_out // groups, per_group))
    return np.ascontiguousarray(u)


def _tile_view(padded, m, tiles, dilation, channels_last=False):
    """Overlapping input tiles of ``padded`` (N, C, *P) as a view, no copy.

    Axes ``(e_1..e_d, C, N, t_1, r_1..r_d, t_2..t_d)``: tile element ``e``, channel, image, tile ``t`` and
    dilation residue ``r`` read padded position ``(t * m + e) * dilation + r`` (r is always 0 undilated).
    ``channels_last``: ``padded`` is (N, *P, C) and the axes ``(e_1..e_d, N, t_1, r.., t_2.., C)``.
    """
    d = len(tiles)
    channel_axis = padded.ndim - 1 if channels_last else 1
    spatial = tuple(st for axis, st in enumerate(padded.strides) if axis not in (0, channel_axis))
    elements = tuple(st * dl for st, dl in zip(spatial, dilation))
    tile_shape = (tiles[0],) + tuple(dilation) + tuple(tiles[1:])
    tile_strides = ((spatial[0] * m * dilation[0],) + tuple(spatial)
                    + tuple(st * m * dl for st, dl in zip(spatial[1:], dilation[1:])))
    batch, channels = (padded.shape[0], padded.strides[0]), (padded.shape[channel_axis], padded.strides[channel_axis])
    ends = ((batch,), (channels,)) if channels_last else ((channels, batch), ())
    shape = (m + 2,) * d + tuple(a[0] for a in ends[0]) + tile_shape + tuple(a[0] for a in ends[1])
    strides = elements + tuple(a[1] for a in ends[0]) + tile_strides + tuple(a[1] for a in ends[1])
    return np.lib.stride_tricks.as_strided(padded, shape, strides, writeable=False)


def _chunks(batch, columns_per_row, rows_per_image, column_bytes, parts=1):
    """Slices (images, first-axis tile rows) covering every tile column, each chunk under CHUNK_BYTES, and
    smaller when that gives fewer chunks than ``parts`` (the threads), so that every thread gets work."""
    chunks = _chunks_within(batch, columns_per_row, rows_per_image, max(1, CHUNK_BYTES // column_bytes))
    if len(chunks) < parts:
        total = batch * rows_per_image * columns_per_row
        chunks = _chunks_within(batch, columns_per_row, rows_per_image, max(1, total // parts))
    return chunks


def _chunks_within(batch, columns_per_row, rows_per_image, budget):
    per_image = columns_per_row * rows_per_image
    if budget >= per_image:
        images = budget // per_image
        return [(slice(n, min(n + images, batch)), slice(0, rows_per_image)) for n in range(0, batch, images)]
    rows = max(1, budget // columns_per_row)
    return [(slice(n, n + 1), slice(t, min(t + rows, rows_per_image)))
            for n in range(batch) for t in range(0, rows_per_image, rows)]


def winograd_forward(x, w, out_spatial, padding, groups, m, dilation):
    """Stride-1 convolution with a 3-wide kernel by Winograd F(m, 3); shapes as conv_forward.

    A dilated convolution is one undilated convolution per residue of the output position modulo the
    dilation; the residues are just more tile columns of the same GEMMs (see ``_tile_view``).  A batch whose
    padded copy is larger than BLOCK_BYTES runs in blocks of images (see ``_over_image_blocks``).
    """
    batch, c_out = x.shape[0], w.shape[0]
    bt, g_matrix, at = (matrix.astype(x.dtype) for matrix in transform_matrices(m))
    u = _weight_transform(w, groups, g_matrix)
    y = np.empty((batch, c_out) + tuple(out_spatial), dtype=x.dtype)
    macs = y.size * w[0].size

    def forward_block(images):
        _forward_into(y[images], x[images], u, bt, at, padding, groups, m, dilation)
    _over_image_blocks(forward_block, x.shape, out_spatial, padding, m, dilation, macs, x.itemsize)
    return y


def _forward_into(y, x, u, bt, at, padding, groups, m, dilation):
    """winograd_forward of ``x`` with the transformed weight ``u``, written into ``y``."""
    batch, c_in = x.shape[:2]
    c_out = y.shape[1]
    d = x.ndim - 2
    dilation = tuple(dilation)
    dtype = x.dtype
    out_spatial = y.shape[2:]
    alpha = m + 2
    tiles, extent, full_shape, to_output = _tiling(x.shape, out_spatial, padding, m, dilation)
    view = _tile_view(_padded(x, extent, padding), m, tiles, dilation)
    full = y if full_shape[2:] == out_spatial else np.empty((batch, c_out) + full_shape[2:], dtype=dtype)
    full_tiles = full.reshape((batch, c_out) + tuple(v for t, dl in zip(tiles, dilation) for v in (t, m, dl)))
    column_bytes = alpha ** d * (c_in + c_out) * dtype.itemsize
    columns_per_row = math.prod(dilation) * math.prod(tiles[1:])
    macs = math.prod(full.shape) * c_in // groups * 9
    chunks = _chunks(batch, columns_per_row, tiles[0], column_bytes, len(threads.pieces(2**30, macs)))

    def run_chunks(piece):  # chunks write disjoint output tiles: threads need no coordination
        for images, rows in chunks[piece[0]:piece[1]]:
            chunk = view[(slice(None),) * (d + 1) + (images, rows)]
            v = _transform_leading(bt, chunk, d, ("a", "b"))  # (a_1..a_d, C, n, t_1, r.., t_2..) contiguous
            columns = v.shape[d + 1:]
            v = v.reshape((alpha ** d, groups, c_in // groups, -1))
            product = threads.scratch("product", v.shape[:2] + (c_out // groups, v.shape[3]), dtype)
            np.matmul(u, v, out=product)
            product = product.reshape((alpha,) * d + (c_out,) + columns)
            tiles_out = _transform_leading(at, product, d, ("a", "b"))  # (m_1..m_d, C_out, n, t_1, r.., t_2..)
            target = full_tiles[(images, slice(None), rows)]
            target[...] = tiles_out.transpose(to_output)
    threads.run_parallel(run_chunks, threads.pieces(len(chunks), macs))
    if full is not y:
        threads.assign(y, full[(Ellipsis,) + tuple(slice(0, o) for o in out_spatial)])


# A batch whose padded input copy is larger than this is computed in blocks of images, each thread taking whole
# blocks: a block's copy stays in cache while its tiles are transformed, and it is memory that malloc keeps
# between calls.  A whole-batch copy above glibc's 32 MB mmap limit is fresh pages on every call, and
# faulting those in from two threads at once stalled for 30-70 ms here (U-Net's 4x32x256x256 layers).
BLOCK_BYTES = 8 * 2**20


def _over_image_blocks(task, x_shape, out_spatial, padding, m, dilation, macs, itemsize):
    """``task(images)`` (a slice of the batch) for the whole batch at once, or, when its padded copy is larger
    than BLOCK_BYTES, for blocks of images on the kernel threads (``threads.over_blocks``)."""
    extent = _tiling(x_shape, out_spatial, padding, m, tuple(dilation))[1]
    image_bytes = x_shape[1] * math.prod(extent) * itemsize
    batch = x_shape[0]
    if batch < 2 or batch * image_bytes <= BLOCK_BYTES:
        task(slice(0, batch))
        return
    threads.over_blocks(lambda block: task(slice(*block[0])), batch, 1, macs, image_bytes, BLOCK_BYTES)


def _tiling(x_shape, out_spatial, padding, m, dilation):
    """What the forward and the weight gradient share: tiles per residue, the padded extent, the layout of
    the tiled output (``full``) and the permutation from a chunk's product axes to it."""
    d = len(out_spatial)
    tiles = tuple(ceil_div(ceil_div(o, dl), m) for o, dl in zip(out_spatial, dilation))  # per residue
    extent = tuple((t * m + 2) * dl for t, dl in zip(tiles, dilation))
    full = (x_shape[0], None) + tuple(t * m * dl for t, dl in zip(tiles, dilation))
    # chunk axes: (m_1..m_d, C_out, n, t_1, r_1..r_d, t_2..t_d) -> (n, C_out, t_1, m_1, r_1, t_2, m_2, r_2..)
    to_output = (d + 1, d, d + 2, 0, d + 3) + tuple(axis for i in range(2, d + 1)
                                                    for axis in (2 * d + 1 + i, i - 1, d + 2 + i))
    return tiles, extent, full, to_output


def _padded(x, extent, padding, channels_last=False):
    """``x`` zero-padded (``padding`` before) to ``extent``, cut where the extent ends (a copy); with
    ``channels_last``, laid out ``(N, *extent, C)``."""
    interior = tuple(slice(before, before + size) for (before, _), size in zip(padding, x.shape[2:]))
    source = x[(Ellipsis,) + tuple(slice(0, e - before) for (before, _), e in zip(padding, extent))]
    if not channels_last:
        padded = threads.zeros(x.shape[:2] + extent, x.dtype)
        threads.assign(padded[(Ellipsis,) + interior], source)
        return padded
    padded = threads.zeros((x.shape[0],) + tuple(extent) + (x.shape[1],), x.dtype)
    threads.assign(padded[(slice(None),) + interior], source.transpose((0,) + tuple(range(2, x.ndim)) + (1,)))
    return padded


def winograd_weight_grad(x, gy, padding, groups, m, dilation):
    """Weight gradient of a stride-1 3-wide convolution by Winograd F(m, 3): with ``V = B^T d B`` the input
    tiles (as the forward) and ``Z = A dy A^T`` the output-gradient tiles, ``dg = G^T (sum_tiles Z V^T) G``,
    the sum one GEMM per transformed position, (C_out/G x tiles) @ (tiles x C_in/G), accumulated per thread
    (per block of images when the batch is large, as the forward).
    """
    d = x.ndim - 2
    bt, g_matrix, at = (matrix.astype(x.dtype) for matrix in transform_matrices(m))
    sums = []  # list.append is atomic: each block adds its (alpha^d, G, C_out/G, C_in/G) sum

    def sum_block(images):
        sums.append(_tile_product_sum(x[images], gy[images], bt, at, padding, groups, m, dilation))
    _over_image_blocks(sum_block, x.shape, gy.shape[2:], padding, m, dilation, gy.size * x[0].size // groups * 9,
                       x.itemsize)
    by_position = sum(sums).reshape((m + 2,) * d + (gy.shape[1], x.shape[1] // groups))
    grads = _transform_leading(g_matrix.T, by_position, d)  # (3, .., 3, C_out, C_in/G)
    return np.ascontiguousarray(grads.transpose((d, d + 1) + tuple(range(d))))


def _tile_product_sum(x, gy, bt, at, padding, groups, m, dilation):
    """``sum_tiles Z V^T`` of winograd_weight_grad over the images of ``x`` and ``gy``, per thread, summed."""
    batch, c_in = x.shape[:2]
    c_out = gy.shape[1]
    d = x.ndim - 2
    dilation = tuple(dilation)
    dtype = x.dtype
    alpha = m + 2
    tiles, extent, full_shape, to_output = _tiling(x.shape, gy.shape[2:], padding, m, dilation)
    channels_last = c_in >= CHANNELS_LAST_MIN_RATIO * tiles[-1]
    view = _tile_view(_padded(x, extent, padding, channels_last), m, tiles, dilation, channels_last)
    lead = d if channels_last else d + 1
    full = threads.zeros((batch, c_out) + full_shape[2:], dtype)  # gy on whole tiles, zeros past it
    threads.assign(full[(Ellipsis,) + tuple(slice(0, o) for o in gy.shape[2:])], gy)
    full_tiles = full.reshape((batch, c_out) + tuple(v for t, dl in zip(tiles, dilation) for v in (t, m, dl)))
    from_output = tuple(np.argsort(to_output))
    a_matrix = np.ascontiguousarray(at.T)
    column_bytes = alpha ** d * (c_in + c_out) * dtype.itemsize
    macs = gy.size * c_in // groups * 9
    chunks = _chunks(batch, math.prod(dilation) * math.prod(tiles[1:]), tiles[0], column_bytes,
                     len(threads.pieces(2**30, macs)))

    def run_chunks(piece):  # each thread sums its chunks' products in its own (alpha^d, C_out, C_in/G) array
        total = np.zeros((alpha ** d, groups, c_out // groups, c_in // groups), dtype=dtype)
        for images, rows in chunks[piece[0]:piece[1]]:
            v = _transform_leading(bt, view[(slice(None),) * lead + (images, rows)], d, ("a", "b"))
            if channels_last:
                v = v.reshape(alpha ** d, -1, groups, c_in // groups).transpose(0, 2, 3, 1)
            else:
                v = v.reshape((alpha ** d, groups, c_in // groups, -1))
            z = _transform_leading(a_matrix, full_tiles[(images, slice(None), rows)].transpose(from_output), d,
                                   ("c", "d"))
            z = z.reshape((alpha ** d, groups, c_out // groups, -1))
            total += np.matmul(z, v.swapaxes(-1, -2), out=threads.scratch("product", total.shape, dtype))
        return total
    return sum(threads.run_parallel(run_chunks, threads.pieces(len(chunks), macs)))


class _Variant:
    """One Winograd tile size as an algorithm module: its forward, ``supports`` and ``NEEDS_FINITE``."""

    supports = staticmethod(supports)
    NEEDS_FINITE = NEEDS_FINITE

    def __init__(self, m):
        self.m = m
        self.__name__ = f"winograd F({m}, 3)"

    def conv_forward(self, x, w, out_spatial, stride, padding, dilation, groups):
        """Stride-1 convolution with a 3-wide kernel by F(m, 3); the contract of the kernel entry points."""
        return winograd_forward(x, w, out_spatial, padding, groups, self.m, dilation)

    def conv_weight_grad(self, x, gy, kernel_spatial, stride, padding, dilation, groups):
        """Its weight gradient by F(m, 3); the contract of the kernel entry points."""
        return winograd_weight_grad(x, gy, padding, groups, self.m, dilation)


F2 = _Variant(2)
F4 = _Variant(4)
conv_forward = F4.conv_forward
