"""nn.utils against torch (npconv/nn/utils.py): gradient clipping, parameters <-> vector."""
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import npconv
from tests.torch_compare import random_array


def _params(m, seed, dtype):
    params = []
    for i, shape in enumerate([(3, 4), (4,), (2, 2, 2)]):
        p = m.nn.Parameter(m.from_numpy(random_array(shape, dtype, seed + i)))
        p.grad = m.from_numpy(random_array(shape, dtype, seed + 10 + i) * 3)
        params.append(p)
    return params


@given(seed=st.integers(0, 1000), max_norm=st.floats(0.01, 20), norm_type=st.sampled_from([1, 2.0, 3, float("inf")]),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_clip_grad_norm_like_torch(seed, max_norm, norm_type, dtype):
    mine, theirs = _params(npconv, seed, dtype), _params(torch, seed, dtype)
    total_mine = npconv.nn.utils.clip_grad_norm_(mine, max_norm, norm_type)
    total_theirs = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    tol = 1e-5 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(total_mine.item(), total_theirs.item(), rtol=tol)
    assert repr(total_mine.dtype) == repr(total_theirs.dtype)
    for p, q in zip(mine, theirs):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=tol, atol=tol)


def test_clip_grad_value_and_vectors_like_torch():
    mine, theirs = _params(npconv, 0, np.float64), _params(torch, 0, np.float64)
    npconv.nn.utils.clip_grad_value_(mine, 0.5)
    torch.nn.utils.clip_grad_value_(theirs, 0.5)
    for p, q in zip(mine, theirs):
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())
    vec_mine = npconv.nn.utils.parameters_to_vector(mine)
    vec_theirs = torch.nn.utils.parameters_to_vector(theirs)
    np.testing.assert_array_equal(vec_mine.detach().numpy(), vec_theirs.detach().numpy())
    npconv.nn.utils.vector_to_parameters(vec_mine * 2, mine)
    torch.nn.utils.vector_to_parameters(vec_theirs * 2, theirs)
    for p, q in zip(mine, theirs):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_nonfinite_norm_error_like_torch():
    for m in (npconv, torch):
        p = m.nn.Parameter(m.ones(2))
        p.grad = m.tensor([float("inf"), 1.0])
        with pytest.raises(RuntimeError):
            m.nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
