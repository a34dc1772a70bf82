"""Where each output element of a layer reads from, one spatial axis at a time.

Sizes come from :mod:`npconv.arithmetic` (the one place the formulas live); this module only maps
positions: output ``o`` with kernel offset ``k`` reads input ``o*stride - pad_left + k*dilation``
(convolution, pooling), or input ``i`` scatters to ``i*stride - pad + k*dilation`` (transposed
convolution). The diagrams and the numeric trace are both built on these maps.
"""
from dataclasses import dataclass

from .. import _shapes, arithmetic

__all__ = ["Axis", "axes_of", "reads", "used_inputs"]


@dataclass(frozen=True)
class Axis:
    """One spatial dimension of a layer applied to an input."""
    size: int                 # input size along this dimension
    out: int                  # output size (npconv.arithmetic)
    kernel: int = 1
    stride: int = 1
    dilation: int = 1
    pad_left: int = 0
    pad_right: int = 0
    output_padding: int = 0

    @property
    def span(self):
        """Input cells covered by one (dilated) kernel window."""
        return _shapes.dilated_extent(self.kernel, self.dilation)

    # --- convolution / pooling: the padded input --------------------------------------------------
    @property
    def padded_cells(self):
        """Cells drawn for the padded input; ceil_mode windows may reach past the right padding."""
        last_window_end = _shapes.window_extent(self.out, self.kernel, self.stride, self.dilation)
        return max(self.size + self.pad_left + self.pad_right, last_window_end)

    def padded_kind(self, cell):
        index = cell - self.pad_left
        if 0 <= index < self.size:
            return "input", index
        if cell < self.size + self.pad_left + self.pad_right:
            return "pad", index
        return "outside", index

    def window(self, out_index):
        """(padded cell, kernel offset) pairs read by output ``out_index``."""
        start = out_index * self.stride
        return [(start + k * self.dilation, k) for k in range(self.kernel)]

    # --- transposed convolution as a stride-1 convolution over the zero-inserted, padded input ------
    @property
    def equivalent_pad_left(self):
        return self.span - 1 - self.pad_left

    @property
    def equivalent_cells(self):
        return self.out + self.span - 1

    def equivalent_kind(self, cell):
        inserted = cell - self.equivalent_pad_left
        if 0 <= inserted <= (self.size - 1) * self.stride:
            if inserted % self.stride == 0:
                return "input", inserted // self.stride
            return "zero", None
        return "pad", None

    def equivalent_window(self, out_index):
        """(cell, kernel offset) pairs; the kernel is flipped, so cell offset j uses weight K-1-j."""
        return [(out_index + j * self.dilation, self.kernel - 1 - j) for j in range(self.kernel)]

    # --- transposed convolution as a scatter ---------------------------------------------------------
    @property
    def full_cells(self):
        """Output cells before ``padding`` crops them (``output_padding`` adds cells on the right)."""
        return self.out + 2 * self.pad_left

    def full_kind(self, cell):
        index = cell - self.pad_left
        return ("output", index) if 0 <= index < self.out else ("crop", index)

    def scatter(self, in_index):
        """(full output cell, kernel offset) pairs written by input ``in_index``."""
        return [(in_index * self.stride + k * self.dilation, k) for k in range(self.kernel)]


def axes_of(spec, spatial):
    """One :class:`Axis` per spatial dimension of ``spec`` applied to an input of spatial size ``spatial``."""
    if spec.kind == "upsample":
        if spec.size is not None:
            outs = tuple(spec.size)
        else:
            outs = arithmetic.interpolate_output_size(tuple(spatial), spec.scale_factor)
        return [Axis(size=size, out=out) for size, out in zip(spatial, outs)]
    pads = padding_pairs(spec)
    if spec.kind == "conv":
        # Asymmetric 'same' padding: torch pads the extra cell explicitly, then pads symmetrically.
        outs = [arithmetic.conv_output_size(size + right - left, k, s, left, d) for size, k, s, d, (left, right)
                in zip(spatial, spec.kernel_size, spec.stride, spec.dilation, pads)]
    elif spec.kind == "conv_transpose":
        outs = arithmetic.conv_transpose_output_size(tuple(spatial), spec.kernel_size, spec.stride,
                                                     tuple(p for p, _ in pads), spec.output_padding,
                                                     spec.dilation)
    else:
        outs = arithmetic.pool_output_size(tuple(spatial), spec.kernel_size, spec.stride,
                                           tuple(p for p, _ in pads), spec.dilation, spec.ceil_mode)
    output_padding = spec.output_padding or (0,) * spec.dims
    return [Axis(size, out, k, s, d, left, right, op) for size, out, k, s, d, (left, right), op
            in zip(spatial, outs, spec.kernel_size, spec.stride, spec.dilation, pads, output_padding)]


def padding_pairs(spec):
    """(left, right) padding per spatial dimension, with 'same' split as torch splits it."""
    if spec.padding == "same":
        return list(arithmetic.same_padding(spec.kernel_size, spec.dilation))
    if spec.padding == "valid":
        return [(0, 0)] * spec.dims
    if spec.padding == "causal":    # every output sees only the present and the past
        return [(d * (k - 1), 0) for k, d in zip(spec.kernel_size, spec.dilation)]
    return [(p, p) for p in spec.padding]


def reads(spec, axis, out_index):
    """(input index, kernel offset) pairs that output ``out_index`` combines along ``axis``.

    For convolution and pooling the input index may fall in the padding (negative or >= size); for a
    transposed convolution only real input cells are listed (the scatter relation solved for the input).
    """
    if spec.kind == "conv_transpose":
        pairs = []
        for k in range(axis.kernel):
            numerator = out_index + axis.pad_left - k * axis.dilation
            if numerator % axis.stride == 0 and 0 <= numerator // axis.stride < axis.size:
                pairs.append((numerator // axis.stride, k))
        return pairs
    return [(cell - axis.pad_left, k) for cell, k in axis.window(out_index)]


def used_inputs(spec, axis):
    """Input indices along ``axis`` that at least one output element reads."""
    used = set()
    for out_index in range(axis.out):
        used.update(index for index, _ in reads(spec, axis, out_index) if 0 <= index < axis.size)
    return used
