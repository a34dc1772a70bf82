"""The differentiable tensor ops: each a ``Function`` with its backward right below its forward, plus the
torch-level functions (``npconv.add``, ``npconv.cat``...) that check arguments, apply torch's type
promotion and call them. At the bottom the ops are attached to ``Tensor`` as methods and operators.
"""
import builtins
import collections
import numbers

import numpy as np

from . import _dtype
from ._dtype import get_default_dtype, to_dtype
from ._dtype import result_type as _result_type_of
from .autograd import Function, is_grad_enabled
from ._tensor import Size, Tensor, _normalize_dim

__all__ = ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "pow", "neg",
           "negative", "matmul", "mm", "bmm", "dot", "exp", "log", "sqrt", "rsqrt", "abs", "clamp", "clip",
           "tanh", "sigmoid", "sin", "cos", "relu", "square", "reciprocal", "sum", "mean", "max", "min",
           "amax", "amin", "argmax", "argmin", "var", "std", "reshape", "flatten", "permute", "transpose",
           "t", "unsqueeze", "squeeze", "cat", "concat", "concatenate", "stack", "split", "chunk", "unbind",
           "clone", "maximum", "minimum", "where", "eq", "ne", "lt", "le", "gt", "ge", "equal",
           "allclose", "isclose", "isnan", "isfinite", "sign", "floor", "ceil", "round", "all", "any",
           "numel", "result_type", "promote_types", "prod", "cumsum", "outer", "einsum", "logical_not",
           "floor_divide", "remainder", "log2", "log10", "exp2", "erf", "broadcast_to", "broadcast_shapes",
           "count_nonzero", "masked_fill", "gather", "topk", "sort", "argsort", "unflatten", "swapaxes",
           "swapdims", "hstack", "vstack", "bitwise_and", "bitwise_or", "bitwise_xor", "amax", "amin", "flip",
           "norm", "nonzero", "unique", "softmax", "log_softmax"]


# --------------------------------------------------------------------------------------------------
# Operands and type promotion


def _np_dtype_of_result(*operands):
    return _result_type_of(operands).numpy_dtype


def _as_operand(x, np_dtype):
    """A Tensor operand cast to ``np_dtype`` (differentiably if it needs grad), or a number as a 0-d array."""
    if isinstance(x, Tensor):
        if x._data.dtype == np_dtype:
            return x
        if x._requires_grad and is_grad_enabled():
            return ToCopy.apply(x, np_dtype)
        return Tensor._make(x._data.astype(np_dtype), x._meta)
    if isinstance(x, np.ndarray):
        return x.astype(np_dtype, copy=False)
    return np.asarray(x, dtype=np_dtype)


def _check_number(x, op):
    if not isinstance(x, (Tensor, numbers.Number, np.ndarray, np.generic)):
        raise TypeError(f"{op}(): argument 'other' (position 1) must be Tensor, not {type(x).__name__}")


def _broadcast_error(a, b):
    """torch's message for two shapes that do not broadcast."""
    sa, sb = np.shape(a), np.shape(b)
    n = builtins.max(len(sa), len(sb))
    for i in range(n):
        da = sa[i - n + len(sa)] if i - n + len(sa) >= 0 else 1
        db = sb[i - n + len(sb)] if i - n + len(sb) >= 0 else 1
        if da != db and da != 1 and db != 1:
            return RuntimeError(f"The size of tensor a ({da}) must match the size of tensor b ({db}) at "
                                f"non-singleton dimension {i}")
    return RuntimeError(f"shapes {list(sa)} and {list(sb)} cannot be broadcast")


def _shape_of(x):
    return x._data.shape if isinstance(x, Tensor) else np.shape(x)


def _binary(fn, a, b, name, np_dtype=None):
    """Promote both operands to torch's result type and apply ``fn``."""
    if np_dtype is None:
        if type(a) is Tensor and type(b) is Tensor and a._data.dtype == b._data.dtype:
            np_dtype = a._data.dtype
        elif type(a) is Tensor and type(b) in (float, builtins.int) and a._data.dtype.kind == "f":
            # the common "tensor op number" case: a float tensor keeps its dtype
            return fn.apply(a, np.asarray(b, dtype=a._data.dtype))
        else:
            _check_number(b, name)
            _check_number(a, name)
            np_dtype = _np_dtype_of_result(a, b)
    a, b = _as_operand(a, np_dtype), _as_operand(b, np_dtype)
    sa, sb = _shape_of(a), _shape_of(b)
    if sa != sb:
        try:
            np.broadcast_shapes(sa, sb)
        except ValueError:
            raise _broadcast_error(a._data if isinstance(a, Tensor) else a,
                                   b._data if isinstance(b, Tensor) else b) from None
    return fn.apply(a, b)


def _floating(x):
    """The operand of a float-valued unary op: ints and bools become the default float dtype."""
    if not isinstance(x, Tensor):
        raise TypeError(f"expected a Tensor, got {type(x).__name__}")
    if x._data.dtype.kind == "f":
        return x
    return _as_operand(x, get_default_dtype().numpy_dtype)


# --------------------------------------------------------------------------------------------------
# Element-wise binary ops


class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


class Sub(Function):
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
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        return (grad * b if ctx.needs_input_grad[0] else None,
                grad * a if ctx.needs_input_grad[1] else None)


class Div(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
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


class PowScalar(Function):
    backward_name = "PowBackward0"

    @staticmethod
    def forward(ctx, a, exponent):
        ctx.save_for_backward(a)
        ctx.exponent = exponent
        with np.errstate(all="ignore"):
            return np.power(a, np.asarray(exponent, dtype=a.dtype))

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        p = ctx.exponent
        if p == 0:
            return np.zeros_like(grad), None
        with np.errstate(all="ignore"):
            return grad * (p * np.power(a, np.asarray(p - 1, dtype=a.dtype))), None


class Maximum(Function):
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

    @staticmethod
    def forward(ctx, condition, a, b):
        ctx.condition = condition
        return np.where(condition, a, b)

    @staticmethod
    def backward(ctx, grad):
        c = ctx.condition
        return None, np.where(c, grad, 0), np.where(c, 0, grad)


def add(input, other, *, alpha=1, out=None):  # noqa: A002
    """input + alpha * other, broadcasting."""
    if alpha != 1:
        other = mul(other, alpha)
    return _binary(Add, input, other, "add")


def sub(input, other, *, alpha=1, out=None):  # noqa: A002
    """input - alpha * other, broadcasting."""
    if alpha != 1:
        other = mul(other, alpha)
    return _binary(Sub, input, other, "sub")


subtract = sub


def mul(input, other, *, out=None):  # noqa: A002
    """input * other, broadcasting."""
    return _binary(Mul, input, other, "mul")


multiply = mul


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


divide = true_divide = div


def pow(input, exponent, *, out=None):  # noqa: A002
    """input ** exponent (element-wise, broadcasting)."""
    if isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        _check_number(exponent, "pow")
        np_dtype = _np_dtype_of_result(input, exponent)
        if np_dtype.kind in "iu" and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        return PowScalar.apply(_as_operand(input, np_dtype), exponent)
    return _binary(Pow if isinstance(input, Tensor) else PowNumberBase, input, exponent, "pow")


def maximum(input, other, *, out=None):  # noqa: A002
    """Element-wise maximum, broadcasting."""
    return _binary(Maximum, input, other, "maximum")


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
                           f"{_dtype.from_numpy_dtype(cond.dtype).name.capitalize()}")
    np_dtype = _np_dtype_of_result(input, other)
    a, b = _as_operand(input, np_dtype), _as_operand(other, np_dtype)
    try:
        np.broadcast_shapes(cond.shape, _shape_of(a), _shape_of(b))
    except ValueError:
        raise _broadcast_error(np.empty(cond.shape), np.empty(np.broadcast_shapes(_shape_of(a), _shape_of(b))))
    return Where.apply(cond, a, b)


# --------------------------------------------------------------------------------------------------
# Comparisons and other ops without gradients


def _compare(np_fn, a, b, name):
    if b is None and name in ("eq", "ne"):
        return name == "ne"  # torch: ``t == None`` is False, ``t != None`` is True
    _check_number(b, name)
    np_dtype = _np_dtype_of_result(a, b)
    x = a._data if isinstance(a, Tensor) else a
    y = b._data if isinstance(b, Tensor) else b
    try:
        result = np_fn(np.asarray(x, np_dtype) if x is not None else x, np.asarray(y, np_dtype))
    except ValueError:
        raise _broadcast_error(x, y) from None
    meta = builtins.any(isinstance(v, Tensor) and v._meta for v in (a, b))
    return Tensor._make(np.asarray(result), meta)


