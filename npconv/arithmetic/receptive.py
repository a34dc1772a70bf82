"""Receptive field and jump ("effective stride") arithmetic, per spatial dimension.

A :class:`ReceptiveField` describes which input pixels one output pixel of a layer depends on: output
index ``o`` (along one spatial dimension) sees input pixels ``start + o * jump`` to
``start + o * jump + size - 1`` (clipped to the input; ``start`` is negative where padding is seen).
The rules, for a layer with kernel ``k``, stride ``s``, padding ``p``, dilation ``d`` and
``k_eff = d * (k - 1) + 1`` (Dumoulin & Visin; Araujo et al. 2019):

* convolution and pooling: ``size += (k_eff - 1) * jump``, ``start -= p * jump``, ``jump *= s``
* layers that read a fractional position -- transposed convolution, upsampling, adaptive pooling --
  are described by a linear *envelope*: output ``o`` reads layer inputs ``i`` with
  ``lo + o * r <= i <= hi + o * r`` (``r`` the layer's own jump, ``1/s`` or ``1/f`` or ``n/m``). Which
  inputs an output reads depends on its phase (``floor(o / s)`` rounds down by up to ``(s-1)/s``), so
  ``lo`` and ``hi`` are the extremes over all phases (one period of ``o``): then ``start += lo * jump``,
  ``size += (hi - lo) * jump``, ``jump *= r``. This is a conservative span: no output reads outside it,
  although one output of a given phase may read fewer pixels than ``size``;
* nearest upsampling by ``f`` reads ``floor(o / f)``; linear/bilinear/trilinear (``align_corners=False``)
  read ``floor(src)`` and the next pixel at ``src = (o + 1/2) / f - 1/2``; bicubic one more each side;
* element-wise layers (activations, normalisation, dropout) change nothing; a residual sum takes the
  union of both branches' fields.

Jumps below one (after upsampling) and starts are exact fractions: output ``o`` reads only input pixels
``p`` with ``start + o * jump <= p <= start + o * jump + size - 1``. A size that comes out fractional is
rounded up to whole input pixels (so it stays an over-estimate). A dilated kernel whose taps are further
apart than the field it reads leaves holes (so does a stride larger than the kernel): ``size`` is then the
span, not the count, of the pixels seen. Near the borders the region is an over-estimate: the zero padding
added by an intermediate layer is counted as if it were input pixels. ``align_corners=True`` scales by
``(n - 1) / (m - 1)``, which depends on the sizes: its field is not described (a ``ValueError``).
"""
import math
from fractions import Fraction
from typing import NamedTuple

from .._shapes import ntuple
from .sizes import _broadcast, same_padding

__all__ = ["ReceptiveField", "receptive_field", "POSITION_PRESERVING_LAYERS", "POSITION_PRESERVING_FUNCTIONS"]


def _per_dim(ndim, **arguments):
    per_dim, as_tuple = _broadcast(**arguments)
    if as_tuple and len(per_dim) != ndim:
        raise ValueError(f"expected {ndim} spatial dimensions, got {len(per_dim)}")
    return per_dim if as_tuple else per_dim * ndim


def _plain(value):
    """Fractions that are whole numbers print as ints."""
    return int(value) if isinstance(value, Fraction) and value.denominator == 1 else value


