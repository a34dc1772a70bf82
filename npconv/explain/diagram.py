"""Diagrams of one layer at one output position, as :class:`~npconv.explain.drawing.Scene` objects.

Input grid (padding cells dashed grey), the kernel footprint with its dilation holes (the dashed blue
box spans the dilated kernel; only the dark cells are read), the kernel, and the output grid with the
matching cell highlighted. A transposed convolution is drawn twice, as in Dumoulin & Visin's guide: as a
stride-1 convolution of the flipped kernel over the zero-inserted, padded input, and as the scatter of
one input cell into the output before padding crops it. Groups are drawn as channel blocks, a 1-d layer
as one row, a 3-d layer as depth slices stacked top to bottom.
"""
import itertools
import math
from dataclasses import dataclass

import numpy as np

from .drawing import Line, Rect, Scene, Text
from .layer import ExplainError

__all__ = ["DiagramValues", "Diagram", "MAX_CELLS_PER_SIDE", "MAX_DEPTH_SLICES"]

MAX_CELLS_PER_SIDE = 64
MAX_DEPTH_SLICES = 12
SLICES_DOWN = 3          # a 3-d grid puts its depth slices side by side, at most this many down a column
LABEL_FONT = 9.5         # the smallest font a cell's number is drawn in before the cell grows

WHITE, GREY_LINE, TEXT = "#ffffff", "#9a9a9a", "#222222"
PAD_FILL, ZERO_FILL, CROP_FILL = "#e4e4e4", "#fff1bf", "#f0f0f0"
READ_FILL, READ_PAD_FILL, KERNEL_FILL, SPAN_LINE = "#2f6db5", "#86aede", "#2f6db5", "#2f6db5"
OUT_FILL, OUT_CURRENT, MAX_MARK = "#e3f3e6", "#2e8b57", "#d9480f"
GROUP_COLORS = ("#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#eeca3b", "#9d755d")


@dataclass
class DiagramValues:
    """Numbers written into the cells (all optional; arrays hold one channel, spatial dims only)."""
    input: object = None          # input channel drawn
    padded: object = None         # the same channel after padding (padding_mode values)
    kernel: object = None         # kernel slice (out channel, in channel) drawn
    output: object = None         # output channel drawn
    in_channel: int = 0
    out_channel: int = 0
    weights_at: object = None     # pos -> spatial array of input weights (average pool, upsample)
    max_at: object = None         # pos -> input index of the maximum (max pool)


def fmt(value):
    """A short label: integers without a decimal point, other numbers with 3 significant digits."""
    value = float(value)
    if np.isinf(value):
        return "-∞" if value < 0 else "∞"
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.3g}"


