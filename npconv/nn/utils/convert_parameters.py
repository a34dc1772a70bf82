"""Parameters <-> one vector, as torch.nn.utils.convert_parameters."""
import numpy as np

from ...autograd import no_grad
from ..._tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters):
    """All parameters flattened into one 1-D tensor (differentiable)."""
    from ..._ops import cat
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    """Copy slices of ``vec`` into the parameters (in place, no graph)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    offset = 0
    with no_grad():
        for p in parameters:
            n = p.numel()
            p._data = np.array(vec._data[offset:offset + n].reshape(p._data.shape), dtype=p._data.dtype)
            offset += n
