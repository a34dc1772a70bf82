"""Index geometry shared by the convolution algorithms.

All kernels use the same conventions:

- ``x`` is ``(N, C_in, *S)``, ``w`` is ``(C_out, C_in / groups, *K)``, ``y`` is ``(N, C_out, *O)``,
  with ``d = len(S)`` spatial dims (1, 2 or 3; nothing here depends on ``d``).
- ``stride`` and ``dilation`` are d-tuples of ints, ``padding`` is a d-tuple of ``(before, after)`` pairs
  of non-negative ints (asymmetric padding is what 'same' needs for even kernels).
- Output position ``o`` and kernel offset ``k`` read padded input position ``o * stride + k * dilation``.

The *phase* decomposition lets strided convolutions run as stride-1 ones: padded position
``j = p * s + r`` lives in phase ``r`` (0 <= r < s) at cell ``p``.  Kernel offset ``k`` then reads, for every
output ``o``, phase ``r = (k * d) % s`` at cell ``o + (k * d) // s``: a plain shift, the same for all ``o``.
"""
import functools
import itertools
import math

import numpy as np

from npconv._shapes import ceil_div, window_extent

from . import threads


def padded_extent(spatial, padding, out_spatial, kernel, stride, dilation):
    """Padded length per dim that holds both the padded input and every position a window reads.

    They differ when a caller asks for fewer/more outputs than the plain formula gives (the input-gradient
    of a transposed convolution with output_padding), so the grid covers the larger of the two.
    """
    return tuple(max(before + size + after, window_extent(o, k, s, dl))
                 for size, (before, after), o, k, s, dl
                 in zip(spatial, padding, out_spatial, kernel, stride, dilation))


def phase_grid(spatial, padding, out_spatial, kernel, stride, dilation):
    """Cells per phase and per dim: the padded extent rounded up to a multiple of the stride, divided."""
    extent = padded_extent(spatial, padding, out_spatial, kernel, stride, dilation)
    return tuple(ceil_div(e, s) for e, s in zip(extent, stride))


def kernel_offsets(kernel):
    """Every kernel offset as a tuple, in C order (the order of ``w``'s trailing axes)."""
    return itertools.product(*(range(k) for k in kernel))


