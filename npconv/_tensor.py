"""Tensor: a NumPy array plus ``requires_grad``, ``grad`` and the node (``grad_fn``) that made it.

The differentiable ops live in the package ``npconv/_ops/`` (each a ``Function`` with forward and backward
side by side); its ``methods`` module attaches them to Tensor as methods and operators (``x + y``, ``x.sum()``...), so this
file holds only storage, attributes, conversions and creation. Creation functions (``tensor``, ``zeros``, ``randn``...)
are at the bottom of this file.

A tensor on the ``'meta'`` device keeps a zero-stride (memory-free) NumPy view as its data: it has a
shape and a dtype but no values (see ``npconv.autograd`` for how ops treat it).
"""
import builtins
import numbers

import numpy as np

from . import _dtype
from ._dtype import from_numpy_dtype, get_default_dtype, to_dtype
from ._memory import check_allocation
from ._torch_api import missing

__all__ = ["Tensor", "Size", "tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty",
           "zeros_like", "ones_like", "full_like", "empty_like", "rand_like", "randn_like",
           "randint_like", "arange", "linspace", "eye", "rand", "randn", "randint", "randperm",
           "is_tensor", "numel", "device"]


class Size(tuple):
    """A shape: a tuple printing as ``torch.Size([2, 3])``."""

    def __repr__(self):
        return f"torch.Size([{', '.join(str(n) for n in self)}])"

    __str__ = __repr__

    def numel(self):
        n = 1
        for d in self:
            n *= d
        return n

    def __getitem__(self, item):
        result = tuple.__getitem__(self, item)
        return Size(result) if isinstance(item, slice) else result

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))


# The device types torch's parser knows, in the order its error message lists them.
DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia",
                "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")


_NOT_GIVEN = object()


class device:
    """torch.device: any device torch names can be described; only 'cpu' and the shape-only 'meta' hold
    data here (creating a tensor elsewhere raises)."""

    def __init__(self, type=_NOT_GIVEN, index=None):  # noqa: A002
        if isinstance(type, device) and index is None:
            type, index = type.type, type.index
        elif not isinstance(type, str):
            got = "" if type is _NOT_GIVEN else builtins.type(type).__name__
            mismatch = "" if type is _NOT_GIVEN else (f"      didn't match because some of the arguments have "
                                                       f"invalid types: (!{got}!)\n")
            raise TypeError(f"device() received an invalid combination of arguments - got ({got}), but "
                            f"expected one of:\n * (torch.device device)\n{mismatch} * (str type, int index = -1)\n")
        if index is not None and (not isinstance(index, numbers.Integral) or isinstance(index, builtins.bool)):
            raise TypeError(f"device(): argument 'index' (position 2) must be int, not "
                            f"{builtins.type(index).__name__}")
        name, parsed = _parse_device_string(type)
        if parsed is not None and index is not None:
            raise RuntimeError(f"type (string) must not include an index because index was passed explicitly: "
                               f"{type}")
        index = parsed if index is None else builtins.int(index)
        if index is not None and index < 0:
            raise RuntimeError("Device index must not be negative")
        self.type, self.index = name, index

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        idx = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{idx})"


def _parse_device_string(text):
    """'cuda:1' -> ('cuda', 1), 'cpu' -> ('cpu', None), with torch's errors for anything else."""
    if not text:
        raise RuntimeError("Device string must not be empty")
    name, colon, number = text.partition(":")
    if name not in DEVICE_TYPES:
        if not name.isalnum() or colon and not number.isdigit():
            raise RuntimeError(f"Invalid device string: '{text}'")
        raise RuntimeError(f"Expected one of {', '.join(DEVICE_TYPES)} device type at start of device string: "
                           f"{name}")
    if not colon:
        return name, None
    if not number.isdigit() or (len(number) > 1 and number[0] == "0") or not number.isascii():
        raise RuntimeError(f"Invalid device string: '{text}'")
    if len(number) > 18:
        raise RuntimeError(f"Could not parse device index '{number}' in device string '{text}'")
    return name, builtins.int(number)


