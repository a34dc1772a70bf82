"""Element-wise ops of two (or three) operands beyond plain arithmetic: atan2, hypot, fmod, remainder,
copysign, float_power, logaddexp(2), xlogy, fmax/fmin, lerp, addcmul/addcdiv, clamp_min/max, the logical and
the integer-only bitwise families, and the one-input ops that take options (logit, nan_to_num) or give bools
(signbit, isinf...). Each differentiable op is a row: its values and its derivatives in both operands."""
import builtins

import numpy as np

from .. import _dtype
from .._dtype import get_default_dtype
from .._tensor import Tensor
from ..autograd import Function
from .elementwise import _raw, pow
from .arguments import _broadcast_error, named_function
from .operands import must_be_tensor, parsed_operands
from .promotion import _as_operand, _binary, _floating, _np_dtype_of_result


def _node(name, compute, derivative):
    """A Function ``y = compute(a, b)`` whose backward is ``derivative(grad, a, b, y) -> (grad_a, grad_b)``."""
    def forward(ctx, a, b):
        with np.errstate(all="ignore"):
            y = np.asarray(compute(a, b))
        ctx.save_for_backward(a, b, y)
        return y.astype(np.result_type(a, b), copy=False)

    def backward(ctx, grad):
        a, b, y = ctx.saved_tensors
        with np.errstate(all="ignore"):
            return derivative(grad, a, b, y)

    return type(name, (Function,), {"forward": staticmethod(forward), "backward": staticmethod(backward),
                                    "backward_name": name, "__module__": __name__})


def _tensor_only(other, name):
    if not isinstance(other, Tensor):
        raise must_be_tensor(name, "other", 2, other)


def _refuse(name, np_dtype, kinds, kernel=None):
    if np_dtype.kind in kinds:
        scalar = _dtype.from_numpy_dtype(np_dtype).scalar_name
        raise NotImplementedError(f'"{kernel or name + "_cpu"}" not implemented for \'{scalar}\'')


def _apply(node, a, b, name, np_dtype):
    return _binary(node, a, b, name, np_dtype)


# the ops torch has no in-place method for
NO_INPLACE = frozenset({"logaddexp", "logaddexp2", "fmax", "fmin", "signbit", "isinf", "isposinf", "isneginf",
                        "isreal", "positive"})


# ------------------------------------------------------------------ differentiable, two operands

def _atan2_grads(g, a, b, y):
    denominator = a * a + b * b
    zero = denominator == 0  # torch: no gradient at the origin
    return np.where(zero, 0, g * b / denominator), np.where(zero, 0, -g * a / denominator)


Atan2 = _node("Atan2Backward0", np.arctan2, _atan2_grads)
Hypot = _node("HypotBackward0", np.hypot, lambda g, a, b, y: (g * a / y, g * b / y))
Logaddexp = _node("LogaddexpBackward0", np.logaddexp,
                  lambda g, a, b, y: (g / (1 + np.exp(b - a)), g / (1 + np.exp(a - b))))
Logaddexp2 = _node("Logaddexp2Backward0", np.logaddexp2,
                   lambda g, a, b, y: (g / (1 + np.exp2(b - a)), g / (1 + np.exp2(a - b))))
_FMOD = {tensor: _node(f"FmodBackward{int(tensor)}", np.fmod, lambda g, a, b, y: (g, -g * np.trunc(a / b)))
         for tensor in (False, True)}
def _remainder(a, b):
    """torch's floating remainder: fmod moved into the divisor's sign (so -2 % 2 is -0.0, as torch)."""
    mod = np.fmod(a, b)
    return np.where((mod != 0) & ((b < 0) != (mod < 0)), mod + b, mod)


_REMAINDER = {tensor: _node(f"RemainderBackward{int(tensor)}", _remainder,
                            lambda g, a, b, y: (g, -g * np.floor_divide(a, b)))
              for tensor in (False, True)}


def _copysign_grads(g, a, b, y):
    # the result over the input (nan at an infinite input, as torch); 0 where the input is 0
    return np.where(a == 0, 0, g * (y / a)), np.zeros_like(b)


