"""Cases for every torch.nn layer npconv has: constructor arguments that are valid, odd or invalid (wrong
types, negatives, zero, NaN, huge, tuples of the wrong length), forward inputs from tensors.py (usually of
the rank and channel count the layer wants, sometimes not), forward and backward, run in both libraries.

``LAYER_TARGETS`` maps a target name to a strategy of cases; a case is ``(label, run)`` where ``run(m)``
returns what engine.compare compares: the layer's repr, its outputs, the input's and the parameters'
gradients and the buffers after the call.
"""
import math

import numpy as np
import torch
from hypothesis import strategies as st

from tests.strategies import one_in

from .tensors import FLOATS, tensor_specs, upstream_gradient

# ------------------------------------------------------------------------------ hostile values


class LibraryTensor:
    """Stands for a small tensor of the library under test (a Tensor passed where a number belongs)."""

    def __repr__(self):
        return "tensor(2)"


HOSTILE = (None, True, False, 2.5, -1, 0, "x", (), (1, 2, 3, 4), float("nan"), float("inf"), 10**12, -(10**12),
           LibraryTensor(), [2], (2, None), 1.0)


def _resolve(value, m):
    if isinstance(value, LibraryTensor):
        return m.tensor(2)
    if isinstance(value, tuple):
        return tuple(_resolve(v, m) for v in value)
    return value


def _maybe_hostile(draw, valid, rate=12):
    """``valid`` most of the time, a hostile value about one time in ``rate``."""
    if draw(one_in(rate)):
        return draw(st.sampled_from(HOSTILE))
    return valid


def _per_dim(draw, dims, low, high):
    values = tuple(draw(st.integers(low, high)) for _ in range(dims))
    return values[0] if len(set(values)) == 1 and draw(st.booleans()) else values


def _dims_of(name):
    for d in (1, 2, 3):
        if name.endswith(f"{d}d"):
            return d
    return None

# ------------------------------------------------------------------------------ per-family arguments


def _conv_arguments(draw, name, d):
    transposed = "Transpose" in name
    groups = draw(st.sampled_from([1, 1, 1, 2]))
    args = {"in_channels": groups * draw(st.integers(1, 3)), "out_channels": groups * draw(st.integers(1, 3)),
            "kernel_size": _per_dim(draw, d, 1, 3)}
    if draw(st.booleans()):
        args["stride"] = _per_dim(draw, d, 1, 3)
    if draw(st.booleans()):
        args["padding"] = draw(st.sampled_from(["same", "valid"])) if not transposed and draw(
            one_in(4)) else _per_dim(draw, d, 0, 2)
    if draw(st.booleans()):
        args["dilation"] = _per_dim(draw, d, 1, 2)
    if transposed and draw(one_in(3)):
        args["output_padding"] = _per_dim(draw, d, 0, 1)
    if groups > 1:
        args["groups"] = groups
    if draw(one_in(4)):
        args["bias"] = False
    if draw(one_in(4)):
        args["padding_mode"] = draw(st.sampled_from(["zeros", "reflect", "replicate", "circular"]))
    return args, args["in_channels"]


def _pool_arguments(draw, name, d):
    args = {"kernel_size": _per_dim(draw, d, 1, 3)}
    if name.startswith("LPPool"):
        args = {"norm_type": draw(st.sampled_from([1, 2, 3.5, float("inf"), 0.5])), **args}
    if draw(st.booleans()):
        args["stride"] = _per_dim(draw, d, 1, 3)
    if not name.startswith("LPPool") and draw(st.booleans()):
        args["padding"] = _per_dim(draw, d, 0, 1)
    if name.startswith("MaxPool") and draw(one_in(3)):
        args["dilation"] = _per_dim(draw, d, 1, 2)
    if not name.startswith("MaxUnpool") and draw(one_in(3)):
        args["ceil_mode"] = True
    if name.startswith("AvgPool") and draw(one_in(3)):
        args["count_include_pad"] = False
    if name.startswith("AvgPool") and d > 1 and draw(one_in(4)):
        args["divisor_override"] = draw(st.integers(1, 3))
    if name.startswith("MaxPool") and draw(one_in(3)):
        args["return_indices"] = True
    return args, draw(st.integers(1, 3))


