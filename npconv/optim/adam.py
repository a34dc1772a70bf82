"""Adam and AdamW (decoupled weight decay), with torch's single-tensor arithmetic and state layout."""
import math

import numpy as np

from .._tensor import Tensor
from .optimizer import Optimizer, _check_betas, _check_fused, _check_lr, _check_non_negative, _count_step, \
    _lerp_, _scalar, _value

__all__ = ["Adam", "AdamW"]


def _check_beta_types(betas, foreach, capturable):
    """torch wants both betas floats or both one-element tensors (then not with foreach but not capturable)."""
    if not (all(isinstance(b, float) for b in betas[:2]) or all(isinstance(b, Tensor) for b in betas[:2])):
        raise ValueError("betas must be either both floats or both Tensors")
    for index, beta in enumerate(betas[:2]):
        if isinstance(beta, Tensor):
            if not capturable and foreach:
                raise ValueError(f"betas[{index}] as a Tensor is not supported for capturable=False and foreach=True")
            if beta.numel() != 1:
                raise ValueError(f"Tensor betas[{index}] must be 1-element")


class Adam(Optimizer):
    """m = lerp(m, g, 1 - beta1); v = beta2 * v + (1 - beta2) * g^2;
    p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)."""

    _foreach_checks = ("capturable", "autograd")

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        if isinstance(lr, Tensor) and foreach and not capturable:
            raise ValueError("lr as a Tensor is not supported for capturable=False and foreach=True")
        _check_lr(lr)
        _check_non_negative(("epsilon value", eps))
        _check_betas(betas)
        _check_non_negative(("weight_decay value", weight_decay))
        _check_beta_types(betas, foreach, capturable)
        betas = tuple(b.reshape(()) if isinstance(b, Tensor) else b for b in betas)  # torch's _to_scalar
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "amsgrad": amsgrad,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)
        _check_fused(fused, foreach, differentiable)

    def _init_state(self, param, group):
        state = {"step": _scalar(0.0, group["fused"]), "exp_avg": Tensor._make(np.zeros_like(param._data)),
                 "exp_avg_sq": Tensor._make(np.zeros_like(param._data))}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = Tensor._make(np.zeros_like(param._data))
        return state

    def _update(self, param, grad, state, group):
        dt = param.dtype.type
        step = _count_step(state)
        beta1, beta2 = (_value(b) for b in group["betas"])
        m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
        _lerp_(m, grad, 1 - beta1)
        v *= dt(beta2)
        v += dt(1 - beta2) * grad * grad
        step_size = _value(group["lr"]) / (1 - beta1 ** step)
        if group["amsgrad"]:
            v_max = state["max_exp_avg_sq"]._data
            np.maximum(v_max, v, out=v_max)
            v = v_max
        denom = np.sqrt(v) / dt(math.sqrt(1 - beta2 ** step)) + dt(group["eps"])
        param += dt(-step_size) * (m / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay: p *= 1 - lr * weight_decay before the Adam step (default 1e-2)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
