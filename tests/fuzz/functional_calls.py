"""Raw torch.nn.functional calls with odd arguments for the differential fuzz (issue 17): pooling (indices,
ceil mode, dilation, divisor override, adaptive, unpooling), the losses with their legacy reduction
arguments, linear/bilinear, the activations with their parameters and ``inplace``, the dropout family,
and the rearranging and normalising functions (unfold/fold, pixel and channel shuffles, local response
norm, normalize, cosine similarity, pairwise distance).

Unlike the module targets, these call F directly, so every argument can be of any type, by position or by
keyword, and tensors come in every dtype and layout (tensors.py). Same form as functional.py: each strategy
returns ``(label, run)``."""
import math

import numpy as np
from hypothesis import strategies as st

from tests.strategies import one_in

from .functional import _backward, _call_with, _invoke, _label, _size
from .layers import _per_dim, as_pair, fold_hyperparameters
from .tensors import FLOATS, tensor_specs

NAN, INF = float("nan"), float("inf")


def _made(value, m, leaves):
    """``value`` built in library ``m`` when it is a tensor spec (its leaf noted for the gradients)."""
    if hasattr(value, "make"):
        tensor, leaf = value.make(m)
        leaves.append(leaf)
        return tensor
    return value


def _shapes_only(results):
    """What a random result (dropout in training) may be compared by: shapes, dtypes, requires_grad."""
    return [(tuple(r.shape), str(r.dtype), r.requires_grad) if hasattr(r, "shape") else r for r in results]


def _runner(name, tensors, kwargs, positional, random=False, fresh=False):
    """``run(m)``: F.<name>(*tensors, **kwargs) in ``m`` (``positional`` of the kwargs by position), then the
    backward; ``fresh`` passes a copy of the first tensor (an in-place op on a non-leaf) and returns it too."""
    def run(m):
        leaves = []
        made = [_made(t, m, leaves) for t in tensors]
        values = {k: _made(v, m, leaves) for k, v in kwargs.items()}
        if fresh and hasattr(made[0], "clone"):
            made[0] = made[0] * 1 if made[0].dtype != m.bool else made[0].clone()
        out = _invoke(m, getattr(m.nn.functional, name), made, values, positional)
        results = _backward(m, out, leaves)
        if fresh:
            results.append(made[0])
        return _shapes_only(results) if random else results
    return run


def _case(draw, name, tensors, kwargs, random=None, fresh=False, parameters=()):
    """``random``: a predicate on the arguments as the function receives them (``parameters``: the names of
    its arguments after the tensors, in order, to place those passed by position) saying the result is drawn
    at random, so that only its shape and dtype compare."""
    kwargs, positional = _call_with(draw, kwargs)
    received = dict(zip(parameters, list(kwargs.values())[:positional]))
    received.update(list(kwargs.items())[positional:])
    is_random = random is not None and random(received)
    return _label(name, tensors, kwargs, positional), _runner(name, tensors, kwargs, positional, is_random, fresh)


def _shape(draw, rank, high=4):
    return tuple(_size(draw, high) for _ in range(rank))


def _rank_near(draw, wanted):
    """The rank a function wants, sometimes one less (unbatched) or off."""
    return draw(st.sampled_from([wanted] * 6 + [wanted - 1] * 2 + [max(0, wanted - 2), wanted + 1]))

# ------------------------------------------------------------------------------ pooling


