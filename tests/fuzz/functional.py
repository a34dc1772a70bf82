"""Raw torch.nn.functional calls for the differential fuzz: convolutions with random (also non-finite)
weights big enough to reach the FFT and Winograd algorithms, interpolate, pad, the normalisation functions
with explicit statistics, softmax with a dtype, and huge shapes that must be refused before allocating."""
import numpy as np
from hypothesis import strategies as st

from tests.strategies import one_in

from .layers import HOSTILE, _maybe_hostile, _per_dim, _resolve
from .tensors import tensor_specs, upstream_gradient


def _size(draw, high):
    """A dimension size in 1..high, now and then 0."""
    return 0 if draw(one_in(8)) else draw(st.integers(1, high))


def _backward(m, out, leaves):
    """The output and the gradients of ``leaves`` after the same upstream gradient."""
    results = [out]
    first = out[0] if isinstance(out, tuple) else out
    if getattr(first, "requires_grad", False) and first.dtype.is_floating_point:
        first.backward(m.from_numpy(upstream_gradient(tuple(first.shape), first.detach().numpy().dtype)))
        results.extend(leaf.grad for leaf in leaves if leaf is not None)
    return results


def _call_with(draw, kwargs):
    """Hostile replacements, then which keyword arguments go by position (in order)."""
    kwargs = {k: _maybe_hostile(draw, v, rate=10) for k, v in kwargs.items()}
    return kwargs, draw(st.integers(0, len(kwargs)))


def _invoke(m, function, tensors, kwargs, positional):
    items = [(k, _resolve(v, m)) for k, v in kwargs.items()]
    return function(*tensors, *[v for _, v in items[:positional]], **dict(items[positional:]))


def _label(name, specs, kwargs, positional):
    return f"{name} {specs} {kwargs} positional={positional}"


