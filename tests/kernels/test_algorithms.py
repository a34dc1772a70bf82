"""The fast convolution algorithms (tiled GEMM, Winograd, depthwise) against torch and the im2col reference.

Each algorithm is driven on random cases *inside its own domain* (where it computes rather than hands
the call to a general algorithm), plus the edge cases of each: Winograd tile remainders and chunk splits,
tiny spatial sizes, padding wider than the kernel, channel multipliers, several column tiles.
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, strategies as st

import npconv
from npconv import kernels
from npconv.kernels import depthwise, fft, flipped, row_gemm, threads, tiled_gemm, winograd
from tests.kernels.compare import assert_kernels_match_torch, computes_itself, torch_conv
from tests.strategies import conv_arguments, kernel_arguments
from tests.torch_compare import assert_matches_torch, random_array

FAST_ALGORITHMS = ["tiled_gemm", "row_gemm", "winograd", "winograd_f2", "depthwise", "fft"]


def random_arrays(seed, dtype, *shapes):
    return [random_array(shape, dtype, seed + i) for i, shape in enumerate(shapes)]


def check_case(algorithm, case, dtype, seed):
    """Draws from the algorithm's own domain: it computes (some of) the call itself, and gives torch's result."""
    x, w = random_arrays(seed, dtype, case["x_shape"], case["w_shape"])
    assert computes_itself(algorithm, x.shape, w.shape, case["stride"], case["dilation"], case["groups"])
    assert_kernels_match_torch(algorithm, x, w, case["stride"], case["pairs"], case["dilation"], case["groups"])


# ---------------------------------------------------------------------------------------------- random


@pytest.mark.parametrize("algorithm", ["winograd", "winograd_f2"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@given(case=kernel_arguments("winograd", max_dilation=2, max_padding=3), seed=st.integers(0, 2**31))
def test_winograd_matches_torch(algorithm, dtype, case, seed):
    """3-wide kernels, stride 1, any (asymmetric) padding, dilation 1 or 2, groups, 1 to 3 dims."""
    check_case(algorithm, case, dtype, seed)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@given(case=kernel_arguments("fft"), seed=st.integers(0, 2**31), chunk_bytes=st.sampled_from([1, fft.CHUNK_BYTES]))
def test_fft_matches_torch(dtype, case, seed, chunk_bytes):
    """Stride 1, kernels up to 9 wide, any dilation, (asymmetric) padding and groups, 1 to 3 dims."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fft, "CHUNK_BYTES", chunk_bytes)  # 1 byte: one output channel per chunk
        check_case("fft", case, dtype, seed)


