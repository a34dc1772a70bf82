"""The chooser: never an algorithm that is invalid for the arguments; forcing through use() and backends."""
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, strategies as st

import npconv
from npconv import backends, kernels
from npconv.kernels import chooser
from npconv._shapes import conv_output_spatial as output_spatial
from tests.strategies import chooser_layers

OPERATIONS = ["forward", "input_grad", "weight_grad"]


@given(layer=chooser_layers(), operation=st.sampled_from(OPERATIONS))
def test_automatic_choice_is_always_valid(layer, operation):
    x_shape, w_shape, stride, pairs, dilation, groups = layer
    out = output_spatial(x_shape[2:], pairs, w_shape[2:], stride, dilation)
    name = chooser.choose(operation, x_shape, w_shape, out, stride, groups, dilation)
    assert name in kernels.ALGORITHMS
    assert chooser.is_valid(name, operation, x_shape, w_shape, stride, groups, dilation)


def test_choices_on_known_layers():
    resnet_3x3 = ((8, 64, 56, 56), (64, 64, 3, 3), (56, 56), (1, 1), 1, (1, 1))
    assert chooser.choose("forward", *resnet_3x3) == "winograd"
    assert chooser.choose("weight_grad", *resnet_3x3) == "winograd"
    video_3x3x3 = ((2, 16, 8, 32, 32), (32, 16, 3, 3, 3), (8, 32, 32), (1, 1, 1), 1, (1, 1, 1))
    assert chooser.choose("forward", *video_3x3x3) == chooser.choose("weight_grad", *video_3x3x3) == "winograd"
    one_channel_in = ((4, 1, 256, 256), (16, 1, 3, 3), (256, 256), (1, 1), 1, (1, 1))  # U-Net's first layer
    assert chooser.choose("weight_grad", *one_channel_in) == "row_gemm"  # inner 3 below its 16 rows: still wins
    lenet_conv1 = ((64, 1, 28, 28), (20, 1, 5, 5), (24, 24), (1, 1), 1, (1, 1))
    assert chooser.choose("weight_grad", *lenet_conv1) == "row_gemm"
    seven_rows = ((8, 1, 64, 64), (8, 1, 7, 7), (64, 64), (1, 1), 1, (1, 1))
    assert chooser.choose("weight_grad", *seven_rows) == "im2col"  # ROW_GEMM_WEIGHT_GRAD_MAX_KERNEL_ROWS
    few_channels = ((8, 8, 56, 56), (8, 8, 3, 3), (56, 56), (1, 1), 1, (1, 1))
    assert chooser.choose("forward", *few_channels) == "row_gemm"  # copies 24 values per column, not 72
    assert chooser.choose("weight_grad", *few_channels) == "winograd"  # its transforms cost less than its gain
    depthwise_layer = ((8, 32, 28, 28), (32, 1, 3, 3), (28, 28), (1, 1), 32, (1, 1))
    assert chooser.choose("input_grad", *depthwise_layer) == "depthwise"
    assert chooser.choose("forward", *depthwise_layer) == "tiled_gemm"  # 28x28 planes: too short
    depthwise_56 = ((8, 128, 56, 56), (128, 1, 3, 3), (56, 56), (1, 1), 128, (1, 1))  # the suite's layer
    assert chooser.choose("forward", *depthwise_56) == "depthwise"
    strided = ((8, 64, 56, 56), (64, 64, 3, 3), (28, 28), (2, 2), 1, (1, 1))
    assert chooser.choose("forward", *strided) == "tiled_gemm"  # 576 values per column
    strided_deep = ((8, 128, 28, 28), (256, 128, 3, 3), (14, 14), (2, 2), 1, (1, 1))  # the suite's stride-2
    assert chooser.choose("forward", *strided_deep) == "im2col"  # 1152 values per column: one copy pays
    few_channels_5x5 = ((32, 6, 32, 32), (16, 6, 5, 5), (32, 32), (1, 1), 1, (1, 1))  # the suite's 5x5 layer
    assert {chooser.choose(operation, *few_channels_5x5) for operation in OPERATIONS} == {"row_gemm"}
    five = ((8, 64, 56, 56), (64, 64, 5, 5), (52, 52), (1, 1), 1, (1, 1))
    assert chooser.choose("forward", *five) not in ("winograd", "winograd_f2")


