"""Tiled inference: run a fully-convolutional model over an image too large for one process.

``apply_tiled(model, array)`` cuts the output into tiles (one per chunk of a ``dask.array``), reads for
each tile the input region its receptive field needs (the *halo*, from ``npconv.arithmetic``), starting
on a multiple of the model's total stride so that every strided layer sees the same phase as in the
whole-array forward, runs the model on that region alone and keeps the outputs whose receptive field lay
entirely inside it (or touched the true image border, where the padding is the real one). The tiles
assemble into exactly the whole-array result.

Works with any dask scheduler: the local threaded one, or ``dask.distributed`` (a ``LocalCluster`` or a
real cluster) when a ``Client`` is active. Dask is an optional extra: ``pip install 'npconv[dask]'``.

Per spatial dimension, with the model's receptive field ``size``, ``jump`` and ``start``
(``npconv.arithmetic.receptive_field``): output ``o`` reads within input
``[start + o * jump, start + o * jump + size)``; a tile of outputs ``[o0, o1)`` reads
``[floor(start + o0 * jump) // A * A, ceil(start + (o1 - 1) * jump + size))`` clipped to the input (and
grown if the layers need more to produce those outputs), where ``A`` (the alignment) is the least common
multiple of the numerators of the jumps after every layer. Each layer enters the field through a window
that contains every input its outputs read, whatever their phase: transposed convolutions and
upsampling read ``floor(o / s)``-like positions, and reflect/replicate padding copies pixels from inside
the image; a halo slightly larger than the exact one costs little, a smaller one gives wrong borders.
"""
import math
from fractions import Fraction

import numpy as np

from .arithmetic import (conv_output_size, conv_transpose_output_size, interpolate_output_size,
                         pool_output_size, receptive_field, same_padding)
from .arithmetic.receptive import POSITION_PRESERVING_LAYERS

__all__ = ["apply_tiled", "tiling_plan", "TilingPlan"]

_DASK_HINT = "npconv.parallel needs dask: pip install 'npconv[dask]' (dask[array,distributed])"

_UPSAMPLE_MODES = {"nearest", "nearest-exact", "linear", "bilinear", "trilinear"}


def _import_dask():
    try:
        import dask.array as da
    except ImportError:
        raise ImportError(_DASK_HINT) from None
    return da


# ------------------------------------------------------------------------------------ model analysis

def _leaf_layers(model):
    children = list(model.children()) if hasattr(model, "children") else []
    if not children:
        yield model
    elif type(model).__name__ == "Sequential":
        for child in children:
            yield from _leaf_layers(child)
    else:
        raise ValueError(f"apply_tiled analyses chains of layers (nn.Sequential); {type(model).__name__} has "
                         "its own forward, whose data flow it cannot see")


def _tuple(value, ndim):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * ndim


def _describe(layer, ndim):
    """A layer as a spec: ``kind`` and the size arguments for ``npconv.arithmetic``'s size rules, plus
    ``windows``, the receptive-field specs (``receptive_field`` dicts) of a superset of the input pixels
    each output reads. None for point-wise layers."""
    name = type(layer).__name__
    position_rule = POSITION_PRESERVING_LAYERS.get(name)
    if position_rule == "pointwise":
        return None
    if position_rule == "eval":
        if getattr(layer, "training", False):
            raise ValueError(f"{name} is in training mode, where it depends on the whole batch (or is "
                             "random): call model.eval() before apply_tiled")
        return None
    if name.startswith("ConvTranspose"):
        return _describe_conv_transpose(layer, ndim)
    if name.startswith(("Conv1d", "Conv2d", "Conv3d")):
        return _describe_conv(layer, name, ndim)
    if name.startswith(("MaxPool", "AvgPool")) and name[-2:] in ("1d", "2d", "3d"):
        window = {"kind": "pool", "kernel_size": _tuple(layer.kernel_size, ndim),
                  "stride": _tuple(layer.stride or layer.kernel_size, ndim), "padding": _tuple(layer.padding, ndim),
                  "dilation": _tuple(getattr(layer, "dilation", 1), ndim)}
        return {**window, "ceil_mode": bool(getattr(layer, "ceil_mode", False)), "windows": [window]}
    if name in ("Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"):
        return _describe_upsample(layer, name, ndim)
    if name.startswith("Adaptive") or name.startswith("Global"):
        raise ValueError(f"apply_tiled cannot tile {name}: global/adaptive pooling makes every output "
                         "depend on the whole image")
    raise ValueError(f"apply_tiled cannot tile {name}: only convolutions, pooling, upsampling, BatchNorm "
                     "(eval), dropout (eval) and activations keep outputs local (Linear, Flatten and "
                     "normalisation over the image mix all positions)")


