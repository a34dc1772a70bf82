"""torch's argument parser for a native op with several signatures (conv1d's padding as ints or as a str,
the upsample ops' output_size/scale_factors or per-dim scales), and the message it prints when none fits.

How torch picks (observed on torch 2.13, reproduced here):

1. Each signature in order takes the arguments if their count and keywords fit and every value passes the
   parser's type test (a list on its first element only). The first that takes them wins; its lists' other
   elements are then read from the last argument to the first ("failed to unpack" errors).
2. When none does and exactly one signature takes that many arguments, that signature's own error is
   raised ("argument 'x' (position k) must be ..."); otherwise the "invalid combination" TypeError below.

The invalid-combination text lists the given types ("got (Tensor, tuple, groups=float)", keywords in the
order of a C++ ``std::unordered_map<std::string, ...>`` of libstdc++, which torch iterates), each signature,
and for a signature taking as many arguments as were given, why it did not match. That explanation comes
from a second, simpler reading of the printed signature, which takes the last word of each parameter for
its name and the rest for its type: a parameter with a default ("int groups = 1") gets the name "1" and
never matches, and "Tensor" matches only an object whose type is named Tensor (not a Parameter). These
quirks are torch's and are kept, because the message is what a user compares.
"""
import functools

from .parsing import check_argument, fits, type_name

__all__ = ["Overload", "parse", "overloaded"]

_KINDS = {"Tensor": "Tensor", "tuple of ints": "ints", "int": "int", "float": "float", "bool": "bool",
          "str": "str", "tuple of floats": "floats", "Number": "number"}


class Overload:
    """One signature, written as torch prints it; a ``?`` after a type marks a parameter that also takes
    None although torch does not print it so ("tuple of floats? scale_factors")."""

    def __init__(self, text):
        self.text = text.replace("?", "")
        self.params = []   # (name, kind, has_default, keyword_only)
        keyword_only = False
        for part in text[1:-1].split(", "):
            if part == "*":
                keyword_only = True
                continue
            declared, _, default = part.partition(" = ")
            type_text, name = declared.rsplit(" ", 1)
            kind = _KINDS[type_text.rstrip("?")]
            if type_text.endswith("?") or default == "None":
                kind += "?"
            self.params.append((name, kind, bool(default), keyword_only))
        self.positional = sum(1 for p in self.params if not p[3])
        self.min_args = sum(1 for p in self.params if not p[2])
        self.max_args = len(self.params)
        self.quirk_params = [_quirk_reading(part) for part in self.text[1:-1].split(", ")]

    def bind(self, args, kwargs):
        """{name: value} of the given arguments, or None when their count or keywords do not fit."""
        if len(args) > self.positional:
            return None
        values = {name: value for (name, *_), value in zip(self.params, args)}
        names = {p[0] for p in self.params}
        for name, value in kwargs.items():
            if name not in names or name in values:
                return None
            values[name] = value
        if any(not has_default and name not in values for name, _, has_default, _ in self.params):
            return None
        return values

    def takes(self, args, kwargs):
        values = self.bind(args, kwargs)
        return values is not None and all(fits(kind, values[name]) for name, kind, *_ in self.params
                                          if name in values)

    def read(self, op, args, kwargs):
        """The reading after this signature won: the lists' later elements, last argument first."""
        for position, (name, kind, *_) in reversed(list(enumerate(self.params, start=1))):
            value = args[position - 1] if position <= len(args) else kwargs.get(name, None)
            if position <= len(args) or name in kwargs:
                check_argument(op, name, kind, value, position if position <= len(args) else None)

    def raise_own_error(self, op, args, kwargs):
        """The error this signature alone gives (torch raises it when no other signature is plausible)."""
        if len(args) > self.positional:
            raise TypeError(f"{op}() takes {_counted(self.min_args, self.positional)} but {len(args)} were given")
        for position, (name, kind, has_default, _) in enumerate(self.params, start=1):
            if position <= len(args):
                if not fits(kind, args[position - 1]):
                    check_argument(op, name, kind, args[position - 1], position)
            elif name in kwargs:
                if not fits(kind, kwargs[name]):
                    check_argument(op, name, kind, kwargs[name])
            elif not has_default:
                raise TypeError(f'{op}() missing 1 required positional arguments: "{name}"')
        names = {p[0] for p in self.params}
        for name in kwargs:
            if name not in names:
                raise TypeError(f"{op}() got an unexpected keyword argument '{name}'")
        self.read(op, args, kwargs)


def _counted(fewest, most):
    """Python's words for how many positional arguments a function takes."""
    if fewest == most:
        return f"{most} positional argument{'s' if most != 1 else ''}"
    return f"from {fewest} to {most} positional arguments"


