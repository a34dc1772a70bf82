"""``torch.nn.modules.utils``: the argument helpers custom layers import from torch (``_pair`` and kin)."""
import collections.abc

from ... import _shapes

__all__ = []   # private names, as torch's: imported by name (from torch.nn.modules.utils import _pair)


def _ntuple(n, name="parse"):
    """A parser that repeats a single value ``n`` times and passes an iterable through as a tuple."""
    def parse(x):
        return _shapes.ntuple(x, n)
    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")
_quadruple = _ntuple(4, "_quadruple")


def _reverse_repeat_tuple(t, n):
    """Each element of ``t`` repeated ``n`` times, last element first: conv padding in F.pad's order."""
    return tuple(x for x in reversed(t) for _ in range(n))


def _list_with_default(out_size, defaults):
    """An adaptive pooling size with ``None`` entries taken from ``defaults`` (the input's sizes)."""
    if isinstance(out_size, int):
        return out_size
    if len(defaults) <= len(out_size):
        raise ValueError(f"Input dimension should be at least {len(out_size) + 1}")
    return [v if v is not None else d for v, d in zip(out_size, defaults[-len(out_size):])]


def consume_prefix_in_state_dict_if_present(state_dict, prefix):
    """Strip ``prefix`` from the keys of ``state_dict`` (and its metadata) in place, as after DataParallel."""
    for key in sorted(state_dict.keys()):
        if key.startswith(prefix):
            state_dict[key[len(prefix):]] = state_dict.pop(key)
    metadata = getattr(state_dict, "_metadata", None)
    if isinstance(metadata, collections.abc.MutableMapping):
        for key in list(metadata.keys()):
            if key == "" or not key.startswith(prefix.rstrip(".")):
                continue
            metadata[key[len(prefix):] if key.startswith(prefix) else ""] = metadata.pop(key)


def _init_as(init, owner):
    """``init`` as the ``__init__`` of class ``owner``: Python names a function's qualified name in its
    argument errors ("Conv1d.__init__() got an unexpected keyword argument"), and torch's layer classes
    define their own ``__init__`` where npconv's share a base class's."""
    import types
    code = init.__code__
    if hasattr(code, "co_qualname"):   # Python >= 3.11 prints co_qualname
        code = code.replace(co_qualname=f"{owner}.__init__")
    clone = types.FunctionType(code, init.__globals__, "__init__", init.__defaults__, init.__closure__)
    clone.__kwdefaults__ = init.__kwdefaults__
    clone.__qualname__ = f"{owner}.__init__"
    clone.__doc__ = init.__doc__
    clone.__wrapped__ = init   # inspect.signature follows it
    return clone
