"""ASGD (averaged SGD, Polyak and Juditsky), with torch's single-tensor arithmetic and state layout."""
import numpy as np

from .._tensor import Tensor
from .optimizer import _CAPTURABLE_DEVICES, Optimizer, _capturable_message, _check_lr, \
    _check_non_negative, _count_step, _scalar, _value

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """p *= 1 - lambd * eta; p -= eta * g; the average ax follows p once t > t0 (ax += mu * (p - ax));
    then eta = lr / (1 + lambd * lr * t) ** alpha and mu = 1 / max(1, t - t0), both kept as 0-d tensors."""

    _capturable_error = _capturable_message(_CAPTURABLE_DEVICES, "params, mus, etas, and state_steps")
    _capturable_error_foreach = _capturable_message(_CAPTURABLE_DEVICES[:-1], "params, mus, etas, and state_steps")

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None, maximize=False,
                 differentiable=False, capturable=False):
        _check_lr(lr)
        _check_non_negative(("weight_decay value", weight_decay))
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def _init_state(self, param, group):
        return {"step": _scalar(0.0), "eta": _scalar(_value(group["lr"])), "mu": _scalar(1.0),
                "ax": Tensor._make(np.zeros_like(param._data))}

    def _update(self, param, grad, state, group):
        dt = param.dtype.type
        step = _count_step(state)
        lr, lambd = _value(group["lr"]), group["lambd"]
        eta = float(state["eta"]._data)  # the float32 (or default-dtype) value, as torch reads it
        param *= dt(1 - lambd * eta)
        param += dt(-eta) * grad
        ax = state["ax"]._data
        if float(state["mu"]._data) != 1:
            ax += (param - ax) * dt(float(state["mu"]._data))
        else:
            ax[...] = param
        state["eta"]._data = np.asarray(lr / (1 + lambd * lr * step) ** group["alpha"], state["eta"]._data.dtype)
        state["mu"]._data = np.asarray(1 / max(1, step - group["t0"]), state["mu"]._data.dtype)
