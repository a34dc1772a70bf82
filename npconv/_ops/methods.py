"""The Tensor method table: every op of this package attached to ``Tensor`` as a method or operator
(``x.sum()``, ``x + y``, ``x.add_(y)``, ``x[i] = v``), plus the ``new_*`` constructors."""
import numbers

import numpy as np

from .. import _tensor
from .._tensor import Tensor
from .aliases import add_aliases
from .activation import erf, log_softmax, relu, relu_, sigmoid, softmax, tanh
from .arguments import _check_number, accepting_numpy_names
from . import binary, composite, matrices, order, placement, pointwise, products, rearrange
from .linalg import outer
from .binary import remainder
from .operands import TENSOR_OPERAND_ONLY, parsed_method_operand
from .elementwise import (Rsub, abs, add, allclose, bitwise_and, bitwise_or, bitwise_xor, check_bool_subtraction,
                          clamp, cos, div, eq, equal,
                          exp, floor_divide, ge, gt, isclose, isfinite, isnan, le, log, logical_not, lt, maximum,
                          method_bounds, method_exponent, minimum, mul, ne, neg, pow, reciprocal, rsqrt, sin, sqrt,
                          square, sub)
from .indexing import chunk, gather, getitem, masked_fill, nonzero, split, unbind, unique
from .inplace import _make_inplace, bernoulli_, copy_, fill_, normal_, setitem, uniform_, zero_
from .linalg import bmm, dot, matmul, mm, norm
from .promotion import _as_operand, _np_dtype_of_result
from .reduction import (all, amax, amin, any, argmax, argmin, argsort, count_nonzero, cumsum, max, mean, min,
                        prod, sort, std, sum, topk, var)
from .shape import (expand, flatten, flip, permute, repeat, reshape, squeeze, t, transpose, unflatten,
                    unsqueeze, view)


def _new_like(name):
    """Tensor.new_zeros / new_ones / new_empty: same dtype (and meta-ness) as self unless told."""
    make = getattr(_tensor, name)

    def method(self, *size, dtype=None, device=None, requires_grad=False):
        return make(*size, dtype=dtype if dtype is not None else self.dtype,
                    device="meta" if self._meta and device is None else device, requires_grad=requires_grad)
    method.__name__ = "new_" + name
    return method


def _new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
    return _tensor.full(size, fill_value, dtype=dtype if dtype is not None else self.dtype,
                device="meta" if self._meta and device is None else device, requires_grad=requires_grad)


def _new_tensor(self, data, dtype=None, device=None, requires_grad=False):
    return _tensor.tensor(data, dtype=dtype if dtype is not None else self.dtype, device=device, requires_grad=requires_grad)


def _new_legacy(self, *args):
    """The legacy ``x.new(...)``: sizes (ints or a torch.Size) give an uninitialised tensor, anything else is
    data; x's dtype either way."""
    if len(args) == 1 and not isinstance(args[0], (numbers.Integral, _tensor.Size)):
        return _tensor.tensor(args[0], dtype=self.dtype)
    return _tensor.empty(*(args or (0,)), dtype=self.dtype, device="meta" if self._meta else None)


def _reflected(fn):
    def method(self, other):
        return fn(other, self)
    return method


def _commuted(fn):
    """``2 * x`` as torch records it: the tensor is the first operand (next_functions lists it first) and
    the number the second; the value is the same, add and mul commute."""
    def method(self, other):
        return fn(self, other)
    return method


def _rsub(self, other):
    _check_number(other, "rsub")
    check_bool_subtraction(self, other)
    np_dtype = _np_dtype_of_result(self, other)
    return Rsub.apply(_as_operand(self, np_dtype), _as_operand(other, np_dtype))


def _rdiv(self, other):
    # torch computes other / self as self.reciprocal() * other
    return mul(reciprocal(self), other)


def _rmatmul(self, other):
    return matmul(other, self)


def _clamp_method(self, *args, **kwargs):
    return clamp(self, *method_bounds("clamp", args, kwargs))