@st.composite
def pool_cases(draw):
    kind = draw(st.sampled_from(["max_pool", "max_pool", "avg_pool", "lp_pool"]))
    d = draw(st.integers(1, 3))
    name = f"{kind}{d}d" + ("_with_indices" if kind == "max_pool" and draw(one_in(4)) else "")
    x = draw(tensor_specs(_shape(draw, _rank_near(draw, d + 2), 5)))
    kernel = _per_dim(draw, d, 1, 3)
    kwargs = {}
    if kind == "lp_pool":
        kwargs["norm_type"] = draw(st.sampled_from([1, 2, 2.0, 3.5, INF, 0.5, 0, -1.0, NAN]))
    kwargs["kernel_size"] = kernel
    if draw(st.booleans()):
        kwargs["stride"] = draw(st.one_of(st.none(), st.just(_per_dim(draw, d, 1, 3))))
    if kind != "lp_pool" and draw(st.booleans()):
        kwargs["padding"] = _per_dim(draw, d, 0, 2)
    if kind == "max_pool" and draw(one_in(3)):
        kwargs["dilation"] = _per_dim(draw, d, 1, 2)
    if draw(one_in(3)):
        kwargs["ceil_mode"] = True
    if kind == "avg_pool" and draw(one_in(3)):
        kwargs["count_include_pad"] = False
    if kind == "avg_pool" and d > 1 and draw(one_in(4)):
        kwargs["divisor_override"] = draw(st.integers(-1, 3))
    if kind == "max_pool" and draw(one_in(3)):
        kwargs["return_indices"] = True
    return _case(draw, name, (x,), kwargs)


@st.composite
def adaptive_cases(draw):
    kind = draw(st.sampled_from(["adaptive_avg_pool", "adaptive_max_pool"]))
    d = draw(st.integers(1, 3))
    x = draw(tensor_specs(_shape(draw, _rank_near(draw, d + 2), 5)))
    sizes = tuple(draw(st.one_of(st.integers(0, 5), st.none()) if d > 1 and draw(one_in(4)) else st.integers(1, 5))
                  for _ in range(d))
    kwargs = {"output_size": sizes[0] if len(set(sizes)) == 1 and sizes[0] and draw(st.booleans()) else sizes}
    if kind == "adaptive_max_pool" and draw(st.booleans()):
        kwargs["return_indices"] = draw(st.booleans())
    return _case(draw, f"{kind}{d}d", (x,), kwargs)


class Indices:
    """max_unpool's indices: positions in a plane of ``limit`` cells, distinct within each plane (repeated
    ones would make torch's result depend on its write order), now and then one out of range."""

    def __init__(self, shape, dims, limit, seed, dtype="int64", out_of_range=False):
        self.shape, self.dims, self.limit, self.seed = shape, dims, limit, seed
        self.dtype, self.out_of_range = dtype, out_of_range

    def make(self, m):
        rng = np.random.default_rng(self.seed)
        plane = math.prod(self.shape[-self.dims:])
        rows = math.prod(self.shape) // plane if plane else 0
        chosen = [rng.permutation(max(self.limit, plane))[:plane] for _ in range(rows)]
        values = np.array(chosen, dtype=np.int64).reshape(self.shape)
        if self.out_of_range and values.size:
            values.reshape(-1)[-1] = self.limit + 3
        return m.tensor(values.astype(self.dtype)), None

    def __repr__(self):
        return f"indices{self.shape}<{self.limit}:{self.dtype}{' +bad' if self.out_of_range else ''}"


def _unpooled_size(size, kernel, stride, padding):
    return (size - 1) * stride - 2 * padding + kernel


@st.composite
def unpool_cases(draw):
    d = draw(st.integers(1, 3))
    x = draw(tensor_specs(_shape(draw, _rank_near(draw, d + 2), 3), float_only=not draw(one_in(5))))
    kernel = draw(st.integers(1, 3))
    stride = draw(st.one_of(st.none(), st.integers(1, 3)))
    padding = draw(st.integers(0, 1)) if draw(one_in(3)) else 0
    kwargs = {"kernel_size": kernel if draw(st.booleans()) else (kernel,) * d, "stride": stride,
              "padding": padding}
    spatial = x.shape[-d:] if len(x.shape) >= d else x.shape
    out = [_unpooled_size(s, kernel, stride or kernel, padding) for s in spatial]
    if draw(one_in(3)):
        kwargs["output_size"] = tuple(o + draw(st.sampled_from([0, 0, 1, -1, stride or kernel])) for o in out)
        if draw(one_in(4)):
            kwargs["output_size"] = tuple(x.shape[:-d]) + kwargs["output_size"]
    limit = max(1, math.prod(max(o, 0) for o in out))
    index_shape = x.shape if not draw(one_in(8)) else x.shape[1:]
    indices = Indices(index_shape, d, limit, draw(st.integers(0, 2**16)),
                      draw(st.sampled_from(["int64"] * 6 + ["int32", "float32"])), draw(one_in(8)))
    return _case(draw, f"max_unpool{d}d", (x, indices), kwargs)

