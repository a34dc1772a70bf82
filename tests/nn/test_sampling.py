"""affine_grid and grid_sample (npconv/nn/functional/sampling.py) against torch: values and gradients of
both inputs for every mode, padding mode and align_corners, 2-d and 3-d, positions inside, on and beyond
the border; grad_fn names; warnings; errors word for word."""
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import npconv
from tests.torch_compare import ABSOLUTE_TOLERANCE, assert_matches_torch, assert_same_error, random_array

FLOATS = st.sampled_from([np.float32, np.float64])


@st.composite
def sampling_cases(draw):
    dims = draw(st.sampled_from([2, 2, 3]))
    mode = draw(st.sampled_from(["bilinear", "nearest", "bicubic"] if dims == 2 else ["bilinear", "nearest"]))
    batch, channels = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    spatial = tuple(draw(st.integers(1, 5)) for _ in range(dims))
    out_spatial = tuple(draw(st.integers(1, 4)) for _ in range(dims))
    dtype = draw(FLOATS)
    seed = draw(st.integers(0, 2 ** 16))
    reach = draw(st.sampled_from([0.9, 1.0, 1.6, 3.0]))   # beyond 1: positions outside the input
    image = random_array((batch, channels) + spatial, dtype, seed)
    grid = random_array((batch,) + out_spatial + (dims,), dtype, seed + 1, -reach, reach)
    if draw(st.booleans()):   # positions exactly on pixel centres and borders, where the rules change
        grid = np.round(grid * 4) / 4
    return dict(image=image, grid=grid, mode=mode, padding_mode=draw(st.sampled_from(["zeros", "border",
                                                                                       "reflection"])),
                align_corners=draw(st.booleans()))


@given(case=sampling_cases())
def test_grid_sample_matches_torch(case):
    hyper = {k: case[k] for k in ("mode", "padding_mode", "align_corners")}
    # nearest and cubic read positions that a rounding of the grid moves: float32 grids only in float64 math
    out = assert_matches_torch(lambda m, x, g: m.nn.functional.grid_sample(x, g, **hyper),
                               [case["image"], case["grid"]], atol=ABSOLUTE_TOLERANCE)
    assert type(out[0].grad_fn).__name__ == type(out[1].grad_fn).__name__


@st.composite
def affine_cases(draw):
    dims = draw(st.sampled_from([2, 3]))
    size = (draw(st.integers(1, 3)), draw(st.integers(1, 3))) + tuple(draw(st.integers(1, 6)) for _ in range(dims))
    theta = random_array((size[0], dims, dims + 1), draw(FLOATS), draw(st.integers(0, 2 ** 16)), -2, 2)
    return theta, size, draw(st.booleans())


@given(case=affine_cases())
def test_affine_grid_matches_torch(case):
    theta, size, align_corners = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # unit-size grids with align_corners=True warn: tested below
        out = assert_matches_torch(lambda m, t: m.nn.functional.affine_grid(t, size, align_corners=align_corners),
                                   [theta], atol=ABSOLUTE_TOLERANCE)
    assert type(out[0].grad_fn).__name__ == type(out[1].grad_fn).__name__ == "AffineGridGeneratorBackward0"


def test_a_spatial_transformer_trains_through_both():
    theta = np.array([[[1.0, 0.1, 0.0], [-0.1, 0.9, 0.05]]])
    image = random_array((1, 2, 6, 7))

    def warp(m, t, x):
        grid = m.nn.functional.affine_grid(t, x.size(), align_corners=False)
        return m.nn.functional.grid_sample(x, grid, align_corners=False)
    assert_matches_torch(warp, [theta, image])


def _warning_texts(call, lib):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call(lib)
    return [str(w.message) for w in caught if w.category is UserWarning]


