"""Raw convolution kernels on NumPy arrays: no Tensor, no autograd.

Three entry points serve conv and transposed conv in both directions (see DESIGN.md):

- ``conv_forward(x, w, stride, padding, dilation, groups, out_spatial=None) -> y``
- ``conv_input_grad(gy, w, input_spatial, stride, padding, dilation, groups) -> gx``
- ``conv_weight_grad(x, gy, kernel_spatial, stride, padding, dilation, groups) -> gw``

with x (N, C_in, *S), w (C_out, C_in/groups, *K), y (N, C_out, *O) and 1 to 3 spatial dims; ``stride``
and ``dilation`` are d-tuples, ``padding`` a d-tuple of (before, after) pairs.  Arguments are assumed
valid (npconv.nn.functional checks them); ``out_spatial`` is the output size the caller computed (from
npconv._shapes, once per call), which the algorithms compute exactly.

This dispatcher does what every algorithm would otherwise repeat: it brings both arrays to their common
dtype, answers empty calls (zeros), asks ``chooser.choose`` which algorithm to run (per operation, shape
and dtype; ``chooser.use(name)`` or ``npconv.backends.conv_algorithm`` force one), and hands a call the
chosen algorithm does not cover to ``chooser.FALLBACK``: a layer outside its ``supports``, or an operation
it has no function for (a stride-1 input gradient is then its forward with the flipped kernel, flipped.py).
An algorithm lists in ``NEEDS_FINITE`` the operations whose result differs from a direct sum's when an
input holds inf or NaN (FFT and Winograd mix values, so one inf becomes NaN over a whole tile; the GEMM
methods' weight gradients multiply the zeros past each row by whatever the input holds there): such
inputs go to ``chooser.DIRECT`` (im2col, exact windows) instead.  A forward is checked by its output rather
than its inputs (ResNet-18 at batch 1 spent 2.2 of its 37 ms checking inputs, the weights 2.4M values a
layer): an input value that reaches any output through the transforms makes some output non-finite (FFT and
Winograd's transforms are invertible and every transformed value reaches an output; inf - inf and inf * 0
are NaN, never finite), and a value that reaches none leaves the direct sums finite too; so a finite output
is the direct method's, and a non-finite one (an overflow in the transforms included) is computed again
directly.  Each algorithm module holds only its computation, with the
arguments of the entry points plus the output size: ``conv_forward(x, w, out_spatial, stride, padding,
dilation, groups)``, ``conv_input_grad(gy, w, input_spatial, ...)``, ``conv_weight_grad(x, gy, kernel, ...)``.

Algorithms: ``tiled_gemm`` (im2col over bounded column tiles, the general fast path), ``row_gemm`` (one GEMM
per kernel row on views of a tile of the last kernel dim's offsets: few channels, stride 1), ``winograd`` /
``winograd_f2`` (F(4x4,3x3) / F(2x2,3x3), 3-wide stride-1 kernels), ``fft`` (large stride-1 kernels),
``depthwise`` (direct accumulation), ``subpixel`` (a strided input gradient as one stride-1 forward, every
output phase's weights stacked), ``shifted_gemm`` (one GEMM per kernel offset) and ``im2col`` (the
reference).
"""
import numpy as np

from npconv import _shapes

from . import (bias, chooser, depthwise, fft, flipped, im2col, padding_skipped, row_gemm, shifted_gemm, subpixel,
               threads, tiled_gemm, winograd)
from .bias import add_bias, bias_grad
from .chooser import ALGORITHMS, use

chooser.register("shifted_gemm", shifted_gemm)
chooser.register("im2col", im2col)
chooser.register("tiled_gemm", tiled_gemm)
chooser.register("row_gemm", row_gemm)
chooser.register("depthwise", depthwise)
chooser.register("winograd", winograd.F4)
chooser.register("winograd_f2", winograd.F2)
chooser.register("fft", fft)
chooser.register("subpixel", subpixel)

__all__ = ["conv_forward", "conv_input_grad", "conv_weight_grad", "add_bias", "bias_grad", "ALGORITHMS", "use",
           "chooser"]


def _quiet():
    """inf and NaN follow IEEE rules silently, as in torch: no RuntimeWarning from NumPy's checks (the
    kernel threads run the pieces in the caller's context, so this holds there too)."""
    return np.errstate(all="ignore")


def conv_forward(x, w, stride, padding, dilation, groups, out_spatial=None, algorithm=None, skip_padding=False):
    """Convolution (cross-correlation, as torch): (N, C_in, *S), (C_out, C_in/groups, *K) -> (N, C_out, *O),
    ``O = out_spatial`` (default: ``_shapes.conv_output_spatial`` of the arguments). ``skip_padding``: the
    zero padding is never multiplied by the weight (oneDNN's answer for a weight holding inf or NaN; see
    padding_skipped.py), else it is, as by torch's own kernels."""
    if out_spatial is None:
        out_spatial = _shapes.conv_output_spatial(x.shape[2:], padding, w.shape[2:], stride, dilation)
    out_spatial = tuple(out_spatial)
    stride, dilation = _spacing_that_matters(stride, dilation, out_spatial, w.shape[2:])
    x, w = _common_dtype(x, w)
    if _is_empty(x.shape, w.shape, out_spatial):
        return np.zeros((x.shape[0], w.shape[0]) + out_spatial, dtype=x.dtype)
    if skip_padding and any(any(pair) for pair in padding) and not _all_finite(w):
        def forward(x, w):
            return conv_forward(x, w, stride, padding, dilation, groups, out_spatial, algorithm)
        with _quiet():
            return padding_skipped.conv_forward(forward, x, w, _all_finite(x), out_spatial, stride, padding,
                                                dilation, groups)
    module = _algorithm("forward", algorithm, None, None, x.shape, w.shape, out_spatial, stride, groups, dilation)
    with _quiet():
        y = module.conv_forward(x, w, out_spatial, stride, padding, dilation, groups)
        if "forward" in getattr(module, "NEEDS_FINITE", ()) and not _all_finite(y):
            return ALGORITHMS[chooser.DIRECT].conv_forward(x, w, out_spatial, stride, padding, dilation, groups)
        return y