# ------------------------------------------------------------------------------ losses


REDUCTIONS = ["mean", "sum", "none", "elementwise_mean", "bogus"]
LEGACY = [None, None, True, False]


def _reduction_arguments(draw, legacy=True):
    """size_average/reduce (legacy, before reduction in every signature) and reduction, in signature order."""
    kwargs = {}
    if legacy and draw(one_in(4)):
        kwargs["size_average"] = draw(st.sampled_from(LEGACY))
    if legacy and draw(one_in(4)):
        kwargs["reduce"] = draw(st.sampled_from(LEGACY))
    if draw(st.booleans()):
        kwargs["reduction"] = draw(st.sampled_from(REDUCTIONS))
    return kwargs


def _other_shape(draw, shape):
    """The target's shape: usually the input's, sometimes broadcastable to it or not."""
    return draw(st.sampled_from([shape] * 8 + [shape[1:], shape[:-1] + (1,) if shape else (1,),
                                              (2,) + shape]))


@st.composite
def regression_loss_cases(draw):
    name = draw(st.sampled_from(["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "kl_div",
                                 "binary_cross_entropy", "binary_cross_entropy_with_logits"]))
    shape = _shape(draw, draw(st.integers(0, 3)))
    probabilities = name == "binary_cross_entropy"
    x = draw(tensor_specs(shape, float_only=not draw(one_in(8)), low=0.01 if probabilities else -2.0,
                          high=0.99 if probabilities else 2.0))
    bounded = name.startswith("binary") or name == "kl_div"
    target = draw(tensor_specs(_other_shape(draw, shape), dtype=draw(st.sampled_from(
        (x.dtype,) * 6 + FLOATS + ("int64", "bool"))), low=0.0 if bounded else -2.0,
        high=1.0 if bounded and not draw(one_in(8)) else 2.0))
    weight = lambda: draw(tensor_specs(draw(st.sampled_from([shape, shape[-1:], (), (3,)])),
                                       dtype=draw(st.sampled_from((x.dtype,) * 4 + FLOATS)), low=0.0))
    kwargs = {}
    if name in ("binary_cross_entropy", "binary_cross_entropy_with_logits") and draw(one_in(3)):
        kwargs["weight"] = weight()
    if name != "huber_loss":
        kwargs.update(_reduction_arguments(draw))
    elif draw(st.booleans()):
        kwargs["reduction"] = draw(st.sampled_from(REDUCTIONS))
    if name == "smooth_l1_loss" and draw(st.booleans()):
        kwargs["beta"] = draw(st.sampled_from([1.0, 0.5, 0.0, -1.0, 2]))
    if name == "huber_loss" and draw(st.booleans()):
        kwargs["delta"] = draw(st.sampled_from([1.0, 0.5, 0.0, -1.0, 2]))
    if name == "kl_div" and draw(st.booleans()):
        kwargs["log_target"] = draw(st.booleans())
    if name == "binary_cross_entropy_with_logits" and draw(one_in(3)):
        kwargs["pos_weight"] = weight()
    if name in ("mse_loss", "l1_loss", "huber_loss") and draw(one_in(5)):
        kwargs["weight"] = weight()
    return _case(draw, name, (x, target), kwargs)


class ClassTarget:
    """Class indices (int64 usually) for nll_loss/cross_entropy, now and then one out of range or ignored."""

    def __init__(self, shape, classes, seed, dtype="int64", special=None):
        self.shape, self.classes, self.seed, self.dtype, self.special = shape, classes, seed, dtype, special

    def make(self, m):
        values = np.random.default_rng(self.seed).integers(0, max(self.classes, 1), self.shape)
        if self.special is not None and values.size:
            values.reshape(-1)[0] = self.special
        return m.tensor(values.astype(self.dtype)), None

    def __repr__(self):
        return f"classes{self.shape}<{self.classes}:{self.dtype} special={self.special}"