@st.composite
def conv_cases(draw):
    d = draw(st.sampled_from([1, 2, 2, 3]))
    transposed = draw(one_in(4))
    big = draw(one_in(3))   # sizes where the chooser picks FFT or Winograd
    groups = 1 if big else draw(st.sampled_from([1, 1, 2]))
    cin = groups * (draw(st.integers(8, 16)) if big else draw(st.integers(1, 3)))
    cout = groups * (draw(st.integers(8, 16)) if big else draw(st.integers(1, 3)))
    kernel = (draw(st.sampled_from([3, 5, 7])),) * d if big else tuple(draw(st.integers(1, 3)) for _ in range(d))
    spatial = tuple(draw(st.integers(8, 24 if d < 3 else 10)) if big else draw(st.integers(1, 6)) for _ in range(d))
    batch = draw(st.integers(1, 2))
    weight_shape = (cin, cout // groups) + kernel if transposed else (cout, cin // groups) + kernel
    x = draw(tensor_specs((batch, cin) + spatial, float_only=not draw(one_in(6))))
    w = draw(tensor_specs(weight_shape, dtype=x.dtype if not draw(one_in(10)) else None))
    bias = draw(tensor_specs((cout,), dtype=x.dtype)) if draw(st.booleans()) else None
    kwargs = {}
    if draw(st.booleans()):
        kwargs["stride"] = _per_dim(draw, d, 1, 2)
    if draw(st.booleans()):
        kwargs["padding"] = _per_dim(draw, d, 0, kernel[0] // 2 + 1) if transposed or not draw(one_in(4)) else \
            draw(st.sampled_from(["same", "valid"]))
    if transposed and draw(one_in(4)):
        kwargs["output_padding"] = _per_dim(draw, d, 0, 1)
    if groups > 1 or draw(one_in(6)):
        kwargs["groups"] = groups
    if draw(one_in(4)):
        kwargs["dilation"] = _per_dim(draw, d, 1, 2)
    if transposed and "dilation" in kwargs:  # conv_transpose's signature order
        kwargs["dilation"] = kwargs.pop("dilation")
    kwargs, positional = _call_with(draw, kwargs)
    name = f"conv_transpose{d}d" if transposed else f"conv{d}d"

    def run(m):
        (xt, xl), (wt, wl) = x.make(m), w.make(m)
        bt, bl = bias.make(m) if bias is not None else (None, None)
        out = _invoke(m, getattr(m.nn.functional, name), (xt, wt, bt), kwargs, positional)
        return _backward(m, out, (xl, wl, bl))
    return _label(name, (x, w, bias), kwargs, positional), run


@st.composite
def interpolate_cases(draw):
    d = draw(st.integers(1, 3))
    x = draw(tensor_specs((_size(draw, 2), _size(draw, 3))
                          + tuple(draw(st.integers(1, 5)) for _ in range(d))))
    modes = {1: ["nearest", "linear", "nearest-exact", "area"], 2: ["nearest", "bilinear", "bicubic", "area",
                                                                    "nearest-exact"],
             3: ["nearest", "trilinear", "area", "nearest-exact"]}[d]
    kwargs = {}
    if draw(st.booleans()):
        kwargs["size"] = _per_dim(draw, d, 1, 8)
    else:
        kwargs["scale_factor"] = draw(st.one_of(st.sampled_from([2, 0.5, 1.5, 3.0, 0.3]),
                                                st.tuples(*[st.sampled_from([2.0, 0.7, 1.25])] * d)))
    kwargs["mode"] = draw(st.sampled_from(modes + ["bilinear", "linear"]))
    if draw(st.booleans()):
        kwargs["align_corners"] = draw(st.booleans())
    if draw(one_in(4)):
        kwargs["recompute_scale_factor"] = draw(st.booleans())
    if draw(one_in(6)):
        kwargs["antialias"] = draw(st.booleans())
    kwargs, positional = _call_with(draw, kwargs)

    def run(m):
        xt, xl = x.make(m)
        return _backward(m, _invoke(m, m.nn.functional.interpolate, (xt,), kwargs, positional), (xl,))
    return _label("interpolate", x, kwargs, positional), run


@st.composite
def pad_cases(draw):
    rank = draw(st.integers(1, 5))
    x = draw(tensor_specs(tuple(_size(draw, 4) for _ in range(rank))))
    pad = tuple(draw(st.integers(-2, 3)) for _ in range(2 * draw(st.integers(1, 3))))
    kwargs = {"pad": pad}
    if draw(st.booleans()):
        kwargs["mode"] = draw(st.sampled_from(["constant", "reflect", "replicate", "circular", "bogus"]))
    if draw(one_in(4)):
        kwargs["value"] = draw(st.sampled_from([1.5, 0, -2, float("nan")]))
    kwargs, positional = _call_with(draw, kwargs)

    def run(m):
        xt, xl = x.make(m)
        return _backward(m, _invoke(m, m.nn.functional.pad, (xt,), kwargs, positional), (xl,))
    return _label("pad", x, kwargs, positional), run


@st.composite
def normalization_cases(draw):
    which = draw(st.sampled_from(["batch_norm", "instance_norm", "layer_norm", "group_norm"]))
    channels = draw(st.integers(1, 4))
    shape = (_size(draw, 3), channels) + tuple(draw(st.integers(1, 4)) for _ in range(draw(st.integers(0, 2))))
    if draw(one_in(10)):
        shape = shape[1:]
    x = draw(tensor_specs(shape))
    vec = lambda: draw(tensor_specs((channels,), dtype=draw(st.sampled_from([x.dtype] * 4 + ["float32", "float64"]))))
    tensors, kwargs = [x], {}
    if which == "batch_norm":
        tensors += [vec() if not draw(one_in(6)) else None, vec() if not draw(one_in(6)) else None]
        kwargs = {"weight": vec() if draw(st.booleans()) else None, "bias": vec() if draw(st.booleans()) else None,
                  "training": draw(st.booleans()), "momentum": 0.1, "eps": draw(st.sampled_from([1e-5, 0.0]))}
    elif which == "instance_norm":
        kwargs = {"running_mean": None, "running_var": None, "weight": vec() if draw(st.booleans()) else None,
                  "bias": None, "use_input_stats": True, "momentum": 0.1, "eps": 1e-5}
    elif which == "layer_norm":
        kwargs = {"normalized_shape": tuple(shape[-draw(st.integers(1, max(1, len(shape)))):]) if shape else (1,)}
        kwargs["weight"] = draw(tensor_specs(kwargs["normalized_shape"], dtype=x.dtype)) if draw(st.booleans()) else None
    else:
        kwargs = {"num_groups": draw(st.sampled_from([1, 2, channels])),
                  "weight": vec() if draw(st.booleans()) else None}
    kwargs, positional = _call_with(draw, kwargs)

    def run(m):
        made = [t.make(m) if hasattr(t, "make") else (t, None) for t in tensors]
        values = {k: (v.make(m)[0] if hasattr(v, "make") else v) for k, v in kwargs.items()}
        out = _invoke(m, getattr(m.nn.functional, which), [t for t, _ in made], values, positional)
        return _backward(m, out, [leaf for _, leaf in made[:1]])
    return _label(which, tensors, kwargs, positional), run


@st.composite
def softmax_cases(draw):
    which = draw(st.sampled_from(["softmax", "log_softmax", "softmin"]))
    rank = draw(st.integers(0, 3))
    x = draw(tensor_specs(tuple(_size(draw, 4) for _ in range(rank))))
    kwargs = {"dim": draw(st.integers(-rank - 1, rank))}
    if draw(one_in(3)):
        kwargs["dtype"] = draw(st.sampled_from(["float64", "float32", "int64"]))
    kwargs, positional = _call_with(draw, kwargs)
    positional = min(positional, 1)   # dtype is keyword-only after _stacklevel

    def run(m):
        xt, xl = x.make(m)
        values = dict(kwargs)
        if isinstance(values.get("dtype"), str):
            values["dtype"] = getattr(m, values["dtype"])
        return _backward(m, _invoke(m, getattr(m.nn.functional, which), (xt,), values, positional), (xl,))
    return _label(which, x, kwargs, positional), run


HUGE = 10**6


@st.composite
def huge_cases(draw):
    """Sizes whose result is far beyond any memory: torch refuses at once, npconv must too (no hang)."""
    kind = draw(st.sampled_from(["interpolate", "pad", "linear", "conv", "norm", "expanded_norm", "unpool",
                                 "upsample", "zeros", "expanded_add", "fold", "dropout", "conv_expanded",
                                 "adaptive_avg", "adaptive_max", "adaptive_avg_3d"]))
    factor = draw(st.sampled_from([10**5, 10**6]))  # every result far beyond memory (no real allocation)
    draw_scale = draw(st.sampled_from([1, 2**31 // 10**5, 10**4]))   # also past int64 bytes and elements

    def run(m):
        F = m.nn.functional
        if kind == "interpolate":
            return F.interpolate(m.ones(1, 1, 4, 4), size=(factor, factor))
        if kind == "upsample":
            return m.nn.Upsample(scale_factor=factor, mode="trilinear")(m.ones(1, 1, 2, 2, 2))
        if kind == "pad":
            return F.pad(m.ones(1, 1, 2, 2), (factor, factor, factor, factor))
        if kind == "linear":
            return m.nn.Linear(factor, factor * 100)
        if kind == "conv":
            return m.nn.Conv2d(factor, factor, 10)
        if kind == "norm":
            return m.nn.BatchNorm2d(factor * 10**6)
        if kind == "expanded_norm":
            return m.nn.BatchNorm2d(1)(m.zeros(1, 1, 1, 1).expand(1, 1, factor, factor * 100))
        if kind == "unpool":
            return F.max_unpool2d(m.ones(1, 1, 2, 2), m.zeros(1, 1, 2, 2, dtype=m.int64), factor)
        if kind == "zeros":
            return m.zeros(factor, factor, 100)
        if kind == "dropout":
            return F.dropout(m.zeros(1, 1).expand(factor, factor * 100), 0.5)
        if kind == "conv_expanded":
            return F.conv2d(m.zeros(1, 1, 1, 1).expand(1, 1, factor, factor * 100), m.ones(1, 1, 3, 3))
        if kind == "adaptive_avg":
            return F.adaptive_avg_pool2d(m.ones(1, 1, 2, 2), factor * draw_scale)
        if kind == "adaptive_max":
            return F.adaptive_max_pool2d(m.ones(1, 1, 2, 2), factor * draw_scale)
        if kind == "adaptive_avg_3d":
            return F.adaptive_avg_pool3d(m.ones(1, 1, 2, 2, 2), factor * draw_scale)
        if kind == "fold":
            return F.fold(m.ones(1, 4, 1), (factor, factor * 10), 2)
        return m.zeros(1, 1).expand(factor, factor * 100) + 1
    return f"huge {kind} {factor}", run


FUNCTIONAL_TARGETS = {"F.conv": conv_cases(), "F.interpolate": interpolate_cases(), "F.pad": pad_cases(),
                      "F.normalization": normalization_cases(), "F.softmax": softmax_cases(), "huge": huge_cases()}
