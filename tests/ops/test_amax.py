"""amax/amin against torch: values, node names and the gradient shared evenly among ties (several axes
at once), integer inputs, torch's error for an empty reduction."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from tests.torch_compare import assert_matches_torch, assert_same_error, random_array


@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), seed=st.integers(0, 999), data=st.data(),
       op=st.sampled_from(["amax", "amin"]), keepdim=st.booleans())
def test_amax_amin_match_torch(shape, seed, data, op, keepdim):
    x = np.round(random_array(tuple(shape), seed=seed) * 2) / 2   # coarse values: many ties
    dims = data.draw(st.sampled_from([(), 0, -1, tuple(range(len(shape)))]))
    out = assert_matches_torch(lambda m, t: getattr(t, op)(dims, keepdim), [x])
    assert out[0].grad_fn.name() == out[1].grad_fn.name()


@pytest.mark.parametrize("op", ["amax", "amin"])
def test_empty_reduction_is_refused_as_torch(op):
    assert_same_error(lambda m, t: getattr(t, op)(0), [np.zeros((0, 3))], same_message=True)
