"""affine_grid and grid_sample against torch: values and gradients (input, grid, theta) for every mode,
padding mode and align_corners, 4-d and 5-d, points on the edges included; errors and warnings; the spatial
transformer tutorial's localisation net trained through them."""
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import npconv
from tests.torch_compare import assert_matches_torch, assert_same_error, random_array

# grid coordinates: random ones and the special ones where padding and rounding switch branches
SPECIAL = [-1.0, 1.0, 0.0, -1.25, 1.25, -0.5, 0.5, -3.0, 3.0, 2.0 / 3, -1.0 / 3]


@st.composite
def sampling_cases(draw):
    dims = draw(st.sampled_from([2, 3]))
    mode = draw(st.sampled_from(["bilinear", "nearest"] + (["bicubic"] if dims == 2 else [])))
    padding_mode = draw(st.sampled_from(["zeros", "border", "reflection"]))
    align_corners = draw(st.booleans())
    spatial = tuple(draw(st.integers(1, 5)) for _ in range(dims))
    out_spatial = tuple(draw(st.integers(1, 4)) for _ in range(dims))
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    seed = draw(st.integers(0, 10_000))
    rng = np.random.default_rng(seed)
    grid = rng.uniform(-1.6, 1.6, (n,) + out_spatial + (dims,))
    special = rng.random(grid.shape) < 0.3
    grid[special] = rng.choice(SPECIAL, size=int(special.sum()))
    return (mode, padding_mode, align_corners, random_array((n, c) + spatial, dtype, seed=seed),
            grid.astype(dtype))


@settings(max_examples=80, deadline=None)
@given(case=sampling_cases())
def test_grid_sample_matches_torch(case):
    mode, padding_mode, align_corners, x, grid = case
    # nearest rounds: a float32 coordinate a hair from .5 may round either way, and its gradient is 0 anyway
    assert_matches_torch(lambda m, x, g: m.nn.functional.grid_sample(x, g, mode=mode, padding_mode=padding_mode,
                                                                    align_corners=align_corners), [x, grid])


