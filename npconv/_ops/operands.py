"""What torch's parser says when a binary op is given an operand that is neither a tensor nor a number
(``torch.eq(x, "a")``, ``x.add(None)``): the checks run only on that path, the common calls skip them.

torch's binary ops come in two families. Those with one signature per form name the argument
("add(): argument 'other' (position 2) must be Tensor, not str"; a method counts from its first argument
after self: position 1). Those with a Tensor and a Number overload print their signatures ("eq() received
an invalid combination of arguments"), whose texts are kept here as torch prints them.
"""
import builtins
import functools

from .._tensor import Tensor
from .arguments import is_tensor_or_number
from .overloads import Overload, parse

__all__ = ["TENSOR_OPERAND_ONLY", "is_operand", "must_be_tensor", "parsed_operands", "parsed_method_operand"]

_TENSOR_OR_NUMBER = ("(Tensor input, Tensor other, *, Tensor out = None)",
                     "(Tensor input, Number other, *, Tensor out = None)")
_OR_NUMBER_SELF = ("(Tensor input, Tensor other, *, Tensor out = None)", "(Number self, Tensor other)",
                   "(Tensor input, Number other, *, Tensor out = None)")
_NUMBER_WITHOUT_OUT = ("(Tensor input, Tensor other, *, Tensor out = None)", "(Tensor input, Number other)")
_DIV = ("(Tensor input, Tensor other, *, Tensor out = None)",
        "(Tensor input, Tensor other, *, str? rounding_mode, Tensor out = None)",
        "(Tensor input, Number other, *, str? rounding_mode)")
_METHOD = ("(Tensor other)", "(Number other)")
_DIV_METHOD = ("(Tensor other)", "(Tensor other, *, str? rounding_mode)", "(Number other, *, str? rounding_mode)")

# the ops with overloads: (torch.* signatures, Tensor method signatures), as torch prints them
_FAMILIES = ((("eq", "ne", "lt", "le", "gt", "ge", "fmod"), _TENSOR_OR_NUMBER, _METHOD),
             (("remainder", "bitwise_and", "bitwise_or", "bitwise_xor"), _OR_NUMBER_SELF, _METHOD),
             (("floor_divide",), _NUMBER_WITHOUT_OUT, _METHOD),
             (("div",), _DIV, _DIV_METHOD))
_SIGNATURES = {op: tuple(tuple(Overload(text) for text in texts) for texts in forms)
               for ops, *forms in _FAMILIES for op in ops}


# ops whose other operand must be a tensor (no Number overload)
TENSOR_OPERAND_ONLY = frozenset({"maximum", "minimum", "atan2", "hypot", "logaddexp", "logaddexp2", "fmax", "fmin",
                         "logical_and", "logical_or", "logical_xor"})


def is_operand(value, op=None):
    """Whether ``op`` takes ``value`` as an operand: a tensor, or (unless it is tensor-only) a number."""
    if op in TENSOR_OPERAND_ONLY:
        return isinstance(value, Tensor)
    return is_tensor_or_number(value)


def must_be_tensor(op, name, position, value):
    """torch's TypeError for one argument (``position`` None: it was given by keyword)."""
    where = "" if position is None else f" (position {position})"
    return TypeError(f"{op}(): argument '{name}'{where} must be Tensor, not {type(value).__name__}")


def _operands(args, kwargs, names):
    """[(name, position or None, value)] of the operands given, by position or keyword."""
    given = [(name, position, value) for position, (name, value) in enumerate(zip(names, args), start=1)]
    return given + [(name, None, kwargs[name]) for name in names[len(args):] if name in kwargs]


def _refuse(op, form, args, kwargs, names):
    """torch's TypeError for ``op``'s arguments in ``form`` (0: torch.op, 1: the Tensor method)."""
    if op in _SIGNATURES:
        parse(op, _SIGNATURES[op][form], args, kwargs)
    for name, position, value in _operands(args, kwargs, names):
        if not is_operand(value, op):
            raise must_be_tensor(op, name, position, value)


def parsed_operands(op):
    """Decorator of ``op(input, other, ...)``: torch's TypeError when an operand is not one ``op`` takes."""
    def decorate(function):
        @functools.wraps(function)
        def checked(*args, **kwargs):
            operands = args[:2] + tuple(kwargs[name] for name in ("input", "other")[len(args):] if name in kwargs)
            if len(args) > 2 or not builtins.all(is_operand(value, op) for value in operands):
                _refuse(op, 0, args, kwargs, ("input", "other"))
            return function(*args, **kwargs)
        return checked
    return decorate


def parsed_method_operand(op, method):
    """The Tensor method ``self.op(other, ...)`` with the method form's TypeError for a bad ``other``."""
    @functools.wraps(method)
    def checked(self, *args, **kwargs):
        if len(args) > 1 or (args or "other" in kwargs) and not is_operand(args[0] if args else kwargs["other"], op):
            _refuse(op, 1, args, kwargs, ("other",))
            raise TypeError(f"{op}() takes 1 positional argument but {len(args)} were given")
        return method(self, *args, **kwargs)
    return checked