@st.composite
def subpixel_cases(draw):
    """Strided layers whose kernel is a multiple of the stride (and wider along some dim), 1 to 3 dims, any
    padding up to the kernel's, asymmetric too; the input sizes that leave a remainder (output_padding)."""
    dims = draw(st.integers(1, 3))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(dims))
    kernel = tuple(s * draw(st.integers(1, 3)) for s in stride)
    if all(s == 1 for s in stride) or all(k == s for k, s in zip(kernel, stride)):
        stride, kernel = (2,) + stride[1:], (4,) + kernel[1:]
    pairs = tuple((draw(st.integers(0, k - 1)), draw(st.integers(0, k - 1))) for k in kernel)
    spatial = tuple(max(1, k - b - a) + draw(st.integers(0, 7)) for k, (b, a) in zip(kernel, pairs))
    groups = draw(st.integers(1, 2))
    x_shape = (draw(st.integers(1, 3)), groups * draw(st.integers(1, 3))) + spatial
    w_shape = (groups * draw(st.integers(1, 3)), x_shape[1] // groups) + kernel
    return dict(x_shape=x_shape, w_shape=w_shape, stride=stride, pairs=pairs, dilation=(1,) * dims, groups=groups)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@given(case=subpixel_cases(), seed=st.integers(0, 2**31))
def test_subpixel_input_grad_matches_torch(dtype, case, seed):
    """The strided input gradient as one stride-1 forward of the phases' stacked weights: every phase's
    offsets, paddings wider than a phase's reach, input sizes past the outputs' (output_padding)."""
    assert computes_itself("subpixel", case["x_shape"], case["w_shape"], case["stride"], case["dilation"],
                           case["groups"]) == ["input_grad"]
    check_case("subpixel", case, dtype, seed)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@given(case=kernel_arguments("depthwise"), seed=st.integers(0, 2**31),
       chunk_elements=st.sampled_from([1, 300, depthwise.CHUNK_ELEMENTS]))
def test_depthwise_matches_torch(dtype, case, seed, chunk_elements):
    """One input channel per group (G = C_in), channel multiplier 1-3, any stride/dilation/padding; the
    forward's chunks from one channel of one image to several images."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(depthwise, "CHUNK_ELEMENTS", chunk_elements)
        check_case("depthwise", case, dtype, seed)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@given(case=kernel_arguments("row_gemm"), seed=st.integers(0, 2**31), tile_bytes=st.sampled_from([1, 4096, None]))
def test_row_gemm_matches_torch(dtype, case, seed, tile_bytes):
    """Stride 1, any kernel, dilation, (asymmetric) padding and groups, 1 to 3 dims; tiles from one row of
    one image (many bands) to several images."""
    with pytest.MonkeyPatch.context() as patch:
        if tile_bytes is not None:
            patch.setattr(row_gemm, "TILE_BYTES", tile_bytes)
            patch.setattr(tiled_gemm, "MIN_TILE_COLUMNS", 1)
        check_case("row_gemm", case, dtype, seed)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@given(args=conv_arguments(string_padding=False, batched=True), seed=st.integers(0, 2**32 - 1),
       tile_bytes=st.sampled_from([1, 64, 4096, tiled_gemm.TILE_BYTES]))
def test_tiled_gemm_matches_torch_for_any_tile_size(dtype, args, seed, tile_bytes):
    """Every convolution, with tiles from a single column (many tiles and a remainder) to the default."""
    x, w = random_arrays(seed, dtype, args["input_shape"], args["weight_shape"])
    pairs = tuple((p, p) for p in args["paddings"])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tiled_gemm, "TILE_BYTES", tile_bytes)
        patch.setattr(tiled_gemm, "MIN_TILE_COLUMNS", 1)
        assert_kernels_match_torch("tiled_gemm", x, w, args["strides"], pairs, args["dilations"], args["groups"])


@pytest.mark.parametrize("algorithm", FAST_ALGORITHMS)
@given(args=conv_arguments(string_padding=False, batched=True), seed=st.integers(0, 2**32 - 1))
def test_outside_their_domain_algorithms_hand_over(algorithm, args, seed):
    """Forced on any convolution (5x5, strided, grouped...), every algorithm still gives torch's result."""
    x, w = random_arrays(seed, np.float64, args["input_shape"], args["weight_shape"])
    pairs = tuple((p, p) for p in args["paddings"])
    assert_kernels_match_torch(algorithm, x, w, args["strides"], pairs, args["dilations"], args["groups"])


# ------------------------------------------------------------------------------------------ edge cases


@pytest.mark.parametrize("algorithm", ["winograd", "winograd_f2"])
@pytest.mark.parametrize("size", range(1, 11))
def test_winograd_tile_remainders(algorithm, size):
    """Output sizes 1..10 cover every remainder of the 2- and 4-wide tiles, with 'same' padding."""
    x, w = random_arrays(size, np.float64, (2, 3, size, size + 1), (4, 3, 3, 3))
    assert_kernels_match_torch(algorithm, x, w, (1, 1), ((1, 1), (1, 1)), (1, 1), 1)


@pytest.mark.parametrize("budget", [1, 3000, 40000])
def test_winograd_chunks_split_images_and_tile_rows(budget, monkeypatch):
    """A tiny chunk budget splits each image by tile rows; a middle one takes whole images at a time."""
    monkeypatch.setattr(winograd, "CHUNK_BYTES", budget)
    x, w = random_arrays(0, np.float64, (5, 4, 13, 9), (6, 2, 3, 3))
    assert_kernels_match_torch("winograd", x, w, (1, 1), ((1, 2), (0, 1)), (1, 1), 2)


@pytest.mark.parametrize("parts", [1, 2, 16])
def test_winograd_chunks_cover_every_tile_once_and_give_each_thread_work(parts):
    batch, columns_per_row, rows_per_image = 8, 7, 7  # the grouped 3x3 layer of the benchmark suite
    chunks = winograd._chunks(batch, columns_per_row, rows_per_image, column_bytes=36 * 256 * 4, parts=parts)
    covered = [(n, row) for images, rows in chunks for n in range(batch)[images] for row in range(7)[rows]]
    assert sorted(covered) == [(n, row) for n in range(batch) for row in range(rows_per_image)]
    assert len(chunks) >= min(parts, batch * rows_per_image)


def test_winograd_input_grad_with_padding_wider_than_kernel_falls_back():
    """Padding 3 > kernel - 1 makes the flipped forward's padding negative: the GEMM path takes over."""
    x, w = random_arrays(1, np.float64, (1, 2, 5, 5), (3, 2, 3, 3))
    assert flipped.input_grad_padding((5, 5), (9, 9), (3, 3), ((3, 3), (3, 3)), (1, 1)) is None
    assert_kernels_match_torch("winograd", x, w, (1, 1), ((3, 3), (3, 3)), (1, 1), 1)


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_winograd_float32_error_on_wide_layers(dims):
    """F(4x4, 3x3) in float32 stays within 1e-4 of the largest output on a realistic, wide layer."""
    channels = {1: 256, 2: 256, 3: 64}[dims]
    spatial = {1: (60,), 2: (20, 20), 3: (8, 8, 8)}[dims]
    x, w = random_arrays(2, np.float32, (2, channels) + spatial, (32, channels) + (3,) * dims)
    w /= np.sqrt(channels * 3 ** dims)
    assert computes_itself("winograd", x.shape, w.shape, (1,) * dims, (1,) * dims, 1, ["forward", "input_grad"])
    assert_kernels_match_torch("winograd", x, w, (1,) * dims, ((1, 1),) * dims, (1,) * dims, 1)


def test_winograd_transforms_are_exact_polynomial_identities():
    """A^T [(G g) * (B^T d)] equals the correlation of a 1-d tile with g, for both tile sizes."""
    rng = np.random.default_rng(0)
    for m in (2, 4):
        bt, g_matrix, at = winograd.transform_matrices(m)
        d, g = rng.standard_normal(m + 2), rng.standard_normal(3)
        expected = np.array([d[i:i + 3] @ g for i in range(m)])
        np.testing.assert_allclose(at @ ((g_matrix @ g) * (bt @ d)), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("algorithm", FAST_ALGORITHMS)
def test_stride_larger_than_kernel_and_tiny_inputs(algorithm):
    x, w = random_arrays(3, np.float64, (2, 4, 7, 1), (4, 1, 2, 1))
    assert_kernels_match_torch(algorithm, x, w, (3, 2), ((0, 1), (0, 0)), (1, 1), 4)
    x, w = random_arrays(4, np.float64, (1, 2, 1, 1), (3, 2, 3, 3))
    assert_kernels_match_torch(algorithm, x, w, (1, 1), ((1, 1), (1, 1)), (1, 1), 1)


@pytest.mark.parametrize("algorithm", FAST_ALGORITHMS)
def test_transposed_convolution_reuses_the_algorithms(algorithm):
    """conv_transpose2d (stride 2, output_padding 1, groups 2) through the chosen algorithm's input-grad."""
    x, w = random_arrays(5, np.float64, (2, 4, 5, 6), (4, 3, 3, 3))

    def ours(x, w):
        y = kernels.conv_input_grad(x.numpy(), w.numpy(), (10, 12), (2, 2), ((1, 1), (1, 1)), (1, 1), 2,
                                    algorithm=algorithm)
        return npconv.from_numpy(y)

    assert_matches_torch((ours, lambda x, w: TF.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1,
                                                                 groups=2)), [x, w], check_grad=False)


@pytest.mark.parametrize("algorithm", FAST_ALGORITHMS)
def test_empty_batch_and_channels(algorithm):
    for x_shape, w_shape in [((0, 2, 5, 5), (3, 2, 3, 3)), ((2, 0, 5, 5), (3, 0, 3, 3))]:
        x, w = random_arrays(6, np.float32, x_shape, w_shape)
        y = kernels.conv_forward(x, w, (1, 1), ((1, 1), (1, 1)), (1, 1), 1, algorithm=algorithm)
        assert y.shape == (x_shape[0], 3, 5, 5) and y.dtype == np.float32 and not y.any()


def test_depthwise_domain():
    assert depthwise.supports("forward", (1, 4, 5, 5), (8, 1, 3, 3), (1, 1), (1, 1), 4)
    assert not depthwise.supports("forward", (1, 4, 5, 5), (8, 2, 3, 3), (1, 1), (1, 1), 2)
    assert not depthwise.supports("forward", (1, 1, 5, 5), (8, 1, 3, 3), (1, 1), (1, 1), 1)
    assert not depthwise.supports("forward", (1, 4, 5, 5), (4, 1, 3, 3), (2, 1), (1, 1), 4)  # strided: tiled GEMM
    assert depthwise.supports("input_grad", (1, 4, 5, 5), (4, 1, 3, 3), (2, 1), (1, 1), 4)


@pytest.mark.parametrize("algorithm", FAST_ALGORITHMS)
def test_float32_stays_float32(algorithm):
    x, w = random_arrays(7, np.float32, (2, 8, 9, 9), (8, 1, 3, 3))
    geometry = ((1, 1), ((1, 1), (1, 1)), (1, 1), 8)
    y = kernels.conv_forward(x, w, *geometry, algorithm=algorithm)
    assert y.dtype == np.float32
    assert kernels.conv_input_grad(y, w, (9, 9), *geometry, algorithm=algorithm).dtype == np.float32
    assert kernels.conv_weight_grad(x, y, (3, 3), *geometry, algorithm=algorithm).dtype == np.float32


@pytest.mark.parametrize("algorithm", FAST_ALGORITHMS + ["shifted_gemm"])
@pytest.mark.parametrize("workers", [2, 3, 5])
def test_threaded_pieces_give_the_serial_result(algorithm, workers, monkeypatch, restore_threads):
    """Split over threads (forced even for small work), every kernel gives the single-thread result (5
    workers for 3 images: shifted GEMM's input gradient splits the channels too)."""
    x, w = random_arrays(8, np.float64, (3, 6, 11, 10), (6, 1, 3, 3))
    cases = [((1, 1), ((1, 1), (1, 1)), (1, 1), 6), ((2, 1), ((0, 2), (1, 1)), (1, 2), 6)]
    w_dense = random_arrays(9, np.float64, (4, 6, 3, 3))[0]
    for weight, (stride, pairs, dilation, groups) in [(w, c) for c in cases] + [(w_dense, (c[0], c[1], c[2], 1))
                                                                                 for c in cases]:
        threads.set_num_threads(1)
        serial = _all_kernels(algorithm, x, weight, stride, pairs, dilation, groups)
        threads.set_num_threads(workers)
        monkeypatch.setattr(threads, "PARALLEL_MIN_MACS", 0)
        monkeypatch.setattr(tiled_gemm, "TILE_BYTES", 1)
        monkeypatch.setattr(row_gemm, "TILE_BYTES", 1)
        monkeypatch.setattr(tiled_gemm, "MIN_TILE_COLUMNS", 7)
        monkeypatch.setattr(winograd, "CHUNK_BYTES", 1)
        monkeypatch.setattr(depthwise, "TILE_ELEMENTS", 1)
        monkeypatch.setattr(depthwise, "CHUNK_ELEMENTS", 1)
        threaded = _all_kernels(algorithm, x, weight, stride, pairs, dilation, groups)
        for ours, reference in zip(threaded, serial):
            np.testing.assert_allclose(ours, reference, rtol=1e-12, atol=1e-12)
        monkeypatch.undo()


def _all_kernels(algorithm, x, w, stride, pairs, dilation, groups):
    geometry = (stride, pairs, dilation, groups)
    y = kernels.conv_forward(x, w, *geometry, algorithm=algorithm)
    return (y, kernels.conv_input_grad(y, w, x.shape[2:], *geometry, algorithm=algorithm),
            kernels.conv_weight_grad(x, y, w.shape[2:], *geometry, algorithm=algorithm))


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_pointwise_kernels_as_one_batched_gemm(dims):
    """1x1 kernels without padding (tiled_gemm's direct path: the input itself, or its strided positions),
grouped, and the padded ones."""
    x, w = random_arrays(10, np.float64, (3, 6) + (5,) * dims, (4, 3) + (1,) * dims)
    assert_kernels_match_torch("tiled_gemm", x, w, (1,) * dims, ((0, 0),) * dims, (1,) * dims, 2)
    assert_kernels_match_torch("tiled_gemm", x, w, (2,) * dims, ((1, 0),) * dims, (1,) * dims, 2)
    assert_kernels_match_torch("tiled_gemm", x, w, (2,) * dims, ((0, 0),) * dims, (1,) * dims, 2)
    assert_kernels_match_torch("tiled_gemm", x, w, (3,) + (1,) * (dims - 1), ((0, 0),) * dims, (1,) * dims, 2)


def test_fft_without_scipy_uses_numpy_fft(monkeypatch):
    """scipy is optional: NumPy's pocketfft gives the same result; the fast lengths match scipy's rule."""
    x, w = random_arrays(11, np.float64, (2, 3, 13, 11), (4, 3, 7, 5))
    monkeypatch.setattr(fft, "_scipy_fft", lambda: None)
    assert_kernels_match_torch("fft", x, w, (1, 1), ((3, 2), (2, 2)), (1, 2), 1)
    assert [fft.fast_length(n) for n in (1, 7, 11, 13, 17, 97, 121)] == [1, 8, 12, 15, 18, 100, 125]


@pytest.mark.parametrize("x_shape, w_shape, groups, dilation", [
    ((4, 64, 28, 28), (64, 64, 3, 3), 1, 1), ((2, 16, 8, 16, 16), (32, 16, 3, 3, 3), 1, 1),
    ((2, 64, 20, 20), (64, 16, 3, 3), 4, 2)])
def test_winograd_weight_gradient_of_wide_layers_keeps_float32_accuracy(x_shape, w_shape, groups, dilation):
    """Sums over thousands of tiles (the benchmark's sizes), F(4, 3)'s transforms: torch's gradient to 1e-4."""
    x, w = random_arrays(12, np.float32, x_shape, w_shape)
    d = len(x_shape) - 2
    assert computes_itself("winograd", x.shape, w.shape, (1,) * d, (dilation,) * d, groups) == list(
        ("forward", "input_grad", "weight_grad"))
    assert_kernels_match_torch("winograd", x, w, (1,) * d, ((dilation, dilation),) * d, (dilation,) * d, groups)


@pytest.mark.parametrize("algorithm", ["tiled_gemm", "shifted_gemm"])
@pytest.mark.parametrize("workers", [1, 2])
def test_input_gradient_in_cache_sized_blocks_keeps_the_thread_count(algorithm, workers, monkeypatch,
                                                                     restore_threads):
    """Blocks of one image (a tiny BLOCK_BYTES): the same gradient, and never more pieces than threads
    (the blocks are run one after the other inside each thread's piece)."""
    gy, w = random_arrays(13, np.float64, (5, 4, 6, 7), (4, 3, 3, 3))
    geometry = ((2, 2), ((1, 1), (1, 1)), (1, 1), 1)
    expected = kernels.conv_input_grad(gy, w, (12, 13), *geometry, algorithm="im2col")
    threads.set_num_threads(workers)
    module = {"tiled_gemm": tiled_gemm, "shifted_gemm": kernels.shifted_gemm}[algorithm]
    monkeypatch.setattr(module, "BLOCK_BYTES", 1)
    monkeypatch.setattr(threads, "PARALLEL_MIN_MACS", 0)
    pieces = []
    original = threads.run_parallel
    monkeypatch.setattr(threads, "run_parallel", lambda task, ranges: pieces.append(len(list(ranges))) or
                        original(task, ranges))
    ours = kernels.conv_input_grad(gy, w, (12, 13), *geometry, algorithm=algorithm)
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-12)
    assert pieces and max(pieces) <= workers


