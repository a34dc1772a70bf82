"""torch's argument-parser rules for native ops (npconv.nn.functional's, and Tensor methods' such as fill_).

torch checks the Python types of a native op's arguments before the op runs, in signature order, and
names the first bad one: "avg_pool2d(): argument 'ceil_mode' (position 5) must be bool, not NoneType".
The position appears only when the argument was passed positionally. Kinds used here:

- ``"ints"``: an int (never a bool) or a tuple/list of ints; the first element may not be a bool, later
  ones may (torch reads them as ints); a bad first element is named only for an argument passed by
  position; a one-element integer Tensor or a NumPy integer counts as an int.
- ``"ints?"``: the same, or None.
- ``"int_list"``: as ``"ints"`` but a list only (an int[] of no fixed size, such as pad's, takes no scalar).
- ``"bool"``: exactly a Python bool.
- ``"int?"``: an int (not a bool) or None.
- ``"float"``: a real Python or NumPy number (bools too) or a 0-d Tensor that needs no gradient; ``"float?"``
  or None.
- ``"number"``: a Python or NumPy number, a bool, or a 0-d Tensor (torch's Scalar).
- ``"floats"``: a tuple/list of numbers (not bools) or 0-d Tensors; ``"floats?"`` or None.
- ``"str"``: exactly a Python str.
- ``"dtype"``: a dtype (``"dtype?"`` or None).
- ``"Tensor?"``: a Tensor or None.
"""

import functools
import inspect
import numbers

import numpy as np

from .. import _shapes
from .._dtype import dtype
from .._tensor import Tensor


def type_name(value):
    """The type name torch's messages print: builtins and Python classes bare, NumPy's as numpy.X."""
    kind = type(value)
    return f"numpy.{kind.__name__}" if kind.__module__ == "numpy" else kind.__name__


def is_int(value):
    """An int the parser takes for an int argument: Python/NumPy ints and int 0-d Tensors, never bools."""
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, Tensor):   # torch reads a one-element integer Tensor as its value
        return value.numel() == 1 and not value.dtype.is_floating_point and value.dtype.name not in (
            "bool", "complex64", "complex128")
    return isinstance(value, (int, np.integer))


def _argument(op, name, position):
    where = f" (position {position})" if position is not None else ""
    return f"{op}(): argument '{name}'{where}"


def _check_ints(value, head):
    error = _shapes.int_list_error(head, value, is_int)
    if error is not None:
        raise error


def _plain_int(value):
    return type(value) is int


def _plain_int_list(value):
    return (type(value) is tuple or type(value) is list) and all(type(item) is int for item in value)


def _plain_ints(value):
    return type(value) is int or _plain_int_list(value)


def _plain_float(value):
    return type(value) is float or type(value) is int


# The everyday values of each kind, recognised by exact type before the full rules run: a model's forward
# passes these hundreds of times per call, and every rule below accepts them.
_PLAIN = {"ints": _plain_ints, "int_list": _plain_int_list, "int": _plain_int, "float": _plain_float,
          "bool": lambda value: type(value) is bool, "str": lambda value: type(value) is str,
          "Tensor": lambda value: isinstance(value, Tensor)}
_PLAIN.update({kind + "?": lambda value, plain=plain: value is None or plain(value) for kind, plain in _PLAIN.items()})


def is_plainly(kind, value):
    """Whether ``value`` is an everyday valid value of ``kind`` (a Python int, a tuple of them...)."""
    plain = _PLAIN.get(kind)
    return plain is not None and plain(value)


def check_argument(op, name, kind, value, position=None):
    """Raise torch's TypeError when ``value`` does not fit ``kind`` (see the module docstring)."""
    if is_plainly(kind, value) or kind.endswith("?") and value is None:
        return
    head = _argument(op, name, position)
    base = kind.rstrip("?")
    if base == "ints":
        _check_ints(value, head)
    elif base == "int_list" and not isinstance(value, (tuple, list)):
        raise TypeError(f"{head} must be tuple of ints, not {type_name(value)}")
    elif base == "int_list":
        _check_ints(value, head)
    elif base == "bool" and not isinstance(value, bool):
        raise TypeError(f"{head} must be bool, not {type_name(value)}")
    elif base == "int" and not is_int(value):
        raise TypeError(f"{head} must be int, not {type_name(value)}")
    elif base == "float" and not (isinstance(value, (numbers.Real, np.number)) or (
            isinstance(value, Tensor) and value.dim() == 0 and not value.requires_grad)):
        raise TypeError(f"{head} must be float, not {type_name(value)}")
    elif base == "number" and not is_number(value):
        raise TypeError(f"{head} must be Number, not {type_name(value)}")
    elif base == "dtype" and not isinstance(value, dtype):
        raise TypeError(f"{head} must be torch.dtype, not {type_name(value)}")
    elif base == "floats":
        _check_floats(value, head)
    elif base == "str" and not isinstance(value, str):
        raise TypeError(f"{head} must be str, not {type_name(value)}")
    elif base == "Tensor" and not isinstance(value, Tensor):
        raise TypeError(f"{head} must be Tensor, not {type_name(value)}")


