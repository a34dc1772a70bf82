"""``npconv.explain(layer, input_size)``: the derivation, a numeric trace and diagrams of one layer."""
import itertools

import numpy as np

from .diagram import Diagram, DiagramValues, fmt
from .drawing import require_pillow
from .forward import npconv_backend, run_forward
from .geometry import axes_of, padding_pairs, reads
from .layer import ExplainError, layer_spec
from .text import derivation_lines

__all__ = ["Explanation", "explain", "frame_duration", "MAX_GIF_FRAMES", "MAX_TRACE_LINES"]

MAX_GIF_FRAMES = 64
MAX_TRACE_LINES = 40


def explain(layer, input_size, at=None, _backend=None):
    """Explain ``layer`` (a module, or its text as torch prints it) applied to an input of ``input_size``.

    ``input_size`` is ``(N, C, *spatial)`` (or ``(C, *spatial)`` unbatched); ``at`` picks the output
    element to trace: spatial indices, or a full index ``(n, c, *spatial)``; default: the centre.
    Returns an :class:`Explanation` (``print`` it, ``.svg()``, ``.save_png()``, ``.save_gif()``); the layers
    without a sliding window (Linear, norms, activations, adaptive pools, MaxUnpool, PixelShuffle, Flatten)
    give a text-only :class:`~npconv.explain.others.TextExplanation` (``at`` then indexes every dimension).
    """
    from .others import TextExplanation, is_other_layer
    if is_other_layer(layer):
        return TextExplanation(layer, _parse_shape(input_size), at=at, _backend=_backend)
    return Explanation(layer, input_size, at=at, _backend=_backend)


