"""Order statistics, running reductions and counting ops (npconv/_ops/order.py) against torch: values,
indices, gradients and nodes on random inputs (continuous values: the index torch returns among equal values
is its implementation's choice), plus the tie rules tutorials meet with small integers."""
import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import npconv
from tests.strategies import float_arrays
from tests.torch_compare import assert_matches_torch, assert_same_error


@st.composite
def array_and_dim(draw, min_dims=1):
    x = draw(float_arrays(min_dims=min_dims, max_dims=3))
    return x, draw(st.integers(-x.ndim, x.ndim - 1)), draw(st.booleans())


CALLS = {
    "median": lambda m, t, d, k: t.median(),
    "median dim": lambda m, t, d, k: m.median(t, d, keepdim=k),
    "kthvalue": lambda m, t, d, k: t.kthvalue(1, d, k),
    "mode": lambda m, t, d, k: m.mode(t, d, k),
    "aminmax": lambda m, t, d, k: t.aminmax(),
    "aminmax dim": lambda m, t, d, k: m.aminmax(t, dim=d, keepdim=k),
    "cumprod": lambda m, t, d, k: t.cumprod(d),
    "cumprod_": lambda m, t, d, k: (t * 1).cumprod_(d),
    "cummax": lambda m, t, d, k: t.cummax(d),
    "cummin": lambda m, t, d, k: m.cummin(t, d),
    "logsumexp": lambda m, t, d, k: t.logsumexp(d, k),
    "logsumexp dims": lambda m, t, d, k: m.logsumexp(t, tuple({0, t.dim() - 1}), k),
    "nansum": lambda m, t, d, k: (t / t.round()).nansum(),
    "nansum dim": lambda m, t, d, k: m.nansum(t / t.round(), d, k),
    "nanmean": lambda m, t, d, k: (t / t.round()).nanmean(d, k),
}


@pytest.mark.parametrize("name", sorted(CALLS))
@given(case=array_and_dim())
def test_reductions_match_torch(name, case):
    x, dim, keepdim = case
    assert_matches_torch(lambda m, t: CALLS[name](m, t, dim, keepdim), [x])


# aminmax along a dim records the nodes of amin and amax here (one node with two outputs is not built)
@pytest.mark.parametrize("name", sorted(set(CALLS) - {"aminmax dim"}))
def test_reductions_record_torchs_node(name):
    def node(m):
        out = CALLS[name](m, m.tensor([[3.0, 1.5, 2.0], [0.5, 2.5, 1.0]], requires_grad=True), 1, False)
        return (out[0] if isinstance(out, tuple) else out).grad_fn.name()
    assert node(npconv) == node(torch)


@pytest.mark.parametrize("case", [
    "m.tensor([3.0, 1, 2, 1]).median()", "m.tensor([[3.0, 1, 2, 1], [2, 2, 5, 5]]).median(1)",
    "m.tensor([[3.0, 1, 2, 1], [2, 2, 5, 5]]).mode(1)", "m.tensor([1.0, 2, 2, 1]).mode()",
    "m.tensor([[1, 1, 2], [3, 3, 2]]).mode(0)", "m.tensor([2.0, 1, 1, 2, 3]).mode()",
    "m.tensor([1.0, float('nan'), 3]).median()", "m.tensor([[2.0, 2, 5, 5]]).cummax(1)",
    "m.tensor([1, 1, 2, 2, 3, 1, 1]).unique_consecutive(return_inverse=True, return_counts=True)",
    "m.unique_consecutive(m.tensor([[1, 1], [1, 1], [2, 3]]), dim=0)",
    "m.searchsorted(m.tensor([1, 3, 5, 7]), m.tensor([[3, 6, 9], [3, 6, 9]]))",
    "m.searchsorted(m.tensor([[1, 3, 5, 7], [2, 4, 6, 8]]), m.tensor([[3, 6, 9], [3, 6, 9]]), right=True)",
    "m.searchsorted(m.tensor([1.0, 3.0]), m.tensor([3.0]), side='right', out_int32=True)",
    "m.bucketize(m.tensor([3, 6, 9]), m.tensor([1, 3, 5, 7]), right=True)",
    "m.histc(m.tensor([1.0, 2, 1]), bins=4, min=0, max=3)", "m.histc(m.tensor([1.0, 2, 1, 5, -1]), bins=3)",
    "m.bincount(m.tensor([0, 1, 1, 3]))", "m.bincount(m.tensor([0, 1, 1, 3]), weights=m.tensor([.5, 1, 1, 2]))",
    "m.bincount(m.tensor([0, 1]), minlength=5)", "m.tensor([[1.0, 2], [3, 4]]).logsumexp(-1)",
])
def test_small_cases_print_as_torch(case):
    assert repr(eval(case, {"m": npconv})) == repr(eval(case, {"m": torch}))


@given(x=float_arrays(min_dims=1, max_dims=1), bins=st.integers(1, 10), low=st.floats(-2, 0), high=st.floats(0, 2))
def test_histc_matches_torch(x, bins, low, high):
    assert_matches_torch(lambda m, t: m.histc(t, bins, low, high), [x], requires_grad=False)


@pytest.mark.parametrize("call", [
    lambda m: m.tensor([1.0, 2.0]).kthvalue(3), lambda m: m.bincount(m.tensor([-1, 2])),
    lambda m: m.nanmean(m.tensor([1, 2])), lambda m: m.histc(m.tensor([1, 2]), 3),
])
def test_refusals_as_torch(call):
    assert_same_error(call, same_message=True)
