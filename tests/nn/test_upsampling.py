"""interpolate / Upsample / pixel shuffle (npconv/nn/functional/upsampling.py, npconv/nn/modules/upsampling.py,
npconv/kernels/interpolate.py) against torch: values, gradients, errors; worked examples."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, strategies as st

import npconv
import npconv.nn.functional as F
from tests.strategies import interpolate_cases
from tests.torch_compare import (ABSOLUTE_TOLERANCE, assert_matches_torch, assert_same_error,
                                  assert_shape_only_matches_torch)

@given(case=interpolate_cases())
def test_interpolate_matches_torch(case):
    x, mode, kwargs = case
    assert_matches_torch((lambda t: F.interpolate(t, mode=mode, **kwargs),
                          lambda t: TF.interpolate(t, mode=mode, **kwargs)),
                         [x], atol=ABSOLUTE_TOLERANCE, expect_errors=True)


@given(case=interpolate_cases())
def test_upsample_module_matches_torch(case):
    x, mode, kwargs = case
    kwargs = dict(kwargs)
    if isinstance(kwargs.get("scale_factor"), (int, float)) and kwargs["scale_factor"] == 0:
        return
    assert_matches_torch((npconv.nn.Upsample(mode=mode, **kwargs),
                          torch.nn.Upsample(mode=mode, **kwargs)), [x], atol=ABSOLUTE_TOLERANCE, expect_errors=True)


@given(batch=st.sampled_from([(), (2,), (1, 2)]), channels=st.integers(1, 3), r=st.integers(1, 3),
       h=st.integers(1, 4), w=st.integers(1, 4), dtype=st.sampled_from([np.float32, np.float64]))
def test_pixel_shuffle_and_unshuffle_match_torch(batch, channels, r, h, w, dtype):
    x = np.random.default_rng(r * 7 + h).standard_normal(batch + (channels * r * r, h, w)).astype(dtype)
    assert_matches_torch((lambda t: F.pixel_shuffle(t, r), lambda t: TF.pixel_shuffle(t, r)),
                         [x], atol=ABSOLUTE_TOLERANCE, expect_errors=True)
    y = np.random.default_rng(w).standard_normal(batch + (channels, h * r, w * r)).astype(dtype)
    assert_matches_torch((lambda t: F.pixel_unshuffle(t, r), lambda t: TF.pixel_unshuffle(t, r)),
                         [y], atol=ABSOLUTE_TOLERANCE, expect_errors=True)
    assert_matches_torch((npconv.nn.PixelShuffle(r), torch.nn.PixelShuffle(r)),
                         [x], atol=ABSOLUTE_TOLERANCE, expect_errors=True)
    assert_matches_torch((npconv.nn.PixelUnshuffle(r), torch.nn.PixelUnshuffle(r)),
                         [y], atol=ABSOLUTE_TOLERANCE, expect_errors=True)


# ---------------------------------------------------------------------------------------------
# Worked examples

def test_nearest_2x_of_2x2():
    x = npconv.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    y = F.interpolate(x, scale_factor=2, mode="nearest")
    assert y.tolist() == [[[[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]]]


def test_bilinear_2x_of_2x2_both_corner_conventions():
    x = npconv.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    free = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False).numpy()[0, 0]
    np.testing.assert_allclose(free, [[1.0, 1.25, 1.75, 2.0], [1.5, 1.75, 2.25, 2.5],
                                      [2.5, 2.75, 3.25, 3.5], [3.0, 3.25, 3.75, 4.0]])
    aligned = npconv.nn.UpsamplingBilinear2d(scale_factor=2)(x).numpy()[0, 0]
    third = 1 / 3
    np.testing.assert_allclose(aligned, [[1, 1 + third, 1 + 2 * third, 2],
                                         [1 + 2 * third, 2, 2 + third, 2 + 2 * third],
                                         [2 + third, 2 + 2 * third, 3, 3 + third],
                                         [3, 3 + third, 3 + 2 * third, 4]], rtol=1e-6)


def test_torch_nearest_quirks_are_kept():
    """With a scale factor, torch's 2-d nearest forward copies when sizes agree but 1-d does not."""
    for shape, factor in [((1, 1, 4, 4), (1.2, 1.2)), ((1, 1, 4), (1.2,)), ((1, 1, 4), (2.001,))]:
        x = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
        assert_matches_torch((lambda t: F.interpolate(t, scale_factor=factor),
                              lambda t: TF.interpolate(t, scale_factor=factor)), [x], atol=ABSOLUTE_TOLERANCE)


