"""Picks one convolution algorithm per call, and holds the setting that forces one.

The registry ``ALGORITHMS`` maps a name to a module with the computations it has: ``conv_forward``,
``conv_input_grad``, ``conv_weight_grad`` (contracts in kernels/__init__.py), and optionally
``supports(operation, x_shape, w_shape, stride, dilation, groups)`` saying which layers it computes.  An
algorithm with a forward but no input gradient serves stride-1 input gradients through the flipped forward
(flipped.py).  To add an algorithm: write the module, register it (kernels/__init__.py), and teach
``automatic`` when it wins.  Calls an algorithm does not cover are handed to ``FALLBACK`` by the dispatcher.

Forcing an algorithm (tests, benchmarks): ``use(name)`` for the calling thread only, as a context manager or
for good (``with chooser.use("im2col"): ...``), like grad mode; ``set_default(name)`` for every thread that
has no ``use`` active (what ``npconv.backends.conv_algorithm`` sets; the environment variable
``NPCONV_CONV_ALGORITHM`` gives its initial value).
"""
import contextlib
import math
import os
import threading

from . import im2col

ALGORITHMS = {}  # name -> module; filled by npconv.kernels

# The general algorithm that computes every call; the others hand it what they do not cover.
FALLBACK = "tiled_gemm"
# The algorithm whose every output is a plain sum over exactly its window: it takes non-finite inputs of
# the operations other algorithms list in NEEDS_FINITE.
DIRECT = "im2col"
ENVIRONMENT_VARIABLE = "NPCONV_CONV_ALGORITHM"
_FUNCTIONS = {"forward": "conv_forward", "input_grad": "conv_input_grad", "weight_grad": "conv_weight_grad"}

_thread = threading.local()  # .forced: this thread's use() (None: not forced)
_default = {"name": None}    # set_default's name, "auto" included; None until first read


def register(name, module):
    """Make ``module`` (with its kernel functions) available as algorithm ``name``."""
    ALGORITHMS[name] = module


def names():
    """The names a setting accepts: "auto" and every registered algorithm."""
    return ("auto",) + tuple(sorted(ALGORITHMS))


def check(name):
    """``name`` if it is a known algorithm or "auto"; TypeError / ValueError otherwise."""
    if not isinstance(name, str):
        raise TypeError(f"npconv.backends.conv_algorithm must be a string, not {type(name).__name__}")
    if name not in names():
        raise ValueError(f"unknown convolution algorithm {name!r}; choose one of {', '.join(names())}")
    return name


@contextlib.contextmanager
def _restoring(previous):
    try:
        yield
    finally:
        _thread.forced = previous


def use(name):
    """Force algorithm ``name`` in the calling thread (None: back to the default).  Returns a context
    manager that restores the thread's previous choice on exit, so it works both as a statement and in a
    ``with``."""
    if name is not None and name not in ALGORITHMS:
        raise ValueError(f"unknown convolution algorithm {name!r}; known: {sorted(ALGORITHMS)}")
    previous = getattr(_thread, "forced", None)
    _thread.forced = name
    return _restoring(previous)


def default():
    """The setting of every thread without ``use``: "auto" or an algorithm name (initially the environment
    variable's value, checked on first read: a typo there is an error, not "auto")."""
    if _default["name"] is None:
        name = os.environ.get(ENVIRONMENT_VARIABLE, "").strip() or "auto"
        try:
            _default["name"] = check(name)
        except ValueError as error:
            raise ValueError(f"{ENVIRONMENT_VARIABLE}: {error}") from None
    return _default["name"]


def set_default(name):
    """Set the algorithm of every thread without ``use`` ("auto": the automatic choice); checked first."""
    _default["name"] = check(name)


def forced():
    """The name of the algorithm forced in this thread, or None: ``use(name)`` while active, else the
    default setting unless it is "auto"."""
    name = getattr(_thread, "forced", None)
    if name is not None:
        return name
    name = default()
    return None if name == "auto" else name


