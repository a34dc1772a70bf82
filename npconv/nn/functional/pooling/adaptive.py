"""Adaptive max and average pooling, as torch.nn.functional.adaptive_{max,avg}_pool{1,2,3}d."""
import numbers

import numpy as np

from ...._memory import check_allocation
from ...._graph_backward import double_backward, linear_in_grad, operand
from ....autograd import Function
from ....kernels import pooling as kernels
from ...._ops.parsing import check_argument, native
from ._common import (_batched, _check_dtype, _max_pool_grad, _named_by_dims, _one_int, _pool, _pooled_meta,
                      _unbatched_like)

__all__ = ["adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d", "adaptive_max_pool1d_with_indices",
           "adaptive_max_pool2d_with_indices", "adaptive_max_pool3d_with_indices", "adaptive_avg_pool1d",
           "adaptive_avg_pool2d", "adaptive_avg_pool3d"]


def _refuse_empty_gradient(grad, n, kind="avg"):
    """torch's adaptive pooling backward refuses an empty output (its forward allows one); its 1-d pooling
    is the 2-d one on the input with a unit height."""
    shape = list(grad.shape[:-1]) + [1, grad.shape[-1]] if n == 1 else list(grad.shape)
    for d in range(1, len(shape)):  # the first dim counts as a batch even for an unbatched input
        if shape[d] == 0:
            raise RuntimeError(f"adaptive_{kind}_pool{max(n, 2)}d_backward(): Expected grad_output to have non-zero "
                               f"size for non-batch dimensions, but grad_output has sizes {shape} with dimension "
                               f"{d} being empty")


def _nothing_to_pool(batched, out_size):
    """An empty batch or output: an empty result, with no window table (whose size grows with the output)."""
    return batched.shape[0] == 0 or 0 in out_size


class _AdaptiveAvgPool(Function):
    graph_inputs = 1   # options such as divisor_override=None are not tensors
    @staticmethod
    def forward(ctx, x, n, out_size):
        ctx.args = (n, x.shape[-n:])
        xb = _batched(x, n)
        if _nothing_to_pool(xb, out_size):
            return _unbatched_like(np.zeros(xb.shape[:2] + tuple(out_size), x.dtype), x, n)
        return _unbatched_like(kernels.adaptive_avg_pool_forward(xb, out_size), x, n)

    @staticmethod
    def backward(ctx, grad):
        n, spatial = ctx.args
        _refuse_empty_gradient(grad, n)
        gx = kernels.adaptive_avg_pool_backward(_batched(grad, n), spatial)
        return _unbatched_like(gx, grad, n), None, None

    @staticmethod
    def meta(x, n, out_size):
        return _pooled_meta(x, n, out_size)



@double_backward(_AdaptiveAvgPool)
def _adaptive_avg_pool_gradient(node, g):
    """create_graph: the backward's adjoint is the pooling itself; torch sends the input zeros."""
    n, _ = node.args
    out_size = g._data.shape[-n:]

    def pool(v):
        v = np.asarray(v)
        return _unbatched_like(kernels.adaptive_avg_pool_forward(_batched(v, n), out_size), v, n)
    return linear_in_grad(node, g, pool, (operand(node, 0),)), None, None

class _AdaptiveMaxPool(Function):
    graph_inputs = 1   # options such as divisor_override=None are not tensors
    @staticmethod
    def forward(ctx, x, n, out_size, return_indices):
        xb = _batched(x, n)
        if _nothing_to_pool(xb, out_size):
            shape = xb.shape[:2] + tuple(out_size)
            y, indices = np.zeros(shape, x.dtype), np.zeros(shape, np.int64)
        else:
            y, indices = kernels.adaptive_max_pool_forward(xb, out_size)
        ctx.args = (n, x.shape[-n:])
        ctx.indices = indices
        y = _unbatched_like(y, x, n)
        if return_indices:
            return y, _unbatched_like(indices, x, n)
        return y

    @staticmethod
    def backward(ctx, grad):
        n, spatial = ctx.args
        _refuse_empty_gradient(grad, n, "max")
        return _max_pool_grad(grad, n, ctx.indices, spatial), None, None, None

    @staticmethod
    def meta(x, n, out_size, return_indices):
        return _pooled_meta(x, n, out_size)



