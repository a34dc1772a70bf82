"""Element-wise ops: arithmetic with broadcasting and torch's type promotion, comparisons, rounding,
bitwise ops and the unary maths functions (activations live in ``activation``)."""
import builtins
import functools
import numbers

import numpy as np

from .. import _dtype
from .._dtype import get_default_dtype
from .._tensor import Tensor
from ..autograd import Function
from .arguments import _broadcast_error, _shape_of, named_function
from .operands import parsed_operands
from .overloads import Overload, parse
from .pointwise import _sign
from .promotion import _as_operand, _binary, _floating, _np_dtype_of_result


class Add(Function):
    graph_inputs = 2   # a Python number operand is listed too (torch wraps it in a tensor)
    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


class Sub(Function):
    graph_inputs = 2   # a Python number operand is listed too (torch wraps it in a tensor)
    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, grad):
        return grad, -grad if ctx.needs_input_grad[1] else None


class Rsub(Function):
    """other - self, written as torch records it (RsubBackward1)."""
    backward_name = "RsubBackward1"

    @staticmethod
    def forward(ctx, a, b):
        return b - a

    @staticmethod
    def backward(ctx, grad):
        return -grad, grad


class Mul(Function):
    graph_inputs = 2   # a Python number operand is listed too (torch wraps it in a tensor)
    @staticmethod
    def forward(ctx, a, b):
        # each operand is kept only for the other's gradient, as torch (x * 2 saves nothing of x)
        needs = ctx.needs_input_grad
        ctx.save_for_backward(a if needs[1] else None, b if needs[0] else None)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return (grad * b if ctx.needs_input_grad[0] else None,
                grad * a if ctx.needs_input_grad[1] else None)


class Div(Function):
    graph_inputs = 2   # a Python number operand is listed too (torch wraps it in a tensor)
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b)  # a only for b's gradient, as torch
        with np.errstate(divide="ignore", invalid="ignore"):
            return a / b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return (grad / b if ctx.needs_input_grad[0] else None,
                    -grad * a / (b * b) if ctx.needs_input_grad[1] else None)