@st.composite
def class_loss_cases(draw):
    name = draw(st.sampled_from(["nll_loss", "cross_entropy"]))
    rank = draw(st.integers(1, 4))
    shape = _shape(draw, rank)
    classes = shape[1] if rank > 1 else shape[0]
    x = draw(tensor_specs(shape, float_only=not draw(one_in(10))))
    ignore_index = draw(st.sampled_from([-100, 0, 1, classes, -1])) if draw(one_in(3)) else None
    if name == "cross_entropy" and draw(one_in(4)):   # class probabilities
        target = draw(tensor_specs(_other_shape(draw, shape), dtype=draw(st.sampled_from((x.dtype,) * 4 + FLOATS)),
                                   low=0.0, high=1.0))
    else:
        target_shape = shape[:1] + shape[2:] if rank > 1 else ()
        if draw(one_in(10)):
            target_shape = draw(st.sampled_from([shape, target_shape + (1,), target_shape[1:]]))
        special = draw(st.sampled_from([None] * 6 + [classes, -1, ignore_index if ignore_index is not None else -100]))
        target = ClassTarget(target_shape, classes, draw(st.integers(0, 2**16)),
                             draw(st.sampled_from(["int64"] * 8 + ["int32", "uint8"])), special)
    kwargs = {}
    if draw(one_in(3)):
        kwargs["weight"] = draw(tensor_specs(draw(st.sampled_from([(classes,)] * 4 + [(classes + 1,), ()])),
                                             dtype=draw(st.sampled_from((x.dtype,) * 4 + FLOATS)), low=0.0))
    if draw(one_in(5)):
        kwargs["size_average"] = draw(st.sampled_from(LEGACY))
    if ignore_index is not None:
        kwargs["ignore_index"] = ignore_index
    if draw(one_in(5)):
        kwargs["reduce"] = draw(st.sampled_from(LEGACY))
    if draw(st.booleans()):
        kwargs["reduction"] = draw(st.sampled_from(REDUCTIONS))
    if name == "cross_entropy" and draw(one_in(3)):
        kwargs["label_smoothing"] = draw(st.sampled_from([0.0, 0.1, 0.5, 1.0, -0.1, 1.5, 1]))
    return _case(draw, name, (x, target), kwargs)

# ------------------------------------------------------------------------------ linear and bilinear


@st.composite
def linear_cases(draw):
    in1, out = draw(st.integers(0, 3)), draw(st.integers(0, 3))
    x = draw(tensor_specs(_shape(draw, draw(st.integers(0, 3))) + (in1,), float_only=not draw(one_in(8))))
    dtype = lambda: draw(st.sampled_from((x.dtype,) * 6 + FLOATS + ("int64",)))
    bias_shape = draw(st.sampled_from([(out,)] * 6 + [(), (1,), (out + 1,), (2, out)]))
    bias = draw(tensor_specs(bias_shape, dtype=dtype())) if draw(st.booleans()) else None
    if draw(st.booleans()):
        weight_shape = draw(st.sampled_from([(out, in1)] * 6 + [(in1,), (out, in1 + 1), (1, out, in1)]))
        return _case(draw, "linear", (x, draw(tensor_specs(weight_shape, dtype=dtype()))), {"bias": bias})
    in2 = draw(st.integers(0, 3))
    x2 = draw(tensor_specs(draw(st.sampled_from([x.shape[:-1] + (in2,)] * 6 + [(in2,), (2,) + x.shape[:-1] + (in2,)])),
                           dtype=dtype()))
    weight_shape = draw(st.sampled_from([(out, in1, in2)] * 6 + [(out, in2, in1), (in1, in2)]))
    return _case(draw, "bilinear", (x, x2, draw(tensor_specs(weight_shape, dtype=dtype()))), {"bias": bias})

# ------------------------------------------------------------------------------ activations


