"""Padding layers, as torch.nn: Zero/Constant/Reflection/Replication/CircularPad1d/2d/3d.

Each holds its amounts as F.pad takes them (last dim first, before/after; an int pads every side) and calls
F.pad; reprs are torch's (``ReflectionPad2d((1, 1, 1, 1))``, ``ConstantPad2d(padding=(1, 1), value=3.5)``).
"""
from ... import _shapes
from .. import functional as F
from .module import Module
from .utils import _init_as

__all__ = ["ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d",
           "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
           "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d"]


def _amounts(padding, dims):
    """An int pads both sides of each of the ``dims`` last dims; a sequence is taken as given."""
    return _shapes.ntuple(padding, 2 * dims)   # torch's _ntuple: any iterable as given, anything else repeated


class _PadNd(Module):
    _mode = None
    _dims = None

    def __init__(self, padding):
        super().__init__()
        self.padding = _amounts(padding, self._dims)

    def forward(self, input):
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    _mode = "constant"

    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with ``value``: (*, W) -> (*, W + left + right)."""
    __init__ = _init_as(_ConstantPadNd.__init__, "ConstantPad1d")
    _dims = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dims with ``value``: (*, H, W) -> (*, H + top + bottom, W + left + right)."""
    __init__ = _init_as(_ConstantPadNd.__init__, "ConstantPad2d")
    _dims = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dims with ``value``: (*, D, H, W) -> each grown by its two amounts."""
    __init__ = _init_as(_ConstantPadNd.__init__, "ConstantPad3d")
    _dims = 3


class ZeroPad1d(ConstantPad1d):
    """Pad the last dim with zeros."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """Pad the last two dims with zeros."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    """Pad the last three dims with zeros."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    """Mirror the last dim without repeating the edge: (N, C, W) or (C, W); each amount < W."""
    _mode, _dims = "reflect", 1


class ReflectionPad2d(_PadNd):
    """Mirror the last two dims without repeating the edge: (N, C, H, W) or (C, H, W)."""
    _mode, _dims = "reflect", 2


class ReflectionPad3d(_PadNd):
    """Mirror the last three dims without repeating the edge: (N, C, D, H, W) or (C, D, H, W)."""
    _mode, _dims = "reflect", 3


class ReplicationPad1d(_PadNd):
    """Repeat the edge value of the last dim: (N, C, W) or (C, W)."""
    _mode, _dims = "replicate", 1


class ReplicationPad2d(_PadNd):
    """Repeat the edge values of the last two dims: (N, C, H, W) or (C, H, W)."""
    _mode, _dims = "replicate", 2


class ReplicationPad3d(_PadNd):
    """Repeat the edge values of the last three dims: (N, C, D, H, W) or (C, D, H, W)."""
    _mode, _dims = "replicate", 3


class _CircularPadNd(_PadNd):
    _mode = "circular"

    def forward(self, input):
        if input.dim() not in (self._dims + 1, self._dims + 2):
            raise ValueError(f"expected {self._dims + 1}D or {self._dims + 2}D input (got {input.dim()}D input)")
        return super().forward(input)


class CircularPad1d(_CircularPadNd):
    """Wrap the last dim around: (N, C, W) or (C, W); each amount <= W."""
    _dims = 1


class CircularPad2d(_CircularPadNd):
    """Wrap the last two dims around: (N, C, H, W) or (C, H, W)."""
    _dims = 2


class CircularPad3d(_CircularPadNd):
    """Wrap the last three dims around: (N, C, D, H, W) or (C, D, H, W)."""
    _dims = 3
