"""``npconv run script.py [args]``: run an unmodified PyTorch script on npconv.

Inside ``torch_resolves_to_npconv()`` every ``import torch``, ``import torch.nn as nn``,
``from torch.utils.data import DataLoader``, ``import torchvision.transforms as T``... gives npconv's module:
a finder at the front of ``sys.meta_path`` maps ``torch[.X.Y]`` to ``npconv[.X.Y]`` and
``torchvision[.X]`` to ``npconv.vision[.X]``. Outside it, nothing is aliased (a real torch, if installed,
is untouched and comes back afterwards). ``run_script`` executes a file as ``python script.py`` would:
``__name__ == "__main__"``, ``sys.argv``, the script's directory first on ``sys.path``, and a traceback
that starts at the script's own frames.

    from npconv.run import torch_resolves_to_npconv
    with torch_resolves_to_npconv():
        module = importlib.import_module("my_model")   # its "import torch" is npconv
"""
import contextlib
import importlib
import importlib.abc
import importlib.util
import os
import sys
import traceback
import types

__all__ = ["torch_resolves_to_npconv", "npconv_name_of", "run_script", "add_arguments", "run"]

# alias prefix -> npconv prefix; the first that matches a module name wins
ALIASES = (("torchvision", "npconv.vision"), ("torch", "npconv"))


def npconv_name_of(name):
    """The npconv module standing for ``name`` (``"torch.nn.functional"`` -> ``"npconv.nn.functional"``),
    or None when ``name`` is not under torch or torchvision."""
    for alias, target in ALIASES:
        if name == alias or name.startswith(alias + "."):
            return target + name[len(alias):]
    return None


class _AliasLoader(importlib.abc.Loader):
    """Hands the import system an npconv module that is already loaded."""

    def __init__(self, module):
        self.module = module

    def create_module(self, spec):
        return self.module

    def exec_module(self, module):
        """Nothing to run: the npconv module was executed when it was imported under its own name."""


class _TorchToNpconvFinder(importlib.abc.MetaPathFinder):
    """Finds ``torch.*`` / ``torchvision.*`` as the npconv module of the same path."""

    def find_spec(self, fullname, path=None, target=None):
        target_name = npconv_name_of(fullname)
        if target_name is None:
            return None
        try:
            module = importlib.import_module(target_name)
        except ModuleNotFoundError as error:
            if error.name is None or not target_name.startswith(error.name):
                raise  # a module npconv itself needs is missing: that error, unchanged
            _raise_if_a_torch_feature(fullname)
            raise ModuleNotFoundError(f"No module named '{fullname}' (npconv run: {fullname} would be "
                                      f"{target_name}, which npconv does not have)", name=fullname) from None
        _alias_loaded_submodules(fullname, target_name)
        return importlib.util.spec_from_loader(fullname, _AliasLoader(module))


def _raise_if_a_torch_feature(fullname):
    """``import torch.onnx`` and the like: the NotImplementedError naming the feature, as ``torch.onnx``."""
    from ._torch_api import TorchFeatureNotImplemented, missing
    namespace, _, name = fullname.rpartition(".")
    error = missing(namespace, name) if namespace else None
    if isinstance(error, TorchFeatureNotImplemented):
        raise error from None


def _alias_loaded_submodules(alias, target_name):
    """Alias the target's submodules already in ``sys.modules``: some are registered there without a
    package path (``npconv.backends.cudnn``), and Python finds ``torch.backends.cudnn`` only in sys.modules."""
    prefix = target_name + "."
    for name, module in list(sys.modules.items()):
        if name.startswith(prefix):
            sys.modules.setdefault(alias + "." + name[len(prefix):], module)


def _aliased(name):
    return npconv_name_of(name) is not None


@contextlib.contextmanager
def torch_resolves_to_npconv():
    """While active, ``torch`` and ``torchvision`` (and every submodule) import as npconv's modules.

    Modules of a real torch already imported are set aside and restored on exit, with the aliases removed.
    """
    set_aside = {name: module for name, module in sys.modules.items() if _aliased(name)}
    for name in set_aside:
        del sys.modules[name]
    finder = _TorchToNpconvFinder()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        for name in [name for name in sys.modules if _aliased(name)]:
            del sys.modules[name]
        sys.modules.update(set_aside)


def run_script(path, args=()):
    """Run the Python file ``path`` with ``sys.argv == [path, *args]`` as ``__main__``, torch resolving to
    npconv. Returns the exit status (0, or 1 after printing the traceback of an uncaught exception, as
    python does); ``SystemExit`` from the script propagates, carrying its own status."""
    path = os.fspath(path)
    absolute = os.path.abspath(path)   # python gives the script its absolute path as __file__ and in tracebacks
    with open(path, "rb") as source_file:
        code = compile(source_file.read(), absolute, "exec")
    main = types.ModuleType("__main__")
    main.__dict__.update(__file__=absolute, __builtins__=__builtins__, __spec__=None, __loader__=None,
                         __cached__=None)
    saved = sys.argv, sys.path[0] if sys.path else None, sys.modules.get("__main__")
    sys.argv = [path, *args]
    sys.path[:1] = [os.path.dirname(os.path.abspath(path))]
    sys.modules["__main__"] = main
    try:
        with torch_resolves_to_npconv():
            exec(code, main.__dict__)
    except SystemExit:
        raise
    except BaseException as error:  # noqa: BLE001 - reported as python reports it, then status 1
        _print_script_traceback(error, path)
        return 1
    finally:
        sys.argv = saved[0]
        sys.path[:1] = [saved[1]] if saved[1] is not None else []
        if saved[2] is not None:
            sys.modules["__main__"] = saved[2]
    return 0


def _print_script_traceback(error, path):
    """The traceback python would print: from the script's first frame on (this module's frames left out)."""
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != path:
        tb = tb.tb_next
    traceback.print_exception(type(error), error, tb or error.__traceback__)
    sys.stderr.flush()


def add_arguments(parser):
    """The arguments of ``npconv run``: the script, then everything after it for the script."""
    import argparse
    parser.add_argument("script", help="a Python file whose 'import torch' / 'import torchvision' should be npconv")
    parser.add_argument("script_args", nargs=argparse.REMAINDER, help="arguments passed to the script (sys.argv[1:])")


def run(args):
    """``npconv run``: run ``args.script`` with ``args.script_args``; the script's exit status."""
    if not os.path.isfile(args.script):
        print(f"npconv run: can't open file '{os.path.abspath(args.script)}': [Errno 2] No such file or directory",
              file=sys.stderr)
        return 2
    return run_script(args.script, args.script_args)
