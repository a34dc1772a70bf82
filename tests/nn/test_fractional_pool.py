"""FractionalMaxPool2d / 3d against torch, with torch's random samples handed to both: outputs, indices,
gradients, node names; reprs, output ratios, unbatched inputs and errors."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import npconv
from tests.torch_compare import assert_same_error


@st.composite
def fractional_cases(draw):
    dims = draw(st.sampled_from([2, 3]))
    spatial = tuple(draw(st.integers(2, 8)) for _ in range(dims))
    kernel = tuple(draw(st.integers(1, s - 1)) for s in spatial)
    # torch's 3-d kernel refuses a last window ending at the edge: one output fewer there
    out = tuple(draw(st.integers(1, s - k + (1 if dims == 2 else 0))) for s, k in zip(spatial, kernel))
    batched = draw(st.booleans())
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    seed = draw(st.integers(0, 10_000))
    return dims, spatial, kernel, out, batched, dtype, seed


@settings(max_examples=40, deadline=None)
@given(case=fractional_cases())
def test_fractional_max_pool_matches_torch(case):
    dims, spatial, kernel, out, batched, dtype, seed = case
    rng = np.random.default_rng(seed)
    shape = ((2,) if batched else ()) + (3,) + spatial
    x = rng.standard_normal(shape).astype(dtype)
    x[rng.random(shape) < 0.05] = np.nan
    samples = rng.random((2 if batched else 1, 3, dims)).astype(dtype)
    results = []
    for m in (npconv, torch):
        t = m.tensor(x, requires_grad=True)
        pool = getattr(m.nn, f"FractionalMaxPool{dims}d")(kernel, output_size=out, return_indices=True,
                                                           _random_samples=m.tensor(samples))
        y, indices = pool(t)
        y.backward(m.ones_like(y))
        results.append((y.detach().numpy(), indices.numpy(), t.grad.numpy(), y.grad_fn.name(), str(indices.dtype)))
    for mine, theirs in zip(*results):
        if isinstance(mine, np.ndarray):
            np.testing.assert_array_equal(mine, theirs)
        else:
            assert mine == theirs


def test_output_ratio_and_draws_of_its_own():
    for m in (npconv, torch):
        pool = m.nn.FractionalMaxPool2d(3, output_ratio=(0.5, 0.5))
        assert tuple(pool(m.randn(20, 16, 50, 32)).shape) == (20, 16, 25, 16)
        assert tuple(m.nn.FractionalMaxPool3d(2, output_ratio=0.5)(m.randn(1, 2, 8, 6, 4)).shape) == (1, 2, 4, 3, 2)
        assert repr(pool) == "FractionalMaxPool2d()"


@pytest.mark.parametrize("call", [
    lambda m: m.nn.FractionalMaxPool2d(3),
    lambda m: m.nn.FractionalMaxPool2d(3, output_size=4, output_ratio=0.5),
    lambda m: m.nn.FractionalMaxPool2d(3, output_ratio=1.5),
    lambda m: m.nn.FractionalMaxPool2d(3, output_size=(13, 12))(m.randn(1, 1, 10, 10)),
    lambda m: m.nn.FractionalMaxPool3d(3, output_size=5)(m.randn(1, 1, 7, 7, 7)),
    lambda m: m.nn.FractionalMaxPool2d(3, output_size=(4, 4))(m.randn(10, 10)),
    lambda m: m.nn.functional.fractional_max_pool2d(m.randn(1, 1, 10, 10), 3, output_size=4,
                                                    _random_samples=m.rand(1, 1, 3)),
    lambda m: m.nn.functional.fractional_max_pool2d(m.randn(1, 1, 10, 10), 3),
])
def test_errors_as_torch(call):
    assert_same_error(call, same_message=True)