class Pow(Function):
    """base ** exponent for tensor exponents (PowBackward1; PowBackward0 for a number exponent)."""
    backward_name = "PowBackward1"

    @staticmethod
    def forward(ctx, a, b):
        with np.errstate(all="ignore"):
            out = np.power(a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, b, out = ctx.saved_tensors
        ga = gb = None
        with np.errstate(all="ignore"):
            if ctx.needs_input_grad[0]:
                # torch: zero where the exponent is 0 (even at base 0)
                ga = np.where(b == 0, 0, grad * b * np.power(a, b - 1)).astype(a.dtype, copy=False)
            if ctx.needs_input_grad[1]:
                # torch: zero where base == 0 and exponent >= 0
                gb = np.where((a == 0) & (b >= 0), 0, grad * out * np.log(a)).astype(a.dtype, copy=False)
        return ga, gb


class PowNumberBase(Pow):
    """number ** tensor, as torch records it."""
    backward_name = "PowBackward2"


def power_values(a, exponent):
    """a ** exponent for a Python number exponent, as torch's kernel: it takes sqrt for 0.5 and 1/sqrt for
    -0.5, which differ from pow at -inf (NaN, not inf or 0) and at -0.0 (-0.0 and -inf)."""
    with np.errstate(all="ignore"):
        if exponent in (0.5, -0.5) and a.dtype.kind in "fc":
            root = np.sqrt(a)
            return root if exponent > 0 else np.reciprocal(root)
        return np.power(a, np.asarray(exponent, dtype=a.dtype))


def power_gradient(grad, a, exponent):
    """torch's gradient of a ** exponent: grad * (exponent * a ** (exponent - 1)), zeros for exponent 0."""
    if exponent == 0:
        return np.zeros_like(grad)
    with np.errstate(all="ignore"):
        return grad * (grad.dtype.type(exponent) * power_values(a, exponent - 1))


class PowScalar(Function):
    backward_name = "PowBackward0"

    @staticmethod
    def forward(ctx, a, exponent):
        ctx.save_for_backward(a)
        ctx.exponent = exponent
        return power_values(a, exponent)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return power_gradient(grad, a, ctx.exponent), None


class Maximum(Function):
    graph_inputs = 2   # a Python number operand is listed too (torch wraps it in a tensor)
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.maximum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        # torch splits the gradient equally between tied inputs
        half = np.where(a == b, grad / 2, grad)
        return np.where(a < b, 0, half), np.where(b < a, 0, half)


class Minimum(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.minimum(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        half = np.where(a == b, grad / 2, grad)
        return np.where(a > b, 0, half), np.where(b > a, 0, half)


class Where(Function):
    backward_name = "WhereBackward0"
    graph_inputs = (1, 2)   # the condition has no gradient and no entry

    @staticmethod
    def forward(ctx, condition, a, b):
        ctx.condition = condition
        return np.where(condition, a, b)

    @staticmethod
    def backward(ctx, grad):
        c = ctx.condition
        return None, np.where(c, grad, 0), np.where(c, 0, grad)


@parsed_operands("add")
def add(input, other, *, alpha=1, out=None):  # noqa: A002
    """input + alpha * other, broadcasting."""
    if alpha != 1:
        other = mul(other, alpha)
    return _binary(Add, input, other, "add")


def check_bool_subtraction(input, other):  # noqa: A002
    """torch refuses ``-`` with a bool operand (a Python bool counts: it becomes a bool tensor)."""
    bools = [getattr(getattr(v, "dtype", None), "name", None) == "bool" or isinstance(v, bool) for v in (input, other)]
    if all(bools):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
                           "`logical_xor()` operator instead.")
    if any(bools):
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying "
                           "to invert a mask, use the `~` or `logical_not()` operator instead.")


@parsed_operands("sub")
def sub(input, other, *, alpha=1, out=None):  # noqa: A002
    """input - alpha * other, broadcasting."""
    check_bool_subtraction(input, other)
    if alpha != 1:
        other = mul(other, alpha)
    return _binary(Sub, input, other, "sub")



@parsed_operands("mul")
def mul(input, other, *, out=None):  # noqa: A002
    """input * other, broadcasting."""
    return _binary(Mul, input, other, "mul")



@parsed_operands("div")
def div(input, other, *, rounding_mode=None, out=None):  # noqa: A002
    """input / other (true division: integers give the default float dtype)."""
    if rounding_mode is not None:
        if rounding_mode not in ("floor", "trunc"):
            raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                             f"'{rounding_mode}'")
        with np.errstate(all="ignore"):
            q = _binary(Div, input, other, "div")._data
            res = np.floor(q) if rounding_mode == "floor" else np.trunc(q)
        np_dtype = _np_dtype_of_result(input, other)
        return Tensor._make(res.astype(np_dtype))
    np_dtype = _np_dtype_of_result(input, other)
    if np_dtype.kind != "f":
        np_dtype = get_default_dtype().numpy_dtype
    return _binary(Div, input, other, "div", np_dtype)



# torch's signatures of pow, as its parser prints them when none takes the arguments
_POW_SIGNATURES = tuple(Overload(text) for text in (
    "(Tensor input, Tensor exponent, *, Tensor out = None)", "(Number self, Tensor exponent, *, Tensor out = None)",
    "(Tensor input, Number exponent, *, Tensor out = None)"))
_POW_METHOD_SIGNATURES = (Overload("(Tensor exponent)"), Overload("(Number exponent)"))


def _is_pow_operand(x):
    return isinstance(x, (Tensor, numbers.Number, np.ndarray))


def pow(input, exponent, *, out=None):  # noqa: A002
    """input ** exponent (element-wise, broadcasting)."""
    if not (_is_pow_operand(input) and _is_pow_operand(exponent)):
        parse("pow", _POW_SIGNATURES, (input, exponent), {} if out is None else {"out": out})
    if isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        np_dtype = _np_dtype_of_result(input, exponent)
        if np_dtype.kind in "iu" and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        return PowScalar.apply(_as_operand(input, np_dtype), exponent)
    return _binary(Pow if isinstance(input, Tensor) else PowNumberBase, input, exponent, "pow")


