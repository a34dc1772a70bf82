"""SGD with momentum, dampening, Nesterov and weight decay (torch's single-tensor arithmetic)."""
import numpy as np

from .._tensor import Tensor
from .optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """v = momentum * v + (1 - dampening) * g;  p -= lr * (g + momentum * v if nesterov else v).
    The first step sets v = g (torch)."""

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
                    "nesterov": nesterov, "maximize": maximize, "foreach": foreach,
                    "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def _update(self, param, grad, state, group):
        p = param._data
        dt = p.dtype.type
        g = -grad if group["maximize"] else grad
        if group["weight_decay"] != 0:
            g = g + dt(group["weight_decay"]) * p
        momentum = group["momentum"]
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = Tensor._make(np.array(g, dtype=p.dtype, copy=True))
                state["momentum_buffer"] = buf
            else:
                b = buf._data
                b *= dt(momentum)
                b += dt(1 - group["dampening"]) * g
            g = g + dt(momentum) * buf._data if group["nesterov"] else buf._data
        p += dt(-group["lr"]) * g
