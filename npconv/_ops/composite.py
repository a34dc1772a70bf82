"""Ops torch builds from other ops (so their graph shows those ops' nodes) and a few small ones beside them:
fliplr/flipud, diff, select, split_with_sizes, unfold, sum_to_size, argwhere, dstack/column_stack,
tensordot, std_mean/var_mean, dist, vdot, msort, isin, logspace, range, scalar_tensor, rsub, diagflat,
combinations, multinomial, bernoulli, index_copy, fill_diagonal_, and the in-place view methods
(squeeze_, unsqueeze_, t_, transpose_)."""
import builtins
import itertools
import numbers

import numpy as np

from .. import random as _random
from .._dtype import get_default_dtype, to_dtype
from .._tensor import Tensor, _normalize_dim
from ..autograd import Function, is_grad_enabled, named_variant
from .elementwise import abs, mul, pow, sub, where
from .indexing import _views_of_parts, SplitWithSizesPart, getitem
from .inplace import _check_not_a_leaf, _original
from .linalg import Dot, matmul
from .reduction import _return_types, mean, std, sum, var, sort
from .shape import cat, expand, flip, permute, reshape, squeeze, t, transpose, unsqueeze

__all__ = ["fliplr", "flipud", "diff", "select", "split_with_sizes", "sum_to_size", "argwhere", "dstack",
           "column_stack", "tensordot", "std_mean", "var_mean", "dist", "vdot", "msort", "isin", "logspace",
           "range", "scalar_tensor", "rsub", "diagflat", "combinations", "multinomial", "bernoulli",
           "index_copy"]


def fliplr(input):  # noqa: A002
    """Reversed along dim 1."""
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


def flipud(input):  # noqa: A002
    """Reversed along dim 0."""
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


def diff(input, n=1, dim=-1, prepend=None, append=None):  # noqa: A002
    """The n-th forward difference along ``dim`` (with ``prepend``/``append`` joined first)."""
    axis = _normalize_dim(dim, input._data.ndim)
    parts = [p for p in (prepend, input, append) if p is not None]
    result = cat(parts, axis) if len(parts) > 1 else input
    for _ in builtins.range(n):
        size = result._data.shape[axis]
        lead = (slice(None),) * axis
        later, earlier = getitem(result, lead + (slice(1, size),)), getitem(result, lead + (slice(0, size - 1),))
        result = (later != earlier) if result._data.dtype == np.bool_ else sub(later, earlier)
    return result


def select(input, dim, index):  # noqa: A002
    """The slice at ``index`` of ``dim`` (a view without that dim)."""
    axis = _normalize_dim(dim, input._data.ndim)
    size = input._data.shape[axis]
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(input._data.shape)} at "
                         f"dimension {axis}")
    return getitem(input, (slice(None),) * axis + (int(index),))


def split_with_sizes(input, split_sizes, dim=0):  # noqa: A002
    """Views of the given sizes along ``dim`` (they must add up to its size)."""
    axis = _normalize_dim(dim, input._data.ndim)
    n = input._data.shape[axis]
    sizes = [int(s) for s in split_sizes]
    if builtins.sum(sizes) != n:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at "
                           f"dimension {axis}), but got split_sizes={sizes}")
    starts = np.cumsum([0] + sizes[:-1])
    return _views_of_parts(SplitWithSizesPart, input, [(slice(None),) * axis + (slice(s, s + k),)
                                                       for s, k in zip(starts, sizes)])


def sum_to_size(input, *size):  # noqa: A002
    """Summed down to ``size`` (a shape that broadcasts to input's): over the dims it lacks or has as 1."""
    shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else tuple(size)
    try:
        np.broadcast_to(np.empty(shape, bool), input._data.shape)
    except ValueError:
        raise RuntimeError(f"size {{{list(shape)}}} is not expandable to size {{{list(input._data.shape)}}}.") \
            from None
    lead = input._data.ndim - len(shape)
    axes = tuple(builtins.range(lead)) + tuple(lead + i for i, n in enumerate(shape)
                                               if n == 1 and input._data.shape[lead + i] != 1)
    if not axes:
        return input
    return reshape(sum(input, axes, True), *shape)


