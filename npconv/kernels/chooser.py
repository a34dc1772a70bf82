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


# Shifted GEMM computes a 'wide' output over every phase cell and crops it; when the cells outnumber the
# outputs by more than this, im2col's bounded column matrix does less useless work.
WIDE_WASTE_LIMIT = 8.0


def choose(operation, input_spatial, out_spatial, kernel, stride):
    """Name of the algorithm to run ``operation`` ('forward', 'input_grad', 'weight_grad') with these sizes."""
    if _forced[0] is not None:
        return _forced[0]
    outputs = math.prod(out_spatial)
    cells = math.prod(-(-size // s) for size, s in zip(input_spatial, stride))
    if outputs and cells / outputs > WIDE_WASTE_LIMIT and math.prod(kernel) * outputs < cells:
        return "im2col"
    return "shifted_gemm"
