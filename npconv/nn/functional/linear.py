"""npconv.nn.functional: linear (fully connected) layer, as torch.

    linear: (*, in_features) x (out_features, in_features) [+ (out_features,)] -> (*, out_features)
            y = x W^T + b, one BLAS matmul over all leading dims at once.
"""
import math

import numpy as np

from ..._graph_backward import double_backward, operand
from ...autograd import Function
from ...kernels.gemm import matmul

__all__ = ["linear", "bilinear"]


class _Mm(Function):
    """x (rows, in) @ wt (in, out), as torch's mm: Linear without bias on a 2-d input."""

    backward_name = "MmBackward0"

    @staticmethod
    def forward(ctx, x, wt):
        ctx.save_for_backward(x, wt)
        return matmul(x, wt)

    @staticmethod
    def backward(ctx, grad):
        x, wt = ctx.saved_tensors
        needs = ctx.needs_input_grad
        return (matmul(grad, wt.T) if needs[0] else None), (matmul(x.T, grad) if needs[1] else None)

    @staticmethod
    def meta(x, wt):
        return x.shape[:1] + wt.shape[1:], np.result_type(x.dtype, wt.dtype)


class _Addmm(Function):
    """bias + x (rows, in) @ wt (in, out), as torch's addmm: Linear with a bias. The bias comes first, so
    ``next_functions[0]`` is the bias's AccumulateGrad, as the blitz tutorial prints."""

    backward_name = "AddmmBackward0"

    @staticmethod
    def forward(ctx, bias, x, wt):
        ctx.save_for_backward(x, wt)
        y = matmul(x, wt)
        y += bias
        return y

    @staticmethod
    def backward(ctx, grad):
        x, wt = ctx.saved_tensors
        needs = ctx.needs_input_grad
        return ((grad.sum(axis=0) if needs[0] else None), (matmul(grad, wt.T) if needs[1] else None),
                (matmul(x.T, grad) if needs[2] else None))

    @staticmethod
    def meta(bias, x, wt):
        return np.broadcast_shapes(x.shape[:1] + wt.shape[1:], bias.shape), np.result_type(x.dtype, wt.dtype)


@double_backward(_Mm, _Addmm)
def _rows_times_weight_gradients(node, g):
    """create_graph=True: the gradients of mm / addmm as Tensor ops, so they can be differentiated again."""
    x, wt = node.saved_tensors
    has_bias = len(node._inputs) == 3
    needs = [t is not None for t in node._inputs[has_bias:]]
    grads = (g.matmul(operand(node, has_bias + 1, wt).t()) if needs[0] else None,
             operand(node, has_bias, x).t().matmul(g) if needs[1] else None)
    return ((g.sum(0),) if has_bias else ()) + grads


class _Linear(Function):
    """x W^T + b for a 1-d weight (a dot product per row): the rare form addmm does not cover."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        y = x @ weight.T
        if bias is not None:
            y += bias
        return y

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        needs = ctx.needs_input_grad
        grad_x = None
        if needs[0]:
            grad_x = grad[..., None] * weight if weight.ndim == 1 else grad @ weight
        grad_w = grad_b = None
        if needs[1]:
            if weight.ndim == 1:
                grad_w = np.tensordot(grad, x, axes=(tuple(range(grad.ndim)), tuple(range(grad.ndim))))
            else:
                grad_w = grad.reshape(-1, grad.shape[-1]).T @ x.reshape(-1, x.shape[-1])
        if ctx.has_bias and needs[2]:
            grad_b = grad.reshape(-1, grad.shape[-1]).sum(axis=0) if grad.ndim else grad
        return grad_x, grad_w, grad_b

    @staticmethod
    def meta(x, weight, bias):
        """Shape-only mode: (*, in) x (out, in) -> (*, out), no matmul (a VGG summary would do 25088x4096)."""
        shape = x.shape[:-1] + weight.shape[:-1]
        if bias is not None:
            shape = np.broadcast_shapes(shape, bias.shape)
        return shape, np.result_type(x.dtype, weight.dtype)


def linear(input, weight, bias=None):
    """y = x W^T + b: (*, in_features) -> (*, out_features), with weight (out_features, in_features)
    and bias (out_features,)."""
    if input.dim() == 0 or weight.dim() == 0:
        raise RuntimeError("both arguments to linear need to be at least 1D, but they are "
                           f"{input.dim()}D and {weight.dim()}D")
    # torch folds a 2-d or contiguous input with a bias into addmm (its words), others go through matmul
    folded = input.dim() == 2 or input.is_contiguous()
    if input.dtype != weight.dtype and bias is not None and weight.dim() == 2 and folded:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {input.dtype.scalar_name} and "
                           f"{weight.dtype.scalar_name}")
    in_features = weight.shape[-1]
    if input.shape[-1] != in_features:   # matmul compares the shapes before the dtypes
        rows = int(np.prod(input.shape[:-1], dtype=np.int64))
        w_shape = f"{weight.shape[-1]}x{weight.shape[0]}" if weight.dim() == 2 else f"{weight.shape[0]}x1"
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{input.shape[-1]} and {w_shape})")
    if input.dtype != weight.dtype:
        raise RuntimeError("expected m1 and m2 to have the same dtype, but got: "
                           f"{input.dtype.c_name} != {weight.dtype.c_name}")
    if bias is not None:
        out = tuple(input.shape[:-1]) + ((weight.shape[0],) if weight.dim() == 2 else ())
        if bias.dim() > 0 and bias.shape[-1] not in (1, out[-1] if out else 1):
            raise RuntimeError(f"The expanded size of the tensor ({out[-1]}) must match the existing size "
                               f"({bias.shape[-1]}) at non-singleton dimension {len(out) - 1}.  Target sizes: "
                               f"{list(out)}.  Tensor sizes: {list(bias.shape)}")
    if weight.dim() != 2:
        return _Linear.apply(input, weight, bias)
    return _matrix_linear(input, weight, bias)


def _matrix_linear(input, weight, bias):
    """torch's graph for a 2-d weight: [View] <- Addmm(bias, x, T(W)) or Mm(x, T(W)) <- [View of x]."""
    if input.dim() == 2:
        rows = input
    else:
        rows = input.reshape(math.prod(input.shape[:-1]), input.shape[-1])
    y = _Mm.apply(rows, weight.t()) if bias is None else _Addmm.apply(bias, rows, weight.t())
    if input.dim() == 2:
        return y
    return y.view(*input.shape[:-1], weight.shape[0])


