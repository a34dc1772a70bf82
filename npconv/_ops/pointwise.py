"""The element-wise maths of torch, one table: for each op its input rule, its values and its derivative
(``grad * dy/dx`` written in x and y). Each row becomes the torch function, the Tensor method and the
in-place method, with torch's node name (``<SinhBackward0>``). The older hand-written ops (exp, log, sin,
cos, sqrt, abs, neg, reciprocal) live in ``elementwise``; the activations in ``activation``."""
import math

import numpy as np

from .._tensor import Tensor
from ..autograd import Function
from . import special
from .promotion import _floating

_LN2, _LN10 = math.log(2.0), math.log(10.0)
_TWO_OVER_ROOT_PI = 2 / math.sqrt(math.pi)


def _in_float64(fn):
    """``fn`` computed in float64 and given back in the input's dtype (for the special functions)."""
    return lambda x: np.asarray(fn(x.astype(np.float64, copy=False))).astype(x.dtype, copy=False)


def _zero(grad, x, y):
    """The derivative of a step function (floor, sign...): zero, as torch."""
    return np.zeros_like(grad)


def _sign(x):
    """torch's sign: 0 at nan, a bool stays itself."""
    return x.copy() if x.dtype == np.bool_ else np.where(np.isnan(x), 0, np.sign(x)).astype(x.dtype)


def _digamma(x):
    """torch's digamma: -inf at 0.0, +inf at -0.0."""
    return np.where(x == 0, np.copysign(np.inf, -x), special.digamma(x))


def _lgamma(x):
    return np.where(x == -np.inf, np.inf, special.lgamma(x))


def _sinc(x):
    with np.errstate(all="ignore"):
        return np.where(x == 0, 1, np.sin(np.pi * x) / (np.pi * x)).astype(x.dtype, copy=False)


def _sinc_grad(grad, x, y):
    px = np.pi * x
    return grad * np.where(x == 0, 0, (px * np.cos(px) - np.sin(px)) / (px * x))


# name: (input rule, y = f(x), grad * dy/dx). Input rules: "float" (integers and bools become the default
# float dtype), "keep" (any dtype kept), "number" (kept, bool refused), "float_only" (integers refused).
TABLE = {
    "sinh": ("float", np.sinh, lambda g, x, y: g * np.cosh(x)),
    "cosh": ("float", np.cosh, lambda g, x, y: g * np.sinh(x)),
    "tan": ("float", np.tan, lambda g, x, y: g * (1 + y * y)),
    "asin": ("float", np.arcsin, lambda g, x, y: g / np.sqrt(1 - x * x)),
    "acos": ("float", np.arccos, lambda g, x, y: -g / np.sqrt(1 - x * x)),
    "atan": ("float", np.arctan, lambda g, x, y: g / (1 + x * x)),
    "asinh": ("float", np.arcsinh, lambda g, x, y: g / np.sqrt(x * x + 1)),
    "acosh": ("float", np.arccosh, lambda g, x, y: g / np.sqrt(x * x - 1)),
    "atanh": ("float", np.arctanh, lambda g, x, y: g / (1 - x * x)),
    "expm1": ("float", np.expm1, lambda g, x, y: g * (y + 1)),
    "log1p": ("float", np.log1p, lambda g, x, y: g / (x + 1)),
    "log2": ("float", np.log2, lambda g, x, y: g / (x * _LN2)),
    "log10": ("float", np.log10, lambda g, x, y: g / (x * _LN10)),
    "exp2": ("float", np.exp2, lambda g, x, y: g * y * _LN2),
    "erfc": ("float", _in_float64(special.erfc), lambda g, x, y: -_TWO_OVER_ROOT_PI * np.exp(-x * x) * g),
    "erfinv": ("float", _in_float64(special.erfinv), lambda g, x, y: g * np.exp(y * y) / _TWO_OVER_ROOT_PI),
    "lgamma": ("float", _in_float64(_lgamma), lambda g, x, y: g * special.digamma(x).astype(x.dtype)),
    "digamma": ("float", _in_float64(_digamma), lambda g, x, y: g * special.trigamma(x).astype(x.dtype)),
    "sinc": ("float", _sinc, _sinc_grad),
    "deg2rad": ("float", lambda x: x * x.dtype.type(math.pi / 180), lambda g, x, y: g * (math.pi / 180)),
    "rad2deg": ("float", lambda x: x * x.dtype.type(180 / math.pi), lambda g, x, y: g * (180 / math.pi)),
    "frac": ("float_only", lambda x: x - np.trunc(x), lambda g, x, y: g),
    "trunc": ("number", np.trunc, _zero),
    "floor": ("number", np.floor, _zero),
    "ceil": ("number", np.ceil, _zero),
    "round": ("number", np.round, _zero),  # half to even, as torch
    "sign": ("keep", _sign, _zero),
    "sgn": ("keep", _sign, _zero),
}

