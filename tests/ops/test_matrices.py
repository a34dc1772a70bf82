"""det, inverse, logdet, matrix_power, index_put/put, logcumsumexp, nanmedian, block_diag and the in-place
random fills (npconv/_ops/matrices.py) against torch: values, gradients, nodes, ranges of the samples."""
import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import npconv
from tests.strategies import float_arrays
from tests.torch_compare import assert_matches_torch, assert_same_error, random_array


@st.composite
def square_matrices(draw):
    n = draw(st.integers(1, 4))
    batch = draw(st.sampled_from([(), (2,)]))
    a = random_array(batch + (n, n), draw(st.sampled_from(["float64", "float32"])), seed=draw(st.integers(0, 999)))
    return a + np.eye(n, dtype=a.dtype) * 2  # well conditioned


@given(a=square_matrices(), power=st.integers(-2, 3))
def test_matrix_functions_match_torch(a, power):
    assert_matches_torch(lambda m, t: m.det(t), [a], rtol={np.dtype(np.float32): 1e-3})
    assert_matches_torch(lambda m, t: m.inverse(t), [a], rtol={np.dtype(np.float32): 1e-3})
    assert_matches_torch(lambda m, t: m.logdet(t), [a], rtol={np.dtype(np.float32): 1e-3})
    assert_matches_torch(lambda m, t: m.matrix_power(t, power), [a], rtol={np.dtype(np.float32): 1e-3})


def test_det_gradient_of_a_singular_matrix_as_torch():
    assert_matches_torch(lambda m, t: m.det(t), [np.array([[1.0, 2.0], [2.0, 4.0]])])


@given(x=float_arrays(min_dims=1, max_dims=3), data=st.data())
def test_logcumsumexp_and_nanmedian_match_torch(x, data):
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    assert_matches_torch(lambda m, t: m.logcumsumexp(t, dim), [x])
    with_nan = np.where(np.random.default_rng(0).random(x.shape) < 0.3, np.nan, x)
    assert_matches_torch(lambda m, t: m.nanmedian(t), [with_nan])
    assert_matches_torch(lambda m, t: t.nanmedian(dim), [with_nan])


@given(x=float_arrays(min_dims=1, max_dims=2), accumulate=st.booleans(), seed=st.integers(0, 99))
def test_index_put_and_put_match_torch(x, accumulate, seed):
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, x.shape[0], 4)
    flat = rng.integers(-x.size, x.size, 3)
    values = random_array((4,) + x.shape[1:], x.dtype, seed=seed)
    assert_matches_torch(lambda m, t, v: t.index_put((m.tensor(rows),), v, accumulate=accumulate), [x, values])
    assert_matches_torch(lambda m, t, v: (t * 1).index_put_((m.tensor(rows),), v, accumulate=True), [x, values])
    assert_matches_torch(lambda m, t: t.put(m.tensor(flat), m.arange(3.0, dtype=t.dtype), accumulate=True), [x])
    assert_matches_torch(lambda m, t: t.detach().clone().put_(m.tensor(flat[:1]), t.reshape(-1)[:1] + 5), [x])


@pytest.mark.parametrize("case", [
    "m.block_diag(m.ones(1, 2), m.tensor([[3]]), m.tensor(5), m.tensor([7, 8]))",
    "m.matrix_power(m.tensor([[2.0, 1], [1, 3]], requires_grad=True), 0)",
    "m.logdet(m.tensor([[-1.0, 0], [0, 2]]))", "m.logdet(m.zeros(2, 2))",
    "m.nanmedian(m.tensor([[1.0, float('nan')], [3, 2]]), 1)",
])
def test_small_cases_print_as_torch(case):
    assert repr(eval(case, {"m": npconv})) == repr(eval(case, {"m": torch}))


@pytest.mark.parametrize("call, low, high", [
    ("random_(5)", 0, 5), ("random_(2, 5)", 2, 5), ("random_()", 0, 2 ** 24), ("exponential_()", 0, np.inf),
    ("log_normal_()", 0, np.inf), ("geometric_(0.5)", 1, np.inf), ("cauchy_()", -np.inf, np.inf),
])
def test_random_fills_give_values_in_torchs_ranges(call, low, high):
    for m in (npconv, torch):
        values = eval(f"m.zeros(500).{call}", {"m": m}).numpy()
        assert values.dtype == np.float32 and low <= values.min() and values.max() < high
        if call.startswith(("random_", "geometric_")):
            assert np.all(values == np.round(values))


@pytest.mark.parametrize("call", [
    lambda m: m.det(m.ones(2, 3)), lambda m: m.inverse(m.zeros(2, 2)), lambda m: m.det(m.ones(2, 2, dtype=m.int64)),
])
def test_matrix_errors_as_torch(call):
    assert_same_error(call)
