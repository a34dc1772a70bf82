"""npconv.nn.utils.prune, as torch.nn.utils.prune: pruning a module's tensor keeps the original as
``<name>_orig`` (a Parameter), the 0/1 ``<name>_mask`` as a buffer, and ``<name>`` as ``mask * orig``,
recomputed by a forward pre-hook (the pruning method itself) before every forward. Pruning the same tensor
again combines the methods in a PruningContainer that prunes only what is still unpruned."""
import numbers
from abc import ABC, abstractmethod
from collections.abc import Iterable

import numpy as np

from ..._tensor import Tensor
from ...random import generator

__all__ = ["BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured", "L1Unstructured",
           "RandomStructured", "LnStructured", "CustomFromMask", "identity", "random_unstructured",
           "l1_unstructured", "random_structured", "ln_structured", "global_unstructured", "custom_from_mask",
           "remove", "is_pruned"]


def _array(t):
    return t._data


def _wrap(array):
    return Tensor._make(np.ascontiguousarray(array))


class BasePruningMethod(ABC):
    """A way of choosing which entries of a tensor to zero: ``compute_mask(t, default_mask)`` returns the new
    0/1 mask (entries already 0 in default_mask stay 0). Subclasses set PRUNING_TYPE to 'unstructured',
    'structured' (then they have a ``dim``) or 'global'. ``apply`` names the tensor (``_tensor_name``)."""

    def __call__(self, module, inputs):
        """The forward pre-hook: recompute ``module.<name>`` from the original and the mask."""
        setattr(module, self._tensor_name, self.apply_mask(module))

    @abstractmethod
    def compute_mask(self, t, default_mask):
        """The mask for tensor ``t``, given the mask of earlier pruning ``default_mask`` (same shape)."""

    def apply_mask(self, module):
        """``<name>_mask * <name>_orig`` of the module (differentiable in the original)."""
        if self._tensor_name is None:
            raise AssertionError(f"Module {module} has to be pruned")
        mask = getattr(module, self._tensor_name + "_mask")
        orig = getattr(module, self._tensor_name + "_orig")
        return mask.to(dtype=orig.dtype) * orig

    @classmethod
    def apply(cls, module, name, *args, importance_scores=None, **kwargs):
        """Prune ``module.<name>`` with a new ``cls(*args, **kwargs)`` (combined with any earlier pruning of
        the same tensor); ``importance_scores`` (same shape) rank the entries instead of the values."""
        method = _combined_method(cls, module, name, *args, **kwargs)
        orig = getattr(module, name)
        if importance_scores is not None:
            if importance_scores.shape != orig.shape:
                raise AssertionError(f"importance_scores should have the same shape as parameter {name} of "
                                     f"{module}, got {importance_scores.shape} vs {orig.shape}")
        else:
            importance_scores = orig
        first_time = not isinstance(method, PruningContainer)
        if first_time:  # the parameter moves to <name>_orig; <name> becomes a plain attribute
            module.register_parameter(name + "_orig", orig)
            del module._parameters[name]
            default_mask = _wrap(np.ones_like(_array(orig)))
        else:
            default_mask = _wrap(_array(getattr(module, name + "_mask")).copy())
        try:
            mask = method.compute_mask(importance_scores, default_mask=default_mask)
            module.register_buffer(name + "_mask", mask)
            setattr(module, name, method.apply_mask(module))
            module.register_forward_pre_hook(method)
        except Exception:
            if first_time:  # put the parameter back as it was
                orig = getattr(module, name + "_orig")
                module.register_parameter(name, orig)
                del module._parameters[name + "_orig"]
            raise
        return method

    def prune(self, t, default_mask=None, importance_scores=None):
        """``t`` times its mask (no module involved)."""
        if importance_scores is not None:
            if importance_scores.shape != t.shape:
                raise AssertionError("importance_scores should have the same shape as tensor t, got "
                                     f"{importance_scores.shape} vs {t.shape}")
        else:
            importance_scores = t
        if default_mask is None:
            default_mask = _wrap(np.ones_like(_array(t)))
        return t * self.compute_mask(importance_scores, default_mask=default_mask)

    def remove(self, module):
        """Make the pruning permanent: ``<name>`` becomes a Parameter holding ``mask * orig``; the original,
        the mask and the hook go."""
        if self._tensor_name is None:
            raise AssertionError(f"Module {module} has to be pruned before pruning can be removed")
        weight = self.apply_mask(module)
        if hasattr(module, self._tensor_name):
            delattr(module, self._tensor_name)
        orig = module._parameters[self._tensor_name + "_orig"]
        orig.data = weight.data
        del module._parameters[self._tensor_name + "_orig"]
        del module._buffers[self._tensor_name + "_mask"]
        setattr(module, self._tensor_name, orig)


