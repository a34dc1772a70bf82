"""RMSprop (plain, centered, with momentum), with torch's single-tensor arithmetic and state layout."""
import numpy as np

from .._tensor import Tensor
from .optimizer import Optimizer, _addcdiv_, _check_lr, _check_non_negative, _count_step, _lerp_, _scalar, _value

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """v = alpha * v + (1 - alpha) * g^2;  centered: m = lerp(m, g, 1 - alpha), v - m^2 replaces v;
    d = sqrt(v) + eps;  momentum: b = momentum * b + g / d, p -= lr * b;  otherwise p -= lr * g / d."""

    _capturable_error_foreach = Optimizer._capturable_error  # torch's foreach RMSprop lists xla too

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _check_lr(lr)
        _check_non_negative(("epsilon value", eps), ("momentum value", momentum),
                            ("weight_decay value", weight_decay), ("alpha value", alpha))
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
                    "weight_decay": weight_decay, "capturable": capturable, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable}
        super().__init__(params, defaults)

    def _init_state(self, param, group):
        state = {"step": _scalar(0.0), "square_avg": Tensor._make(np.zeros_like(param._data))}
        if group["momentum"] > 0:
            state["momentum_buffer"] = Tensor._make(np.zeros_like(param._data))
        if group["centered"]:
            state["grad_avg"] = Tensor._make(np.zeros_like(param._data))
        return state

    def _update(self, param, grad, state, group):
        dt = param.dtype.type
        _count_step(state)
        alpha = group["alpha"]
        square_avg = state["square_avg"]._data
        square_avg *= dt(alpha)
        square_avg += dt(1 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = state["grad_avg"]._data
            _lerp_(grad_avg, grad, 1 - alpha)
            avg = np.sqrt(square_avg - grad_avg * grad_avg)
        else:
            avg = np.sqrt(square_avg)
        avg += dt(group["eps"])
        lr = _value(group["lr"])
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]._data
            buf *= dt(group["momentum"])
            buf += grad / avg
            param += dt(-lr) * buf
        else:
            _addcdiv_(param, -lr, grad, avg)