def test_bicubic_overshoots_like_torch():
    x = np.array([[[[0.0, 0.0, 1.0, 1.0]] * 4]])
    assert_matches_torch((lambda t: F.interpolate(t, size=(4, 9), mode="bicubic"),
                          lambda t: TF.interpolate(t, size=(4, 9), mode="bicubic")), [x], atol=ABSOLUTE_TOLERANCE)


# ---------------------------------------------------------------------------------------------
# Errors

@pytest.mark.parametrize("call", [
    lambda F, x: F.interpolate(x, size=2, scale_factor=2.0),          # both
    lambda F, x: F.interpolate(x),                                  # neither
    lambda F, x: F.interpolate(x, scale_factor=2, align_corners=True),  # align_corners with nearest
    lambda F, x: F.interpolate(x, size=2, recompute_scale_factor=True),
    lambda F, x: F.interpolate(x, size=(2,)),
    lambda F, x: F.interpolate(x, scale_factor=(2, 2, 2)),
    lambda F, x: F.interpolate(x, scale_factor=0.2),                  # empty output
    lambda F, x: F.interpolate(x[0, 0], scale_factor=2),              # wrong rank
    lambda F, x: F.interpolate(x, scale_factor=2, mode="linear"),     # mode for another rank
    lambda F, x: F.interpolate(x, scale_factor=2, mode="trilinear"),
    lambda F, x: F.interpolate(x, scale_factor=2, mode="cubic"),
    lambda F, x: F.interpolate(x[0], scale_factor=0.2, mode="linear"),
    lambda F, x: F.pixel_shuffle(x, 2),                               # 3 channels not divisible by 4
    lambda F, x: F.pixel_shuffle(x, 0),
    lambda F, x: F.pixel_unshuffle(x, 2),
    lambda F, x: F.pixel_unshuffle(x[0, 0], 2),
])
def test_invalid_arguments_raise_like_torch(call):
    x = np.random.default_rng(0).standard_normal((1, 3, 3, 3)).astype(np.float32)
    assert_same_error(lambda m, t: call(m.nn.functional, t), [x], same_message=True)


@pytest.mark.parametrize("build", [
    lambda nn: nn.Upsample(scale_factor=2), lambda nn: nn.Upsample(size=(3, 4), mode="bilinear"),
    lambda nn: nn.Upsample(scale_factor=(2, 3.5)), lambda nn: nn.UpsamplingNearest2d(scale_factor=2),
    lambda nn: nn.UpsamplingBilinear2d(size=5), lambda nn: nn.PixelShuffle(3), lambda nn: nn.PixelUnshuffle(2),
    lambda nn: nn.Upsample(size=3, mode="bicubic", align_corners=True),
])
def test_module_repr_matches_torch(build):
    assert repr(build(npconv.nn)) == repr(build(torch.nn))


@pytest.mark.parametrize("shape, kwargs", [
    ((2, 3, 7), dict(scale_factor=2.5, mode="linear")),
    ((2, 3, 7, 5), dict(size=(4, 9), mode="bilinear", align_corners=True)),
    ((2, 3, 7, 5), dict(scale_factor=1.7, mode="bicubic")),
    ((2, 3, 7, 5), dict(scale_factor=(2, 3))),
    ((2, 3, 7, 5), dict(scale_factor=0.6, mode="nearest-exact", recompute_scale_factor=True)),
    ((2, 3, 4, 7, 5), dict(size=3, mode="trilinear")),
    ((2, 3, 7, 5), dict(size=(3, 2), mode="area")),
])
def test_interpolate_in_shape_only_mode(shape, kwargs):
    assert_shape_only_matches_torch(lambda m, x: m.nn.functional.interpolate(x, **kwargs),
                                    [np.zeros(shape, dtype=np.float32)])