def argwhere(input):  # noqa: A002
    """The indices of the non-zero elements, one row each."""
    return Tensor._make(np.argwhere(input._data).astype(np.int64))


def dstack(tensors):
    """Joined along dim 2 (1-D and 2-D tensors first made 3-D)."""
    from .grids import atleast_3d
    return cat([atleast_3d(t_) for t_ in tensors], 2)


def column_stack(tensors):
    """1-D tensors as columns (and 0-d as one-element columns), joined along dim 1."""
    return cat([reshape(t_, -1, 1) if t_._data.ndim <= 1 else t_ for t_ in tensors], 1)


def tensordot(a, b, dims=2, out=None):
    """Sum of products over ``dims`` (a count of a's last / b's first dims, or two lists of dims)."""
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, numbers.Integral):
        dims_a = list(builtins.range(a._data.ndim - dims, a._data.ndim))
        dims_b = list(builtins.range(dims))
    else:
        dims_a, dims_b = ([d] if isinstance(d, numbers.Integral) else list(d) for d in dims)
    dims_a = [_normalize_dim(d, a._data.ndim) for d in dims_a]
    dims_b = [_normalize_dim(d, b._data.ndim) for d in dims_b]
    for da, db in zip(dims_a, dims_b):
        if a._data.shape[da] != b._data.shape[db]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {a._data.shape[da]} in "
                               f"dim {da} and second has size {b._data.shape[db]} in dim {db}")
    free_a = [d for d in builtins.range(a._data.ndim) if d not in dims_a]
    free_b = [d for d in builtins.range(b._data.ndim) if d not in dims_b]
    size = int(np.prod([a._data.shape[d] for d in dims_a]))
    left = reshape(permute(a, *free_a, *dims_a), -1, size)
    right = reshape(permute(b, *dims_b, *free_b), size, -1)
    return reshape(matmul(left, right), *[a._data.shape[d] for d in free_a], *[b._data.shape[d] for d in free_b])


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):  # noqa: A002
    """(std, mean) over ``dim``."""
    return std(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):  # noqa: A002
    """(var, mean) over ``dim``."""
    return var(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def dist(input, other, p=2):  # noqa: A002
    """The p-norm of input - other."""
    from .linalg import norm
    return norm(sub(input, other), p)


def vdot(input, other, *, out=None):  # noqa: A002
    """The dot product of two 1-D tensors (conjugating the first: the same for real tensors)."""
    if input._data.ndim != 1 or other._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input._data.ndim}D and {other._data.ndim}D tensors")
    return _Vdot.apply(input, other)


class _Vdot(Dot):
    backward_name = "VdotBackward0"