@pytest.mark.parametrize("dims", [2, 3])
@pytest.mark.parametrize("align_corners", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_affine_grid_matches_torch(dims, align_corners, dtype):
    for seed, spatial in enumerate([(4, 5, 3)[:dims], (1, 3, 2)[:dims], (2, 1, 1)[:dims]]):
        theta = random_array((2, dims, dims + 1), dtype, seed=seed)
        size = (2, 3) + spatial
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert_matches_torch(lambda m, t: m.nn.functional.affine_grid(t, size, align_corners=align_corners),
                                 [theta])


def test_affine_grid_then_grid_sample_nodes_as_torch():
    names = []
    for m in (npconv, torch):
        theta = m.tensor(random_array((1, 2, 3), np.float32), requires_grad=True)
        grid = m.nn.functional.affine_grid(theta, (1, 2, 3, 3), align_corners=False)
        out = m.nn.functional.grid_sample(m.ones(1, 2, 3, 3), grid, align_corners=False)
        out5 = m.nn.functional.grid_sample(m.ones(1, 1, 2, 2, 2), m.zeros(1, 1, 1, 1, 3), align_corners=True)
        names.append((grid.grad_fn.name(), out.grad_fn.name(), out.grad_fn.next_functions[0][0],
                      out.grad_fn.next_functions[1][0].name(), out5.grad_fn))
    assert names[0] == names[1]


@pytest.mark.parametrize("call", [
    lambda m, x, t: m.nn.functional.affine_grid(t.long(), (2, 3, 4, 5), align_corners=False),
    lambda m, x, t: m.nn.functional.affine_grid(t, (2, 3, 4, 5, 6), align_corners=False),
    lambda m, x, t: m.nn.functional.affine_grid(t, (2, 3, 4), align_corners=False),
    lambda m, x, t: m.nn.functional.affine_grid(t, (2, 3, 0, 5), align_corners=False),
    lambda m, x, t: m.nn.functional.affine_grid(t, (3, 3, 4, 5), align_corners=False),
    lambda m, x, t: m.nn.functional.affine_grid(t, x.size(), align_corners=False)[0, 0, 0, 5],
    lambda m, x, t: m.nn.functional.affine_grid(t[:, :1], x.size(), align_corners=False),
    lambda m, x, t: m.nn.functional.grid_sample(x, x[..., :2], mode="bilinearr", align_corners=False),
    lambda m, x, t: m.nn.functional.grid_sample(x, x[..., :2], padding_mode="wrap", align_corners=False),
    lambda m, x, t: m.nn.functional.grid_sample(x[:1], m.zeros(2, 4, 5, 2), align_corners=False),
    lambda m, x, t: m.nn.functional.grid_sample(x, m.zeros(2, 4, 5, 1), align_corners=False),
    lambda m, x, t: m.nn.functional.grid_sample(x[0], m.zeros(2, 4, 5, 2), align_corners=False),
    lambda m, x, t: m.nn.functional.grid_sample(x[None], m.zeros(1, 2, 2, 2, 3), mode="bicubic",
                                                align_corners=False),
    lambda m, x, t: m.nn.functional.grid_sample(x, m.zeros(2, 4, 5, 2, dtype=m.float32), align_corners=False),
    lambda m, x, t: m.nn.functional.grid_sample(x[:, :, :0], m.zeros(2, 4, 5, 2), align_corners=False),
    lambda m, x, t: m.nn.functional.grid_sample(x.long(), m.zeros(2, 4, 5, 2), align_corners=False),
])
def test_errors_as_torch(call):
    assert_same_error(call, [random_array((2, 3, 4, 5)), random_array((2, 2, 3))], same_message=True)


def test_missing_align_corners_warns_as_torch():
    for m in (npconv, torch):
        theta = m.zeros(1, 2, 3)
        with pytest.warns(UserWarning, match="changed to align_corners=False since 1.3.0"):
            grid = m.nn.functional.affine_grid(theta, (1, 1, 2, 2))
        with pytest.warns(UserWarning, match="changed to align_corners=False since 1.3.0"):
            m.nn.functional.grid_sample(m.ones(1, 1, 2, 2), grid)
        with pytest.warns(UserWarning, match="unit-size grids when align_corners=True"):
            m.nn.functional.affine_grid(theta, (1, 1, 1, 2), align_corners=True)


def test_spatial_transformer_training_steps_as_torch():
    """The spatial transformer tutorial's stn(): a localisation net predicts theta (initialised to the
    identity), affine_grid + grid_sample warp the input; a few SGD steps through them."""
    def run(m):
        m.manual_seed(0)
        loc = m.nn.Sequential(m.nn.Conv2d(1, 4, 5), m.nn.MaxPool2d(2, stride=2), m.nn.ReLU(True))
        fc = m.nn.Sequential(m.nn.Linear(4 * 4 * 4, 8), m.nn.ReLU(True), m.nn.Linear(8, 6))
        model = m.nn.ModuleList([loc, fc]).double()
        return model

    models = [run(npconv), run(torch)]
    from tests.torch_compare import copy_torch_state
    copy_torch_state(models[1], models[0])
    x = random_array((3, 1, 12, 12), np.float64, seed=7)
    results = []
    for m, model in zip((npconv, torch), models):
        loc, fc = model
        with m.no_grad():
            fc[2].weight.zero_()
            fc[2].bias.copy_(m.tensor([1, 0, 0, 0, 1, 0], dtype=m.float64))
        optimizer = m.optim.SGD(model.parameters(), lr=0.5)
        inputs = m.tensor(x)
        for _ in range(3):
            optimizer.zero_grad()
            theta = fc(loc(inputs).view(-1, 4 * 4 * 4)).view(-1, 2, 3)
            grid = m.nn.functional.affine_grid(theta, inputs.size(), align_corners=False)
            warped = m.nn.functional.grid_sample(inputs, grid, align_corners=False)
            loss = ((warped - inputs.flip(3)) ** 2).mean()
            loss.backward()
            optimizer.step()
        results.append((warped.detach().numpy(), theta.detach().numpy(), float(loss.detach())))
    for mine, theirs in zip(results[0], results[1]):
        np.testing.assert_allclose(mine, theirs, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
def test_non_finite_inputs_and_grids_propagate_as_torch(mode, padding_mode):
    """An inf or NaN pixel reaches exactly the outputs whose in-bounds taps read it (an outside tap reads
    0, not the value at a clamped index); NaN and infinite grid points sample as torch's do (forward only
    for border and reflection: torch's backward of a NaN point there crashes the interpreter)."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 2, 3, 4))
    x[rng.random(x.shape) < 0.2] = np.inf
    x[0, 0, 0, 0] = np.nan
    grid = rng.uniform(-1.6, 1.6, (1, 3, 3, 2))
    grid[0, 0, :, 0] = [np.nan, np.inf, -1e30]
    grid[0, 1, 0, 1] = -np.inf
    if padding_mode != "zeros":
        got = [m.nn.functional.grid_sample(m.tensor(x), m.tensor(grid), mode=mode, padding_mode=padding_mode,
                                           align_corners=False).numpy() for m in (npconv, torch)]
        np.testing.assert_allclose(got[0], got[1], rtol=1e-9, atol=1e-12)
        grid[~np.isfinite(grid)] = 0.25
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and without NumPy's RuntimeWarnings
        assert_matches_torch(lambda m, x, g: m.nn.functional.grid_sample(x, g, mode=mode, padding_mode=padding_mode,
                                                                        align_corners=False), [x, grid])
