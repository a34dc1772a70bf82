"""Raw convolution kernels on NumPy arrays: no Tensor, no autograd.

Three entry points serve conv and transposed conv in both directions (see DESIGN.md):

- ``conv_forward(x, w, stride, padding, dilation, groups) -> y``
- ``conv_input_grad(gy, w, input_spatial, stride, padding, dilation, groups) -> gx``
- ``conv_weight_grad(x, gy, kernel_spatial, stride, padding, dilation, groups) -> gw``

with x (N, C_in, *S), w (C_out, C_in/groups, *K), y (N, C_out, *O) and 1 to 3 spatial dims; ``stride``
and ``dilation`` are d-tuples, ``padding`` a d-tuple of (before, after) pairs.  Arguments are assumed
valid (npconv.nn.functional checks them).  Each entry point asks ``chooser.choose`` which algorithm to
run; ``chooser.use(name)`` forces one.  Algorithms: ``shifted_gemm`` (default), ``im2col`` (reference).
"""
from . import chooser, im2col, shifted_gemm
from .chooser import ALGORITHMS, use

chooser.register("shifted_gemm", shifted_gemm)
chooser.register("im2col", im2col)

__all__ = ["conv_forward", "conv_input_grad", "conv_weight_grad", "ALGORITHMS", "use", "chooser"]


def conv_forward(x, w, stride, padding, dilation, groups, algorithm=None):
    """Convolution (cross-correlation, as torch): (N, C_in, *S), (C_out, C_in/groups, *K) -> (N, C_out, *O)."""
    from .geometry import output_spatial
    name = algorithm or chooser.choose(
        "forward", x.shape[2:], output_spatial(x.shape[2:], padding, w.shape[2:], stride, dilation),
        w.shape[2:], stride)
    return ALGORITHMS[name].conv_forward(x, w, stride, padding, dilation, groups)


def conv_input_grad(gy, w, input_spatial, stride, padding, dilation, groups, algorithm=None):
    """Gradient of conv_forward w.r.t. its input: (N, C_out, *O) -> (N, C_in, *input_spatial)."""
    name = algorithm or chooser.choose("input_grad", tuple(input_spatial), gy.shape[2:], w.shape[2:], stride)
    return ALGORITHMS[name].conv_input_grad(gy, w, input_spatial, stride, padding, dilation, groups)


def conv_weight_grad(x, gy, kernel_spatial, stride, padding, dilation, groups, algorithm=None):
    """Gradient of conv_forward w.r.t. its weight: -> (C_out, C_in/groups, *kernel_spatial)."""
    name = algorithm or chooser.choose("weight_grad", x.shape[2:], gy.shape[2:], tuple(kernel_spatial), stride)
    return ALGORITHMS[name].conv_weight_grad(x, gy, kernel_spatial, stride, padding, dilation, groups)