def method_exponent(op, args, kwargs):
    """The exponent of Tensor.pow / pow_ (named by ``op``): one Tensor or Number, or torch's TypeError."""
    given = args + tuple(kwargs.values())
    if len(given) != 1 or set(kwargs) - {"exponent"} or not _is_pow_operand(given[0]):
        parse(op, _POW_METHOD_SIGNATURES, args, kwargs)
    return given[0]


@parsed_operands("maximum")
def maximum(input, other, *, out=None):  # noqa: A002
    """Element-wise maximum, broadcasting."""
    return _binary(Maximum, input, other, "maximum")


@parsed_operands("minimum")
def minimum(input, other, *, out=None):  # noqa: A002
    """Element-wise minimum, broadcasting."""
    return _binary(Minimum, input, other, "minimum")


def where(condition, input=None, other=None):  # noqa: A002
    """Elements of ``input`` where ``condition`` holds, else of ``other``; ``where(cond)`` gives indices."""
    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if input is None and other is None:
        return tuple(Tensor._make(i.astype(np.int64)) for i in np.nonzero(cond))
    if cond.dtype != np.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{_dtype.from_numpy_dtype(cond.dtype).scalar_name}")
    np_dtype = _np_dtype_of_result(input, other)
    a, b = _as_operand(input, np_dtype), _as_operand(other, np_dtype)
    try:
        np.broadcast_shapes(cond.shape, _shape_of(a), _shape_of(b))
    except ValueError:
        raise _broadcast_error(np.empty(cond.shape), np.empty(np.broadcast_shapes(_shape_of(a), _shape_of(b))))
    return Where.apply(cond, a, b)



def _compare(np_fn, a, b, name):
    np_dtype = _np_dtype_of_result(a, b)   # (the operands were checked by parsed_operands)
    x = a._data if isinstance(a, Tensor) else a
    y = b._data if isinstance(b, Tensor) else b
    try:
        result = np_fn(np.asarray(x, np_dtype), np.asarray(y, np_dtype))
    except ValueError:
        raise _broadcast_error(x, y) from None
    meta = builtins.any(isinstance(v, Tensor) and v._meta for v in (a, b))
    return Tensor._make(np.asarray(result), meta)


@parsed_operands("eq")
def eq(input, other, *, out=None):  # noqa: A002
    """input == other element-wise (bool tensor, broadcasting)."""
    return _compare(np.equal, input, other, "eq")


@parsed_operands("ne")
def ne(input, other, *, out=None):  # noqa: A002
    """input != other element-wise (bool tensor, broadcasting)."""
    return _compare(np.not_equal, input, other, "ne")


@parsed_operands("lt")
def lt(input, other, *, out=None):  # noqa: A002
    """input < other element-wise (bool tensor, broadcasting)."""
    return _compare(np.less, input, other, "lt")


@parsed_operands("le")
def le(input, other, *, out=None):  # noqa: A002
    """input <= other element-wise (bool tensor, broadcasting)."""
    return _compare(np.less_equal, input, other, "le")


@parsed_operands("gt")
def gt(input, other, *, out=None):  # noqa: A002
    """input > other element-wise (bool tensor, broadcasting)."""
    return _compare(np.greater, input, other, "gt")


@parsed_operands("ge")
def ge(input, other, *, out=None):  # noqa: A002
    """input >= other element-wise (bool tensor, broadcasting)."""
    return _compare(np.greater_equal, input, other, "ge")