def is_valid(name, operation, x_shape, w_shape, stride, groups, dilation):
    """Whether algorithm ``name`` computes ``operation`` for these arguments itself: it has the function (or,
    for a stride-1 input gradient, a forward to flip) and its ``supports`` (if any) accepts the layer."""
    module = ALGORITHMS[name]
    if not hasattr(module, _FUNCTIONS[operation]):
        derived = operation == "input_grad" and hasattr(module, "conv_forward") and all(s == 1 for s in stride)
        if not derived:
            return False
    supports = getattr(module, "supports", None)
    return supports is None or bool(supports(operation, tuple(x_shape), tuple(w_shape), tuple(stride),
                                             tuple(dilation), groups))


# Winograd pays for its transforms only when the GEMMs it shrinks are big: enough channels on both sides
# (per group) and enough output tiles.  The ratio below is C_in * C_out / (C_in + C_out) per group, times the
# fraction of its output tiles' positions that are outputs (14x14 in 4x4 tiles: 0.77).  Measured against
# tiled GEMM (float32, CPU time, 1 and 2 threads alike): in 2-d the forward and input gradient win from about
# 10 (0.75-0.92x the time at 10.7-12, 0.95-1.0x at 8); in 3-d, where it does 8x fewer multiplications, from
# about 4 (one thread: 0.5-0.65x at ratios 5-16, 1.1x at 2.7).  The weight gradient, whose transforms are
# cheaper than its GEMMs' gain sooner, wins in 2-d from about 4 (0.52-0.72x at 4-10.7 on U-Net's and
# 8-channel layers at 28x28-256x256; 1.05x at 3.2, 1.2x at 14x14's 3.4, 1.75x at 0.94).
WINOGRAD_MIN_CHANNEL_RATIO = {2: 10, 3: 4}
WINOGRAD_WEIGHT_GRAD_MIN_CHANNEL_RATIO = {2: 4, 3: 4}
# Strided input gradients (a transposed convolution's forward): tiled GEMM's one long product per block of
# images (all offsets' rows) measured faster (one thread, CPU time) on every shape tried but one: with many
# channels on both sides, as in the suite's 3x3 stride-2 (128 in, 256 out, 14x14 outputs: 12.5 ms vs 17),
# shifted GEMM's one GEMM per offset wins.  Tiled won at 16-64 input channels (transposed 2x up: 5.6 ms vs
# 7.3; U-Net's 2x2 up-samplings by 12%) and by 2-8% at 128 input or 256 output channels alone.
SHIFTED_INPUT_GRAD_MIN_CHANNELS = (128, 256)  # (C_in / G, C_out / G)
# Strided input gradients whose kernel is a multiple of the stride: subpixel.py's one stride-1 forward of gy
# (phases x C_in rows, no additions) against tiled GEMM's col2im.  One thread, CPU time, subpixel / tiled
# GEMM, 4x4 stride 2 (batch, transposed conv's channels in -> out at input size): the suite's 8, 64 -> 32 at
# 28 0.94 (7.2 -> 6.8 ms), 8, 16 -> 8 at 32 0.98, 6x6 stride 3 2, 32 -> 16 at 20 0.91; lost with more
# channels on gy's side (the forward's inner dimension per tap): 128 -> 64 at 16 1.07, 256 -> 128 at 8 1.45.
SUBPIXEL_MAX_CHANNELS = 64  # C_out / G of the convolution: gy's channels
# FFT's cost per output hardly grows with the kernel: it wins from about 7x7 (49 offsets) on.
FFT_MIN_KERNEL = 49
# Winograd transforms the whole weight every call: it pays only with enough output tiles per weight, per
# image (F(4x4) tiles waste most at 7x7) and over the batch (2 threads, CPU time: 256 channels at 14x14,
# batch 1 (196 outputs), 2.9-7.0 ms vs im2col's 2.7-3.1; batch 2 4.9 vs 5.6; 128 at 28x28, batch 1, 1.6 vs 2.9).
WINOGRAD_MIN_OUTPUTS = 64
WINOGRAD_MIN_BATCH_OUTPUTS = 256
# im2col against tiled GEMM: tiled GEMM computes the wide rows (each row of outputs plus the kernel's overhang,
# thrown away) to copy its columns from contiguous slices; im2col copies the whole column matrix, once, out
# of cache, a cost per column that the GEMM's C_out/G rows amortise.  im2col wins when the wasted fraction
# times C_out/G is above about 32 (2 threads, CPU time, 3x3, batch 1 / 8: 512 channels at 7x7 (146) 0.50 /
# 0.66x tiled's time, 256 at 7x7 (73) 0.59 / 0.87, 256 at 14x14 (37) 0.92 / 0.90; below: 128 at 14x14 (18)
# 0.90 / 1.04, 64 at 56x56 (2) 1.1 / 1.55, LeNet's 20 -> 50 5x5 (25) 1.0 / 1.26 at batch 8 / 64).  The input
# gradient at stride 1 is the forward of the flipped kernel: C_in/G rows over the input's positions.
IM2COL_MIN_WASTED_ROWS = 32
# Strided forwards: tiled GEMM also copies the input into its stride phases and fills each tile from one
# window per phase, so im2col's single column copy wins sooner: with at least this many values per column
# (C_in/G x kernel), whatever the wasted rows.  One thread, CPU time, im2col / tiled GEMM, 3x3 stride 2
# (batch, channels in -> out at input size): 8, 128 -> 256 at 28 (the suite's, 1152 values) 0.88 (10.7 vs
# 12.2 ms), batch 1 0.87, 128 -> 128 at 28 0.93, 256 -> 512 at 14 0.82; below (576-800 values) ties or
# losses: 64 -> 128 at 56 0.98, 64 -> 256 at 32 0.99, 64 -> 64 at 56 1.09, 5x5 32 -> 64 at 64 1.22, 32 -> 64
# at 112 1.26, the 7x7 stem (147) 1.34.
IM2COL_STRIDED_MIN_INNER = 1024
# ... or from this many when the column matrix is small enough for im2col's fused pieces (each thread copies
# its own columns: below im2col.FUSED_MAX_COLUMNS elements).  Batch 1, im2col / tiled GEMM,
# median ms at 1 / 2 threads: 64 -> 128 3x3 at 56 (576 values) 2.00 vs 2.28 / 2.18 vs 2.34, 64 -> 64 1.30 vs
# 1.43 / 2.03 vs 2.13, 5x5 32 -> 64 at 64 (800) 2.46 vs 2.50 / 2.67 vs 2.75; the stem (147) loses, 6.0 vs 5.4.
IM2COL_SMALL_STRIDED_MIN_INNER = 512
# ... and its column matrix (float32: the input times the kernel's size) at most this large (weight
# gradients: 1.2-1.4x tiled's time at 59-300 MB: ResNet's stem, U-Net's 3x3 layers at 128x128 and 256x256).
# Never for a 1x1 kernel over the whole input, which tiled GEMM multiplies in place (U-Net's head: 3.6 ms vs
# 6.9).
IM2COL_MAX_COLUMN_BYTES = 32 * 2**20
# Weight gradients whose columns fit: im2col's one product against tiled GEMM's (gy laid out on the wide cells
# tile by tile, the tiles' products summed).  Both put the larger row count as the GEMM's M
# (gemm.larger_rows_first); im2col then wins where its column copy is cheap next to the GEMM or
# tiled GEMM wastes most: C_out/G >= 128 (the copy amortised over many rows), one input channel per group
# (tiled GEMM copies one-channel rows per offset), windows that do not overlap (kernel <= stride: the columns
# are the input rearranged) or wide cells >= 1.15 per output.  One thread, CPU time, tiled / im2col: the
# suite's transposed 2x up 0.91, stem 0.93, 1-d k=9 0.68, 3-d 0.86, 32 -> 64 3x3 at 56x56 0.97; but 3x3
# 128-512 channels at 7x7-28x28 stride 1 and 2 1.04-1.13, U-Net's 2x2 stride-2 up-samplings 1.10 / 1.28,
# its 1 -> 16 layer 1.08, LeNet conv1 1.2, LeNet conv2 (wide 1.5) 1.11.
IM2COL_WEIGHT_GRAD_MIN_ROWS = 128
IM2COL_WEIGHT_GRAD_MIN_WIDE = 1.15
# Kernel-row GEMM (row_gemm.py) against tiled GEMM, stride 1: it copies K[-1] * C/G values per column instead
# of prod(K) * C/G (the GEMM's inner dimension per kernel row, ``inner``) and pays one addition of the
# product (``rows`` = C_out/G; for an input gradient, the flipped forward's C_in/G) per extra kernel row.  So
# it wins with at least as many inner values as rows, up to a few times more (the copies saved grow with the
# kernel rows: (R - 1)**2 times the rows for R kernel rows), and an inner dimension small enough that the
# copies matter.  Measured (one thread, CPU time, forward / input gradient): 5x5 6 -> 16 at 32x32 (inner 30
# / 80) 3.3 -> 2.5 ms / 4.1 -> 3.1, 3x3 8 -> 8 at 56x56 0.86 -> 0.61 / 1.17 -> 0.85, 16 -> 16 at 64x64 0.96x
# / 0.90x, 8 -> 16 forward 0.91x, 16 -> 8 input gradient 0.88x, LeNet conv2 (inner 100) forward 0.83x; lost:
# 16 -> 8 forward and 8 -> 16 input gradient (inner 6x the rows, 3x3) 1.12x / 1.06x, inner below the rows
# (LeNet conv1 forward 1.2x, U-Net's 1 -> 16 1.7x, 5x5 3 -> 32 1.2x), one row (LeNet conv1's input
# gradient 2.2x), inner 250 (LeNet conv2's input gradient 1.2x); ties at inner 192-320 (64 channels).
ROW_GEMM_MIN_ROWS = 4
# Its weight gradient (gy on the tile's cells times each kernel row's columns) against im2col's one product:
# 5x5 6 -> 16 6.4 -> 3.1 ms, 3x3 8 -> 8 at 56x56 1.85 -> 0.83 (Winograd 1.22), LeNet conv1 (inner 5, 20
# rows) 1.56 -> 1.21; lost then: LeNet conv2 (inner 100) 4.7 -> 5.7, inner below the rows (U-Net's 1 -> 16 1.3x,
# 5x5 3 -> 32 1.6x).  Winograd's weight gradient, chosen first, stays faster from 16 channels on.
# Re-measured after kernel-row GEMM's compact tile rows, against im2col and tiled GEMM (the best of them), 5x5
# and 3x3 kernels (batch x C_in -> C_out at input size; inner = C_in x kernel width), 1 thread / 2 threads:
# LeNet conv2 64x20 -> 50 at 12 (inner 100) 4.42 vs 5.08 / 2.47 vs 3.42 ms, 16x32 -> 64 at 32 (160) 17.8 vs
# 23.2 / 9.7 vs 13.8, 8x48 -> 96 at 28 (240) 14.0 vs 16.0 / 8.7 vs 9.3, 8x64 -> 128 at 28 (320) 24.4 vs 25.5,
# 3x3 4x128 -> 128 at 28 (384) 10.6 vs 10.8; at 3x3 16x16 -> 32 (inner 80) a tie with tiled GEMM.
ROW_GEMM_WEIGHT_GRAD_MAX_INNER = 384
# Since kernel-row GEMM's compact tile rows (0cace74) its weight gradient wins with the inner dimension below
# the rows too, on kernels of up to 5 rows.  Automatic choice / kernel-row GEMM, 1 thread CPU time and 2
# threads wall (medians of 11): LeNet conv1 (inner 5, 20 rows, batch 64) 0.56 / 0.51 (1.52 -> 0.85 ms), at
# batch 8 0.82 / 0.81, U-Net's 1 -> 16 at 256x256 0.66 / 0.75-0.88, 5x5 3 -> 32 at 32x32 (batch 16, 64)
# 0.65-0.66 / 0.64-0.72, 3x3 1 -> 32 0.73 / 0.73; lost with 7 kernel rows: 7x7 1 -> 8 at 64x64 0.70 / 1.45.
ROW_GEMM_WEIGHT_GRAD_MAX_KERNEL_ROWS = 5
# Depthwise forwards (stride 1) by depthwise.py's in-place sums rather than tiled GEMM's batched matrix-vector
# products over copied windows: they win on large planes and small kernels only.  One thread, CPU time, 3x3
# (batch x channels x size): 8x128x56 7.80 -> 7.18 ms (two threads, wall: 5.07 -> 3.97), 8x128x52 0.90x,
# 8x128x60 0.94x, 8x64x64 0.86x, 8x64x72 0.91x, 8x32x80 0.87x, 4x64x96 0.87x, 2x32x128 0.82x, 1x32x112 0.97x;
# lost: 8x128x48 1.7x, 8x128x40 1.6x, 8x256x14 1.6x, 28x28 with two channels per group 2.5x (NumPy's multiply
# by one scalar per plane runs 3x slower per element on these shorter planes), 5x5 at 56x56 1.15x, at 28x28 2x.
DEPTHWISE_FORWARD_MIN_OUTPUTS = 2500  # per plane
DEPTHWISE_FORWARD_MAX_OFFSETS = 9
ROW_GEMM_MAX_INNER = 128
# ... and only on calls with enough outputs (batch x positions) for the copies it saves to matter: below that
# the time is call overhead, and tiled GEMM's one product per column keeps torch's own kernel's summation order
# (im2col + GEMM, which torch runs for small single images), so near-ties round as in torch (an FGSM script's
# max pooling picked other elements at 1 x 10x10 outputs with kernel-row sums).
ROW_GEMM_MIN_OUTPUTS = 1024


