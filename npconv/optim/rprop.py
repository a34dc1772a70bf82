"""Rprop (resilient backpropagation), with torch's single-tensor arithmetic and state layout."""
import numpy as np

from .._tensor import Tensor
from .optimizer import Optimizer, _check_lr, _count_step, _scalar, _value

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """Per entry, a step size that grows by etas[1] while the gradient keeps its sign and shrinks by etas[0]
    when it flips (clamped to step_sizes); p -= sign(g) * step size, skipping entries whose sign just
    flipped (their gradient is remembered as 0)."""

    _capturable_error_foreach = Optimizer._capturable_error  # torch's foreach Rprop lists xla too

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False, foreach=None,
                 maximize=False, differentiable=False):
        _check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def _init_state(self, param, group):
        return {"step": _scalar(0.0), "prev": Tensor._make(np.zeros_like(param._data)),
                "step_size": Tensor._make(np.full_like(param._data, _value(group["lr"])))}

    @staticmethod
    def _prepared_grad(param, grad, group):
        return -grad if group["maximize"] else grad  # Rprop has no weight decay

    def _update(self, param, grad, state, group):
        dt = param.dtype.type
        _count_step(state)
        shrink, grow = group["etas"]
        smallest, largest = group["step_sizes"]
        prev, step_size = state["prev"]._data, state["step_size"]._data
        agreement = np.sign(grad * prev)
        factor = np.where(agreement > 0, dt(grow), np.where(agreement < 0, dt(shrink), dt(1)))
        step_size *= factor
        np.clip(step_size, dt(smallest), dt(largest), out=step_size)
        grad = np.where(factor == dt(shrink), dt(0), grad)
        param -= np.sign(grad) * step_size
        prev[...] = grad