_ADAPTIVE_AVG_POOL = _named_by_dims(_AdaptiveAvgPool, "AdaptiveAvgPool{}DBackward0", __name__)
_ADAPTIVE_MAX_POOL = _named_by_dims(_AdaptiveMaxPool, "AdaptiveMaxPool{}DBackward0", __name__)


def _adaptive_argument(input, n, output_size, op):
    """torch's Python wrappers: the 1-d max op gets output_size by position; the 2-d and 3-d ops first fill
    None entries with the input's sizes (len() of a non-int raises Python's TypeError)."""
    if n > 1 and not isinstance(output_size, int):
        if input.dim() <= len(output_size):
            raise ValueError(f"Input dimension should be at least {len(output_size) + 1}")
        defaults = input.shape[-len(output_size):]
        output_size = [d if o is None else o for o, d in zip(output_size, defaults)]
    if n > 1 or op.startswith("adaptive_max"):
        check_argument(op, "output_size", "ints", output_size, 2)
    return output_size


def _adaptive_size(input, n, output_size, op, check_length=True):
    output_size = _adaptive_argument(input, n, output_size, op)
    if hasattr(output_size, "dim") and output_size.dim() == 0:   # torch's parser takes a 0-d tensor as its int
        output_size = int(output_size.item())
    if n == 1:
        if input.dim() not in (2, 3):   # torch's 1-d ops check the rank before the size's length
            raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional tensor for "
                               f"argument #1 'self' (while checking arguments for {op})")
        _one_int(output_size, "output_size", op)
    if isinstance(output_size, numbers.Integral) or output_size is None:
        output_size = (output_size,) * n
    output_size = tuple(output_size)
    if len(output_size) != n and check_length:
        if op.startswith("adaptive_max"):
            raise RuntimeError(f"{op}(): internal error: output_size.size() must be {n}")
        raise RuntimeError(f"{op}: output_size must be {n}")
    # None keeps the input size of that dim (torch's _list_with_default).
    return tuple(int(input.shape[-n + d]) if o is None else int(o) for d, o in enumerate(output_size))


def _adaptive_checks(input, n, out, op, is_max):
    if n == 1 and input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional tensor for "
                           f"argument #1 'self' (while checking arguments for {op})")
    if n > 1 and input.dim() not in (n + 1, n + 2):
        if is_max:
            raise RuntimeError(f"{op}(): Expected {n + 1}D or {n + 2}D tensor, but got: {list(input.shape)}")
        raise RuntimeError(f"{op}(): Expected {n + 1}D or {n + 2}D tensor, but got {list(input.shape)}")
    _adaptive_checks_nonempty(input, n, out, op, every_dim=is_max)


