"""Random sampling ops that take tensors: ``torch.normal`` in all its overloads. The samples do not depend
differentiably on mean and std in torch 2.x: a tensor mean or std gets a zero gradient (NormalBackward1/2/3)."""
import numbers

import numpy as np

from .. import random as _random
from .._dtype import get_default_dtype, to_dtype
from .._memory import check_allocation
from .._tensor import Tensor
from ..autograd import Function
from .arguments import _broadcast_error

__all__ = ["normal"]


class _NormalSample(Function):
    """Fixed samples (drawn before apply) standing in the graph for a normal(mean, std) draw."""

    @staticmethod
    def forward(ctx, mean, std, samples):
        ctx.shapes = np.shape(mean), np.shape(std)
        return samples

    @staticmethod
    def backward(ctx, grad):
        needs = ctx.needs_input_grad
        return tuple(np.zeros(shape, grad.dtype) if needs[i] else None for i, shape in enumerate(ctx.shapes)) + (None,)


_NODES = {(True, False): "NormalBackward1", (False, True): "NormalBackward2", (True, True): "NormalBackward3"}
_NORMAL_NODES = {key: type(name, (_NormalSample,), {"backward_name": name, "__module__": __name__})
                 for key, name in _NODES.items()}

_SIGNATURES = (" * (Tensor mean, Tensor std, *, torch.Generator generator = None, Tensor out = None)\n"
               " * (Tensor mean, float std = 1, *, torch.Generator generator = None, Tensor out = None)\n"
               " * (float mean, Tensor std, *, torch.Generator generator = None, Tensor out = None)\n"
               " * (float mean, float std, tuple of ints size, *, torch.Generator generator = None, "
               "Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = "
               "None, bool pin_memory = False, bool requires_grad = False)\n")


def _invalid_combination(args, kwargs):
    got = [type(a).__name__ for a in args] + [f"{k}={type(v).__name__}" for k, v in kwargs.items()]
    return TypeError(f"normal() received an invalid combination of arguments - got ({', '.join(got)}), but "
                     f"expected one of:\n{_SIGNATURES}")


def normal(mean=None, std=None, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
           pin_memory=False, requires_grad=False):
    """Samples of N(mean, std**2): ``normal(mean_tensor, std_tensor)`` (broadcast), ``normal(mean_tensor,
    std=1.0)``, ``normal(mean, std_tensor)``, or ``normal(mean, std, size)`` for two numbers."""
    gen = generator if generator is not None else _random.generator()
    tensor_mean, tensor_std = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not (tensor_mean or tensor_std):
        return _normal_of_numbers(mean, std, size, gen, dtype, device, requires_grad)
    if size is not None or (std is None and not tensor_mean):
        given = {k: v for k, v in (("size", size),) if v is not None}
        raise _invalid_combination([a for a in (mean, std) if a is not None], given)
    if std is None:
        std = 1.0
    ref = mean if tensor_mean else std
    if ref._data.dtype.kind != "f":
        raise NotImplementedError(f"\"normal_kernel_cpu\" not implemented for '{ref.dtype.scalar_name}'")
    m, s = (x._data if isinstance(x, Tensor) else x for x in (mean, std))
    try:
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
    except ValueError:
        raise _broadcast_error(m, s) from None
    _check_std(s, tensor_std)
    samples = (gen.standard_normal(shape) * s + m).astype(ref._data.dtype)
    node = _NORMAL_NODES[(tensor_mean, tensor_std)]
    return node.apply(mean if tensor_mean else np.asarray(m), std if tensor_std else np.asarray(s), samples)


def _check_std(std, is_tensor):
    if is_tensor and np.any(np.asarray(std) < 0):
        raise RuntimeError("normal expects all elements of std >= 0.0")
    if not is_tensor and std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_number_text(std)}")


def _number_text(x):
    return str(int(x)) if float(x).is_integer() else str(x)


def _normal_of_numbers(mean, std, size, gen, dtype, device, requires_grad):
    numbers_given = all(isinstance(v, numbers.Real) for v in (mean, std))
    if not numbers_given or not isinstance(size, (tuple, list)):
        raise _invalid_combination([a for a in (mean, std, size) if a is not None], {})
    from .._creation import _finish  # the creation module's one way to finish a new tensor
    d = to_dtype(dtype) if dtype is not None else get_default_dtype()
    if not d.is_floating_point:
        raise NotImplementedError(f"\"normal_kernel_cpu\" not implemented for '{d.scalar_name}'")
    _check_std(std, False)
    shape = tuple(int(n) for n in size)
    check_allocation(shape, d.itemsize)
    return _finish((gen.standard_normal(shape) * std + mean).astype(d.numpy_dtype), None, device, requires_grad)