def _combined_method(cls, module, name, *args, **kwargs):
    """The new method, or the PruningContainer that holds it after the module's earlier one(s) for ``name``
    (whose hook is taken off: the combined method becomes the hook)."""
    earlier = [(key, hook) for key, hook in module._forward_pre_hooks.items()
               if isinstance(hook, BasePruningMethod) and hook._tensor_name == name]
    if len(earlier) > 1:
        raise AssertionError(f"Avoid adding multiple pruning hooks to the same tensor {name} of module {module}. "
                             "Use a PruningContainer.")
    for key, _ in earlier:
        del module._forward_pre_hooks[key]
    method = cls(*args, **kwargs)
    method._tensor_name = name
    if not earlier:
        return method
    old = earlier[0][1]
    container = old if isinstance(old, PruningContainer) else PruningContainer(old)
    container.add_pruning_method(method)
    return container


class PruningContainer(BasePruningMethod):
    """Successive pruning methods of one tensor; the last one prunes among the entries (or channels) that the
    earlier ones left."""

    def __init__(self, *args):
        self._pruning_methods = ()
        if len(args) == 1:
            self._tensor_name = args[0]._tensor_name
            self.add_pruning_method(args[0])
        else:
            for method in args:
                self.add_pruning_method(method)

    def add_pruning_method(self, method):
        """Append a method that prunes the same tensor."""
        if not isinstance(method, BasePruningMethod) and method is not None:
            raise TypeError(f"{type(method)} is not a BasePruningMethod subclass")
        if method is not None and self._tensor_name != method._tensor_name:
            raise ValueError("Can only add pruning methods acting on the parameter named "
                             f"'{self._tensor_name}' to PruningContainer {self}. Found '{method._tensor_name}'")
        self._pruning_methods += (method,)

    def __len__(self):
        return len(self._pruning_methods)

    def __iter__(self):
        return iter(self._pruning_methods)

    def __getitem__(self, idx):
        return self._pruning_methods[idx]

    def compute_mask(self, t, default_mask):
        """Run the newest method on the part of ``t`` still unpruned (entries, channels, or all of it for a
        'global' method) and write its mask there."""
        method = self._pruning_methods[-1]
        mask = _array(default_mask).astype(_array(t).dtype)
        region = _unpruned_region(method, _array(t), mask)
        partial = method.compute_mask(_wrap(_array(t)[region]), default_mask=_wrap(mask[region]))
        mask[region] = _array(partial).astype(mask.dtype)
        return _wrap(mask)


def _unpruned_region(method, t, mask):
    """The index of ``t`` that the newest method of a container may prune."""
    kind = method.PRUNING_TYPE
    if kind == "unstructured":
        return mask == 1
    if kind == "global":
        return (slice(None),) * t.ndim
    if kind != "structured":
        raise ValueError(f"Unrecognized PRUNING_TYPE {kind}")
    if not hasattr(method, "dim"):
        raise AttributeError('Pruning methods of PRUNING_TYPE "structured" need to have the attribute `dim` defined.')
    dim = method.dim + t.ndim if method.dim < 0 else method.dim
    if dim < 0:
        raise IndexError(f"Index is out of bounds for tensor with dimensions {t.ndim}")
    others = tuple(d for d in range(t.ndim) if d != dim)
    region = [slice(None)] * t.ndim
    region[dim] = mask.sum(axis=others) != 0  # the channels with something left
    return tuple(region)


