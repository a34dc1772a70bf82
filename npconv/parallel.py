"""Tiled inference: run a fully-convolutional model over an image too large for one process.

``apply_tiled(model, array)`` cuts the output into tiles (one per chunk of a ``dask.array``), reads for
each tile the input region its receptive field needs (the *halo*), starting on a multiple of the model's
alignment so that every strided layer sees the same phase as in the whole-array forward, runs the model on
that region alone and keeps the outputs whose receptive field lay entirely inside it (or touched the true
image border, where the padding is the real one). The tiles assemble into exactly the whole-array result.

The model may be any graph of local layers (convolutions, transposed convolutions, pooling, upsampling,
padding, BatchNorm and dropout in eval mode, activations, and cat / add / mul of branches: U-Nets, residual
networks), npconv's or torch's. It is traced shape-only by ``npconv.arithmetic``'s tracer (a torch model
on torch's meta device), which carries a receptive field through every op (the union where branches
meet); the halo is the field of the model's output, the alignment ``A`` the least common multiple of the
numerators of the jumps of every traced tensor (the product of the strides and pooling factors on the way
down, e.g. 4 for a U-Net with two poolings). A torch model runs each tile in torch.

Per spatial dimension, with the output's field ``size``, ``jump`` and ``start``: output ``o`` reads within
input ``[start + o * jump, start + o * jump + size)``; a tile of outputs ``[o0, o1)`` reads
``[floor(start + o0 * jump) // A * A, ceil(start + (o1 - 1) * jump + size))`` clipped to the input, its end
rounded up to a multiple of ``A`` (branches that meet again need equal sizes) and grown if the model needs
more input to produce those outputs (tried on the traced graph).

Works with any dask scheduler: the local threaded one, or ``dask.distributed`` (a ``LocalCluster`` or a
real cluster) when a ``Client`` is active. Dask is an optional extra: ``pip install 'npconv[dask]'``.
"""
import inspect
import math
from fractions import Fraction

import numpy as np

from ._shapes import ceil_div
from .arithmetic.receptive import POSITION_PRESERVING_FUNCTIONS, POSITION_PRESERVING_LAYERS
from .arithmetic.torch_trace import is_torch_object, meta_tensors, trace_torch
from .arithmetic.trace import meta_inputs, trace

__all__ = ["apply_tiled", "tiling_plan", "TilingPlan"]

_DASK_HINT = "npconv.parallel needs dask: pip install 'npconv[dask]' (dask[array,distributed])"

# the side of the (meta, free) input tiling_plan traces when it is given no input shape: a multiple of
# every alignment of 2, 3, 4, 5, 6, 8, 10, 12, 15, 16... and large enough for deep models
_TRACE_SIZE = 960


def _import_dask():
    try:
        import dask.array as da
    except ImportError:
        raise ImportError(_DASK_HINT) from None
    return da


# ------------------------------------------------------------------------------------ model analysis

def _refusal(call):
    """Why a traced leaf call cannot be tiled, or None: it mixes positions, depends on the image size, the
    batch or chance."""
    name = call.type
    kind = POSITION_PRESERVING_LAYERS.get(name) if call.kind == "module" else \
        POSITION_PRESERVING_FUNCTIONS.get(name[2:]) if name.startswith("F.") else None
    arguments = vars(call.module) if call.kind == "module" else call.arguments
    if kind == "statistics":
        return f"{name} normalises over the whole image (its statistics mix all positions)"
    if kind == "eval" and (call.module.training if call.kind == "module" else arguments.get("training")):
        return (f"{name} is in training mode, where it depends on the whole batch (or is random): call "
                "model.eval() before apply_tiled")
    if arguments.get("padding_mode") == "circular":
        return f"{name} with padding_mode='circular' wraps its padding around the whole image"
    if name.startswith("Upsampl") or name in ("F.interpolate", "F.upsample"):
        factors = arguments.get("scale_factor")
        if factors is None:
            return f"{name} with a fixed output size: give scale_factor"
        if arguments.get("align_corners"):
            return f"{name} with align_corners=True samples a grid that depends on the image size"
        factors = factors if isinstance(factors, (tuple, list)) else (factors,)
        if any(float(f) != int(f) or f < 1 for f in factors):
            return f"{name} tiles only with a whole scale factor (got {arguments['scale_factor']})"
    if name.startswith(("Adaptive", "F.adaptive")):
        return f"{name}: global/adaptive pooling makes every output depend on the whole image"
    if call.output_field is None and call.output_shape is not None:
        return f"{name} mixes all positions (only local layers keep outputs local)"
    return None


def _leaf_calls(calls):
    """The calls that do the work: built-in layers and functional ops, not their insides or containers."""
    return [call for call in calls[1:] if not call.internal and (call.kind == "function" or call.is_builtin_layer)]