ANY_FLOAT = st.sampled_from([0.5, -1.0, 0.0, 2.0, 1, NAN, INF, -0.25])
ACTIVATION_PARAMETERS = {   # F.<name>: its arguments after the input, in signature order
    "leaky_relu": {"negative_slope": ANY_FLOAT}, "elu": {"alpha": ANY_FLOAT}, "celu": {"alpha": ANY_FLOAT},
    "selu": {}, "relu": {}, "relu6": {}, "silu": {}, "mish": {}, "hardswish": {}, "hardsigmoid": {},
    "hardtanh": {"min_val": st.sampled_from([-1.0, -2.0, 0.0, 1.0, 2, NAN]),
                 "max_val": st.sampled_from([1.0, 2.0, 0.5, -1.0, 0, INF])},
    "threshold": {"threshold": ANY_FLOAT, "value": ANY_FLOAT},
    "softplus": {"beta": st.sampled_from([1.0, 2.0, 0.5, 0.0, -1.0, 3]),
                 "threshold": st.sampled_from([20.0, 1.0, 0.0, -1.0, 5])},
    "gelu": {"approximate": st.sampled_from(["none", "tanh", "bogus"])},
    "glu": {"dim": st.integers(-3, 3)},
    "rrelu": {"lower": st.sampled_from([0.125, 0.1, 0.3, 0.5, -0.1]), "upper": st.sampled_from([1 / 3, 0.3, 0.1, 0.5]),
              "training": st.booleans()},
    "hardshrink": {"lambd": ANY_FLOAT}, "softshrink": {"lambd": ANY_FLOAT},
    "logsigmoid": {}, "tanhshrink": {}, "softsign": {}, "sigmoid": {}, "tanh": {},
}
REQUIRED = {"threshold"}
WITH_INPLACE = ("leaky_relu", "elu", "celu", "selu", "relu", "relu6", "silu", "mish", "hardswish", "hardsigmoid",
                "hardtanh", "threshold", "rrelu")


@st.composite
def activation_cases(draw):
    name = draw(st.sampled_from(sorted(ACTIVATION_PARAMETERS) + ["prelu"] * 2))
    x = draw(tensor_specs(_shape(draw, draw(st.integers(0, 4)))))
    if name == "prelu":
        channels = x.shape[1] if len(x.shape) > 1 else 1
        weight_shape = draw(st.sampled_from([(1,), (channels,), (channels,), (), (channels + 1,), (1, channels)]))
        weight = draw(tensor_specs(weight_shape, dtype=draw(st.sampled_from((x.dtype,) * 4 + FLOATS))))
        return _case(draw, name, (x,), {"weight": weight})
    kwargs = {key: draw(values) for key, values in ACTIVATION_PARAMETERS[name].items()
              if name in REQUIRED or draw(st.booleans())}
    inplace = name in WITH_INPLACE and draw(one_in(3))
    if inplace:
        kwargs["inplace"] = True
    if draw(one_in(8)):   # the in-place twin F.<name>_
        name += "_" if name in ("leaky_relu", "elu", "celu", "selu", "relu", "hardtanh", "threshold",
                                "rrelu") else ""
        kwargs.pop("inplace", None)
        inplace = name.endswith("_")
    random = (lambda args: args.get("training") is True) if name.startswith("rrelu") else None
    return _case(draw, name, (x,), kwargs, random=random, fresh=inplace and draw(st.booleans()),
                 parameters=tuple(ACTIVATION_PARAMETERS.get(name.rstrip("_"), {})) + ("inplace",))

# ------------------------------------------------------------------------------ dropout


DROPOUT_RANKS = {"dropout": (0, 4), "alpha_dropout": (0, 4), "dropout1d": (2, 3), "dropout2d": (2, 5),
                 "dropout3d": (3, 5), "feature_alpha_dropout": (1, 5)}


