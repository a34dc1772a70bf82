"""Shifted GEMM: one BLAS matmul per kernel offset, no im2col copy.

The padded input is split by phase (see geometry.py) and flattened to ``(G, C/G, N * cells)``.  For a
kernel offset, every output reads the same phase at the same flat shift, so the offset's contribution to
the whole batch is one ``(C_out/G, C/G) @ (C/G, L)`` GEMM on a contiguous slice, accumulated into a 'wide'
output that is cropped at the end.  Memory: about one copy of the input plus one of the output; the
wide output wastes the cells past the output size in each row (small for usual paddings).
"""
import math

import numpy as np

from . import geometry as geo
from . import threads


# The weight gradient multiplies the zeros past each output row (the wide layout) by the input there, and
# the input gradient the zeros around the output gradient by the weight: an inf or NaN there would give NaN
# where a direct sum gives a number.
NEEDS_FINITE = frozenset({"weight_grad", "input_grad"})

# A block of the input gradient (its images' wide gy, phases and product) is kept about this small, to stay
# in cache while every kernel offset adds into it (2 images of the transposed 2x up-sampling: 20% faster
# than the whole batch at once).
BLOCK_BYTES = 2 * 2**20


def _weight_by_offset(w, groups):
    """``w`` (C_out, C_in/G, *K) as ``(*K, G, C_out/G, C_in/G)``, contiguous, so each offset is one block."""
    c_out, per_group_in = w.shape[:2]
    kernel = w.shape[2:]
    grouped = w.reshape((groups, c_out // groups, per_group_in) + kernel)
    d = len(kernel)
    return np.ascontiguousarray(grouped.transpose(tuple(range(3, 3 + d)) + (0, 1, 2)))


def conv_forward(x, w, out_spatial, stride, padding, dilation, groups):
    """``y[n, co, o] = sum_{c, k} w[co, c, k] * x_padded[n, g(co) * C/G + c, o * stride + k * dilation]``.

    Shapes: x (N, C_in, *S), w (C_out, C_in/G, *K) -> y (N, C_out, *out_spatial), ``out_spatial`` at most
    ``npconv._shapes.conv_output_spatial`` of the arguments (fewer trailing outputs are simply not computed).
    """
    batch, c_in = x.shape[:2]
    spatial, kernel = x.shape[2:], w.shape[2:]
    c_out = w.shape[0]
    grid = geo.phase_grid(spatial, padding, out_spatial, kernel, stride, dilation)
    cells = batch * math.prod(grid)
    used = geo.used_phases(kernel, stride, dilation)
    phases = geo.to_phases(x, groups, padding, stride, grid, used).reshape(
        tuple(stride) + (groups, c_in // groups, cells))
    weights = _weight_by_offset(w, groups)
    length = geo.wide_length(batch, out_spatial, grid)
    wide = np.zeros((groups, c_out // groups, cells), dtype=x.dtype)
    product = np.empty((groups, c_out // groups, length), dtype=wide.dtype)
    for offset in geo.kernel_offsets(kernel):
        phase, shift = geo.phase_and_shift(offset, stride, dilation)
        start = geo.flat_index(shift, grid)
        np.matmul(weights[offset], phases[phase][:, :, start:start + length], out=product)
        wide[:, :, :length] += product
    return geo.gather_from_wide(wide, batch, out_spatial, grid)


def conv_input_grad(gy, w, input_spatial, stride, padding, dilation, groups):
    """Gradient of ``conv_forward`` with respect to x (also the forward of a transposed convolution).

    Shapes: gy (N, C_out, *O), w (C_out, C_in/G, *K) -> gx (N, C_in, *input_spatial).

    The work is split in (images, input channels) blocks, each computed whole by one kernel thread, from
    its images' wide gy to its part of gx: an output's terms land inside its own image's cells, so a block
    needs no other block's products.
    """
    batch, c_out = gy.shape[:2]
    out_spatial, kernel = gy.shape[2:], w.shape[2:]
    c_in = w.shape[1] * groups
    per_group = c_in // groups
    input_spatial = tuple(input_spatial)
    grid = geo.phase_grid(input_spatial, padding, out_spatial, kernel, stride, dilation)
    weights_t = _weight_by_offset(w, groups).swapaxes(-1, -2)  # (*K, G, C_in/G, C_out/G)
    starts = [(offset,) + geo.phase_and_shift(offset, stride, dilation) for offset in geo.kernel_offsets(kernel)]
    gx = np.empty((batch, c_in) + input_spatial, dtype=gy.dtype)
    gx_grouped = gx.reshape((batch, groups, per_group) + input_spatial)

    def run_block(block):
        (n0, n1), (c0, c1) = block
        wide_gy = geo.scatter_to_wide(gy[n0:n1], groups, grid)
        length = geo.wide_length(n1 - n0, out_spatial, grid)
        phases = np.zeros(tuple(stride) + (groups, c1 - c0, (n1 - n0) * math.prod(grid)), dtype=gy.dtype)
        product = np.empty((groups, c1 - c0, length), dtype=gy.dtype)
        for offset, phase, shift in starts:
            start = geo.flat_index(shift, grid)
            np.matmul(weights_t[offset][:, c0:c1], wide_gy[:, :, :length], out=product)
            phases[phase][:, :, start:start + length] += product
        phases = phases.reshape(tuple(stride) + (groups, c1 - c0, n1 - n0) + grid)
        geo.from_phases(phases, padding, stride, input_spatial, out=gx_grouped[n0:n1, :, c0:c1])
    macs = gy.size * c_in * math.prod(kernel) // groups
    # a block's wide gy, phases and product: per image about (C_out + (strides + 1) * C_in) cells
    image_bytes = (c_out + (math.prod(stride) + 1) * c_in) * math.prod(grid) * gy.itemsize
    threads.over_blocks(run_block, batch, per_group, macs, image_bytes, BLOCK_BYTES)
    return gx


def conv_weight_grad(x, gy, kernel_spatial, stride, padding, dilation, groups):
    """Gradient of ``conv_forward`` with respect to w.

    Shapes: x (N, C_in, *S), gy (N, C_out, *O) -> gw (C_out, C_in/G, *kernel_spatial).
    """
    batch, c_in = x.shape[:2]
    c_out = gy.shape[1]
    spatial, out_spatial = x.shape[2:], gy.shape[2:]
    kernel = tuple(kernel_spatial)
    dtype = x.dtype
    grid = geo.phase_grid(spatial, padding, out_spatial, kernel, stride, dilation)
    cells = batch * math.prod(grid)
    used = geo.used_phases(kernel, stride, dilation)
    phases = geo.to_phases(x, groups, padding, stride, grid, used).reshape(
        tuple(stride) + (groups, c_in // groups, cells))
    wide_gy = geo.scatter_to_wide(gy, groups, grid)
    length = geo.wide_length(batch, out_spatial, grid)
    grads = np.empty(kernel + (groups, c_out // groups, c_in // groups), dtype=dtype)
    for offset in geo.kernel_offsets(kernel):
        phase, shift = geo.phase_and_shift(offset, stride, dilation)
        start = geo.flat_index(shift, grid)
        np.matmul(wide_gy[:, :, :length], phases[phase][:, :, start:start + length].swapaxes(-1, -2),
                  out=grads[offset])
    d = len(kernel)
    grads = grads.transpose((d, d + 1, d + 2) + tuple(range(d)))  # (G, C_out/G, C_in/G, *K)
    return np.ascontiguousarray(grads).reshape((c_out, c_in // groups) + kernel)