def conv_input_grad(gy, w, input_spatial, stride, padding, dilation, groups, algorithm=None):
    """Gradient of conv_forward w.r.t. its input: (N, C_out, *O) -> (N, C_in, *input_spatial)."""
    input_spatial = tuple(input_spatial)
    stride, dilation = _spacing_that_matters(stride, dilation, gy.shape[2:], w.shape[2:])
    gy, w = _common_dtype(gy, w)
    x_shape = (gy.shape[0], w.shape[1] * groups) + input_spatial
    if _is_empty(gy.shape, w.shape, input_spatial):
        return np.zeros(x_shape, dtype=gy.dtype)
    module = _algorithm("input_grad", algorithm, gy, w, x_shape, w.shape, gy.shape[2:], stride, groups, dilation)
    arguments = (input_spatial, stride, padding, dilation, groups)
    with _quiet():
        if hasattr(module, "conv_input_grad"):
            return module.conv_input_grad(gy, w, *arguments)
        gx = flipped.input_grad_by_forward(module.conv_forward, gy, w, input_spatial, padding, dilation, groups)
        return gx if gx is not None else ALGORITHMS[chooser.FALLBACK].conv_input_grad(gy, w, *arguments)


def conv_weight_grad(x, gy, kernel_spatial, stride, padding, dilation, groups, algorithm=None):
    """Gradient of conv_forward w.r.t. its weight: -> (C_out, C_in/groups, *kernel_spatial)."""
    kernel = tuple(kernel_spatial)
    stride, dilation = _spacing_that_matters(stride, dilation, gy.shape[2:], kernel)
    x, gy = _common_dtype(x, gy)
    w_shape = (gy.shape[1], x.shape[1] // groups) + kernel
    if _is_empty(x.shape, gy.shape, kernel):
        return np.zeros(w_shape, dtype=x.dtype)
    module = _algorithm("weight_grad", algorithm, x, gy, x.shape, w_shape, gy.shape[2:], stride, groups, dilation)
    with _quiet():
        return module.conv_weight_grad(x, gy, kernel, stride, padding, dilation, groups)


def _spacing_that_matters(stride, dilation, out_spatial, kernel):
    """The stride along a dim with one output window, and the dilation along a dim with a one-wide kernel,
    space nothing: 1 there (an algorithm that splits the input into stride phases, or strides views by
    them, would otherwise size buffers or strides by a huge value that changes no result)."""
    stride = tuple(1 if o == 1 else s for s, o in zip(stride, out_spatial))
    dilation = tuple(1 if k == 1 else d for d, k in zip(dilation, kernel))
    return stride, dilation


def _common_dtype(a, b):
    dtype = np.result_type(a, b)
    return a.astype(dtype, copy=False), b.astype(dtype, copy=False)


def _is_empty(*shapes):
    return any(0 in tuple(shape) for shape in shapes)


_BLAS_TYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _all_finite(*arrays):
    """Whether every value is finite: one pass per array, no temporary.  A contiguous part is checked by its
    dot product with itself (BLAS: 0.10 ms for 1.6M floats where ``np.add.reduce`` takes 0.26, one thread,
    CPU time), other parts by their sum: a NaN or inf makes either non-finite.  An overflow of finite values
    (squares from about 1e19, a sum from about 1e38) only sends the call to the direct method too."""
    def finite(a):
        def total(piece):
            part = a[piece[0]:piece[1]]
            if part.flags.c_contiguous and part.dtype in _BLAS_TYPES:
                flat = part.reshape(-1)
                return np.dot(flat, flat)
            return np.add.reduce(part, axis=None)
        # only reads: split from twice a copy's size (wall, 1 -> 2 threads: 2**21 floats 140-154 -> 141-146 us,
        # 2**22 297 -> 225-234, 2**23 780-800 -> 475-490)
        sums = threads.run_parallel(total, threads.pieces(a.shape[0], a.size, 2 * threads.PARALLEL_MIN_COPY))
        return np.isfinite(sum(sums))
    with _quiet():
        return all(finite(a) for a in arrays)


def _algorithm(operation, requested, a, b, x_shape, w_shape, out_spatial, stride, groups, dilation):
    """The module that computes this call: the requested or chosen algorithm, or the fallback when that one
    does not cover the arguments (see the module docstring), or the direct method when it needs finite
    inputs and ``a`` or ``b`` is not (None: not checked here)."""
    threads.start()
    name = requested or chooser.choose(operation, x_shape, w_shape, out_spatial, stride, groups, dilation)
    if not chooser.is_valid(name, operation, x_shape, w_shape, stride, groups, dilation):
        name = chooser.FALLBACK
    module = ALGORITHMS[name]
    if a is not None and operation in getattr(module, "NEEDS_FINITE", ()) and not _all_finite(a, b):
        return ALGORITHMS[chooser.DIRECT]
    return module
