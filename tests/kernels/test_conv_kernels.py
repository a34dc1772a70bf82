"""The three convolution kernels, every algorithm, against torch.nn.functional on random cases."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, strategies as st

from npconv import kernels
from npconv.kernels import geometry
from tests.strategies import conv_arguments, conv_transpose_arguments

ALGORITHMS = sorted(kernels.ALGORITHMS)
TORCH_CONV = {1: TF.conv1d, 2: TF.conv2d, 3: TF.conv3d}
TORCH_CONV_TRANSPOSE = {1: TF.conv_transpose1d, 2: TF.conv_transpose2d, 3: TF.conv_transpose3d}
TOLERANCE = {np.float64: 1e-9, np.float32: 1e-4}


def assert_close(actual, expected):
    expected = expected.detach().numpy()
    assert actual.shape == expected.shape
    assert actual.dtype == expected.dtype
    scale = max(1.0, float(np.abs(expected).max(initial=0)))
    rtol = TOLERANCE[expected.dtype.type]
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale)


def random_arrays(rng, dtype, *shapes):
    return [rng.standard_normal(shape).astype(dtype) for shape in shapes]


def torch_leaf(array):
    return torch.from_numpy(array.copy()).requires_grad_()


def torch_conv_with_grads(x, w, gy_of_shape, **conv):
    """Run torch's conv with ``conv`` keyword arguments; returns y, gy, gx, gw."""
    xt, wt = torch_leaf(x), torch_leaf(w)
    yt = TORCH_CONV[x.ndim - 2](xt, wt, **conv)
    gy = gy_of_shape(tuple(yt.shape))
    yt.backward(torch.from_numpy(gy))
    return yt, gy, xt.grad, wt.grad


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@given(args=conv_arguments(string_padding=False, batched=True), seed=st.integers(0, 2**32 - 1))
def test_kernels_match_torch_conv(algorithm, dtype, args, seed):
    rng = np.random.default_rng(seed)
    x, w = random_arrays(rng, dtype, args["input_shape"], args["weight_shape"])
    yt, gy, gxt, gwt = torch_conv_with_grads(
        x, w, lambda shape: rng.standard_normal(shape).astype(dtype),
        stride=args["strides"], padding=args["paddings"], dilation=args["dilations"], groups=args["groups"])
    geometry_args = (args["strides"], tuple((p, p) for p in args["paddings"]), args["dilations"], args["groups"])
    assert_close(kernels.conv_forward(x, w, *geometry_args, algorithm=algorithm), yt)
    assert_close(kernels.conv_input_grad(gy, w, x.shape[2:], *geometry_args, algorithm=algorithm), gxt)
    assert_close(kernels.conv_weight_grad(x, gy, w.shape[2:], *geometry_args, algorithm=algorithm), gwt)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@given(args=conv_arguments(string_padding=False, batched=True), seed=st.integers(0, 2**32 - 1),
       data=st.data())
def test_asymmetric_padding_matches_explicit_pad(algorithm, args, seed, data):
    """(before, after) padding equals torch's F.pad followed by an unpadded convolution."""
    rng = np.random.default_rng(seed)
    x, w = random_arrays(rng, np.float64, args["input_shape"], args["weight_shape"])
    spans = [d * (k - 1) + 1 for d, k in zip(args["dilations"], args["kernel"])]
    pairs = tuple((before, data.draw(st.integers(max(0, span - size - before), 3 + span)))
                  for before, span, size in zip(args["paddings"], spans, x.shape[2:]))
    torch_pad = [amount for pair in reversed(pairs) for amount in pair]  # torch lists the last dim first
    xt, wt = torch_leaf(x), torch_leaf(w)
    yt = TORCH_CONV[x.ndim - 2](TF.pad(xt, torch_pad), wt, stride=args["strides"], dilation=args["dilations"],
                                groups=args["groups"])
    gy = rng.standard_normal(tuple(yt.shape))
    yt.backward(torch.from_numpy(gy))
    geometry_args = (args["strides"], pairs, args["dilations"], args["groups"])
    assert_close(kernels.conv_forward(x, w, *geometry_args, algorithm=algorithm), yt)
    assert_close(kernels.conv_input_grad(gy, w, x.shape[2:], *geometry_args, algorithm=algorithm), xt.grad)
    assert_close(kernels.conv_weight_grad(x, gy, w.shape[2:], *geometry_args, algorithm=algorithm), wt.grad)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@given(args=conv_transpose_arguments(batched=True), seed=st.integers(0, 2**32 - 1))
def test_input_grad_is_transposed_conv(algorithm, args, seed):
    """conv_input_grad with the transposed output size (output_padding included) is conv_transpose, and
    its gradients are conv_forward and conv_weight_grad with arguments swapped (DESIGN.md's table)."""
    rng = np.random.default_rng(seed)
    x, w = random_arrays(rng, np.float64, args["input_shape"], args["weight_shape"])
    xt, wt = torch_leaf(x), torch_leaf(w)
    yt = TORCH_CONV_TRANSPOSE[x.ndim - 2](xt, wt, stride=args["strides"], padding=args["paddings"],
                                          output_padding=args["output_paddings"], groups=args["groups"],
                                          dilation=args["dilations"])
    gy = rng.standard_normal(tuple(yt.shape))
    yt.backward(torch.from_numpy(gy))
    geometry_args = (args["strides"], tuple((p, p) for p in args["paddings"]), args["dilations"], args["groups"])
    y = kernels.conv_input_grad(x, w, tuple(yt.shape[2:]), *geometry_args, algorithm=algorithm)
    assert_close(y, yt)
    # with output_padding >= stride (allowed when < dilation) the forward formula gives extra trailing
    # outputs, which read only the padding that output_padding added: the input gradient drops them
    gx = kernels.conv_forward(gy, w, *geometry_args, algorithm=algorithm)
    assert_close(gx[(Ellipsis,) + tuple(slice(0, size) for size in x.shape[2:])], xt.grad)
    assert_close(kernels.conv_weight_grad(gy, x, w.shape[2:], *geometry_args, algorithm=algorithm), wt.grad)


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


def test_phase_round_trip():
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
    rng = np.random.default_rng(stride * 10 + groups)
    x, w = random_arrays(rng, np.float32, (4, 32, 23, 20), (48 if groups < 32 else 32, 32 // groups, 3, 3))
    yt, gy, gxt, gwt = torch_conv_with_grads(x, w, lambda shape: rng.standard_normal(shape).astype(np.float32),
                                             stride=stride, padding=1, groups=groups)
    geometry_args = ((stride, stride), ((1, 1), (1, 1)), (1, 1), groups)
    assert_close(kernels.conv_forward(x, w, *geometry_args, algorithm=algorithm), yt)
    assert_close(kernels.conv_input_grad(gy, w, x.shape[2:], *geometry_args, algorithm=algorithm), gxt)
    assert_close(kernels.conv_weight_grad(x, gy, w.shape[2:], *geometry_args, algorithm=algorithm), gwt)
