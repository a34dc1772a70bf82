"""Picks one convolution algorithm per call.

The registry ``ALGORITHMS`` maps a name to a module that defines the three kernels
``conv_forward``, ``conv_input_grad`` and ``conv_weight_grad`` with the contracts of ``shifted_gemm``.
To add an algorithm: write the module, add it to ``ALGORITHMS`` (in kernels/__init__.py), and teach
``choose`` when it wins.  An algorithm that only handles some cases (e.g. Winograd for 3x3 stride 1) is
chosen only for those; the others fall back to the general ones.

``use(name)`` forces one algorithm (for tests and benchmarks), as a context manager or for good:
``with chooser.use("im2col"): ...``.
"""
import contextlib
import importlib
import math
import sys

ALGORITHMS = {}  # name -> module; filled by npconv.kernels

_forced = [None]


def register(name, module):
    """Make ``module`` (with the three kernel functions) available as algorithm ``name``."""
    ALGORITHMS[name] = module


@contextlib.contextmanager
def _restoring(previous):
    try:
        yield
    finally:
        _forced[0] = previous


def use(name):
    """Force algorithm ``name`` (None: back to automatic choice).  Returns a context manager that restores
    the previous choice on exit, so it works both as a statement and in a ``with``."""
    if name is not None and name not in ALGORITHMS:
        raise ValueError(f"unknown convolution algorithm {name!r}; known: {sorted(ALGORITHMS)}")
    previous = _forced[0]
    _forced[0] = name
    return _restoring(previous)


def forced():
    """The name of the forced algorithm, or None: ``use(name)`` while active, else
    ``npconv.backends.conv_algorithm`` (or its environment variable) unless it is "auto"."""
    if _forced[0] is not None:
        return _forced[0]
    # a plain settings module, safe to import from this layer (by its module path, not the package attribute)
    backends = sys.modules.get("npconv.backends") or importlib.import_module("npconv.backends")
    name = backends.conv_algorithm
    return None if name == "auto" else name


def is_valid(name, operation, x_shape, w_shape, stride, groups, dilation):
    """Whether algorithm ``name`` computes ``operation`` for these arguments itself (general algorithms
    always do; a special one, e.g. Winograd, says so through its ``supports``)."""
    supports = getattr(ALGORITHMS[name], "supports", None)
    return supports is None or bool(supports(operation, tuple(x_shape), tuple(w_shape), tuple(stride),
                                             tuple(dilation), groups))


# Winograd pays for its transforms only when the GEMMs it shrinks are big: enough channels on both sides
# (per group) and enough output tiles.
WINOGRAD_MIN_CHANNEL_RATIO = {2: 24, 3: 24}  # per dims: C_in * C_out / (C_in + C_out), per group
# Strided input gradients (a transposed convolution's forward): shifted GEMM's one GEMM per offset with the
# output channels as inner dimension, added over whole arrays, measured fastest from this many input
# channels per group (below, its GEMMs have too few rows).
SHIFTED_INPUT_GRAD_MIN_CHANNELS = 16
# FFT's cost per output hardly grows with the kernel: it wins from about 7x7 (49 offsets) on.
FFT_MIN_KERNEL = 49
WINOGRAD_MIN_OUTPUTS = 64
# Depthwise direct accumulation wins over a GEMM per group for these operations (forward: tiled GEMM's one
# small GEMM per group makes a single pass over the output).
DEPTHWISE_OPERATIONS = ("input_grad", "weight_grad")


def choose(operation, x_shape, w_shape, out_spatial, stride, groups, dilation=None):
    """Name of the algorithm for ``operation`` ('forward', 'input_grad', 'weight_grad').

    ``x_shape`` (N, C_in, *S) and ``w_shape`` (C_out, C_in/groups, *K) are those of the convolution (for a
    transposed one, of the convolution it is the gradient of); ``out_spatial`` its output sizes.  A forced
    algorithm (``use``, ``npconv.backends.conv_algorithm``) is returned as is: special algorithms hand the
    calls they cannot compute to a general one.  The automatic choice is always valid for the arguments.
    """
    name = forced()
    if name is not None:
        return name
    dilation = tuple(dilation) if dilation is not None else (1,) * len(stride)
    return automatic(operation, tuple(x_shape), tuple(w_shape), tuple(out_spatial), tuple(stride), groups,
                     dilation)


def automatic(operation, x_shape, w_shape, out_spatial, stride, groups, dilation):
    """The automatic choice (see ``choose``), from measurements on a 2-core AVX-512 machine (RESULTS.md)."""
    def valid(name):
        return name in ALGORITHMS and is_valid(name, operation, x_shape, w_shape, stride, groups, dilation)

    c_out, per_group_in = w_shape[:2]
    if operation in DEPTHWISE_OPERATIONS and valid("depthwise"):
        return "depthwise"
    if valid("fft") and math.prod(w_shape[2:]) >= FFT_MIN_KERNEL and per_group_in > 1:
        return "fft"
    # Winograd saves GEMM work in proportion to C_in * C_out / (C_in + C_out) per group (its transforms
    # cost C_in + C_out per tile), 4x fewer multiplications in 2-d, 8x in 3-d, only 2x in 1-d
    in_out = per_group_in * (c_out // groups) / max(1, per_group_in + c_out // groups)
    dims = len(out_spatial)
    if (valid("winograd") and dims in WINOGRAD_MIN_CHANNEL_RATIO and in_out >= WINOGRAD_MIN_CHANNEL_RATIO[dims]
            and math.prod(out_spatial) >= WINOGRAD_MIN_OUTPUTS):
        return "winograd"
    strided = any(s > 1 for s in stride)
    if operation == "input_grad" and strided and per_group_in >= SHIFTED_INPUT_GRAD_MIN_CHANNELS:
        return "shifted_gemm"  # whole-array additions per offset beat col2im on tiles here (transposed conv)
    if valid("tiled_gemm"):
        return "tiled_gemm"
    return "shifted_gemm"