class _Bilinear(Function):
    @staticmethod
    def forward(ctx, x1, x2, weight, bias):
        ctx.save_for_backward(x1, x2, weight)
        ctx.has_bias = bias is not None
        y = np.einsum("...i,oij,...j->...o", x1, weight, x2, optimize=True)
        if bias is not None:
            y += bias
        return y

    @staticmethod
    def backward(ctx, grad):
        x1, x2, weight = ctx.saved_tensors
        g1 = np.einsum("...o,oij,...j->...i", grad, weight, x2, optimize=True)
        g2 = np.einsum("...o,oij,...i->...j", grad, weight, x1, optimize=True)
        gw = np.einsum("...o,...i,...j->oij", grad, x1, x2, optimize=True)
        gb = grad.reshape(-1, grad.shape[-1]).sum(axis=0) if ctx.has_bias else None
        return g1, g2, gw, gb

    @staticmethod
    def meta(x1, x2, weight, bias):
        shape = np.broadcast_shapes(x1.shape[:-1], x2.shape[:-1]) + weight.shape[:1]
        if bias is not None:
            shape = np.broadcast_shapes(shape, bias.shape)
        return shape, np.result_type(x1.dtype, x2.dtype, weight.dtype)


def _check_bilinear(input1, input2, weight, bias):
    """torch's checks of bilinear, in its order: dtypes, ranks, batch sizes, feature sizes, bias."""
    tensors = (("input1", input1), ("input2", input2), ("weight", weight)) + ((("bias", bias),) if bias is not None
                                                                             else ())
    if len({t.dtype for _, t in tensors}) > 1:
        raise RuntimeError("All tensors must have the same dtype, got "
                           + ", ".join(f"{name}: {t.dtype.c_name}" for name, t in tensors))
    if input1.dim() != input2.dim():
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.dim()} and {input2.dim()}")
    for d in range(input1.dim() - 1):
        if input1.shape[d] != input2.shape[d]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {d}: got "
                               f"{input1.shape[d]} and {input2.shape[d]}")
    for name, x, d in (("input1", input1, 1), ("input2", input2, 2)):
        if x.shape[-1] != weight.shape[d]:
            raise RuntimeError(f"bilinear(): {name} size does not match weight size: got {x.shape[-1]} but "
                               f"expected {weight.shape[d]}")
    if bias is not None and bias.shape[-1] != weight.shape[0]:
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got {bias.shape[-1]} but expected "
                           f"{weight.shape[0]}")


def bilinear(input1, input2, weight, bias=None):
    """y = x1^T A x2 + b: (*, in1), (*, in2) with weight (out, in1, in2) -> (*, out)."""
    _check_bilinear(input1, input2, weight, bias)
    return _Bilinear.apply(input1, input2, weight, bias)