def eq(input, other, *, out=None):  # noqa: A002
    return _compare(np.equal, input, other, "eq")


def ne(input, other, *, out=None):  # noqa: A002
    return _compare(np.not_equal, input, other, "ne")


def lt(input, other, *, out=None):  # noqa: A002
    return _compare(np.less, input, other, "lt")


def le(input, other, *, out=None):  # noqa: A002
    return _compare(np.less_equal, input, other, "le")


def gt(input, other, *, out=None):  # noqa: A002
    return _compare(np.greater, input, other, "gt")


def ge(input, other, *, out=None):  # noqa: A002
    return _compare(np.greater_equal, input, other, "ge")


def equal(input, other):  # noqa: A002
    """True if both tensors have the same shape and values."""
    return input._data.shape == other._data.shape and builtins.bool(np.array_equal(input._data, other._data))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):  # noqa: A002
    return Tensor._make(np.isclose(input._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):  # noqa: A002
    return builtins.bool(np.allclose(input._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def _no_grad_unary(np_fn):
    def op(input, *, out=None):  # noqa: A002
        return Tensor._make(np.asarray(np_fn(input._data)), input._meta)
    op.__name__ = np_fn.__name__
    return op


isnan = _no_grad_unary(np.isnan)
isfinite = _no_grad_unary(np.isfinite)
logical_not = _no_grad_unary(np.logical_not)


def sign(input, *, out=None):  # noqa: A002
    return Tensor._make(np.sign(input._data))


def floor(input, *, out=None):  # noqa: A002
    return Tensor._make(np.floor(input._data))


def ceil(input, *, out=None):  # noqa: A002
    return Tensor._make(np.ceil(input._data))


def round(input, *, decimals=0, out=None):  # noqa: A002
    """Round half to even, as torch."""
    return Tensor._make(np.round(input._data, decimals))


def floor_divide(input, other, *, out=None):  # noqa: A002
    np_dtype = _np_dtype_of_result(input, other)
    with np.errstate(all="ignore"):
        return Tensor._make(np.asarray(np.floor_divide(_raw(input, np_dtype), _raw(other, np_dtype))))


def remainder(input, other, *, out=None):  # noqa: A002
    np_dtype = _np_dtype_of_result(input, other)
    with np.errstate(all="ignore"):
        return Tensor._make(np.asarray(np.mod(_raw(input, np_dtype), _raw(other, np_dtype))))


def _raw(x, np_dtype):
    return (x._data if isinstance(x, Tensor) else np.asarray(x)).astype(np_dtype, copy=False)


def _logical(np_fn, name):
    def op(a, b):
        np_dtype = _np_dtype_of_result(a, b)
        if np_dtype.kind == "f":
            raise RuntimeError(f'"{name}_cpu" not implemented for \'Float\'')
        return Tensor._make(np.asarray(np_fn(_raw(a, np_dtype), _raw(b, np_dtype))))
    return op


bitwise_and = _logical(np.bitwise_and, "bitwise_and")
bitwise_or = _logical(np.bitwise_or, "bitwise_or")
bitwise_xor = _logical(np.bitwise_xor, "bitwise_xor")


def all(input, dim=None, keepdim=False):  # noqa: A002
    axis = None if dim is None else _normalize_dims(dim, input._data.ndim)
    return Tensor._make(np.asarray(np.all(input._data, axis=axis, keepdims=keepdim)))


def any(input, dim=None, keepdim=False):  # noqa: A002
    axis = None if dim is None else _normalize_dims(dim, input._data.ndim)
    return Tensor._make(np.asarray(np.any(input._data, axis=axis, keepdims=keepdim)))


def count_nonzero(input, dim=None):  # noqa: A002
    axis = None if dim is None else _normalize_dims(dim, input._data.ndim)
    return Tensor._make(np.asarray(np.count_nonzero(input._data, axis=axis), dtype=np.int64))


def numel(input):  # noqa: A002
    return input.numel()


def promote_types(type1, type2):
    return _dtype.promote_types(type1, type2)


def broadcast_shapes(*shapes):
    try:
        return Size(np.broadcast_shapes(*[tuple(s) if isinstance(s, (tuple, list)) else (s,) for s in shapes]))
    except ValueError:
        raise RuntimeError(f"Shape mismatch: objects cannot be broadcast to a single shape") from None


def result_type(tensor, other):
    """The dtype torch's type promotion gives ``tensor op other``."""
    return _result_type_of([tensor, other])


# --------------------------------------------------------------------------------------------------
# Element-wise unary ops


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
Abs = _pointwise("Abs", np.abs, lambda grad, a: grad * np.sign(a))
Tanh = _pointwise("Tanh", np.tanh, lambda grad, out: grad * (1 - out * out), saves="output")
Sigmoid = _pointwise("Sigmoid", _ignoring(lambda a: 1 / (1 + np.exp(-a)), "over"),
                     lambda grad, out: grad * (1 - out) * out, saves="output")
Sin = _pointwise("Sin", np.sin, lambda grad, a: grad * np.cos(a))
Cos = _pointwise("Cos", np.cos, lambda grad, a: grad * -np.sin(a))
Relu = _pointwise("Relu", lambda a: np.maximum(a, 0), lambda grad, out: grad * (out > 0), saves="output")


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


negative = neg


def exp(input, *, out=None):  # noqa: A002
    """e ** input."""
    return Exp.apply(_floating(input))


def log(input, *, out=None):  # noqa: A002
    """Natural logarithm (nan below 0, -inf at 0)."""
    return Log.apply(_floating(input))


def log2(input, *, out=None):  # noqa: A002
    return div(log(input), float(np.log(2.0)))


def log10(input, *, out=None):  # noqa: A002
    return div(log(input), float(np.log(10.0)))


def exp2(input, *, out=None):  # noqa: A002
    return pow(2.0, _floating(input))


def sqrt(input, *, out=None):  # noqa: A002
    """Square root (nan below 0)."""
    return Sqrt.apply(_floating(input))


def rsqrt(input, *, out=None):  # noqa: A002
    return pow(_floating(input), -0.5)


def square(input, *, out=None):  # noqa: A002
    return pow(input, 2)


def reciprocal(input, *, out=None):  # noqa: A002
    """1 / input (integers give the default float dtype)."""
    return Reciprocal.apply(_floating(input))


def abs(input, *, out=None):  # noqa: A002
    """|input| (the gradient at 0 is 0, as torch)."""
    return Abs.apply(input)


def tanh(input, *, out=None):  # noqa: A002
    return Tanh.apply(_floating(input))


def sigmoid(input, *, out=None):  # noqa: A002
    """1 / (1 + exp(-input))."""
    return Sigmoid.apply(_floating(input))


def sin(input, *, out=None):  # noqa: A002
    return Sin.apply(_floating(input))


def cos(input, *, out=None):  # noqa: A002
    return Cos.apply(_floating(input))


def relu(input):  # noqa: A002
    """max(input, 0)."""
    return Relu.apply(input)


def erf(input, *, out=None):  # noqa: A002
    from math import erf as _erf
    return Tensor._make(np.vectorize(_erf, otypes=[input._data.dtype])(input._data))


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


clip = clamp


# --------------------------------------------------------------------------------------------------
# Reductions


def _normalize_dims(dim, ndim):
    """An int or a sequence of dims as a sorted tuple of non-negative axes (IndexError when out of range)."""
    if isinstance(dim, (tuple, list)):
        axes = tuple(_normalize_dim(d, ndim) for d in dim)
        if len(set(axes)) != len(axes):
            raise RuntimeError(f"dim {axes[0]} appears multiple times in the list of dims")
        return axes
    return (_normalize_dim(dim, ndim),)


def _expand_reduced(grad, shape, axes, keepdim):
    """A reduced gradient reshaped to broadcast against the input of a reduction."""
    if not keepdim and axes is not None:
        grad = np.expand_dims(grad, axes)
    return np.broadcast_to(grad, shape)


class Sum(Function):
    @staticmethod
    def forward(ctx, a, axes, keepdim, np_dtype):
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, axes, keepdim
        return np.asarray(np.sum(a, axis=axes, keepdims=keepdim, dtype=np_dtype))

    @staticmethod
    def backward(ctx, grad):
        return _expand_reduced(grad, ctx.shape, ctx.axes, ctx.keepdim), None, None, None


class SumDim(Sum):
    backward_name = "SumBackward1"


class Mean(Function):
    @staticmethod
    def forward(ctx, a, axes, keepdim):
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, axes, keepdim
        ctx.count = a.size if axes is None else int(np.prod([a.shape[i] for i in axes]))
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(np.mean(a, axis=axes, keepdims=keepdim))

    @staticmethod
    def backward(ctx, grad):
        with np.errstate(invalid="ignore", divide="ignore"):
            g = grad / np.asarray(ctx.count, dtype=grad.dtype)
        return _expand_reduced(g, ctx.shape, ctx.axes, ctx.keepdim), None, None


class MeanDim(Mean):
    backward_name = "MeanBackward1"


def _reduce_axes(input, dim):
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return None
    return _normalize_dims(dim, input._data.ndim)


def sum(input, dim=None, keepdim=False, *, dtype=None, out=None):  # noqa: A002
    """Sum over all elements or over ``dim`` (int or tuple); integers and bools sum to int64."""
    axes = _reduce_axes(input, dim)
    if dtype is not None:
        np_dtype = to_dtype(dtype).numpy_dtype
        input = _as_operand(input, np_dtype)
    elif input._data.dtype.kind in "biu":
        np_dtype = np.dtype(np.int64)
    else:
        np_dtype = input._data.dtype
    fn = Sum if dim is None else SumDim
    return fn.apply(input, axes, keepdim, np_dtype)


def mean(input, dim=None, keepdim=False, *, dtype=None, out=None):  # noqa: A002
    """Mean over all elements or over ``dim``; needs a floating dtype (as torch)."""
    if dtype is not None:
        input = _as_operand(input, to_dtype(dtype).numpy_dtype)
    if input._data.dtype.kind != "f":
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a floating "
                           f"point or complex dtype. Got: {_type_name(input)}")
    fn = Mean if dim is None else MeanDim
    return fn.apply(input, _reduce_axes(input, dim), keepdim)


def _type_name(t):
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
            "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}[t.dtype.name]


class VarStd(Function):
    @staticmethod
    def forward(ctx, a, axes, correction, keepdim, take_sqrt):
        mu = np.mean(a, axis=axes, keepdims=True)
        centered = a - mu
        n = a.size if axes is None else int(np.prod([a.shape[i] for i in axes]))
        with np.errstate(invalid="ignore", divide="ignore"):
            var = np.sum(centered * centered, axis=axes, keepdims=keepdim) / np.asarray(
                builtins.max(n - correction, 0), dtype=a.dtype)
            out = np.sqrt(var) if take_sqrt else var
        ctx.save_for_backward(centered, np.asarray(out))
        ctx.axes, ctx.keepdim, ctx.denominator, ctx.take_sqrt = axes, keepdim, builtins.max(n - correction, 0), take_sqrt
        return np.asarray(out)

    @staticmethod
    def backward(ctx, grad):
        centered, out = ctx.saved_tensors
        with np.errstate(invalid="ignore", divide="ignore"):
            # torch: the gradient of std is 0 where std is 0 (instead of 0/0)
            g = np.where(out == 0, 0, grad / (2 * out)).astype(grad.dtype) if ctx.take_sqrt else grad
            g = _expand_reduced(g, centered.shape, ctx.axes, ctx.keepdim)
            return g * (2 / np.asarray(ctx.denominator, dtype=centered.dtype)) * centered, None, None, None, None


class Var(VarStd):
    backward_name = "VarBackward0"


class Std(VarStd):
    backward_name = "StdBackward0"


def _var_std(fn, input, dim, unbiased, keepdim, correction, take_sqrt):
    if isinstance(dim, builtins.bool):  # legacy overload var(unbiased)
        dim, unbiased = None, dim
    if correction is not None and unbiased is not None:
        raise RuntimeError("var: can't specify both unbiased and correction")
    if correction is None:
        correction = 0 if unbiased is False else 1
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"std and var only support floating point and complex dtypes")
    return fn.apply(input, _reduce_axes(input, dim), correction, keepdim, take_sqrt)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):  # noqa: A002
    """Variance over all elements or ``dim``, with Bessel's correction by default (``correction=1``)."""
    return _var_std(Var, input, dim, unbiased, keepdim, correction, False)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):  # noqa: A002
    """Standard deviation: the square root of ``var``."""
    return _var_std(Std, input, dim, unbiased, keepdim, correction, True)


