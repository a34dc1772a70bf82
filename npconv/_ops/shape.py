"""Shape ops: view / reshape / flatten, permute / transpose, squeeze / unsqueeze, expand, repeat, clone,
cat / stack, flip. Each keeps its data and records the backward torch names (ViewBackward0...)."""
import builtins
import numbers

import numpy as np

from .. import _dtype
from .._dtype import result_type as _result_type_of
from .._tensor import Tensor, _normalize_dim
from ..autograd import Function
from ..kernels.elementwise import concatenate
from .arguments import _infer_shape, _list_str, _normalize_dims, _shape_args
from .promotion import _as_operand
from .views import view_op


class View(Function):
    backward_name = "ViewBackward0"
    returns_view = True

    @staticmethod
    def replay(a, shape):
        return a.reshape(shape)

    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return a.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape), None


class UnsafeView(View):
    """reshape where no view is possible: a copy (torch's _unsafe_view)."""
    backward_name = "UnsafeViewBackward0"
    returns_view = False


def _view_without_copy(a, shape):
    """numpy refuses to set .shape when a copy would be needed: exactly torch's view rule."""
    v = a.view()
    try:
        v.shape = shape
    except AttributeError:
        return None
    return v


def view(input, *shape):  # noqa: A002
    """Same data, new shape (-1 inferred); fails when the strides do not allow it (use reshape)."""
    if len(shape) == 1 and isinstance(shape[0], _dtype.dtype):
        return Tensor._make(input._data.view(shape[0].numpy_dtype))
    shape = _infer_shape(_shape_args(shape, "view"), input._data.size)
    if not input._meta and _view_without_copy(input._data, shape) is None:
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at least one "
                           "dimension spans across two contiguous subspaces). Use .reshape(...) instead.")
    return view_op(View, input, shape)


def reshape(input, *shape):  # noqa: A002
    """New shape (-1 inferred), a view when possible, else a copy."""
    shape = _infer_shape(_shape_args(shape, "reshape"), input._data.size)
    if input._meta or _view_without_copy(input._data, shape) is not None:
        return view_op(View, input, shape)
    return UnsafeView.apply(input, shape)


def flatten(input, start_dim=0, end_dim=-1):  # noqa: A002
    """Merge dims start_dim..end_dim into one."""
    shape = input._data.shape
    if not shape:  # a 0-d input takes dims as a 1-d one would (0 or -1)
        _normalize_dim(start_dim, 0), _normalize_dim(end_dim, 0)
        return reshape(input, 1)
    start, end = _normalize_dim(start_dim, len(shape)), _normalize_dim(end_dim, len(shape))
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if start == end:
        return input
    merged = 1
    for n in shape[start:end + 1]:
        merged *= n
    return reshape(input, shape[:start] + (merged,) + shape[end + 1:])


def check_unflatten_sizes(sizes):
    """torch's Tensor.unflatten refuses empty sizes first (in Python, before its parser reads the dim)."""
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")


def unflatten(input, dim, sizes):  # noqa: A002
    """Split dimension ``dim`` into ``sizes`` (one may be -1)."""
    check_unflatten_sizes(sizes)
    shape = input._data.shape
    axis = _normalize_dim(dim, len(shape))
    sizes = _infer_shape(sizes, shape[axis])
    return view(input, shape[:axis] + tuple(sizes) + shape[axis + 1:])


class Permute(Function):
    returns_view = True

    @staticmethod
    def replay(a, dims):
        return np.transpose(a, dims)

    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return np.transpose(a, dims)

    @staticmethod
    def backward(ctx, grad):
        return np.transpose(grad, np.argsort(ctx.dims)), None


class Transpose(Permute):
    backward_name = "TransposeBackward0"


class TransposeT(Permute):
    backward_name = "TBackward0"


def permute(input, *dims):  # noqa: A002
    """Reorder the dimensions."""
    dims = _shape_args(dims, "permute")
    ndim = input._data.ndim
    if len(dims) != ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
                           f"length of the desired ordering of dimensions i.e. input.dim() = {ndim} is not equal "
                           f"to len(dims) = {len(dims)}")
    axes = tuple(_normalize_dim(d, ndim) for d in dims)
    if len(set(axes)) != ndim:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return view_op(Permute, input, axes)


def transpose(input, dim0, dim1):  # noqa: A002
    """Swap two dimensions."""
    ndim = input._data.ndim
    d0, d1 = _normalize_dim(dim0, ndim), _normalize_dim(dim1, ndim)
    axes = list(range(ndim))
    axes[d0], axes[d1] = axes[d1], axes[d0]
    return view_op(Transpose, input, tuple(axes))



