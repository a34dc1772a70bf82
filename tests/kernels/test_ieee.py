"""IEEE results from every algorithm: an inf or NaN in the input gives what a direct sum gives (torch's
result), never NaN spread over a Winograd tile or an FFT, and adaptive average pooling keeps a lone inf."""
import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import npconv
from npconv import kernels
from tests.torch_compare import assert_matches_torch

NON_FINITE = [np.inf, -np.inf, np.nan]

# torch computes with inf and NaN silently; so must npconv (no RuntimeWarning from NumPy)
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


def _with_values(shape, positions, values, seed=0, dtype=np.float64):
    x = np.random.default_rng(seed).uniform(-1, 1, shape).astype(dtype)
    for position, value in zip(positions, values):
        x[position] = value
    return x


def test_large_kernel_keeps_a_lone_inf_like_torch():
    """The issue's case: a 7x7 kernel (FFT's domain) on a 24x24 input with one inf: every output window
    that reads it is inf (8 channels x 49 positions), none is NaN."""
    x = _with_values((1, 3, 24, 24), [(0, 1, 10, 12)], [np.inf], dtype=np.float32)
    w = np.ones((8, 3, 7, 7), np.float32)
    assert kernels.chooser.choose("forward", x.shape, w.shape, (24, 24), (1, 1), 1, (1, 1)) == "fft"
    ours, _ = assert_matches_torch(lambda m, x, w: m.nn.functional.conv2d(x, w, padding=3), [x, w])
    y = ours.detach().numpy()
    assert np.isinf(y).sum() == 8 * 49 and not np.isnan(y).any()


def test_winograd_layer_keeps_a_lone_inf_like_torch():
    """A 64->64 3x3 convolution on two 12x12 images (Winograd's domain) with one inf and positive weights:
    64 channels x 9 positions of inf, no NaN."""
    x = _with_values((2, 64, 12, 12), [(0, 5, 6, 6)], [np.inf], dtype=np.float32)
    w = np.abs(np.random.default_rng(1).standard_normal((64, 64, 3, 3))).astype(np.float32) + 0.1
    assert kernels.chooser.choose("forward", x.shape, w.shape, (12, 12), (1, 1), 1, (1, 1)) == "winograd"
    ours, _ = assert_matches_torch(lambda m, x, w: m.nn.functional.conv2d(x, w, padding=1), [x, w])
    y = ours.detach().numpy()
    assert np.isinf(y).sum() == 64 * 9 and not np.isnan(y).any()


@pytest.mark.parametrize("algorithm", sorted(kernels.ALGORITHMS))
@pytest.mark.parametrize("value", NON_FINITE)
def test_every_algorithm_gives_the_direct_sum(algorithm, value):
    """Forced algorithm, a non-finite input value: output and both gradients as torch's."""
    x = _with_values((2, 4, 9, 9), [(1, 2, 4, 3)], [value])
    w = np.random.default_rng(2).uniform(-1, 1, (4, 4, 3, 3))
    with kernels.use(algorithm):
        assert_matches_torch(lambda m, x, w: m.nn.functional.conv2d(x, w, padding=1), [x, w])


