"""Embedding / F.embedding and F.one_hot against torch: values, weight gradients (padding_idx,
scale_grad_by_freq), max_norm's in-place renormalisation, reprs, from_pretrained, errors."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import npconv
from tests.torch_compare import assert_matches_torch, assert_module_matches_torch, assert_same_error, random_array


@st.composite
def embedding_cases(draw):
    rows = draw(st.integers(1, 6))
    dim = draw(st.integers(1, 4))
    shape = tuple(draw(st.lists(st.integers(0, 3), min_size=1, max_size=3)))
    padding_idx = draw(st.one_of(st.none(), st.integers(-rows, rows - 1)))
    scale = draw(st.booleans())
    seed = draw(st.integers(0, 1000))
    indices = np.random.default_rng(seed).integers(0, rows, shape)
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    return rows, dim, indices, padding_idx, scale, dtype


@settings(max_examples=50, deadline=None)
@given(case=embedding_cases())
def test_embedding_matches_torch(case):
    rows, dim, indices, padding_idx, scale, dtype = case

    def factory(m):
        return m.nn.Embedding(rows, dim, padding_idx=padding_idx, scale_grad_by_freq=scale,
                              dtype=m.float64 if dtype == np.float64 else m.float32)
    _, _, mine, theirs = assert_module_matches_torch(factory, [indices])
    assert mine.grad_fn.name() == theirs.grad_fn.name()


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.5])
def test_max_norm_renormalises_the_rows_looked_up_as_torch(norm_type):
    weight = random_array((6, 3), np.float64, seed=3, low=-3, high=3)
    indices = np.array([[0, 2], [2, 5]])
    outs = []
    for m in (npconv, torch):
        layer = m.nn.Embedding.from_pretrained(m.tensor(weight.copy()), freeze=False, max_norm=1.5,
                                               norm_type=norm_type)
        out = layer(m.tensor(indices))
        out.sum().backward()
        outs.append((out.detach().numpy(), layer.weight.detach().numpy(), layer.weight.grad.numpy()))
    for mine, theirs in zip(*outs):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12)


@pytest.mark.parametrize("make", [
    lambda m: m.nn.Embedding(10, 3),
    lambda m: m.nn.Embedding(10, 3, padding_idx=-1),
    lambda m: m.nn.Embedding(10, 3, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True, sparse=True),
    lambda m: m.nn.Embedding.from_pretrained(m.ones(2, 3)),
    lambda m: m.nn.Embedding.from_pretrained(m.ones(2, 3), freeze=False, padding_idx=1),
])
def test_repr_and_attributes_as_torch(make):
    mine, theirs = make(npconv), make(torch)
    assert repr(mine) == repr(theirs)
    assert mine.padding_idx == theirs.padding_idx
    assert mine.weight.requires_grad == theirs.weight.requires_grad
    assert tuple(mine.weight.shape) == tuple(theirs.weight.shape)


def test_initialisation_is_standard_normal_with_a_zero_padding_row():
    weight = npconv.nn.Embedding(2000, 4, padding_idx=3).weight.detach().numpy()
    assert (weight[3] == 0).all()
    assert abs(weight.mean()) < 0.05 and abs(weight.std() - 1) < 0.05


@pytest.mark.parametrize("call", [
    lambda m: m.nn.Embedding(10, 3)(m.tensor([10])),
    lambda m: m.nn.Embedding(10, 3)(m.tensor([-1])),
    lambda m: m.nn.Embedding(10, 3)(m.tensor([1.0])),
    lambda m: m.nn.Embedding(10, 3, padding_idx=10),
    lambda m: m.nn.Embedding(10, 3, padding_idx=-11),
    lambda m: m.nn.Embedding.from_pretrained(m.ones(3)),
    lambda m: m.nn.functional.one_hot(m.tensor([0.0, 1.0])),
    lambda m: m.nn.functional.one_hot(m.tensor([0, 5]), 3),
    lambda m: m.nn.functional.one_hot(m.tensor([-1, 1])),
    lambda m: m.nn.functional.one_hot(m.tensor([], dtype=m.int64)),
    lambda m: m.nn.functional.one_hot(m.tensor([0, 1]), -2),
])
def test_errors_as_torch(call):
    assert_same_error(call, same_message=True)


def test_int32_indices_and_functional_form_as_torch():
    weight = random_array((5, 2), np.float64)
    for dtype in ("int32", "int64"):
        got = [m.nn.functional.embedding(m.tensor(np.array([[4, 0, 4]], dtype=dtype)), m.tensor(weight),
                                         padding_idx=4).numpy() for m in (npconv, torch)]
        np.testing.assert_array_equal(*got)


@pytest.mark.parametrize("values,num_classes", [([0, 2, 1], -1), ([[1, 0], [3, 3]], 5), ([], 3), (4, -1)])
def test_one_hot_as_torch(values, num_classes):
    got = [m.nn.functional.one_hot(m.tensor(values, dtype=m.int64), num_classes) for m in (npconv, torch)]
    assert str(got[0].dtype) == str(got[1].dtype) and tuple(got[0].shape) == tuple(got[1].shape)
    np.testing.assert_array_equal(got[0].numpy(), got[1].numpy())


BAG_CASES = [
    # (input, offsets, include_last_offset)
    (np.array([1, 2, 4, 5, 4, 3, 2, 9]), np.array([0, 4]), False),
    (np.array([1, 2, 4, 5, 4, 3, 2, 9]), np.array([0, 2, 2, 7]), False),  # an empty bag
    (np.array([1, 2, 4, 5, 4, 3, 2, 9]), np.array([0, 3, 8]), True),     # the last offset ends the bags
    (np.array([[0, 2, 0, 5], [4, 3, 2, 9]]), None, False),
]


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 2])
@pytest.mark.parametrize("case", range(len(BAG_CASES)))
def test_embedding_bag_matches_torch(mode, padding_idx, case):
    # (not scale_grad_by_freq: torch's embedding_bag scales by shifted counts, halving indices used once
    # and leaving twice-used ones whole; npconv divides by the true counts, as F.embedding does)
    indices, offsets, last = BAG_CASES[case]

    def factory(m):
        return m.nn.EmbeddingBag(10, 3, mode=mode, padding_idx=padding_idx, include_last_offset=last,
                                 dtype=m.float64)
    arrays = [indices] if offsets is None else [indices, offsets]
    _, _, mine, theirs = assert_module_matches_torch(factory, arrays)
    assert mine.grad_fn.name() == theirs.grad_fn.name()


@pytest.mark.parametrize("case", range(len(BAG_CASES)))
def test_embedding_bag_per_sample_weights_get_gradients_as_torch(case):
    indices, offsets, last = BAG_CASES[case]
    weight = random_array((10, 3), seed=4)
    samples = random_array(indices.shape, seed=5)
    if offsets is None:
        call = (lambda m, w, s, i: m.nn.functional.embedding_bag(i, w, mode="sum", per_sample_weights=s,
                                                                 padding_idx=0))
        assert_matches_torch(call, [weight, samples, indices])
    else:
        call = (lambda m, w, s, i, o: m.nn.functional.embedding_bag(i, w, o, mode="sum", per_sample_weights=s,
                                                                    include_last_offset=last))
        assert_matches_torch(call, [weight, samples, indices, offsets])


@pytest.mark.parametrize("make", [
    lambda m: m.nn.EmbeddingBag(10, 3),
    lambda m: m.nn.EmbeddingBag(10, 3, max_norm=2.0, norm_type=1.0, scale_grad_by_freq=True, mode="sum",
                                padding_idx=2),
    lambda m: m.nn.EmbeddingBag.from_pretrained(m.ones(2, 3), mode="max"),
])
def test_embedding_bag_repr_as_torch(make):
    mine, theirs = make(npconv), make(torch)
    assert repr(mine) == repr(theirs) and mine.weight.requires_grad == theirs.weight.requires_grad


@pytest.mark.parametrize("call", [
    lambda m: m.nn.EmbeddingBag(10, 3)(m.tensor([[1, 2], [3, 4]]), m.tensor([0, 1])),
    lambda m: m.nn.EmbeddingBag(10, 3)(m.tensor([1, 2, 3])),
    lambda m: m.nn.EmbeddingBag(10, 3)(m.ones(2, 2, 2, dtype=m.int64)),
    lambda m: m.nn.EmbeddingBag(10, 3)(m.tensor([1, 2, 3]), m.tensor([0, 1]), per_sample_weights=m.ones(3)),
    lambda m: m.nn.EmbeddingBag(10, 3, mode="sum")(m.tensor([1, 2, 3]), m.tensor([0, 1]),
                                                   per_sample_weights=m.ones(2)),
    lambda m: m.nn.EmbeddingBag(10, 3)(m.tensor([1, 2, 3]), m.tensor([1, 2])),
    lambda m: m.nn.EmbeddingBag(10, 3)(m.tensor([1, 2, 3]), m.tensor([0, 5])),
    lambda m: m.nn.EmbeddingBag(10, 3)(m.tensor([1, 2, 13]), m.tensor([0])),  # (torch's position is off in
    lambda m: m.nn.EmbeddingBag(10, 3)(m.tensor([1, -2, 3]), m.tensor([0])),  # later bags: one bag here)
    lambda m: m.nn.EmbeddingBag(10, 3)(m.tensor([1.0, 2.0]), m.tensor([0])),
    lambda m: m.nn.EmbeddingBag(10, 3, mode="max", scale_grad_by_freq=True)(m.tensor([1, 2]), m.tensor([0])),
])
def test_embedding_bag_errors_as_torch(call):
    assert_same_error(call, same_message=True)