def msort(input):  # noqa: A002
    """Sorted along dim 0."""
    return sort(input, 0).values


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Whether each element is in ``test_elements``."""
    values = elements._data if isinstance(elements, Tensor) else np.asarray(elements)
    tests = test_elements._data if isinstance(test_elements, Tensor) else np.asarray(test_elements)
    return Tensor._make(np.asarray(np.isin(values, tests, invert=invert)))


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    """base ** linspace(start, end, steps)."""
    from .._creation import _finish, linspace
    exponents = linspace(start, end, steps, dtype=to_dtype("float64"))._data
    d = to_dtype(dtype) if dtype is not None else get_default_dtype()
    return _finish(np.power(base, exponents).astype(d.numpy_dtype), None, device, requires_grad)


def range(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,  # noqa: A001
          requires_grad=False):
    """Values from start to end *inclusive* by step (deprecated in torch: use arange)."""
    import warnings
    from .._creation import _finish
    if end is None:
        start, end = 0, start
    warnings.warn("torch.range is deprecated and will be removed in a future release because its behavior is "
                  "inconsistent with Python's range builtin. Instead, use torch.arange, which produces values in "
                  "[start, end).", UserWarning, stacklevel=2)
    d = to_dtype(dtype) if dtype is not None else get_default_dtype()
    n = int(np.floor((end - start) / step)) + 1
    return _finish((start + np.arange(builtins.max(n, 0)) * step).astype(d.numpy_dtype), None, device,
                   requires_grad)


def scalar_tensor(s, *, dtype=None, layout=None, device=None, pin_memory=False, requires_grad=False):
    """A 0-d tensor of the default float dtype (or ``dtype``) holding ``s``."""
    from .._creation import _finish
    d = to_dtype(dtype) if dtype is not None else get_default_dtype()
    return _finish(np.asarray(s, dtype=d.numpy_dtype), None, device, requires_grad)


def rsub(input, other, *, alpha=1):  # noqa: A002
    """other - alpha * input."""
    from .methods import _rsub
    return _rsub(mul(input, alpha) if alpha != 1 else input, other)


def diagflat(input, offset=0):  # noqa: A002
    """The flattened input as the ``offset`` diagonal of a square matrix."""
    from .rearrange import diag_embed
    return diag_embed(reshape(input, -1), offset)


def combinations(input, r=2, with_replacement=False):  # noqa: A002
    """The r-element combinations of a 1-D tensor's elements, one per row."""
    chooser = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    picks = np.array(list(chooser(builtins.range(input._data.shape[0]), r)), dtype=np.intp).reshape(-1, r)
    from .rearrange import _rearranged
    return _rearranged("IndexBackward0", input, lambda p: p[picks]) if picks.size else \
        Tensor._make(np.zeros((0, r), input._data.dtype))