def _adaptive_arguments(draw, name, d):
    sizes = tuple(draw(st.one_of(st.integers(1, 4), st.none()) if d > 1 else st.integers(1, 4)) for _ in range(d))
    args = {"output_size": sizes[0] if d == 1 or (len(set(sizes)) == 1 and sizes[0] and draw(st.booleans()))
            else sizes}
    if "Max" in name and draw(st.booleans()):
        args["return_indices"] = True
    return args, draw(st.integers(1, 3))


def _norm_arguments(draw, name, d):
    channels = draw(st.integers(1, 4))
    if name == "GroupNorm":
        groups = draw(st.sampled_from([g for g in (1, 2, 4) if channels % g == 0]))
        args = {"num_groups": groups, "num_channels": channels}
    elif name == "LayerNorm":
        args = {"normalized_shape": channels}
    else:
        args = {"num_features": channels}
    if draw(one_in(4)):
        args["eps"] = draw(st.sampled_from([1e-5, 0.1, 0.0, 1e-3]))
    if "Batch" in name or "Instance" in name:
        if draw(one_in(4)):
            args["momentum"] = draw(st.sampled_from([0.1, 0.5, None, 1.0]))
        if draw(one_in(3)):
            args["affine"] = draw(st.booleans())
        if draw(one_in(3)):
            args["track_running_stats"] = draw(st.booleans())
    elif draw(one_in(4)):
        args["elementwise_affine" if name == "LayerNorm" else "affine"] = False
    return args, channels


ACTIVATION_ARGUMENTS = {
    "ELU": {"alpha": st.floats(-2, 2)}, "LeakyReLU": {"negative_slope": st.floats(-2, 2)},
    "Softplus": {"beta": st.sampled_from([1.0, 2.0, 0.5]), "threshold": st.sampled_from([20.0, 1.0, 0.5])},
    "Hardtanh": {"min_val": st.sampled_from([-1.0, -2.0, 0.0]), "max_val": st.sampled_from([1.0, 2.0, 0.5])},
    "Threshold": {"threshold": st.floats(-1, 1), "value": st.floats(-3, 3)},
    "GELU": {"approximate": st.sampled_from(["none", "tanh"])},
    "Softmax": {"dim": st.integers(-3, 3)}, "LogSoftmax": {"dim": st.integers(-3, 3)},
    "Softmin": {"dim": st.integers(-3, 3)},
}
ACTIVATIONS = ("ReLU", "ReLU6", "Sigmoid", "Tanh", "SiLU", "Mish", "Hardswish", "Hardsigmoid", "ELU", "LeakyReLU",
               "Softplus", "Hardtanh", "Threshold", "GELU", "Softmax", "LogSoftmax", "Softmin", "Softmax2d",
               "Identity")
REQUIRED = {"Threshold"}
# the activations of activation_extra (RReLU draws random slopes in training: left out)
EXTRA_ACTIVATION_ARGUMENTS = {
    "SELU": {}, "LogSigmoid": {}, "Softsign": {}, "Tanhshrink": {},
    "CELU": {"alpha": st.sampled_from([1.0, 0.5, 2.0, 0.0])},
    "Softshrink": {"lambd": st.sampled_from([0.5, 0.0, 1.5, -0.5])},
    "Hardshrink": {"lambd": st.sampled_from([0.5, 0.0, 1.5, -0.5])},
    "GLU": {"dim": st.integers(-3, 3)},
    "PReLU": {"num_parameters": st.sampled_from([1, 1, 3, 2]), "init": st.sampled_from([0.25, -1.0, 0.0])},
}
PADDINGS = [f"{kind}Pad{d}d" for kind in ("Constant", "Zero", "Reflection", "Replication", "Circular")
            for d in (1, 2, 3)]
NORMS_EXTRA = ("LocalResponseNorm", "RMSNorm", "ChannelShuffle")
DROPOUTS = ("Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout")