_clamp_in_place = _make_inplace(clamp)


def _clamp_in_place_method(self, *args, **kwargs):   # the arguments parsed before any in-place check
    return _clamp_in_place(self, *method_bounds("clamp_", args, kwargs))


def _pow_method(self, *args, **kwargs):
    return pow(self, method_exponent("pow", args, kwargs))


_pow_in_place = _make_inplace(pow)


def _pow_in_place_method(self, *args, **kwargs):   # the arguments parsed before any in-place check
    return _pow_in_place(self, method_exponent("pow_", args, kwargs))


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


_METHODS = {
    "__add__": add, "__radd__": _commuted(add), "__sub__": sub, "__rsub__": _rsub, "__mul__": mul,
    "__rmul__": _commuted(mul), "__truediv__": div, "__rtruediv__": _rdiv, "__pow__": pow,
    "__rpow__": _reflected(pow), "__matmul__": matmul, "__rmatmul__": _rmatmul, "__neg__": neg,
    "__pos__": lambda self: self, "__abs__": abs, "__eq__": eq, "__ne__": ne, "__lt__": lt, "__le__": le,
    "__gt__": gt, "__ge__": ge, "__getitem__": getitem, "__setitem__": setitem,
    "__floordiv__": floor_divide, "__rfloordiv__": _reflected(floor_divide), "__mod__": remainder,
    "__rmod__": _reflected(remainder), "__and__": bitwise_and, "__or__": bitwise_or, "__xor__": bitwise_xor,
    "__rand__": bitwise_and, "__ror__": bitwise_or, "__rxor__": bitwise_xor,
    "__invert__": lambda self: logical_not(self) if self._data.dtype == np.bool_ else Tensor._make(~self._data),
    "add": add, "sub": sub, "mul": mul, "div": div, "pow": pow, "neg": neg, "matmul": matmul, "mm": mm, "bmm": bmm,
    "dot": dot, "exp": exp, "log": log, "sqrt": sqrt, "rsqrt": rsqrt,
    "abs": abs, "tanh": tanh, "sigmoid": sigmoid, "sin": sin,
    "cos": cos, "relu": relu, "erf": erf, "square": square, "reciprocal": reciprocal, "sum": sum, "mean": mean,
    "max": _max_method, "min": _min_method, "amax": amax, "amin": amin, "argmax": argmax, "argmin": argmin,
    "var": var, "std": std, "prod": prod, "cumsum": cumsum, "maximum": maximum, "minimum": minimum,
    "eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge, "equal": equal, "allclose": allclose,
    "isclose": isclose, "isnan": isnan, "isfinite": isfinite, "bitwise_and": bitwise_and,
    "bitwise_or": bitwise_or, "bitwise_xor": bitwise_xor, "all": all, "any": any, "logical_not": logical_not,
    "count_nonzero": count_nonzero,
    "view": view, "reshape": reshape, "flatten": flatten, "unflatten": unflatten, "permute": permute,
    "transpose": transpose, "t": t, "unsqueeze": unsqueeze,
    "squeeze": squeeze, "expand": expand, "expand_as": _expand_as, "view_as": _view_as,
    "reshape_as": _reshape_as, "repeat": repeat, "split": split, "chunk": chunk, "unbind": unbind,
    "masked_fill": masked_fill, "gather": gather, "topk": topk, "sort": sort, "argsort": argsort,
    "floor_divide": floor_divide, "softmax": softmax, "log_softmax": log_softmax,
    "zero_": zero_, "fill_": fill_, "copy_": copy_, "uniform_": uniform_, "normal_": normal_,
    "bernoulli_": bernoulli_, "masked_fill_": _make_inplace(masked_fill), "flip": flip, "norm": norm,
    "nonzero": nonzero, "unique": unique,
    "new_zeros": _new_like("zeros"), "new_ones": _new_like("ones"), "new_empty": _new_like("empty"),
    "new_full": _new_full,
    "new_tensor": _new_tensor, "new": _new_legacy,
}
# the ops of those modules that torch has as torch.* functions only
_TORCH_LEVEL_ONLY = {"bucketize", "searchsorted", "cdist", "dstack", "column_stack", "tensordot", "std_mean",
                     "var_mean", "logspace", "range", "scalar_tensor", "rsub", "combinations", "isin",
                     "is_floating_point", "is_nonzero", "is_same_size", "is_signed", "typename", "can_cast",
                     "unravel_index", "vander", "trapezoid", "trapz", "block_diag", "detach", "fill"}
