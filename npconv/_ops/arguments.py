"""Argument checks and torch's wording for them, shared by every kind of op: dims, shapes, operands that
do not broadcast."""
import builtins
import functools
import inspect
import numbers

import numpy as np

from .. import _shapes
from .._tensor import Tensor, _normalize_dim


def is_tensor_or_number(x):
    """Whether ``x`` can be an operand of an element-wise op: a tensor, an array or a number."""
    return isinstance(x, (Tensor, numbers.Number, np.ndarray, np.generic))


def named_function(function, name):
    """``function`` named ``name`` for Python's own argument errors ("name() takes 2 positional arguments"),
    as torch's op of that name is."""
    function.__name__ = function.__qualname__ = name
    function.__code__ = function.__code__.replace(co_name=name, co_qualname=name)
    return function


def _check_number(x, op):
    if not is_tensor_or_number(x):
        raise TypeError(f"{op}(): argument 'other' (position 1) must be Tensor, not {type(x).__name__}")


def _broadcast_error(a, b):
    """torch's message for two arrays whose shapes do not broadcast."""
    return _shapes.broadcast_error(np.shape(a), np.shape(b))


def _shape_of(x):
    return x._data.shape if isinstance(x, Tensor) else np.shape(x)


def _normalize_dims(dim, ndim):
    """An int or a sequence of dims as a sorted tuple of non-negative axes (IndexError when out of range)."""
    if isinstance(dim, (tuple, list)):
        axes = tuple(_normalize_dim(d, ndim) for d in dim)
        if len(set(axes)) != len(axes):
            raise RuntimeError(f"dim {axes[0]} appears multiple times in the list of dims")
        return axes
    return (_normalize_dim(dim, ndim),)


def _reduction_axes(dim, ndim):
    """The NumPy axes a reduction over ``dim`` runs along: a 0-d tensor takes dim 0 or -1 (torch treats it
    as one element) and has no axis to reduce."""
    axes = _normalize_dims(dim, ndim)
    return axes if ndim else ()


def _infer_shape(shape, numel):
    """Resolve one -1 and check the element count, with torch's errors (read from the first dim on)."""
    shape = list(shape)
    unknown, known = None, 1
    for index, n in enumerate(shape):
        if n == -1:
            if unknown is not None:
                raise RuntimeError("only one dimension can be inferred")
            unknown = index
        elif n >= 0:
            known *= n
        else:
            raise RuntimeError(f"invalid shape dimension {n} at index {index} of shape {_list_str(shape)}")
    if unknown is not None:
        if known == 0 and numel == 0:
            raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {_list_str(shape)} because the "
                               "unspecified dimension size -1 can be any value and is ambiguous")
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{_list_str(shape)}' is invalid for input of size {numel}")
        shape[unknown] = numel // known
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



# torch's argument parser (the ops written in C++) takes NumPy's names beside its own: ``x.sum(axis=0,
# keepdims=True)``, ``torch.add(x1=a, x2=b)``. Python-level torch functions (split, norm, unique, ...) do not.
NUMPY_NAMES = {"axis": "dim", "keepdims": "keepdim", "x": "input", "a": "input", "x1": "input", "x2": "other"}

# torch functions and Tensor methods written in Python in torch: they know only their own argument names
PYTHON_LEVEL_OPS = frozenset({
    "split", "norm", "unique", "unique_consecutive", "einsum", "meshgrid", "broadcast_tensors",
    "cartesian_prod", "atleast_1d", "atleast_2d", "atleast_3d", "tensordot", "cdist", "chain_matmul",
    "block_diag", "lu", "stft", "istft", "broadcast_shapes", "result_type"})


def accepting_numpy_names(fn, name=None):
    """``fn`` taking NumPy's argument names for the ones it has among dim/keepdim/input/other (torch's
    parser's aliases), or ``fn`` itself when it has none of them or is one torch writes in Python."""
    name = name or fn.__name__
    if name in PYTHON_LEVEL_OPS:
        return fn
    parameters = inspect.signature(fn).parameters
    aliases = {alias: own for alias, own in NUMPY_NAMES.items() if own in parameters and alias not in parameters}
    if not aliases:
        return fn

    @functools.wraps(fn)
    def call(*args, **kwargs):
        if kwargs and not aliases.keys().isdisjoint(kwargs):
            for alias in aliases.keys() & kwargs.keys():
                own = aliases[alias]
                if own in kwargs:  # both spellings given: torch names the alias as unexpected
                    raise TypeError(f"{name}() got an unexpected keyword argument '{alias}'")
                kwargs[own] = kwargs.pop(alias)
        return fn(*args, **kwargs)
    return call