def _activation_arguments(draw, name):
    args = {}
    for key, strategy in ACTIVATION_ARGUMENTS.get(name, {}).items():
        if name in REQUIRED or draw(st.booleans()):
            args[key] = draw(strategy)
    if name not in ("Softmax", "LogSoftmax", "Softmin", "Softmax2d", "GELU", "Identity", "Softplus", "Tanh",
                    "Sigmoid", "Mish") and draw(one_in(5)):
        args["inplace"] = True
    return args

# ------------------------------------------------------------------------------ the cases


def _input_shape(draw, rank, channels, channel_dim=1):
    """A shape of ``rank`` with ``channels`` at ``channel_dim`` (usually), small sizes, some empty dims."""
    shape = [draw(st.integers(1, 5)) if not draw(one_in(16)) else 0 for _ in range(rank)]
    if rank > channel_dim and not draw(one_in(10)):
        shape[channel_dim] = channels
    return tuple(shape)


def _rank(draw, d, batched_rank):
    """The rank the layer wants (batched or not), now and then one off."""
    choice = draw(st.sampled_from(["batched"] * 8 + ["unbatched", "wrong"]))
    if choice == "wrong":
        return max(0, batched_rank + draw(st.sampled_from([-2, 1])))
    return batched_rank - 1 if choice == "unbatched" and d else batched_rank


def _hostile_arguments(draw, args):
    """Replace about one argument in twelve by a hostile value."""
    return {key: _maybe_hostile(draw, value) for key, value in args.items()}