def _conv_window(kernel_size, stride, padding, dilation):
    return {"kind": "conv", "kernel_size": kernel_size, "stride": stride, "padding": padding,
            "dilation": dilation}


def _describe_conv(layer, name, ndim):
    mode = getattr(layer, "padding_mode", "zeros")
    if mode == "circular":
        raise ValueError(f"apply_tiled cannot tile {name} with padding_mode='circular': its padding wraps "
                         "around the whole image")
    kernel, stride, dilation = (_tuple(v, ndim) for v in (layer.kernel_size, layer.stride, layer.dilation))
    spec = {"kind": "conv", "kernel_size": kernel, "stride": stride, "dilation": dilation,
            "channels": layer.out_channels}
    padding = 0 if layer.padding == "valid" else layer.padding
    if padding == "same":  # stride 1 by torch's rule; the receptive field starts at the left padding
        left_right = same_padding(kernel, dilation)
        spec.update(same=True, padding=tuple(left for left, _ in left_right))
        widest = tuple(right for _, right in left_right)
    else:
        spec["padding"] = widest = _tuple(padding, ndim)
    window = _conv_window(kernel, stride, spec["padding"], dilation)
    if mode in ("reflect", "replicate"):
        # Padding that copies pixels makes a border output read pixels outside its geometric window:
        # reflected ones up to 2p further in. Widen the window by 2p per side.
        window = _conv_window(tuple(d * (k - 1) + 1 + 4 * p for k, d, p in zip(kernel, dilation, widest)),
                              stride, tuple(left + 2 * p for left, p in zip(spec["padding"], widest)),
                              (1,) * ndim)
    if mode == "reflect":  # reflection needs more input than padding, in every tile too
        spec["min_input"] = tuple(p + 1 for p in widest)
    return {**spec, "windows": [window]}


def _describe_conv_transpose(layer, ndim):
    kernel, stride, dilation, padding = (_tuple(v, ndim) for v in (layer.kernel_size, layer.stride,
                                                                   layer.dilation, layer.padding))
    # Output o reads inputs i with i * s = o + p - d * j: all within [(o + p - d(k-1)) / s, (o + p) / s],
    # exactly the window of a stride-1 convolution (kernel d(k-1)+1, padding d(k-1)-p) over the input
    # spread out s times (a nearest upsampling, as far as positions go).
    span = tuple(d * (k - 1) for k, d in zip(kernel, dilation))
    windows = [{"kind": "upsample", "scale_factor": stride, "mode": "nearest"},
               _conv_window(tuple(n + 1 for n in span), (1,) * ndim, tuple(n - p for n, p in zip(span, padding)),
                            (1,) * ndim)]
    return {"kind": "conv_transpose", "kernel_size": kernel, "stride": stride, "padding": padding,
            "dilation": dilation, "output_padding": _tuple(layer.output_padding, ndim),
            "channels": layer.out_channels, "windows": windows}


def _describe_upsample(layer, name, ndim):
    mode = getattr(layer, "mode", "nearest")
    factors = layer.scale_factor
    if factors is None:
        raise ValueError(f"apply_tiled cannot tile {name} with a fixed output size: give scale_factor")
    factors = _tuple(factors, ndim)
    if mode not in _UPSAMPLE_MODES or getattr(layer, "align_corners", False) \
            or any(float(f) != int(f) or f < 1 for f in factors):
        raise ValueError(f"apply_tiled tiles {name} only with a whole scale factor and mode in "
                         f"{sorted(_UPSAMPLE_MODES)} without align_corners (where the sampling grid "
                         f"does not depend on the image size); got mode={mode!r}, scale_factor={layer.scale_factor}")
    factors = tuple(int(f) for f in factors)
    # Output o of a nearest upsampling reads floor(o / f), up to a pixel left of o / f; linear modes read
    # floor(o / f + (1/f - 1) / 2) and the next one. A small window before spreading covers both.
    reach = 1 if mode in ("nearest", "nearest-exact") else 2
    windows = [_conv_window((2 * reach,) * ndim, (1,) * ndim, (reach,) * ndim, (1,) * ndim),
               {"kind": "upsample", "scale_factor": factors, "mode": "nearest"}]
    return {"kind": "upsample", "scale_factor": factors, "mode": mode, "windows": windows}


