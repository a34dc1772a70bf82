"""Argument checks and torch's wording for them, shared by every kind of op: dims, shapes, operands that
do not broadcast."""
import builtins
import numbers

import numpy as np

from .._tensor import Tensor, _normalize_dim


def _check_number(x, op):
    if not isinstance(x, (Tensor, numbers.Number, np.ndarray, np.generic)):
        raise TypeError(f"{op}(): argument 'other' (position 1) must be Tensor, not {type(x).__name__}")


def _broadcast_error(a, b):
    """torch's message for two shapes that do not broadcast."""
    sa, sb = np.shape(a), np.shape(b)
    n = builtins.max(len(sa), len(sb))
    for i in range(n):
        da = sa[i - n + len(sa)] if i - n + len(sa) >= 0 else 1
        db = sb[i - n + len(sb)] if i - n + len(sb) >= 0 else 1
        if da != db and da != 1 and db != 1:
            return RuntimeError(f"The size of tensor a ({da}) must match the size of tensor b ({db}) at "
                                f"non-singleton dimension {i}")
    return RuntimeError(f"shapes {list(sa)} and {list(sb)} cannot be broadcast")


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


def _infer_shape(shape, numel):
    """Resolve one -1 and check the element count, with torch's errors."""
    shape = list(shape)
    unknown = [i for i, n in enumerate(shape) if n == -1]
    if len(unknown) > 1:
        raise RuntimeError("only one dimension can be inferred")
    for n in shape:
        if n < -1:
            raise RuntimeError(f"invalid shape dimension {n}")
    known = 1
    for n in shape:
        if n != -1:
            known *= n
    if unknown:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{_list_str(shape)}' is invalid for input of size {numel}")
        shape[unknown[0]] = numel // known
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

