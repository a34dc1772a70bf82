"""Creation functions: ``tensor``, ``zeros``, ``ones``, ``full``, ``arange``, the random samplers and the
legacy ``FloatTensor``-style constructors. Re-exported by ``npconv._tensor`` (where Tensor lives)."""
import builtins
import warnings

import numpy as np

from . import _dtype
from . import random as _random
from ._dtype import from_numpy_dtype, get_default_dtype, to_dtype
from ._memory import check_allocation
from ._tensor import Tensor, _is_meta_device, _meta_array, _shape_from_args
from .kernels.fma import fused_multiply_add

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty",
           "zeros_like", "ones_like", "full_like", "empty_like", "rand_like", "randn_like",
           "randint_like", "arange", "linspace", "eye", "rand", "randn", "randint", "randperm",
           "is_tensor", "numel", "asarray"]


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
        t._set_requires_grad(True, "Only Tensors of floating point and complex dtype can require gradients")
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


_UNSET = object()


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=_UNSET):
    """``obj`` as a tensor, sharing memory with a Tensor or ndarray when ``dtype`` allows (``copy=True``
    always copies, ``copy=False`` refuses to); a tensor keeps its graph (a dtype change is a ToCopy)."""
    if isinstance(obj, np.ndarray) and not copy:
        obj = from_numpy(obj)  # shared memory, and then the rules of a tensor
    if not isinstance(obj, Tensor):
        result = tensor(obj, dtype=dtype, device=device)
        return result.requires_grad_() if requires_grad is True else result
    if requires_grad is _UNSET:
        requires_grad = obj.requires_grad
        if requires_grad:
            warnings.warn("torch.asarray: unspecified requires_grad now defaults to obj.requires_grad instead of "
                          "False. Pass requires_grad=False explicitly to get the old behavior and silence this "
                          "warning. (Triggered internally at /__w/pytorch/pytorch/torch/csrc/utils/"
                          "tensor_new.cpp:1737.)", UserWarning, stacklevel=2)
    result = obj
    if dtype is not None and to_dtype(dtype) != obj.dtype:
        if copy is False:
            raise ValueError(f"can't alias tensor with dtype '{obj.dtype.scalar_name}' into dtype "
                             f"'{to_dtype(dtype).scalar_name}'.")
        result = obj.to(dtype)
    elif copy:
        result = obj.clone()
    if not requires_grad and result.requires_grad:
        return result.detach()
    if requires_grad and not result.requires_grad:
        return result.detach().requires_grad_()
    return result


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


def _size_given(name, args, size):
    """The shape of ``zeros(2, 3)``, ``zeros((2, 3))`` or ``zeros(size=(2, 3))`` (not two of them)."""
    if size is None:
        if not args:
            raise TypeError(f'{name}() missing 1 required positional arguments: "size"')
        return args
    if args:
        raise TypeError(f"{name}() got multiple values for argument 'size'")
    return (size,)


def _into_out(make):
    """torch's ``out=`` for a creation function: the values made in ``out``'s dtype (unless ``dtype=`` says
    otherwise), ``out`` resized to their shape; returns ``out``."""
    def create(*args, out=None, **kwargs):
        if out is None:
            return make(*args, **kwargs)
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = out.dtype
        result = make(*args, **kwargs)
        if out._data.shape != result._data.shape:
            out._data = np.empty(result._data.shape, out._data.dtype)
        np.copyto(out._data, result._data, casting="unsafe")
        out._bump_version()
        return out
    create.__name__, create.__doc__, create.__wrapped__ = make.__name__, make.__doc__, make
    return create


def _filled(shape_args, value, dtype, device, requires_grad, op="full"):
    shape = _shape_from_args(shape_args, op)
    np_dtype = _dtype_or_default(dtype)
    if _is_meta_device(device):
        return _finish(_meta_array(shape, np_dtype), None, "meta", requires_grad)
    check_allocation(shape, np_dtype.itemsize)
    return _finish(np.full(shape, value, dtype=np_dtype), None, None, requires_grad)


