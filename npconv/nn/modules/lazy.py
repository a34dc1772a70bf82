"""Lazy layers, as torch.nn: LazyLinear, LazyConv*d, LazyConvTranspose*d, LazyBatchNorm*d, LazyInstanceNorm*d.

A lazy layer is its concrete layer with the input size left open (printed as 0): its parameters and running
statistics are ``UninitializedParameter`` / ``UninitializedBuffer`` until the first forward, which reads
the size from the input, materialises them, initialises them as the concrete layer does, and turns the
module into the concrete class (``cls_to_become``): ``type(m)`` and ``repr(m)`` are then ``Linear``'s...
"""
from ..._tensor import tensor as _tensor
from ..parameter import UninitializedBuffer, UninitializedParameter, is_lazy
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .linear import Linear
from .normalization import (BatchNorm1d, BatchNorm2d, BatchNorm3d, InstanceNorm1d, InstanceNorm2d,
                            InstanceNorm3d, _int64)

__all__ = ["LazyModuleMixin", "LazyLinear", "LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d",
           "LazyConvTranspose2d", "LazyConvTranspose3d", "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d",
           "LazyInstanceNorm1d", "LazyInstanceNorm2d", "LazyInstanceNorm3d"]


class LazyModuleMixin:
    """Infers the uninitialised parameters from the first input, then becomes ``cls_to_become``.

    A subclass defines ``initialize_parameters(*args)``, materialising every uninitialised tensor.
    """

    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(_infer_parameters, with_kwargs=True)

    def has_uninitialized_params(self):
        """True while any parameter or buffer of this module (not its children) is uninitialised."""
        tensors = list(self._parameters.values()) + list(self._buffers.values())
        return any(is_lazy(t) for t in tensors)

    def initialize_parameters(self, *args, **kwargs):
        raise NotImplementedError(f"initialize_parameters is not implemented for {type(self).__name__}")

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        # an uninitialised tensor is saved as itself: it has no data to detach
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if (keep_vars or is_lazy(param)) else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if (keep_vars or is_lazy(buf)) else buf.detach()

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        # an uninitialised tensor takes the shape of the one loaded into it (the module stays lazy)
        for store in (self._parameters, self._buffers):
            for name, value in list(store.items()):
                key = prefix + name
                if key in state_dict and is_lazy(value) and not is_lazy(state_dict[key]):
                    _materialize(self, store, name, tuple(state_dict[key].shape))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)


def _materialize(module, store, name, shape):
    """Give the uninitialised tensor ``store[name]`` its shape; a buffer becomes a plain tensor."""
    value = store[name]
    if store is module._parameters:
        value.materialize(shape)
    else:
        from ..._tensor import empty
        from ..._dtype import from_numpy_dtype
        store[name] = empty(shape, dtype=from_numpy_dtype(value._uninitialized_dtype))


def _infer_parameters(module, args, kwargs):
    """The forward pre-hook of a lazy module: initialise from this input, then become the concrete class."""
    module.initialize_parameters(*args, **kwargs)
    if module.has_uninitialized_params():
        raise RuntimeError(f"module {module._get_name()} has not been fully initialized")
    module._initialize_hook.remove()
    del module._initialize_hook
    if module.cls_to_become is not None:
        module.__class__ = module.cls_to_become


# ------------------------------------------------------------------------------------------ linear

