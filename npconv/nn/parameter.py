"""Parameter: a Tensor a Module registers as learnable (requires_grad=True by default); and the
uninitialised placeholders a lazy module holds until its first forward tells it the shapes."""
import os
import sys

import numpy as np

from .._dtype import get_default_dtype, to_dtype
from .._tensor import Size, Tensor

__all__ = ["Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer", "UninitializedTensorMixin",
           "is_lazy"]


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


_UNINITIALIZED_USE = (
    "Attempted to use an uninitialized parameter in {}. This error happens when you are using a `LazyModule` or "
    "explicitly manipulating `torch.nn.parameter.UninitializedParameter` objects. When using LazyModules Call "
    "`forward` with a dummy batch to initialize the parameters before calling torch functions")

# what an uninitialised tensor still answers (as torch): its dtype, device, grad flag, .data and size()
_ALLOWED = frozenset({"materialize", "cls_to_become", "convert_placeholder", "dtype", "device", "requires_grad",
                      "data", "size", "is_leaf", "grad", "grad_fn", "is_floating_point", "persistent", "is_meta",
                      "_version", "_version_counter", "_set_requires_grad", "_uninitialized_dtype"})


def _user_method_name():
    """The npconv function the user called that reached the missing data (the outermost npconv frame), for
    the error text: ``x + 1`` names ``add`` as torch does."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    frame, name = sys._getframe(1), "a function"
    while frame is not None:
        if os.path.abspath(frame.f_code.co_filename).startswith(package):
            name = frame.f_code.co_name
        frame = frame.f_back
    return name.strip("_")


class UninitializedTensorMixin:
    """A tensor with no shape yet: using it raises, ``materialize(shape)`` turns it into ``cls_to_become``."""

    cls_to_become = None

    def materialize(self, shape, device=None, dtype=None):
        """Give the tensor ``shape`` (uninitialised memory) and make it a ``cls_to_become`` in place."""
        numpy_dtype = to_dtype(dtype).numpy_dtype if dtype is not None else self._uninitialized_dtype
        Tensor._data.__set__(self, np.empty(tuple(shape), dtype=numpy_dtype))
        del self._uninitialized_dtype
        self.__class__ = self.cls_to_become

    def convert_placeholder(self, convert):
        """Module.to / double / half...: remember the dtype ``convert`` gives, for the materialised tensor."""
        array, _ = convert(Tensor._make(np.empty(0, dtype=self._uninitialized_dtype)))
        self._uninitialized_dtype = array.dtype

    @property
    def _data(self):
        raise ValueError(_UNINITIALIZED_USE.format(
            f"<method '{_user_method_name()}' of 'torch._C.TensorBase' objects>"))

    @_data.setter
    def _data(self, array):
        Tensor._data.__set__(self, array)

    @property
    def shape(self):
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error usually happens in "
            "`load_state_dict` when trying to load an uninitialized parameter into an initialized one. Call "
            "`forward` to initialize the parameters before accessing their attributes.")

    @property
    def dtype(self):
        from .._dtype import from_numpy_dtype
        return from_numpy_dtype(self._uninitialized_dtype)

    @property
    def data(self):
        return Tensor._make(np.empty(0, dtype=self._uninitialized_dtype))

    def size(self, dim=None):
        return Size((0,)) if dim is None else Size((0,))[dim]

    def is_floating_point(self):
        return self._uninitialized_dtype.kind == "f"

    def __getattribute__(self, name):
        if name[0] != "_" and name not in _ALLOWED and callable(getattr(Tensor, name, None)):
            def refuse(*args, **kwargs):
                raise ValueError(_UNINITIALIZED_USE.format(f"<method '{name}' of 'torch._C.TensorBase' objects>"))
            return refuse
        return object.__getattribute__(self, name)

    def __repr__(self):
        return f"<{type(self).__name__}>"

    def __reduce_ex__(self, protocol):
        return (type(self), (self.requires_grad, None, self.dtype))

    def __deepcopy__(self, memo):
        copied = type(self)(self.requires_grad, None, self.dtype)
        memo[id(self)] = copied
        return copied


def _uninitialized_dtype(dtype):
    return (to_dtype(dtype) if dtype is not None else get_default_dtype()).numpy_dtype


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A Parameter whose shape a lazy module learns on its first forward; a Parameter once materialised."""

    cls_to_become = Parameter

    def __init__(self, requires_grad=True, device=None, dtype=None):
        self._uninitialized_dtype = _uninitialized_dtype(dtype)
        Tensor._init_from(self, np.empty(0, dtype=self._uninitialized_dtype), bool(requires_grad))


class UninitializedBuffer(UninitializedTensorMixin, Buffer):
    """A buffer whose shape a lazy module learns on its first forward; a Buffer once materialised."""

    cls_to_become = Buffer

    def __init__(self, requires_grad=False, device=None, dtype=None, persistent=True):
        self._uninitialized_dtype = _uninitialized_dtype(dtype)
        Tensor._init_from(self, np.empty(0, dtype=self._uninitialized_dtype), bool(requires_grad))
        self.persistent = persistent


def is_lazy(param):
    """True for a parameter or buffer not yet materialised."""
    return isinstance(param, UninitializedTensorMixin)
