"""RAdam (rectified Adam, Liu et al. 2019), with torch's single-tensor arithmetic and state layout."""
import numpy as np

from .._tensor import Tensor
from .optimizer import Optimizer, _check_betas, _check_lr, _check_non_negative, _count_step, _lerp_, _scalar, _value

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """m, v as Adam; rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t) with rho_inf = 2 / (1 - beta2) - 1;
    while rho_t <= 5 p -= lr * m / (1 - beta1^t) (SGD with momentum), afterwards the adaptive step
    p -= lr * m / (1 - beta1^t) * sqrt(1 - beta2^t) / (sqrt(v) + eps) * r_t with the rectification r_t."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, foreach=None, maximize=False, capturable=False, differentiable=False):
        _check_lr(lr)
        _check_non_negative(("epsilon value", eps))
        _check_betas(betas)
        _check_non_negative(("weight_decay value", weight_decay))
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable, "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def _init_state(self, param, group):
        return {"step": _scalar(0.0), "exp_avg": Tensor._make(np.zeros_like(param._data)),
                "exp_avg_sq": Tensor._make(np.zeros_like(param._data))}

    def _update(self, param, grad, state, group):
        dt = param.dtype.type
        step = _count_step(state)
        beta1, beta2 = group["betas"]
        exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
        _lerp_(exp_avg, grad, 1 - beta1)
        exp_avg_sq *= dt(beta2)
        exp_avg_sq += dt(1 - beta2) * grad * grad
        bias_correction2 = 1 - beta2 ** step
        corrected = exp_avg / dt(1 - beta1 ** step)
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
        update = corrected * dt(_value(group["lr"]))
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            # torch divides a number by a tensor as reciprocal-then-multiply
            adaptive = np.reciprocal(np.sqrt(exp_avg_sq) + dt(group["eps"])) * dt(bias_correction2 ** 0.5)
            update = update * adaptive * dt(rect)
        param -= update