class ReceptiveField(NamedTuple):
    """Per spatial dimension: ``size`` (pixels spanned), ``jump`` (input pixels between neighbouring
    outputs) and ``start`` (first input pixel seen by output 0, negative inside the padding)."""
    size: tuple
    jump: tuple
    start: tuple

    @classmethod
    def identity(cls, ndim):
        """The field of the input itself: each pixel sees itself."""
        return cls((1,) * ndim, (1,) * ndim, (0,) * ndim)

    @property
    def ndim(self):
        return len(self.size)

    def region(self, index):
        """The input pixels ``(first, last)`` per dimension seen by the output at ``index`` (unclipped)."""
        index = (index,) * self.ndim if isinstance(index, int) else tuple(index)
        return tuple((_plain(Fraction(start + i * jump)), _plain(Fraction(start + i * jump + size - 1)))
                     for start, jump, size, i in zip(self.start, self.jump, self.size, index))

    def _new(self, size, jump, start):
        # after upsampling, a window's span can fall between pixels: count every pixel it touches
        return ReceptiveField(tuple(math.ceil(Fraction(v)) for v in size), tuple(_plain(Fraction(v)) for v in jump),
                              tuple(_plain(Fraction(v)) for v in start))

    def conv(self, kernel_size, stride=1, padding=0, dilation=1):
        """After a convolution or a pooling window (both slide a window the same way)."""
        dims = _per_dim(self.ndim, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation)
        size, jump, start = [], [], []
        for a, s0, j0, st0 in zip(dims, self.size, self.jump, self.start):
            reach = a["dilation"] * (a["kernel_size"] - 1)
            size.append(s0 + reach * Fraction(j0))
            start.append(st0 - a["padding"] * Fraction(j0))
            jump.append(Fraction(j0) * a["stride"])
        return self._new(size, jump, start)

    pool = conv

    def conv_transpose(self, kernel_size, stride=1, padding=0, dilation=1):
        """After a transposed convolution: output ``o`` (``u = o + p`` uncropped) reads the inputs
        ``i = (u - d * j) / s`` that are whole numbers, ``j`` in ``0..k-1`` (an envelope over phases)."""
        dims = _per_dim(self.ndim, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation)
        envelopes = []
        for a in dims:
            k, s, p, d = a["kernel_size"], a["stride"], a["padding"], a["dilation"]

            def reads(o, k=k, s=s, p=p, d=d):
                taps = [(o + p - d * j) // s for j in range(k) if (o + p - d * j) % s == 0]
                return (min(taps), max(taps)) if taps else None
            envelopes.append(_envelope(reads, Fraction(1, s)))
        return self._through(envelopes)

    def adaptive_pool(self, input_size, output_size):
        """After adaptive pooling from ``input_size`` to ``output_size`` (window i: floor(i*n/m)..ceil((i+1)*n/m))."""
        dims = _per_dim(self.ndim, input_size=input_size, output_size=output_size)
        return self._through([_window_envelope(Fraction(a["input_size"], a["output_size"])) for a in dims])

    def upsample(self, scale_factor, mode="nearest", align_corners=None):
        """After ``interpolate``/``Upsample`` by ``scale_factor`` (an envelope over output phases: see the
        module doc). ``align_corners=True`` has no size-free field: a ``ValueError``."""
        if align_corners and mode not in ("nearest", "nearest-exact", "area"):
            raise ValueError("upsampling with align_corners=True: no receptive field without the sizes")
        factors = scale_factor if isinstance(scale_factor, (tuple, list)) else (scale_factor,) * self.ndim
        if len(factors) != self.ndim:
            raise ValueError(f"expected {self.ndim} spatial dimensions, got {len(factors)}")
        return self._through([_upsample_envelope(1 / Fraction(f).limit_denominator(10 ** 6), mode)
                              for f in factors])

    def _through(self, envelopes):
        """Compose with one layer given per dimension as ``(lo, hi, rate)``: output o reads lo+o*rate..hi+o*rate."""
        size, jump, start = [], [], []
        for (lo, hi, rate), s0, j0, st0 in zip(envelopes, self.size, self.jump, self.start):
            j0 = Fraction(j0)
            size.append(s0 + (hi - lo) * j0)
            start.append(st0 + lo * j0)
            jump.append(j0 * rate)
        return self._new(size, jump, start)

    def union(self, other):
        """The field of a sum of two branches: the pixels either branch sees (jumps must agree)."""
        if other.jump != self.jump:
            raise ValueError(f"cannot join fields with jumps {self.jump} and {other.jump}")
        start = [min(a, b) for a, b in zip(self.start, other.start)]
        end = [max(a + sa, b + sb) for a, sa, b, sb in zip(self.start, self.size, other.start, other.size)]
        return self._new([e - s for s, e in zip(start, end)], self.jump, start)


def _envelope(reads, rate):
    """``(lo, hi, rate)``: the tightest ``lo, hi`` with ``lo + o*rate <= first`` and ``last <= hi + o*rate``
    for every output ``o``, where ``reads(o)`` gives ``(first, last)`` (or None). The reads repeat, shifted by
    ``rate * period``, every ``period`` outputs (the denominator of ``rate``): one period decides. Outputs
    are taken far from 0 so that no clamping at the input border shows."""
    period = rate.denominator
    offsets = []
    for o in range(1000 * period, 1001 * period):
        seen = reads(o)
        if seen is not None:
            offsets += [seen[0] - o * rate, seen[1] - o * rate]
    if not offsets:
        return Fraction(0), Fraction(0), rate
    return min(offsets), max(offsets), rate


def _window_envelope(ratio):
    """Adaptive (and 'area') windows of ratio ``n/m``: output o reads floor(o*n/m) .. ceil((o+1)*n/m) - 1."""
    return _envelope(lambda o: ((o * ratio) // 1, -((-(o + 1) * ratio) // 1) - 1), ratio)


def _upsample_envelope(rate, mode):
    """Inputs read by output o of an upsampling with source step ``rate = 1/f`` (align_corners=False)."""
    if mode == "nearest":
        return _envelope(lambda o: ((o * rate) // 1,) * 2, rate)
    if mode == "nearest-exact":
        return _envelope(lambda o: (((o + Fraction(1, 2)) * rate) // 1,) * 2, rate)
    if mode == "area":
        return _window_envelope(rate)
    extra = {"linear": (0, 1), "bilinear": (0, 1), "trilinear": (0, 1), "bicubic": (1, 2)}
    if mode not in extra:
        raise ValueError(f"no receptive field for upsampling mode {mode!r}")
    before, after = extra[mode]

    def reads(o):
        source = (o + Fraction(1, 2)) * rate - Fraction(1, 2)
        first = source // 1
        if source == first:       # exactly on a pixel: every neighbour's weight is zero
            return first, first
        return first - before, first + after
    return _envelope(reads, rate)


# ----- The layers that do not move pixels: one table for receptive fields, traces (summary) and tiling.
# Each maps a layer class name (npconv's or torch's) or an F.* function name to where an output value
# comes from:
#   "pointwise"  the same position of the input (LocalResponseNorm and Softmax2d mix channels only);
#   "eval"       the same position in eval mode; in training, batch statistics or random masks;
#   "statistics" the same position and statistics over the sample (instance/group/layer norm, a softmax
#                along any dim): receptive fields follow the position and leave the statistics out, as is
#                usual; tiling cannot cut through them.
_ACTIVATIONS = ("ReLU", "ReLU6", "LeakyReLU", "ELU", "CELU", "SELU", "GELU", "SiLU", "Sigmoid", "Tanh", "Hardswish",
                "Hardsigmoid", "Hardtanh", "Hardshrink", "Softshrink", "Softplus", "Softsign", "Mish", "PReLU",
                "RReLU", "Tanhshrink", "Threshold", "LogSigmoid")
POSITION_PRESERVING_LAYERS = {
    **{name: "pointwise" for name in _ACTIVATIONS + ("Identity", "LocalResponseNorm", "Softmax2d")},
    **{name: "eval" for name in ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "SyncBatchNorm", "Dropout",
                                 "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout")},
    **{name: "statistics" for name in ("InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "GroupNorm",
                                       "LayerNorm", "Softmax", "LogSoftmax", "Softmin")},
}
POSITION_PRESERVING_FUNCTIONS = {
    **{name: "pointwise" for name in ("relu", "relu_", "relu6", "elu", "elu_", "celu", "selu", "prelu", "rrelu",
                                      "gelu", "silu", "mish", "leaky_relu", "leaky_relu_", "sigmoid", "tanh",
                                      "hardswish", "hardsigmoid", "hardtanh", "hardtanh_", "hardshrink",
                                      "softshrink", "softplus", "softsign", "tanhshrink", "threshold",
                                      "logsigmoid", "local_response_norm")},
    **{name: "eval" for name in ("batch_norm", "dropout", "dropout1d", "dropout2d", "dropout3d",
                                 "alpha_dropout", "feature_alpha_dropout")},
    **{name: "statistics" for name in ("instance_norm", "group_norm", "layer_norm", "softmax", "log_softmax",
                                       "softmin")},
}


# Tensor ops (torch.* functions, Tensor methods and their operators, npconv's autograd ops by class name)
# that leave every value at its position when their output has the spatial size of an input: element-wise
# arithmetic and activations, casts and copies, reshapes and basic indexing of the leading dims,
# concatenation along the channels. Every other op (flip, transpose, matmul, cumsum, softmax of a Tensor
# method, advanced indexing...) may move values within the image: its output gets no receptive field, so
# that nothing is tiled on a guess. Names are compared lower-case without underscores (``__radd__`` and
# ``add_`` are ``radd`` and ``add``; npconv's ``LeakyRelu`` op is ``leakyrelu``).
POSITION_PRESERVING_OPS = frozenset("""
    add radd iadd sub rsub isub mul rmul imul div truediv rtruediv itruediv floordiv rfloordiv ifloordiv
    floordivide truedivide remainder mod rmod pow rpow ipow powscalar neg abs exp expm1 log log1p log2 sqrt rsqrt
    square reciprocal sign sin cos erf clamp clip clampmin clampmax maximum minimum fmax fmin where lerp addcmul
    addcdiv relu sigmoid tanh elu gelu hardsigmoid hardswish hardtanh leakyrelu mish silu softplus threshold
    to type float double half bfloat16 contiguous clone detach requiresgrad tocopy copy alias view viewas
    reshape reshapeas expand expandas cat concat concatenate maskedfill fill zero mask slice select
    splitpart splitwithsizespart unbindpart chunk split unbind
""".split())


def keeps_positions(op_name):
    """Whether the op called ``op_name`` leaves values where they are (see POSITION_PRESERVING_OPS)."""
    return op_name.replace("_", "").lower() in POSITION_PRESERVING_OPS


def left_pads(pad, ndim=None):
    """Left pads per spatial dim, first dim first, from F.pad's last-dim-first list (or a module's tuple);
    an int stays an int. ``ndim`` fills the dims the list leaves out with 0."""
    if isinstance(pad, int):
        return pad
    pad = list(pad)
    lefts = pad[0::2][::-1]
    if ndim is not None and len(lefts) < ndim:
        lefts = [0] * (ndim - len(lefts)) + lefts
    return tuple(lefts)


def _padded_size(spatial, pad):
    """Spatial size after padding layers' ``pad`` (an int, or F.pad's last-dim-first list)."""
    if isinstance(pad, int):
        return tuple(n + 2 * pad for n in spatial)
    pad = list(pad) + [0] * (2 * len(spatial) - len(pad))
    return tuple(n + left + right for n, left, right in zip(spatial, pad[0::2][::-1], pad[1::2][::-1]))


def is_padding_layer(name):
    """True for the padding layers (ZeroPad2d, ReflectionPad1d, ConstantPad3d...)."""
    return name.endswith(("Pad1d", "Pad2d", "Pad3d"))


def _layers(modules):
    """Flatten Sequential containers into a list of leaf layers."""
    for module in modules:
        children = list(module.children()) if hasattr(module, "children") else []
        if type(module).__name__ == "Sequential" or (children and not hasattr(module, "kernel_size")
                                                     and type(module).__name__ == "ModuleList"):
            yield from _layers(children)
        else:
            yield module


def receptive_field(layers, ndim=2, input_size=None):
    """The :class:`ReceptiveField` at the end of a chain of layers.

    ``layers`` is an iterable of modules (npconv's or torch's: Conv*d, ConvTranspose*d, MaxPool*d,
    AvgPool*d, Adaptive*Pool*d, Upsample, element-wise layers; Sequential containers are flattened) or of
    dicts ``{"kind": "conv"|"pool"|"conv_transpose", "kernel_size": ..., ...}``. ``input_size`` (spatial
    only) is needed for adaptive pooling. Layers that mix all positions (Linear, Flatten) end the spatial
    field: a ``ValueError`` says so (as for upsampling with ``align_corners=True``, whose step depends on the
    sizes). After transposed convolutions, upsampling and adaptive pooling the field is the span over all
    output phases (see the module doc): never smaller than what one output reads, sometimes larger.

    ``layers`` may also be a model with a forward of its own (npconv's or a torch ``nn.Module``: branches,
    sums, concatenations, ``F.*`` calls): it is traced on a shape-only input of ``input_size`` =
    ``(N, C, *spatial)`` and the field of its output is returned (the summary's per-layer fields come from
    the same trace).

    >>> receptive_field([{"kind": "conv", "kernel_size": 3}] * 2, ndim=1).size
    (5,)
    """
    if _is_model(layers):
        return _traced_field(layers, input_size)
    field = ReceptiveField.identity(ndim)
    spatial = tuple(input_size) if isinstance(input_size, (tuple, list)) else (
        (input_size,) * ndim if input_size is not None else None)
    from .sizes import conv_output_size, conv_transpose_output_size, pool_output_size
    for layer in _layers(layers):
        kind, args = _describe_layer(layer)
        if kind == "elementwise":
            continue
        if kind == "pad":
            field = field.conv(1, 1, left_pads(args["padding"], ndim), 1)
            spatial = spatial and _padded_size(spatial, args["padding"])
        elif kind == "conv":
            field = field.conv(**args)
            spatial = spatial and ntuple(conv_output_size(spatial, **args), ndim)
        elif kind == "pool":
            ceil_mode = args.pop("ceil_mode", False)
            field = field.pool(**args)
            spatial = spatial and ntuple(pool_output_size(spatial, ceil_mode=ceil_mode, **args), ndim)
        elif kind == "conv_transpose":
            output_padding = args.pop("output_padding", 0)
            field = field.conv_transpose(**args)
            spatial = spatial and ntuple(conv_transpose_output_size(spatial, output_padding=output_padding,
                                                                    **args), ndim)
        elif kind == "adaptive_pool":
            if spatial is None:
                raise ValueError("adaptive pooling needs input_size to know its windows")
            out = ntuple(args["output_size"], ndim)
            out = tuple(s if o is None else o for s, o in zip(spatial, out))
            field = field.adaptive_pool(spatial, out)
            spatial = out
        elif kind == "upsample":
            field = field.upsample(args["scale_factor"], args["mode"], args.get("align_corners"))
            spatial = None
        else:
            raise ValueError(f"{type(layer).__name__} mixes all positions: no spatial receptive field after it")
    return field


def _is_model(layers):
    """A module (npconv's or torch's) that is not a chain of layers: it is traced through its forward."""
    if isinstance(layers, (list, tuple, dict)) or not hasattr(layers, "forward") or not hasattr(layers, "modules"):
        return False
    if type(layers).__name__ in ("Sequential", "ModuleList"):
        return False
    return _describe_layer(layers)[0] == "global" and bool(list(layers.children()))


def _traced_field(model, input_size):
    from .trace import meta_inputs, trace
    if input_size is None or isinstance(input_size, int) or len(input_size) < 3:
        raise ValueError(f"{type(model).__name__} is traced through its forward: give input_size="
                         "(N, C, *spatial), the shape of its input")
    first = next(iter(model.parameters()), None)
    dtypes = [first.dtype] if first is not None and first.is_floating_point() else None
    calls = trace(model, meta_inputs(tuple(input_size), dtypes, model))
    field = calls[0].output_field
    if field is None:
        raise ValueError(f"the output of {type(model).__name__} mixes all positions (or is not a spatial map): "
                         "no spatial receptive field; summary(model, input_size) shows each layer's")
    return field


def left_padding(padding, kernel_size, dilation):
    """Numeric left padding: 'valid' is 0, 'same' is torch's split (the extra pixel goes to the right)."""
    if padding == "valid":
        return 0
    if padding == "same":
        kernel = tuple(kernel_size) if isinstance(kernel_size, (tuple, list)) else (kernel_size,)
        return tuple(left for left, _ in same_padding(kernel, dilation))
    return padding


def _describe_layer(layer):
    if isinstance(layer, dict):
        args = dict(layer)
        return args.pop("kind"), args
    name = type(layer).__name__
    if name in POSITION_PRESERVING_LAYERS:
        return "elementwise", {}
    if is_padding_layer(name):
        return "pad", dict(padding=layer.padding)
    if name.startswith("ConvTranspose"):
        return "conv_transpose", dict(kernel_size=layer.kernel_size, stride=layer.stride, padding=layer.padding,
                                      dilation=layer.dilation, output_padding=layer.output_padding)
    if name.startswith("Conv"):
        return "conv", dict(kernel_size=layer.kernel_size, stride=layer.stride, dilation=layer.dilation,
                            padding=left_padding(layer.padding, layer.kernel_size, layer.dilation))
    if name.startswith("Adaptive"):
        return "adaptive_pool", dict(output_size=layer.output_size)
    if name.startswith(("MaxPool", "AvgPool")):
        return "pool", dict(kernel_size=layer.kernel_size, stride=layer.stride or layer.kernel_size,
                            padding=layer.padding, dilation=getattr(layer, "dilation", 1),
                            ceil_mode=getattr(layer, "ceil_mode", False))
    if name in ("Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"):
        if layer.scale_factor is None:
            raise ValueError("Upsample with output_size: give scale_factor for a receptive field")
        mode = getattr(layer, "mode", "nearest")
        return "upsample", dict(scale_factor=layer.scale_factor, mode=mode,
                                align_corners=getattr(layer, "align_corners", None))
    return "global", {}
