"""Receptive field and jump ("effective stride") arithmetic, per spatial dimension.

A :class:`ReceptiveField` describes which input pixels one output pixel of a layer depends on: output
index ``o`` (along one spatial dimension) sees input pixels ``start + o * jump`` to
``start + o * jump + size - 1`` (clipped to the input; ``start`` is negative where padding is seen).
The rules, for a layer with kernel ``k``, stride ``s``, padding ``p``, dilation ``d`` and
``k_eff = d * (k - 1) + 1`` (Dumoulin & Visin; Araujo et al. 2019):

* convolution and pooling: ``size += (k_eff - 1) * jump``, ``start -= p * jump``, ``jump *= s``
* transposed convolution: ``jump /= s``; ``size`` grows by the widest span of inputs that reach one
  output, ``(taps - 1) * jump`` where ``taps`` counts them (position dependent: this is the maximum);
* adaptive pooling ``n -> m``: windows of up to ``ceil(n / m)``-ish pixels, ``jump *= n / m``;
* nearest upsampling by ``f``: ``jump /= f``; linear/bilinear upsampling also widens ``size`` by one jump;
* element-wise layers (activations, normalisation, dropout) change nothing; a residual sum takes the
  union of both branches' fields.

Jumps below one (after upsampling) are exact fractions; a size that comes out fractional (a window over
sub-pixel steps) is rounded up to whole input pixels. A dilated kernel whose taps are further apart than
the field it reads leaves holes (so does a stride larger than the kernel): ``size`` is then the span, not
the count, of the pixels seen. Near the borders the region is an over-estimate: the zero padding added by
an intermediate layer is counted as if it were input pixels.
"""
import math
from fractions import Fraction
from typing import NamedTuple

from .sizes import _broadcast, same_padding

__all__ = ["ReceptiveField", "receptive_field"]


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
        return tuple((start + i * jump, start + i * jump + size - 1)
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
        """After a transposed convolution (the widest span over output positions; see the module doc)."""
        dims = _per_dim(self.ndim, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation)
        size, jump, start = [], [], []
        for a, s0, j0, st0 in zip(dims, self.size, self.jump, self.start):
            k, s, p, d = a["kernel_size"], a["stride"], a["padding"], a["dilation"]
            j0 = Fraction(j0)
            span = max(_transpose_taps_span(o, k, s, d) for o in range(s * d * k))
            size.append(s0 + span * j0)
            # output o sits at o + p in the uncropped output; its first input is about (o + p - d(k-1)) / s
            start.append(st0 + Fraction(p - d * (k - 1), s) * j0)
            jump.append(j0 / s)
        return self._new(size, jump, start)

    def adaptive_pool(self, input_size, output_size):
        """After adaptive pooling from ``input_size`` to ``output_size`` (window i: floor(i*n/m)..ceil((i+1)*n/m))."""
        dims = _per_dim(self.ndim, input_size=input_size, output_size=output_size)
        size, jump = [], []
        for a, s0, j0 in zip(dims, self.size, self.jump):
            n, m = a["input_size"], a["output_size"]
            widest = max(-((-(i + 1) * n) // m) - (i * n) // m for i in range(m))
            size.append(s0 + (widest - 1) * Fraction(j0))
            jump.append(Fraction(j0) * Fraction(n, m))
        return self._new(size, jump, self.start)

    def upsample(self, scale_factor, mode="nearest"):
        """After ``interpolate``/``Upsample``: nearest keeps the size; (bi/tri)linear also reads a neighbour."""
        factors = scale_factor if isinstance(scale_factor, (tuple, list)) else (scale_factor,) * self.ndim
        widen = 0 if mode == "nearest" else 1
        size = [s0 + widen * Fraction(j0) for s0, j0 in zip(self.size, self.jump)]
        jump = [Fraction(j0) / Fraction(f).limit_denominator(10 ** 6) for j0, f in zip(self.jump, factors)]
        return self._new(size, jump, self.start)

    def union(self, other):
        """The field of a sum of two branches: the pixels either branch sees (jumps must agree)."""
        if other.jump != self.jump:
            raise ValueError(f"cannot join fields with jumps {self.jump} and {other.jump}")
        start = [min(a, b) for a, b in zip(self.start, other.start)]
        end = [max(a + sa, b + sb) for a, sa, b, sb in zip(self.start, self.size, other.start, other.size)]
        return self._new([e - s for s, e in zip(start, end)], self.jump, start)


def _transpose_taps_span(o, k, s, d):
    """Index span (last - first) of the inputs i with i*s = o - d*j, j in 0..k-1, for uncropped output o."""
    taps = [(o - d * j) // s for j in range(k) if (o - d * j) % s == 0 and o - d * j >= 0]
    return max(taps) - min(taps) if taps else 0


_ELEMENTWISE = ("ReLU", "ReLU6", "LeakyReLU", "ELU", "GELU", "SiLU", "Sigmoid", "Tanh", "Hardswish", "Hardtanh",
                "Softplus", "Mish", "PReLU", "Identity", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d",
                "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d",
                "InstanceNorm3d", "GroupNorm", "LocalResponseNorm", "Softmax", "LogSoftmax", "ZeroPad2d")


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
    field: a ``ValueError`` says so.

    >>> receptive_field([{"kind": "conv", "kernel_size": 3}] * 2, ndim=1).size
    (5,)
    """
    field = ReceptiveField.identity(ndim)
    spatial = tuple(input_size) if isinstance(input_size, (tuple, list)) else (
        (input_size,) * ndim if input_size is not None else None)
    from .sizes import conv_output_size, conv_transpose_output_size, pool_output_size
    for layer in _layers(layers):
        kind, args = _describe_layer(layer)
        if kind == "elementwise":
            continue
        if kind == "conv":
            field = field.conv(**args)
            spatial = spatial and _tuple(conv_output_size(spatial, **args), ndim)
        elif kind == "pool":
            ceil_mode = args.pop("ceil_mode", False)
            field = field.pool(**args)
            spatial = spatial and _tuple(pool_output_size(spatial, ceil_mode=ceil_mode, **args), ndim)
        elif kind == "conv_transpose":
            output_padding = args.pop("output_padding", 0)
            field = field.conv_transpose(**args)
            spatial = spatial and _tuple(conv_transpose_output_size(spatial, output_padding=output_padding,
                                                                    **args), ndim)
        elif kind == "adaptive_pool":
            if spatial is None:
                raise ValueError("adaptive pooling needs input_size to know its windows")
            out = _tuple(args["output_size"], ndim)
            out = tuple(s if o is None else o for s, o in zip(spatial, out))
            field = field.adaptive_pool(spatial, out)
            spatial = out
        elif kind == "upsample":
            field = field.upsample(args["scale_factor"], args["mode"])
            spatial = None
        else:
            raise ValueError(f"{type(layer).__name__} mixes all positions: no spatial receptive field after it")
    return field


def left_padding(padding, kernel_size, dilation):
    """Numeric left padding: 'valid' is 0, 'same' is torch's split (the extra pixel goes to the right)."""
    if padding == "valid":
        return 0
    if padding == "same":
        kernel = tuple(kernel_size) if isinstance(kernel_size, (tuple, list)) else (kernel_size,)
        return tuple(left for left, _ in same_padding(kernel, dilation))
    return padding


def _tuple(value, ndim):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * ndim


def _describe_layer(layer):
    if isinstance(layer, dict):
        args = dict(layer)
        return args.pop("kind"), args
    name = type(layer).__name__
    if name in _ELEMENTWISE:
        return "elementwise", {}
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
        return "upsample", dict(scale_factor=layer.scale_factor, mode=mode)
    return "global", {}
