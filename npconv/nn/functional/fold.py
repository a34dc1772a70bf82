"""npconv.nn.functional: unfold (im2col) and fold (col2im), as torch, differentiable.

Shapes (2 spatial dims, as torch supports)::

    unfold: (N, C, H, W) -> (N, C * kH * kW, L)
    fold:   (N, C * kH * kW, L) -> (N, C, H, W)

with ``L = prod_d floor((S_d + 2 * padding_d - dilation_d * (k_d - 1) - 1) / stride_d) + 1``, the number of
sliding blocks (``S`` is the input's spatial size for unfold, ``output_size`` for fold). The batch dim may
be left out. Each is the other's adjoint, so each one's backward is the other's forward.
"""
import numpy as np

from ... import _shapes
from ..._memory import check_allocation
from ..._graph_backward import double_backward, linear_in_grad
from ...autograd import Function
from ...kernels import im2col as kernels
from ..._ops.parsing import check_argument

__all__ = ["unfold", "fold"]


def _batched(kernel, array, *args):
    """``kernel`` on an unbatched ``array`` through a batch of one (one graph node, as torch's native op)."""
    return kernel(array[None], *args)[0]


class _Im2Col(Function):
    backward_name = "Im2ColBackward0"

    @staticmethod
    def forward(ctx, x, kernel, dilation, padding, stride, blocks):
        ctx.geometry = (x.shape[-2:], kernel, dilation, padding, stride, blocks)
        if x.ndim == 3:
            return _batched(kernels.unfold, x, kernel, dilation, padding, stride, blocks)
        return kernels.unfold(x, kernel, dilation, padding, stride, blocks)

    @staticmethod
    def backward(ctx, grad):
        if grad.ndim == 2:
            return (_batched(kernels.fold, grad, *ctx.geometry),) + (None,) * 5
        return (kernels.fold(grad, *ctx.geometry),) + (None,) * 5

    @staticmethod
    def meta(x, kernel, dilation, padding, stride, blocks):
        return x.shape[:-3] + (x.shape[-3] * _product(kernel), _product(blocks)), x.dtype



@double_backward(_Im2Col)
def _unfold_gradient(node, g):
    """create_graph: the backward (fold) has unfold itself as its adjoint."""
    _, *geometry = node.geometry

    def unfold(v):
        v = np.asarray(v)
        return _batched(kernels.unfold, v, *geometry) if v.ndim == 3 else kernels.unfold(v, *geometry)
    return (linear_in_grad(node, g, unfold),) + (None,) * 5

class _Col2Im(Function):
    backward_name = "Col2ImBackward0"

    @staticmethod
    def forward(ctx, columns, spatial, kernel, dilation, padding, stride, blocks):
        ctx.geometry = (kernel, dilation, padding, stride, blocks)
        if columns.ndim == 2:
            return _batched(kernels.fold, columns, spatial, kernel, dilation, padding, stride, blocks)
        return kernels.fold(columns, spatial, kernel, dilation, padding, stride, blocks)

    @staticmethod
    def backward(ctx, grad):
        if grad.ndim == 3:
            return (_batched(kernels.unfold, grad, *ctx.geometry),) + (None,) * 6
        return (kernels.unfold(grad, *ctx.geometry),) + (None,) * 6

    @staticmethod
    def meta(columns, spatial, kernel, dilation, padding, stride, blocks):
        return columns.shape[:-2] + (columns.shape[-2] // _product(kernel),) + tuple(spatial), columns.dtype


@double_backward(_Col2Im)
def _fold_gradient(node, g):
    """create_graph: the backward (unfold) has fold itself as its adjoint."""
    spatial = g._data.shape[-2:]

    def fold(v):
        v = np.asarray(v)
        if v.ndim == 2:
            return _batched(kernels.fold, v, spatial, *node.geometry)
        return kernels.fold(v, spatial, *node.geometry)
    return (linear_in_grad(node, g, fold),) + (None,) * 6


def _product(sizes):
    result = 1
    for size in sizes:
        result *= size
    return result


def _pairs(op, arguments):
    """torch's Python wrapper passes ``_pair(argument)`` of each to the native op, positionally (from 2)."""
    values = []
    for position, (name, value) in enumerate(arguments, start=2):
        value = _shapes.pair(value)
        check_argument(op, name, "ints", value, position)
        if len(value) != 2:
            raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(value)}")
        values.append(tuple(int(v) for v in value))
    return values


def _check_hyper(kernel, dilation, padding, stride, order):
    """The native ops' checks of kernel_size, dilation, padding and stride, in the op's ``order``."""
    checks = {
        "kernel": (kernel, lambda v: v > 0, "kernel size should be greater than zero, but got kernel_height: "
                   "{} kernel_width: {}"),
        "dilation": (dilation, lambda v: v > 0, "dilation should be greater than zero, but got dilation_height: "
                     "{} dilation_width: {}"),
        "padding": (padding, lambda v: v >= 0, "padding should be non-negative, but got pad_height: {} "
                    "pad_width: {}"),
        "stride": (stride, lambda v: v > 0, "stride should be greater than zero, but got stride_height: {} "
                   "stride_width: {}"),
    }
    for name in order:
        values, valid, text = checks[name]
        if not all(valid(v) for v in values):
            raise RuntimeError(text.format(*values))