@st.composite
def dropout_cases(draw):
    name = draw(st.sampled_from(sorted(DROPOUT_RANKS)))
    low, high = DROPOUT_RANKS[name]
    x = draw(tensor_specs(_shape(draw, draw(st.integers(max(0, low - 1), high)), 3)))
    kwargs = {}
    if not draw(one_in(6)):
        kwargs["p"] = draw(st.sampled_from([0.0, 1.0, 0.5, 0.2, 1, 0, NAN, -0.1, 1.5]))
    if draw(st.booleans()):
        kwargs["training"] = draw(st.booleans())
    inplace = draw(one_in(4))
    if inplace:
        kwargs["inplace"] = True
    def random(args):
        return args.get("training", not name.endswith("alpha_dropout")) is True and args.get("p", 0.5) not in (0, 1)
    return _case(draw, name, (x,), kwargs, random=random, fresh=inplace and draw(st.booleans()),
                 parameters=("p", "training", "inplace"))

# ------------------------------------------------------------------------------ rearranging and normalising


@st.composite
def rearrange_cases(draw):
    name = draw(st.sampled_from(["unfold", "fold", "pixel_shuffle", "pixel_unshuffle", "channel_shuffle",
                                 "native_channel_shuffle", "local_response_norm", "normalize", "cosine_similarity",
                                 "pairwise_distance"]))
    if name in ("unfold", "fold"):
        return _fold_case(draw, name)
    if name in ("pixel_shuffle", "pixel_unshuffle"):
        factor = draw(st.sampled_from([1, 2, 2, 3, 0, -1]))
        shape = _shape(draw, _rank_near(draw, 4))
        if name == "pixel_shuffle" and len(shape) >= 3 and draw(st.booleans()):
            shape = shape[:-3] + (max(factor, 1) ** 2 * draw(st.integers(0, 2)),) + shape[-2:]
        if name == "pixel_unshuffle" and len(shape) >= 2 and draw(st.booleans()):
            shape = shape[:-2] + tuple(max(factor, 1) * draw(st.integers(0, 2)) for _ in range(2))
        key = "upscale_factor" if name == "pixel_shuffle" else "downscale_factor"
        return _case(draw, name, (draw(tensor_specs(shape)),), {key: factor})
    if name.endswith("channel_shuffle"):
        groups = draw(st.sampled_from([1, 2, 3, 0, -1]))
        shape = _shape(draw, _rank_near(draw, 4))
        if len(shape) >= 2 and draw(st.booleans()):
            shape = shape[:1] + (max(groups, 1) * draw(st.integers(0, 2)),) + shape[2:]
        return _case(draw, name, (draw(tensor_specs(shape)),), {"groups": groups})
    if name == "local_response_norm":
        kwargs = {"size": draw(st.sampled_from([1, 2, 3, 5, 0, -1]))}
        for key, values in (("alpha", [1e-4, 0.1, 1.0, 0.0]), ("beta", [0.75, 0.5, 2.0, 0.0]),
                            ("k", [1.0, 2.0, 0.0, -1.0])):
            if draw(st.booleans()):
                kwargs[key] = draw(st.sampled_from(values))
        return _case(draw, name, (draw(tensor_specs(_shape(draw, _rank_near(draw, 4)))),), kwargs)
    shape = _shape(draw, draw(st.integers(0, 3)))
    x = draw(tensor_specs(shape, float_only=not draw(one_in(6))))
    if name == "normalize":
        kwargs = {"p": draw(st.sampled_from([2.0, 1, 0, INF, -INF, 0.5, 3.0, -1.0])),
                  "dim": draw(st.integers(-3, 3)), "eps": draw(st.sampled_from([1e-12, 0.0, 0.1]))}
        return _case(draw, name, (x,), {k: v for k, v in kwargs.items() if draw(st.booleans())})
    x2 = draw(tensor_specs(_other_shape(draw, shape), dtype=draw(st.sampled_from((x.dtype,) * 6 + FLOATS))))
    if name == "cosine_similarity":
        kwargs = {"dim": draw(st.integers(-3, 3)), "eps": draw(st.sampled_from([1e-8, 0.0, 0.5]))}
    else:
        kwargs = {"p": draw(st.sampled_from([2.0, 1.0, 0.0, INF, 0.5, 3, -1.0])),
                  "eps": draw(st.sampled_from([1e-6, 0.0, 0.5])), "keepdim": draw(st.booleans())}
    return _case(draw, name, (x, x2), {k: v for k, v in kwargs.items() if draw(st.booleans())})