def _is_meta_device(dev, moving=False):
    """Whether a ``device=`` argument asks for shape-only tensors; raises torch's CPU-only build's error
    for a device npconv cannot hold data on (``moving``: for ``.to(device)``, whose error differs from a
    creation function's)."""
    if dev is None:
        return False
    if isinstance(dev, numbers.Integral) and not isinstance(dev, builtins.bool):
        raise RuntimeError("Cannot access accelerator device when none is available.")
    name = (dev if isinstance(dev, device) else device(dev)).type
    if name in ("cuda", "xpu"):
        raise not_compiled_error(name)
    if name not in ("cpu", "meta"):
        if moving:
            raise RuntimeError(f"PyTorch is not linked with support for {name} devices")
        raise NotImplementedError(f"Could not run 'aten::empty.memory_format' with arguments from the "
                                  f"'{name.upper()}' backend: this build has the CPU only.")
    return name == "meta"


def not_compiled_error(name="cuda"):
    """The AssertionError torch built for the CPU raises when asked for a CUDA (or XPU) device."""
    return AssertionError(f"Torch not compiled with {name.upper()} enabled")


def _meta_array(shape, np_dtype):
    return np.broadcast_to(np.zeros((), dtype=np_dtype), tuple(shape))


class Tensor:
    """An n-dimensional array with autograd, the way torch.Tensor behaves."""

    # a view's _base (the root it shares memory with) and _view_replay (cuts it out of the root's array);
    # _versions: [in-place writes], shared with views and detach()es; _views: weakrefs to a root's views
    __slots__ = ("_data", "_requires_grad", "grad", "grad_fn", "_meta", "_hooks", "_base", "_view_replay",
                 "_versions", "_views", "__weakref__")
    __array_priority__ = 1000  # numpy scalars/arrays on the left defer to our reflected operators

    def __getattr__(self, name):
        # Called only for a name Tensor lacks: a torch method npconv does not have says so by name (an unset
        # slot or class attribute stays a plain AttributeError).
        if hasattr(type(self), name):
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
        raise missing("torch.Tensor", name, self)

    def __init__(self, *args, dtype=None, device=None):
        # torch.Tensor(2, 3) -> uninitialised float tensor; torch.Tensor([..]) -> float tensor of data.
        d = to_dtype(dtype) if dtype is not None else get_default_dtype()
        if len(args) == 1 and not isinstance(args[0], numbers.Integral):
            data = args[0]._data if isinstance(args[0], Tensor) else args[0]
            array = np.array(data, dtype=d.numpy_dtype)
        else:
            shape = _shape_from_args(args)
            array = np.zeros(shape, dtype=d.numpy_dtype)
        Tensor._init_from(self, array)

    @staticmethod
    def _make(array, meta=False):
        """Wrap an ndarray without copying (the fast internal constructor)."""
        t = object.__new__(Tensor)
        Tensor._init_from(t, array, False, meta)
        return t

    # ---------------------------------------------------------------- attributes
    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_normalize_dim(dim, self._data.ndim)]

    def dim(self):
        return self._data.ndim

    ndimension = dim

    @property
    def ndim(self):
        return self._data.ndim

    def numel(self):
        return self._data.size

    nelement = numel

    def element_size(self):
        return self._data.itemsize

    @property
    def dtype(self):
        return from_numpy_dtype(self._data.dtype)

    @property
    def device(self):
        return device("meta" if self._meta else "cpu")

    @property
    def is_meta(self):
        return self._meta

    @property
    def is_cpu(self):
        return not self._meta

    # no accelerators: tutorial code asking "is this tensor on a GPU?" gets torch-on-CPU's answers
    is_cuda = is_xpu = is_mps = is_mkldnn = is_vulkan = is_xla = is_mtia = is_maia = is_ipu = False
    is_sparse = False
    is_quantized = False

    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        self._set_requires_grad(value)

    def _set_requires_grad(self, value):
        value = builtins.bool(value)
        if self.grad_fn is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables." + (
                "" if value else " If you want to use a computed variable in a subgraph that doesn't "
                "require differentiation use var_no_grad = var.detach()."))
        if value and self._data.dtype.kind != "f":
            raise RuntimeError("only Tensors of floating point and complex dtype can require gradients")
        self._requires_grad = value

    def requires_grad_(self, requires_grad=True):
        self._set_requires_grad(requires_grad)
        return self

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def data(self):
        """The same memory outside the graph, with a version counter of its own (torch's ``.data``)."""
        return Tensor._make(self._data, self._meta)

    @data.setter
    def data(self, value):
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    @property
    def T(self):  # noqa: N802
        return self.permute(*range(self._data.ndim - 1, -1, -1))

    @property
    def mT(self):  # noqa: N802
        return self.transpose(-2, -1)

    def is_floating_point(self):
        return self._data.dtype.kind == "f"

    def is_contiguous(self, memory_format=None):
        return self._data.flags.c_contiguous

    def retain_grad(self):
        from .autograd import _retain
        _retain(self)

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a returned tensor replaces it."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            hooks = self.grad_fn.__dict__.setdefault("_hooks", [])
        else:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        hooks.append(hook)
        return _RemovableHook(hooks, hook)

    # ---------------------------------------------------------------- conversion
    def numpy(self, force=False):
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                               "instead.")
        self._check_has_data("numpy()")
        return self._data

    def __array__(self, dtype=None, copy=None):
        self._check_has_data("__array__")
        return self._data if dtype is None else self._data.astype(dtype)

    def _check_has_data(self, what):
        if self._meta:
            raise NotImplementedError(f"Cannot copy out of meta tensor; no data! ({what})")

    def item(self):
        self._check_has_data("item()")
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        self._check_has_data("tolist()")
        return self._data.tolist()

    def _python_scalar(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self.item()

    def __float__(self):
        return builtins.float(self._python_scalar())

    def __int__(self):
        return builtins.int(self._python_scalar())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return builtins.int(self.item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with " + ("no values" if self._data.size == 0 else
                                                                  "more than one value") + " is ambiguous")
        return builtins.bool(self.item())

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __hash__(self):
        return id(self)

    def __reduce_ex__(self, protocol):
        return (_rebuild_tensor, (np.array(self._data), self._requires_grad, self._meta))

    def __deepcopy__(self, memo):
        if not self.is_leaf:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the "
                               "deepcopy protocol at the moment.")
        new = type(self).__new__(type(self))
        Tensor._init_from(new, np.array(self._data), self._requires_grad, self._meta)
        if isinstance(self, Tensor) and type(self) is not Tensor and hasattr(self, "__dict__"):
            new.__dict__.update(self.__dict__)
        if self.grad is not None:
            new.grad = self.grad.__deepcopy__(memo)
        memo[id(self)] = new
        return new

    @staticmethod
    def _init_from(t, array, requires_grad=False, meta=False):
        t._data = array
        t._requires_grad = requires_grad
        t.grad = None
        t.grad_fn = None
        t._meta = meta
        t._hooks = None
        t._base = t._view_replay = t._versions = t._views = None

    def detach(self):
        """The same memory outside the graph; in-place writes to either count for both (shared version)."""
        t = Tensor._make(self._data, self._meta)
        t._versions = self._version_counter()
        return t

    @property
    def _version(self):
        """How many in-place writes this tensor's memory has had (torch's ``_version``)."""
        return 0 if self._versions is None else self._versions[0]

    def _version_counter(self):
        self._versions = self._versions or [0]  # created on first need
        return self._versions

    def _bump_version(self):
        """Count an in-place write (autograd refuses a backward that saved the old values)."""
        self._version_counter()[0] += 1

    def detach_(self):
        self.grad_fn = None
        self._requires_grad = False
        return self

    def clone(self, memory_format=None):
        return _ops.clone(self)

    def contiguous(self, memory_format=None):
        return self

    def cpu(self):
        return self

    def cuda(self, *args, **kwargs):
        raise not_compiled_error()

    def to(self, *args, **kwargs):
        """to(dtype), to(device), to(device, dtype), to(other_tensor): a new tensor only if something
        changes (as torch)."""
        dtype = kwargs.pop("dtype", None)
        dev = kwargs.pop("device", None)
        copy = kwargs.pop("copy", False)
        kwargs.pop("non_blocking", None)
        if kwargs:
            raise TypeError(f"to() got an unexpected keyword argument '{next(iter(kwargs))}'")
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif isinstance(a, _dtype.dtype) or a in (builtins.float, builtins.int, builtins.bool):
                dtype = a
            elif isinstance(a, (str, device)) or (isinstance(a, numbers.Integral) and not isinstance(a, builtins.bool)):
                dev = a
            else:
                raise TypeError(f"to() received an invalid combination of arguments: {a!r}")
        result = self
        if dev is not None and _is_meta_device(dev, moving=True) != self._meta:
            if self._meta:
                raise NotImplementedError("Cannot copy out of meta tensor; no data!")
            result = Tensor._make(_meta_array(self._data.shape, self._data.dtype), True)
        if dtype is not None and to_dtype(dtype).numpy_dtype != result._data.dtype:
            return _ops.to_dtype(result, to_dtype(dtype))
        if copy and result is self:
            return self.clone()
        return result

    def type(self, dtype=None):
        if dtype is None:
            return f"torch.{self.dtype.tensor_type_name}"
        return self.to(dtype)

    def type_as(self, other):
        return self.to(other.dtype)

    def float(self):
        return self.to(_dtype.float32)

    def double(self):
        return self.to(_dtype.float64)

    def half(self):
        return self.to(_dtype.float16)

    def long(self):
        return self.to(_dtype.int64)

    def int(self):
        return self.to(_dtype.int32)

    def bool(self):
        return self.to(_dtype.bool)

    def byte(self):
        return self.to(_dtype.uint8)

    # ---------------------------------------------------------------- autograd
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``; a non-scalar needs ``gradient``."""
        from .autograd import backward
        backward(self, gradient, retain_graph, create_graph, inputs)

    # ---------------------------------------------------------------- printing
    def __repr__(self, *, tensor_contents=None):
        from ._tensor_str import tensor_repr
        return tensor_repr(self)

    def __format__(self, spec):
        if self._data.ndim == 0 and not self._meta:
            return self.item().__format__(spec)
        return object.__format__(self, spec)


class _RemovableHook:
    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self):
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def _rebuild_tensor(array, requires_grad, meta=False):
    t = Tensor._make(array, meta)
    t._requires_grad = requires_grad
    return t


def _normalize_dim(dim, ndim):
    """A dim in [-ndim, ndim) as a non-negative index; IndexError with torch's message otherwise."""
    lo, hi = (-ndim, ndim - 1) if ndim else (-1, 0)
    if not lo <= dim <= hi:
        raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})")
    return dim % ndim if ndim else 0