@pytest.mark.parametrize("call", [
    lambda m: m.nn.functional.affine_grid(m.eye(2, 3).unsqueeze(0), (1, 1, 2, 2)),
    lambda m: m.nn.functional.affine_grid(m.eye(2, 3).unsqueeze(0), (1, 1, 1, 2), align_corners=True),
    lambda m: m.nn.functional.grid_sample(m.ones(1, 1, 3, 3), m.zeros(1, 2, 2, 2)),
], ids=["affine default", "unit size aligned", "grid_sample default"])
def test_warnings_match_torch(call):
    assert _warning_texts(call, npconv) == _warning_texts(call, torch) != []


_X, _G = np.ones((1, 1, 3, 3)), np.zeros((1, 2, 2, 2))


@pytest.mark.parametrize("call, arrays", [
    (lambda m, t: m.nn.functional.affine_grid(t.long(), (1, 1, 2, 2), align_corners=False), [np.eye(2, 3)[None]]),
    (lambda m, t: m.nn.functional.affine_grid(t, (1, 1, 2), align_corners=False), [np.eye(2, 3)[None]]),
    (lambda m, t: m.nn.functional.affine_grid(t, (1, 1, 2, 2, 2), align_corners=False), [np.eye(2, 3)[None]]),
    (lambda m, t: m.nn.functional.affine_grid(t, (1, 1, 0, 2), align_corners=False), [np.eye(2, 3)[None]]),
    (lambda m, t: m.nn.functional.affine_grid(t, (2, 1, 2, 2), align_corners=False), [np.eye(2, 3)[None]]),
    (lambda m, t: m.nn.functional.affine_grid(t[0], (1, 1, 2, 2), align_corners=False), [np.eye(2, 3)[None]]),
    (lambda m, x, g: m.nn.functional.grid_sample(x, g, mode="foo", align_corners=False), [_X, _G]),
    (lambda m, x, g: m.nn.functional.grid_sample(x, g, padding_mode="foo", align_corners=False), [_X, _G]),
    (lambda m, x, g: m.nn.functional.grid_sample(x, g, mode=1, align_corners=False), [_X, _G]),
    (lambda m, x, g: m.nn.functional.grid_sample(x, g.float(), align_corners=False), [_X, _G]),
    (lambda m, x, g: m.nn.functional.grid_sample(x.float(), g, align_corners=False), [_X, _G]),
    (lambda m, x, g: m.nn.functional.grid_sample(x, g[..., :1], align_corners=False), [_X, _G]),
    (lambda m, x, g: m.nn.functional.grid_sample(x[0], g, align_corners=False), [_X, _G]),
    (lambda m, x, g: m.nn.functional.grid_sample(x, g.expand(2, 2, 2, 2), align_corners=False), [_X, _G]),
    (lambda m, x, g: m.nn.functional.grid_sample(x[..., :0], g, align_corners=False), [_X, _G]),
    (lambda m, x, g: m.nn.functional.grid_sample(x.long(), g.long(), align_corners=False), [_X, _G]),
    (lambda m, x, g: m.nn.functional.grid_sample(x[None], g[None], align_corners=False), [_X, _G]),
    (lambda m, x, g: m.nn.functional.grid_sample(x[None], m.zeros(1, 1, 1, 1, 3, dtype=m.float64),
                                                 mode="bicubic", align_corners=False), [_X, _G]),
    (lambda m, x, g: m.nn.functional.grid_sample(x[0, 0], g[0], align_corners=False), [_X, _G]),
])
def test_errors_match_torch(call, arrays):
    assert_same_error(call, arrays, same_message=True)


@pytest.mark.parametrize("shapes", [((0, 1, 3, 3), (0, 2, 2, 2)), ((1, 1, 3, 3), (1, 0, 2, 2)),
                                    ((1, 0, 3, 3), (1, 2, 2, 2))])
def test_empty_batches_and_grids(shapes):
    x, g = (random_array(s) for s in shapes)
    assert_matches_torch(lambda m, x, g: m.nn.functional.grid_sample(x, g, align_corners=True), [x, g])