def _fold_case(draw, name):
    kwargs = fold_hyperparameters(draw)
    if name == "unfold":
        return _case(draw, name, (draw(tensor_specs(_shape(draw, _rank_near(draw, 4)))),), kwargs)
    kwargs = {"output_size": _per_dim(draw, 2, 1, 5), **kwargs}
    shape = _shape(draw, draw(st.sampled_from([3, 3, 2, 4])))
    if len(shape) >= 2 and draw(st.booleans()):   # as many channels and blocks as the arguments make
        size, k, dilation, padding, stride = (as_pair(kwargs.get(key, default)) for key, default in (
            ("output_size", 1), ("kernel_size", 1), ("dilation", 1), ("padding", 0), ("stride", 1)))
        blocks = math.prod((o + 2 * p - d * (c - 1) - 1) // s + 1
                           for o, c, d, p, s in zip(size, k, dilation, padding, stride))
        shape = shape[:-2] + (math.prod(k) * draw(st.integers(0, 2)), max(blocks, 0))
    return _case(draw, name, (draw(tensor_specs(shape)),), kwargs)



# ------------------------------------------------------------------------------ the other losses, embedding, one_hot


def _like(draw, shape, dtype, low=-2.0, high=2.0):
    """A tensor of ``shape`` (now and then another one), usually of ``dtype``."""
    return draw(tensor_specs(_other_shape(draw, shape), dtype=draw(st.sampled_from((dtype,) * 6 + FLOATS + ("int64",))),
                             low=low, high=high))


@st.composite
def extra_loss_cases(draw):
    name = draw(st.sampled_from(["poisson_nll_loss", "gaussian_nll_loss", "margin_ranking_loss",
                                 "hinge_embedding_loss", "soft_margin_loss", "multilabel_soft_margin_loss",
                                 "cosine_embedding_loss", "multi_margin_loss", "multilabel_margin_loss",
                                 "triplet_margin_loss"]))
    two_d = name in ("multilabel_soft_margin_loss", "multi_margin_loss", "multilabel_margin_loss",
                     "cosine_embedding_loss", "triplet_margin_loss")
    shape = _shape(draw, draw(st.integers(1, 2) if two_d else st.integers(0, 3)))
    x = draw(tensor_specs(shape, float_only=not draw(one_in(8))))
    signs = draw(st.sampled_from([-1.0, 1.0]))
    kwargs, tensors = {}, [x]
    if name == "poisson_nll_loss":
        tensors.append(_like(draw, shape, x.dtype, 0.0))
        kwargs = {"log_input": draw(st.booleans()), "full": draw(st.booleans())}
        kwargs.update(_reduction_arguments(draw, legacy=False))
        if draw(st.booleans()):
            kwargs["eps"] = draw(st.sampled_from([1e-8, 0.0, 1.0]))
    elif name == "gaussian_nll_loss":
        tensors += [_like(draw, shape, x.dtype), draw(tensor_specs(draw(st.sampled_from(
            [shape, shape[:-1] + (1,) if shape else (1,), shape[:-1], ()])), dtype=x.dtype, low=-0.5, high=2.0))]
        kwargs = {"full": draw(st.booleans()), "eps": draw(st.sampled_from([1e-6, 0.0, 1.0]))}
        kwargs.update(_reduction_arguments(draw, legacy=False))
    elif name in ("margin_ranking_loss", "cosine_embedding_loss"):
        target_shape = shape if name == "margin_ranking_loss" else shape[:1]
        tensors += [_like(draw, shape, x.dtype), draw(tensor_specs(target_shape, dtype=x.dtype, low=signs, high=signs))]
        kwargs = {"margin": draw(st.sampled_from([0.0, 0.5, -1.0]))}
        kwargs.update(_reduction_arguments(draw))
    elif name == "triplet_margin_loss":
        tensors += [_like(draw, shape, x.dtype), _like(draw, shape, x.dtype)]
        kwargs = {"margin": draw(st.sampled_from([1.0, 0.0, -1.0])), "p": draw(st.sampled_from([2, 1, 0, 3.5])),
                  "eps": draw(st.sampled_from([1e-6, 0.0])), "swap": draw(st.booleans())}
        kwargs.update(_reduction_arguments(draw))
    elif name in ("multi_margin_loss", "multilabel_margin_loss"):
        classes = shape[-1] if shape else 1
        target_shape = shape[:-1] if name == "multi_margin_loss" else shape
        tensors.append(ClassTarget(target_shape, classes, draw(st.integers(0, 2**16)),
                                   draw(st.sampled_from(["int64"] * 8 + ["int32"])),
                                   draw(st.sampled_from([None] * 5 + [classes, -1]))))
        if name == "multi_margin_loss":
            kwargs = {"p": draw(st.sampled_from([1, 2, 3])), "margin": draw(st.sampled_from([1.0, 0.0, -0.5]))}
            if draw(one_in(3)):
                kwargs["weight"] = draw(tensor_specs(draw(st.sampled_from([(classes,), (classes + 1,)])),
                                                     dtype=x.dtype, low=0.0))
        kwargs.update(_reduction_arguments(draw))
    else:   # hinge_embedding, soft_margin, multilabel_soft_margin: targets of +-1 (or 0/1)
        tensors.append(draw(tensor_specs(_other_shape(draw, shape), dtype=draw(st.sampled_from((x.dtype,) * 4 + (
            "int64",))), low=signs, high=signs)))
        if name == "hinge_embedding_loss":
            kwargs = {"margin": draw(st.sampled_from([1.0, 0.0, -1.0]))}
        if name == "multilabel_soft_margin_loss" and draw(one_in(3)):
            kwargs["weight"] = draw(tensor_specs(shape[-1:], dtype=x.dtype, low=0.0))
        kwargs.update(_reduction_arguments(draw))
    return _case(draw, name, tuple(tensors), kwargs)


