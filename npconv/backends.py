"""Switches for npconv's compute backends, as ``torch.backends`` holds torch's.

``npconv.backends.conv_algorithm`` picks the convolution algorithm of every conv / conv_transpose, forward
and backward: ``"auto"`` (default: the chooser of npconv.kernels picks per shape) or one algorithm name of
``npconv.backends.conv_algorithms()`` (``"im2col"``, ``"shifted_gemm"``, ``"tiled_gemm"``, ``"winograd"``,
``"winograd_f2"``, ``"depthwise"``, ``"fft"``).  A forced algorithm that cannot run a given shape (Winograd
on a 5x5 kernel) hands that call to a general one.  The environment variable ``NPCONV_CONV_ALGORITHM``
sets the initial value.  ``kernels.use(name)`` (a context manager) takes precedence while active.

    import npconv
    npconv.backends.conv_algorithm = "winograd"   # unknown names raise ValueError

Like torch.backends it also answers tutorial code that asks for accelerators: ``mps.is_available()`` is
False, ``cudnn`` settings are accepted and ignored.
"""
import os
import sys
import types

__all__ = ["conv_algorithm", "conv_algorithms", "mps", "cudnn"]

mps = types.SimpleNamespace(is_available=lambda: False, is_built=lambda: False)
cudnn = types.SimpleNamespace(enabled=False, benchmark=False, deterministic=False)

_ENVIRONMENT_VARIABLE = "NPCONV_CONV_ALGORITHM"


def conv_algorithms():
    """The names ``conv_algorithm`` accepts: "auto" and every registered algorithm."""
    from npconv.kernels import ALGORITHMS
    return ("auto",) + tuple(sorted(ALGORITHMS))


def _checked(name):
    if not isinstance(name, str):
        raise TypeError(f"npconv.backends.conv_algorithm must be a string, not {type(name).__name__}")
    known = conv_algorithms()
    if name not in known:
        raise ValueError(f"unknown convolution algorithm {name!r}; choose one of {', '.join(known)}")
    return name


class _BackendsModule(types.ModuleType):
    """The module type of npconv.backends: assigning ``conv_algorithm`` validates the name."""

    @property
    def conv_algorithm(self):
        return self.__dict__.get("_conv_algorithm") or _initial_algorithm()

    @conv_algorithm.setter
    def conv_algorithm(self, name):
        self.__dict__["_conv_algorithm"] = _checked(name)


def _initial_algorithm():
    """From the environment variable, checked once on first read (a typo there is an error, not 'auto')."""
    name = os.environ.get(_ENVIRONMENT_VARIABLE, "").strip() or "auto"
    module = sys.modules[__name__]
    try:
        module.__dict__["_conv_algorithm"] = _checked(name)
    except ValueError as error:
        raise ValueError(f"{_ENVIRONMENT_VARIABLE}: {error}") from None
    return name


sys.modules[__name__].__class__ = _BackendsModule