class MaxAll(Function):
    """max()/min() over all elements: the gradient is shared evenly among ties (torch)."""
    backward_name = "MaxBackward1"

    @staticmethod
    def forward(ctx, a, use_min):
        if a.size == 0:
            raise RuntimeError(f"{'min' if use_min else 'max'}(): Expected reduction dim to be specified for "
                               "input.numel() == 0. Specify the reduction dim with the 'dim' argument.")
        out = np.asarray(np.min(a) if use_min else np.max(a))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        ties = a == out
        return ties * (grad / np.count_nonzero(ties)), None


class MinAll(MaxAll):
    backward_name = "MinBackward1"


class MaxDim(Function):
    """max(dim)/min(dim): values and int64 indices; the gradient goes to the selected index."""
    backward_name = "MaxBackward0"

    @staticmethod
    def forward(ctx, a, axis, keepdim, use_min):
        if a.shape[axis] == 0:
            raise IndexError(f"{'min' if use_min else 'max'}(): Expected reduction dim {axis} to have non-zero "
                             "size.")
        idx = np.expand_dims((np.argmin if use_min else np.argmax)(a, axis=axis), axis)
        values = np.take_along_axis(a, idx, axis)
        ctx.shape, ctx.axis, ctx.keepdim, ctx.idx = a.shape, axis, keepdim, idx
        if not keepdim:
            values, idx = np.squeeze(values, axis), np.squeeze(idx, axis)
        return values, idx.astype(np.int64)

    @staticmethod
    def backward(ctx, grad):
        if not ctx.keepdim:
            grad = np.expand_dims(grad, ctx.axis)
        full = np.zeros(ctx.shape, dtype=grad.dtype)
        np.put_along_axis(full, ctx.idx, grad, ctx.axis)
        return full, None, None, None


class MinDim(MaxDim):
    backward_name = "MinBackward0"


def _namedtuple_type(name):
    base = collections.namedtuple(name, ["values", "indices"])

    def __repr__(self):
        return f"torch.return_types.{name}(\nvalues={self.values!r},\nindices={self.indices!r})"
    return type(name, (base,), {"__repr__": __repr__, "__slots__": ()})


_return_types = {n: _namedtuple_type(n) for n in ("max", "min", "topk", "sort", "mode", "median", "kthvalue")}


def _max_min(input, dim, keepdim, other, use_min):  # noqa: A002
    name = "min" if use_min else "max"
    if isinstance(dim, Tensor) and other is None:
        dim, other = None, dim
    if other is not None:
        return (minimum if use_min else maximum)(input, other)
    if dim is None:
        return (MinAll if use_min else MaxAll).apply(input, use_min)
    axis = _normalize_dim(dim, input._data.ndim) if input._data.ndim else None
    if axis is None:  # a 0-d tensor: torch returns it and index 0
        return _return_types[name](input.clone(), Tensor._make(np.asarray(0, dtype=np.int64)))
    values, idx = (MinDim if use_min else MaxDim).apply(input, axis, keepdim, use_min)
    return _return_types[name](values, Tensor._make(idx, input._meta))


def max(input, dim=None, keepdim=False, *, other=None, out=None):  # noqa: A002
    """max(): the largest element; max(dim): (values, indices); max(other): element-wise maximum."""
    return _max_min(input, dim, keepdim, other, False)


def min(input, dim=None, keepdim=False, *, other=None, out=None):  # noqa: A002
    """min(): the smallest element; min(dim): (values, indices); min(other): element-wise minimum."""
    return _max_min(input, dim, keepdim, other, True)


def amax(input, dim=(), keepdim=False):  # noqa: A002
    if dim == () or dim is None:
        return max(input)
    result = input
    for axis in sorted(_normalize_dims(dim, input._data.ndim), reverse=True):
        result = max(result, axis, keepdim).values
    return result


def amin(input, dim=(), keepdim=False):  # noqa: A002
    if dim == () or dim is None:
        return min(input)
    result = input
    for axis in sorted(_normalize_dims(dim, input._data.ndim), reverse=True):
        result = min(result, axis, keepdim).values
    return result


