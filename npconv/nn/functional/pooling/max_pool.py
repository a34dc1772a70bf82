"""Max pooling, as torch.nn.functional.max_pool{1,2,3}d (and the _with_indices forms)."""
import numpy as np

from .... import _shapes
from ...._shapes import dilated_extent
from ...._graph_backward import double_backward, linear_in_grad, operand
from ....autograd import Function
from ....kernels import pooling as kernels
from ...._ops.parsing import check_arguments
from ._common import (check_1d_lists, check_positive, _refuse_empty, _batched, _check_c_int, _check_dtype,
                      _check_max_pool1d_input, _check_rank, _check_rank_first, _check_window, _FLOATS, _INTS,
                      _max_pool_grad, _named_by_dims, _output_size, _pool, _pooled_meta, _tuple, _unbatched_like)

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices", "max_pool2d_with_indices",
           "max_pool3d_with_indices"]


class _MaxPool(Function):
    graph_inputs = 1   # options such as divisor_override=None are not tensors
    backward_name = "MaxPoolWithIndicesBackward0"

    @staticmethod
    def forward(ctx, x, n, kernel_size, stride, padding, dilation, out_size, return_indices):
        need_indices = return_indices or ctx.needs_input_grad[0]
        y, indices = kernels.max_pool_forward(_batched(x, n), kernel_size, stride, padding, dilation,
                                              out_size, need_indices)
        ctx.n, ctx.spatial = n, x.shape[-n:]
        ctx.indices = indices
        ctx.distinct = all(dilated_extent(k, d) <= s for k, s, d in zip(kernel_size, stride, dilation))
        y = _unbatched_like(y, x, n)
        if return_indices:
            return y, _unbatched_like(indices, x, n)
        return y

    @staticmethod
    def backward(ctx, grad):
        return (_max_pool_grad(grad, ctx.n, ctx.indices, ctx.spatial, ctx.distinct),) + (None,) * 7

    @staticmethod
    def meta(x, n, kernel_size, stride, padding, dilation, out_size, return_indices):
        return _pooled_meta(x, n, out_size)



@double_backward(_MaxPool)
def _max_pool_gradient(node, g):
    """create_graph: the scatter to the argmaxes, whose adjoint gathers there; torch sends the input zeros."""
    out_shape = g._data.shape

    def gather(v):
        v = np.asarray(v)
        lead = v.shape[:-node.n]
        return np.take_along_axis(v.reshape(lead + (-1,)), node.indices.reshape(lead + (-1,)), -1).reshape(out_shape)
    return (linear_in_grad(node, g, gather, (operand(node, 0),)),) + (None,) * 7

_MAX_POOL = _named_by_dims(_MaxPool, "MaxPool{}DWithIndicesBackward0", __name__)


def _max_pool1d_checks(input, kernel_size, stride, padding, dilation, ceil_mode):
    """max_pool1d without indices is its own kernel in torch, with its own messages."""
    op = "max_pool1d()"
    for what, value, allowed in (("kernel_size", kernel_size, "an int, list of ints or tuple of ints"),
                                 ("stride", stride, "None, an int, list of ints, or tuple of ints"),
                                 ("padding", padding, "an int, list of ints, or tuple of ints"),
                                 ("dilation", dilation, "an int, list of ints or tuple of ints")):
        if isinstance(value, (tuple, list)) and len(value) != 1 and not (what == "stride" and len(value) == 0):
            raise RuntimeError(f"{op} {what} must be {allowed} of size 1 but got size {len(value)}")
    k = _tuple(kernel_size, 1, "kernel_size", op)[0]
    s = (_tuple(stride, 1, "stride", op, omitted_ok=True) or (k,))[0]
    p = _tuple(padding, 1, "padding", op)[0]
    d = _tuple(dilation, 1, "dilation", op)[0]
    if k <= 0:
        raise RuntimeError(f"{op} kernel_size must be greater than zero, but got {k}")
    if s <= 0:
        raise RuntimeError(f"{op} stride must be greater than zero, but got {s}")
    if p < 0:
        raise RuntimeError(f"{op} padding must be non-negative, but got {p}")
    if p > k // 2:
        raise RuntimeError(f"{op} padding should be at most half of kernel size, but got padding={p} and "
                           f"kernel_size={k}")
    if d <= 0:
        raise RuntimeError(f"{op} dilation must be greater than zero, but got {d}")
    out = _shapes.pool_length(input.shape[-1], k, s, p, d, ceil_mode)
    if out <= 0:   # torch holds the size in a C int
        raise RuntimeError(f"{op} Invalid computed output size: {_shapes.c_int(out) if _shapes.c_int(out) <= 0 else out}")


_MAX_POOL_KINDS = (("kernel_size", "ints", 2), ("stride", "ints?", 3), ("padding", "ints", 4),
                   ("dilation", "ints", 5), ("ceil_mode", "bool", 6))


def _max_pool(n, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    # torch's Python wrapper passes every argument to the native op by position
    check_arguments(f"max_pool{n}d" + ("_with_indices" if return_indices else ""), _MAX_POOL_KINDS,
                    dict(kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation,
                         ceil_mode=ceil_mode), 6)
    op = f"max_pool{n}d" if n > 1 else "max_pool2d"
    if n == 1:
        _check_max_pool1d_input(input, return_indices)
    if n == 1 and not return_indices:
        _max_pool1d_checks(input, kernel_size, stride, padding, dilation, ceil_mode)
    elif n == 1:   # max_pool1d_with_indices' parser
        check_1d_lists("max_pool1d", kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation)
    k = _tuple(kernel_size, n, "kernel_size", op)
    s = _tuple(stride, n, "stride", op, omitted_ok=True) or k
    p = _tuple(padding, n, "padding", op)
    d = _tuple(dilation, n, "dilation", op)
    if n > 1 or return_indices:
        _check_c_int(k, s, p, d)
    if n > 1:
        _check_rank_first(input, n)
    if n > 1 or return_indices:
        _check_window(k, s, p, d)   # torch's output-length rules come before its rank and size checks
        check_positive(n, k, s, d)   # the shape check looks at the window before the empty dims
        if n > 1:
            _check_rank(input, n, op)
        elif 0 in input.shape[-2:]:
            _refuse_empty(input.shape[:-1] + (1, input.shape[-1]), 2)
    out = _output_size(input, n, k, s, p, d, ceil_mode)
    if n == 1 and not return_indices:
        _check_dtype(input, "max_pool1d_impl")
    _check_dtype(input, f"max_pool{max(n, 2)}d", _FLOATS + _INTS, dims=n)
    return _pool(_MAX_POOL, input, n, (k, s, p, d, out), (1, 1, 0, 1, 1), return_indices=return_indices)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """1-d max pooling: (N, C, L) -> (N, C, L_out), L_out = floor((L + 2p - d(k-1) - 1) / s) + 1
    (rounded up with ``ceil_mode``). With ``return_indices``, also the int64 argmax positions in L."""
    return _max_pool(1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-d max pooling: (N, C, H, W) -> (N, C, H_out, W_out), per dim
    out = floor((in + 2p - d(k-1) - 1) / s) + 1 (rounded up with ``ceil_mode``); ``stride`` defaults to
    ``kernel_size``. With ``return_indices``, also the int64 flat argmax index in each H*W plane."""
    return _max_pool(2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """3-d max pooling: (N, C, D, H, W) -> (N, C, D_out, H_out, W_out), per dim as max_pool2d;
    indices are flat in each D*H*W volume."""
    return _max_pool(3, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    """max_pool1d returning (output, indices)."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    """max_pool2d returning (output, indices)."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    """max_pool3d returning (output, indices)."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)