_TABLES = {name: getattr(module, name) for module in (pointwise, binary) for name in module.__all__}
_METHODS.update(_TABLES)
_METHODS.update({name: getattr(module, name) for module in (rearrange, placement, order, products, composite, matrices)
                 for name in module.__all__ if name not in _TORCH_LEVEL_ONLY})
_METHODS.update(composite.TENSOR_ONLY)
_METHODS.update(matrices.TENSOR_ONLY)
_METHODS["outer"] = _METHODS["ger"] = outer  # torch.* only
for _name in ("add", "sub", "mul", "div", "eq", "ne", "lt", "le", "gt", "ge", "floor_divide", "bitwise_and",
              "bitwise_or", "bitwise_xor", "fmod", "remainder", *TENSOR_OPERAND_ONLY):
    _METHODS[_name] = parsed_method_operand(_name, _METHODS[_name])
for _name in ("add", "sub", "mul", "div", "pow", "neg", "exp", "log", "sqrt", "rsqrt", "abs", "tanh",
              "sigmoid", "sin", "cos", "relu", "erf", "square", "reciprocal", "round",
              "floor_divide", "eq", "ne", "lt", "le", "gt", "ge", "logical_not", "bitwise_and", "bitwise_or",
              "bitwise_xor", "tril", "triu", "cumprod", "cumsum", "index_copy", "addmm", "addmv", "addr",
              "baddbmm", "addbmm", *placement.__all__,
              *(name for name in _TABLES if name not in binary.NO_INPLACE)):
    _METHODS[_name + "_"] = _make_inplace(_METHODS[_name], _name + "_")
_METHODS["pow"], _METHODS["pow_"] = _pow_method, _pow_in_place_method
_METHODS["clamp"], _METHODS["clamp_"] = _clamp_method, _clamp_in_place_method
_METHODS["relu_"] = relu_   # written into x's memory directly, not computed aside and copied in
for _name in ("__iadd__", "__isub__", "__imul__", "__itruediv__", "__ipow__"):
    _METHODS[_name] = _make_inplace(_METHODS["__" + _name[3:]])
add_aliases(_METHODS, inplace=True)
# torch's binary operators answer NotImplemented to an operand they cannot take, so Python decides: t == "x"
# is False, t < "x" raises Python's own TypeError
_BINARY_OPERATORS = {"__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
                     "__rtruediv__", "__pow__", "__rpow__", "__matmul__", "__rmatmul__", "__eq__", "__ne__", "__lt__",
                     "__le__", "__gt__", "__ge__", "__floordiv__", "__rfloordiv__", "__mod__", "__rmod__", "__and__",
                     "__or__", "__xor__", "__rand__", "__ror__", "__rxor__", "__iadd__", "__isub__", "__imul__",
                     "__itruediv__", "__ipow__"}


def _not_implemented_on_type_error(operator):
    def method(self, other):
        try:
            return operator(self, other)
        except TypeError:
            return NotImplemented
    method.__name__ = method.__qualname__ = operator.__name__
    method.__code__ = method.__code__.replace(co_name=operator.__name__)   # frames name the op (see nn.parameter)
    return method


for _name, _fn in _METHODS.items():
    if _name in _BINARY_OPERATORS:
        _fn = _not_implemented_on_type_error(_fn)
    plain = _name.startswith("__") or isinstance(_fn, property)
    setattr(Tensor, _name, _fn if plain else accepting_numpy_names(_fn, _name))