def _arg(np_fn, input, dim, keepdim):  # noqa: A002
    a = input._data
    if dim is None:
        out = np.asarray(np_fn(a.reshape(-1)))
        if keepdim:
            out = out.reshape((1,) * a.ndim)
    else:
        axis = _normalize_dim(dim, a.ndim) if a.ndim else None
        out = np.asarray(np_fn(a, axis=axis))
        if keepdim and axis is not None:
            out = np.expand_dims(out, axis)
    return Tensor._make(out.astype(np.int64), input._meta)


def argmax(input, dim=None, keepdim=False):  # noqa: A002
    """Index of the largest element (of the flattened tensor, or along ``dim``)."""
    return _arg(np.argmax, input, dim, keepdim)


def argmin(input, dim=None, keepdim=False):  # noqa: A002
    """Index of the smallest element (of the flattened tensor, or along ``dim``)."""
    return _arg(np.argmin, input, dim, keepdim)


def prod(input, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    """Product of elements (not differentiable here)."""
    axis = None if dim is None else _normalize_dim(dim, input._data.ndim)
    a = input._data
    np_dtype = np.int64 if a.dtype.kind in "biu" and dtype is None else (
        a.dtype if dtype is None else to_dtype(dtype).numpy_dtype)
    return Tensor._make(np.asarray(np.prod(a, axis=axis, keepdims=keepdim and axis is not None, dtype=np_dtype)))


class Cumsum(Function):
    @staticmethod
    def forward(ctx, a, axis):
        ctx.axis = axis
        return np.cumsum(a, axis=axis, dtype=np.int64 if a.dtype.kind in "biu" else a.dtype)

    @staticmethod
    def backward(ctx, grad):
        return np.flip(np.cumsum(np.flip(grad, ctx.axis), axis=ctx.axis), ctx.axis), None


def cumsum(input, dim, *, dtype=None):  # noqa: A002
    """Running sum along ``dim``."""
    if dtype is not None:
        input = _as_operand(input, to_dtype(dtype).numpy_dtype)
    return Cumsum.apply(input, _normalize_dim(dim, builtins.max(input._data.ndim, 1)) if input._data.ndim else 0)


def topk(input, k, dim=-1, largest=True, sorted=True):  # noqa: A002
    """The k largest (or smallest) values along ``dim`` and their indices."""
    a = input._data
    axis = _normalize_dim(dim, a.ndim)
    if k > a.shape[axis] or k < 0:
        raise RuntimeError("selected index k out of range")
    order = np.argsort(-a if largest else a, axis=axis, kind="stable")
    idx = np.take(order, np.arange(k), axis=axis)
    values = _gather(input, axis, idx)
    return _return_types["topk"](values, Tensor._make(idx.astype(np.int64)))


def sort(input, dim=-1, descending=False, stable=False):  # noqa: A002
    a = input._data
    axis = _normalize_dim(dim, a.ndim)
    idx = np.argsort(-a if descending else a, axis=axis, kind="stable")
    return _return_types["sort"](_gather(input, axis, idx), Tensor._make(idx.astype(np.int64)))


def argsort(input, dim=-1, descending=False, stable=False):  # noqa: A002
    return sort(input, dim, descending).indices


class Gather(Function):
    @staticmethod
    def forward(ctx, a, axis, idx):
        ctx.shape, ctx.axis, ctx.idx = a.shape, axis, idx
        return np.take_along_axis(a, idx, axis)

    @staticmethod
    def backward(ctx, grad):
        full = np.zeros(ctx.shape, dtype=grad.dtype)
        idx = np.indices(ctx.idx.shape, sparse=True)
        index = list(idx)
        index[ctx.axis] = ctx.idx
        np.add.at(full, tuple(index), grad)
        return full, None, None


def _gather(input, axis, idx):  # noqa: A002
    return Gather.apply(input, axis, idx)


def gather(input, dim, index):  # noqa: A002
    """out[i][j] = input[index[i][j]][j] (for dim=0), as torch.gather."""
    if index._data.dtype != np.int64:
        raise RuntimeError("gather(): Expected dtype int64 for index")
    return Gather.apply(input, _normalize_dim(dim, input._data.ndim), index._data)


# --------------------------------------------------------------------------------------------------
# Matrix products


class MatMul(Function):
    backward_name = "MmBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        # treat 1-D operands as a row (left) / column (right) matrix, as matmul does
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        if a.ndim == 1 and b.ndim == 1:
            g2 = grad.reshape(1, 1)
        elif a.ndim == 1:
            g2 = np.expand_dims(grad, -2)
        elif b.ndim == 1:
            g2 = np.expand_dims(grad, -1)
        else:
            g2 = grad
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = np.matmul(g2, np.swapaxes(b2, -1, -2))
            if a.ndim == 1:
                ga = ga[..., 0, :]
        if ctx.needs_input_grad[1]:
            gb = np.matmul(np.swapaxes(a2, -1, -2), g2)
            if b.ndim == 1:
                gb = gb[..., 0]
        return ga, gb


class Dot(MatMul):
    backward_name = "DotBackward0"


class Mv(MatMul):
    backward_name = "MvBackward0"


class Bmm(MatMul):
    backward_name = "BmmBackward0"


class BatchedMatMul(MatMul):
    backward_name = "UnsafeViewBackward0"


def _matmul_check(a, b, name="matmul"):
    sa, sb = a._data.shape, b._data.shape
    if len(sa) == 0 or len(sb) == 0:
        raise RuntimeError(f"both arguments to {name} need to be at least 1D, but they are {len(sa)}D and "
                           f"{len(sb)}D")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_c_type_name(a)} != {_c_type_name(b)}")
    inner_a = sa[-1]
    inner_b = sb[0] if len(sb) == 1 else sb[-2]
    if inner_a != inner_b:
        if len(sa) == 1 and len(sb) == 1:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{sa[0]}] and src [{sb[0]}] to have "
                               f"the same number of elements, but got {sa[0]} and {sb[0]} elements respectively")
        if len(sa) <= 2 and len(sb) <= 2:
            m1 = "x".join(str(n) for n in (sa if len(sa) == 2 else (1,) + sa))
            m2 = "x".join(str(n) for n in (sb if len(sb) == 2 else sb + (1,)))
            if len(sb) == 1:
                raise RuntimeError(f"size mismatch, got input ({sa[0]}), mat ({sa[0]}x{sa[1]}), vec ({sb[0]})")
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({m1} and {m2})")
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{sa[0] if len(sa) > 2 else 1}, {inner_a}] but got: [{sb[0] if len(sb) > 2 else 1}, "
                           f"{inner_b}].")
    try:
        np.broadcast_shapes(sa[:-2], sb[:-2])
    except ValueError:
        raise _broadcast_error(np.empty(sa[:-2]), np.empty(sb[:-2])) from None


def _c_type_name(t):
    return {"float32": "float", "float64": "double", "int64": "long int", "int32": "int",
            "float16": "c10::Half", "bool": "bool", "uint8": "unsigned char"}.get(t.dtype.name, t.dtype.name)


def matmul(input, other, *, out=None):  # noqa: A002
    """Matrix product with torch's rules: 1-D dot, matrix-vector, batched with broadcasting."""
    if not isinstance(other, Tensor):
        raise TypeError(f"matmul(): argument 'other' (position 1) must be Tensor, not {type(other).__name__}")
    _matmul_check(input, other)
    na, nb = input._data.ndim, other._data.ndim
    if na == 1 and nb == 1:
        return Dot.apply(input, other)
    if na == 2 and nb == 1:
        return Mv.apply(input, other)
    if na == 2 and nb == 2:
        return MatMul.apply(input, other)
    return BatchedMatMul.apply(input, other)


def mm(input, mat2, *, out=None):  # noqa: A002
    """2-D matrix product."""
    if input._data.ndim != 2:
        raise RuntimeError(f"self must be a matrix")
    if mat2._data.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix")
    _matmul_check(input, mat2, "mm")
    return MatMul.apply(input, mat2)


def bmm(input, mat2, *, out=None):  # noqa: A002
    """Batched 3-D matrix product (no broadcasting)."""
    if input._data.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor")
    if mat2._data.ndim != 3:
        raise RuntimeError(f"batch2 must be a 3D tensor")
    if input._data.shape[0] != mat2._data.shape[0] or input._data.shape[2] != mat2._data.shape[1]:
        sa = input._data.shape
        sb = mat2._data.shape
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{sa[0]}, {sa[2]}] "
                           f"but got: [{sb[0]}, {sb[1]}].")
    _matmul_check(input, mat2, "bmm")
    return Bmm.apply(input, mat2)


