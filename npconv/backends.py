"""Switches for npconv's compute backends, as ``torch.backends`` holds torch's.

``npconv.backends.conv_algorithm`` picks the convolution algorithm of every conv / conv_transpose, forward
and backward: ``"auto"`` (default: the chooser of npconv.kernels picks per shape) or one algorithm name of
``npconv.backends.conv_algorithms()`` (``"im2col"``, ``"shifted_gemm"``, ``"tiled_gemm"``, ``"row_gemm"``,
``"winograd"``, ``"winograd_f2"``, ``"depthwise"``, ``"fft"``, ``"subpixel"``).  A forced algorithm that cannot run a given shape (Winograd
on a 5x5 kernel) hands that call to a general one.  The environment variable ``NPCONV_CONV_ALGORITHM``
sets the initial value.  The setting lives with the chooser (npconv.kernels.chooser) and holds for every
thread; ``kernels.use(name)`` (a context manager, per thread like grad mode) takes precedence while active.

    import npconv
    npconv.backends.conv_algorithm = "winograd"   # unknown names raise ValueError

Like torch.backends it also answers tutorial code that asks for accelerators: ``mps.is_available()`` is
False, ``cudnn`` settings are accepted and ignored
(both are modules: ``import npconv.backends.cudnn`` works).
"""
import sys
import types

from npconv.kernels import chooser

__all__ = ["conv_algorithm", "conv_algorithms", "mps", "cudnn"]



def _accelerator_module(name, doc, **attributes):
    """``npconv.backends.<name>``: a real module (so ``import torch.backends.cudnn as cudnn`` works under
    ``npconv run``) holding torch-on-CPU's answers; its settings may be assigned and are ignored."""
    module = types.ModuleType(f"{__name__}.{name}", doc)
    module.__dict__.update(attributes)
    sys.modules[module.__name__] = module
    return module


def _false():
    return False


def _none():
    return None


mps = _accelerator_module("mps", "No MPS backend, as torch off Apple silicon.", is_available=_false, is_built=_false)
cudnn = _accelerator_module("cudnn", "No cuDNN, as torch's CPU build: settings accepted, nothing changes.",
                            is_available=_false, version=_none, enabled=True, benchmark=False, deterministic=False,
                            allow_tf32=True, benchmark_limit=None)


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