@st.composite
def embedding_cases(draw):
    if draw(st.booleans()):
        classes = draw(st.integers(0, 5))
        indices = ClassTarget(_shape(draw, draw(st.integers(0, 3))), max(classes, 1), draw(st.integers(0, 2**16)),
                              draw(st.sampled_from(["int64"] * 6 + ["int32", "uint8"])),
                              draw(st.sampled_from([None] * 5 + [classes, -1])))
        kwargs = {"num_classes": draw(st.sampled_from([-1, classes, classes + 2, 0]))} if draw(st.booleans()) else {}
        return _case(draw, "one_hot", (indices,), kwargs)
    rows, width = draw(st.integers(0, 5)), draw(st.integers(0, 3))
    indices = ClassTarget(_shape(draw, draw(st.integers(0, 2))), max(rows, 1), draw(st.integers(0, 2**16)),
                          draw(st.sampled_from(["int64"] * 6 + ["int32", "float32"])),
                          draw(st.sampled_from([None] * 5 + [rows, -1])))
    weight = draw(tensor_specs(draw(st.sampled_from([(rows, width)] * 6 + [(rows,), (1, rows, width)])),
                               float_only=not draw(one_in(8))))
    kwargs = {}
    if draw(st.booleans()):
        kwargs["padding_idx"] = draw(st.sampled_from([None, 0, -1, rows, -rows - 1]))
    if draw(one_in(3)):
        kwargs["max_norm"] = draw(st.sampled_from([None, 1.0, 0.5]))
    return _case(draw, "embedding", (indices, weight), kwargs)


FUNCTIONAL_CALL_TARGETS = {"F.pool": pool_cases(), "F.adaptive": adaptive_cases(), "F.unpool": unpool_cases(),
                           "F.loss": regression_loss_cases(), "F.class_loss": class_loss_cases(),
                           "F.loss_extra": extra_loss_cases(), "F.linear": linear_cases(),
                           "F.activation": activation_cases(), "F.dropout": dropout_cases(),
                           "F.rearrange": rearrange_cases(), "F.embedding": embedding_cases()}