@pytest.mark.parametrize("algorithm, block_setting, stride", [("tiled_gemm", "FORWARD_BLOCK_BYTES", (1, 2)),
                                                              ("winograd", "BLOCK_BYTES", (1, 1))])
@pytest.mark.parametrize("workers", [1, 2, 3])
def test_forward_in_blocks_of_images_gives_the_whole_batch_result(algorithm, block_setting, stride, workers,
                                                                  monkeypatch, restore_threads):
    """Tiled GEMM's forward, Winograd's forward and weight gradient in blocks of one image (a tiny block
    setting), whole blocks per thread: torch's results, and never more pieces than threads."""
    x, w = random_arrays(14, np.float64, (5, 6, 9, 8), (4, 3, 3, 3))
    threads.set_num_threads(workers)
    module = {"tiled_gemm": tiled_gemm, "winograd": winograd}[algorithm]
    monkeypatch.setattr(module, block_setting, 1)
    monkeypatch.setattr(threads, "PARALLEL_MIN_MACS", 0)
    pieces = []
    original = threads.run_parallel
    monkeypatch.setattr(threads, "run_parallel", lambda task, ranges: pieces.append(len(list(ranges))) or
                        original(task, ranges))
    assert_kernels_match_torch(algorithm, x, w, stride, ((1, 0), (2, 1)), (1, 1), 2)
    assert pieces and max(pieces) <= workers


