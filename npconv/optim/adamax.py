"""Adamax (Adam with the infinity norm), with torch's single-tensor arithmetic and state layout."""
import numpy as np

from .._tensor import Tensor
from .optimizer import Optimizer, _addcdiv_, _check_betas, _check_lr, _check_non_negative, _count_step, _lerp_, \
    _scalar, _value

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """m = lerp(m, g, 1 - beta1);  u = max(beta2 * u, |g| + eps);  p -= lr / (1 - beta1^t) * m / u."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        _check_lr(lr)
        _check_non_negative(("epsilon value", eps))
        _check_betas(betas)
        _check_non_negative(("weight_decay value", weight_decay))
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def _init_state(self, param, group):
        return {"step": _scalar(0.0), "exp_avg": Tensor._make(np.zeros_like(param._data)),
                "exp_inf": Tensor._make(np.zeros_like(param._data))}

    def _update(self, param, grad, state, group):
        dt = param.dtype.type
        step = _count_step(state)
        beta1, beta2 = group["betas"]
        exp_avg, exp_inf = state["exp_avg"]._data, state["exp_inf"]._data
        _lerp_(exp_avg, grad, 1 - beta1)
        exp_inf *= dt(beta2)
        np.maximum(exp_inf, np.abs(grad) + dt(group["eps"]), out=exp_inf)
        _addcdiv_(param, -_value(group["lr"]) / (1 - beta1 ** step), exp_avg, exp_inf)