@st.composite
def layer_cases(draw, name):
    d = _dims_of(name)
    channel_dim, target_spec = 1, None
    if name.startswith(("Conv", "LazyConv")):
        args, channels = _conv_arguments(draw, name, d)
        rank = _rank(draw, d, d + 2)
    elif name.startswith(("MaxPool", "AvgPool", "LPPool", "MaxUnpool")):
        args, channels = _pool_arguments(draw, name, d)
        rank = _rank(draw, d, d + 2)
    elif name.startswith("Adaptive"):
        args, channels = _adaptive_arguments(draw, name, d)
        rank = _rank(draw, d, d + 2)
    elif name in NORMS_EXTRA:
        args, rank, channels = _extra_norm_arguments(draw, name)
        if name == "RMSNorm":
            channel_dim = None
    elif name.endswith("Norm") or "Norm" in name:
        args, channels = _norm_arguments(draw, name, d)
        if name == "LayerNorm":
            rank, channel_dim = draw(st.integers(1, 4)), None
        elif name == "GroupNorm":
            rank = draw(st.integers(1, 5))
        else:
            rank = _rank(draw, d, d + 2 if d > 1 else draw(st.sampled_from([2, 3])))
    elif name in ACTIVATIONS:
        args, channels = _activation_arguments(draw, name), 3
        rank = draw(st.integers(1, 4)) if name != "Softmax2d" else _rank(draw, 2, 4)
    elif name in EXTRA_ACTIVATION_ARGUMENTS:
        args = {k: draw(v) for k, v in EXTRA_ACTIVATION_ARGUMENTS[name].items() if draw(st.booleans())}
        if name in ("SELU", "CELU") and draw(one_in(5)):
            args["inplace"] = True
        channels, rank = (args.get("num_parameters", 3) if name == "PReLU" else 4), draw(st.integers(1, 4))
    elif name in PADDINGS:
        args, rank, channels = _padding_arguments(draw, name, d)
    elif name in DROPOUTS:
        args = {"p": draw(st.sampled_from([0.0, 1.0, 0.5, 0.2]))}
        if draw(one_in(5)):
            args["inplace"] = True
        channels, rank = 3, _rank(draw, d or 0, (d or 1) + 2)
    elif name in ("Linear", "Bilinear"):
        features = draw(st.integers(0, 4)) if draw(one_in(10)) else draw(st.integers(1, 4))
        args = {"in_features": features, "out_features": draw(st.integers(1, 4))}
        if name == "Bilinear":
            args = {"in1_features": features, "in2_features": draw(st.integers(1, 3)), **{"out_features": 2}}
        if draw(one_in(4)):
            args["bias"] = False
        channels, rank, channel_dim = features, draw(st.integers(1, 3)), -1
    elif name in ("PixelShuffle", "PixelUnshuffle"):
        factor = draw(st.integers(1, 3))
        args = {"upscale_factor" if name == "PixelShuffle" else "downscale_factor": factor}
        channels, rank, channel_dim = factor * factor * draw(st.integers(1, 2)), draw(st.integers(3, 5)), -3
    elif name in ("Flatten", "Unflatten"):
        rank, channels = draw(st.integers(1, 4)), 6
        if name == "Flatten":
            args = {"start_dim": draw(st.integers(-3, 3)), "end_dim": draw(st.integers(-3, 3))}
        else:
            args = {"dim": draw(st.integers(-2, 2)), "unflattened_size": draw(st.sampled_from([(2, 3), (3, -1),
                                                                                               (6,), (2, 2)]))}
    elif name in ("Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"):
        args, rank, channels = _upsample_arguments(draw, name)
    elif name in ("Fold", "Unfold"):
        args, rank, channels, channel_dim = _fold_arguments(draw, name)
    elif name.endswith("Loss"):
        args, rank, channels, target_spec = _loss_arguments(draw, name)
    else:
        raise ValueError(f"no cases for {name}")
    args = _hostile_arguments(draw, args)
    positional = draw(st.integers(0, len(args)))
    shape = _input_shape(draw, rank, channels, channel_dim if channel_dim is not None and rank else 0)
    if name in ("LayerNorm", "RMSNorm") and rank and not draw(one_in(6)):
        shape = shape[:-1] + (channels,)
    float_only = name.endswith("Loss")
    spec = draw(tensor_specs(shape, float_only=float_only,
                             low=0.01 if name in ("BCELoss",) else -2.0, high=0.99 if name == "BCELoss" else 2.0))
    if name == "Bilinear":
        target_spec = draw(tensor_specs(shape[:-1] + (args.get("in2_features", 2) if isinstance(
            args.get("in2_features"), int) and 0 <= args.get("in2_features") < 6 else 2,), dtype=spec.dtype))
    if target_spec is not None and not hasattr(target_spec, "make"):
        target_spec = draw(target_spec(shape, spec))
    train = not draw(one_in(4))
    label = f"{name}({_describe(args, positional)}) train={train} input={spec} other={target_spec}"
    return label, _layer_runner(name, args, positional, spec, target_spec, train)


def _describe(args, positional):
    items = list(args.items())
    return ", ".join([repr(v) for _, v in items[:positional]] + [f"{k}={v!r}" for k, v in items[positional:]])


def _upsample_arguments(draw, name):
    d = draw(st.integers(1, 3)) if name == "Upsample" else 2
    args = {}
    if draw(st.booleans()):
        args["size"] = _per_dim(draw, d, 1, 6)
    else:
        args["scale_factor"] = draw(st.sampled_from([2, 2.0, 0.5, 1.7, (2, 1.5, 3)[:d] if d > 1 else 1.5, 3]))
    if name == "Upsample":
        modes = {1: ["nearest", "linear", "nearest-exact"], 2: ["nearest", "bilinear", "bicubic", "nearest-exact"],
                 3: ["nearest", "trilinear", "nearest-exact"]}[d]
        args["mode"] = draw(st.sampled_from(modes + ["area"]))
        if args["mode"] in ("linear", "bilinear", "bicubic", "trilinear") and draw(st.booleans()):
            args["align_corners"] = draw(st.booleans())
    return args, _rank(draw, d, d + 2), draw(st.integers(1, 3))


def _padding_arguments(draw, name, d):
    """A padding layer: one int or 2*d ints (negative ones crop), a fill value for the constant ones."""
    if draw(st.booleans()):
        padding = draw(st.integers(-1, 3))
    else:
        padding = tuple(draw(st.integers(-2, 3)) for _ in range(2 * d))
    args = {"padding": padding}
    if name.startswith("Constant"):
        args["value"] = draw(st.sampled_from([0.0, 1.5, -2, float("nan")]))
    return args, _rank(draw, d, d + 2), draw(st.integers(1, 3))