class TilingPlan:
    """What tiling needs to know of a model: receptive field, alignment, output size and channels."""

    def __init__(self, specs, ndim):
        self.specs, self.ndim = specs, ndim
        windows = [window for spec in specs for window in spec["windows"]]
        self.field = receptive_field(windows, ndim=ndim)
        jumps = [receptive_field(windows[:i + 1], ndim=ndim).jump for i in range(len(windows))]
        self.alignment = tuple(math.lcm(1, *(Fraction(j[d]).numerator for j in jumps)) for d in range(ndim))

    def output_size(self, spatial):
        """The spatial output size for a spatial input size (by ``npconv.arithmetic``'s rules)."""
        return self.sizes_through(spatial)[-1]

    def sizes_through(self, spatial):
        """The spatial size before the first layer and after each one."""
        size = tuple(spatial)
        sizes = [size]
        for spec in self.specs:
            if spec.get("same"):
                pass              # keeps the size (the 'same' conv has stride 1 by torch's rule)
            elif spec["kind"] == "conv":
                size = conv_output_size(
                    size, spec["kernel_size"], spec["stride"], spec["padding"], spec["dilation"])
            elif spec["kind"] == "conv_transpose":
                size = conv_transpose_output_size(size, spec["kernel_size"], spec["stride"], spec["padding"],
                                                  spec["output_padding"], spec["dilation"])
            elif spec["kind"] == "pool":
                size = pool_output_size(size, spec["kernel_size"], spec["stride"], spec["padding"],
                                        spec["dilation"], spec["ceil_mode"])
            else:
                size = interpolate_output_size(size, spec["scale_factor"])
            sizes.append(tuple(size))
        return sizes

    def output_channels(self, in_channels):
        channels = [s["channels"] for s in self.specs if "channels" in s]
        return channels[-1] if channels else in_channels

    def tiles(self, dim, size, input_chunks):
        """``(o0, o1, a, b, shift)`` per tile along one dimension: outputs ``[o0, o1)`` come from the
        forward of input ``[a, b)``, where they sit at ``[o0 - shift, o1 - shift)``."""
        out_size = self.output_size_along(dim, size)
        jump, start, span = (Fraction(v) for v in (self.field.jump[dim], self.field.start[dim],
                                                   self.field.size[dim]))
        align = self.alignment[dim]
        bounds, position = [0], 0
        for chunk in input_chunks[:-1]:   # one output tile per input chunk (empty ones dropped)
            position += chunk
            first_output = min(out_size, math.ceil(position / jump))
            if first_output > bounds[-1]:
                bounds.append(first_output)
        if out_size > bounds[-1]:
            bounds.append(out_size)
        tiles = []
        for o0, o1 in zip(bounds, bounds[1:]):
            a = min(max(0, math.floor(start + o0 * jump)), size - 1) // align * align
            b = max(min(size, math.ceil(start + (o1 - 1) * jump + span)), a + 1)
            # Outputs whose field lies (partly) in the padding need a crop long enough for the forward
            # to produce them: grow it towards the image end, then (aligned) towards its start.
            while not self._covers(dim, b - a, o1 - Fraction(a) / jump):
                if b < size:
                    b = size
                elif a > 0:
                    a = max(0, a - align)
                else:
                    raise RuntimeError(f"cannot cover outputs {o0}..{o1} along dim {dim}")  # not expected
            shift = Fraction(a) / jump
            assert shift.denominator == 1, "alignment must make the tile start an output position"
            tiles.append((o0, o1, a, b, int(shift)))
        return tiles

    def sizes_along(self, dim, size):
        spatial = [1] * self.ndim
        spatial[dim] = size
        return [s[dim] for s in self.sizes_through(spatial)]

    def output_size_along(self, dim, size):
        return self.sizes_along(dim, size)[-1]

    def _covers(self, dim, crop, outputs_needed):
        """Whether a crop of ``crop`` pixels runs through every layer and yields ``outputs_needed``."""
        sizes = self.sizes_along(dim, crop)
        fits = all(size >= spec.get("min_input", (1,) * self.ndim)[dim] for size, spec in zip(sizes, self.specs))
        return fits and min(sizes) >= 1 and sizes[-1] >= outputs_needed


