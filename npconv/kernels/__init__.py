"""Raw convolution kernels on NumPy arrays: no Tensor, no autograd.

Three entry points serve conv and transposed conv in both directions (see DESIGN.md):

- ``conv_forward(x, w, stride, padding, dilation, groups) -> y``
- ``conv_input_grad(gy, w, input_spatial, stride, padding, dilation, groups) -> gx``
- ``conv_weight_grad(x, gy, kernel_spatial, stride, padding, dilation, groups) -> gw``

with x (N, C_in, *S), w (C_out, C_in/groups, *K), y (N, C_out, *O) and 1 to 3 spatial dims; ``stride``
and ``dilation`` are d-tuples, ``padding`` a d-tuple of (before, after) pairs.  Arguments are assumed
valid (npconv.nn.functional checks them).  Each entry point asks ``chooser.choose`` which algorithm to
run (per operation, shape and dtype; ``chooser.use(name)`` or ``npconv.backends.conv_algorithm`` force
one).  Algorithms: ``tiled_gemm`` (im2col over bounded column tiles, the general fast path),
``winograd`` / ``winograd_f2`` (F(4x4,3x3) / F(2x2,3x3), 3-wide stride-1 kernels), ``fft`` (large
stride-1 kernels), ``depthwise`` (direct accumulation), ``shifted_gemm`` (one GEMM per kernel offset) and ``im2col`` (the reference).
"""
from . import chooser, depthwise, fft, im2col, shifted_gemm, tiled_gemm, winograd
from .chooser import ALGORITHMS, use
from .geometry import output_spatial

chooser.register("shifted_gemm", shifted_gemm)
chooser.register("im2col", im2col)
chooser.register("tiled_gemm", tiled_gemm)
chooser.register("depthwise", depthwise)
chooser.register("winograd", winograd.F4)
chooser.register("winograd_f2", winograd.F2)
chooser.register("fft", fft)

__all__ = ["conv_forward", "conv_input_grad", "conv_weight_grad", "ALGORITHMS", "use", "chooser"]


def conv_forward(x, w, stride, padding, dilation, groups, algorithm=None):
    """Convolution (cross-correlation, as torch): (N, C_in, *S), (C_out, C_in/groups, *K) -> (N, C_out, *O)."""
    name = algorithm or chooser.choose(
        "forward", x.shape, w.shape, output_spatial(x.shape[2:], padding, w.shape[2:], stride, dilation), stride,
        groups, dilation)
    return ALGORITHMS[name].conv_forward(x, w, stride, padding, dilation, groups)


def conv_input_grad(gy, w, input_spatial, stride, padding, dilation, groups, algorithm=None):
    """Gradient of conv_forward w.r.t. its input: (N, C_out, *O) -> (N, C_in, *input_spatial)."""
    x_shape = (gy.shape[0], w.shape[1] * groups) + tuple(input_spatial)
    name = algorithm or chooser.choose("input_grad", x_shape, w.shape, gy.shape[2:], stride, groups, dilation)
    return ALGORITHMS[name].conv_input_grad(gy, w, input_spatial, stride, padding, dilation, groups)


def conv_weight_grad(x, gy, kernel_spatial, stride, padding, dilation, groups, algorithm=None):
    """Gradient of conv_forward w.r.t. its weight: -> (C_out, C_in/groups, *kernel_spatial)."""
    w_shape = (gy.shape[1], x.shape[1] // groups) + tuple(kernel_spatial)
    name = algorithm or chooser.choose("weight_grad", x.shape, w_shape, gy.shape[2:], stride, groups, dilation)
    return ALGORITHMS[name].conv_weight_grad(x, gy, kernel_spatial, stride, padding, dilation, groups)