@pytest.mark.parametrize("input_spatial", [(12, 10), (13, 11)])
@pytest.mark.parametrize("block_bytes", [1, tiled_gemm.BLOCK_BYTES])
def test_input_gradient_of_a_kernel_as_wide_as_its_stride_is_one_gemm_per_block(input_spatial, block_bytes,
                                                                                 monkeypatch):
    """A 2x2 stride-2 kernel without padding (U-Net's up-sampling): every offset's product is a whole phase,
    written by one GEMM; the im2col gradient, with an odd size (output_padding) and one-image blocks too."""
    gy, w = random_arrays(15, np.float64, (3, 5, 6, 5), (5, 4, 2, 2))
    geometry = ((2, 2), ((0, 0), (0, 0)), (1, 1), 1)
    monkeypatch.setattr(tiled_gemm, "BLOCK_BYTES", block_bytes)
    assert tiled_gemm._products_fill_phases(
        kernels.geometry.offset_starts((2, 2), (2, 2), (1, 1), (6, 5)), (2, 2), 1, 30, 30)
    expected = kernels.conv_input_grad(gy, w, input_spatial, *geometry, algorithm="im2col")
    ours = kernels.conv_input_grad(gy, w, input_spatial, *geometry, algorithm="tiled_gemm")
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("workers", [2, 3])
@pytest.mark.parametrize("x_shape, w_shape, groups", [
    ((4, 4, 9, 8), (6, 4, 3, 3), 1),          # images >= threads: a block of images per thread
    ((1, 4, 9, 8), (6, 2, 3, 3), 2),          # one image: blocks of output rows
    ((2, 6, 4, 3), (80, 3, 3, 3), 2),         # more weight rows than positions: the inner channels split, summed
    ((1, 5, 12), (70, 5, 4), 1),              # 1-d, split channels of an odd count
    ((1, 3, 5, 6, 4), (4, 3, 2, 3, 2), 1)])   # 3-d, rows of the first output dim
