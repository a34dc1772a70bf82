"""Which classes a whole-object checkpoint (``torch.save(model, path)``) may rebuild.

npconv never imports what a file names. A class is found only among what npconv already has: the classes
the user allowed (``torch.serialization.add_safe_globals`` / ``safe_globals``), and, when the user loads
with ``weights_only=False``, every layer class, npconv's own (a torch path such as
``torch.nn.modules.conv.Conv2d`` means npconv's Conv2d) or the program's own (``__main__.Net``, already
defined). Unpickling makes the instance without calling ``__init__`` and gives it the saved attributes.
"""
import importlib
import sys
import threading

__all__ = ["add_safe_globals", "get_safe_globals", "clear_safe_globals", "safe_globals", "object_class_finder"]

_lock = threading.Lock()
_safe = []


def add_safe_globals(safe_globals):
    """Allow these classes (or ``(class, "module.name")`` pairs) in checkpoints loaded with weights_only."""
    with _lock:
        _safe.extend(safe_globals)


def get_safe_globals():
    with _lock:
        return list(_safe)


def clear_safe_globals():
    with _lock:
        _safe.clear()


class safe_globals:
    """``with torch.serialization.safe_globals([Net]): torch.load(path)``: allowed inside the block only."""

    def __init__(self, safe_globals):
        self.safe_globals = list(safe_globals)

    def __enter__(self):
        with _lock:
            self._saved = list(_safe)
            _safe.extend(self.safe_globals)

    def __exit__(self, *exc):
        with _lock:
            _safe[:] = self._saved


def _npconv_module_name(module):
    """``torch.nn.modules.conv`` -> ``npconv.nn.modules.conv`` (files npconv names as torch does)."""
    return "npconv" + module[len("torch"):] if module == "torch" or module.startswith("torch.") else module


def _allowed_by_user():
    """{(module, qualname): class} of the safe globals, under npconv's and torch's module names."""
    allowed = {}
    for entry in get_safe_globals():
        cls, name = entry if isinstance(entry, tuple) else (entry, None)
        module, qualname = name.rpartition(".")[::2] if name else (cls.__module__, cls.__qualname__)
        allowed[(_npconv_module_name(module), qualname)] = cls
    return allowed


def _existing_class(module, qualname):
    """The class ``module.qualname`` if npconv or the running program already has it (nothing imported
    but npconv's own modules)."""
    if module.split(".")[0] == "npconv":
        try:
            found = importlib.import_module(module)
        except ImportError:
            return None
    else:
        found = sys.modules.get(module)
    for part in qualname.split("."):
        found = getattr(found, part, None)
    return found if isinstance(found, type) else None


def object_class_finder(weights_only):
    """``find(module, name)`` for the unpickler: the class a checkpoint may rebuild, or None."""
    from ..nn import Module
    allowed = _allowed_by_user()

    def find(module, name):
        if not (isinstance(module, str) and isinstance(name, str)):
            return None
        key = (_npconv_module_name(module), name)
        if key in allowed:
            return allowed[key]
        if weights_only:
            return None
        cls = _existing_class(*key)
        return cls if cls is not None and issubclass(cls, Module) else None
    return find
