"""Creation functions and the random generator (npconv/_tensor.py, npconv/random.py) against torch."""
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import npconv
from tests.torch_compare import assert_matches_torch, assert_same_error

CREATIONS = [
    "m.zeros(2, 3)", "m.zeros((2, 3))", "m.zeros([4])", "m.ones(2, 1, dtype=m.float64)", "m.ones(3, dtype=m.int64)",
    "m.full((2, 2), 7)", "m.full((2,), 1.5)", "m.full((2,), True)", "m.full((2, 3), 2.0, dtype=m.float64)",
    "m.empty(3, 2).shape", "m.eye(3)", "m.eye(2, 4, dtype=m.int64)", "m.arange(5)", "m.arange(1, 4)",
    "m.arange(0, 1, 0.1)", "m.arange(10, 0, -3)", "m.arange(-1.5, 2.5, 0.5)", "m.arange(0.0, 5)",
    "m.arange(3, dtype=m.float64)", "m.linspace(0, 1, 5)", "m.linspace(-2, 3, 7, dtype=m.float64)",
    "m.linspace(0, 1, 1)", "m.linspace(0, 1, 0)", "m.tensor([[1, 2], [3, 4]])", "m.tensor([1, 2.5])",
    "m.tensor([True, False])", "m.tensor(3)", "m.tensor(2.5)", "m.tensor([])", "m.tensor([[1.0]], dtype=m.float64)",
    "m.tensor([1, 2], dtype=m.float32)", "m.tensor([m.tensor(1.5), m.tensor(2.0)])", "m.tensor(np.float64(1.5))",
    "m.tensor(np.arange(3, dtype=np.int32))", "m.tensor(np.ones(2))", "m.tensor(np.ones(2, dtype=np.float32))",
    "m.zeros_like(m.ones(2, 3))", "m.ones_like(m.ones(2, dtype=m.int64))", "m.full_like(m.ones(2), 3)",
    "m.zeros_like(m.ones(2), dtype=m.float64)", "m.empty_like(m.ones(2, 3)).shape", "m.as_tensor([1, 2])",
    "m.zeros(0, 3)", "m.ones(())",
]


@pytest.mark.parametrize("case", CREATIONS)
def test_creation_like_torch(case):
    mine, theirs = eval(case, {"m": npconv, "np": np}), eval(case, {"m": torch, "np": np})
    assert repr(mine) == repr(theirs)
    if isinstance(theirs, torch.Tensor):
        np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-6)


@given(start=st.floats(-5, 5), length=st.floats(0, 10), step=st.floats(0.05, 3), dtype=st.sampled_from([None, "float64"]))
def test_arange_length_and_values_like_torch(start, length, step, dtype):
    kwargs = {} if dtype is None else {"dtype": getattr(torch, dtype)}
    theirs = torch.arange(start, start + length, step, **kwargs)
    mine = npconv.arange(start, start + length, step, **({} if dtype is None else {"dtype": getattr(npconv, dtype)}))
    assert mine.shape == theirs.shape and repr(mine.dtype) == repr(theirs.dtype)
    np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-6)


@given(start=st.floats(-100, 100), end=st.floats(-100, 100), steps=st.integers(0, 50))
def test_linspace_like_torch(start, end, steps):
    np.testing.assert_allclose(npconv.linspace(start, end, steps, dtype=npconv.float64).numpy(),
                               torch.linspace(start, end, steps, dtype=torch.float64).numpy(), rtol=1e-12, atol=1e-12)


def test_from_numpy_shares_memory_and_tensor_copies():
    a = np.zeros(3)
    shared, copied = npconv.from_numpy(a), npconv.tensor(a)
    a[0] = 5
    assert shared[0].item() == 5 and copied[0].item() == 0
    assert shared.dtype == npconv.float64
    with pytest.raises(TypeError):
        npconv.from_numpy(np.zeros(2, dtype=np.complex64))


def test_random_shapes_dtypes_ranges_and_seeding():
    npconv.manual_seed(0)
    a = npconv.rand(1000)
    assert a.dtype == npconv.float32 and 0 <= a.min().item() and a.max().item() < 1
    n = npconv.randn(2, 3, dtype=npconv.float64)
    assert n.shape == (2, 3) and n.dtype == npconv.float64
    r = npconv.randint(3, 7, (500,))
    assert r.dtype == npconv.int64 and set(r.tolist()) == {3, 4, 5, 6}
    assert npconv.randint(5, (2,)).shape == (2,)
    npconv.manual_seed(0)
    np.testing.assert_array_equal(npconv.rand(1000).numpy(), a.numpy())
    assert sorted(npconv.randperm(6).tolist()) == list(range(6))
    assert npconv.rand_like(n).dtype == npconv.float64 and npconv.randn_like(a).shape == (1000,)
    x = npconv.randn(3, requires_grad=True)
    assert x.requires_grad and x.is_leaf


def test_creation_errors_like_torch():
    assert_same_error(lambda m: m.zeros(-1, 2))
    assert_same_error(lambda m: m.arange(0, 3, 0))
    assert_same_error(lambda m: m.arange(0, 3, -1))
    assert_same_error(lambda m: m.randint(5, 3, (2,)))
    assert_same_error(lambda m: m.tensor([1, 2], requires_grad=True))
    assert_same_error(lambda m: m.rand(2, dtype=m.int64))
    assert_same_error(lambda m: m.linspace(0, 1, -1))
    assert_same_error(lambda m: m.zeros(2.5))


def test_meta_creation_prints_like_torch():
    for case in ("m.empty(2, 3, device='meta')", "m.zeros(4, device='meta', dtype=m.float64)",
                 "m.ones(2, 2, device='meta').sum(0)"):
        assert repr(eval(case, {"m": npconv})) == repr(eval(case, {"m": torch}))


def test_requires_grad_creation_takes_gradients():
    assert_matches_torch(lambda m, x: (m.ones(3, dtype=m.float64, requires_grad=True) * x).sum(),
                         [np.arange(3.0)])


def test_set_default_dtype_like_torch():
    cases = ["m.tensor([1.5])", "m.ones(2)", "m.arange(0.0, 2)", "m.tensor([1, 2]) / 2", "m.ones(2, dtype=m.float32)",
             "m.rand(2).dtype", "m.tensor([1]) * 0.5", "m.linspace(0, 1, 3)"]
    for m in (npconv, torch):
        m.set_default_dtype(m.float64)
    try:
        for case in cases:
            assert repr(eval(case, {"m": npconv})) == repr(eval(case, {"m": torch})), case
    finally:
        for m in (npconv, torch):
            m.set_default_dtype(m.float32)
    assert npconv.get_default_dtype() is npconv.float32