def equal(input, other):  # noqa: A002
    """True if both tensors have the same shape and values."""
    return input._data.shape == other._data.shape and builtins.bool(np.array_equal(input._data, other._data))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):  # noqa: A002
    """|input - other| <= atol + rtol * |other| element-wise (bool tensor)."""
    return Tensor._make(np.isclose(input._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):  # noqa: A002
    """True if ``isclose`` holds for every element."""
    return builtins.bool(np.allclose(input._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def _no_grad_unary(np_fn):
    def op(input, *, out=None):  # noqa: A002
        return Tensor._make(np.asarray(np_fn(input._data)), input._meta)
    op.__name__ = np_fn.__name__
    return op


isnan = _no_grad_unary(np.isnan)
isfinite = _no_grad_unary(np.isfinite)
logical_not = _no_grad_unary(np.logical_not)


@parsed_operands("floor_divide")
def floor_divide(input, other, *, out=None):  # noqa: A002
    """floor(input / other) in the promoted dtype (not differentiable here)."""
    np_dtype = _np_dtype_of_result(input, other)
    with np.errstate(all="ignore"):
        return Tensor._make(np.asarray(np.floor_divide(_raw(input, np_dtype), _raw(other, np_dtype))))


def _raw(x, np_dtype):
    return (x._data if isinstance(x, Tensor) else np.asarray(x)).astype(np_dtype, copy=False)


def _logical(np_fn, name):
    def op(input, other, *, out=None):  # noqa: A002
        np_dtype = _np_dtype_of_result(input, other)
        if np_dtype.kind == "f":
            scalar = _dtype.from_numpy_dtype(np_dtype).scalar_name
            raise NotImplementedError(f'"{name}_cpu" not implemented for \'{scalar}\'')
        return Tensor._make(np.asarray(np_fn(_raw(input, np_dtype), _raw(other, np_dtype))))
    return named_function(op, name)


bitwise_and = parsed_operands("bitwise_and")(_logical(np.bitwise_and, "bitwise_and"))
bitwise_or = parsed_operands("bitwise_or")(_logical(np.bitwise_or, "bitwise_or"))
bitwise_xor = parsed_operands("bitwise_xor")(_logical(np.bitwise_xor, "bitwise_xor"))



def _pointwise(name, compute, chain, saves="input"):
    """An element-wise Function ``y = compute(x)`` whose backward is ``chain(grad, x)``, or
    ``chain(grad, y)`` with ``saves="output"`` (``chain(grad)`` with ``saves=None``): only the one
    array the derivative is written in is kept for backward. Its grad_fn prints as <NameBackward0>."""
    def forward(ctx, a):
        out = compute(a)
        if saves is not None:
            ctx.save_for_backward(out if saves == "output" else a)
        return out

    def backward(ctx, grad):
        return chain(grad, *ctx.saved_tensors)

    return type(name, (Function,), {"forward": staticmethod(forward), "backward": staticmethod(backward),
                                    "__module__": __name__})


def _ignoring(fn, *errors):
    """``fn`` run with NumPy's warnings for ``errors`` (e.g. "over", "divide") silenced: torch does not
    warn when a result is inf or nan."""
    def quiet(*arrays):
        with np.errstate(**{error: "ignore" for error in errors}):
            return fn(*arrays)
    return quiet


# one line an op: name, y = f(x), grad * dy/dx (written in x, or in y where that is cheaper)
Neg = _pointwise("Neg", np.negative, lambda grad: -grad, saves=None)
Exp = _pointwise("Exp", _ignoring(np.exp, "over"), lambda grad, out: grad * out, saves="output")
Log = _pointwise("Log", _ignoring(np.log, "divide", "invalid"),
                 _ignoring(lambda grad, a: grad / a, "divide", "invalid"))
Sqrt = _pointwise("Sqrt", _ignoring(np.sqrt, "invalid"),
                  _ignoring(lambda grad, out: grad / (2 * out), "divide", "invalid"), saves="output")
Reciprocal = _pointwise("Reciprocal", _ignoring(lambda a: 1 / a, "divide"),
                        lambda grad, out: -grad * out * out, saves="output")
Abs = _pointwise("Abs", np.abs, lambda grad, a: grad * _sign(a))
Sin = _pointwise("Sin", np.sin, lambda grad, a: grad * np.cos(a))
Cos = _pointwise("Cos", np.cos, lambda grad, a: grad * -np.sin(a))

class Clamp(Function):
    backward_name = "ClampBackward1"

    @staticmethod
    def forward(ctx, a, lo, hi):
        ctx.save_for_backward(a)
        ctx.lo, ctx.hi = lo, hi
        out = a
        if lo is not None:
            out = np.maximum(out, np.asarray(lo, dtype=a.dtype))
        if hi is not None:
            out = np.minimum(out, np.asarray(hi, dtype=a.dtype))
        return out if out is not a else a.copy()

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        keep = np.ones(a.shape, dtype=bool)
        if ctx.lo is not None:
            keep &= a >= ctx.lo
        if ctx.hi is not None:
            keep &= a <= ctx.hi
        return grad * keep, None, None


def neg(input, *, out=None):  # noqa: A002
    """-input."""
    if input._data.dtype == np.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
                           "to invert a mask, use the `~` or `logical_not()` operator instead.")
    return Neg.apply(input)



def exp(input, *, out=None):  # noqa: A002
    """e ** input."""
    return Exp.apply(_floating(input))


def log(input, *, out=None):  # noqa: A002
    """Natural logarithm (nan below 0, -inf at 0)."""
    return Log.apply(_floating(input))


def sqrt(input, *, out=None):  # noqa: A002
    """Square root (nan below 0)."""
    return Sqrt.apply(_floating(input))


def rsqrt(input, *, out=None):  # noqa: A002
    """1 / sqrt(input)."""
    return pow(_floating(input), -0.5)


def square(input, *, out=None):  # noqa: A002
    """input ** 2."""
    return pow(input, 2)


def reciprocal(input, *, out=None):  # noqa: A002
    """1 / input (integers give the default float dtype)."""
    return Reciprocal.apply(_floating(input))


def abs(input, *, out=None):  # noqa: A002
    """|input| (the gradient at 0 is 0, as torch)."""
    if input.dtype.name == "bool":   # torch's kernel has no bool version
        raise NotImplementedError("\"abs_cpu\" not implemented for 'Bool'")
    return Abs.apply(input)


def sin(input, *, out=None):  # noqa: A002
    """Sine (radians); integers give the default float dtype."""
    return Sin.apply(_floating(input))


def cos(input, *, out=None):  # noqa: A002
    """Cosine (radians); integers give the default float dtype."""
    return Cos.apply(_floating(input))


# torch's signatures of clamp, as its parser prints them when none takes the arguments
_CLAMP_SIGNATURES = tuple(Overload(text) for text in (
    "(Tensor input, Tensor min = None, Tensor max = None, *, Tensor out = None)",
    "(Tensor input, Number min = None, Number max = None, *, Tensor out = None)"))
_CLAMP_METHOD_SIGNATURES = (Overload("(Tensor min = None, Tensor max = None)"),
                            Overload("(Number min = None, Number max = None)"))


def _bounds_fit(bounds):
    """Whether one of torch's clamp signatures takes ``bounds``: tensors or numbers (not mixed), or None."""
    given = [b for b in bounds if b is not None]
    return (len(bounds) <= 2 and builtins.all(_is_pow_operand(b) for b in given)
            and len({isinstance(b, Tensor) for b in given}) <= 1)


def _parsed_as_clamp(function):
    """torch.clamp's parser before ``function`` runs, when its arguments are not a tensor and fitting bounds
    (the common calls skip it)."""
    @functools.wraps(function)
    def parsed(*args, **kwargs):
        bounds = args[1:] + tuple(value for name, value in kwargs.items() if name in ("min", "max"))
        tensor = args[0] if args else kwargs.get("input")
        if set(kwargs) - {"input", "min", "max", "out"} or not isinstance(tensor, Tensor) or not _bounds_fit(bounds):
            parse("clamp", _CLAMP_SIGNATURES, args, kwargs)
        return function(*args, **kwargs)
    return parsed


def method_bounds(op, args, kwargs):
    """(min, max) of Tensor.clamp / clamp_ (named by ``op``), or torch's TypeError for other arguments."""
    if set(kwargs) - {"min", "max"} or not _bounds_fit(args + tuple(kwargs.values())):
        parse(op, _CLAMP_METHOD_SIGNATURES, args, kwargs)
    bounds = dict(zip(("min", "max"), args), **kwargs)
    return bounds.get("min"), bounds.get("max")


@_parsed_as_clamp
def clamp(input, min=None, max=None, *, out=None):  # noqa: A002
    """Limit values to [min, max]; the gradient flows where min <= input <= max."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        result = input
        if min is not None:
            result = maximum(result, min)
        if max is not None:
            result = minimum(result, max)
        return result
    bounds = [v for v in (min, max) if v is not None]
    np_dtype = _np_dtype_of_result(input, *bounds)
    return Clamp.apply(_as_operand(input, np_dtype), min, max)