def _blocks(spatial, kernel, dilation, padding, stride):
    return tuple(_shapes.conv_length(size, k, s, p, p, dl)
                 for size, k, dl, p, s in zip(spatial, kernel, dilation, padding, stride))


def _check_dtype(input, op):
    if input.dtype.name != "bool" and not input.dtype.is_floating_point:
        raise NotImplementedError(f'"{op}_out_cpu" not implemented for \'{input.dtype.scalar_name}\'')


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Extract sliding local blocks: (N, C, H, W) or (C, H, W) -> (N, C * kH * kW, L) or (C * kH * kW, L).

    Column ``l`` holds the block at the l-th position in row-major order, row ``c * kH * kW + i * kW + j``
    its channel ``c`` at kernel offset ``(i, j)``; ``L = prod_d floor((S_d + 2 p_d - d_d (k_d - 1) - 1) / s_d) + 1``.
    """
    kernel, dilation, padding, stride = _pairs("im2col", [("kernel_size", kernel_size), ("dilation", dilation),
                                                          ("padding", padding), ("stride", stride)])
    _check_hyper(kernel, dilation, padding, stride, ("kernel", "dilation", "padding", "stride"))
    if input.dim() == 0:
        raise IndexError("Dimension specified as 1 but tensor has no dimensions")
    # torch reads size(1) and then size(2) before it looks at the rank (an IndexError on a smaller input)
    valid = input.size(1) != 0 and input.size(2) != 0
    shape = tuple(input.shape)
    if input.dim() not in (3, 4) or not valid or 0 in shape[-3:]:
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
                           f"dimensions for input, but got: {list(shape)}")
    spatial = shape[-2:]
    blocks = _blocks(spatial, kernel, dilation, padding, stride)
    if min(blocks) < 1:
        raise RuntimeError(f"Given input with spatial size ({spatial[0]}, {spatial[1]}), kernel_size=({kernel[0]}, "
                           f"{kernel[1]}), dilation=({dilation[0]}, {dilation[1]}), padding=({padding[0]}, "
                           f"{padding[1]}), calculated shape of the array of sliding blocks as ({blocks[0]}, "
                           f"{blocks[1]}), but its components must be at least one.")
    _check_dtype(input, "im2col")
    if not input.is_meta:
        check_allocation(shape[:-3] + (shape[-3] * _product(kernel), _product(blocks)), input.element_size())
    return _Im2Col.apply(input, kernel, dilation, tuple((p, p) for p in padding), stride, blocks)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Combine sliding local blocks into a tensor (the adjoint of :func:`unfold`, overlapping values summed):
    (N, C * kH * kW, L) or (C * kH * kW, L) -> (N, C, H, W) or (C, H, W), ``(H, W) = output_size`` and ``L``
    the number of blocks that fit, as for unfold.
    """
    spatial, kernel, dilation, padding, stride = _pairs(
        "col2im", [("output_size", output_size), ("kernel_size", kernel_size), ("dilation", dilation),
                   ("padding", padding), ("stride", stride)])
    _check_hyper(kernel, dilation, padding, stride, ("kernel", "stride", "dilation", "padding"))
    shape = tuple(input.shape)
    if not ((len(shape) == 2 and 0 not in shape) or (len(shape) == 3 and 0 not in shape[1:])):
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero "
                           f"dimensions for input, but got: {list(shape)}")
    planes, length = shape[-2:]
    if _product(kernel) >= 2**63:
        raise RuntimeError(f"Given kernel_width = {kernel[1]} and kernel_height = {kernel[0]} the product of "
                           "kernel_width and kernel_height overflowed.")
    if planes % _product(kernel):
        raise RuntimeError("Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
                           f"got input.size(1)={planes} and kernel_size=({kernel[0]}, {kernel[1]}).")
    blocks = _blocks(spatial, kernel, dilation, padding, stride)
    given = (f"Given output_size=({spatial[0]}, {spatial[1]}), kernel_size=({kernel[0]}, {kernel[1]}), "
             f"dilation=({dilation[0]}, {dilation[1]}), padding=({padding[0]}, {padding[1]}), "
             f"stride=({stride[0]}, {stride[1]}), ")
    if length != blocks[0] * blocks[1]:
        raise RuntimeError(f"{given}expected size of input's dimension 2 to match the calculated number of sliding "
                           f"blocks {blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, but got input.size(2)="
                           f"{length}.")
    if min(blocks) < 1:
        raise RuntimeError(f"{given}calculated shape of the array of sliding blocks as ({blocks[0]}, {blocks[1]}), "
                           "which is too small (non-positive)")
    _check_dtype(input, "col2im")
    if not input.is_meta:
        check_allocation(shape[:-2] + (planes // _product(kernel),) + spatial, input.element_size())
    return _Col2Im.apply(input, spatial, kernel, dilation, tuple((p, p) for p in padding), stride, blocks)