_COPYSIGN = {tensor: _node(f"CopysignBackward{int(not tensor)}", np.copysign, _copysign_grads)
             for tensor in (False, True)}


def _xlogy(a, b):
    return np.where((a == 0) & ~np.isnan(b), 0, a * np.log(b))


def _xlogy_grads(g, a, b, y):
    return g * np.where((a == 0) & ~np.isnan(b), 0, np.log(b)), g * a / b


def _xlogy_number_other_grads(g, a, b, y):
    return g * np.log(b), None  # torch does not mask input == 0 when other is a number


_XLOGY = {kind: _node(f"XlogyBackward{kind}", _xlogy, _xlogy_grads) for kind in (0, 1)}
_XLOGY[2] = _node("XlogyBackward2", _xlogy, _xlogy_number_other_grads)


def _fmax_grads(g, a, b, y):
    self_wins = (a >= b) | np.isnan(b)
    return np.where(self_wins, g, 0), np.where(self_wins, 0, g)


def _fmin_grads(g, a, b, y):
    self_wins = (a <= b) | np.isnan(b)
    return np.where(self_wins, g, 0), np.where(self_wins, 0, g)


Fmax = _node("FmaxBackward0", np.fmax, _fmax_grads)
Fmin = _node("FminBackward0", np.fmin, _fmin_grads)


def _float_result(a, b):
    np_dtype = _np_dtype_of_result(a, b)
    return np_dtype if np_dtype.kind == "f" else get_default_dtype().numpy_dtype


@parsed_operands("atan2")
def atan2(input, other, *, out=None):  # noqa: A002
    """The angle of (other, input) in radians, in (-pi, pi]; integers give the default float dtype."""
    return _apply(Atan2, input, other, "atan2", _float_result(input, other))


@parsed_operands("hypot")
def hypot(input, other, *, out=None):  # noqa: A002
    """sqrt(input**2 + other**2) without overflow; floating tensors only."""
    np_dtype = _np_dtype_of_result(input, other)
    _refuse("hypot", np_dtype, "biu")
    return _apply(Hypot, input, other, "hypot", np_dtype)


@parsed_operands("logaddexp")
def logaddexp(input, other, *, out=None):  # noqa: A002
    """log(exp(input) + exp(other)) without overflow; floating tensors only."""
    np_dtype = _np_dtype_of_result(input, other)
    _refuse("logaddexp", np_dtype, "biu")
    return _apply(Logaddexp, input, other, "logaddexp", np_dtype)


@parsed_operands("logaddexp2")
def logaddexp2(input, other, *, out=None):  # noqa: A002
    """log2(2**input + 2**other) without overflow; floating tensors only."""
    np_dtype = _np_dtype_of_result(input, other)
    _refuse("logaddexp2", np_dtype, "biu")
    return _apply(Logaddexp2, input, other, "logaddexp2", np_dtype)


def _number_or_tensor_op(table, name, input, other):  # noqa: A002
    np_dtype = _np_dtype_of_result(input, other)
    _refuse(name, np_dtype, "b")
    if np_dtype.kind in "iu":  # integers: no gradient; a zero divisor is refused as torch refuses it
        if np.any(_raw(other, np_dtype) == 0):
            raise RuntimeError("ZeroDivisionError")
        with np.errstate(all="ignore"):
            function = np.fmod if name == "fmod" else np.mod
            return Tensor._make(np.asarray(function(_raw(input, np_dtype), _raw(other, np_dtype))))
    return _apply(table[isinstance(other, Tensor)], input, other, name, np_dtype)


@parsed_operands("fmod")
def fmod(input, other, *, out=None):  # noqa: A002
    """input - trunc(input / other) * other: the sign follows the dividend (C's fmod)."""
    return _number_or_tensor_op(_FMOD, "fmod", input, other)


@parsed_operands("remainder")
def remainder(input, other, *, out=None):  # noqa: A002
    """input - floor(input / other) * other: the sign follows the divisor (Python's %)."""
    if not isinstance(input, Tensor):  # number % tensor: torch records no derivative for the number form
        np_dtype = _np_dtype_of_result(input, other)
        with np.errstate(all="ignore"):
            return Tensor._make(np.asarray(np.mod(_raw(input, np_dtype), _raw(other, np_dtype))))
    return _number_or_tensor_op(_REMAINDER, "remainder", input, other)