def t(input):  # noqa: A002
    """Transpose a tensor of at most 2 dimensions."""
    ndim = input._data.ndim
    if ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {ndim}D")
    return view_op(TransposeT, input, tuple(range(ndim - 1, -1, -1)))


class Unsqueeze(View):
    backward_name = "UnsqueezeBackward0"


class Squeeze(View):
    backward_name = "SqueezeBackward0"


class SqueezeDim(View):
    backward_name = "SqueezeBackward1"


class SqueezeDims(View):
    backward_name = "SqueezeBackward2"


def unsqueeze(input, dim):  # noqa: A002
    """Insert a size-1 dimension at ``dim`` (in [-ndim-1, ndim])."""
    shape = input._data.shape
    axis = _normalize_dim(dim, len(shape) + 1)
    return view_op(Unsqueeze, input, shape[:axis] + (1,) + shape[axis:])


def squeeze(input, dim=None):  # noqa: A002
    """Remove size-1 dimensions (all, or only ``dim`` if it has size 1)."""
    shape = input._data.shape
    if dim is None:
        return view_op(Squeeze, input, tuple(n for n in shape if n != 1))
    axes = _normalize_dims(dim, builtins.max(len(shape), 1)) if shape else ()
    new_shape = tuple(n for i, n in enumerate(shape) if not (i in axes and n == 1))
    return view_op(SqueezeDims if isinstance(dim, (tuple, list)) else SqueezeDim, input, new_shape)


def _expanded(a, shape):
    """``a`` broadcast to ``shape``: read-only (torch's "more than one element ... refers to a single memory
    location") only where a dim of several elements repeats one; an expand that repeats nothing (sizes kept,
    leading ones added) stays writable, as in torch."""
    view = np.broadcast_to(a, shape)
    if any(stride == 0 and size > 1 for size, stride in zip(view.shape, view.strides)):
        return view
    return np.lib.stride_tricks.as_strided(a, view.shape, view.strides, writeable=a.flags.writeable)


class Expand(Function):
    returns_view = True

    @staticmethod
    def replay(a, shape):
        return _expanded(a, shape)

    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return _expanded(a, shape)

    @staticmethod
    def backward(ctx, grad):
        return grad, None  # the engine sums over the broadcast dimensions


def check_expand(shape, sizes, type_name):
    """torch's refusals of expanding ``shape`` to ``sizes`` (``type_name()``: 'torch.FloatTensor', called only
    for the message): too few sizes, then the right-most size that clashes."""
    if len(sizes) < len(shape):
        raise RuntimeError(f"expand({type_name()}{{{_list_str(shape)}}}, size={_list_str(sizes)}): the number "
                           f"of sizes provided ({len(sizes)}) must be greater or equal to the number of "
                           f"dimensions in the tensor ({len(shape)})")
    lead = len(sizes) - len(shape)
    for i in range(len(sizes) - 1, lead - 1, -1):  # torch reports the right-most mismatch
        n, old = sizes[i], shape[i - lead]
        if n != -1 and old != n and old != 1:
            raise RuntimeError(f"The expanded size of the tensor ({n}) must match the existing size ({old}) at "
                               f"non-singleton dimension {i}.  Target sizes: {_list_str(sizes)}.  Tensor sizes: "
                               f"{_list_str(shape)}")


def expand(input, *sizes):  # noqa: A002
    """A broadcast view to ``sizes`` (-1 keeps a dimension); no memory is copied."""
    sizes = _shape_args(sizes, "expand")
    shape = input._data.shape
    check_expand(shape, sizes, input.type)
    lead = len(sizes) - len(shape)
    target = []
    for i, n in enumerate(sizes):
        if i < lead:
            if n < 0:
                raise RuntimeError(f"The expanded size of the tensor ({n}) isn't allowed in a leading, "
                                   "non-existing dimension 0")
            target.append(n)
            continue
        old = shape[i - lead]
        if n == -1:
            n = old
        elif old != n and old != 1:
            raise RuntimeError(f"The expanded size of the tensor ({n}) must match the existing size ({old}) at "
                               f"non-singleton dimension {i}.  Target sizes: {_list_str(sizes)}.  Tensor sizes: "
                               f"{_list_str(shape)}")
        target.append(n)
    return view_op(Expand, input, tuple(target))


def broadcast_to(input, size):  # noqa: A002
    """A broadcast view of ``input`` with shape ``size`` (as ``expand``)."""
    return expand(input, *size)


