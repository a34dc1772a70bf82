"""SGD with momentum, dampening, Nesterov and weight decay (torch's single-tensor arithmetic)."""
import numpy as np

from .._tensor import Tensor
from .optimizer import Optimizer, _check_fused, _value

__all__ = ["SGD"]


class SGD(Optimizer):
    """v = momentum * v + (1 - dampening) * g;  p -= lr * (g + momentum * v if nesterov else v).
    The first step sets v = g (torch); without momentum the state stays empty."""

    _foreach_checks = ()  # torch's foreach SGD lets autograd refuse the in-place step

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        # torch tests `x < 0` here (a NaN passes), where the other optimisers test `not 0 <= x`
        for label, value in (("learning rate", lr), ("momentum value", momentum), ("weight_decay value", weight_decay)):
            if value < 0.0:
                raise ValueError(f"Invalid {label}: {value}")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
                    "nesterov": nesterov, "maximize": maximize, "foreach": foreach,
                    "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        _check_fused(fused, foreach, differentiable)

    def _update(self, param, grad, state, group):
        dt = param.dtype.type
        momentum = group["momentum"]
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                state["momentum_buffer"] = buf = Tensor._make(np.array(grad, dtype=param.dtype, copy=True))
            else:
                b = buf._data
                b *= dt(momentum)
                dampening = group["dampening"]
                b += grad if dampening == 0 else dt(1 - dampening) * grad   # 1 * grad is grad: no temporary
            grad = grad + dt(momentum) * buf._data if group["nesterov"] else buf._data
        param += dt(-_value(group["lr"])) * grad