class Identity(BasePruningMethod):
    """Prunes nothing: the mask is all ones (useful to get the _orig/_mask/hook structure)."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        return default_mask

    @classmethod
    def apply(cls, module, name):
        """Set up pruning of ``module.<name>`` with an all-ones mask."""
        return super().apply(module, name)


def _check_amount(amount):
    """An amount is a fraction in [0, 1] or a count >= 0."""
    if not isinstance(amount, numbers.Real):
        raise TypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    if (isinstance(amount, numbers.Integral) and amount < 0) or (
            not isinstance(amount, numbers.Integral) and (float(amount) > 1.0 or float(amount) < 0.0)):
        raise ValueError(f"amount={amount} should either be a float in the range [0, 1] or a non-negative integer")


def _count_to_prune(amount, size):
    """How many of ``size`` entries (or channels) to prune: a count as given, a fraction rounded (half to
    even, as Python's round)."""
    count = amount if isinstance(amount, numbers.Integral) else round(amount * size)
    if isinstance(amount, numbers.Integral) and amount > size:
        raise ValueError(f"amount={amount} should be smaller than the number of parameters to prune={size}")
    return count


def _smallest(values, count):
    """Indices of the ``count`` smallest entries of a 1-D array."""
    return np.argsort(values, kind="stable")[:count]


class RandomUnstructured(BasePruningMethod):
    """Zero ``amount`` entries chosen uniformly at random (npconv's generator)."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount):
        _check_amount(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        count = _count_to_prune(self.amount, t.numel())
        mask = _array(default_mask).copy()
        if count:
            mask.reshape(-1)[_smallest(-generator().random(t.numel()), count)] = 0
        return _wrap(mask)

    @classmethod
    def apply(cls, module, name, amount):
        """Prune ``module.<name>`` randomly."""
        return super().apply(module, name, amount=amount)


class L1Unstructured(BasePruningMethod):
    """Zero the ``amount`` entries of smallest absolute value."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount):
        _check_amount(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        count = _count_to_prune(self.amount, t.numel())
        mask = _array(default_mask).copy()
        if count:
            mask.reshape(-1)[_smallest(np.abs(_array(t)).reshape(-1), count)] = 0
        return _wrap(mask)

    @classmethod
    def apply(cls, module, name, amount, importance_scores=None):
        """Prune ``module.<name>`` by magnitude (of ``importance_scores`` if given)."""
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


def _check_structured(t, dim):
    if t.dim() <= 1:
        raise ValueError("Structured pruning can only be applied to multidimensional tensors. Found tensor of "
                         f"shape {t.shape} with {t.dim()} dims")
    if dim >= t.dim():
        raise IndexError(f"Invalid index {dim} for tensor of size {t.shape}")


def _channel_mask(t, dim, kept, default_mask):
    """Ones on the channels ``kept`` (indices or booleans along ``dim``), zeros elsewhere, times the
    default mask."""
    mask = np.zeros_like(_array(t))
    region = [slice(None)] * mask.ndim
    region[dim] = kept
    mask[tuple(region)] = 1
    mask *= _array(default_mask).astype(mask.dtype)
    return _wrap(mask)


class RandomStructured(BasePruningMethod):
    """Zero ``amount`` whole channels along ``dim``, chosen at random."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, dim=-1):
        _check_amount(amount)
        self.amount = amount
        self.dim = dim

    def compute_mask(self, t, default_mask):
        _check_structured(t, self.dim)
        channels = t.shape[self.dim]
        count = _count_to_prune(self.amount, channels)
        if count == 0:
            return default_mask
        scores = generator().random(channels)
        threshold = np.partition(scores, count - 1)[count - 1]  # the count-th smallest
        return _channel_mask(t, self.dim, scores > threshold, default_mask)

    @classmethod
    def apply(cls, module, name, amount, dim=-1):
        """Prune random channels of ``module.<name>``."""
        return super().apply(module, name, amount=amount, dim=dim)


def _channel_norms(t, n, dim):
    """The L``n`` norm of every channel along ``dim`` (n: a number, inf, -inf or 'fro'), as torch.norm."""
    others = [d for d in range(t.ndim) if d != dim % t.ndim]
    if n == "fro" and len(others) > 2:  # torch.norm's Frobenius norm is a matrix norm: at most two dims
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, others))}")
    per_channel = int(np.prod([t.shape[d] for d in others]))  # explicit: there may be no channel left
    flat = np.moveaxis(t, dim, 0).reshape(t.shape[dim], per_channel).astype(np.float64)
    magnitude = np.abs(flat)
    if n == "fro" or n == 2:
        return np.sqrt(np.sum(magnitude * magnitude, axis=1))
    if n == np.inf:
        return magnitude.max(axis=1, initial=0.0)
    if n == -np.inf:
        return magnitude.min(axis=1, initial=np.inf)
    if n == 0:
        return np.count_nonzero(flat, axis=1).astype(np.float64)
    if n == 1:
        return magnitude.sum(axis=1)
    return np.sum(magnitude ** n, axis=1) ** (1.0 / n)


class LnStructured(BasePruningMethod):
    """Zero the ``amount`` channels along ``dim`` of smallest L``n`` norm."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, n, dim=-1):
        _check_amount(amount)
        self.amount = amount
        self.n = n
        self.dim = dim

    def compute_mask(self, t, default_mask):
        _check_structured(t, self.dim)
        channels = t.shape[self.dim]
        count = _count_to_prune(self.amount, channels)
        norms = _channel_norms(_array(t), self.n, self.dim)  # even when nothing is pruned (it may raise)
        if count == 0:
            return default_mask
        kept = np.sort(_smallest(-norms, channels - count))
        return _channel_mask(t, self.dim, kept, default_mask)

    @classmethod
    def apply(cls, module, name, amount, n, dim, importance_scores=None):
        """Prune the channels of ``module.<name>`` with the smallest norms."""
        return super().apply(module, name, amount=amount, n=n, dim=dim, importance_scores=importance_scores)


class CustomFromMask(BasePruningMethod):
    """Prune with a given mask."""

    PRUNING_TYPE = "global"

    def __init__(self, mask):
        self.mask = mask

    def compute_mask(self, t, default_mask):
        if default_mask.shape != self.mask.shape:
            raise AssertionError(f"default_mask shape {default_mask.shape} must match self.mask shape "
                                 f"{self.mask.shape}")
        return _wrap(_array(default_mask) * _array(self.mask).astype(_array(default_mask).dtype))

    @classmethod
    def apply(cls, module, name, mask):
        """Prune ``module.<name>`` with ``mask``."""
        return super().apply(module, name, mask=mask)


def identity(module, name):
    """Set up pruning of ``module.<name>`` without pruning anything; returns the module."""
    Identity.apply(module, name)
    return module


def random_unstructured(module, name, amount):
    """Prune ``amount`` random entries of ``module.<name>``; returns the module."""
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module, name, amount, importance_scores=None):
    """Prune the ``amount`` entries of ``module.<name>`` of smallest magnitude; returns the module."""
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module, name, amount, dim):
    """Prune ``amount`` random channels of ``module.<name>`` along ``dim``; returns the module."""
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module, name, amount, n, dim, importance_scores=None):
    """Prune the ``amount`` channels along ``dim`` of smallest L``n`` norm; returns the module."""
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def custom_from_mask(module, name, mask):
    """Prune ``module.<name>`` with a given 0/1 ``mask``; returns the module."""
    CustomFromMask.apply(module, name, mask)
    return module


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs):
    """Prune the (module, name) pairs of ``parameters`` together, as if they were one tensor:
    ``pruning_method(**kwargs)`` (an unstructured method, e.g. L1Unstructured with amount=) ranks all their
    entries at once; each tensor then gets its share of the mask."""
    if not isinstance(parameters, Iterable):
        raise TypeError("global_unstructured(): parameters is not an Iterable")
    importance_scores = importance_scores if importance_scores is not None else {}
    if not isinstance(importance_scores, dict):
        raise TypeError("global_unstructured(): importance_scores must be of type dict")
    parameters = list(parameters)
    scores = np.concatenate([_array(importance_scores.get((module, name), getattr(module, name))).reshape(-1)
                             for module, name in parameters])
    defaults = np.concatenate([
        _array(getattr(module, name + "_mask")) if hasattr(module, name + "_mask")
        else np.ones_like(_array(getattr(module, name))) for module, name in parameters], axis=None)
    container = PruningContainer()
    container._tensor_name = "temp"
    method = pruning_method(**kwargs)
    method._tensor_name = "temp"
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError('Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. Found method '
                        f"{pruning_method} of type {method.PRUNING_TYPE}")
    container.add_pruning_method(method)
    final_mask = _array(container.compute_mask(_wrap(scores), _wrap(defaults)))
    start = 0
    for module, name in parameters:
        shape = getattr(module, name).shape
        size = int(np.prod(shape))
        custom_from_mask(module, name, mask=_wrap(final_mask[start:start + size].reshape(shape)))
        start += size


def remove(module, name):
    """Make the pruning of ``module.<name>`` permanent (see BasePruningMethod.remove); returns the module."""
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"Parameter '{name}' of module {module} has to be pruned before pruning can be removed")


def is_pruned(module):
    """Whether the module or one of its submodules has a pruning hook."""
    return any(isinstance(hook, BasePruningMethod) for _, submodule in module.named_modules()
               for hook in submodule._forward_pre_hooks.values())
