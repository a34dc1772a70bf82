"""The three convolution kernels, every algorithm, against torch.nn.functional on random cases.

A special algorithm (Winograd, FFT, depthwise) forced on any convolution hands the calls it does not cover to
a general one; so three draws in four come from its own domain (tests/strategies.py: KERNEL_DOMAINS), and
the test asserts that it then computes at least one operation itself.
"""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, strategies as st

import npconv
from npconv import kernels
from npconv.kernels import geometry
from tests.kernels.compare import assert_kernels_match_torch, computes_itself
from tests.strategies import kernel_arguments_mostly_in_domain
from tests.torch_compare import assert_matches_torch, random_array

ALGORITHMS = sorted(kernels.ALGORITHMS)
TORCH_CONV_TRANSPOSE = {1: TF.conv_transpose1d, 2: TF.conv_transpose2d, 3: TF.conv_transpose3d}


def check_domain(algorithm, case, x_shape, w_shape, operations=("forward", "input_grad", "weight_grad")):
    """A draw meant for ``algorithm``'s domain is computed there by it (at least one operation)."""
    if case["in_domain"]:
        assert computes_itself(algorithm, x_shape, w_shape, case["stride"], case["dilation"], case["groups"],
                               operations), f"{algorithm} hands every operation of {case} to another algorithm"


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@given(case=st.data(), seed=st.integers(0, 2**32 - 1))
def test_kernels_match_torch_conv(algorithm, dtype, case, seed):
    """Forward, input-gradient and weight-gradient, symmetric or asymmetric (before, after) padding, which
    equals torch's F.pad followed by an unpadded convolution."""
    case = case.draw(kernel_arguments_mostly_in_domain(algorithm))
    check_domain(algorithm, case, case["x_shape"], case["w_shape"])
    x, w = random_array(case["x_shape"], dtype, seed), random_array(case["w_shape"], dtype, seed + 1)
    assert_kernels_match_torch(algorithm, x, w, case["stride"], case["pairs"], case["dilation"], case["groups"])


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@given(case=st.data(), seed=st.integers(0, 2**32 - 1))
def test_input_grad_is_transposed_conv(algorithm, case, seed):
    """conv_input_grad with the transposed output size (output_padding included) is conv_transpose, and
    its gradients are conv_forward and conv_weight_grad with arguments swapped (DESIGN.md's table)."""
    case = case.draw(kernel_arguments_mostly_in_domain(algorithm, transposed=True))
    x, w = random_array(case["x_shape"], np.float64, seed), random_array(case["w_shape"], np.float64, seed + 1)
    stride, dilation, groups = case["stride"], case["dilation"], case["groups"]
    padding = tuple(before for before, _ in case["pairs"])
    with torch.no_grad():
        y_shape = tuple(TORCH_CONV_TRANSPOSE[x.ndim - 2](
            torch.from_numpy(x), torch.from_numpy(w), stride=stride, padding=padding,
            output_padding=case["output_padding"], groups=groups, dilation=dilation).shape)
    # the transposed convolution is the input gradient of the convolution from y's shape to x's
    check_domain(algorithm, case, y_shape, w.shape, operations=("input_grad",))
    geometry_args = (stride, case["pairs"], dilation, groups)

    def ours(x, w, gy):
        x, w, gy = x.numpy(), w.numpy(), gy.numpy()
        # with output_padding >= stride (allowed when < dilation) the forward formula gives extra trailing
        # outputs, which read only the padding that output_padding added: the input gradient drops them
        gx = kernels.conv_forward(gy, w, *geometry_args, algorithm=algorithm)
        return tuple(npconv.from_numpy(np.ascontiguousarray(a)) for a in (
            kernels.conv_input_grad(x, w, y_shape[2:], *geometry_args, algorithm=algorithm),
            gx[(Ellipsis,) + tuple(slice(0, size) for size in x.shape[2:])],
            kernels.conv_weight_grad(gy, x, w.shape[2:], *geometry_args, algorithm=algorithm)))

    def theirs(x, w, gy):
        x, w = x.requires_grad_(), w.requires_grad_()
        y = TORCH_CONV_TRANSPOSE[x.ndim - 2](x, w, stride=stride, padding=padding, groups=groups,
                                             output_padding=case["output_padding"], dilation=dilation)
        return (y.detach(),) + torch.autograd.grad(y, (x, w), gy)

    assert_matches_torch((ours, theirs), [x, w, random_array(y_shape, np.float64, seed + 2)], check_grad=False)