def copysign(input, other, *, out=None):  # noqa: A002
    """|input| with the sign of other (integers give the default float dtype)."""
    return _apply(_COPYSIGN[isinstance(other, Tensor)], input, other, "copysign", _float_result(input, other))


def xlogy(input, other, *, out=None):  # noqa: A002
    """input * log(other), 0 where input is 0 (unless other is nan)."""
    kind = 0 if isinstance(input, Tensor) and isinstance(other, Tensor) else (1 if isinstance(other, Tensor) else 2)
    return _apply(_XLOGY[kind], input, other, "xlogy", _float_result(input, other))


@parsed_operands("fmax")
def fmax(input, other, *, out=None):  # noqa: A002
    """Element-wise maximum that ignores nan (nan only where both are)."""
    return _apply(Fmax, input, other, "fmax", _np_dtype_of_result(input, other))


@parsed_operands("fmin")
def fmin(input, other, *, out=None):  # noqa: A002
    """Element-wise minimum that ignores nan (nan only where both are)."""
    return _apply(Fmin, input, other, "fmin", _np_dtype_of_result(input, other))


def float_power(input, exponent, *, out=None):  # noqa: A002
    """input ** exponent in double precision (float64 whatever the operands)."""
    operands = [_as_operand(x, np.dtype(np.float64)) if isinstance(x, Tensor) else builtins.float(x)
                for x in (input, exponent)]
    return pow(*operands)


# ------------------------------------------------------------------ three operands and bounds

def _check_broadcast(*operands):
    """torch's error for operands that do not broadcast, naming the first pair that fails."""
    shapes = [np.shape(x._data if isinstance(x, Tensor) else x) for x in operands]
    for i in range(1, len(shapes)):
        try:
            np.broadcast_shapes(*shapes[:i + 1])
        except ValueError:
            raise _broadcast_error(np.empty(np.broadcast_shapes(*shapes[:i])), np.empty(shapes[i])) from None


class _Lerp(Function):
    @staticmethod
    def forward(ctx, start, end, weight):
        ctx.save_for_backward(start, end, weight)
        difference = end - start
        with np.errstate(all="ignore"):  # torch's two-sided formula (exact at both ends)
            return np.where(np.abs(weight) < 0.5, start + weight * difference, end - difference * (1 - weight))

    @staticmethod
    def backward(ctx, grad):
        start, end, weight = ctx.saved_tensors
        return grad * (1 - weight), grad * weight, grad * (end - start)


_LERP = {tensor: type(f"LerpBackward{int(tensor)}", (_Lerp,), {"backward_name": f"LerpBackward{int(tensor)}",
                                                                  "__module__": __name__})
         for tensor in (False, True)}


def lerp(input, end, weight, *, out=None):  # noqa: A002
    """input + weight * (end - input) (weight a number or a tensor), broadcasting."""
    np_dtype = _np_dtype_of_result(input, end, weight)
    _check_broadcast(input, end, weight)
    operands = [_as_operand(x, np_dtype) for x in (input, end, weight)]
    return _LERP[isinstance(weight, Tensor)].apply(*operands)


class AddcMul(Function):
    backward_name = "AddcmulBackward0"

    @staticmethod
    def forward(ctx, a, t1, t2, value):
        ctx.save_for_backward(t1, t2)
        ctx.value = value
        return a + value * t1 * t2

    @staticmethod
    def backward(ctx, grad):
        t1, t2 = ctx.saved_tensors
        return grad, grad * ctx.value * t2, grad * ctx.value * t1, None


class AddcDiv(Function):
    backward_name = "AddcdivBackward0"

    @staticmethod
    def forward(ctx, a, t1, t2, value):
        ctx.save_for_backward(t1, t2)
        ctx.value = value
        with np.errstate(all="ignore"):
            return a + value * t1 / t2

    @staticmethod
    def backward(ctx, grad):
        t1, t2 = ctx.saved_tensors
        with np.errstate(all="ignore"):
            return grad, grad * ctx.value / t2, -grad * ctx.value * t1 / (t2 * t2), None