@pytest.mark.parametrize("stride, dilation", [((1, 1, 1), (1, 1, 1)), ((2, 1, 2), (1, 2, 1))])
def test_im2col_forward_copies_its_columns_in_parallel_pieces(x_shape, w_shape, groups, stride, dilation, workers,
                                                              monkeypatch, restore_threads):
    """im2col's forward of a column matrix below a split copy's size: each thread copies and multiplies its
    own part (images, output rows, or input channels with the partial products summed): torch's result."""
    x, w = random_arrays(21, np.float64, x_shape, w_shape)
    d = len(x_shape) - 2
    threads.set_num_threads(workers)
    monkeypatch.setattr(threads, "PARALLEL_MIN_MACS", 0)
    pieces = []
    original = threads.run_parallel
    monkeypatch.setattr(threads, "run_parallel", lambda task, ranges: pieces.append(len(list(ranges))) or
                        original(task, ranges))
    conv = getattr(TF, f"conv{d}d")
    expected = conv(torch.from_numpy(x), torch.from_numpy(w), stride=stride[:d], padding=1, dilation=dilation[:d],
                    groups=groups).numpy()
    y = kernels.conv_forward(x, w, stride[:d], ((1, 1),) * d, dilation[:d], groups, algorithm="im2col")
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)
    assert pieces and max(pieces) >= 2


