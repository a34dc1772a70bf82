"""prod against torch: values, gradients (zeros in the input included: the product of the others, exact)
and node names, over all elements or one dim."""
import numpy as np
from hypothesis import given, strategies as st

from tests.torch_compare import assert_matches_torch, random_array


@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), seed=st.integers(0, 999),
       zeros=st.integers(0, 2), dim=st.one_of(st.none(), st.integers(-1, 0)), keepdim=st.booleans())
def test_prod_matches_torch(shape, seed, zeros, dim, keepdim):
    x = random_array(tuple(shape), seed=seed)
    x.reshape(-1)[:zeros] = 0.0   # one or two zeros: the gradient must not divide by the input
    call = (lambda m, t: t.prod()) if dim is None else (lambda m, t: t.prod(dim, keepdim=keepdim))
    out = assert_matches_torch(call, [x])
    assert out[0].grad_fn.name() == out[1].grad_fn.name()