def _three(node, input, tensor1, tensor2, value, name):  # noqa: A002
    np_dtype = _np_dtype_of_result(input, tensor1, tensor2)
    if name == "addcdiv" and np_dtype.kind != "f" and tensor1._data.dtype.kind in "biu" \
            and tensor2._data.dtype.kind in "biu":
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a future release addcdiv "
                           "will perform a true division of tensor1 and tensor2. The historic addcdiv behavior can "
                           "be implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) "
                           "for integer inputs and as (input + value * tensor1 / tensor2) for float inputs. The "
                           "future addcdiv behavior is just the latter implementation: (input + value * tensor1 / "
                           "tensor2), for all dtypes.")
    _check_broadcast(tensor1, tensor2, input)
    operands = [_as_operand(x, np_dtype) for x in (input, tensor1, tensor2)]
    return node.apply(*operands, np_dtype.type(value))


def addcmul(input, tensor1, tensor2, *, value=1, out=None):  # noqa: A002
    """input + value * tensor1 * tensor2, broadcasting."""
    return _three(AddcMul, input, tensor1, tensor2, value, "addcmul")


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):  # noqa: A002
    """input + value * tensor1 / tensor2, broadcasting."""
    return _three(AddcDiv, input, tensor1, tensor2, value, "addcdiv")


class _ClampBound(Function):
    """clamp_min / clamp_max with a number bound (the gradient flows where the bound did not bite)."""

    @staticmethod
    def forward(ctx, a, bound, upper):
        ctx.save_for_backward(a)
        ctx.bound, ctx.upper = bound, upper
        return (np.minimum if upper else np.maximum)(a, np.asarray(bound, dtype=a.dtype))

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        keep = a <= ctx.bound if ctx.upper else a >= ctx.bound
        return grad * keep, None, None


ClampMin = type("ClampMin", (_ClampBound,), {"backward_name": "ClampMinBackward0", "__module__": __name__})
ClampMax = type("ClampMax", (_ClampBound,), {"backward_name": "ClampMaxBackward0", "__module__": __name__})


ClampMinTensor = _node("ClampMinBackward1", np.maximum,
                       lambda g, a, b, y: (np.where(a >= b, g, 0), np.where(a < b, g, 0)))
ClampMaxTensor = _node("ClampMaxBackward1", np.minimum,
                       lambda g, a, b, y: (np.where(a <= b, g, 0), np.where(a > b, g, 0)))


def _bounded_by(node, tensor_node, input, bound, name):  # noqa: A002
    if isinstance(bound, Tensor):
        return _apply(tensor_node, input, bound, name, _np_dtype_of_result(input, bound))
    np_dtype = _np_dtype_of_result(input, bound)
    return node.apply(_as_operand(input, np_dtype), bound, node is ClampMax)


def clamp_min(input, min, *, out=None):  # noqa: A002
    """max(input, min) element-wise."""
    return _bounded_by(ClampMin, ClampMinTensor, input, min, "clamp_min")


def clamp_max(input, max, *, out=None):  # noqa: A002
    """min(input, max) element-wise."""
    return _bounded_by(ClampMax, ClampMaxTensor, input, max, "clamp_max")


# ------------------------------------------------------------------ one input, with options

class Logit(Function):
    backward_name = "LogitBackward0"

    @staticmethod
    def forward(ctx, x, eps):
        ctx.save_for_backward(x)
        ctx.eps = eps
        z = x if eps is None else np.clip(x, eps, 1 - eps)
        with np.errstate(all="ignore"):
            return np.log(z / (1 - z))

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        with np.errstate(all="ignore"):
            g = grad / (x * (1 - x))
            if ctx.eps is None:
                return np.where((x < 0) | (x > 1), np.nan, g), None
            return np.where((x >= ctx.eps) & (x <= 1 - ctx.eps), g, 0), None


def logit(input, eps=None, *, out=None):  # noqa: A002
    """log(p / (1 - p)), p clamped to [eps, 1 - eps] when eps is given."""
    return Logit.apply(_floating(input), eps)