def choose(operation, x_shape, w_shape, out_spatial, stride, groups, dilation=None):
    """Name of the algorithm for ``operation`` ('forward', 'input_grad', 'weight_grad').

    ``x_shape`` (N, C_in, *S) and ``w_shape`` (C_out, C_in/groups, *K) are those of the convolution (for a
    transposed one, of the convolution it is the gradient of); ``out_spatial`` its output sizes.  A forced
    algorithm (``use``, ``npconv.backends.conv_algorithm``) is returned as is: the dispatcher hands the calls
    it does not cover to ``FALLBACK``.  The automatic choice is always valid for the arguments.
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
    if valid("depthwise") and (operation != "forward" or _depthwise_forward_wins(w_shape, out_spatial)):
        return "depthwise"
    if valid("fft") and math.prod(w_shape[2:]) >= FFT_MIN_KERNEL and per_group_in > 1:
        return "fft"
    dims = len(out_spatial)
    ratios = WINOGRAD_WEIGHT_GRAD_MIN_CHANNEL_RATIO if operation == "weight_grad" else WINOGRAD_MIN_CHANNEL_RATIO
    if (valid("winograd") and dims in ratios and _winograd_ratio(w_shape, out_spatial, groups) >= ratios[dims]
            and math.prod(out_spatial) >= WINOGRAD_MIN_OUTPUTS
            and x_shape[0] * math.prod(out_spatial) >= WINOGRAD_MIN_BATCH_OUTPUTS):
        return "winograd"
    strided = any(s > 1 for s in stride)
    min_in, min_out = SHIFTED_INPUT_GRAD_MIN_CHANNELS
    if operation == "input_grad" and strided and per_group_in >= min_in and c_out // groups >= min_out:
        return "shifted_gemm"
    if operation == "input_grad" and valid("subpixel") and c_out // groups <= SUBPIXEL_MAX_CHANNELS:
        return "subpixel"
    if (valid("row_gemm") and _row_gemm_wins(operation, w_shape, groups)
            and x_shape[0] * math.prod(out_spatial) >= ROW_GEMM_MIN_OUTPUTS):
        return "row_gemm"
    if valid("im2col") and _im2col_wins(operation, x_shape, w_shape, out_spatial, stride, groups, dilation):
        return "im2col"
    if valid("tiled_gemm"):
        return "tiled_gemm"
    return "shifted_gemm"


def _depthwise_forward_wins(w_shape, out_spatial):
    """Whether depthwise.py's in-place sums beat tiled GEMM's small GEMM per group on a stride-1 depthwise
    forward (see DEPTHWISE_FORWARD_MIN_OUTPUTS)."""
    return math.prod(w_shape[2:]) <= DEPTHWISE_FORWARD_MAX_OFFSETS and math.prod(out_spatial) >= \
        DEPTHWISE_FORWARD_MIN_OUTPUTS


def _row_gemm_wins(operation, w_shape, groups):
    """Whether kernel-row GEMM beats tiled GEMM and im2col (see ROW_GEMM_MAX_INNER) on a stride-1 forward,
    weight gradient, or input gradient (the forward of the flipped kernel: C_in/G rows, C_out/G channels
    inside)."""
    c_out, per_group_in = w_shape[:2]
    kernel = w_shape[2:]
    rows, channels = (per_group_in, c_out // groups) if operation == "input_grad" else (c_out // groups, per_group_in)
    inner, kernel_rows = kernel[-1] * channels, math.prod(kernel[:-1])
    largest = ROW_GEMM_WEIGHT_GRAD_MAX_INNER if operation == "weight_grad" else ROW_GEMM_MAX_INNER
    fewest_inner = 1 if operation == "weight_grad" and kernel_rows <= ROW_GEMM_WEIGHT_GRAD_MAX_KERNEL_ROWS else rows
    return ROW_GEMM_MIN_ROWS <= rows and fewest_inner <= inner <= min(largest, (kernel_rows - 1) ** 2 * rows)


def _im2col_wins(operation, x_shape, w_shape, out_spatial, stride, groups, dilation):
    """Whether im2col beats tiled GEMM (see IM2COL_MIN_WASTED_ROWS, IM2COL_STRIDED_MIN_INNER,
    IM2COL_MAX_COLUMN_BYTES): for a weight gradient, a forward, or a stride-1 input gradient as the forward of
    the flipped kernel (outputs: the input's positions, rows: C_in/G)."""
    kernel = w_shape[2:]
    columns = math.prod(kernel) * w_shape[1] * groups * x_shape[0] * math.prod(out_spatial)  # elements
    pointwise = math.prod(kernel) == 1 and tuple(out_spatial) == tuple(x_shape[2:])  # tiled GEMM copies nothing
    if 4 * columns > IM2COL_MAX_COLUMN_BYTES or pointwise:
        return False
    if operation == "weight_grad":
        disjoint = all(k <= s for k, s in zip(kernel, stride))
        wide = _wide_cells(out_spatial, kernel, stride, dilation)
        return (w_shape[0] // groups >= IM2COL_WEIGHT_GRAD_MIN_ROWS or w_shape[1] == 1 or disjoint
                or wide >= IM2COL_WEIGHT_GRAD_MIN_WIDE)
    if operation == "forward":
        inner = w_shape[1] * math.prod(kernel)
        small = columns < im2col.FUSED_MAX_COLUMNS
        if any(s > 1 for s in stride) and inner >= (IM2COL_SMALL_STRIDED_MIN_INNER if small
                                                    else IM2COL_STRIDED_MIN_INNER):
            return True
        rows, outputs, steps = w_shape[0] // groups, out_spatial, stride
    elif operation == "input_grad" and all(s == 1 for s in stride):
        rows, outputs, steps = w_shape[1], x_shape[2:], stride
    else:
        return False
    return (_wide_cells(outputs, kernel, steps, dilation) - 1) * rows >= IM2COL_MIN_WASTED_ROWS


def _wide_cells(outputs, kernel, steps, dilation):
    """Tiled GEMM's cells per output: every dim after the first widened by the kernel's overhang (per phase)."""
    return math.prod((o + -(-dl * (k - 1) // s)) / o for o, k, s, dl in zip(outputs[1:], kernel[1:], steps[1:],
                                                                            dilation[1:]))


def _winograd_ratio(w_shape, out_spatial, groups):
    """Winograd's gain (see WINOGRAD_MIN_CHANNEL_RATIO): its GEMM work saved grows with C_in * C_out per group
    while its transforms cost C_in + C_out per tile (4x fewer multiplications in 2-d, 8x in 3-d, only 2x in
    1-d), on tiles whose positions past the output are computed for nothing."""
    c_out, per_group_in = w_shape[:2]
    in_out = per_group_in * (c_out // groups) / max(1, per_group_in + c_out // groups)
    tile = getattr(ALGORITHMS.get("winograd"), "m", 4)
    coverage = math.prod(o / (-(-o // tile) * tile) for o in out_spatial)
    return in_out * coverage