# the kernel torch names when it refuses a dtype
_KERNELS = {"round": "round_vml_cpu", "trunc": "trunc_vml_cpu", "floor": "floor_vml_cpu", "ceil": "ceil_vml_cpu", "frac": "frac_cpu"}


def _check_dtype(name, rule, input):  # noqa: A002
    kind = input._data.dtype.kind
    if (rule == "number" and kind == "b") or (rule == "float_only" and kind != "f"):
        raise NotImplementedError(f'"{_KERNELS[name]}" not implemented for \'{input.dtype.scalar_name}\'')


CLASSES = {}   # name -> the Function of its row (create_graph's rules are keyed by them)


def _function(name, compute, derivative):
    """The autograd Function of one row (x and y saved: the derivative is written in either)."""
    def forward(ctx, x):
        with np.errstate(all="ignore"):
            y = np.asarray(compute(x)).astype(x.dtype, copy=False) if x.dtype != np.bool_ else compute(x)
        ctx.save_for_backward(x, y)
        return y

    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        with np.errstate(all="ignore"):
            return derivative(grad, x, y)

    class_name = name[0].upper() + name[1:]
    backward_name = {"log1p": "Log1PBackward0", "deg2rad": "Deg2RadBackward0",
                     "rad2deg": "Rad2DegBackward0"}.get(name)
    attributes = {"forward": staticmethod(forward), "backward": staticmethod(backward), "__module__": __name__}
    if backward_name:
        attributes["backward_name"] = backward_name
    CLASSES[name] = type(class_name, (Function,), attributes)
    return CLASSES[name]


def _torch_function(name, rule, function):
    def op(input, *, out=None):  # noqa: A002
        _check_dtype(name, rule, input)
        return function.apply(_floating(input) if rule == "float" else input)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"torch.{name}: element-wise, differentiable (npconv/_ops/pointwise.py's table)."
    return op


FUNCTIONS = {name: _torch_function(name, rule, _function(name, compute, derivative))
             for name, (rule, compute, derivative) in TABLE.items()}


class RoundDecimals(Function):
    backward_name = "RoundBackward1"

    @staticmethod
    def forward(ctx, x, decimals):
        return np.round(x, decimals)

    @staticmethod
    def backward(ctx, grad):
        return np.zeros_like(grad), None


def _round(input, *, decimals=0, out=None):  # noqa: A002
    """Rounded half to even (to ``decimals`` places); zero gradient, as torch."""
    if decimals == 0:
        return _round_to_integers(input)
    if input._data.dtype.kind != "f":
        raise NotImplementedError(f'"round_cpu" not implemented for \'{input.dtype.scalar_name}\'')
    return RoundDecimals.apply(input, decimals)


_round_to_integers = FUNCTIONS["round"]
_round.__name__ = _round.__qualname__ = "round"
FUNCTIONS["round"] = _round
globals().update(FUNCTIONS)
__all__ = sorted(FUNCTIONS)