class Explanation:
    """The explanation of one layer on one input size; ``str()`` gives the text."""

    def __init__(self, layer, input_size, at=None, _backend=None):
        input_shape = _parse_shape(input_size)
        self.spec = layer_spec(layer, spatial_dims=max(len(input_shape) - 2, 1))
        dims = self.spec.dims
        if len(input_shape) not in (dims + 1, dims + 2):
            raise ExplainError(f"{self.spec.name} expects an input (N, C, {_dims_text(dims)}) or (C, "
                               f"{_dims_text(dims)}), got {len(input_shape)} sizes {tuple(input_shape)}")
        self.input_shape = input_shape
        self.batched = len(input_shape) == dims + 2
        self.axes = axes_of(self.spec, input_shape[-dims:])
        self._backend = _backend
        self.layer_text = layer.strip() if isinstance(layer, str) else repr(layer)
        probe = run_forward(self.spec, input_shape, backend=_backend)
        self.output_shape = probe.output.shape
        self.at = self._full_index(at)
        self.result = run_forward(self.spec, input_shape, at=self.at, backend=_backend) \
            if self.spec.kind in ("avg_pool", "max_pool", "upsample") else probe
        self.trace = self._trace()

    # ---- text ------------------------------------------------------------------------------------------
    @property
    def text(self):
        lines = [self.layer_text]
        lines += derivation_lines(self.spec, self.input_shape, self.axes, self.output_shape)
        lines += [""] + self.trace_lines()
        return "\n".join(lines)

    def __str__(self):
        return self.text

    def __repr__(self):
        return f"<Explanation of {self.layer_text} on input {tuple(self.input_shape)}>"

    @property
    def forward_value(self):
        """The value the real forward computed at ``at``."""
        return float(self.result.output[self.at])

    @property
    def traced_value(self):
        """The value the trace adds up (products of input values and weights, plus bias)."""
        return self.trace["total"]

    def trace_lines(self):
        trace, at_text = self.trace, _index_text(self.at)
        lines = [f"trace of output{at_text} on input = arange({int(np.prod(self.input_shape))})"
                 f".reshape{tuple(self.input_shape)}, {trace['weights']}:"]
        terms = trace["terms"]
        for term in terms[:MAX_TRACE_LINES]:
            lines.append("  " + term[0])
        if len(terms) > MAX_TRACE_LINES:
            lines.append(f"  ... {len(terms) - MAX_TRACE_LINES} more terms")
        lines.append(f"  {trace['summary']}")
        agrees = np.isclose(self.traced_value, self.forward_value, rtol=1e-5, atol=1e-6)
        lines.append(f"forward output{at_text} = {fmt(self.forward_value)}  "
                     f"{'(matches)' if agrees else '(DIFFERS from the trace: please report this bug)'}")
        return lines

    # ---- numeric trace -----------------------------------------------------------------------------------
    def _trace(self):
        if self.spec.is_conv:
            return self._conv_trace()
        if self.spec.kind == "max_pool":
            return self._max_pool_trace()
        return self._linear_trace()

    def _conv_trace(self):
        spec, result = self.spec, self.result
        x = result.input if self.batched else result.input[None]
        n, channel, position = self._split_at()
        weight = result.weight
        per_group_out = spec.out_channels // spec.groups
        group = channel // per_group_out
        if spec.kind == "conv":
            padded = self._padded_input()
            in_channels = range(group * (spec.in_channels // spec.groups), (group + 1) * (spec.in_channels // spec.groups))
        else:
            in_channels = range(group * (spec.in_channels // spec.groups), (group + 1) * (spec.in_channels // spec.groups))
        terms, total = [], 0.0
        per_axis = [reads(spec, a, o) for a, o in zip(self.axes, position)]
        for ci in in_channels:
            for combo in itertools.product(*per_axis):
                index = tuple(i for i, _ in combo)
                kernel = tuple(k for _, k in combo)
                if spec.kind == "conv":
                    w_index = (channel, ci - in_channels.start) + kernel
                    inside = all(0 <= i < a.size for i, a in zip(index, self.axes))
                    padded_index = tuple(i + a.pad_left for i, a in zip(index, self.axes))
                    value = padded[(n, ci) + padded_index]
                    source = f"x{_index_text(self._input_index(n, ci, index))}" if inside else "pad"
                else:
                    w_index = (ci, channel - group * per_group_out) + kernel
                    value = x[(n, ci) + index]
                    source = f"x{_index_text(self._input_index(n, ci, index))}"
                product = value * weight[w_index]
                total += product
                terms.append((f"{source} * w{_index_text(w_index)} = {fmt(value)} * {fmt(weight[w_index])} "
                               f"= {fmt(product)}", product))
        bias = 0.0 if result.bias is None else float(result.bias[channel])
        total += bias
        bias_text = f" + bias {fmt(bias)}" if result.bias is not None else ""
        summary = f"sum of {len(terms)} products{bias_text} = {fmt(total)}"
        source = "the module's weights" if spec.weight is not None else \
            ("weights = 1" + (", bias = 0" if result.bias is not None else ""))
        return {"terms": terms, "total": total, "summary": summary, "weights": source}

    def _max_pool_trace(self):
        x = self.result.input if self.batched else self.result.input[None]
        n, channel, position = self._split_at()
        per_axis = [reads(self.spec, a, o) for a, o in zip(self.axes, position)]
        values, terms = [], []
        for combo in itertools.product(*per_axis):
            index = tuple(i for i, _ in combo)
            if all(0 <= i < a.size for i, a in zip(index, self.axes)):
                value = x[(n, channel) + index]
                values.append(value)
                terms.append((f"x{_index_text(self._input_index(n, channel, index))} = {fmt(value)}", value))
            else:
                terms.append(("pad = -inf", -np.inf))
        total = max(values) if values else -np.inf
        return {"terms": terms, "total": float(total), "summary": f"max of {len(terms)} window cells = {fmt(total)}",
                "weights": "max over the window"}

    def _linear_trace(self):
        """Average pooling and upsampling: the weight of each input cell comes from the forward's gradient."""
        x = self.result.input
        weights = self.result.input_weights
        terms, total = [], 0.0
        for index in zip(*np.nonzero(weights)):
            product = x[index] * weights[index]
            total += product
            terms.append((f"x{_index_text(index)} * {fmt(weights[index])} = {fmt(x[index])} * "
                          f"{fmt(weights[index])} = {fmt(product)}", product))
        what = "average" if self.spec.kind == "avg_pool" else f"{self.spec.mode} interpolation"
        return {"terms": terms, "total": total, "summary": f"sum = {fmt(total)}",
                "weights": f"{what} weights (read from the forward's gradient)"}

    def _padded_input(self):
        """The input after padding (zeros, or padding_mode's values) via npconv's own F.pad."""
        x = self.result.input if self.batched else self.result.input[None]
        pads = padding_pairs(self.spec)
        if self.spec.padding_mode == "zeros":
            return np.pad(x, [(0, 0), (0, 0)] + [tuple(p) for p in pads])
        backend = self._backend or npconv_backend()
        flat = [p for pair in reversed(pads) for p in pair]
        mode = self.spec.padding_mode
        padded = backend.nn.functional.pad(backend.tensor(x), flat, mode=mode)
        return np.array(padded.numpy(), dtype=np.float64)

    # ---- indices -------------------------------------------------------------------------------------
    def _full_index(self, at):
        out_shape = self.output_shape
        spatial = out_shape[-self.spec.dims:]
        if at is None:
            position = tuple(s // 2 for s in spatial)
            at = (0,) * (len(out_shape) - len(spatial)) + position
        at = tuple(int(i) for i in (at if isinstance(at, (tuple, list)) else (at,)))
        if len(at) == len(spatial):
            at = (0,) * (len(out_shape) - len(spatial)) + at
        if len(at) != len(out_shape):
            names = ", ".join({1: ["l"], 2: ["i", "j"], 3: ["d", "i", "j"]}[len(spatial)])
            leading = "n, c, " if len(out_shape) - len(spatial) == 2 else "c, "
            raise ExplainError(f"--at has {len(at)} {'index' if len(at) == 1 else 'indices'} but the output "
                               f"{tuple(out_shape)} has {len(spatial)} spatial "
                               f"{'dimension' if len(spatial) == 1 else 'dimensions'}: give {len(spatial)} "
                               f"({names}) or {len(out_shape)} ({leading}{names})")
        if any(not 0 <= i < s for i, s in zip(at, out_shape)):
            raise ExplainError(f"--at {', '.join(map(str, at))} is outside the output of shape {tuple(out_shape)}; "
                               f"give {len(spatial)} spatial indices (or {len(out_shape)} with batch and channel)")
        return at

    def _split_at(self):
        at = self.at if self.batched else (0,) + self.at
        return at[0], at[1], at[2:]

    def _input_index(self, n, channel, index):
        return ((n,) if self.batched else ()) + (channel,) + tuple(index)

    # ---- pictures -----------------------------------------------------------------------------------------
    def diagram(self):
        return Diagram(self.spec, self.axes, self._diagram_values())

    def scene(self, position=None):
        position = self._split_at()[2] if position is None else tuple(position)
        return self.diagram().scene(position, caption=self._caption())

    def svg(self, position=None):
        """The diagram as SVG text (output ``position``: spatial indices; default: the traced element)."""
        return self.scene(position).to_svg()

    def _repr_svg_(self):
        try:
            return self.svg()
        except ExplainError:
            return None

    def _repr_html_(self):
        from html import escape
        try:
            picture = self.svg()
        except ExplainError as error:
            picture = f"<p>{escape(str(error))}</p>"
        return f"<div>{picture}<pre>{escape(self.text)}</pre></div>"

    def save_svg(self, path):
        """Write the diagram as SVG (nothing is written when the diagram is refused)."""
        text = self.svg()
        with open(path, "w", encoding="utf-8") as file:
            file.write(text)

    def save_png(self, path, scale=1.0):
        """The diagram as PNG (needs Pillow: ``pip install 'npconv[images]'``)."""
        require_pillow()
        image = self.scene().to_image(scale=scale)
        _save_whole(path, lambda file: image.save(file, format="PNG"))

    def frame_positions(self, max_frames=MAX_GIF_FRAMES):
        """Output positions the GIF visits: every one, or an even sample of ``max_frames`` of them."""
        positions = list(itertools.product(*(range(a.out) for a in self.axes)))
        if len(positions) > max_frames:
            chosen = np.linspace(0, len(positions) - 1, max_frames).round().astype(int)
            positions = [positions[i] for i in chosen]
        return positions

    def save_gif(self, path, max_frames=MAX_GIF_FRAMES, duration=None):
        """Animate the kernel over every output position (capped at ``max_frames``); needs Pillow.

        ``duration`` (ms per frame) defaults to :func:`frame_duration` of the frame count: a short animation
        steps slowly enough to follow, a long one still ends in about ten seconds."""
        require_pillow()
        diagram, caption = self.diagram(), self._caption()
        frames = [diagram.scene(p, caption=caption) for p in self.frame_positions(max_frames)]
        width = max(f.width for f in frames)
        height = max(f.height for f in frames)
        images = []
        for frame in frames:
            frame.width, frame.height = width, height   # all frames the same size
            images.append(_shared_palette(frame.to_image(), images[0] if images else None))
        duration = frame_duration(len(images)) if duration is None else duration
        _save_whole(path, lambda file: images[0].save(file, format="GIF", save_all=True, append_images=images[1:],
                                                      duration=duration, loop=0, optimize=True, disposal=1))
        return len(images)

    def _caption(self):
        lines = [line for line in derivation_lines(self.spec, self.input_shape, self.axes, self.output_shape)
                 if line.startswith(("  H:", "  W:", "  D:", "  L:", "output "))]
        return lines[:4]

    def _diagram_values(self):
        spec, result = self.spec, self.result
        n, channel, _ = self._split_at()
        x = result.input if self.batched else result.input[None]
        y = result.output if self.batched else result.output[None]
        values = DiagramValues(output=y[n, channel], out_channel=channel)
        if spec.is_conv:
            per_group_out = spec.out_channels // spec.groups
            group = channel // per_group_out
            first_in = group * (spec.in_channels // spec.groups)
            values.in_channel = first_in
            values.input = x[n, first_in]
            if spec.kind == "conv":
                values.kernel = result.weight[channel, 0]
                values.padded = self._padded_input()[n, first_in]
            else:
                values.kernel = result.weight[first_in, channel - group * per_group_out]
        else:
            values.input = x[n, channel]
            values.in_channel = channel
            if spec.kind == "max_pool":
                values.max_at = lambda pos: self._argmax(x[n, channel], pos)
            elif spec.kind in ("avg_pool", "upsample"):
                values.weights_at = lambda pos: self._input_weights(pos)[n, channel] if self.batched \
                    else self._input_weights(pos)[channel]
        return values

    def _argmax(self, channel_values, position):
        per_axis = [reads(self.spec, a, o) for a, o in zip(self.axes, position)]
        best, best_index = -np.inf, None
        for combo in itertools.product(*per_axis):
            index = tuple(i for i, _ in combo)
            if all(0 <= i < a.size for i, a in zip(index, self.axes)) and channel_values[index] > best:
                best, best_index = channel_values[index], index
        return best_index

    def _input_weights(self, position):
        at = self.at[:-len(position)] + tuple(position)
        if at == self.at:
            return self.result.input_weights
        return run_forward(self.spec, self.input_shape, at=at, backend=self._backend).input_weights


def frame_duration(frames, total_ms=10_000, slowest_ms=800, fastest_ms=120):
    """Milliseconds per GIF frame: the animation lasts about ``total_ms``, each frame between the bounds (a
    multiple of 10 ms, the unit a GIF stores)."""
    return int(round(min(slowest_ms, max(fastest_ms, total_ms / max(frames, 1))), -1))


def _save_whole(path, write):
    """Write a file through ``write(file)`` into memory first: a failure leaves no empty or partial file."""
    import io
    buffer = io.BytesIO()
    write(buffer)
    with open(path, "wb") as file:
        file.write(buffer.getvalue())


def _shared_palette(image, first):
    """One small palette for every frame, so the GIF stores only what changes from frame to frame."""
    from PIL import Image
    if first is None:
        return image.convert("P", palette=Image.Palette.ADAPTIVE, colors=32)
    return image.quantize(palette=first, dither=Image.Dither.NONE)


def _parse_shape(input_size):
    if isinstance(input_size, str):
        try:
            input_size = [int(part) for part in input_size.replace("x", ",").split(",") if part.strip()]
        except ValueError:
            raise ExplainError(f"input size must be integers separated by commas, e.g. 1,1,5,5; got {input_size!r}"
                               ) from None
    try:
        shape = tuple(int(n) for n in input_size)
    except (TypeError, ValueError):
        raise ExplainError(f"input size must be a sequence of integers, got {input_size!r}") from None
    if not shape or any(n <= 0 for n in shape):
        raise ExplainError(f"input size must be positive integers, got {shape}")
    return shape


def _dims_text(dims):
    return ", ".join({1: ["L"], 2: ["H", "W"], 3: ["D", "H", "W"]}[dims])


def _index_text(index):
    return "[" + ", ".join(str(int(i)) for i in index) + "]"
