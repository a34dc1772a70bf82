"""NAdam (Adam with Nesterov momentum, Dozat 2016), with torch's single-tensor arithmetic and state layout."""
import numpy as np

from .._tensor import Tensor
from .optimizer import _CAPTURABLE_DEVICES, Optimizer, _capturable_message, \
    _addcdiv_, _check_betas, _check_lr, _check_non_negative, \
    _count_step, _lerp_, _scalar, _value

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """mu_t = beta1 * (1 - 0.96^(t * momentum_decay) / 2);  m, v as Adam;  d = sqrt(v / (1 - beta2^t)) + eps;
    p -= lr * ((1 - mu_t) / (1 - prod mu_1..t) * g + mu_{t+1} / (1 - prod mu_1..t+1) * m) / d."""

    _capturable_error = _capturable_message(_CAPTURABLE_DEVICES, "params, mu_products and state_steps")
    _capturable_error_foreach = _capturable_message(_CAPTURABLE_DEVICES[:-1], "params, mu_products, and state_steps")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check_lr(lr)
        _check_non_negative(("epsilon value", eps))
        _check_betas(betas)
        _check_non_negative(("weight_decay value", weight_decay), ("momentum_decay value", momentum_decay))
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay, "decoupled_weight_decay": decoupled_weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def _init_state(self, param, group):
        return {"step": _scalar(0.0), "mu_product": _scalar(1.0),
                "exp_avg": Tensor._make(np.zeros_like(param._data)),
                "exp_avg_sq": Tensor._make(np.zeros_like(param._data))}

    def _update(self, param, grad, state, group):
        dt = param.dtype.type
        step = _count_step(state)
        beta1, beta2 = group["betas"]
        lr, momentum_decay = _value(group["lr"]), group["momentum_decay"]
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
        product = state["mu_product"]
        product._data = product._data * product._data.dtype.type(mu)  # kept in the state's own dtype, as torch
        mu_product = float(product._data)
        exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
        _lerp_(exp_avg, grad, 1 - beta1)
        exp_avg_sq *= dt(beta2)
        exp_avg_sq += dt(1 - beta2) * grad * grad
        denom = np.sqrt(exp_avg_sq / dt(1 - beta2 ** step)) + dt(group["eps"])
        _addcdiv_(param, -lr * (1.0 - mu) / (1.0 - mu_product), grad, denom)
        _addcdiv_(param, (-lr * mu_next) / (1.0 - mu_product * mu_next), exp_avg, denom)
