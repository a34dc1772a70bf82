"""Parameter: a Tensor a Module registers as learnable (requires_grad=True by default)."""
import numpy as np

from .._tensor import Tensor

__all__ = ["Parameter", "Buffer"]


class Parameter(Tensor):
    """A leaf tensor that ``Module.__setattr__`` registers in ``_parameters``. Shares memory with ``data``."""

    def __init__(self, data=None, requires_grad=True):
        array = np.empty(0, dtype=np.float32) if data is None else (
            data._data if isinstance(data, Tensor) else np.asarray(data))
        Tensor._init_from(self, array, False, data._meta if isinstance(data, Tensor) else False)
        self.requires_grad_(requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (np.array(self._data), self._requires_grad))


def _rebuild_parameter(array, requires_grad):
    return Parameter(Tensor._make(array), requires_grad)


class Buffer(Tensor):
    """Marks a tensor to be registered as a buffer when assigned to a Module attribute (torch.nn.Buffer)."""

    def __init__(self, data=None, *, persistent=True):
        array = np.empty(0, dtype=np.float32) if data is None else (
            data._data if isinstance(data, Tensor) else np.asarray(data))
        Tensor._init_from(self, array)
        self.persistent = persistent
