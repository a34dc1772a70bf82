"""Tensor: a NumPy array plus ``requires_grad``, ``grad`` and the node (``grad_fn``) that made it.

The differentiable ops live in the package ``npconv/_ops/`` (each a ``Function`` with forward and backward
side by side); its ``methods`` module attaches them to Tensor as methods and operators (``x + y``, ``x.sum()``...), so this
file holds only storage, attributes and conversions. The creation functions (``tensor``, ``zeros``, ``randn``...)
live in ``npconv._creation`` and are re-exported here.

A tensor on the ``'meta'`` device keeps a zero-stride (memory-free) NumPy view as its data: it has a
shape and a dtype but no values (see ``npconv.autograd`` for how ops treat it).
"""
import builtins
import numbers
import warnings

import numpy as np

from . import _dtype, _shapes
from ._dtype import from_numpy_dtype, get_default_dtype, to_dtype
from ._torch_api import missing

__all__ = ["Tensor", "Size", "device", "layout", "strided", "memory_format", "contiguous_format", "preserve_format",
           "channels_last", "channels_last_3d"]


class memory_format:
    """How a tensor's elements lie in memory: torch.contiguous_format (C order), channels_last (NHWC for a
    4-d tensor), channels_last_3d (NDHWC), preserve_format (as the source). npconv's arrays carry any
    strides, so a channels-last tensor really is one (``stride()`` and ``is_contiguous`` say so); every op
    accepts either layout."""

    __slots__ = ("name", "_order")

    def __init__(self, name, order=None):
        self.name, self._order = name, order

    def __repr__(self):
        return f"torch.{self.name}"


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last", (0, 2, 3, 1))
channels_last_3d = memory_format("channels_last_3d", (0, 2, 3, 4, 1))


def _memory_order(array, layout):
    """The axes of ``array`` from outermost to innermost in ``layout``."""
    if layout._order is None:
        return tuple(range(array.ndim))
    if array.ndim != len(layout._order):
        raise RuntimeError(f"required rank {len(layout._order)} tensor to use {layout.name} format")
    return layout._order


def _laid_out(array, layout):
    """A copy of ``array`` whose memory follows ``layout`` (same shape and values)."""
    order = _memory_order(array, layout)
    return np.ascontiguousarray(array.transpose(order)).transpose(np.argsort(order))


def _dense_layout(array):
    """torch's preserve_format: the layout of a dense array's strides (C order for anything else)."""
    if array.flags.c_contiguous or array.size == 0:
        return contiguous_format
    order = tuple(int(a) for a in np.argsort([-s for s in array.strides], kind="stable"))
    layout = memory_format("preserve_format", order)
    return layout if _lies_in(array, layout) else contiguous_format