@_into_out
def zeros(*args, size=None, dtype=None, layout=None, device=None, requires_grad=False):
    """A tensor of zeros of the given shape (``zeros(2, 3)``, ``zeros((2, 3))`` or ``zeros(size=(2, 3))``)."""
    return _filled(_size_given("zeros", args, size), 0, dtype, device, requires_grad, "zeros")


@_into_out
def ones(*args, size=None, dtype=None, layout=None, device=None, requires_grad=False):
    """A tensor of ones of the given shape."""
    return _filled(_size_given("ones", args, size), 1, dtype, device, requires_grad, "ones")


@_into_out
def empty(*args, size=None, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None,
          pin_memory=False):
    """An uninitialised tensor (zeros here) of the given shape; ``device='meta'`` gives a shape-only one."""
    return _filled(_size_given("empty", args, size), 0, dtype, device, requires_grad, "empty")


@_into_out
def full(size, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False):
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


def _random_float(shape_args, sample, dtype, device, requires_grad, generator, op="rand"):
    shape = _shape_from_args(shape_args, op)
    d = to_dtype(dtype) if dtype is not None else get_default_dtype()
    if not d.is_floating_point:
        raise NotImplementedError(f'"check_uniform_bounds" not implemented for \'{d.scalar_name}\'')
    if _is_meta_device(device):
        return _finish(_meta_array(shape, d.numpy_dtype), None, "meta", requires_grad)
    check_allocation(shape, d.itemsize)
    gen = generator if generator is not None else _random.generator()
    array = sample(gen, shape).astype(d.numpy_dtype, copy=False)
    return _finish(array, None, None, requires_grad)


@_into_out
def rand(*args, size=None, generator=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False):
    """Uniform samples on [0, 1) of the given shape (from npconv's own generator, see manual_seed)."""
    return _random_float(_size_given("rand", args, size), lambda g, s: g.random(s), dtype, device, requires_grad, generator)


@_into_out
def randn(*args, size=None, generator=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False):
    """Standard normal samples of the given shape."""
    return _random_float(_size_given("randn", args, size), lambda g, s: g.standard_normal(s), dtype, device, requires_grad, generator,
                        "randn")


@_into_out
def randint(low=0, high=None, size=None, *, generator=None, dtype=None, layout=None, device=None,
            requires_grad=False, pin_memory=False):
    """Integers uniform on [low, high): ``randint(high, size)`` or ``randint(low, high, size)``."""
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint() missing required argument 'size'")
        low, high, size = 0, low, high
    elif high is None:  # randint(high, size=...)
        low, high = 0, low
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


@_into_out
def arange(start, end=None, step=1, *, dtype=None, layout=None, device=None, requires_grad=False):
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


@_into_out
def linspace(start, end, steps, *, dtype=None, layout=None, device=None, requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    if steps < 0:
        raise RuntimeError("linspace(): number of steps must be non-negative")
    d = to_dtype(dtype) if dtype is not None else get_default_dtype()
    return _finish(_torch_linspace(start, end, steps, d.numpy_dtype), None, device, requires_grad)


def _torch_linspace(start, end, steps, dtype):
    """torch's CPU linspace bit for bit: the first half up from ``start``, the second half down from ``end``,
    each value one fused multiply-add in the dtype (rounded once)."""
    if steps <= 1:
        return np.full(steps, start).astype(dtype)
    if dtype.kind != "f":   # integers: computed in double, then truncated
        step = (end - start) / (steps - 1)
        index = np.arange(steps)
        return np.where(index < steps // 2, start + step * index, end - step * (steps - index - 1)).astype(dtype)
    first, last = dtype.type(start), dtype.type(end)
    step = (last - first) / dtype.type(steps - 1)
    index = np.arange(steps)
    up = fused_multiply_add(index.astype(dtype), step, first)
    down = fused_multiply_add((steps - 1 - index).astype(dtype), -step, last)
    return np.where(index < steps // 2, up, down)


@_into_out
def eye(n, m=None, *, dtype=None, layout=None, device=None, requires_grad=False):
    """An n x m identity matrix."""
    return _finish(np.eye(n, n if m is None else m, dtype=_dtype_or_default(dtype)), None, device, requires_grad)


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