def dot(input, other, *, out=None):  # noqa: A002
    if input._data.ndim != 1 or other._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input._data.ndim}D and {other._data.ndim}D tensors")
    _matmul_check(input, other, "dot")
    return Dot.apply(input, other)


def outer(input, vec2):  # noqa: A002
    return mul(reshape(input, (-1, 1)), vec2)


def einsum(equation, *operands):
    """Not differentiable here: computes with numpy.einsum."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = operands[0]
    return Tensor._make(np.asarray(np.einsum(equation, *[o._data for o in operands])))


# --------------------------------------------------------------------------------------------------
# Shape ops


def _infer_shape(shape, numel):
    """Resolve one -1 and check the element count, with torch's errors."""
    shape = list(shape)
    unknown = [i for i, n in enumerate(shape) if n == -1]
    if len(unknown) > 1:
        raise RuntimeError("only one dimension can be inferred")
    for n in shape:
        if n < -1:
            raise RuntimeError(f"invalid shape dimension {n}")
    known = 1
    for n in shape:
        if n != -1:
            known *= n
    if unknown:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{_list_str(shape)}' is invalid for input of size {numel}")
        shape[unknown[0]] = numel // known
    elif known != numel:
        raise RuntimeError(f"shape '{_list_str(shape)}' is invalid for input of size {numel}")
    return tuple(shape)


def _list_str(shape):
    return "[" + ", ".join(str(n) for n in shape) + "]"


def _shape_args(shape, name):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for n in shape:
        if not isinstance(n, numbers.Integral):
            raise TypeError(f"{name}(): argument 'size' (position 1) must be tuple of ints, but found element "
                            f"of type {type(n).__name__} at pos 0")
    return tuple(builtins.int(n) for n in shape)


class View(Function):
    backward_name = "ViewBackward0"

    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return a.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape), None


class UnsafeView(View):
    backward_name = "UnsafeViewBackward0"


def _view_without_copy(a, shape):
    """numpy refuses to set .shape when a copy would be needed: exactly torch's view rule."""
    v = a.view()
    try:
        v.shape = shape
    except AttributeError:
        return None
    return v


def view(input, *shape):  # noqa: A002
    """Same data, new shape (-1 inferred); fails when the strides do not allow it (use reshape)."""
    if len(shape) == 1 and isinstance(shape[0], _dtype.dtype):
        return Tensor._make(input._data.view(shape[0].numpy_dtype))
    shape = _infer_shape(_shape_args(shape, "view"), input._data.size)
    if not input._meta and _view_without_copy(input._data, shape) is None:
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at least one "
                           "dimension spans across two contiguous subspaces). Use .reshape(...) instead.")
    return View.apply(input, shape)


def reshape(input, *shape):  # noqa: A002
    """New shape (-1 inferred), a view when possible, else a copy."""
    shape = _infer_shape(_shape_args(shape, "reshape"), input._data.size)
    if input._meta or _view_without_copy(input._data, shape) is not None:
        return View.apply(input, shape)
    return UnsafeView.apply(input, shape)


def flatten(input, start_dim=0, end_dim=-1):  # noqa: A002
    """Merge dims start_dim..end_dim into one."""
    shape = input._data.shape
    if not shape:
        return reshape(input, 1)
    start, end = _normalize_dim(start_dim, len(shape)), _normalize_dim(end_dim, len(shape))
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if start == end:
        return input
    merged = 1
    for n in shape[start:end + 1]:
        merged *= n
    return reshape(input, shape[:start] + (merged,) + shape[end + 1:])


def unflatten(input, dim, sizes):  # noqa: A002
    shape = input._data.shape
    axis = _normalize_dim(dim, len(shape))
    sizes = _infer_shape(sizes, shape[axis])
    return view(input, shape[:axis] + tuple(sizes) + shape[axis + 1:])


class Permute(Function):
    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return np.transpose(a, dims)

    @staticmethod
    def backward(ctx, grad):
        return np.transpose(grad, np.argsort(ctx.dims)), None


class Transpose(Permute):
    backward_name = "TransposeBackward0"


class TransposeT(Permute):
    backward_name = "TBackward0"


def permute(input, *dims):  # noqa: A002
    """Reorder the dimensions."""
    dims = _shape_args(dims, "permute")
    ndim = input._data.ndim
    if len(dims) != ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
                           f"length of the desired ordering of dimensions i.e. input.dim() = {ndim} is not equal "
                           f"to len(dims) = {len(dims)}")
    axes = tuple(_normalize_dim(d, ndim) for d in dims)
    if len(set(axes)) != ndim:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return Permute.apply(input, axes)


def transpose(input, dim0, dim1):  # noqa: A002
    """Swap two dimensions."""
    ndim = input._data.ndim
    d0, d1 = _normalize_dim(dim0, ndim), _normalize_dim(dim1, ndim)
    axes = list(range(ndim))
    axes[d0], axes[d1] = axes[d1], axes[d0]
    return Transpose.apply(input, tuple(axes))


swapaxes = swapdims = transpose


def t(input):  # noqa: A002
    """Transpose a tensor of at most 2 dimensions."""
    ndim = input._data.ndim
    if ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {ndim}D")
    return TransposeT.apply(input, tuple(range(ndim - 1, -1, -1)))


class Unsqueeze(View):
    backward_name = "UnsqueezeBackward0"


class Squeeze(View):
    backward_name = "SqueezeBackward0"


class SqueezeDim(View):
    backward_name = "SqueezeBackward1"


def unsqueeze(input, dim):  # noqa: A002
    """Insert a size-1 dimension at ``dim`` (in [-ndim-1, ndim])."""
    shape = input._data.shape
    axis = _normalize_dim(dim, len(shape) + 1)
    return Unsqueeze.apply(input, shape[:axis] + (1,) + shape[axis:])


def squeeze(input, dim=None):  # noqa: A002
    """Remove size-1 dimensions (all, or only ``dim`` if it has size 1)."""
    shape = input._data.shape
    if dim is None:
        return Squeeze.apply(input, tuple(n for n in shape if n != 1))
    axes = _normalize_dims(dim, builtins.max(len(shape), 1)) if shape else ()
    new_shape = tuple(n for i, n in enumerate(shape) if not (i in axes and n == 1))
    return SqueezeDim.apply(input, new_shape)


class Expand(Function):
    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return np.broadcast_to(a, shape)

    @staticmethod
    def backward(ctx, grad):
        return grad, None  # the engine sums over the broadcast dimensions


def expand(input, *sizes):  # noqa: A002
    """A broadcast view to ``sizes`` (-1 keeps a dimension); no memory is copied."""
    sizes = _shape_args(sizes, "expand")
    shape = input._data.shape
    if len(sizes) < len(shape):
        raise RuntimeError(f"expand({input.type()}{{{_list_str(shape)}}}, size={_list_str(sizes)}): the number "
                           f"of sizes provided ({len(sizes)}) must be greater or equal to the number of "
                           f"dimensions in the tensor ({len(shape)})")
    lead = len(sizes) - len(shape)
    for i in range(len(sizes) - 1, lead - 1, -1):  # torch reports the right-most mismatch
        n, old = sizes[i], shape[i - lead]
        if n != -1 and old != n and old != 1:
            raise RuntimeError(f"The expanded size of the tensor ({n}) must match the existing size ({old}) at "
                               f"non-singleton dimension {i}.  Target sizes: {_list_str(sizes)}.  Tensor sizes: "
                               f"{_list_str(shape)}")
    target = []
    for i, n in enumerate(sizes):
        if i < lead:
            if n < 0:
                raise RuntimeError(f"The expanded size of the tensor ({n}) isn't allowed in a leading, "
                                   "non-existing dimension 0")
            target.append(n)
            continue
        old = shape[i - lead]
        if n == -1:
            n = old
        elif old != n and old != 1:
            raise RuntimeError(f"The expanded size of the tensor ({n}) must match the existing size ({old}) at "
                               f"non-singleton dimension {i}.  Target sizes: {_list_str(sizes)}.  Tensor sizes: "
                               f"{_list_str(shape)}")
        target.append(n)
    return Expand.apply(input, tuple(target))


def broadcast_to(input, size):  # noqa: A002
    return expand(input, *size)


class Repeat(Function):
    @staticmethod
    def forward(ctx, a, reps):
        ctx.shape, ctx.reps = a.shape, reps
        return np.tile(a, reps)

    @staticmethod
    def backward(ctx, grad):
        lead = len(ctx.reps) - len(ctx.shape)
        shape = (1,) * lead + ctx.shape
        split = []
        for r, n in zip(ctx.reps, shape):
            split += [r, n]
        return grad.reshape(split).sum(axis=tuple(range(0, len(split), 2))).reshape(ctx.shape), None


