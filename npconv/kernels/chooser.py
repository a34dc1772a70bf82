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
import math

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
    """The name of the forced algorithm, or None."""
    return _forced[0]


# Shifted GEMM runs one GEMM per kernel offset whose inner dimension is the channels of one group; below
# this many, BLAS runs far from peak and im2col's single GEMM (inner dimension channels * kernel) wins.
NARROW_CHANNELS = 16
# im2col is chosen only while its column matrix stays below this size (bytes).
IM2COL_WORKSPACE_BYTES = 256 * 2**20


def choose(operation, x_shape, w_shape, out_spatial, stride, groups):
    """Name of the algorithm for ``operation`` ('forward', 'input_grad', 'weight_grad').

    ``x_shape`` (N, C_in, *S) and ``w_shape`` (C_out, C_in/groups, *K) are those of the convolution (for a
    transposed one, of the convolution it is the gradient of); ``out_spatial`` its output sizes.
    """
    if _forced[0] is not None:
        return _forced[0]
    batch, in_channels = x_shape[:2]
    out_channels, per_group_in = w_shape[:2]
    kernel = w_shape[2:]
    columns_bytes = in_channels * math.prod(kernel) * batch * math.prod(out_spatial) * 8  # float64 at worst
    if columns_bytes > IM2COL_WORKSPACE_BYTES:
        return "shifted_gemm"
    # the GEMMs' inner dimension: input channels going forward (and for the weight), output channels back
    inner = out_channels // groups if operation == "input_grad" else per_group_in
    strided_pointwise = math.prod(kernel) == 1 and any(s > 1 for s in stride)  # im2col is a strided view
    if inner < NARROW_CHANNELS or strided_pointwise:
        return "im2col"
    return "shifted_gemm"