def _shape_from_args(args):
    """zeros(2, 3), zeros((2, 3)), zeros([2, 3]) and zeros(Size) all mean shape (2, 3)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    shape = []
    for n in args:
        if isinstance(n, Tensor):
            n = n.item()
        if not isinstance(n, numbers.Integral) or isinstance(n, builtins.bool):
            raise TypeError(f"zeros(): argument 'size' must be tuple of ints, but found element of type "
                            f"{type(n).__name__} at pos {len(shape)}")
        if n < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {n}: {list(args)}")
        shape.append(builtins.int(n))
    return tuple(shape)


# -------------------------------------------------------------------------------------------------
# Creation


def _finish(array, dtype=None, device=None, requires_grad=False):
    """Wrap a freshly made array: cast to ``dtype``, make it meta if asked, set requires_grad."""
    if dtype is not None:
        np_dtype = to_dtype(dtype).numpy_dtype
        if array.dtype != np_dtype:
            array = array.astype(np_dtype)
    meta = _is_meta_device(device)
    if meta:
        array = _meta_array(array.shape, array.dtype)
    t = Tensor._make(array, meta)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _infer_data_dtype(data):
    """torch.tensor's rule: an ndarray keeps its dtype; Python floats give the default dtype."""
    if isinstance(data, np.ndarray):
        return from_numpy_dtype(data.dtype)
    if isinstance(data, np.generic):
        return from_numpy_dtype(data.dtype)
    array = np.asarray(data)
    if array.dtype.kind == "f":
        return get_default_dtype()
    if array.dtype.kind in "iu":
        return _dtype.int64
    if array.dtype.kind == "b":
        return _dtype.bool
    if array.dtype == object:
        raise TypeError(f"Could not infer dtype of {type(data).__name__}")
    return from_numpy_dtype(array.dtype)