def _lies_in(array, layout):
    """Whether ``array``'s strides are those of ``layout`` (size-1 dims may have any stride, as torch)."""
    order = _memory_order(array, layout)
    expected = array.itemsize
    for axis in reversed(order):
        if array.shape[axis] != 1 and array.strides[axis] != expected:
            return False
        expected *= array.shape[axis]
    return True


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
    __slots__ = ("_data", "_requires_grad", "_grad", "grad_fn", "_meta", "_hooks", "_base", "_view_replay",
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
        if self._data.ndim == 0:   # a 0-d tensor has no size to read, whatever the dim
            raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
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
    def itemsize(self):
        return self._data.itemsize

    @property
    def nbytes(self):
        return self._data.size * self._data.itemsize

    def stride(self, dim=None):
        """Elements (not bytes) to step per dim; an expanded dim strides 0, a meta tensor is contiguous."""
        if self._meta:
            sizes = self._data.shape
            strides = tuple(int(np.prod(sizes[i + 1:])) for i in range(len(sizes)))
        else:
            strides = tuple(step // self._data.itemsize for step in self._data.strides)
        return strides if dim is None else strides[_normalize_dim(dim, self._data.ndim)]

    @property
    def layout(self):
        return strided

    def is_signed(self):
        return self._data.dtype.kind in "if"

    def is_nonzero(self):
        return self.__bool__()

    def is_same_size(self, other):
        return self._data.shape == other._data.shape

    def is_inference(self):
        return False

    @property
    def retains_grad(self):
        """Whether retain_grad() was called on this non-leaf (its node remembers it)."""
        remembered = getattr(self.grad_fn, "_retained", None)
        return remembered is not None and remembered() is self

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

    def _set_requires_grad(self, value, refusal="only Tensors of floating point and complex dtype can require "
                                                  "gradients"):
        value = builtins.bool(value)
        if self.grad_fn is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables." + (
                "" if value else " If you want to use a computed variable in a subgraph that doesn't "
                "require differentiation use var_no_grad = var.detach()."))
        if value and self._data.dtype.kind != "f":
            raise RuntimeError(refusal)   # torch words it differently per entry point
        self._requires_grad = value

    def requires_grad_(self, requires_grad=True):
        self._set_requires_grad(requires_grad, "only Tensors of floating point dtype can require gradients")
        return self

    @property
    def grad(self):
        return self._grad

    @grad.setter
    def grad(self, value):
        """torch's checks on an assigned gradient: a Tensor (or None) of this tensor's size and dtype."""
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type "
                                f"{type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(f"attempting to assign a gradient of size '{list(value.shape)}' to a tensor of "
                                   f"size '{list(self.shape)}'. Please ensure that the gradient and the tensor are "
                                   "the same size")
            if value.dtype != self.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{value.dtype.c_name}' to a tensor "
                    f"with grad_dtype '{self.dtype.scalar_name}'. The gradient must match the tensor's grad_dtype "
                    "(defaults to the tensor's dtype). You can set the tensor's grad_dtype attribute with a "
                    "specific dtype, or None to allow any dtype. Set grad_dtype with caution. Diverging the dtypes "
                    "of a tensor and its gradient may break downstream systems that assume they match.")
        self._grad = value

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
        if memory_format in (None, contiguous_format):
            return self._data.flags.c_contiguous
        return _lies_in(self._data, memory_format)

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
        if self._requires_grad:   # np.asarray(t) would drop the graph silently: torch refuses as numpy() does
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
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
        _warn_scalar_of_grad(self)
        return builtins.float(self._python_scalar())

    def __complex__(self):
        _warn_scalar_of_grad(self)
        return builtins.complex(self._python_scalar())

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
        t._grad = None   # the attribute itself: the property setter checks values, None needs none
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
        if self._base is not None:
            raise RuntimeError("Can't detach views in-place. Use detach() instead. If you are using "
                               "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set as "
                               "True, gradients are views of DDP buckets, and hence detach_() cannot be called on "
                               "these gradients. To fix this error, please refer to the Optimizer.zero_grad() "
                               "function in torch/optim/optimizer.py as the solution.")
        self.grad_fn = None
        self._requires_grad = False
        return self

    def clone(self, memory_format=None):
        copy = _ops.clone(self)
        if self._meta:
            return copy
        if memory_format in (None, preserve_format):
            memory_format = _dense_layout(self._data)
        if memory_format is not contiguous_format:
            copy._data = _laid_out(copy._data, memory_format)   # a fresh array: nothing else shares it
        return copy

    def contiguous(self, memory_format=None):
        """self when its memory is in C order (or in ``memory_format``'s order) already, else a copy laid
        out so (CloneBackward0), so that ``x.transpose(0, 1).contiguous().view(...)`` works as in torch."""
        if self._meta or self.is_contiguous(memory_format):
            return self
        return self.clone(memory_format=memory_format or contiguous_format)

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
        layout = kwargs.pop("memory_format", preserve_format)
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
            result = _ops.to_dtype(result, to_dtype(dtype))
        if layout is not preserve_format:
            result = result.contiguous(memory_format=layout)
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

    def char(self):
        return self.to(_dtype.int8)

    def short(self):
        return self.to(_dtype.int16)

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


_SCALAR_OF_GRAD_WARNING = ("Converting a tensor with requires_grad=True to a scalar may lead to unexpected "
                           "behavior.\nConsider using tensor.detach() first. (Triggered internally at "
                           "/__w/pytorch/pytorch/torch/csrc/autograd/generated/python_variable_methods.cpp:822.)")
_scalar_of_grad_warned = [False]  # torch warns once per process (TORCH_WARN_ONCE)


def _warn_scalar_of_grad(tensor):
    """float(t) and complex(t) of a tensor that requires grad warn once, as torch (item(), int() do not)."""
    if tensor._requires_grad and not _scalar_of_grad_warned[0]:
        _scalar_of_grad_warned[0] = True
        warnings.warn(_SCALAR_OF_GRAD_WARNING, UserWarning, stacklevel=3)


class layout:
    """torch.layout: how a tensor's elements are laid out (npconv's are all ``torch.strided``)."""

    def __init__(self, name):
        self._name = name

    def __repr__(self):
        return f"torch.{self._name}"


strided = layout("strided")


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


def _is_size_int(value):
    if isinstance(value, Tensor):
        return value._data.ndim == 0 and value._data.dtype.kind in "iu"
    return isinstance(value, numbers.Integral) and not isinstance(value, builtins.bool)


def _shape_from_args(args, op="zeros"):
    """zeros(2, 3), zeros((2, 3)), zeros([2, 3]) and zeros(Size) all mean shape (2, 3); anything else is
    refused with the parser's error of torch's ``op``."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    elif len(args) == 1:
        args = args[0]  # one value: the parser judges it as the whole argument
    error = _shapes.int_list_error(f"{op}(): argument 'size' (position 1)", args, _is_size_int)
    if error is not None:
        raise error
    args = args if isinstance(args, (tuple, list)) else (args,)
    shape = []
    for n in args:
        if isinstance(n, Tensor):
            n = n.item()
        if n < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {n}: {list(args)}")
        shape.append(builtins.int(n))
    return tuple(shape)


# Imported last (they need Tensor): the creation functions (re-exported here, where code has always found
# them), the ops behind the methods, and the global generator.
from ._creation import *  # noqa: E402,F401,F403
from ._creation import __all__ as _creation_names  # noqa: E402
from . import _ops  # noqa: E402

__all__ += _creation_names
