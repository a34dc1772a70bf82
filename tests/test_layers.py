"""DESIGN.md's layers, checked: every import in npconv/ goes to its own layer or a lower one.

Every import is parsed (ast), wherever it stands: module level or lazy inside a function, absolute or
relative, ``from x import y`` (y a submodule or an object), and the dynamic forms ``importlib.import_module``,
``__import__`` and ``sys.modules[...]`` / ``sys.modules.get(...)`` with a constant name.

The package root ``npconv`` re-exports the whole library, as ``torch`` does, and lower modules reach the core
through it the torch way (``import npconv`` then ``npconv.from_numpy(...)``, or ``from npconv import int64``).
Such a use counts as an import of the module that defines the object used (``npconv.from_numpy`` is
``npconv._tensor``'s), found by following every ``npconv.<name>`` of the importing scope; a bare use of the
root itself (passing the package around, ``getattr(npconv, name)``) counts as an import of the root, which
sits at the top with the command line.
"""
import ast
import inspect
import pathlib
import types

import pytest

import npconv

PACKAGE = pathlib.Path(npconv.__file__).parent

# DESIGN.md's table, bottom to top. A module belongs to the layer of the longest name listed here that is
# the module itself or a package holding it (``npconv`` alone matches only the root's __init__).
LAYERS = [
    ("leaf", ["npconv._shapes", "npconv._dtype", "npconv._memory", "npconv._torch_api"]),
    ("kernels", ["npconv.kernels"]),
    ("core", ["npconv._tensor", "npconv._creation", "npconv.autograd", "npconv._ops", "npconv.random",
              "npconv._graph_backward", "npconv._tensor_str", "npconv._settings", "npconv.linalg", "npconv._gradcheck",
              "npconv._observe", "npconv.cuda", "npconv.mps", "npconv.accelerator", "npconv.backends"]),
    ("nn.functional", ["npconv.nn.functional"]),
    ("nn.modules", ["npconv.nn", "npconv.nn.modules", "npconv.nn.parameter", "npconv.nn.init",
                    "npconv.nn.utils"]),
    ("io, data, optim", ["npconv.io", "npconv.data", "npconv.utils", "npconv.optim", "npconv.serialization"]),
    ("arithmetic, parallel", ["npconv.arithmetic", "npconv.parallel"]),
    ("explain, models, vision", ["npconv.explain", "npconv.models", "npconv.vision"]),
    # the package root re-exports every layer (npconv.explore() included), as torch's does; the subcommands
    # ``npconv summary`` and ``npconv explain`` live beside what they present
    ("top: the package root and the command line", ["npconv", "npconv.cli", "npconv.bench", "npconv.explore",
                                                    "npconv.arithmetic.cli", "npconv.explain.cli", "npconv.run",
                                                    "npconv.__main__", "npconv.functional"]),
]

# Imports that run upward on purpose: (importing module, imported module) -> why.
EXCEPTIONS = {
    ("npconv.explain.forward", "npconv"):
        "explain runs one layer in a library chosen at run time, npconv or torch, used as the same namespace "
        "(backend.nn, backend.tensor): it hands the package itself around, as it hands torch",
}


def layer_of(module):
    """Index in LAYERS of ``module``'s layer, or None when the table does not place it."""
    best, best_length = None, -1
    for index, (_, names) in enumerate(LAYERS):
        for name in names:
            contains = module == name or (name != "npconv" and module.startswith(name + "."))
            if contains and len(name) > best_length:
                best, best_length = index, len(name)
    return best


def package_modules():
    """Every module of npconv: dotted name -> file."""
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = ("npconv",) + path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


MODULES = package_modules()


MODULE_OF_FILE = {path.resolve(): name for name, path in MODULES.items()}


def _defining_module(obj):
    """The npconv module whose file defines ``obj`` (a function or class; ``__module__`` may be set to
    "npconv" for torch-like reprs, the source file tells the truth), or None."""
    try:
        path = inspect.getsourcefile(obj)
    except TypeError:
        return None
    return MODULE_OF_FILE.get(pathlib.Path(path).resolve()) if path else None


