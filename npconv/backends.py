"""Switches for npconv's compute backends, as ``torch.backends`` holds torch's.

``npconv.backends.conv_algorithm`` picks the convolution algorithm of every conv / conv_transpose, forward
and backward: ``"auto"`` (default: the chooser of npconv.kernels picks per shape) or one algorithm name of
``npconv.backends.conv_algorithms()`` (``"im2col"``, ``"shifted_gemm"``, ``"tiled_gemm"``, ``"winograd"``,
``"winograd_f2"``, ``"depthwise"``, ``"fft"``).  A forced algorithm that cannot run a given shape (Winograd
on a 5x5 kernel) hands that call to a general one.  The environment variable ``NPCONV_CONV_ALGORITHM``
sets the initial value.  The setting lives with the chooser (npconv.kernels.chooser) and holds for every
thread; ``kernels.use(name)`` (a context manager, per thread like grad mode) takes precedence while active.

    import npconv
    npconv.backends.conv_algorithm = "winograd"   # unknown names raise ValueError

Like torch.backends it also answers tutorial code that asks for accelerators: ``mps.is_available()`` is
False, ``cudnn`` settings are accepted and ignored.
"""
import sys
import types

from npconv.kernels import chooser

__all__ = ["conv_algorithm", "conv_algorithms", "mps", "cudnn"]

mps = types.SimpleNamespace(is_available=lambda: False, is_built=lambda: False)
cudnn = types.SimpleNamespace(enabled=False, benchmark=False, deterministic=False)


def conv_algorithms():
    """The names ``conv_algorithm`` accepts: "auto" and every registered algorithm."""
    return chooser.names()


class _BackendsModule(types.ModuleType):
    """The module type of npconv.backends: ``conv_algorithm`` reads and sets the chooser's default (which
    checks the name)."""

    @property
    def conv_algorithm(self):
        return chooser.default()

    @conv_algorithm.setter
    def conv_algorithm(self, name):
        chooser.set_default(name)


sys.modules[__name__].__class__ = _BackendsModule