def parse(op, overloads, args, kwargs):
    """Check ``args``/``kwargs`` as torch's parser for ``op`` would; returns the index of the signature
    that takes them, or raises torch's TypeError."""
    for index, overload in enumerate(overloads):
        if overload.takes(args, kwargs):
            overload.read(op, args, kwargs)
            return index
    count = len(args) + len(kwargs)
    plausible = [o for o in overloads if o.min_args <= count <= o.max_args]
    if len(plausible) == 1:
        plausible[0].raise_own_error(op, args, kwargs)
    raise TypeError(invalid_combination(op, overloads, args, kwargs))


def overloaded(op, *texts):
    """Decorator: the function parses its arguments as torch's native ``op`` with these signatures (in
    torch's order) does, before running."""
    signatures = tuple(Overload(text) for text in texts)

    def decorate(function):
        @functools.wraps(function)
        def parsed(*args, **kwargs):
            parse(op, signatures, args, kwargs)
            return function(*args, **kwargs)
        return parsed
    return decorate


# ------------------------------------------------------------------------------ the message


def invalid_combination(op, overloads, args, kwargs):
    keywords = unordered_map_order(list(kwargs))
    given = [type_name(a) for a in args] + [f"{k}={type_name(kwargs[k])}" for k in keywords]
    got = ", ".join(given) if args else "".join(f"{g}, " for g in given)
    lines = [f"{op}() received an invalid combination of arguments - got ({got}), but expected one of:"]
    for overload in overloads:
        lines.append(f" * {overload.text}")
        why = _why_not(overload.quirk_params, args, kwargs, keywords)
        if why:
            lines.append(f"      didn't match because {why}")
    return "\n".join(lines) + "\n"


def _quirk_reading(part):
    """(name, type) as torch's message code reads a printed parameter: the last word is the name."""
    words = part.split(" ")
    return words[-1], " ".join(words[:-1])


def _why_not(params, args, kwargs, keywords):
    expected = len(params) - (1 if any(n == "out" for n, _ in params) and "out" not in kwargs else 0)
    if len(args) + len(kwargs) != expected:
        return ""
    names = [name for name, _ in params]
    unknown = [k for k in keywords if k not in names]
    if unknown:
        return "some of the keywords were incorrect: " + ", ".join(unknown)
    positional = [_marked(_description(value), _quirk_matches(declared, value))
                  for (name, declared), value in zip(params, args)]
    keyword = [_marked(f"{name}={_description(kwargs[name])}", _quirk_matches(declared, kwargs[name]))
               for name, declared in params[len(args):] if name in kwargs]
    # as in the "got (...)" list: after positional arguments the keywords are joined, alone each ends in ", "
    described = ", ".join(positional + keyword) if positional else "".join(f"{k}, " for k in keyword)
    return "some of the arguments have invalid types: (" + described + ")"


def _marked(text, matches):
    return text if matches else f"!{text}!"


def _quirk_matches(declared, value):
    accepted = {"float": ("float", "int"), "int": ("int",)}.get(declared, (declared,))
    return type_name(value) in accepted


def _description(value):
    if isinstance(value, tuple):
        inner = ", ".join(type_name(v) for v in value)
        return f"tuple of ({inner}{',' if len(value) == 1 else ''})"
    if isinstance(value, list):
        return "list of [" + ", ".join(type_name(v) for v in value) + "]"
    return type_name(value)


# ------------------------------------------------------------------------------ libstdc++'s unordered_map


_MASK = (1 << 64) - 1
_MULTIPLIER = ((0xC6A4A793 << 32) + 0x5BD1E995) & _MASK


def _shift_mix(value):
    return value ^ (value >> 47)


def _string_hash(text, seed=0xC70F6907):
    """libstdc++'s std::hash<std::string> on 64-bit Linux (MurmurHash2, 64-bit variant)."""
    data = text.encode()
    result = (seed ^ (len(data) * _MULTIPLIER)) & _MASK
    whole = len(data) & ~7
    for start in range(0, whole, 8):
        word = int.from_bytes(data[start:start + 8], "little")
        result ^= (_shift_mix((word * _MULTIPLIER) & _MASK) * _MULTIPLIER) & _MASK
        result = (result * _MULTIPLIER) & _MASK
    if len(data) & 7:
        result ^= int.from_bytes(data[whole:], "little")
        result = (result * _MULTIPLIER) & _MASK
    return _shift_mix((_shift_mix(result) * _MULTIPLIER) & _MASK)


def unordered_map_order(keys, buckets=13):
    """The order a libstdc++ unordered_map iterates ``keys`` inserted in this order (up to 13 keys it keeps
    13 buckets): a key goes first in its bucket's run, a key of an empty bucket first in the list."""
    order = []
    for key in keys:
        bucket = _string_hash(key) % buckets
        at = next((i for i, k in enumerate(order) if _string_hash(k) % buckets == bucket), 0)
        order.insert(at, key)
    return order