def _to_plain(data):
    """Nested lists that contain Tensors become plain values (torch.tensor accepts 0-d tensors inside)."""
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, (list, tuple)):
        return [_to_plain(d) for d in data]
    return data


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data`` (list, number, ndarray or Tensor)."""
    if isinstance(data, Tensor):
        array = np.array(data._data)
        d = to_dtype(dtype) if dtype is not None else data.dtype
    else:
        data = _to_plain(data)
        if isinstance(data, str):
            raise TypeError(f"new(): invalid data type 'str'")
        d = to_dtype(dtype) if dtype is not None else _infer_data_dtype(data)
        array = np.array(data)
    return _finish(np.array(array, dtype=d.numpy_dtype), None, device, requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like ``tensor`` but shares memory with an ndarray or Tensor of the same dtype."""
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or to_dtype(dtype).numpy_dtype == data.dtype):
        return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array):
    """A tensor sharing memory with ``array``."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    from_numpy_dtype(array.dtype)  # TypeError for unsupported dtypes
    return Tensor._make(array)


def is_tensor(obj):
    return isinstance(obj, Tensor)


def numel(t):
    return t.numel()


def _dtype_or_default(dtype):
    return (to_dtype(dtype) if dtype is not None else get_default_dtype()).numpy_dtype


def _filled(shape_args, value, dtype, device, requires_grad, size=None):
    shape = _shape_from_args(shape_args if size is None else (size,))
    np_dtype = _dtype_or_default(dtype)
    if _is_meta_device(device):
        return _finish(_meta_array(shape, np_dtype), None, "meta", requires_grad)
    check_allocation(shape, np_dtype.itemsize)
    return _finish(np.full(shape, value, dtype=np_dtype), None, None, requires_grad)


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """A tensor of zeros of the given shape (``zeros(2, 3)`` or ``zeros((2, 3))``)."""
    return _filled(size, 0, dtype, device, requires_grad)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """A tensor of ones of the given shape."""
    return _filled(size, 1, dtype, device, requires_grad)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    """An uninitialised tensor (zeros here) of the given shape; ``device='meta'`` gives a shape-only one."""
    return _filled(size, 0, dtype, device, requires_grad)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """A tensor of the given shape filled with ``fill_value`` (dtype inferred from it, as torch)."""
    if dtype is None:
        dtype = _dtype.scalar_dtype(fill_value.item() if isinstance(fill_value, Tensor) else fill_value)
    return _filled((size,) if not isinstance(size, (tuple, list)) else tuple(size), fill_value, dtype,
                   device, requires_grad)


def _like(t, dtype):
    return t.dtype if dtype is None else dtype


def _like_device(t, device):
    return ("meta" if t._meta else None) if device is None else device


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):  # noqa: A002
    return zeros(input._data.shape, dtype=_like(input, dtype), device=_like_device(input, device),
                 requires_grad=requires_grad)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):  # noqa: A002
    return ones(input._data.shape, dtype=_like(input, dtype), device=_like_device(input, device),
                requires_grad=requires_grad)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):  # noqa: A002
    return empty(input._data.shape, dtype=_like(input, dtype), device=_like_device(input, device),
                 requires_grad=requires_grad)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,  # noqa: A002
              memory_format=None):
    return full(input._data.shape, fill_value, dtype=_like(input, dtype), device=_like_device(input, device),
                requires_grad=requires_grad)


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):  # noqa: A002
    return rand(input._data.shape, dtype=_like(input, dtype), device=_like_device(input, device),
                requires_grad=requires_grad)


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):  # noqa: A002
    return randn(input._data.shape, dtype=_like(input, dtype), device=_like_device(input, device),
                 requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None, requires_grad=False,  # noqa: A002
                 memory_format=None):
    if high is None:
        low, high = 0, low
    return randint(low, high, input._data.shape, dtype=_like(input, dtype), device=_like_device(input, device))


def _random_float(shape_args, sample, dtype, device, requires_grad, generator):
    shape = _shape_from_args(shape_args)
    d = to_dtype(dtype) if dtype is not None else get_default_dtype()
    if not d.is_floating_point:
        raise NotImplementedError(f'"check_uniform_bounds" not implemented for \'{d.scalar_name}\'')
    if _is_meta_device(device):
        return _finish(_meta_array(shape, d.numpy_dtype), None, "meta", requires_grad)
    check_allocation(shape, d.itemsize)
    gen = generator if generator is not None else _random.generator()
    array = sample(gen, shape).astype(d.numpy_dtype, copy=False)
    return _finish(array, None, None, requires_grad)


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """Uniform samples on [0, 1) of the given shape (from npconv's own generator, see manual_seed)."""
    return _random_float(size, lambda g, s: g.random(s), dtype, device, requires_grad, generator)


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """Standard normal samples of the given shape."""
    return _random_float(size, lambda g, s: g.standard_normal(s), dtype, device, requires_grad, generator)


def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
            requires_grad=False):
    """Integers uniform on [low, high): ``randint(high, size)`` or ``randint(low, high, size)``."""
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint() missing required argument 'size'")
        low, high, size = 0, low, high
    shape = _shape_from_args((tuple(size),))
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    d = to_dtype(dtype) if dtype is not None else _dtype.int64
    gen = generator if generator is not None else _random.generator()
    if _is_meta_device(device):
        return _finish(_meta_array(shape, d.numpy_dtype), None, "meta", requires_grad)
    check_allocation(shape, d.itemsize)
    return _finish(gen.integers(low, high, size=shape).astype(d.numpy_dtype), None, None, requires_grad)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False):
    """A random permutation of 0..n-1 (int64)."""
    gen = generator if generator is not None else _random.generator()
    return _finish(gen.permutation(n).astype(np.int64), dtype, device, requires_grad)