def tiling_plan(model, ndim=2):
    """Analyse a chain of layers (nested ``nn.Sequential`` of npconv or torch modules) for tiling.

    Raises ``ValueError`` naming the first layer that cannot be tiled (Linear, Flatten, global or
    adaptive pooling, training-mode BatchNorm, circular padding, size-given or align_corners upsampling).
    """
    specs = [spec for spec in (_describe(layer, ndim) for layer in _leaf_layers(model)) if spec is not None]
    return TilingPlan(specs, ndim)


# ------------------------------------------------------------------------------------ running

class _NpconvForward:
    """Run an npconv model on one ndarray tile without recording a graph (picklable for dask workers)."""

    def __init__(self, model):
        self.model = model

    def __call__(self, block):
        from .autograd import no_grad
        from ._tensor import from_numpy
        with no_grad():
            return self.model(from_numpy(np.ascontiguousarray(block))).numpy()


def _run_tile(block, forward, keep):
    out = forward(block)
    wanted = tuple(s.stop for s in keep)
    if any(have < need for have, need in zip(out.shape[2:], wanted)):
        raise RuntimeError(f"tile forward gave spatial size {out.shape[2:]}, needed {wanted}")
    return out[(slice(None), slice(None)) + keep]


def apply_tiled(model, array, chunks=None, forward=None):
    """Run ``model`` over ``array`` of shape ``(N, C, *spatial)`` tile by tile; a lazy ``dask.array``.

    ``array`` is a ``dask.array`` (its spatial chunks become the output tiles; channels are gathered per
    tile) or an ndarray/Tensor chunked with ``chunks``. ``forward(ndarray) -> ndarray`` runs the model on
    one tile; by default the npconv model under ``no_grad``. Compute the result with any scheduler,
    e.g. ``.compute()`` or, with a ``dask.distributed.Client`` active, on its cluster.

    Output shape: ``(N, C_out, *out)`` where ``out`` is the model's output size for ``spatial``, equal
    (to rounding) to ``model(array)``. Models that are not chains of local layers raise ``ValueError``.
    """
    da = _import_dask()
    if not isinstance(array, da.Array):
        data = array.detach().numpy() if hasattr(array, "detach") else array   # an npconv Tensor
        array = da.from_array(np.asarray(data), chunks=chunks if chunks is not None else "auto")
    elif chunks is not None:
        array = array.rechunk(chunks)
    if array.ndim < 3:
        raise ValueError(f"apply_tiled expects (N, C, *spatial), got an array of shape {array.shape}")
    ndim = array.ndim - 2
    plan = tiling_plan(model, ndim)
    spatial = array.shape[2:]
    sizes = plan.sizes_through(spatial)
    if min(min(s) for s in sizes) <= 0:
        raise ValueError(f"the input size {tuple(spatial)} is too small for the model: its layers would "
                         f"produce sizes {sizes[1:]}")
    forward = forward or _NpconvForward(model)
    out_channels = plan.output_channels(array.shape[1])
    per_dim = [plan.tiles(d, spatial[d], array.chunks[2 + d]) for d in range(ndim)]
    rows, batch_start = [], 0
    for batch in array.chunks[0]:
        grid = _tile_grid(array, forward, per_dim, slice(batch_start, batch_start + batch), out_channels)
        rows.append([grid])       # nesting: batch, channels (one block), then one level per spatial dim
        batch_start += batch
    return da.block(rows)


def _tile_grid(array, forward, per_dim, batch, out_channels, chosen=()):
    """Nested lists (one level per spatial dim) of dask blocks, for ``da.block``."""
    if len(chosen) == len(per_dim):
        crop = array[(batch, slice(None)) + tuple(slice(a, b) for _, _, a, b, _ in chosen)]
        crop = crop.rechunk(crop.shape)
        keep = tuple(slice(o0 - shift, o1 - shift) for o0, o1, _, _, shift in chosen)
        shape = (batch.stop - batch.start, out_channels) + tuple(o1 - o0 for o0, o1, _, _, _ in chosen)
        return crop.map_blocks(_run_tile, forward, keep, chunks=tuple((n,) for n in shape),
                               dtype=array.dtype, meta=np.empty((0,) * array.ndim, dtype=array.dtype))
    return [_tile_grid(array, forward, per_dim, batch, out_channels, chosen + (tile,))
            for tile in per_dim[len(chosen)]]
