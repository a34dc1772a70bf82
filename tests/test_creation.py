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


# creation spelled as tutorials spell it: size=, out=, generator=; random ones compared by shape and dtype
SHAPED_CREATIONS = [
    "m.zeros(size=(2, 3))", "m.ones(size=[4], dtype=m.int64)", "m.full(size=(2, 2), fill_value=3.0)",
    "m.zeros(2, out=m.empty(1, dtype=m.int64))", "m.ones((2, 2), out=m.empty(0, dtype=m.float64))",
    "m.arange(4, out=m.empty(1))", "m.eye(2, out=m.empty(2, 2, dtype=m.int64))",
    "m.asarray([1, 2])", "m.asarray([1.0, 2])", "m.asarray(3.5)", "m.asarray(np.arange(3.0), dtype=m.float32)",
    "m.asarray(m.ones(2), dtype=m.float64)", "m.asarray([1.0, 2.0], requires_grad=True)",
]
RANDOM_SHAPES = [
    "m.rand(size=(2, 3))", "m.randn(size=(2,), generator=m.Generator().manual_seed(0))", "m.empty(size=(1, 2))",
    "m.randint(0, 5, size=(3,))", "m.randint(5, size=(3,))", "m.randint(low=0, high=5, size=(3,))",
    "m.randint(high=5, size=(3, 1), dtype=m.int32)", "m.rand(2, 3, out=m.empty(1, dtype=m.float64))",
    "m.normal(0.0, 1.0, size=(2,))", "m.normal(0, 1, (2, 3))", "m.normal(m.zeros(3), 1.0)",
    "m.normal(m.zeros(2, 1, dtype=m.float64), m.ones(3))", "m.normal(0.0, m.ones(3))",
    "m.normal(mean=m.zeros(2, 2))", "m.normal(m.zeros(3), m.ones(3), generator=m.Generator().manual_seed(1))",
    "m.normal(2.0, 3.0, size=(2,), dtype=m.float64)",
]


@pytest.mark.parametrize("case", SHAPED_CREATIONS)
def test_creation_with_size_out_and_asarray_like_torch(case):
    mine, theirs = eval(case, {"m": npconv, "np": np}), eval(case, {"m": torch, "np": np})
    assert repr(mine) == repr(theirs)


@pytest.mark.parametrize("case", RANDOM_SHAPES)
def test_random_creation_forms_give_torchs_shape_and_dtype(case):
    mine, theirs = eval(case, {"m": npconv, "np": np}), eval(case, {"m": torch, "np": np})
    assert (mine.shape, repr(mine.dtype), mine.requires_grad) == (theirs.shape, repr(theirs.dtype),
                                                                   theirs.requires_grad)


@pytest.mark.parametrize("case", [
    "m.zeros((2, 3), size=(2, 3))", "m.normal(m.zeros(3), m.ones(4))", "m.normal(m.zeros(3), -1.0)",
    "m.normal(0.0, -1.0, (2,))", "m.normal(0.0, 1.0)", "m.normal(0.0, 1.0, 3)",
    "m.normal(0, 1, size=(2,), dtype=m.int64)", "m.normal(m.zeros(3, dtype=m.int64), 1.0)",
    "m.normal(m.zeros(2), m.tensor([1.0, -1.0]))", "m.asarray(np.arange(3.0), dtype=m.float32, copy=False)",
    "m.asarray(m.ones(2, dtype=m.float64), dtype=m.float32, copy=False)",
])
def test_creation_form_errors_like_torch(case):
    assert_same_error(lambda m: eval(case, {"m": m, "np": np}), same_message=True)


@given(mean_shape=st.lists(st.integers(1, 3), max_size=3), std_shape=st.lists(st.integers(1, 3), max_size=3),
       which=st.sampled_from(["both", "mean", "std"]))
def test_normal_of_tensors_has_torchs_shape_node_and_zero_gradients(mean_shape, std_shape, which):
    mean, std = np.zeros(mean_shape), np.ones(std_shape)
    call = {"both": lambda m, a, s: m.normal(a, s), "mean": lambda m, a, s: m.normal(a, 2.0),
            "std": lambda m, a, s: m.normal(1.0, s)}[which]
    result = assert_matches_torch(lambda m, a, s: call(m, a, s) * 0, [mean, std], expect_errors=True)
    if result is not None:
        ours = call(npconv, npconv.tensor(mean, requires_grad=True), npconv.tensor(std, requires_grad=True))
        theirs = call(torch, torch.tensor(mean, requires_grad=True), torch.tensor(std, requires_grad=True))
        assert ours.grad_fn.name() == theirs.grad_fn.name()


def test_asarray_shares_memory_keeps_the_graph_and_warns_as_torch():
    array = np.arange(3.0)
    shared = npconv.asarray(array)
    array[0] = 9.0
    assert shared[0].item() == 9.0
    x = npconv.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match=r"^torch\.asarray: unspecified requires_grad now defaults"):
        assert npconv.asarray(x) is x
    assert npconv.asarray(x, dtype=npconv.float64, requires_grad=True).grad_fn.name() == "ToCopyBackward0"
    assert npconv.asarray(x, copy=True, requires_grad=True).grad_fn.name() == "CloneBackward0"


@pytest.mark.parametrize("case", ["x.new(2, 3).shape", "x.new(2, 3).dtype", "x.new([1, 2])", "x.new().shape",
                                  "x.new(m.Size([2])).shape", "x.new((1, 2))"])
def test_legacy_new_as_torch(case):
    mine = eval(case, {"m": npconv, "x": npconv.ones(2, dtype=npconv.float64)})
    theirs = eval(case, {"m": torch, "x": torch.ones(2, dtype=torch.float64)})
    assert repr(mine) == repr(theirs)


_ENDPOINTS = st.one_of(st.integers(-20, 20).map(float), st.floats(1e-6, 100), st.floats(-100, -1e-6))


@given(start=_ENDPOINTS, end=_ENDPOINTS, steps=st.integers(0, 300), dtype=st.sampled_from(["float32", "float64"]))
def test_linspace_is_torchs_bit_for_bit(start, end, steps, dtype):
    """torch's kernel: each value one fused multiply-add, the second half counted down from ``end`` (a value
    that should be 0 may be 1e-16, and relu's gradient there depends on it). Endpoints below 1e-6 in
    magnitude can differ in the last bit (the emulated multiply-add is not exact there)."""
    ours = npconv.linspace(start, end, steps, dtype=getattr(npconv, dtype)).numpy()
    theirs = torch.linspace(start, end, steps, dtype=getattr(torch, dtype)).numpy()
    np.testing.assert_array_equal(ours, theirs)