def phase_and_shift(offset, stride, dilation):
    """For kernel offset ``offset``: the phase it reads and the cell shift inside that phase."""
    phase = tuple(k * dl % s for k, s, dl in zip(offset, stride, dilation))
    shift = tuple(k * dl // s for k, s, dl in zip(offset, stride, dilation))
    return phase, shift


def flat_index(position, grid):
    """Row-major flat index of ``position`` in an array of shape ``grid``."""
    return int(np.ravel_multi_index(position, grid)) if grid else 0


def offset_starts(kernel, stride, dilation, grid):
    """(phase, flat start in the phase cells) of every kernel offset, in C order."""
    return _cached_offset_starts(tuple(kernel), tuple(stride), tuple(dilation), tuple(grid))


@functools.lru_cache(maxsize=256)
def _cached_offset_starts(kernel, stride, dilation, grid):
    # cached: small convolutions (LeNet's) would otherwise spend a noticeable share of their time here
    starts = []
    for offset in kernel_offsets(kernel):
        phase, shift = phase_and_shift(offset, stride, dilation)
        starts.append((phase, flat_index(shift, grid)))
    return tuple(starts)


def _phase_slices(phase, padding, stride, spatial, grid):
    """Slices (into the phase cells, into the unpadded input) of the input positions that fall in ``phase``.

    Returns None when no input position falls in this phase (all of it is padding).
    """
    cell_slices, input_slices = [], []
    for r, (before, _), s, size, cells in zip(phase, padding, stride, spatial, grid):
        first_cell = max(0, ceil_div(before - r, s))  # first p with p*s + r - before >= 0
        first_input = first_cell * s + r - before
        if first_input >= size:
            return None
        count = ceil_div(size - first_input, s)
        assert first_cell + count <= cells
        cell_slices.append(slice(first_cell, first_cell + count))
        input_slices.append(slice(first_input, first_input + (count - 1) * s + 1, s))
    return tuple(cell_slices), tuple(input_slices)


def all_phases(stride):
    return itertools.product(*(range(s) for s in stride))


def used_phases(kernel, stride, dilation):
    """The phases some kernel offset reads (a strided 1x1 kernel reads only one of them)."""
    return {phase_and_shift(offset, stride, dilation)[0] for offset in kernel_offsets(kernel)}


def to_phases(x, groups, padding, stride, grid, phases=None):
    """Zero-pad ``x`` (N, C, *S) and split it by phase, in one copy.

    Returns an array shaped ``(*stride, G, C/G, N, *grid)``: entry ``[r, g, c, n, p]`` is the padded input at
    batch ``n``, channel ``g * C/G + c``, position ``p * stride + r``.  Channels come before the batch so
    that one GEMM per kernel offset covers the whole batch.  Only ``phases`` (default: all) are filled;
    the others stay zero.
    """
    n, c = x.shape[:2]
    spatial = x.shape[2:]
    selected = list(all_phases(stride) if phases is None else phases)
    shape = tuple(stride) + (groups, c // groups, n) + tuple(grid)
    every = len(selected) == math.prod(stride)
    # every cell written below (padding borders zeroed, the rest copied by the kernel threads), or the
    # untouched zeros of np.zeros, which cost nothing
    out = np.empty(shape, dtype=x.dtype) if every else np.zeros(shape, dtype=x.dtype)
    x_grouped = _channels_first_view(x, groups)
    for phase in selected:
        slices = _phase_slices(phase, padding, stride, spatial, grid)
        if slices is None:
            out[phase] = 0
            continue
        cells, inputs = slices
        if every:
            _zero_outside(out[phase], cells)
        threads.assign(out[phase][(Ellipsis,) + cells], x_grouped[(Ellipsis,) + inputs])
    return out


def _zero_outside(array, box):
    """Zero the cells of ``array`` (..., *grid) outside ``box`` (one slice per trailing dim)."""
    d = len(box)
    for axis, cut in enumerate(box):
        before = (Ellipsis,) + (slice(None),) * axis + (slice(0, cut.start),) + (slice(None),) * (d - axis - 1)
        after = (Ellipsis,) + (slice(None),) * axis + (slice(cut.stop, None),) + (slice(None),) * (d - axis - 1)
        array[before] = 0
        array[after] = 0


def flat_phases(x, groups, padding, stride, grid, kernel, dilation):
    """``to_phases`` of the phases the kernel reads, flattened: ``(*stride, G, C/G, N * prod(grid))``."""
    batch, c_in = x.shape[:2]
    phases = to_phases(x, groups, padding, stride, grid, used_phases(kernel, stride, dilation))
    return phases.reshape(tuple(stride) + (groups, c_in // groups, batch * math.prod(grid)))


def from_phases(phases, padding, stride, spatial, out=None):
    """Inverse of ``to_phases``: gather the unpadded input region back into an ``(N, C, *S)`` array (or into
    ``out``, a view ``(N, G, C/G, *S)`` of part of a larger array, which is returned)."""
    grid = phases.shape[-len(spatial):] if spatial else ()
    groups, per_group, n = phases.shape[len(stride):len(stride) + 3]
    if out is None:
        out = np.empty((n, groups * per_group) + tuple(spatial), dtype=phases.dtype)
        out_grouped = _channels_first_view(out, groups)
    else:
        out_grouped = out.transpose((1, 2, 0) + tuple(range(3, out.ndim)))
    for phase in all_phases(stride):
        slices = _phase_slices(phase, padding, stride, spatial, grid)
        if slices is not None:
            cells, inputs = slices
            threads.assign(out_grouped[(Ellipsis,) + inputs], phases[phase][(Ellipsis,) + cells])
    return out


def _channels_first_view(a, groups):
    """View of ``a`` (N, C, *S) as (G, C/G, N, *S), no copy."""
    n, c = a.shape[:2]
    spatial_axes = tuple(range(3, a.ndim + 1))
    return a.reshape((n, groups, c // groups) + a.shape[2:]).transpose((1, 2, 0) + spatial_axes)


def wide_length(batch, out_spatial, grid):
    """Length of the flat 'wide' output that one GEMM per kernel offset computes.

    The wide output is indexed like the phase cells (batch-major, then grid); positions past ``out_spatial``
    in a row are computed and then thrown away, which is what lets every offset be one contiguous slice.
    """
    return (batch - 1) * math.prod(grid) + flat_index(tuple(o - 1 for o in out_spatial), grid) + 1


def scatter_to_wide(gy, groups, grid):
    """Place ``gy`` (N, C, *O) at the start of a zero grid: an array ``(G, C/G, N * prod(grid))``, to be read
    only (one image on a grid of its own size is ``gy`` itself, reshaped: no copy)."""
    n, c = gy.shape[:2]
    out_spatial = gy.shape[2:]
    if n == 1 and tuple(grid) == tuple(out_spatial):
        return gy.reshape(groups, c // groups, math.prod(grid))
    wide = threads.zeros((groups, c // groups, n) + tuple(grid), gy.dtype)
    threads.assign(wide[(Ellipsis,) + tuple(slice(0, o) for o in out_spatial)], _channels_first_view(gy, groups))
    return wide.reshape(groups, c // groups, n * math.prod(grid))


def gather_from_wide(wide, batch, out_spatial, grid):
    """Inverse of ``scatter_to_wide``: ``(G, C/G, N * prod(grid))`` -> ``(N, C, *O)`` (a new contiguous array)."""
    groups, per_group = wide.shape[:2]
    cells = wide.reshape((groups, per_group, batch) + tuple(grid))
    valid = cells[(Ellipsis,) + tuple(slice(0, o) for o in out_spatial)]
    spatial_axes = tuple(range(3, valid.ndim))
    result = valid.transpose((2, 0, 1) + spatial_axes)
    return np.ascontiguousarray(result).reshape((batch, groups * per_group) + tuple(out_spatial))