class LazyLinear(LazyModuleMixin, Linear):
    """A Linear whose ``in_features`` is the last size of its first input."""

    cls_to_become = Linear

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        super().__init__(0, 0, False)
        self.weight = UninitializedParameter(dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        if self.has_uninitialized_params():
            self.in_features = input.shape[-1]
            _materialize(self, self._parameters, "weight", (self.out_features, self.in_features))
            if self.bias is not None:
                _materialize(self, self._parameters, "bias", (self.out_features,))
            self.reset_parameters()


# ------------------------------------------------------------------------------------------ convolution

class _LazyConvMixin(LazyModuleMixin):
    """in_channels is the channel size of the first input (dim 1 batched, dim 0 unbatched)."""

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def _lazy_setup(self, out_channels, bias, dtype):
        self.weight = UninitializedParameter(dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)

    def _input_channels(self, input):
        unbatched = self._dims + 1
        if input.dim() not in (unbatched, unbatched + 1):
            raise RuntimeError(f"Expected {unbatched}D (unbatched) or {unbatched + 1}D (batched) input to "
                               f"{type(self).__name__}, but got input of size: {input.shape}")
        return input.shape[1] if input.dim() == unbatched + 1 else input.shape[0]

    def initialize_parameters(self, input, *args, **kwargs):
        if not self.has_uninitialized_params():
            return
        self.in_channels = self._input_channels(input)
        if self.in_channels % self.groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if self.transposed:
            shape = (self.in_channels, self.out_channels // self.groups) + tuple(self.kernel_size)
        else:
            shape = (self.out_channels, self.in_channels // self.groups) + tuple(self.kernel_size)
        _materialize(self, self._parameters, "weight", shape)
        if self.bias is not None:
            _materialize(self, self._parameters, "bias", (self.out_channels,))
        self.reset_parameters()


def _lazy_conv(concrete):
    class LazyConv(_LazyConvMixin, concrete):
        cls_to_become = concrete

        def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                     padding_mode="zeros", device=None, dtype=None):
            super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode)
            self._lazy_setup(out_channels, bias, dtype)
    return _named(LazyConv, "Lazy" + concrete.__name__)


def _lazy_conv_transpose(concrete):
    class LazyConvTranspose(_LazyConvMixin, concrete):
        cls_to_become = concrete

        def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                     bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
            super().__init__(0, 0, kernel_size, stride, padding, output_padding, groups, False, dilation,
                             padding_mode)
            self._lazy_setup(out_channels, bias, dtype)
    return _named(LazyConvTranspose, "Lazy" + concrete.__name__)


def _named(cls, name):
    cls.__name__ = cls.__qualname__ = name
    cls.__module__ = __name__
    cls.__doc__ = f"A {cls.cls_to_become.__name__} whose in_channels is read from its first input."
    return cls


LazyConv1d = _lazy_conv(Conv1d)
LazyConv2d = _lazy_conv(Conv2d)
LazyConv3d = _lazy_conv(Conv3d)
LazyConvTranspose1d = _lazy_conv_transpose(ConvTranspose1d)
LazyConvTranspose2d = _lazy_conv_transpose(ConvTranspose2d)
LazyConvTranspose3d = _lazy_conv_transpose(ConvTranspose3d)


# ------------------------------------------------------------------------------------------ normalisation

class _LazyNormMixin(LazyModuleMixin):
    """num_features is dim 1 of the first input; affine parameters and running statistics wait for it."""

    def _lazy_setup(self, affine, track_running_stats, dtype):
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = UninitializedParameter(dtype=dtype)
            self.bias = UninitializedParameter(dtype=dtype)
        if track_running_stats:
            self.register_buffer("running_mean", UninitializedBuffer(dtype=dtype))
            self.register_buffer("running_var", UninitializedBuffer(dtype=dtype))
            self.register_buffer("num_batches_tracked", _tensor(0, dtype=_int64()))

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        if not self.has_uninitialized_params():
            return
        self.num_features = input.shape[1]
        for store in (self._parameters, self._buffers):
            for name, value in list(store.items()):
                if is_lazy(value):
                    _materialize(self, store, name, (self.num_features,))
        self.reset_parameters()


def _lazy_norm(concrete):
    class LazyNorm(_LazyNormMixin, concrete):
        cls_to_become = concrete

        def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None,
                     dtype=None):
            super().__init__(0, eps, momentum, False, False)
            self._lazy_setup(affine, track_running_stats, dtype)
    cls = _named(LazyNorm, "Lazy" + concrete.__name__)
    cls.__doc__ = f"A {concrete.__name__} whose num_features is read from its first input."
    return cls


LazyBatchNorm1d = _lazy_norm(BatchNorm1d)
LazyBatchNorm2d = _lazy_norm(BatchNorm2d)
LazyBatchNorm3d = _lazy_norm(BatchNorm3d)
LazyInstanceNorm1d = _lazy_norm(InstanceNorm1d)
LazyInstanceNorm2d = _lazy_norm(InstanceNorm2d)
LazyInstanceNorm3d = _lazy_norm(InstanceNorm3d)