@pytest.mark.parametrize("workers", [2, 3])
@given(case=kernel_arguments(), seed=st.integers(0, 2**31), channels_last=st.booleans())
def test_im2col_fused_pieces_match_torch_on_random_layers(case, seed, channels_last, workers):
    """im2col's fused forward pieces (forced even for small work) on random layers, 1-3 dims, groups,
    dilation, strides, asymmetric padding, and inputs in a channels-last layout: torch's results."""
    x, w = random_arrays(seed, np.float64, case["x_shape"], case["w_shape"])
    if channels_last:  # the same values, strided in memory as a channels-last tensor's
        x = np.moveaxis(np.ascontiguousarray(np.moveaxis(x, 1, -1)), -1, 1)
    previous = threads.get_num_threads()
    threads.set_num_threads(workers)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(threads, "PARALLEL_MIN_MACS", 0)
            y = kernels.conv_forward(x, w, case["stride"], case["pairs"], case["dilation"], case["groups"],
                                     algorithm="im2col")
    finally:
        threads.set_num_threads(previous)
    expected = torch_conv(torch.from_numpy(x), torch.from_numpy(w), case["stride"], case["pairs"],
                          case["dilation"], case["groups"]).numpy()
    np.testing.assert_allclose(y, expected, rtol=1e-9, atol=1e-9)