def test_deep_layers_with_few_columns_take_im2col():
    """Batch 1 at 7x7 or 14x14 (ResNet-18's last stages): too few outputs for Winograd's weight transform,
    too much of tiled GEMM's wide rows thrown away; many channels on a large batch still take Winograd."""
    deep = ((1, 512, 7, 7), (512, 512, 3, 3), (7, 7), (1, 1), 1, (1, 1))
    assert chooser.choose("forward", *deep) == chooser.choose("input_grad", *deep) == "im2col"
    assert chooser.choose("forward", (1, 256, 14, 14), (256, 256, 3, 3), (14, 14), (1, 1), 1) == "im2col"
    assert chooser.choose("forward", (8, 256, 14, 14), (256, 256, 3, 3), (14, 14), (1, 1), 1) == "winograd"
    lenet_conv2 = ((64, 20, 12, 12), (50, 20, 5, 5), (8, 8), (1, 1), 1, (1, 1))
    assert chooser.choose("forward", *lenet_conv2) == "row_gemm"  # inner dimension 100 per kernel row
    assert chooser.choose("input_grad", *lenet_conv2) == "tiled_gemm"  # 250: the copies matter less
    assert chooser.choose("weight_grad", *lenet_conv2) == "row_gemm"  # inner 100: kernel rows' copies save most
    transposed_up = ((8, 32, 56, 56), (64, 32, 4, 4), (28, 28), (2, 2), 1, (1, 1))  # the suite's, roles swapped
    assert chooser.choose("weight_grad", *transposed_up) == "tiled_gemm"  # 16 offsets, 64 rows, few cells wasted
    # its forward (the input gradient): one stride-1 forward of the phases' stacked weights, no col2im additions
    assert chooser.choose("input_grad", *transposed_up) == "subpixel"
    wide_gy = ((8, 64, 32, 32), (128, 64, 4, 4), (16, 16), (2, 2), 1, (1, 1))  # 128 channels of gy: tiled GEMM's
    assert chooser.choose("input_grad", *wide_gy) == "tiled_gemm"
    assert chooser.choose("input_grad", (1, 8, 8, 8), (16, 8, 2, 2), (4, 4), (2, 2), 1, (1, 1)) != "subpixel"
    unet_up = ((4, 16, 256, 256), (32, 16, 2, 2), (128, 128), (2, 2), 1, (1, 1))
    assert chooser.choose("weight_grad", *unet_up) == "im2col"  # windows do not overlap: columns = the input
    stem = ((8, 3, 224, 224), (64, 3, 7, 7), (112, 112), (2, 2), 1, (1, 1))
    assert chooser.choose("weight_grad", *stem) == "tiled_gemm"  # 59 MB of columns
    head = ((4, 16, 256, 256), (2, 16, 1, 1), (256, 256), (1, 1), 1, (1, 1))
    assert chooser.choose("weight_grad", *head) == "tiled_gemm"  # 1x1: no columns to copy


def test_use_forces_and_restores():
    layer = ((8, 64, 56, 56), (64, 64, 5, 5), (52, 52), (1, 1), 1, (1, 1))
    with kernels.use("winograd"):
        assert chooser.choose("forward", *layer) == "winograd"  # forced as is: it hands 5x5 over itself
        with kernels.use("im2col"):
            assert chooser.choose("forward", *layer) == "im2col"
        assert chooser.choose("forward", *layer) == "winograd"
    assert chooser.forced() is None


def test_backends_conv_algorithm_forces_and_validates():
    layer = ((2, 64, 20, 20), (64, 64, 3, 3), (20, 20), (1, 1), 1, (1, 1))
    assert backends.conv_algorithm == "auto"
    assert set(kernels.ALGORITHMS) < set(backends.conv_algorithms())
    try:
        backends.conv_algorithm = "im2col"
        assert chooser.choose("forward", *layer) == "im2col"
        with kernels.use("tiled_gemm"):  # use() takes precedence while active
            assert chooser.choose("forward", *layer) == "tiled_gemm"
        with pytest.raises(ValueError, match="unknown convolution algorithm 'fastest'"):
            backends.conv_algorithm = "fastest"
        assert backends.conv_algorithm == "im2col"
    finally:
        backends.conv_algorithm = "auto"
    assert chooser.choose("forward", *layer) == "winograd"


def test_forced_algorithm_runs_the_public_api():
    x = npconv.from_numpy(np.random.default_rng(0).standard_normal((1, 2, 6, 6)).astype(np.float32))
    w = npconv.from_numpy(np.random.default_rng(1).standard_normal((3, 2, 3, 3)).astype(np.float32))
    results = []
    for name in ("im2col", "winograd", "tiled_gemm"):
        try:
            backends.conv_algorithm = name
            results.append(npconv.nn.functional.conv2d(x, w, padding=1).numpy())
        finally:
            backends.conv_algorithm = "auto"
    np.testing.assert_allclose(results[1], results[0], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(results[2], results[0], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("value, expected", [("winograd", "winograd"), ("", "auto")])
def test_environment_variable_sets_the_initial_algorithm(value, expected):
    code = "import npconv.backends as b; print(b.conv_algorithm)"
    env = dict(os.environ, NPCONV_CONV_ALGORITHM=value)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == expected


def test_environment_variable_typo_is_an_error():
    code = "import npconv.backends as b; b.conv_algorithm"
    env = dict(os.environ, NPCONV_CONV_ALGORITHM="winogard")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode != 0 and "NPCONV_CONV_ALGORITHM" in out.stderr and "winogard" in out.stderr
