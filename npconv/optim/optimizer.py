"""Optimizer: parameter groups, per-parameter state, zero_grad, state_dict (torch's layout), and the pieces
every update rule shares (argument checks, the step counter, maximize and weight decay, torch's lerp)."""
import copy
import warnings
from collections import defaultdict

import numpy as np

from ..autograd import enable_grad, no_grad
from .._dtype import float64, get_default_dtype
from .._tensor import Tensor

__all__ = ["Optimizer", "required"]

# where torch 2.13 runs capturable / fused optimisers (both lists exclude nothing npconv has but the cpu)
_CAPTURABLE_DEVICES = ['cuda', 'xpu', 'hpu', 'privateuseone', 'xla']
_FUSED_DEVICES = ['mps', 'cuda', 'xpu', 'hpu', 'cpu', 'mtia', 'privateuseone']


class _RequiredParameter:
    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _typename(value):
    if isinstance(value, Tensor):
        return value.type()
    return type(value).__name__


def _capturable_message(devices, what="params and state_steps"):
    return f"If capturable=True, {what} must be on supported devices: {devices}."


def _check_lr(lr):
    """torch's checks of a learning rate given as a number or a one-element tensor."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    _check_non_negative(("learning rate", lr))


def _check_non_negative(*labelled):
    """Raise torch's ``Invalid <label>: <value>`` for the first (label, value) that is not >= 0 (NaN fails)."""
    for label, value in labelled:
        if not 0.0 <= value:
            raise ValueError(f"Invalid {label}: {value}")


def _check_betas(betas):
    """Both betas in [0, 1), as torch checks them."""
    for index, beta in enumerate(betas[:2]):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {index}: {beta}")


def _check_fused(fused, foreach, differentiable):
    """fused=True excludes differentiable=True and foreach=True (checked after the groups, as torch)."""
    if fused:
        if differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        if foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


def _scalar(value, fused=False):
    """A 0-d state tensor (step, mu_product): float32, or float64 when that is the default dtype (torch's
    ``_get_scalar_dtype``; fused optimisers always count in float32)."""
    dtype = np.float64 if get_default_dtype() is float64 and not fused else np.float32
    return Tensor._make(np.asarray(value, dtype=dtype))


def _count_step(state):
    """Advance the state's step tensor by one (in its own dtype) and return the new count as a float."""
    step = state["step"]
    step._data = step._data + step._data.dtype.type(1)
    return float(step._data)


def _lerp_(average, target, weight):
    """average <- lerp(average, target, weight) in place, with torch's two formulas (exact at both ends)."""
    dt = average.dtype.type
    if weight < 0.5:
        average += dt(weight) * (target - average)
    else:
        average[...] = target - (target - average) * dt(1 - weight)


def _addcdiv_(param, value, numerator, denominator):
    """param += value * numerator / denominator, in torch's order of operations (value * numerator first)."""
    param += param.dtype.type(value) * numerator / denominator


def _value(hyper_parameter):
    """A hyper-parameter given as a one-element tensor, as a Python float (numbers pass unchanged)."""
    return float(hyper_parameter.item()) if isinstance(hyper_parameter, Tensor) else hyper_parameter