def multinomial(input, num_samples, replacement=False, *, generator=None):  # noqa: A002
    """Indices drawn from the rows of non-negative weights ``input`` (without replacement by default)."""
    gen = generator if generator is not None else _random.generator()
    weights = np.atleast_2d(input._data).astype(np.float64)
    if np.any(weights < 0) or not np.all(np.isfinite(weights)):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if np.any(weights.sum(axis=1) <= 0):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    if not replacement and num_samples > weights.shape[1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    rows = [gen.choice(weights.shape[1], num_samples, replace=replacement, p=w / w.sum()) for w in weights]
    samples = np.asarray(rows, dtype=np.int64)
    return Tensor._make(samples if input._data.ndim > 1 else samples[0])


def bernoulli(input, p=None, *, generator=None, out=None):  # noqa: A002
    """1 with probability input (or ``p``) for each element, else 0, in input's dtype."""
    gen = generator if generator is not None else _random.generator()
    probability = input._data if p is None else p
    return Tensor._make((gen.random(input._data.shape) < probability).astype(input._data.dtype))


def index_copy(input, dim, index, source):  # noqa: A002
    """A copy of input with the slices at ``index`` along ``dim`` replaced by source's."""
    from .placement import _dim_index
    axis, idx = _dim_index("index_copy", input, dim, index)
    return _IndexCopy.apply(input, source, axis, idx)


class _IndexCopy(Function):
    backward_name = "IndexCopyBackward0"

    @staticmethod
    def forward(ctx, a, source, axis, index):
        ctx.axis, ctx.index = axis, index
        out = a.copy()
        np.moveaxis(out, axis, 0)[index] = np.moveaxis(source, axis, 0)
        return out

    @staticmethod
    def backward(ctx, grad):
        kept = grad.copy()
        np.moveaxis(kept, ctx.axis, 0)[ctx.index] = 0
        return kept, np.take(grad, ctx.index, ctx.axis), None, None


# ------------------------------------------------------------------ Tensor-only methods

def fill_diagonal_(self, fill_value, wrap=False):
    """Fill the main diagonal (of a matrix, or all-equal-index positions) with ``fill_value``, in place."""
    values = self._data.copy()
    if self._data.ndim == 2:
        np.fill_diagonal(values, fill_value, wrap=wrap)
    else:
        n = builtins.min(self._data.shape)
        values[(np.arange(n),) * self._data.ndim] = fill_value
    return _assign_values(self, values)


def _assign_values(self, values):
    from .inplace import _write
    _check_not_a_leaf(self)
    _write(self, values)
    self._bump_version()
    return self


# torch names the node of an in-place view op apart from its out-of-place twin's
_IN_PLACE_VIEW_NODES = {"UnsqueezeBackward0": "UnsqueezeBackward1", "SqueezeBackward0": "SqueezeBackward3",
                        "SqueezeBackward1": "SqueezeBackward4", "SqueezeBackward2": "SqueezeBackward5",
                        "TransposeBackward0": "TransposeBackward1", "TBackward0": "TBackward1"}


def _in_place_node(node):
    renamed = _IN_PLACE_VIEW_NODES.get(node.name())
    if renamed is not None:
        node.__class__ = named_variant(node._function, renamed)._node_class
    return node


def _inplace_view(op):
    """x.squeeze_() and friends: the view's shape given to x itself (its graph node too)."""
    def method(self, *args, **kwargs):
        _check_not_a_leaf(self)
        # computed from an alias standing for self's present node: self itself takes the new shape
        result = op(_original(self, copy=False), *args, **kwargs)
        self._data = result._data
        if result.grad_fn is not None and is_grad_enabled():
            self.grad_fn, self._requires_grad = _in_place_node(result.grad_fn), True
        self._bump_version()
        return self
    method.__name__ = op.__name__ + "_"
    return method


TENSOR_ONLY = {
    "fill_diagonal_": fill_diagonal_,
    "squeeze_": _inplace_view(squeeze), "unsqueeze_": _inplace_view(unsqueeze), "t_": _inplace_view(t),
    "transpose_": _inplace_view(transpose), "swapaxes_": _inplace_view(transpose),
    "swapdims_": _inplace_view(transpose),
    "where": lambda self, condition, y: where(condition, self, y),
    "broadcast_to": lambda self, size: expand(self, *size),
    "unfold": lambda self, dimension, size, step: _unfold(self, dimension, size, step),
}


def _unfold(self, dimension, size, step):
    """Windows of ``size`` every ``step`` along ``dimension``, as a new last dim."""
    from .rearrange import _rearranged
    axis = _normalize_dim(dimension, builtins.max(self._data.ndim, 1))
    length = self._data.shape[axis] if self._data.ndim else 1
    if size > length:
        raise RuntimeError(f"maximum size for tensor at dimension {axis} is {length} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    starts = np.arange(0, length - size + 1, step)

    def windows(p):
        taken = np.take(p, starts[:, None] + np.arange(size), axis=axis)  # the window dims at axis, axis+1
        return np.moveaxis(taken, axis + 1, -1)
    return _rearranged("UnfoldBackward0", self, windows)


# ------------------------------------------------------------------ questions about tensors and dtypes

def is_floating_point(input):  # noqa: A002
    """Whether input's dtype is a floating one."""
    return input.is_floating_point()


def is_nonzero(input):  # noqa: A002
    """The truth of a one-element tensor (torch's errors for any other)."""
    return input.is_nonzero()


def is_same_size(input, other):  # noqa: A002
    return input.is_same_size(other)


def is_signed(input):  # noqa: A002
    return input.is_signed()


def typename(obj):
    """'torch.FloatTensor' for a tensor, the type's name for anything else."""
    if isinstance(obj, Tensor):
        return obj.type()
    return type(obj).__name__


def can_cast(from_, to):
    """Whether torch's in-place and out= rules allow a value of ``from_`` into ``to`` (no float into an
    integer, no number into a bool)."""
    order = {"b": 0, "u": 1, "i": 1, "f": 2}
    return order[to_dtype(from_).numpy_dtype.kind] <= order[to_dtype(to).numpy_dtype.kind]


def unravel_index(indices, shape):
    """The tuple of per-dim indices of each flat index into ``shape``."""
    flat = indices._data if isinstance(indices, Tensor) else np.asarray(indices)
    size = int(np.prod(shape))
    if flat.size and (flat.min() < -size or flat.max() >= size):
        raise RuntimeError("index is out of bounds for tensor with size " + str(size))
    return tuple(Tensor._make(np.asarray(i, dtype=np.int64)) for i in np.unravel_index(flat % builtins.max(size, 1),
                                                                                        tuple(shape)))


def vander(x, N=None, increasing=False):  # noqa: N803
    """Columns of powers of x (decreasing unless ``increasing``)."""
    values = x._data
    columns = np.vander(values, N, increasing=increasing)
    return Tensor._make(columns.astype(np.int64 if values.dtype.kind in "biu" else values.dtype))


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The trapezoidal rule along ``dim`` (samples ``x`` or spacing ``dx``, default 1)."""
    axis = _normalize_dim(dim, y._data.ndim)
    size = y._data.shape[axis]
    lead = (slice(None),) * axis
    later, earlier = getitem(y, lead + (slice(1, size),)), getitem(y, lead + (slice(0, size - 1),))
    halves = mul(later + earlier, 0.5)
    if x is not None:
        steps = diff(x, dim=dim if x._data.ndim > 1 else -1)
        return sum(mul(halves, steps), axis)
    return mul(sum(halves, axis), 1.0 if dx is None else dx)


def trapz(y, x=None, *, dx=None, dim=-1):
    """The old name of trapezoid."""
    return trapezoid(y, x, dx=dx, dim=dim)


__all__ += ["is_floating_point", "is_nonzero", "is_same_size", "is_signed", "typename", "can_cast",
            "unravel_index", "vander", "trapezoid", "trapz"]


# ------------------------------------------------------------------ statistics and small leftovers

def cov(input, *, correction=1, fweights=None, aweights=None):  # noqa: A002
    """The covariance of the variables in input's rows (observations in its columns)."""
    if fweights is not None or aweights is not None:
        raise NotImplementedError("torch.cov with fweights or aweights is not implemented in npconv yet")
    if input._data.ndim > 2:
        raise ValueError(f"cov(): expected input to have two or fewer dimensions but got an input with "
                         f"{input._data.ndim} dimensions")
    observations = reshape(input, 1, -1) if input._data.ndim < 2 else input
    if observations._data.dtype.kind != "f":
        observations = observations.to(get_default_dtype())
    count = observations._data.shape[1]
    centered = sub(observations, mean(observations, 1, True))
    products = matmul(centered, t(centered))
    with np.errstate(divide="ignore", invalid="ignore"):  # no degrees of freedom left: inf or nan, as torch
        return squeeze(mul(products, 1.0 / (count - correction)) if count != correction
                       else mul(products, float("inf")))


def corrcoef(input):  # noqa: A002
    """Pearson's correlation coefficients of the variables in input's rows, clamped to [-1, 1]."""
    from .elementwise import clamp, div, sqrt
    c = cov(input)
    if c._data.ndim == 0:
        return div(c, c)
    spread = sqrt(c.diagonal())
    return clamp(div(div(c, reshape(spread, -1, 1)), reshape(spread, 1, -1)), -1, 1)


def detach(input):  # noqa: A002
    """input.detach()."""
    return input.detach()


def fill(input, value):  # noqa: A002
    """A tensor like input filled with ``value`` (out of place)."""
    from .inplace import fill_
    return fill_(input.clone(), value)


def unsafe_chunk(input, chunks, dim=0):  # noqa: A002
    """chunk without the checks torch skips (the same pieces here)."""
    from .indexing import chunk
    return chunk(input, chunks, dim)


def unsafe_split(input, split_size, dim=0):  # noqa: A002
    """split without the checks torch skips (the same pieces here)."""
    from .indexing import split
    return split(input, split_size, dim)


__all__ += ["cov", "corrcoef", "detach", "fill", "unsafe_chunk", "unsafe_split"]
TENSOR_ONLY.update({
    "H": property(lambda self: transpose(self, 0, 1) if self._data.ndim == 2 else self),
    "mH": property(lambda self: transpose(self, -2, -1)),
    "adjoint": lambda self: transpose(self, -2, -1),
})
