"""torch.nn.utils.weight_norm / remove_weight_norm: a parameter ``w`` re-expressed as ``g * v / ||v||``
(the norm over every dim but ``dim``), g and v the learnable ``w_g`` and ``w_v``; a forward pre-hook
recomputes ``w`` before each forward (one ``WeightNormInterfaceBackward0`` node, as torch)."""
import warnings

import numpy as np

from ..._tensor import Tensor
from ...autograd import Function
from ..parameter import Parameter, is_lazy

__all__ = ["WeightNorm", "weight_norm", "remove_weight_norm"]


def _reduced_axes(ndim, dim):
    """The axes the norm runs over: all for dim == -1 (the whole tensor), else all but ``dim``."""
    return tuple(range(ndim)) if dim == -1 else tuple(a for a in range(ndim) if a != dim)


def _norm_except_dim(v, dim):
    """||v|| over every axis but ``dim`` (kept as size-1 axes), or over all of v (a 0-d array) for -1."""
    if dim == -1:
        return np.sqrt(np.sum(v * v, dtype=v.dtype))
    return np.sqrt(np.sum(v * v, axis=_reduced_axes(v.ndim, dim), keepdims=True, dtype=v.dtype))


class _WeightNormInterface(Function):
    backward_name = "WeightNormInterfaceBackward0"

    @staticmethod
    def forward(ctx, v, g, dim):
        norm = _norm_except_dim(v, dim)
        ctx.save_for_backward(v, g)
        ctx.norm, ctx.dim = norm, dim
        return v * (g / norm)

    @staticmethod
    def backward(ctx, grad):
        v, g = ctx.saved_tensors
        norm, dim = ctx.norm, ctx.dim
        axes = _reduced_axes(v.ndim, dim)
        along = np.sum(grad * v, axis=axes, keepdims=dim != -1, dtype=grad.dtype)
        grad_g = along / norm
        grad_v = (g / norm) * (grad - v * (along / (norm * norm)))
        return grad_v, grad_g.reshape(g.shape), None


def _weight_norm(v, g, dim):
    """torch's fused kernel for the first or last dim; the composed ops otherwise (their nodes, as torch)."""
    if dim in (0, v.dim() - 1):
        return _WeightNormInterface.apply(v, g, dim)
    if dim == -1:
        return v * (g / v.norm())
    return v * (g / v.norm(2, _reduced_axes(v.dim(), dim), keepdim=True))


class WeightNorm:
    """The forward pre-hook that recomputes ``module.<name>`` from ``<name>_g`` and ``<name>_v``."""

    def __init__(self, name, dim):
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module):
        return _weight_norm(getattr(module, self.name + "_v"), getattr(module, self.name + "_g"), self.dim)

    @staticmethod
    def apply(module, name, dim):
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two weight_norm hooks on the same parameter {name}")
        hook = WeightNorm(name, dim)
        weight = getattr(module, name)
        if is_lazy(weight):
            raise ValueError("The module passed to `WeightNorm` can't have uninitialized parameters. Make sure to "
                             "run the dummy forward before applying weight normalization")
        del module._parameters[name]
        array = weight.detach().numpy()
        hook.dim = hook.dim if hook.dim == -1 else hook.dim % array.ndim
        module.register_parameter(name + "_g", Parameter(_norm_from(array, hook.dim)))
        module.register_parameter(name + "_v", Parameter(weight.detach().clone()))
        setattr(module, name, hook.compute_weight(module))
        module.register_forward_pre_hook(hook)
        return hook

    def remove(self, module):
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))


def _norm_from(array, dim):
    return Tensor._make(np.array(_norm_except_dim(array, dim)))


def weight_norm(module, name="weight", dim=0):
    """Re-express ``module.<name>`` as ``g * v / ||v||`` (norm over all dims but ``dim``; dim=None: the
    whole tensor) with learnable ``<name>_g`` and ``<name>_v``. Returns the module."""
    warnings.warn("`torch.nn.utils.weight_norm` is deprecated in favor of "
                  "`torch.nn.utils.parametrizations.weight_norm`.", FutureWarning, stacklevel=2)
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module, name="weight"):
    """Fold ``<name>_g`` and ``<name>_v`` back into one parameter ``<name>``. Returns the module."""
    return remove_reparametrization(module, name, WeightNorm, "weight_norm")


def remove_reparametrization(module, name, hook_type, what):
    """Undo the forward pre-hook of type ``hook_type`` that recomputes ``module.<name>`` (weight or spectral
    norm), or torch's ValueError naming ``what``."""
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, hook_type) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"{what} of '{name}' not found in {module}")