def arange(start, end=None, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """Values from ``start`` to ``end`` (exclusive) by ``step``; int64 unless a bound is a float."""
    if end is None:
        start, end = 0, start
    values = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (values[1] - values[0]) * values[2] < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        is_float = builtins.any(isinstance(v, (builtins.float, np.floating)) for v in values)
        dtype = get_default_dtype() if is_float else _dtype.int64
    d = to_dtype(dtype)
    # torch computes the length in double precision, then start + i * step in the target type
    n = builtins.int(np.ceil((values[1] - values[0]) / values[2]))
    array = (values[0] + np.arange(n, dtype=np.float64) * values[2]) if d.is_floating_point else \
        values[0] + np.arange(n, dtype=np.int64) * values[2]
    return _finish(array.astype(d.numpy_dtype), None, device, requires_grad)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    if steps < 0:
        raise RuntimeError("linspace(): number of steps must be non-negative")
    d = to_dtype(dtype) if dtype is not None else get_default_dtype()
    array = np.linspace(start, end, steps, dtype=np.float64)
    # torch fills the second half backwards from ``end`` (symmetric rounding)
    if steps > 1:
        step = (end - start) / (steps - 1)
        half = steps // 2
        idx = np.arange(steps)
        array = np.where(idx < half, start + step * idx, end - step * (steps - idx - 1))
    return _finish(array.astype(d.numpy_dtype), None, device, requires_grad)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """An n x m identity matrix."""
    return _finish(np.eye(n, n if m is None else m, dtype=_dtype_or_default(dtype)), None, device, requires_grad)


# Imported last (they need Tensor): the ops behind the methods, and the global generator.
from . import _ops  # noqa: E402
from . import random as _random  # noqa: E402


def _legacy_constructor(dtype_name):
    def construct(*args, **kwargs):
        return Tensor(*args, dtype=getattr(_dtype, dtype_name), **kwargs)
    construct.__name__ = getattr(_dtype, dtype_name).tensor_type_name
    construct.__doc__ = f"Legacy constructor: ``{construct.__name__}(2, 3)`` or ``{construct.__name__}([...])``."
    return construct


FloatTensor = _legacy_constructor("float32")
DoubleTensor = _legacy_constructor("float64")
LongTensor = _legacy_constructor("int64")
IntTensor = _legacy_constructor("int32")
BoolTensor = _legacy_constructor("bool")
ByteTensor = _legacy_constructor("uint8")
__all__ += ["FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "BoolTensor", "ByteTensor"]
