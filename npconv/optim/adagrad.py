"""Adagrad, with torch's single-tensor arithmetic; its state exists from construction on, as in torch."""
import numpy as np

from .._tensor import Tensor
from .optimizer import Optimizer, _addcdiv_, _check_fused, _check_lr, _check_non_negative, _count_step, _scalar, \
    _value

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """s += g^2;  p -= lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps), s starting at
    ``initial_accumulator_value``."""

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        _check_lr(lr)
        _check_non_negative(("lr_decay value", lr_decay), ("weight_decay value", weight_decay),
                            ("initial_accumulator_value value", initial_accumulator_value), ("epsilon value", eps))
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        _check_fused(fused, foreach, differentiable)
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p] = self._init_state(p, group)

    def _init_state(self, param, group):
        accumulator = np.full_like(param._data, group["initial_accumulator_value"])
        return {"step": _scalar(0.0, group["fused"]), "sum": Tensor._make(accumulator)}

    def _update(self, param, grad, state, group):
        step = _count_step(state)
        clr = _value(group["lr"]) / (1 + (step - 1) * group["lr_decay"])
        accumulator = state["sum"]._data
        accumulator += grad * grad
        _addcdiv_(param, -clr, grad, np.sqrt(accumulator) + param.dtype.type(group["eps"]))
