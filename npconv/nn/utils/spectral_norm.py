"""torch.nn.utils.spectral_norm / remove_spectral_norm: ``module.<name>`` divided by its largest singular
value sigma, estimated by power iteration on the weight as a matrix (``dim`` first: 1 for transposed
convolutions, else 0). ``<name>_orig`` is the learnable parameter; ``<name>_u`` and ``<name>_v`` are
buffers the iteration refines in place at each forward in training mode."""
import numpy as np

from ... import _ops
from ... import random as _random
from ..._tensor import Tensor
from ...autograd import no_grad
from ..parameter import Parameter, is_lazy
from .weight_norm import remove_reparametrization

__all__ = ["SpectralNorm", "spectral_norm", "remove_spectral_norm"]


def _normalized(array, eps):
    return array / max(float(np.linalg.norm(array)), eps)


class SpectralNorm:
    """The forward pre-hook that recomputes ``module.<name>`` = ``<name>_orig`` / sigma."""

    def __init__(self, name="weight", n_power_iterations=1, dim=0, eps=1e-12):
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.name, self.dim, self.n_power_iterations, self.eps = name, dim, n_power_iterations, eps

    def reshape_weight_to_matrix(self, weight):
        """The weight with ``dim`` first, flattened to (size of dim, rest)."""
        if self.dim != 0:
            order = [self.dim] + [d for d in range(weight.dim()) if d != self.dim]
            weight = weight.permute(*order)
        return weight.reshape(weight.shape[0], -1)

    def compute_weight(self, module, do_power_iteration):
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        matrix = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            values = matrix.detach().numpy()
            u_array, v_array = u.numpy(), v.numpy()
            for _ in range(self.n_power_iterations):
                v_array[...] = _normalized(values.T @ u_array, self.eps)
                u_array[...] = _normalized(values @ v_array, self.eps)
            u._bump_version()
            v._bump_version()
            u, v = u.clone(), v.clone()
        sigma = _ops.dot(u, _ops.matmul(matrix, v))
        return weight / sigma

    def remove(self, module):
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        delattr(module, self.name)
        delattr(module, self.name + "_u")
        delattr(module, self.name + "_v")
        delattr(module, self.name + "_orig")
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module, do_power_iteration=module.training))

    @staticmethod
    def apply(module, name, n_power_iterations, dim, eps):
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, SpectralNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two spectral_norm hooks on the same parameter {name}")
        hook = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters[name]
        if is_lazy(weight):
            raise ValueError("The module passed to `SpectralNorm` can't have uninitialized parameters. Make sure "
                             "to run the dummy forward before applying spectral normalization")
        with no_grad():
            matrix = hook.reshape_weight_to_matrix(weight).numpy()
            rows, cols = matrix.shape
            u = _normalized(_random.generator().normal(0, 1, rows).astype(matrix.dtype), eps)
            v = _normalized(_random.generator().normal(0, 1, cols).astype(matrix.dtype), eps)
        delattr(module, hook.name)
        module.register_parameter(hook.name + "_orig", weight)
        setattr(module, hook.name, weight.detach())
        module.register_buffer(hook.name + "_u", Tensor._make(u))
        module.register_buffer(hook.name + "_v", Tensor._make(v))
        module.register_forward_pre_hook(hook)
        return hook


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Divide ``module.<name>`` by its spectral norm before each forward. Returns the module."""
    if dim is None:
        dim = 1 if type(module).__name__ in ("ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d") else 0
    SpectralNorm.apply(module, name, n_power_iterations, dim, eps)
    return module


def remove_spectral_norm(module, name="weight"):
    """Fold the normalisation back into one parameter ``<name>``. Returns the module."""
    return remove_reparametrization(module, name, SpectralNorm, "spectral_norm")
