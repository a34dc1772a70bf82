"""Ops that combine several tensors into grids or common shapes: meshgrid, broadcast_tensors,
cartesian_prod, and the atleast_1d/2d/3d family. Each is views and expands of its inputs, so the graph
shows torch's nodes (ViewBackward0, ExpandBackward0, UnsqueezeBackward0, StackBackward0)."""
import warnings

import numpy as np

from .._tensor import Tensor
from .arguments import _broadcast_error
from .shape import expand, reshape, stack, unsqueeze

__all__ = ["meshgrid", "broadcast_tensors", "cartesian_prod", "atleast_1d", "atleast_2d", "atleast_3d"]

_MESHGRID_WARNING = ("torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument. "
                     "(Triggered internally at /__w/pytorch/pytorch/aten/src/ATen/native/TensorShape.cpp:4215.)")


def _tensors_of(tensors):
    """f(a, b) and f([a, b]) both mean the tensors a and b."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return list(tensors[0])
    return list(tensors)


def meshgrid(*tensors, indexing=None):
    """Coordinate grids from 1-D tensors: with ``indexing='ij'`` output k varies along dim k; with 'xy' the
    first two dims are swapped (Cartesian, as NumPy's default). Each output is a view of its input."""
    tensors = _tensors_of(tensors)
    if indexing is None:
        warnings.warn(_MESHGRID_WARNING, UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t!r}")
    if len({t._data.dtype for t in tensors}) > 1:
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    swap = indexing == "xy" and len(tensors) >= 2
    order = [1, 0] + list(range(2, len(tensors))) if swap else list(range(len(tensors)))
    sizes = [tensors[k]._data.size for k in order]
    grids = []
    for position, k in enumerate(order):
        shape = [1] * len(tensors)
        shape[position] = -1
        grids.append((k, expand(reshape(tensors[k], *shape), *sizes)))
    return tuple(grid for _, grid in sorted(grids, key=lambda pair: pair[0]))


def broadcast_tensors(*tensors):
    """The tensors expanded to their common broadcast shape (views)."""
    tensors = _tensors_of(tensors)
    try:
        shape = np.broadcast_shapes(*(t._data.shape for t in tensors))
    except ValueError:
        shapes = [t._data for t in tensors]
        raise _broadcast_error(*_first_mismatch(shapes)) from None
    return tuple(expand(t, *shape) for t in tensors)


def _first_mismatch(arrays):
    for i in range(1, len(arrays)):
        try:
            np.broadcast_shapes(*(a.shape for a in arrays[:i + 1]))
        except ValueError:
            return np.empty(np.broadcast_shapes(*(a.shape for a in arrays[:i]))), arrays[i]
    return arrays[0], arrays[-1]


def cartesian_prod(*tensors):
    """Every combination of one element from each 1-D tensor, as rows (the tensor itself for one input)."""
    tensors = _tensors_of(tensors)
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([reshape(g, -1) for g in grids], 1)


def atleast_1d(*tensors):
    """The tensors with at least one dimension (a 0-d one becomes shape [1])."""
    return _single_or_tuple(tensors, lambda t: reshape(t, 1) if t._data.ndim == 0 else t)


def atleast_2d(*tensors):
    """The tensors with at least two dimensions (new ones in front)."""
    def make(t):
        if t._data.ndim == 0:
            return reshape(t, 1, 1)
        return unsqueeze(t, 0) if t._data.ndim == 1 else t
    return _single_or_tuple(tensors, make)


def atleast_3d(*tensors):
    """The tensors with at least three dimensions: [n] -> [1, n, 1], [m, n] -> [m, n, 1], as NumPy."""
    def make(t):
        ndim = t._data.ndim
        if ndim == 0:
            return reshape(t, 1, 1, 1)
        if ndim == 1:
            return unsqueeze(unsqueeze(t, 0), -1)
        return unsqueeze(t, -1) if ndim == 2 else t
    return _single_or_tuple(tensors, make)


def _single_or_tuple(tensors, make):
    """atleast_*(t) gives a tensor; atleast_*(a, b) and atleast_*([a, b]) give a tuple."""
    if len(tensors) == 1 and isinstance(tensors[0], Tensor):
        return make(tensors[0])
    return tuple(make(t) for t in _tensors_of(tensors))