def test_pixel_shuffles_in_shape_only_mode():
    assert_shape_only_matches_torch(lambda m, x: m.nn.functional.pixel_shuffle(x, 2), [np.zeros((2, 12, 3, 5))])
    assert_shape_only_matches_torch(lambda m, x: m.nn.functional.pixel_unshuffle(x, 3), [np.zeros((5, 2, 6, 9))])


@pytest.mark.parametrize("op, factor", [("pixel_shuffle", 2), ("pixel_unshuffle", 2)])
def test_pixel_shuffle_grad_fn_names_are_torchs(op, factor):
    def name(lib, functional):
        out = getattr(functional, op)(lib.ones(1, 4, 2, 2, requires_grad=True), factor)
        return type(out.grad_fn).__name__
    assert name(npconv, F) == name(torch, TF)


@pytest.mark.parametrize("dims, mode", [(d, m) for d, modes in {1: ["linear"], 2: ["bilinear", "bicubic"],
                                                                  3: ["trilinear"]}.items()
                                        for m in ["nearest", "nearest-exact", *modes]])
def test_interpolate_grad_fn_names_are_torchs(dims, mode):
    def name(lib, functional):
        x = lib.ones((1, 1) + (2,) * dims, requires_grad=True)
        return type(functional.interpolate(x, scale_factor=2, mode=mode).grad_fn).__name__
    assert name(npconv, F) == name(torch, TF)


# antialiased and 8-bit resizing (torch's separable resampler, with its quirks)

@st.composite
def resize_cases(draw):
    """An image batch and an interpolate call for bilinear/bicubic with or without antialiasing."""
    height, width = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    channels = draw(st.sampled_from([1, 3, 4, 5]))
    dtype = draw(st.sampled_from(["float32", "float64", "uint8"]))
    if draw(st.booleans()):
        resize = dict(size=(draw(st.integers(1, 14)), draw(st.integers(1, 14))))
    else:
        resize = dict(scale_factor=draw(st.sampled_from([0.3, 0.5, 0.7, 1.25, 2.0, (0.4, 1.5)])))
    call = dict(mode=draw(st.sampled_from(["bilinear", "bicubic"])), antialias=draw(st.booleans()),
                align_corners=draw(st.booleans()), **resize)
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    shape = (2, channels, height, width)
    array = rng.integers(0, 256, shape).astype(np.uint8) if dtype == "uint8" else rng.standard_normal(shape)
    return array.astype(dtype), call


@given(case=resize_cases())
def test_antialiased_and_uint8_resize_match_torch(case):
    array, call = case
    assert_matches_torch(lambda m, x: m.nn.functional.interpolate(x, **call), [array], expect_errors=True,
                         atol=ABSOLUTE_TOLERANCE)


def test_antialias_quirks_of_torch():
    """One pixel wide results repeat their first row (its separable forward; the gradient is right), a
    3-channel 8-bit image shrunk to 1x1 trips torch's assert, the backward resamples an unchanged dim."""
    x = np.random.default_rng(0).standard_normal((1, 2, 5, 4))
    assert_matches_torch(lambda m, x: m.nn.functional.interpolate(x, size=(3, 1), mode="bilinear", antialias=True),
                         [x])
    assert_matches_torch(lambda m, x: m.nn.functional.interpolate(x, scale_factor=1.25, mode="bicubic",
                                                                  antialias=True), [x[:, :, :2]])
    assert_same_error(lambda m, x: m.nn.functional.interpolate(x, size=(1, 1), mode="bilinear"),
                      [np.zeros((1, 3, 3, 3), np.uint8)], same_message=True)
    assert_same_error(lambda m, x: m.nn.functional.interpolate(x, size=(1, 1), mode="bilinear", antialias=True),
                      [np.zeros((1, 1, 3, 3), np.float16)], same_message=True)