class Repeat(Function):
    @staticmethod
    def forward(ctx, a, reps):
        ctx.shape, ctx.reps = a.shape, reps
        return np.tile(a, reps)

    @staticmethod
    def backward(ctx, grad):
        lead = len(ctx.reps) - len(ctx.shape)
        shape = (1,) * lead + ctx.shape
        split = []
        for r, n in zip(ctx.reps, shape):
            split += [r, n]
        return grad.reshape(split).sum(axis=tuple(range(0, len(split), 2))).reshape(ctx.shape), None


def repeat(input, *sizes):  # noqa: A002
    """Tile the tensor ``sizes[i]`` times along each dim (extra leading sizes add dims)."""
    sizes = _shape_args(sizes, "repeat")
    if len(sizes) < input._data.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of "
                           "tensor")
    return Repeat.apply(input, sizes)


class Clone(Function):
    @staticmethod
    def forward(ctx, a):
        return a.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


def clone(input, *, memory_format=None):  # noqa: A002
    """A copy that stays in the graph."""
    return Clone.apply(input)



class Cat(Function):
    @staticmethod
    def forward(ctx, *arrays, axis):
        ctx.bounds = np.cumsum([a.shape[axis] for a in arrays])[:-1]
        ctx.axis = axis
        return concatenate(arrays, axis)

    @staticmethod
    def backward(ctx, grad):
        return tuple(np.split(grad, ctx.bounds, axis=ctx.axis))


class Stack(Function):
    @staticmethod
    def forward(ctx, *arrays, axis):
        ctx.axis = axis
        return np.stack(arrays, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        return tuple(np.moveaxis(grad, ctx.axis, 0))


def _tensor_list(tensors, name):
    if isinstance(tensors, Tensor):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor")
    tensors = list(tensors)
    if not tensors:
        raise (ValueError if name == "torch.cat" else RuntimeError)(f"{name}(): expected a non-empty list of Tensors")
    for i, t_ in enumerate(tensors):
        if not isinstance(t_, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t_).__name__}")
    np_dtype = _result_type_of(tensors).numpy_dtype
    return [_as_operand(t_, np_dtype) for t_ in tensors]


def cat(tensors, dim=0, *, out=None):
    """Join tensors along an existing dimension (sizes must match elsewhere)."""
    tensors = _tensor_list(tensors, "torch.cat")
    # torch skips legacy empty 1-D tensors of shape (0,)
    kept = [(i, t_) for i, t_ in enumerate(tensors) if t_._data.shape != (0,)] or [(0, tensors[0])]
    ref = kept[0][1]._data.shape
    if not ref:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    axis = _normalize_dim(dim, len(ref))
    for i, t_ in kept:
        s = t_._data.shape
        if len(s) != len(ref):
            raise RuntimeError(f"Tensors must have same number of dimensions: got {len(ref)} and {len(s)}")
        for d in range(len(ref)):
            if d != axis and s[d] != ref[d]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {axis}. Expected size "
                                   f"{ref[d]} but got size {s[d]} for tensor number {i} in the list.")
    tensors = [t_ for _, t_ in kept]
    return Cat.apply(*tensors, axis=axis)



def stack(tensors, dim=0, *, out=None):
    """Join same-shaped tensors along a new dimension."""
    tensors = _tensor_list(tensors, "stack")
    ref = tensors[0]._data.shape
    for i, t_ in enumerate(tensors):
        if t_._data.shape != ref:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {_list_str(ref)} at entry 0 "
                               f"and {_list_str(t_._data.shape)} at entry {i}")
    axis = _normalize_dim(dim, len(ref) + 1)
    return Stack.apply(*tensors, axis=axis)


def hstack(tensors):
    """Concatenate along dim 1 (dim 0 for 1-D tensors)."""
    tensors = list(tensors)
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1)


def vstack(tensors):
    """Concatenate along dim 0, 1-D tensors taken as rows."""
    return cat([t_ if t_._data.ndim > 1 else reshape(t_, 1, -1) for t_ in tensors], 0)



class Flip(Function):
    @staticmethod
    def forward(ctx, a, axes):
        ctx.axes = axes
        return np.flip(a, axes)

    @staticmethod
    def backward(ctx, grad):
        return np.flip(grad, ctx.axes), None


def flip(input, dims):  # noqa: A002
    """Reverse the order of elements along ``dims``."""
    dims = (dims,) if isinstance(dims, numbers.Integral) else tuple(dims)
    return Flip.apply(input, _normalize_dims(dims, input._data.ndim) if input._data.ndim else ())