class NanToNum(Function):
    backward_name = "NanToNumBackward0"

    @staticmethod
    def forward(ctx, x, nan, posinf, neginf):
        ctx.save_for_backward(x)
        return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * np.isfinite(x), None, None, None


def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):  # noqa: A002
    """nan -> ``nan``, +inf -> ``posinf`` (default: the dtype's largest), -inf -> ``neginf`` (its lowest)."""
    if input._data.dtype.kind != "f":
        return input.clone()
    return NanToNum.apply(input, nan, posinf, neginf)


def _predicate(name, test):
    def op(input):  # noqa: A002
        return Tensor._make(np.asarray(test(input._data)), input._meta)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"torch.{name}: a bool tensor, element-wise."
    return op


signbit = _predicate("signbit", np.signbit)
isinf = _predicate("isinf", np.isinf)
isposinf = _predicate("isposinf", np.isposinf)
isneginf = _predicate("isneginf", np.isneginf)
isreal = _predicate("isreal", lambda a: np.ones(a.shape, dtype=bool))


def positive(input):  # noqa: A002
    """input itself (torch's unary +); refused for bool tensors."""
    if input._data.dtype == np.bool_:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


# ------------------------------------------------------------------ logical and integer-only

def _logical(name, np_fn):
    def op(input, other, *, out=None):  # noqa: A002
        try:
            values = np_fn(input._data, other._data)
        except ValueError:
            raise _broadcast_error(input._data, other._data) from None
        return Tensor._make(np.asarray(values))
    op.__doc__ = f"torch.{name}: element-wise truth of both operands (non-zero is true), a bool tensor."
    return parsed_operands(name)(named_function(op, name))


logical_and = _logical("logical_and", np.logical_and)
logical_or = _logical("logical_or", np.logical_or)
logical_xor = _logical("logical_xor", np.logical_xor)


def _integer_only(name, np_fn, kernel, allow_bool, needs_tensor=True):
    def op(input, other, *, out=None):  # noqa: A002
        if needs_tensor:
            _tensor_only(other, name)
        np_dtype = _np_dtype_of_result(input, other)
        _refuse(name, np_dtype, "f" if allow_bool else "fb", kernel)
        return Tensor._make(np.asarray(np_fn(_raw(input, np_dtype), _raw(other, np_dtype))))
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"torch.{name}: element-wise, integer tensors only."
    return op


gcd = _integer_only("gcd", np.gcd, "gcd_cpu", False)
lcm = _integer_only("lcm", np.lcm, "lcm_cpu", False)
bitwise_left_shift = _integer_only("bitwise_left_shift", np.left_shift, "lshift_cpu", False, needs_tensor=False)
bitwise_right_shift = _integer_only("bitwise_right_shift", np.right_shift, "rshift_cpu", False, needs_tensor=False)


def bitwise_not(input, *, out=None):  # noqa: A002
    """~input for integer and bool tensors."""
    _refuse("bitwise_not", input._data.dtype, "f")
    return Tensor._make(np.asarray(np.invert(input._data)), input._meta)


def heaviside(input, values, *, out=None):  # noqa: A002
    """0 where input < 0, 1 where input > 0, ``values`` where input == 0 (same dtypes required)."""
    if not isinstance(values, Tensor):
        raise TypeError(f"heaviside(): argument 'values' (position 2) must be Tensor, not {type(values).__name__}")
    if input._data.dtype != values._data.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    return Tensor._make(np.asarray(np.heaviside(input._data, values._data)).astype(input._data.dtype))


__all__ = ["atan2", "hypot", "logaddexp", "logaddexp2", "fmod", "remainder", "copysign", "xlogy", "fmax", "fmin",
           "float_power", "lerp", "addcmul", "addcdiv", "clamp_min", "clamp_max", "logit", "nan_to_num",
           "signbit", "isinf", "isposinf", "isneginf", "isreal", "positive", "logical_and", "logical_or",
           "logical_xor", "gcd", "lcm", "bitwise_left_shift", "bitwise_right_shift", "bitwise_not", "heaviside"]
