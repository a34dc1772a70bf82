"""torch.nn.utils.parametrizations: weight_norm and spectral_norm as parametrizations (the current API;
``nn.utils.weight_norm`` / ``spectral_norm`` are the older hook-based ones)."""
import numpy as np

from ... import _ops
from ... import random as _random
from ..._tensor import Tensor
from ...autograd import no_grad
from ..modules.module import Module
from . import parametrize
from .weight_norm import _norm_except_dim, _weight_norm

__all__ = ["weight_norm", "spectral_norm"]


class _WeightNorm(Module):
    """weight = g * v / ||v|| (norm over every dim but ``dim``; dim -1: the whole tensor)."""

    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        array = weight.detach().numpy()
        dim = self.dim if self.dim == -1 else self.dim % array.ndim
        return Tensor._make(np.array(_norm_except_dim(array, dim))), weight


def weight_norm(module, name="weight", dim=0):
    """Parametrize ``module.<name>`` as ``g * v / ||v||`` (``original0`` = g, ``original1`` = v)."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


def _normalized(array, eps):
    return array / max(float(np.linalg.norm(array)), eps)


class _SpectralNorm(Module):
    """weight / sigma, sigma its largest singular value from power iteration on buffers ``_u``, ``_v``."""

    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.dim()
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but got "
                             f"{dim})")
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            matrix = self._reshape_weight_to_matrix(weight).detach().numpy()
            rows, cols = matrix.shape
            u = _normalized(_random.generator().normal(0, 1, rows).astype(matrix.dtype), eps)
            v = _normalized(_random.generator().normal(0, 1, cols).astype(matrix.dtype), eps)
            self.register_buffer("_u", Tensor._make(u))
            self.register_buffer("_v", Tensor._make(v))
            self._power_method(matrix, 15)

    def _reshape_weight_to_matrix(self, weight):
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.dim()) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, matrix, iterations):
        u, v = self._u.numpy(), self._v.numpy()
        for _ in range(iterations):
            u[...] = _normalized(matrix @ v, self.eps)
            v[...] = _normalized(matrix.T @ u, self.eps)
        self._u._bump_version()
        self._v._bump_version()

    def forward(self, weight):
        if weight.dim() == 1:
            from .. import functional as F
            return F.normalize(weight, dim=0, eps=self.eps)
        matrix = self._reshape_weight_to_matrix(weight)
        if self.training:
            with no_grad():
                self._power_method(matrix.detach().numpy(), self.n_power_iterations)
        u, v = self._u.clone(), self._v.clone()
        sigma = _ops.dot(u, _ops.matmul(matrix, v))
        return weight / sigma

    def right_inverse(self, value):
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Parametrize ``module.<name>`` as itself divided by its spectral norm."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = 1 if type(module).__name__ in ("ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d") else 0
    parametrize.register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module