def test_chooser_override_and_default():
    wide_layer = ((8, 64, 56, 56), (64, 64, 3, 3), (56, 56), (1, 1), 1)
    first_layer = ((8, 3, 56, 56), (64, 3, 3, 3), (56, 56), (1, 1), 1)
    assert kernels.chooser.forced() is None
    with kernels.use("im2col"):
        assert kernels.chooser.choose("forward", *wide_layer) == "im2col"
    assert kernels.chooser.forced() is None
    assert kernels.chooser.choose("forward", *wide_layer) == "winograd"  # 3x3 stride 1, 64 channels
    assert kernels.chooser.choose("forward", *first_layer) == "tiled_gemm"  # 3 input channels: narrow GEMMs
    assert kernels.chooser.choose("input_grad", *first_layer) == "tiled_gemm"
    huge = ((64, 3, 512, 512), (64, 3, 3, 3), (512, 512), (1, 1), 1)
    assert kernels.chooser.choose("forward", *huge) == "tiled_gemm"  # bounded column tiles
    with pytest.raises(ValueError, match="unknown convolution algorithm"):
        kernels.use("no_such_algorithm")


@pytest.mark.parametrize("workers", [1, 3])
def test_phase_round_trip(workers, monkeypatch, restore_threads):
    """Split in phases and back, the copies and zeroing on 1 or 3 threads (forced even for tiny arrays):
    zeros around x in a buffer that first held other values."""
    from npconv.kernels import threads
    threads.set_num_threads(workers)
    monkeypatch.setattr(threads, "PARALLEL_MIN_COPY", 0)
    np.full(10_000, 7.0)  # freed memory with other values, which np.empty may return
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 5, 7))
    padding, stride = ((2, 1), (0, 3)), (2, 3)
    grid = geometry.phase_grid(x.shape[2:], padding, (4, 3), (2, 2), stride, (1, 1))
    phases = geometry.to_phases(x, 2, padding, stride, grid)
    assert phases.shape == stride + (2, 2, 2) + grid
    np.testing.assert_array_equal(geometry.from_phases(phases, padding, stride, x.shape[2:]), x)
    # the padded input, rebuilt from phases, has x at offset (2, 0) and zeros around it
    padded = np.zeros((2, 4, grid[0] * 2, grid[1] * 3))
    for r0 in range(2):
        for r1 in range(3):
            padded[:, :, r0::2, r1::3] = phases[r0, r1].reshape(4, 2, *grid).transpose(1, 0, 2, 3)
    np.testing.assert_array_equal(padded[:, :, 2:7, 0:7], x)
    assert np.count_nonzero(padded) == np.count_nonzero(x)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_empty_batch_gives_empty_output(algorithm):
    x = np.zeros((0, 2, 5, 5), np.float32)
    w = np.ones((3, 2, 3, 3), np.float32)
    y = kernels.conv_forward(x, w, (1, 1), ((0, 0), (0, 0)), (1, 1), 1, algorithm=algorithm)
    assert y.shape == (0, 3, 3, 3) and y.dtype == np.float32


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("stride, groups", [(1, 1), (2, 1), (1, 4), (2, 32)])
def test_resnet_sized_layer_float32(algorithm, stride, groups):
    """A realistic size (whole batch in one GEMM per offset, many phases' cells) at float32 tolerance."""
    x = random_array((4, 32, 23, 20), np.float32, stride * 10 + groups)
    w = random_array((48 if groups < 32 else 32, 32 // groups, 3, 3), np.float32, stride * 10 + groups + 1)
    assert_kernels_match_torch(algorithm, x, w, (stride, stride), ((1, 1), (1, 1)), (1, 1), groups)