@pytest.mark.parametrize("algorithm", sorted(kernels.ALGORITHMS))
@pytest.mark.parametrize("value", NON_FINITE)
@pytest.mark.parametrize("stride, groups", [(1, 1), (2, 2)])
def test_every_algorithm_gives_the_direct_sum_for_a_non_finite_weight(algorithm, value, stride, groups):
    """A non-finite weight: the input gradient (which multiplies the weight by the output gradient only
    where a direct sum does, never by padding around it) and the output as torch's."""
    x = np.random.default_rng(1).uniform(-1, 1, (1, 4, 6, 5, 4))
    w = _with_values((2, 4 // groups, 2, 3, 1), [(1, 1, 1, 2, 0)], [value])
    with kernels.use(algorithm):
        assert_matches_torch(lambda m, x, w: m.nn.functional.conv3d(x, w, stride=stride, groups=groups), [x, w])


@st.composite
def special_cases(draw):
    """Layers inside Winograd's (3-wide) or FFT's (large kernel) domain, stride 1, with 1-3 non-finite
    input values at random places."""
    dims = draw(st.integers(1, 2))
    kernel = 3 if draw(st.booleans()) else draw(st.integers(5, 7))
    spatial = tuple(draw(st.integers(kernel, kernel + 6)) for _ in range(dims))
    channels, out_channels = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    shape = (draw(st.integers(1, 2)), channels) + spatial
    count = draw(st.integers(1, 3))
    positions = [tuple(draw(st.integers(0, size - 1)) for size in shape) for _ in range(count)]
    values = [draw(st.sampled_from(NON_FINITE)) for _ in range(count)]
    padding = draw(st.integers(0, kernel // 2))
    return shape, (out_channels, channels) + (kernel,) * dims, positions, values, padding


@pytest.mark.parametrize("algorithm", ["winograd", "winograd_f2", "fft"])
@given(case=special_cases(), seed=st.integers(0, 2**16))
def test_mixing_algorithms_hand_non_finite_inputs_to_a_direct_method(algorithm, case, seed):
    x_shape, w_shape, positions, values, padding = case
    x = _with_values(x_shape, positions, values, seed)
    w = np.random.default_rng(seed + 1).uniform(-1, 1, w_shape)
    conv = "conv1d" if len(x_shape) == 3 else "conv2d"
    with kernels.use(algorithm):
        assert_matches_torch(lambda m, x, w: getattr(m.nn.functional, conv)(x, w, padding=padding), [x, w])


@pytest.mark.parametrize("algorithm", ["winograd", "winograd_f2"])
def test_winograd_forward_whose_transforms_overflow_gives_the_direct_sum(algorithm):
    """Finite float32 inputs near the largest float: the direct sums stay finite (as torch's) where
    Winograd's transforms (which scale and add a tile's values) overflow; the output says so, and the call
    is computed again directly."""
    x = np.full((1, 4, 8, 8), 3e37, np.float32)
    x[:, :, ::2] *= -1
    w = np.full((4, 4, 3, 3), 0.25, np.float32)
    ours = kernels.conv_forward(x, w, (1, 1), ((1, 1), (1, 1)), (1, 1), 1, algorithm=algorithm)
    expected = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w), padding=1).numpy()
    assert np.isfinite(expected).all()
    np.testing.assert_allclose(ours, expected, rtol=1e-5)


@pytest.mark.parametrize("dims", [2, 3])
@given(seed=st.integers(0, 2**16), dilation=st.integers(1, 2), value=st.sampled_from(NON_FINITE),
       in_weight=st.booleans())
def test_winograd_forward_with_dilation_and_a_non_finite_value_gives_the_direct_sum(dims, seed, dilation, value,
                                                                                 in_weight):
    """A non-finite value anywhere in the input or the weight of a dilated 2-d or 3-d Winograd layer (its
    output decides whether the call is computed again directly): torch's output, inf and NaN in place."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (1, 2) + tuple(rng.integers(5, 10, dims)))
    w = rng.uniform(-1, 1, (3, 2) + (3,) * dims)
    target = w if in_weight else x
    target[tuple(rng.integers(0, size) for size in target.shape)] = value
    conv = f"conv{dims}d"
    with kernels.use("winograd"):
        assert_matches_torch(lambda m, x, w: getattr(m.nn.functional, conv)(x, w, padding=1, dilation=dilation),
                             [x, w])


def test_non_finite_output_gradient_gives_the_direct_input_gradient():
    """The input gradient of a Winograd layer (its flipped forward) with an inf in the output gradient."""
    x = np.random.default_rng(3).uniform(-1, 1, (1, 32, 10, 10))
    w = np.random.default_rng(4).uniform(-1, 1, (32, 32, 3, 3))
    gy = _with_values((1, 32, 10, 10), [(0, 3, 4, 4)], [np.inf], seed=5)
    with kernels.use("winograd"):
        gx = kernels.conv_input_grad(gy, w, (10, 10), (1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    with kernels.use("im2col"):
        direct = kernels.conv_input_grad(gy, w, (10, 10), (1, 1), ((1, 1), (1, 1)), (1, 1), 1)
    np.testing.assert_array_equal(np.isnan(gx), np.isnan(direct))
    np.testing.assert_allclose(gx, direct, rtol=1e-9, atol=1e-9)
    assert np.isnan(gx).sum() < gx.size // 4


@pytest.mark.parametrize("dims", [1, 2, 3])
@pytest.mark.parametrize("value", NON_FINITE)
def test_adaptive_avg_pool_keeps_a_lone_inf(dims, value):
    """Windows of unequal widths (7 -> 3: widths 3 and 4) with one non-finite input value, as torch."""
    shape = (2, 3) + (7,) * dims
    x = _with_values(shape, [(1, 2) + (3,) * dims], [value])
    pool = f"adaptive_avg_pool{dims}d"
    ours, _ = assert_matches_torch(lambda m, x: getattr(m.nn.functional, pool)(x, 3), [x])
    if np.isinf(value):
        assert not np.isnan(ours.detach().numpy()).any()


def test_area_interpolation_keeps_a_lone_inf():
    x = _with_values((1, 2, 7, 9), [(0, 1, 3, 4)], [np.inf])
    ours, _ = assert_matches_torch(lambda m, x: m.nn.functional.interpolate(x, size=(3, 4), mode="area"), [x])
    assert np.isinf(ours.detach().numpy()).sum() > 0 and not np.isnan(ours.detach().numpy()).any()
