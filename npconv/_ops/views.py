"""Views share memory with the tensor they were cut from, as in torch: a view remembers its root
(``_base``) and how to cut itself out of the root's array again (``_view_replay``), and shares the root's
version counter. An in-place op on a view writes through to the root and rebases the graph as torch
does: the root's node becomes ``CopySlices`` (the old root outside the view, the op's result inside it)
and the view's node ``AsStridedBackward0`` (the view cut out of the new root).

Gradients through a replayed view use positions: the replay applied to ``arange(root.size)`` says which
root element every view element is, whatever chain of slices, reshapes, transposes or expands made it.
"""
import weakref

import numpy as np

from .._tensor import Tensor
from ..autograd import Function, replace_node


def as_view(out, source, replay):
    """Register ``out`` (an op's output sharing ``source``'s memory) as a view: ``replay(array)`` cuts it out
    of ``source``'s array. Views of views point at the root."""
    parent = source._view_replay
    root = source if source._base is None else source._base
    out._base = root
    out._view_replay = replay if parent is None else (lambda array: replay(parent(array)))
    out._versions = source._version_counter()
    if root._views is None:
        root._views = []
    elif len(root._views) % 64 == 0:  # forget views that are gone now and then
        root._views[:] = [ref for ref in root._views if ref() is not None]
    root._views.append(weakref.ref(out))
    return out


def view_op(cls, source, *args):
    """``cls.apply(source, *args)`` for a view Function (one with ``replay(array, *args)``), registered as a
    view of ``source``."""
    return as_view(cls.apply(source, *args), source, lambda array: cls.replay(array, *args))


def _positions(shape, replay):
    """For every element of the view, its flat index in the root (of ``shape``)."""
    return replay(np.arange(int(np.prod(shape)), dtype=np.intp).reshape(shape))


class CopySlices(Function):
    """The root after an in-place op on one of its views: outside the view the old root, inside it the
    op's result (torch's CopySlices node)."""

    backward_name = "CopySlices"
    returns_view = True

    @staticmethod
    def forward(ctx, old_root, result, replay):
        ctx.shape, ctx.replay = old_root.shape, replay
        return old_root  # already written in place: the node only records where the values came from

    @staticmethod
    def backward(ctx, grad):
        positions = _positions(ctx.shape, ctx.replay)
        flat = np.array(grad, copy=True).reshape(-1)
        inside = flat[positions] if ctx.needs_input_grad[1] else None
        flat[positions.reshape(-1)] = 0
        return flat.reshape(ctx.shape), inside, None


CopySlices._node_class.name = lambda node: "torch::autograd::CopySlices"  # torch names it so (no BackwardN)


class AsStrided(Function):
    """A view cut out of its (rebased) root again, after an in-place op on it."""

    returns_view = True

    @staticmethod
    def forward(ctx, root, replay):
        ctx.shape, ctx.replay = root.shape, replay
        return replay(root)

    @staticmethod
    def backward(ctx, grad):
        full = np.zeros(int(np.prod(ctx.shape)), dtype=grad.dtype)
        np.add.at(full, _positions(ctx.shape, ctx.replay).reshape(-1), np.asarray(grad).reshape(-1))
        return full.reshape(ctx.shape), None


def rebase(view, result):
    """After ``result`` (an op's output, in the graph) was written into ``view``'s memory: the root records
    CopySlices, the view becomes a fresh cut of the root."""
    root, replay = view._base, view._view_replay
    old_root = Tensor._make(root._data, root._meta)
    old_root._requires_grad, old_root.grad_fn = root._requires_grad, root.grad_fn
    new_root = CopySlices.apply(old_root, result, replay)
    replace_node(root, new_root.grad_fn)
    replace_node(view, AsStrided.apply(root, replay).grad_fn)


def refresh_views(tensor):
    """After an in-place op in the graph on ``tensor`` (a root or a view): every other live view of the root
    is cut out of the rebased root again, so a backward through it sees the new values' node (torch
    regenerates them lazily, with the same AsStridedBackward0)."""
    root = tensor if tensor._base is None else tensor._base
    for ref in root._views or ():
        view = ref()
        if view is not None and view is not tensor:
            replace_node(view, AsStrided.apply(root, view._view_replay).grad_fn)