def _adaptive_max(n, input, output_size, return_indices):
    op = f"adaptive_max_pool{n}d"
    return_indices = bool(return_indices)   # torch's boolean_dispatch takes any truth value
    out = _adaptive_size(input, n, output_size, op, check_length=n == 1)
    if len(out) != n:   # the 2-d and 3-d kernels count the sizes after the rank and the empty dims
        _adaptive_checks(input, n, (), op, True)
        raise RuntimeError(f"{op}(): internal error: output_size.size() must be {n}")
    _adaptive_checks(input, n, out, op, True)
    _check_output_allocation(input, n, out)
    _check_dtype(input, "adaptive_max_pool3d_cpu" if n == 3 else "adaptive_max_pool2d", dims=n)
    return _pool(_ADAPTIVE_MAX_POOL, input, n, (out,), (1,), return_indices=return_indices)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Adaptive 1-d max pooling: (N, C, L) -> (N, C, output_size); window o covers
    [floor(o L / out), ceil((o + 1) L / out))."""
    return _adaptive_max(1, input, output_size, return_indices)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Adaptive 2-d max pooling: (N, C, H, W) -> (N, C, *output_size) (an int means square; None keeps)."""
    return _adaptive_max(2, input, output_size, return_indices)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Adaptive 3-d max pooling: (N, C, D, H, W) -> (N, C, *output_size)."""
    return _adaptive_max(3, input, output_size, return_indices)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):
    """adaptive_max_pool1d returning (output, indices)."""
    return _adaptive_max(1, input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    """adaptive_max_pool2d returning (output, indices)."""
    return _adaptive_max(2, input, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=True):
    """adaptive_max_pool3d returning (output, indices)."""
    return _adaptive_max(3, input, output_size, True)


def _adaptive_avg(n, input, output_size):
    op = f"adaptive_avg_pool{n}d"
    out = _adaptive_size(input, n, output_size, op)
    if n == 1 and input.dim() not in (2, 3):
        _adaptive_checks(input, n, out, op, False)
    if all(o == 1 for o in out):
        # torch takes the mean before any other check (its graph shows MeanBackward1; an empty window
        # gives nan, an integer input mean()'s error)
        lifted = input.unsqueeze(-2) if n == 1 else input
        pooled = lifted.mean(tuple(range(-max(n, 2), 0)), keepdim=True)
        return pooled.squeeze(-2) if n == 1 else pooled
    if n == 1:  # torch pools a height-1 image: the 2-d op's words and shapes
        _adaptive_checks_nonempty(input.unsqueeze(-2), 2, (1,) + tuple(out), "adaptive_avg_pool2d")
    else:
        if n == 3:   # the 3-d op looks for an empty dim after the first (channels too) before the rank
            _adaptive_checks_nonempty(input, n, out, op, every_dim=True, sizes_first=True)
        else:   # the 2-d op checks the sizes before its kernel looks at the rank
            _check_output_sizes(out, op)
        if input.dim() not in (n + 1, n + 2):
            raise RuntimeError(f"{op}(): Expected {n + 1}D or {n + 2}D tensor, but got {list(input.shape)}")
        _adaptive_checks_nonempty(input, n, out, op)
    _check_output_allocation(input, n, out, count_first=True)
    empty = 0 in input.shape[:input.dim() - n] or 0 in out
    if n == 3 or not empty:  # the 2-d kernel returns an empty result before it looks at the dtype
        _check_dtype(input, "adaptive_avg_pool3d_cpu" if n == 3 else "adaptive_avg_pool2d", dims=n)
    return _pool(_ADAPTIVE_AVG_POOL, input, n, (out,), (1,))


def _check_output_allocation(input, n, out, count_first=False):
    """torch allocates the output before it looks at the dtype: a huge one is refused first (and before
    npconv builds any window table, whose size grows with the output)."""
    if not input.is_meta:
        check_allocation(tuple(input.shape[:input.dim() - n]) + tuple(out), input.element_size(), count_first)


def _adaptive_checks_nonempty(input, n, out, op, every_dim=False, sizes_first=False):
    """No negative output size, no empty non-batch dim (adaptive max pooling checks every dim after the
    first, the channels too, and before the output size; average pooling the spatial ones, after it)."""
    if not every_dim or sizes_first:
        _check_output_sizes(out, op)
    for d in range(1 - input.dim() if every_dim else -n, 0):
        if input.shape[d] == 0:
            raise RuntimeError(f"{op}(): Expected input to have non-zero size for non-batch dimensions, "
                               f"but input has sizes {list(input.shape)} with dimension {input.dim() + d} "
                               "being empty")
    if every_dim and not sizes_first and any(o < 0 for o in out):   # max pooling allocates first: its words
        lead = tuple(input.shape[:input.dim() - n]) + ((1,) if n == 1 else ())   # 1-d runs as 2-d
        shape = list(lead) + list(out)
        raise RuntimeError(f"Trying to create tensor with negative dimension {next(o for o in shape if o < 0)}: "
                           f"{shape}")


def _check_output_sizes(out, op):
    if any(o < 0 for o in out):
        shown = ", ".join(map(str, out))
        if op == "adaptive_avg_pool3d":   # torch's 3-d message joins its last two sizes without a space
            shown = f"{out[0]}, {out[1]},{out[2]}"
        raise RuntimeError(f"{op}: elements of output_size must be greater than or equal to 0 but received "
                           f"{{{shown}}}")


@native("adaptive_avg_pool1d", output_size="ints")
def adaptive_avg_pool1d(input, output_size):
    """Adaptive 1-d average pooling: (N, C, L) -> (N, C, output_size); window o covers
    [floor(o L / out), ceil((o + 1) L / out))."""
    return _adaptive_avg(1, input, output_size)


def adaptive_avg_pool2d(input, output_size):
    """Adaptive 2-d average pooling: (*, H, W) -> (*, *output_size) (an int means square; None keeps)."""
    return _adaptive_avg(2, input, output_size)


def adaptive_avg_pool3d(input, output_size):
    """Adaptive 3-d average pooling: (*, D, H, W) -> (*, *output_size)."""
    return _adaptive_avg(3, input, output_size)