def home_of(name):
    """The module that defines ``npconv.<name>`` (a submodule: itself; else where the object or its class was
    defined); the root itself for anything else (``__version__``)."""
    obj = getattr(npconv, name, None)
    if isinstance(obj, types.ModuleType):
        return obj.__name__
    return _defining_module(obj) or _defining_module(type(obj)) or "npconv"


def resolve_chain(parts):
    """``npconv.a.b.c`` as used in code -> the deepest module it names, or the home of what the root holds."""
    for length in range(len(parts), 0, -1):
        prefix = ".".join(parts[:length])
        if prefix in MODULES:
            if prefix == "npconv" and len(parts) > 1:
                return home_of(parts[1])
            return prefix
    return "npconv"


def _absolute(node, module, is_package):
    """The module a ``from ... import`` statement names, relative levels resolved."""
    if not node.level:
        return node.module
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[:len(base) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _scope_nodes(scope):
    """The nodes of one scope: everything below ``scope`` except the bodies of nested functions/lambdas."""
    stack = list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))


def _nested_scopes(scope):
    return [node for node in _scope_nodes(scope)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))]


def _dynamic_target(node):
    """``importlib.import_module("npconv.x")``, ``__import__(...)``, ``sys.modules.get(...)`` -> "npconv.x"."""
    if isinstance(node, ast.Subscript) and ast.unparse(node.value) == "sys.modules":
        key = node.slice
    elif isinstance(node, ast.Call) and node.args and (
            ast.unparse(node.func) in ("importlib.import_module", "import_module", "__import__")
            or ast.unparse(node.func) == "sys.modules.get"):
        key = node.args[0]
    else:
        return None
    if isinstance(key, ast.Constant) and isinstance(key.value, str) and key.value.split(".")[0] == "npconv":
        return key.value
    return None


def _imports_of_scope(scope, module, is_package, roots):
    """(line, imported module) of one scope; ``roots`` are the names bound to the package root outside it."""
    found, local_roots, rebound = [], set(), set()
    for node in _scope_nodes(scope):
        if isinstance(node, ast.Import):
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                if alias.name.split(".")[0] != "npconv":
                    rebound.add(bound)
                    continue
                if alias.asname is None or alias.name == "npconv":
                    local_roots.add(bound)       # binds the root: what it uses is followed below
                if alias.name != "npconv":
                    found.append((node.lineno, alias.name))
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(node, module, is_package)
            for alias in node.names:
                rebound.add(alias.asname or alias.name)
                if source.split(".")[0] != "npconv":
                    continue
                submodule = f"{source}.{alias.name}"
                if submodule in MODULES:
                    found.append((node.lineno, submodule))
                elif source == "npconv":
                    found.append((node.lineno, home_of(alias.name)))
                else:
                    found.append((node.lineno, source))
        else:
            target = _dynamic_target(node)
            if target is not None:
                found.append((node.lineno, target))
    roots = (set(roots) - rebound) | local_roots
    found += _root_uses(scope, roots)
    for nested in _nested_scopes(scope):
        found += _imports_of_scope(nested, module, is_package, roots)
    return found


def _root_uses(scope, roots):
    """Every ``root.a.b`` of this scope (outermost attribute chains only), and bare uses of a root name."""
    found, inner = [], set()
    nodes = list(_scope_nodes(scope))
    for node in nodes:
        if isinstance(node, ast.Attribute):
            inner.add(id(node.value))
    for node in nodes:
        if isinstance(node, ast.Attribute) and id(node) not in inner:
            parts, base = [], node
            while isinstance(base, ast.Attribute):
                parts.append(base.attr)
                base = base.value
            if isinstance(base, ast.Name) and base.id in roots:
                found.append((node.lineno, resolve_chain(["npconv"] + parts[::-1])))
        elif (isinstance(node, ast.Name) and node.id in roots and isinstance(node.ctx, ast.Load)
              and id(node) not in inner):
            found.append((node.lineno, "npconv"))
    return found