class Diagram:
    """Builds the Scene of ``spec`` (a LayerSpec) over ``axes`` (geometry.Axis list) at an output position."""

    def __init__(self, spec, axes, values=None):
        self.spec, self.axes, self.values = spec, axes, values or DiagramValues()
        self._check_size()
        fitting_width = max(10, min(34, 900 // max(1, self._row_cells())))
        # a cell grows until its longest number (5 digits and less) is legible, even if the picture widens
        self.cell = int(max(fitting_width, min(34, _label_room(self._longest_label()))))

    # ---- size checks -----------------------------------------------------------------------------
    def _grid_sides(self):
        axes = self.axes
        if self.spec.kind == "conv_transpose":
            return [a.equivalent_cells for a in axes] + [a.full_cells for a in axes]
        if self.spec.kind == "upsample":
            return [a.size for a in axes] + [a.out for a in axes]
        return [a.padded_cells for a in axes] + [a.out for a in axes]

    def _largest_side(self):
        return max(self._grid_sides())

    def _check_size(self):
        if len(self.axes) == 3:
            depth = max(self._depth_sides())
            if depth > MAX_DEPTH_SLICES:
                raise ExplainError(f"the diagram would draw {depth} depth slices (at most {MAX_DEPTH_SLICES}); "
                                   f"explain the layer on a shallower input: the arithmetic is the same")
        largest = self._largest_side()
        if largest > MAX_CELLS_PER_SIDE:
            raise ExplainError(f"the diagram would be {largest} cells wide (at most {MAX_CELLS_PER_SIDE}); "
                               f"explain the layer on a smaller input, e.g. 8x8: the arithmetic is the same")

    def _depth_sides(self):
        first = self.axes[0]
        if self.spec.kind == "conv_transpose":
            return [first.equivalent_cells, first.full_cells]
        if self.spec.kind == "upsample":
            return [first.size, first.out]
        return [first.padded_cells, first.out]

    def _longest_label(self):
        values = self.values
        arrays = [a for a in (values.input, values.output, values.kernel, values.padded) if a is not None]
        return max([len(cell_label(v)) for a in arrays for v in np.unique(np.asarray(a, dtype=float))] + [1])

    def _row_cells(self):
        """Cells across the widest row of panels (sets the cell size)."""
        axes = self.axes

        def width(sizes):   # columns are the last spatial dim; 3-d slices stand side by side
            across = _slice_columns(sizes[0]) if len(sizes) == 3 else 1
            return sizes[-1] * across + (across - 1)
        if self.spec.kind == "conv_transpose":
            return width([a.equivalent_cells for a in axes]) + axes[-1].kernel + width([a.out for a in axes]) + 6
        if self.spec.kind == "upsample":
            return width([a.size for a in axes]) + width([a.out for a in axes]) + 3
        return width([a.padded_cells for a in axes]) + axes[-1].kernel + width([a.out for a in axes]) + 6

    # ---- public ----------------------------------------------------------------------------------
    def scene(self, out_pos, caption=()):
        """The picture with output ``out_pos`` (a tuple of spatial indices) highlighted."""
        scene = Scene()
        y = 0
        if self.spec.kind == "conv_transpose":
            y = self._conv_row(scene, y, out_pos, equivalent=True)
            y = self._scatter_row(scene, y + 16, out_pos)
        elif self.spec.kind == "upsample":
            y = self._upsample_row(scene, y, out_pos)
        else:
            y = self._conv_row(scene, y, out_pos, equivalent=False)
        y = self._channels_note(scene, y)
        if self.spec.is_conv and self.spec.groups > 1:
            y = self._groups_panel(scene, y + 16)
        y = self._legend(scene, y + 18)
        for line in caption:
            y += 17
            scene.add(Text(0, y, line, size=12, color=TEXT))
        return scene

    # ---- rows of panels ----------------------------------------------------------------------------
    def _conv_row(self, scene, y, out_pos, equivalent):
        spec, axes, values = self.spec, self.axes, self.values
        windows = [(a.equivalent_window if equivalent else a.window)(o) for a, o in zip(axes, out_pos)]
        read_cells = {tuple(c for c, _ in combo) for combo in itertools.product(*windows)}
        max_cell = None
        if values.max_at is not None:
            index = values.max_at(out_pos)
            max_cell = tuple(i + a.pad_left for i, a in zip(index, axes))

        def input_style(cell):
            kinds = [(a.equivalent_kind if equivalent else a.padded_kind)(c) for a, c in zip(axes, cell)]
            kind = _combined_kind(k for k, _ in kinds)
            label = ""
            if kind == "input":
                label = _value_at(values.input, tuple(i for _, i in kinds))
            elif kind in ("pad", "zero"):
                label = self._padding_label(cell, kinds) if not equivalent else "0"
            read = cell in read_cells
            fill = {"input": WHITE, "pad": PAD_FILL, "zero": ZERO_FILL, "outside": WHITE}[kind]
            if read:
                fill = READ_FILL if kind == "input" else READ_PAD_FILL
            style = dict(fill=fill, dashed=kind != "input", label=label,
                         label_color=WHITE if read and kind == "input" else TEXT, kind=f"in-cell {kind}")
            if cell == max_cell:
                style.update(stroke=MAX_MARK, stroke_width=3)
            return style

        sizes = [a.equivalent_cells if equivalent else a.padded_cells for a in axes]
        if equivalent:
            title = f"input{self._channel_text(values.in_channel, spec.in_channels)} as a convolution: " \
                    "zero-inserted, padded"
        else:
            title = f"input{self._channel_text(values.in_channel, spec.in_channels)} {_times(a.size for a in axes)}" \
                + self._padding_title()
        x = 0
        width, height = self._grid(scene, x, y, sizes, input_style, title)
        self._span_boxes(scene, x, y, sizes, windows)
        x += width + 2 * self.cell
        kernel_width, kernel_height = self._kernel_panel(scene, x, y, flipped=equivalent)
        x += kernel_width + 2 * self.cell
        out_width, out_height = self._output_panel(scene, x, y, out_pos)
        return y + max(height, kernel_height, out_height)

    def _scatter_row(self, scene, y, out_pos):
        spec, axes, values = self.spec, self.axes, self.values
        sources = [self._first_source(a, o) for a, o in zip(axes, out_pos)]
        if any(s is None for s in sources):
            scene.add(Text(0, y + 14, "as a scatter: no input cell reaches this output (only the bias)", size=13))
            return y + 20
        stamps = [a.scatter(i) for a, i in zip(axes, sources)]
        stamped = {tuple(c for c, _ in combo) for combo in itertools.product(*stamps)}
        target = tuple(o + a.pad_left for a, o in zip(axes, out_pos))

        def input_style(cell):
            hit = cell == tuple(sources)
            return dict(fill=READ_FILL if hit else WHITE, label=_value_at(values.input, cell),
                        label_color=WHITE if hit else TEXT, kind="scatter-in-cell")

        def full_style(cell):
            kinds = [a.full_kind(c) for a, c in zip(axes, cell)]
            cropped = any(k == "crop" for k, _ in kinds)
            fill = (READ_PAD_FILL if cropped else READ_FILL) if cell in stamped else (CROP_FILL if cropped else OUT_FILL)
            style = dict(fill=fill, dashed=cropped, kind="full-cell crop" if cropped else "full-cell")
            if cell == target:
                style.update(stroke=OUT_CURRENT, stroke_width=3)
            return style

        title = f"as a scatter: input{self._channel_text(values.in_channel, spec.in_channels)} cell {_index_text(sources)} × kernel"
        width, height = self._grid(scene, 0, y, [a.size for a in axes], input_style, title)
        x = width + 2 * self.cell
        kernel_width, kernel_height = self._kernel_panel(scene, x, y, flipped=False)
        x += kernel_width + 2 * self.cell
        pads = _times(a.pad_left for a in axes)
        full_title = f"output before cropping (padding {pads} cut, dashed)"
        full_width, full_height = self._grid(scene, x, y, [a.full_cells for a in axes], full_style, full_title)
        return y + max(height, kernel_height, full_height)

    def _upsample_row(self, scene, y, out_pos):
        axes, values = self.axes, self.values
        weights = values.weights_at(out_pos) if values.weights_at is not None else None

        def input_style(cell):
            weight = None if weights is None else float(weights[cell])
            if weight:
                return dict(fill=READ_FILL, label=fmt(round(weight, 3)), label_color=WHITE, kind="in-cell input")
            return dict(fill=WHITE, label=_value_at(values.input, cell), kind="in-cell input")

        title = f"input {_times(a.size for a in axes)} (blue: weights)"
        width, height = self._grid(scene, 0, y, [a.size for a in axes], input_style, title)
        out_width, out_height = self._output_panel(scene, width + 2 * self.cell, y, out_pos)
        return y + max(height, out_height)

    # ---- panels ------------------------------------------------------------------------------------
    def _kernel_panel(self, scene, x, y, flipped):
        spec, values = self.spec, self.values
        kernel = values.kernel
        if spec.kind in ("max_pool", "avg_pool"):
            title = f"window {_times(spec.kernel_size)} ({'max' if spec.kind == 'max_pool' else 'average'})"
            kernel = None
        else:
            title = f"{'flipped ' if flipped else ''}kernel {_times(spec.kernel_size)}"
        if any(d > 1 for d in spec.dilation):
            title += f", dilation {_times(spec.dilation)}"
        if kernel is not None and flipped:
            kernel = np.flip(kernel)

        def style(cell):
            return dict(fill=KERNEL_FILL if spec.is_conv else "#9fc1e6", label=_value_at(kernel, cell),
                        label_color=WHITE, kind="kernel-cell")

        return self._grid(scene, x, y, list(spec.kernel_size), style, title)

    def _output_panel(self, scene, x, y, out_pos):
        axes, values = self.axes, self.values
        target = tuple(out_pos)

        def style(cell):
            current = cell == target
            return dict(fill=OUT_CURRENT if current else OUT_FILL, label=_value_at(values.output, cell),
                        label_color=WHITE if current else TEXT, kind="out-cell current" if current else "out-cell")

        title = (f"output{self._channel_text(values.out_channel, self.spec.out_channels)} {_times(a.out for a in axes)}: "
                 f"[{', '.join(map(str, out_pos))}]")
        return self._grid(scene, x, y, [a.out for a in axes], style, title)

    def _groups_panel(self, scene, y):
        spec = self.spec
        groups, block_height, block_width, gap = spec.groups, 22, 150, 6
        scene.add(Text(0, y + 12, f"groups={groups}: each output block sees only its own input block",
                       size=13, bold=True))
        y += 20
        in_per, out_per = spec.in_channels // groups, spec.out_channels // groups
        traced = self.values.out_channel // max(out_per, 1)
        shown = min(groups, 8)
        for g in range(shown):
            top = y + g * (block_height + gap)
            color = GROUP_COLORS[g % len(GROUP_COLORS)]
            width = 3 if g == traced else 1
            scene.add(Rect(0, top, block_width, block_height, fill=color, stroke=TEXT, stroke_width=width,
                           label=f"in ch {_channel_range(g, in_per)}", label_color=WHITE,
                           font_size=11, kind="group-in"))
            scene.add(Line(block_width, top + block_height / 2, block_width + 80, top + block_height / 2,
                           color=color, width=2))
            scene.add(Rect(block_width + 80, top, block_width, block_height, fill=color, stroke=TEXT,
                           stroke_width=width, label=f"out ch {_channel_range(g, out_per)}",
                           label_color=WHITE, font_size=11, kind="group-out"))
        bottom = y + shown * (block_height + gap)
        if groups > shown:
            scene.add(Text(0, bottom + 12, f"... {groups - shown} more groups", size=12))
            bottom += 16
        return bottom

    def _legend(self, scene, y):
        read = {"upsample": "weight > 0 (its value)", "max_pool": "window"}.get(self.spec.kind, "read by the kernel")
        entries = [(WHITE, False, "input"), (READ_FILL, False, read),
                   (OUT_CURRENT, False, "output cell")]
        if self.spec.kind != "upsample":
            entries.insert(1, (PAD_FILL, True, "padding"))
        if self.spec.kind == "conv_transpose":
            entries.insert(2, (ZERO_FILL, True, "inserted zero"))
            entries.append((CROP_FILL, True, "cropped by padding"))
        if self.spec.ceil_mode and any(a.padded_cells > a.size + a.pad_left + a.pad_right for a in self.axes):
            entries.append((WHITE, True, "past the padding (ceil_mode)"))
        if any(d > 1 for d in self.spec.dilation or ()):
            entries.append((WHITE, True, "dilated span (holes not read)"))
        x = 0
        for fill, dashed, label in entries:
            stroke = SPAN_LINE if label.startswith("dilated") else GREY_LINE
            scene.add(Rect(x, y, 14, 14, fill=fill, dashed=dashed, stroke=stroke, kind="legend"))
            scene.add(Text(x + 19, y + 11, label, size=12))
            x += 30 + 7 * len(label)
        return y + 14

    # ---- grid drawing --------------------------------------------------------------------------------
    def _grid(self, scene, x, y, sizes, style_of, title):
        """Draw an N-d grid (1-d row, 2-d grid, 3-d depth slices side by side) under ``title``; return
        (width, height)."""
        depth, rows, cols = _display_shape(sizes)
        cell, font = self.cell, max(LABEL_FONT, self.cell * 0.4)
        scene.add(Text(x, y + 13, title, size=13, bold=True))
        emphasised = []   # cells with a thick border go last, so neighbours do not paint over it
        for d in range(depth):
            left, top = self._slice_origin(x, y, d, depth, rows, cols)
            if depth > 1:
                scene.add(Text(left, top - 4, f"depth {d}", size=11, color="#555555"))
            for r in range(rows):
                for c in range(cols):
                    index = _nd_index(len(sizes), d, r, c)
                    style = dict(fill=WHITE, stroke=GREY_LINE)
                    style.update(style_of(index))
                    rect = Rect(left + c * cell, top + r * cell, cell, cell, font_size=_fitting_font(
                        style.get("label", ""), cell, font), **style)
                    if not rect.font_size:
                        rect.label = ""   # a number that does not fit is left out, not overlapped
                    (emphasised.append if rect.stroke_width > 1 else scene.add)(rect)
        for rect in emphasised:
            scene.add(rect)
        across, down = _slice_columns(depth), math.ceil(depth / _slice_columns(depth))
        width = max(across * cols * cell + (across - 1) * cell, 7.5 * len(title))
        return width, 22 + down * (rows * cell + 6 + (15 if depth > 1 else 0))

    def _slice_origin(self, x, y, d, depth, rows, cols):
        """Top-left corner of depth slice ``d``: slices fill rows of ``_slice_columns`` side by side."""
        across = _slice_columns(depth)
        label = 15 if depth > 1 else 0
        return (x + (d % across) * (cols + 1) * self.cell,
                y + 22 + (d // across) * (rows * self.cell + 6 + label) + label)

    def _span_boxes(self, scene, x, y, sizes, windows):
        """A dashed box around the dilated kernel span on each depth slice it covers."""
        if not any(d > 1 for d in self.spec.dilation):
            return
        depth, rows, cols = _display_shape(sizes)
        spans = [(w[0][0], w[-1][0]) for w in windows]
        while len(spans) < 3:
            spans.insert(0, (0, 0))
        (d0, d1), (r0, r1), (c0, c1) = spans
        cell = self.cell
        for d in range(d0, d1 + 1):
            left, top = self._slice_origin(x, y, d, depth, rows, cols)
            scene.add(Rect(left + c0 * cell - 2, top + r0 * cell - 2, (c1 - c0 + 1) * cell + 4,
                           (r1 - r0 + 1) * cell + 4, fill="none", stroke=SPAN_LINE, stroke_width=2,
                           dashed=True, kind="dilated-span"))

    # ---- labels ----------------------------------------------------------------------------------------
    def _padding_title(self):
        pads = [(a.pad_left, a.pad_right) for a in self.axes]
        if not any(left or right for left, right in pads):
            return ""
        if all(left == right for left, right in pads):
            text = _times(left for left, _ in pads)
        else:
            text = _times(f"{left}+{right}" for left, right in pads)
        mode = self.spec.padding_mode if self.spec.is_conv else ("-inf" if self.spec.kind == "max_pool" else "zeros")
        return f" + padding {text} ({mode}{', causal' if self.spec.padding == 'causal' else ''})"

    def _padding_label(self, cell, kinds):
        if self.spec.kind == "max_pool":
            return "-∞"
        if self.values.padded is not None and all(k != "outside" for k, _ in kinds):
            return _value_at(self.values.padded, cell)
        return "0" if all(k != "outside" for k, _ in kinds) else ""

    def _channel_text(self, channel, count=None):
        """' ch 3 of 16,' when the layer has several channels (the grids show one of them)."""
        several = self.spec.is_conv and max(self.spec.in_channels, self.spec.out_channels) > 1
        return (f" ch {channel}" + (f" of {count}" if count and count > 1 else "") + ",") if several else ""

    def _channels_note(self, scene, y):
        """Under a convolution's grids: the traced output sums every input channel of its group, of which the
        grids show one."""
        spec = self.spec
        if not spec.is_conv or spec.in_channels // spec.groups < 2:
            return y
        per_group = spec.in_channels // spec.groups
        first = self.values.in_channel
        group = f"input channels {first}-{first + per_group - 1} (its group)" if spec.groups > 1 else \
            f"all {per_group} input channels"
        scene.add(Text(0, y + 14, f"the output value sums {group}, each with its own kernel slice; "
                                  f"the grids show input channel {first} and its kernel", size=12, color=TEXT))
        return y + 18

    @staticmethod
    def _first_source(axis, out_index):
        for cell_in in range(axis.size):
            for cell, _ in axis.scatter(cell_in):
                if cell - axis.pad_left == out_index:
                    return cell_in
        return None


def _slice_columns(depth):
    """How many depth slices stand side by side: all in one column up to SLICES_DOWN, else in rows."""
    return 1 if depth <= SLICES_DOWN else math.ceil(depth / SLICES_DOWN)


def _label_room(characters, font=LABEL_FONT):
    """The cell side in which a number of ``characters`` fits at ``font``."""
    return 0.62 * font * characters + 4


def cell_label(value):
    """``fmt`` of a cell's number, at most 5 characters where it can (123456 -> 123k, 2.5e6 -> 2.5M):
    the trace prints the exact value."""
    text = fmt(value)
    if len(text) <= 5 or not np.isfinite(value):
        return text
    for suffix, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= scale:
            for digits in (3, 2, 1):
                short = f"{value / scale:.{digits}g}{suffix}"
                if len(short) <= 5:
                    return short
    return f"{value:.0e}" if abs(value) < 1e-3 and value else text


def _fitting_font(label, cell, font, smallest=7.0):
    """The font size at which ``label`` fits in a cell (0 when even the smallest does not)."""
    if not label:
        return font
    fitting = (cell - 3) / (0.62 * len(label))
    return min(font, fitting) if fitting >= smallest else 0


def _channel_range(group, per_group):
    first, last = group * per_group, (group + 1) * per_group - 1
    return str(first) if first == last else f"{first}-{last}"


def _combined_kind(kinds):
    kinds = list(kinds)
    for kind in ("outside", "pad", "zero"):
        if kind in kinds:
            return kind
    return "input"


def _display_shape(sizes):
    sizes = list(sizes)
    while len(sizes) < 3:
        sizes.insert(0, 1)
    return tuple(sizes)


def _nd_index(ndim, d, r, c):
    return ((c,), (r, c), (d, r, c))[ndim - 1]


def _value_at(array, index):
    if array is None:
        return ""
    try:
        return cell_label(array[tuple(index)])
    except IndexError:
        return ""


def _times(values):
    return "×".join(str(v) for v in values)


def _index_text(index):
    return "[" + ", ".join(str(i) for i in index) + "]"