def repeat(input, *sizes):  # noqa: A002
    sizes = _shape_args(sizes, "repeat")
    if len(sizes) < input._data.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of "
                           "tensor")
    return Repeat.apply(input, sizes)


class Clone(Function):
    @staticmethod
    def forward(ctx, a):
        return a.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


def clone(input, *, memory_format=None):  # noqa: A002
    """A copy that stays in the graph."""
    return Clone.apply(input)


class ToCopy(Function):
    @staticmethod
    def forward(ctx, a, np_dtype):
        return a.astype(np_dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad, None  # the engine casts back to the input's dtype


def to_dtype(input, dtype):  # noqa: A002
    d = _dtype.to_dtype(dtype)
    if input._requires_grad and not d.is_floating_point:
        return Tensor._make(input._data.astype(d.numpy_dtype), input._meta)
    return ToCopy.apply(input, d.numpy_dtype)


class Cat(Function):
    @staticmethod
    def forward(ctx, *arrays, axis):
        ctx.bounds = np.cumsum([a.shape[axis] for a in arrays])[:-1]
        ctx.axis = axis
        return np.concatenate(arrays, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        return tuple(np.split(grad, ctx.bounds, axis=ctx.axis))


class Stack(Function):
    @staticmethod
    def forward(ctx, *arrays, axis):
        ctx.axis = axis
        return np.stack(arrays, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        return tuple(np.moveaxis(grad, ctx.axis, 0))


def _tensor_list(tensors, name):
    if isinstance(tensors, Tensor):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor")
    tensors = list(tensors)
    if not tensors:
        raise (ValueError if name == "torch.cat" else RuntimeError)(f"{name}(): expected a non-empty list of Tensors")
    for i, t_ in enumerate(tensors):
        if not isinstance(t_, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t_).__name__}")
    np_dtype = _result_type_of(tensors).numpy_dtype
    return [_as_operand(t_, np_dtype) for t_ in tensors]


def cat(tensors, dim=0, *, out=None):
    """Join tensors along an existing dimension (sizes must match elsewhere)."""
    tensors = _tensor_list(tensors, "torch.cat")
    # torch skips legacy empty 1-D tensors of shape (0,)
    kept = [(i, t_) for i, t_ in enumerate(tensors) if t_._data.shape != (0,)] or [(0, tensors[0])]
    ref = kept[0][1]._data.shape
    if not ref:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    axis = _normalize_dim(dim, len(ref))
    for i, t_ in kept:
        s = t_._data.shape
        if len(s) != len(ref):
            raise RuntimeError(f"Tensors must have same number of dimensions: got {len(ref)} and {len(s)}")
        for d in range(len(ref)):
            if d != axis and s[d] != ref[d]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {axis}. Expected size "
                                   f"{ref[d]} but got size {s[d]} for tensor number {i} in the list.")
    tensors = [t_ for _, t_ in kept]
    return Cat.apply(*tensors, axis=axis)


concat = concatenate = cat


def stack(tensors, dim=0, *, out=None):
    """Join same-shaped tensors along a new dimension."""
    tensors = _tensor_list(tensors, "stack")
    ref = tensors[0]._data.shape
    for i, t_ in enumerate(tensors):
        if t_._data.shape != ref:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {_list_str(ref)} at entry 0 "
                               f"and {_list_str(t_._data.shape)} at entry {i}")
    axis = _normalize_dim(dim, len(ref) + 1)
    return Stack.apply(*tensors, axis=axis)


def hstack(tensors):
    tensors = list(tensors)
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1)


def vstack(tensors):
    return cat([t_ if t_._data.ndim > 1 else reshape(t_, 1, -1) for t_ in tensors], 0)


class Index(Function):
    backward_name = "IndexBackward0"

    @staticmethod
    def forward(ctx, a, index, advanced):
        ctx.shape, ctx.index, ctx.advanced = a.shape, index, advanced
        return a[index]

    @staticmethod
    def backward(ctx, grad):
        full = np.zeros(ctx.shape, dtype=grad.dtype)
        if ctx.advanced:
            np.add.at(full, ctx.index, grad)
        else:
            full[ctx.index] = grad
        return full, None, None


class Select(Index):
    backward_name = "SelectBackward0"


class Slice(Index):
    backward_name = "SliceBackward0"


class SplitPart(Index):
    backward_name = "SplitBackward0"


class Alias(Index):
    backward_name = "AliasBackward0"


def _index_item(item):
    """Turn one index entry into what numpy expects, checking dtypes as torch does."""
    if isinstance(item, Tensor):
        a = item._data
        if a.dtype.kind == "b":
            return a, True
        if a.dtype.kind not in "iu":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        if a.ndim == 0:
            return builtins.int(a), False
        return a.astype(np.intp, copy=False), True
    if isinstance(item, np.ndarray):
        return item, True
    if isinstance(item, (list, tuple)):
        a = np.asarray([i.item() if isinstance(i, Tensor) else i for i in item])
        if a.dtype.kind == "f":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        return a, True
    if isinstance(item, builtins.bool):
        return item, True
    if isinstance(item, slice) and item.step is not None and item.step <= 0:
        if item.step == 0:
            raise ValueError("slice step cannot be zero")
        raise ValueError("step must be greater than zero")
    if item is None or item is Ellipsis or isinstance(item, (slice, numbers.Integral)):
        return item, False
    if isinstance(item, numbers.Number):
        raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
                         "valid indices (got float)")
    raise IndexError(f"only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid "
                     f"indices (got {type(item).__name__})")


def _prepare_index(index):
    items = index if isinstance(index, tuple) else (index,)
    prepared, advanced = [], False
    for item in items:
        value, adv = _index_item(item)
        prepared.append(value)
        advanced = advanced or adv
    return tuple(prepared), advanced


def _check_int_bounds(index, shape):
    """torch's IndexError wording for an integer out of range (numpy says 'axis')."""
    dim = 0
    for item in index:
        if item is Ellipsis:
            dim = len(shape) - builtins.sum(1 for i in index if i is not None and i is not Ellipsis) + dim
            continue
        if item is None:
            continue
        if isinstance(item, numbers.Integral) and not isinstance(item, builtins.bool):
            if dim >= len(shape):
                raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
            if not -shape[dim] <= item < shape[dim]:
                raise IndexError(f"index {item} is out of bounds for dimension {dim} with size {shape[dim]}")
        dim += 1


def getitem(input, index):  # noqa: A002
    """Indexing with ints, slices, None, ellipsis, bool and integer tensors (torch semantics)."""
    index, advanced = _prepare_index(index)
    if not advanced:
        _check_int_bounds(index, input._data.shape)
        has_int = builtins.any(isinstance(i, numbers.Integral) for i in index)
        fn = Select if has_int else (Slice if index and builtins.any(isinstance(i, slice) for i in index) else Alias)
    else:
        fn = Index
    try:
        return fn.apply(input, index, advanced)
    except IndexError as exc:
        raise IndexError(str(exc).replace("axis", "dimension")) from None


class IndexPut(Function):
    backward_name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, a, value, index):
        ctx.index, ctx.value_shape = index, np.shape(value)
        out = a.copy()
        out[index] = value
        return out

    @staticmethod
    def backward(ctx, grad):
        ga = grad.copy()
        ga[ctx.index] = 0
        gv = grad[ctx.index] if ctx.needs_input_grad[1] else None
        if gv is not None and gv.shape != ctx.value_shape:
            gv = _reduce_broadcast(gv, ctx.value_shape)
        return ga, gv, None


def _reduce_broadcast(g, shape):
    from .autograd import _sum_to_shape
    return _sum_to_shape(g, tuple(shape))


def setitem(input, index, value):  # noqa: A002
    """In-place assignment; recorded in the graph (a new node) when grad mode needs it."""
    index, advanced = _prepare_index(index)
    if not advanced:
        _check_int_bounds(index, input._data.shape)
    if isinstance(value, Tensor):
        v = value
        if v._data.dtype != input._data.dtype:
            v = _as_operand(v, input._data.dtype)
    else:
        v = np.asarray(value, dtype=input._data.dtype)
    needs_graph = is_grad_enabled() and (input._requires_grad or (isinstance(v, Tensor) and v._requires_grad))
    if needs_graph:
        if input.grad_fn is None and input._requires_grad:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place "
                               "operation.")
        out = IndexPut.apply(_graph_alias(input), v, index)
        input._data, input.grad_fn, input._requires_grad = out._data, out.grad_fn, True
        return
    if input._meta:
        return
    try:
        input._data[index] = v._data if isinstance(v, Tensor) else v
    except ValueError as exc:
        if "read-only" in str(exc):
            raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers to "
                               "a single memory location. Please clone() the tensor before performing the "
                               "operation.") from None
        raise RuntimeError(f"shape mismatch: value tensor of shape {_list_str(np.shape(v._data if isinstance(v, Tensor) else v))} "
                           f"cannot be broadcast to indexing result of shape "
                           f"{_list_str(input._data[index].shape)}") from None


