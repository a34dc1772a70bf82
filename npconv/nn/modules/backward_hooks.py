"""Module backward hooks, as torch's ``register_full_backward_hook`` / ``register_full_backward_pre_hook``.

A call of a module with such hooks passes its tensor inputs and its output through an identity node each
(torch's BackwardHookFunctionBackward). When the output's gradient arrives, the pre-hooks see it
(``hook(module, grad_output)``, may return a replacement); when the gradients with respect to the inputs
are complete, the hooks see both (``hook(module, grad_input, grad_output)``, may return a replacement
grad_input). If no input requires a gradient, the hooks fire with ``grad_input`` all None as soon as the
output's gradient is known (torch warns then, and so does npconv).

Left out: a module returning several tensors (its hooks raise NotImplementedError), and replacing the
gradients of several inputs at once (npconv hands each input its gradient as soon as it is computed, so a
replacement is taken only when one input requires a gradient).
"""
import warnings

from ..._tensor import Tensor
from ...autograd import Function

__all__ = ["call_with_backward_hooks"]

_NO_INPUT_GRADS = ("Full backward hook is firing when gradients are computed with respect to module outputs since "
                   "no inputs require gradients. See https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html"
                   "#torch.nn.Module.register_full_backward_hook for more details.")


class _HookIdentity(Function):
    backward_name = "BackwardHookFunctionBackward"
    returns_view = True   # the identity hands out its input's array itself
    graph_inputs = 1

    @staticmethod
    def forward(ctx, x, on_gradient):
        ctx.on_gradient = on_gradient
        return x

    @staticmethod
    def backward(ctx, grad):
        return ctx.on_gradient(grad), None


class _HookedCall:
    """One call of a hooked module: gathers its gradients and runs the hooks when they are complete."""

    def __init__(self, module, args):
        self.module = module
        self.positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.needing = [i for i in self.positions if args[i].requires_grad]
        self.grad_output = None
        self.grad_input = {}

    def on_output_gradient(self, grad):
        grad_output = (Tensor._make(grad),)
        for hook in list(self.module._backward_pre_hooks.values()):
            replaced = hook(self.module, grad_output)
            if replaced is not None:
                grad_output = tuple(replaced) if isinstance(replaced, (tuple, list)) else (replaced,)
        self.grad_output = grad_output
        if not self.needing:
            warnings.warn(_NO_INPUT_GRADS, UserWarning, stacklevel=2)
            self.run_hooks((None,) * len(self.positions))
        return grad_output[0]._data

    def on_input_gradient(self, position, grad):
        self.grad_input[position] = Tensor._make(grad)
        if len(self.grad_input) < len(self.needing):
            return grad
        grad_input = tuple(self.grad_input.get(i) for i in self.positions)
        replaced = self.run_hooks(grad_input)
        if replaced is None:
            return grad
        if len(self.needing) > 1:
            raise NotImplementedError("npconv: a full backward hook replacing the gradients of several inputs")
        new = replaced[self.positions.index(position)]
        return grad if new is None else new._data

    def run_hooks(self, grad_input):
        result = None
        for hook in list(self.module._backward_hooks.values()):
            replaced = hook(self.module, grad_input if result is None else result, self.grad_output)
            if replaced is not None:
                result = tuple(replaced) if isinstance(replaced, (tuple, list)) else (replaced,)
        return result


def call_with_backward_hooks(module, call, args, kwargs):
    """``call(*args, **kwargs)`` (the module's forward with its forward hooks) with the backward hooks wired."""
    hooked = _HookedCall(module, args)
    args = tuple(_HookIdentity.apply(a, lambda g, i=i: hooked.on_input_gradient(i, g)) if i in hooked.needing
                 else a for i, a in enumerate(args))
    output = call(*args, **kwargs)
    if not isinstance(output, Tensor):
        raise NotImplementedError("npconv: backward hooks on a module whose forward returns "
                                  f"{type(output).__name__}, not one Tensor")
    if not output.requires_grad:
        return output
    return _HookIdentity.apply(output, hooked.on_output_gradient)