def _extra_norm_arguments(draw, name):
    channels = draw(st.integers(1, 6))
    if name == "LocalResponseNorm":
        args = {"size": draw(st.integers(1, 4))}
        for key, values in (("alpha", [1e-4, 0.1, 1.0]), ("beta", [0.75, 0.5, 2.0]), ("k", [1.0, 2.0, 0.0])):
            if draw(st.booleans()):
                args[key] = draw(st.sampled_from(values))
        return args, draw(st.integers(2, 5)), channels
    if name == "RMSNorm":
        args = {"normalized_shape": channels}
        if draw(st.booleans()):
            args["eps"] = draw(st.sampled_from([None, 1e-5, 0.1]))
        if draw(one_in(4)):
            args["elementwise_affine"] = False
        return args, draw(st.integers(1, 4)), channels
    return {"groups": draw(st.sampled_from([1, 2, 3]))}, draw(st.integers(3, 5)), channels


def fold_hyperparameters(draw):
    """Fold/unfold's kernel_size, and now and then their dilation, padding and stride (an int or a pair)."""
    args = {"kernel_size": _per_dim(draw, 2, 1, 3)}
    for key, low, high in (("dilation", 1, 2), ("padding", 0, 1), ("stride", 1, 2)):
        if draw(st.booleans()):
            args[key] = _per_dim(draw, 2, low, high)
    return args


def as_pair(value):
    return value if isinstance(value, tuple) else (value, value)


def _fold_arguments(draw, name):
    args = fold_hyperparameters(draw)
    if name == "Unfold":
        return args, _rank(draw, 2, 4), draw(st.integers(1, 3)), 1
    args = {"output_size": _per_dim(draw, 2, 2, 6), **args}
    return args, draw(st.sampled_from([3, 3, 2, 4])), math.prod(as_pair(args["kernel_size"])) * draw(
        st.integers(1, 2)), 1


def _loss_arguments(draw, name):
    args = {}
    if draw(st.booleans()):
        args["reduction"] = draw(st.sampled_from(["mean", "sum", "none", "elementwise_mean"]))
    if name in ("SmoothL1Loss",) and draw(st.booleans()):
        args["beta"] = draw(st.sampled_from([1.0, 0.5, 0.0]))
    if name == "HuberLoss" and draw(st.booleans()):
        args["delta"] = draw(st.sampled_from([1.0, 0.5, 2.0]))
    if name == "KLDivLoss" and draw(st.booleans()):
        args["log_target"] = True
    if name in ("CrossEntropyLoss", "NLLLoss") and draw(one_in(3)):
        args["ignore_index"] = draw(st.sampled_from([-100, 0, 1]))
    if name == "CrossEntropyLoss" and draw(one_in(3)):
        args["label_smoothing"] = draw(st.sampled_from([0.0, 0.1, 0.5]))
    classes = name in ("CrossEntropyLoss", "NLLLoss")
    rank = draw(st.integers(1, 4)) if classes else draw(st.integers(0, 3))

    @st.composite
    def targets(draw, shape, spec):
        if classes and not draw(one_in(5)):
            n_classes = shape[1] if len(shape) > 1 else (shape[0] if shape else 1)
            target_shape = (shape[:1] + shape[2:]) if len(shape) > 1 else ()
            return _IntTarget(target_shape, n_classes, draw(st.integers(0, 2**16)), draw(one_in(10)))
        target_shape = shape if not draw(one_in(10)) else shape[1:]
        low, high = (0.0, 1.0) if name in ("BCELoss", "BCEWithLogitsLoss", "KLDivLoss") else (-2.0, 2.0)
        if name == "BCELoss" and draw(one_in(10)):
            high = 2.0
        return draw(tensor_specs(target_shape, dtype=draw(st.sampled_from(FLOATS + (spec.dtype,) * 4)),
                                 low=low, high=high))
    return args, rank, draw(st.integers(1, 4)), targets