class TilingPlan:
    """What tiling needs to know of a model: receptive field of its output, alignment, output sizes.

    ``model`` is the npconv model (or twin) it traces; ``input_shape`` (N, C, *spatial) one it accepts.
    """

    def __init__(self, model, input_shape):
        self.model, self.input_shape = model, tuple(input_shape)
        self.ndim = len(input_shape) - 2
        # the traced input has the dtype of the model's parameters, which its layers require
        self.dtype = next((parameter.dtype for parameter in model.parameters()), None)
        calls = self._trace(self.input_shape[2:])
        for call in _leaf_calls(calls):
            reason = _refusal(call)
            if reason is not None:
                raise ValueError(f"apply_tiled cannot tile {call.name or call.type}: {reason}")
        self.field = calls[0].output_field
        if self.field is None:
            raise ValueError("apply_tiled cannot tile this model: its output has no spatial receptive field")
        self.out_channels = calls[0].output_shape[1]
        jumps = [call.output_field.jump for call in calls if call.output_field is not None]
        self.alignment = tuple(math.lcm(1, *(Fraction(jump[d]).numerator for jump in jumps))
                               for d in range(self.ndim))
        self._sizes = {}

    def output_size(self, spatial):
        """The spatial output size for a spatial input size (traced shape-only), or None where the model
        refuses that size."""
        spatial = tuple(spatial)
        if spatial not in self._sizes:
            try:
                self._sizes[spatial] = tuple(self._trace(spatial)[0].output_shape[2:])
            except (RuntimeError, ValueError, IndexError):
                self._sizes[spatial] = None
        return self._sizes[spatial]

    def _trace(self, spatial):
        """The calls of a shape-only forward on a (meta) input of this spatial size (torch's meta device for
        a torch model)."""
        shape = (1,) + self.input_shape[1:2] + tuple(spatial)
        if is_torch_object(self.model):
            return trace_torch(self.model, meta_tensors(shape, [self.dtype]))
        return trace(self.model, meta_inputs(shape, dtypes=[self.dtype]))

    def _output_size_along(self, dim, spatial, size):
        crop = list(spatial)
        crop[dim] = size
        out = self.output_size(crop)
        return None if out is None else out[dim]

    def tiles(self, dim, spatial, input_chunks):
        """``(o0, o1, a, b, shift)`` per tile along one dimension of an input of spatial size ``spatial``:
        outputs ``[o0, o1)`` come from the forward of input ``[a, b)``, where they sit at
        ``[o0 - shift, o1 - shift)``."""
        size = spatial[dim]
        out_size = self._output_size_along(dim, spatial, size)
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
            b = min(size, ceil_div(b, align) * align)
            # Outputs whose field lies (partly) in the padding need a crop long enough for the forward
            # to produce them: grow it to the image end, then (aligned) towards its start.
            while (self._output_size_along(dim, spatial, b - a) or 0) < o1 - Fraction(a) / jump:
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


def tiling_plan(model, ndim=2, input_shape=None):
    """Analyse ``model`` (an npconv or torch model with any forward of local layers) for tiling.

    ``input_shape`` (N, C, *spatial) is an input the model accepts; by default C is the first layer's input
    channels and every spatial size 960. Raises ``ValueError`` naming the first layer that cannot be tiled
    (Linear, Flatten, global or adaptive pooling, normalisation over the image, training-mode BatchNorm or
    dropout, circular padding, size-given or align_corners upsampling).
    """
    if input_shape is None:
        channels = next((getattr(m, attr) for m in model.modules()
                         for attr in ("in_channels", "num_features") if hasattr(m, attr)), 1)
        input_shape = (1, channels) + (_TRACE_SIZE,) * ndim
    return TilingPlan(model, input_shape)


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


class _TorchForward:
    """Run a torch model on one ndarray tile under ``torch.no_grad`` (torch is imported by the worker)."""

    def __init__(self, model):
        self.model = model

    def __call__(self, block):
        import torch
        with torch.no_grad():
            return self.model(torch.from_numpy(np.ascontiguousarray(block))).numpy()


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
    one tile; by default the model itself under ``no_grad`` (npconv's, or torch's for a torch model).
    Compute the result with any scheduler, e.g. ``.compute()`` or, with a ``dask.distributed.Client``
    active, on its cluster.

    Output shape: ``(N, C_out, *out)`` where ``out`` is the model's output size for ``spatial``, equal
    (to rounding) to ``model(array)``. A model with a layer that is not local raises ``ValueError`` naming
    the first one; a model that refuses the input size raises its own error.
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
    spatial = tuple(array.shape[2:])
    plan = tiling_plan(model, ndim, input_shape=array.shape)
    if forward is None:
        forward = _TorchForward(model) if is_torch_object(model) else _NpconvForward(model)
    per_dim = [plan.tiles(d, spatial, array.chunks[2 + d]) for d in range(ndim)]
    rows, batch_start = [], 0
    for batch in array.chunks[0]:
        grid = _tile_grid(array, forward, per_dim, slice(batch_start, batch_start + batch), plan.out_channels)
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