def _check_floats(value, head):
    """torch's errors for a ``float[]`` argument: not a sequence, or an element that is not a number."""
    if not isinstance(value, (tuple, list)):
        raise TypeError(f"{head} must be tuple of floats, not {type_name(value)}")
    for index, item in enumerate(value):
        if is_number(item) and not isinstance(item, Tensor) or index and isinstance(item, Tensor) and (
                item.numel() == 1):
            continue
        if index == 0 and "(position" not in head:
            raise TypeError(f"{head} must be tuple of floats, not {type_name(value)}")
        if index:   # read after the signature was chosen: torch names no position, counts from 1
            raise TypeError(f"{head.split(' (position')[0]} must be tuple of floats, but found element of type "
                            f"{type_name(item)} at pos {index + 1}")
        raise TypeError(f"{head} must be tuple of floats, but found element of type {type_name(item)} at pos 0")


def is_number(value):
    """What torch's parser takes for a Scalar: Python/NumPy numbers and bools, 0-d Tensors."""
    if isinstance(value, Tensor):
        return value.dim() == 0
    return isinstance(value, (numbers.Number, np.number, np.bool_))


def check_arguments(op, kinds, values, positional):
    """Check ``values`` (a mapping by name) against ``kinds`` ((name, kind, position) triples in signature
    order, positions counted from 1). ``positional`` is how many arguments the caller passed by position.

    torch's parser looks at a list's first element only while it picks the signature; the other elements
    are read afterwards, when the op takes its arguments (C++ evaluates them from the last to the first),
    so a bad later element is reported after every other type check and for the last such list."""
    given = [(name, kind, position if position <= positional else None) for name, kind, position in kinds
             if name in values]
    for name, kind, position in given:
        if not fits(kind, values[name]):
            check_argument(op, name, kind, values[name], position)
    for name, kind, position in reversed(given):
        check_argument(op, name, kind, values[name], position)


def fits(kind, value):
    """Whether torch's parser takes ``value`` for an argument of ``kind`` while choosing a signature: a
    list passes on its first element (the others are checked when read)."""
    if is_plainly(kind, value) or kind.endswith("?") and value is None:
        return True
    base = kind.rstrip("?")
    if base in ("ints", "int_list", "floats") and isinstance(value, (tuple, list)):
        if not value:
            return True
        first = value[0]
        return is_int(first) if base != "floats" else is_number(first) and not isinstance(first, Tensor)
    if base in ("floats", "int_list"):
        return False
    try:
        check_argument("", "", kind, value)
    except TypeError:
        return False
    return True


def native(op, **kinds):
    """Decorator: the function checks its arguments as torch's native ``op`` does, before running.
    ``kinds`` name the checked parameters in signature order (the first parameter is the input)."""
    def decorate(function):
        signature = inspect.signature(function)
        order = [(name, kinds[name], position) for position, name in enumerate(signature.parameters, start=1)
                 if name in kinds]
        by_position = [kinds.get(name) for name in signature.parameters]

        def plain(args, kwargs):
            """Every checked argument an everyday value (a model's forward passes only these): no binding."""
            return len(args) <= len(by_position) and all(
                kind is None or is_plainly(kind, value) for kind, value in zip(by_position, args)) and all(
                kinds.get(name) is None or is_plainly(kinds[name], value) for name, value in kwargs.items())

        @functools.wraps(function)
        def checked(*args, **kwargs):
            if plain(args, kwargs):
                return function(*args, **kwargs)
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError:  # Python's own message (missing or unexpected argument)
                return function(*args, **kwargs)
            check_arguments(op, order, bound.arguments, len(args))
            return function(*args, **kwargs)
        return checked
    return decorate