class _IntTarget:
    """Class indices for nll_loss/cross_entropy (now and then one out of range)."""

    def __init__(self, shape, classes, seed, out_of_range):
        self.shape, self.classes, self.seed, self.out_of_range = shape, classes, seed, out_of_range

    def make(self, m):
        values = np.random.default_rng(self.seed).integers(0, max(self.classes, 1), self.shape)
        if self.out_of_range and values.size:
            values.reshape(-1)[0] = self.classes + 1
        return m.tensor(values), None

    def __repr__(self):
        return f"classes{self.shape}<{self.classes}{' +bad' if self.out_of_range else ''}"


def _copy_parameters(module, state):
    """torch's parameters and buffers (recorded in ``state``) into npconv's module of the same names."""
    mine = dict(module.named_parameters())
    mine.update(dict(module.named_buffers()))
    for key, value in state.items():
        if key in mine and mine[key] is not None and tuple(mine[key].shape) == value.shape:
            mine[key]._data = np.array(value, copy=True)


def _distinct_indices(shape, d):
    """Unpooling indices: each plane's positions in order (duplicates would make torch's result depend on
    its write order)."""
    if len(shape) < d:
        return np.zeros(shape, np.int64)
    plane = shape[len(shape) - d:]
    return np.ascontiguousarray(np.broadcast_to(np.arange(math.prod(plane), dtype=np.int64).reshape(plane), shape))


def _layer_runner(name, args, positional, spec, other_spec, train):
    state = {}

    def run(m):
        items = [(k, _resolve(v, m)) for k, v in args.items()]
        layer = getattr(m.nn, name)(*[v for _, v in items[:positional]], **dict(items[positional:]))
        if m is torch:
            state.clear()
            state.update({k: v.detach().numpy().copy() for k, v in
                          list(layer.named_parameters()) + list(layer.named_buffers()) if v is not None})
        else:
            _copy_parameters(layer, state)
        layer.train(train)
        x, leaf = spec.make(m)
        inputs = [x]
        if other_spec is not None:
            other, _ = other_spec.make(m)
            inputs.append(other)
        if name.startswith("MaxUnpool"):
            inputs.append(m.tensor(_distinct_indices(tuple(x.shape), _dims_of(name))))
        out = layer(*inputs)
        results = [repr(layer), out]
        first = out[0] if isinstance(out, tuple) else out
        if first.requires_grad and first.dtype.is_floating_point and name not in DROPOUTS or (
                name in DROPOUTS and args.get("p") in (0.0, 1.0) and first.requires_grad):
            first.backward(m.from_numpy(upstream_gradient(tuple(first.shape), first.detach().numpy().dtype)))
            results.append(leaf.grad)
            results.extend(p.grad for _, p in sorted(layer.named_parameters()))
        results.extend(b for _, b in sorted(layer.named_buffers()))
        if name in DROPOUTS and train and args.get("p") not in (0.0, 1.0):
            return [(tuple(r.shape), str(r.dtype)) if hasattr(r, "shape") else r for r in results]
        return results
    return run


LAYERS = (
    [f"{k}{d}d" for k in ("Conv", "ConvTranspose", "MaxPool", "AvgPool", "LPPool", "MaxUnpool", "AdaptiveAvgPool",
                          "AdaptiveMaxPool", "BatchNorm", "InstanceNorm") for d in (1, 2, 3)]
    + ["GroupNorm", "LayerNorm", "Linear", "Bilinear", "PixelShuffle", "PixelUnshuffle", "Flatten", "Unflatten",
       "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d", "Fold", "Unfold"]
    + list(ACTIVATIONS) + list(DROPOUTS) + list(EXTRA_ACTIVATION_ARGUMENTS) + PADDINGS + list(NORMS_EXTRA)
    + ["MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss", "KLDivLoss",
       "CrossEntropyLoss", "NLLLoss"]
)
LAYER_TARGETS = {name: layer_cases(name) for name in LAYERS}