def split(tensor, split_size_or_sections, dim=0):
    """Pieces of ``split_size`` along ``dim`` (the last may be smaller), or of the listed sizes."""
    shape = tensor._data.shape
    axis = _normalize_dim(dim, len(shape))
    n = shape[axis]
    if isinstance(split_size_or_sections, numbers.Integral):
        size = builtins.int(split_size_or_sections)
        if size <= 0 and not (size == 0 and n == 0):
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
        sizes = [size] * (n // size) + ([n % size] if n % size else []) if size else [0]
    else:
        sizes = [builtins.int(s) for s in split_size_or_sections]
        if builtins.sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at "
                               f"dimension {axis}), but got split_sizes={sizes}")
    pieces, start = [], 0
    for s in sizes:
        index = (slice(None),) * axis + (slice(start, start + s),)
        pieces.append(SplitPart.apply(tensor, index, False))
        start += s
    return tuple(pieces)


def chunk(input, chunks, dim=0):  # noqa: A002
    """Split into ``chunks`` pieces of ceil(size / chunks) (fewer if they run out)."""
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    n = input._data.shape[_normalize_dim(dim, input._data.ndim)]
    size = -(-n // chunks)
    return split(input, builtins.max(size, 1) if n else 0, dim) if n else split(input, [0] * 1, dim)


def unbind(input, dim=0):  # noqa: A002
    """The slices along ``dim`` as a tuple."""
    axis = _normalize_dim(dim, input._data.ndim)
    return tuple(getitem(input, (slice(None),) * axis + (i,)) for i in range(input._data.shape[axis]))


def masked_fill(input, mask, value):  # noqa: A002
    """``value`` where ``mask`` is True (differentiable wrt input)."""
    value = value.item() if isinstance(value, Tensor) else value
    return where(mask, Tensor._make(np.asarray(value, dtype=input._data.dtype)), input)


class Flip(Function):
    @staticmethod
    def forward(ctx, a, axes):
        ctx.axes = axes
        return np.flip(a, axes)

    @staticmethod
    def backward(ctx, grad):
        return np.flip(grad, ctx.axes), None


def flip(input, dims):  # noqa: A002
    """Reverse the order of elements along ``dims``."""
    dims = (dims,) if isinstance(dims, numbers.Integral) else tuple(dims)
    return Flip.apply(input, _normalize_dims(dims, input._data.ndim) if input._data.ndim else ())


class VectorNorm(Function):
    backward_name = "LinalgVectorNormBackward0"

    @staticmethod
    def forward(ctx, a, axes, keepdim):
        out = np.sqrt(np.sum(a * a, axis=axes, keepdims=keepdim))
        ctx.save_for_backward(a, np.asarray(out))
        ctx.axes, ctx.keepdim = axes, keepdim
        return np.asarray(out)

    @staticmethod
    def backward(ctx, grad):
        a, out = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(out == 0, 0, grad / out).astype(a.dtype)  # torch: 0 at the origin
        return _expand_reduced(scale, a.shape, ctx.axes, ctx.keepdim) * a, None, None


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):  # noqa: A002
    """The 2-norm (``p=2`` or 'fro') over all elements or ``dim``; other p as sum(|x|^p)^(1/p)."""
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                           f"{_type_name(input)}")
    axes = _reduce_axes(input, dim)
    if p in ("fro", 2, 2.0, None):
        return VectorNorm.apply(input, axes, keepdim)
    if p == float("inf"):
        return amax(abs(input), dim if dim is not None else (), keepdim)
    if p == 1:
        return sum(abs(input), dim, keepdim)
    return pow(sum(pow(abs(input), p), dim, keepdim), 1.0 / p)


def nonzero(input, *, as_tuple=False):  # noqa: A002
    """Indices of the non-zero elements: an (n, ndim) int64 tensor, or one tensor per dim."""
    found = np.nonzero(input._data)
    if as_tuple:
        return tuple(Tensor._make(i.astype(np.int64)) for i in found)
    return Tensor._make(np.stack(found, axis=1).astype(np.int64) if found else np.zeros((0, 0), np.int64))


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
    """The sorted distinct values (optionally with inverse indices and counts)."""
    values, inverse, counts = np.unique(input._data, return_inverse=True, return_counts=True, axis=dim)
    result = [Tensor._make(values)]
    if return_inverse:
        result.append(Tensor._make(inverse.reshape(input._data.shape if dim is None else -1).astype(np.int64)))
    if return_counts:
        result.append(Tensor._make(counts.astype(np.int64)))
    return result[0] if len(result) == 1 else tuple(result)


def softmax(input, dim, dtype=None):  # noqa: A002
    """torch.softmax: the same as npconv.nn.functional.softmax."""
    from .nn import functional as F
    return F.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, dtype=None):  # noqa: A002
    """torch.log_softmax: the same as npconv.nn.functional.log_softmax."""
    from .nn import functional as F
    return F.log_softmax(input, dim, dtype=dtype)


def _new_like(name):
    """Tensor.new_zeros / new_ones / new_empty: same dtype (and meta-ness) as self unless told."""
    def method(self, *size, dtype=None, device=None, requires_grad=False):
        from . import _tensor
        make = getattr(_tensor, name)
        return make(*size, dtype=dtype if dtype is not None else self.dtype,
                    device="meta" if self._meta and device is None else device, requires_grad=requires_grad)
    method.__name__ = "new_" + name
    return method


def _new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
    from ._tensor import full
    return full(size, fill_value, dtype=dtype if dtype is not None else self.dtype,
                device="meta" if self._meta and device is None else device, requires_grad=requires_grad)


def _new_tensor(self, data, dtype=None, device=None, requires_grad=False):
    from ._tensor import tensor
    return tensor(data, dtype=dtype if dtype is not None else self.dtype, device=device, requires_grad=requires_grad)


# --------------------------------------------------------------------------------------------------
# In-place ops


def _inplace(self, result):
    """Make ``self`` hold ``result``: true in-place when no graph is involved, else a rebinding that keeps
    autograd correct (saved arrays are never mutated)."""
    if self._requires_grad and self.grad_fn is None and is_grad_enabled():
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    if result._requires_grad and is_grad_enabled():
        if result._data.dtype != self._data.dtype:
            result = _as_operand(result, self._data.dtype)
        self._data, self.grad_fn, self._requires_grad = result._data, result.grad_fn, True
        return self
    _check_inplace_cast(result._data.dtype, self._data.dtype)
    if self._meta:
        return self
    if self._data.shape != result._data.shape:
        try:
            np.broadcast_to(result._data, self._data.shape)
        except ValueError:
            raise RuntimeError(f"output with shape {_list_str(self._data.shape)} doesn't match the broadcast "
                               f"shape {_list_str(result._data.shape)}") from None
    if not self._data.flags.writeable:
        raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers to a "
                           "single memory location. Please clone() the tensor before performing the operation.")
    np.copyto(self._data, result._data, casting="unsafe")
    return self


def _check_inplace_cast(src, dst):
    order = {"b": 0, "u": 1, "i": 1, "f": 2}
    if order[src.kind] > order[dst.kind]:
        names = {"b": "Bool", "i": "Long", "u": "Byte", "f": "Float"}
        raise RuntimeError(f"result type {names[src.kind]} can't be cast to the desired output type "
                           f"{names[dst.kind] if dst.kind != 'i' else _type_name(Tensor._make(np.empty(0, dst)))}")


def _graph_alias(t):
    """A second Tensor object for the current value and node of ``t``: an in-place op that rebinds ``t``
    computes from the alias, so the new node never points back at ``t`` itself (no cycle)."""
    alias = Tensor._make(t._data, t._meta)
    alias._requires_grad, alias.grad_fn = t._requires_grad, t.grad_fn
    return alias