def imports_of(module, source):
    """(line, imported npconv module) for every import of ``module``'s source text, lazy ones included."""
    is_package = MODULES.get(module, pathlib.Path()).name == "__init__.py"
    found = _imports_of_scope(ast.parse(source), module, is_package, roots=set())
    return sorted({(line, target) for line, target in found if target != module})


def upward_imports():
    """{(importer, imported): first line} for every import of npconv/ that runs to a higher layer."""
    upward = {}
    for module, path in MODULES.items():
        for line, target in imports_of(module, path.read_text()):
            if layer_of(target) is not None and layer_of(target) > layer_of(module):
                upward.setdefault((module, target), line)
    return upward


def describe(pairs):
    return "\n".join(f"  {importer} ({LAYERS[layer_of(importer)][0]}) imports {imported} "
                     f"({LAYERS[layer_of(imported)][0]}) at line {line}"
                     for (importer, imported), line in sorted(pairs.items()))


def test_every_module_has_a_layer():
    unplaced = [module for module in MODULES if layer_of(module) is None]
    assert not unplaced, f"modules DESIGN.md's table (LAYERS here) does not place: {unplaced}"


def test_no_import_runs_upward():
    upward = {pair: line for pair, line in upward_imports().items() if pair not in EXCEPTIONS}
    assert not upward, "imports from a higher layer (DESIGN.md):\n" + describe(upward)


def test_every_exception_is_still_needed():
    stale = sorted(set(EXCEPTIONS) - set(upward_imports()))
    assert not stale, f"listed exceptions that no import needs any more (remove them): {stale}"


# ------------------------------------------------------------------- the parser on worked examples

EXAMPLE = '''
import numpy as np
import npconv
from . import im2col
from .. import _dtype
from npconv import int64, nn

def lazy():
    from ..arithmetic import sizes
    import npconv.nn.functional as F
    backends = importlib.import_module("npconv.backends")
    return sys.modules.get("npconv.parallel"), __import__("npconv.models")

def uses():
    return npconv.from_numpy(x), npconv.nn.functional.relu, npconv.kernels.im2col.conv_forward

def shadowed():
    import torch as npconv
    return npconv.from_numpy

def passes_the_root():
    return getattr(npconv, "zeros")
'''


def test_parser_finds_every_form_of_import():
    found = {target for _, target in imports_of("npconv.kernels.geometry", EXAMPLE)}
    assert found == {"npconv.kernels.im2col", "npconv._dtype", "npconv.nn",
                     "npconv.arithmetic.sizes", "npconv.nn.functional", "npconv.backends", "npconv.parallel",
                     "npconv.models", npconv.from_numpy.__module__, "npconv"}


def test_parser_gives_lines_and_resolves_relative_imports_of_packages():
    found = imports_of("npconv.kernels", "from . import chooser\n\n\ndef f():\n    from .. import _ops\n")
    assert found == [(1, "npconv.kernels.chooser"), (5, "npconv._ops")]


def test_a_lazy_upward_import_is_a_violation():
    imports = imports_of("npconv.kernels.geometry", "def output_size():\n    from npconv.arithmetic import sizes\n")
    assert imports == [(2, "npconv.arithmetic.sizes")]
    assert layer_of("npconv.arithmetic.sizes") > layer_of("npconv.kernels.geometry")


@pytest.mark.parametrize("module, layer", [("npconv._shapes", "leaf"), ("npconv.kernels.winograd", "kernels"),
                                           ("npconv.nn.functional.conv", "nn.functional"),
                                           ("npconv.nn", "nn.modules"),
                                           ("npconv", "top: the package root and the command line"),
                                           ("npconv.cli", "top: the package root and the command line")])
def test_layer_table(module, layer):
    assert LAYERS[layer_of(module)][0] == layer

