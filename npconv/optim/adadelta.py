"""Adadelta (Zeiler 2012), with torch's single-tensor arithmetic and state layout."""
import numpy as np

from .._tensor import Tensor
from .optimizer import _CAPTURABLE_DEVICES, Optimizer, _capturable_message, \
    _check_lr, _check_non_negative, _count_step, _scalar, _value

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """s = rho * s + (1 - rho) * g^2;  d = sqrt(a + eps) / sqrt(s + eps) * g;
    a = rho * a + (1 - rho) * d^2;  p -= lr * d."""

    _capturable_error = _capturable_message(_CAPTURABLE_DEVICES[:-1])  # torch's Adadelta never lists xla

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        _check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_non_negative(("epsilon value", eps), ("weight_decay value", weight_decay))
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                    "capturable": capturable, "foreach": foreach, "differentiable": differentiable}
        super().__init__(params, defaults)

    def _init_state(self, param, group):
        return {"step": _scalar(0.0), "square_avg": Tensor._make(np.zeros_like(param._data)),
                "acc_delta": Tensor._make(np.zeros_like(param._data))}

    def _update(self, param, grad, state, group):
        dt = param.dtype.type
        _count_step(state)
        rho, eps = dt(group["rho"]), dt(group["eps"])
        square_avg, acc_delta = state["square_avg"]._data, state["acc_delta"]._data
        square_avg *= rho
        square_avg += dt(1 - group["rho"]) * grad * grad
        delta = np.sqrt(acc_delta + eps) / np.sqrt(square_avg + eps) * grad
        acc_delta *= rho
        acc_delta += dt(1 - group["rho"]) * delta * delta
        param += dt(-_value(group["lr"])) * delta