def _make_inplace(fn):
    def method(self, *args, **kwargs):
        if self._requires_grad and is_grad_enabled():
            alias = _graph_alias(self)
            args = tuple(alias if a is self else a for a in args)
            return _inplace(self, fn(alias, *args, **kwargs))
        return _inplace(self, fn(self, *args, **kwargs))
    method.__name__ = fn.__name__ + "_"
    return method


def zero_(self):
    return fill_(self, 0)


def fill_(self, value):
    value = value.item() if isinstance(value, Tensor) else value
    if self._requires_grad and self.grad_fn is None and is_grad_enabled():
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    if not self._meta:
        if self._requires_grad and is_grad_enabled():
            return _inplace(self, mul(_graph_alias(self), 0) + value)
        self._data[...] = value
    return self


def copy_(self, src, non_blocking=False):
    """Copy ``src`` (broadcast) into self, keeping self's dtype."""
    src_t = src if isinstance(src, Tensor) else Tensor._make(np.asarray(src))
    if self._requires_grad and self.grad_fn is None and is_grad_enabled():
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    if src_t._requires_grad and is_grad_enabled():
        return _inplace(self, add(mul(_graph_alias(self), 0), src_t))
    if self._meta:
        return self
    try:
        np.copyto(self._data, np.broadcast_to(src_t._data, self._data.shape), casting="unsafe")
    except ValueError:
        raise RuntimeError(f"The size of tensor a ({self._data.shape[-1] if self._data.ndim else 1}) must match "
                           f"the size of tensor b ({src_t._data.shape[-1] if src_t._data.ndim else 1}) at "
                           f"non-singleton dimension {builtins.max(self._data.ndim - 1, 0)}") from None
    return self


def _random_fill(self, sample):
    from . import random as _random
    if self._requires_grad and self.grad_fn is None and is_grad_enabled():
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    if not self._meta:
        self._data[...] = sample(_random.generator(), self._data.shape)
    return self


def uniform_(self, a=0.0, b=1.0, *, generator=None):
    return _random_fill(self, lambda g, s: g.uniform(a, b, s))


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    return _random_fill(self, lambda g, s: g.normal(mean, std, s))


def bernoulli_(self, p=0.5, *, generator=None):
    return _random_fill(self, lambda g, s: g.random(s) < p)


# --------------------------------------------------------------------------------------------------
# Attach everything to Tensor


def _reflected(fn):
    def method(self, other):
        return fn(other, self)
    return method


def _rsub(self, other):
    _check_number(other, "rsub")
    np_dtype = _np_dtype_of_result(self, other)
    return Rsub.apply(_as_operand(self, np_dtype), _as_operand(other, np_dtype))


def _rdiv(self, other):
    # torch computes other / self as self.reciprocal() * other
    return mul(reciprocal(self), other)


def _rmatmul(self, other):
    return matmul(other, self)


def _max_method(self, dim=None, keepdim=False):
    return max(self, dim, keepdim)


def _min_method(self, dim=None, keepdim=False):
    return min(self, dim, keepdim)


def _expand_as(self, other):
    return expand(self, *other._data.shape)


def _view_as(self, other):
    return view(self, *other._data.shape)


def _reshape_as(self, other):
    return reshape(self, *other._data.shape)


def _softmax(self, dim, dtype=None):
    from .nn import functional as F
    return F.softmax(self, dim, dtype=dtype)


def _log_softmax(self, dim, dtype=None):
    from .nn import functional as F
    return F.log_softmax(self, dim, dtype=dtype)


_METHODS = {
    "__add__": add, "__radd__": _reflected(add), "__sub__": sub, "__rsub__": _rsub, "__mul__": mul,
    "__rmul__": _reflected(mul), "__truediv__": div, "__rtruediv__": _rdiv, "__pow__": pow,
    "__rpow__": _reflected(pow), "__matmul__": matmul, "__rmatmul__": _rmatmul, "__neg__": neg,
    "__pos__": lambda self: self, "__abs__": abs, "__eq__": eq, "__ne__": ne, "__lt__": lt, "__le__": le,
    "__gt__": gt, "__ge__": ge, "__getitem__": getitem, "__setitem__": setitem,
    "__floordiv__": floor_divide, "__rfloordiv__": _reflected(floor_divide), "__mod__": remainder,
    "__rmod__": _reflected(remainder), "__and__": bitwise_and, "__or__": bitwise_or, "__xor__": bitwise_xor,
    "__rand__": bitwise_and, "__ror__": bitwise_or, "__rxor__": bitwise_xor,
    "__invert__": lambda self: logical_not(self) if self._data.dtype == np.bool_ else Tensor._make(~self._data),
    "add": add, "sub": sub, "subtract": sub, "mul": mul, "multiply": mul, "div": div, "divide": div,
    "true_divide": div, "pow": pow, "neg": neg, "negative": neg, "matmul": matmul, "mm": mm, "bmm": bmm,
    "dot": dot, "exp": exp, "log": log, "log2": log2, "log10": log10, "sqrt": sqrt, "rsqrt": rsqrt,
    "abs": abs, "absolute": abs, "clamp": clamp, "clip": clamp, "tanh": tanh, "sigmoid": sigmoid, "sin": sin,
    "cos": cos, "relu": relu, "square": square, "reciprocal": reciprocal, "sum": sum, "mean": mean,
    "max": _max_method, "min": _min_method, "amax": amax, "amin": amin, "argmax": argmax, "argmin": argmin,
    "var": var, "std": std, "prod": prod, "cumsum": cumsum, "maximum": maximum, "minimum": minimum,
    "eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge, "equal": equal, "allclose": allclose,
    "isclose": isclose, "isnan": isnan, "isfinite": isfinite, "sign": sign, "floor": floor, "ceil": ceil,
    "round": round, "all": all, "any": any, "logical_not": logical_not, "count_nonzero": count_nonzero,
    "view": view, "reshape": reshape, "flatten": flatten, "unflatten": unflatten, "permute": permute,
    "transpose": transpose, "swapaxes": transpose, "swapdims": transpose, "t": t, "unsqueeze": unsqueeze,
    "squeeze": squeeze, "expand": expand, "expand_as": _expand_as, "view_as": _view_as,
    "reshape_as": _reshape_as, "repeat": repeat, "split": split, "chunk": chunk, "unbind": unbind,
    "masked_fill": masked_fill, "gather": gather, "topk": topk, "sort": sort, "argsort": argsort,
    "floor_divide": floor_divide, "remainder": remainder, "softmax": _softmax, "log_softmax": _log_softmax,
    "zero_": zero_, "fill_": fill_, "copy_": copy_, "uniform_": uniform_, "normal_": normal_,
    "bernoulli_": bernoulli_, "masked_fill_": _make_inplace(masked_fill), "flip": flip, "norm": norm,
    "nonzero": nonzero, "unique": unique,
    "new_zeros": _new_like("zeros"), "new_ones": _new_like("ones"), "new_empty": _new_like("empty"),
    "new_full": _new_full,
    "new_tensor": _new_tensor,
}
for _name in ("add", "sub", "mul", "div", "pow", "neg", "exp", "log", "sqrt", "abs", "clamp", "clip", "tanh",
              "sigmoid", "sin", "cos", "relu", "square", "reciprocal", "maximum", "minimum", "floor", "ceil",
              "round", "sign"):
    _METHODS[_name + "_"] = _make_inplace(_METHODS[_name])
for _name in ("__iadd__", "__isub__", "__imul__", "__itruediv__", "__ipow__"):
    _METHODS[_name] = _make_inplace(_METHODS["__" + _name[3:]])
for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _fn)


def _with_out(fn):
    """torch's ``out=`` argument: write the result into ``out`` (resized to the result's shape, keeping
    its dtype) and return it; not differentiable, as in torch."""
    def wrapper(*args, out=None, **kwargs):
        result = fn(*args, **kwargs)
        if out is None:
            return result
        if result._requires_grad and is_grad_enabled():
            raise RuntimeError(f"{fn.__name__}(): functions with out=... arguments don't support automatic "
                               "differentiation, but one of the arguments requires grad.")
        _check_inplace_cast(result._data.dtype, out._data.dtype)
        if out._data.shape != result._data.shape:
            out._data = np.empty(result._data.shape, out._data.dtype)
        np.copyto(out._data, result._data, casting="unsafe")
        return out
    wrapper.__name__, wrapper.__doc__, wrapper.__wrapped__ = fn.__name__, fn.__doc__, fn
    return wrapper


def _install_out_arguments():
    import inspect
    for name in __all__:
        fn = globals().get(name)
        if callable(fn) and "out" in inspect.signature(fn).parameters:
            globals()[name] = _with_out(fn)


_install_out_arguments()