class Optimizer:
    """Base class: ``params`` is an iterable of tensors or of dicts (parameter groups with own options)."""

    def __init__(self, params, defaults):
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            "but got " + _typename(params))
        self.state = defaultdict(dict)
        self.param_groups = []
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group):
        """Add a group of parameters with its own options (missing options take the defaults)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            param_group["param_names"] = names
        param_group["params"] = params
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + _typename(p))
            if not self.defaults.get("differentiable") and not (p.is_leaf or getattr(p, "retains_grad", False)):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)
        if len({id(p) for p in params}) != len(params):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will "
                          "cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        for group in self.param_groups:
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        existing = {id(p) for group in self.param_groups for p in group["params"]}
        if existing & {id(p) for p in params}:
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none=True):
        """Reset every parameter's gradient (to None by default, as torch)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        if p.grad.grad_fn is not None:   # from backward(create_graph=True): leaves its graph
                            p.grad.detach_()
                        else:
                            p.grad.requires_grad_(False)
                        p.grad._data = np.zeros_like(p.grad._data)

    def step(self, closure=None):
        """One update of every parameter with a gradient; ``closure`` re-evaluates the loss if given."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad(), np.errstate(all="ignore"):  # torch computes inf and nan silently (eps=0, lr=inf)
            for group in self.param_groups:
                params = [p for p in group["params"] if p.grad is not None]
                self._check_step(group, params)
                for p in params:
                    state = self.state[p]
                    if not state:
                        state.update(self._init_state(p, group))
                    self._update(p._data, self._prepared_grad(p._data, p.grad._data, group), state, group)
                    p._bump_version()  # an in-place update: a graph that saved p refuses to backward
        return loss

    # torch's texts for capturable=True on a CPU, per code path (the subclasses that word them differently
    # override them), and the order in which its foreach path tests capturable and differentiable
    _capturable_error = _capturable_message(_CAPTURABLE_DEVICES)
    _capturable_error_foreach = _capturable_message(_CAPTURABLE_DEVICES[:-1])
    _foreach_checks = ("autograd", "capturable")

    def _check_step(self, group, params):
        """What torch refuses at step time on a CPU: capturable graphs, foreach steps under
        differentiable=True, in-place steps of leaves that require grad under differentiable=True, fused steps
        of non-floating parameters. Nothing is refused for a group without gradients."""
        if not params:
            return
        if group.get("fused"):  # fused kernels skip the capturable test; differentiable was refused at init
            for p in params:
                if not p.is_floating_point():
                    raise RuntimeError("`fused=True` requires all the params to be floating point Tensors of "
                                       f"supported devices: {_FUSED_DEVICES} but {p.dtype} and cpu")
            return
        if group.get("foreach"):
            for check in self._foreach_checks:
                if check == "capturable" and group.get("capturable"):
                    raise AssertionError(self._capturable_error_foreach)
                if check == "autograd" and group.get("differentiable"):
                    raise AssertionError("_foreach ops don't support autograd")
        elif group.get("capturable"):
            raise AssertionError(self._capturable_error)
        if group.get("differentiable") and any(p.requires_grad and p.is_leaf for p in params):
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")

    @staticmethod
    def _prepared_grad(param, grad, group):
        """The gradient an update rule sees: negated under maximize; plus weight_decay * param (L2), or the
        parameter shrunk by 1 - lr * weight_decay first when the decay is decoupled (AdamW)."""
        dt = param.dtype.type
        g = -grad if group["maximize"] else grad
        decay = _value(group["weight_decay"])
        if decay != 0:
            if group.get("decoupled_weight_decay"):
                param *= dt(1 - _value(group["lr"]) * decay)
            else:
                g = g + dt(decay) * param
        return g

    def _init_state(self, param, group):
        """The state of a parameter before its first update (torch's key order)."""
        return {}

    def _update(self, param, grad, state, group):
        """Update the array ``param`` in place from the prepared gradient ``grad``."""
        raise NotImplementedError

    def state_dict(self):
        """{'state': {index: {...}}, 'param_groups': [{options..., 'params': [indices]}]} as torch."""
        index_of, groups, start = {}, [], 0
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                index_of.setdefault(id(p), i)
            packed["params"] = [index_of[id(p)] for p in group["params"]]
            start += len(packed["params"])
            groups.append(packed)
        state = {index_of[id(p)]: v for p, v in self.state.items() if id(p) in index_of}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore options and state saved by ``state_dict`` (group sizes must match)."""
        state_dict = copy.deepcopy(state_dict)
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for group, saved in zip(self.param_groups, saved_groups):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                                 "optimizer's group")
        self.state = defaultdict(dict)
        for group, saved in zip(self.param_groups, saved_groups):
            for p, index in zip(group["params"], saved["params"]):
                if index in state_dict["state"]:
                    self.state[p] = {k: self._cast_state(k, v, p, saved)
                                     for k, v in state_dict["state"][index].items()}
            new_group = dict(saved)
            new_group["params"] = group["params"]
            group.clear()
            group.update(new_group)

    @staticmethod
    def _cast_state(key, value, param, group):
        """torch's policy: the step counter keeps its dtype (float32 under fused/capturable), every other
        floating state tensor takes the parameter's dtype."""
        if not isinstance(value, Tensor) or not value.is_floating_point():
            return value
        if key == "step":
            if group.get("fused") or group.get("capturable"):
                return Tensor._make(value._data.astype(np.float32))
            return value
        if param.is_floating_point():
            return Tensor._make(value._data.astype(param._data.dtype))
        return value

    def __getstate__(self):
        """What pickling keeps, as torch: defaults, state and groups (not a scheduler's wrapper of ``step``)."""
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)

    def __repr__(self):
        text = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"
