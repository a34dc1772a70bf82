"""``torch.serialization``: ``load``/``save`` and the classes a whole-model checkpoint may rebuild (see
npconv/io/classes.py)."""
from .io import load, save
from .io.classes import add_safe_globals, clear_safe_globals, get_safe_globals, safe_globals

__all__ = ["load", "save", "add_safe_globals", "get_safe_globals", "clear_safe_globals", "safe_globals"]
