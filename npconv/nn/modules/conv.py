"""Conv1d/2d/3d and ConvTranspose1d/2d/3d: thin holders of weight and bias that call npconv.nn.functional.

As in torch, one ``_ConvNd`` base carries what the six classes share (argument checks, parameters,
initialisation, repr); non-zero padding modes are an explicit ``F.pad`` followed by an unpadded conv.
"""
from npconv import _shapes
from npconv._shapes import ntuple as _ntuple
from npconv._tensor import empty as _empty
from npconv.nn import functional as F
from npconv.nn import init
from npconv.nn.modules.module import Module
from npconv.nn.parameter import Parameter
from npconv.nn.modules.utils import _init_as

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]

_PADDING_STRINGS = {"same", "valid"}
# torch prints its set of modes in a refusal: its installed conv.pyc holds the set as a frozenset written in
# this order, and a set built by the same insertions in the same process iterates (prints) the same way
_PADDING_MODES = set(("zeros", "reflect", "circular", "replicate"))


class _ConvNd(Module):
    """What every convolution layer shares; subclasses set ``_dims`` and ``_conv`` / ``_conv_transpose``."""

    _dims = None

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, transposed,
                 output_padding, groups, bias, padding_mode, device=None, dtype=None):
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if isinstance(padding, str):
            if padding not in _PADDING_STRINGS:
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {_PADDING_STRINGS}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {_PADDING_MODES}, but got padding_mode='{padding_mode}'")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = transposed
        self.output_padding = output_padding
        self.groups = groups
        self.padding_mode = padding_mode
        self._reversed_padding_repeated_twice = self._explicit_padding(padding, kernel_size, dilation)
        if transposed:
            shape = (in_channels, out_channels // groups) + tuple(kernel_size)
        else:
            shape = (out_channels, in_channels // groups) + tuple(kernel_size)
        self.weight = Parameter(_empty(shape, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(_empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    @staticmethod
    def _explicit_padding(padding, kernel_size, dilation):
        """The padding as F.pad takes it (last dim first, before/after), for the non-zero padding modes."""
        if padding == "valid":
            return [0, 0] * len(kernel_size)
        if padding == "same":
            pairs = [_shapes.same_padding_pair(k, d) for k, d in zip(kernel_size, dilation)]
        else:
            pairs = [(p, p) for p in padding]
        return [amount for pair in reversed(pairs) for amount in pair]

    def reset_parameters(self):
        """Weight ~ kaiming_uniform(a=sqrt(5)), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)); bias the same."""
        init.default_layer_init_(self.weight, self.bias)

    def extra_repr(self):
        text = "{in_channels}, {out_channels}, kernel_size={kernel_size}, stride={stride}"
        if self.padding != (0,) * len(self.padding):
            text += ", padding={padding}"
        if self.dilation != (1,) * len(self.dilation):
            text += ", dilation={dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            text += ", output_padding={output_padding}"
        if self.groups != 1:
            text += ", groups={groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += ", padding_mode={padding_mode}"
        return text.format(**self.__dict__)


class _Conv(_ConvNd):
    _function = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        dims = self._dims
        super().__init__(in_channels, out_channels, _ntuple(kernel_size, dims), _ntuple(stride, dims),
                         padding if isinstance(padding, str) else _ntuple(padding, dims),
                         _ntuple(dilation, dims), False, _ntuple(0, dims), groups, bias, padding_mode,
                         device=device, dtype=dtype)

    def _conv_forward(self, input, weight, bias):
        conv = type(self)._function
        if self.padding_mode != "zeros":
            padded = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return conv(padded, weight, bias, self.stride, _ntuple(0, self._dims), self.dilation, self.groups)
        return conv(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)


class Conv1d(_Conv):
    """1-d convolution layer: input ``(N, C_in, L)`` or ``(C_in, L)``, weight ``(C_out, C_in/groups, k)``.

    ``L_out = floor((L + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1``.
    """
    __init__ = _init_as(_Conv.__init__, "Conv1d")

    _dims = 1
    _function = staticmethod(F.conv1d)


class Conv2d(_Conv):
    """2-d convolution layer: input ``(N, C_in, H, W)`` or ``(C_in, H, W)``, weight ``(C_out, C_in/groups, kH, kW)``.

    Per spatial dim: ``out = floor((in + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1``.
    """
    __init__ = _init_as(_Conv.__init__, "Conv2d")

    _dims = 2
    _function = staticmethod(F.conv2d)


class Conv3d(_Conv):
    """3-d convolution layer: input ``(N, C_in, D, H, W)``, weight ``(C_out, C_in/groups, kD, kH, kW)``.

    Per spatial dim: ``out = floor((in + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1``.
    """
    __init__ = _init_as(_Conv.__init__, "Conv3d")

    _dims = 3
    _function = staticmethod(F.conv3d)


class _ConvTranspose(_ConvNd):
    _function = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        dims = self._dims   # torch turns the sizes into tuples before it looks at the padding mode
        sizes = [_ntuple(value, dims) for value in (kernel_size, stride, padding, dilation, output_padding)]
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        kernel_size, stride, padding, dilation, output_padding = sizes
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, True, output_padding,
                         groups, bias, padding_mode, device=device, dtype=dtype)

    def _output_padding(self, input, output_size, stride, padding, kernel_size, num_spatial_dims, dilation=None):
        """The output_padding that makes the output ``output_size`` (torch's rule: within one stride of the
        smallest size); without ``output_size``, the layer's own output_padding."""
        if output_size is None:
            return _ntuple(self.output_padding, 1)
        batched = input.dim() == num_spatial_dims + 2
        leading = 2 if batched else 1
        output_size = list(output_size)
        if len(output_size) == leading + num_spatial_dims:
            output_size = output_size[leading:]
        if len(output_size) != num_spatial_dims:
            raise ValueError(f"ConvTranspose{num_spatial_dims}D: for {input.dim()}D input, output_size must have "
                             f"{num_spatial_dims} or {leading + num_spatial_dims} elements (got {len(output_size)})")
        dilation = dilation if dilation is not None else (1,) * num_spatial_dims
        spatial = tuple(input.shape[leading:])
        min_sizes = [_shapes.transposed_length(size, k, s, p, 0, d)
                     for size, k, s, p, d in zip(spatial, kernel_size, stride, padding, dilation)]
        max_sizes = [size + s - 1 for size, s in zip(min_sizes, stride)]
        for size, low, high in zip(output_size, min_sizes, max_sizes):
            if size < low or size > high:
                raise ValueError(f"requested an output size of {output_size}, but valid sizes range from "
                                 f"{min_sizes} to {max_sizes} (for an input of {input.shape[2:]})")
        return [size - low for size, low in zip(output_size, min_sizes)]

    def forward(self, input, output_size=None):
        if self.padding_mode != "zeros":
            raise ValueError(f"Only `zeros` padding mode is supported for {type(self).__name__}")
        output_padding = self._output_padding(input, output_size, self.stride, self.padding, self.kernel_size,
                                              self._dims, self.dilation)
        return type(self)._function(input, self.weight, self.bias, self.stride, self.padding, output_padding,
                                    self.groups, self.dilation)


class ConvTranspose1d(_ConvTranspose):
    """1-d transposed convolution layer: input ``(N, C_in, L)``, weight ``(C_in, C_out/groups, k)``.

    ``L_out = (L - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1``.
    """
    __init__ = _init_as(_ConvTranspose.__init__, "ConvTranspose1d")

    _dims = 1
    _function = staticmethod(F.conv_transpose1d)


class ConvTranspose2d(_ConvTranspose):
    """2-d transposed convolution layer: input ``(N, C_in, H, W)``, weight ``(C_in, C_out/groups, kH, kW)``.

    Per dim: ``out = (in - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1``.
    """
    __init__ = _init_as(_ConvTranspose.__init__, "ConvTranspose2d")

    _dims = 2
    _function = staticmethod(F.conv_transpose2d)


class ConvTranspose3d(_ConvTranspose):
    """3-d transposed convolution layer: input ``(N, C_in, D, H, W)``, weight ``(C_in, C_out/groups, kD, kH, kW)``.

    Per dim: ``out = (in - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1``.
    """
    __init__ = _init_as(_ConvTranspose.__init__, "ConvTranspose3d")

    _dims = 3
    _function = staticmethod(F.conv_transpose3d)
