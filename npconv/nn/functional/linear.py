"""npconv.nn.functional: linear (fully connected) layer, as torch.

    linear: (*, in_features) x (out_features, in_features) [+ (out_features,)] -> (*, out_features)
            y = x W^T + b, one BLAS matmul over all leading dims at once.
"""
import math
from typing import NamedTuple

import numpy as np

from ..._graph_backward import double_backward, operand
from ..._ops.linalg import _matmul_check
from ..._ops.parsing import native
from ..._ops.products import check_addmm
from ..._ops.promotion import check_in_place_result
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
        # the bias's gradient is the engine's sum over the dims it was broadcast along (a 2-d bias too)
        return ((grad if needs[0] else None), (matmul(grad, wt.T) if needs[1] else None),
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


@native("linear", input="Tensor", weight="Tensor", bias="Tensor?")
def linear(input, weight, bias=None):
    """y = x W^T + b: (*, in_features) -> (*, out_features), with weight (out_features, in_features)
    and bias (out_features,)."""
    if input.dim() == 0 or weight.dim() == 0:
        raise RuntimeError("both arguments to linear need to be at least 1D, but they are "
                           f"{input.dim()}D and {weight.dim()}D")
    fused = _check_linear(input, weight, bias)
    inner_bias = bias if fused else None
    out = _Linear.apply(input, weight, inner_bias) if weight.dim() != 2 else _matrix_linear(input, weight, inner_bias)
    return out if bias is None or fused else out.add_(bias)   # torch: matmul, then the bias added in place


class _Operand(NamedTuple):
    """What a check reads of an operand not built yet (a flattened input, a transposed weight)."""
    shape: tuple
    dtype: object
    requires_grad: bool = False


def _check_linear(input, weight, bias):
    """torch's refusals on the path its linear takes: with a bias, a 2-d input (or a contiguous one with a
    contiguous bias of one non-trivial dim) is flattened to rows for addmm (returns True); otherwise matmul,
    then the bias added in place to its result."""
    if weight.dim() > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {weight.dim()}D")
    weight_t = _Operand(tuple(weight.shape)[::-1], weight.dtype, weight.requires_grad)
    fusable = bias is not None and (input.dim() == 2 or input.is_contiguous() and bias.is_contiguous() and (
        bias.dim() == 1 or sum(n != 1 for n in bias.shape) == 1))
    if fusable:
        rows = _Operand((math.prod(input.shape[:-1]), input.shape[-1]), input.dtype)
        check_addmm(bias, rows, weight_t)
        return True
    _matmul_check(input, weight_t)
    if bias is not None:
        out = tuple(input.shape[:-1]) + tuple(weight.shape[:-1])
        check_in_place_result(out, input.dtype, bias)
    return False


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
    """x1^T A x2 over the last dims (torch's _trilinear); the bias is added after, out of place, as torch.

    Each product is two contractions in torch's order (which decides where an inf meets terms of both
    signs and gives NaN): per output, the forward and x2's gradient sum x1 A over in1 first, x1's gradient
    sums A x2 over in2 first; A's gradient is x1 times the gradient, then x2 over the rows."""

    @staticmethod
    def forward(ctx, x1, x2, weight):
        ctx.save_for_backward(x1, x2, weight)
        ctx.x1_weight = np.einsum("...i,oij->...oj", x1, weight)
        return np.einsum("...oj,...j->...o", ctx.x1_weight, x2)

    @staticmethod
    def backward(ctx, grad):
        x1, x2, weight = ctx.saved_tensors
        g1 = np.einsum("...o,...oi->...i", grad, np.einsum("oij,...j->...oi", weight, x2))
        g2 = np.einsum("...oj,...o->...j", ctx.x1_weight, grad)
        count = math.prod(grad.shape[:-1])   # the rows (an explicit count: a -1 cannot size empty ones)
        rows = (t.reshape(count, t.shape[-1]) for t in (grad, x1, x2))
        grad_rows, x1_rows, x2_rows = rows
        gw = np.einsum("boi,bj->oij", np.einsum("bo,bi->boi", grad_rows, x1_rows), x2_rows)
        return g1, g2, gw

    @staticmethod
    def meta(x1, x2, weight):
        return np.broadcast_shapes(x1.shape[:-1], x2.shape[:-1]) + weight.shape[:1], np.result_type(
            x1.dtype, x2.dtype, weight.dtype)


def _check_bilinear(input1, input2, weight, bias):
    """torch's checks of bilinear, in its order: dtypes, ranks, batch sizes, feature sizes, bias, then the
    flattening of the inputs to rows (an empty input with no features has no row count)."""
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
        if x.size(-1) != weight.size(d):
            raise RuntimeError(f"bilinear(): {name} size does not match weight size: got {x.size(-1)} but "
                               f"expected {weight.size(d)}")
    if bias is not None and bias.size(0) != weight.size(0):
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got {bias.size(0)} but expected "
                           f"{weight.size(0)}")
    for x in (input1, input2):
        x.reshape(-1, x.size(-1))   # its refusal


@native("bilinear", input1="Tensor", input2="Tensor", weight="Tensor", bias="Tensor?")
def bilinear(input1, input2, weight, bias=None):
    """y = x1^T A x2 + b: (*, in1), (*, in2) with weight (out, in1, in2) -> (*, out)."""
    _check_bilinear(input1, input2, weight, bias)
    output = _Bilinear.apply(input1, input2, weight)
    return output if bias is None else output + bias
