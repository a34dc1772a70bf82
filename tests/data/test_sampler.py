"""Samplers against torch.utils.data: orders, lengths, errors; random ones by their distribution."""
import collections

import numpy as np
import pytest
import torch.utils.data as tdata
from hypothesis import given, strategies as st

import npconv
from npconv.data import (BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
                         WeightedRandomSampler)
from tests.torch_compare import assert_same_error


@given(n=st.integers(0, 30))
def test_sequential_sampler_like_torch(n):
    assert list(SequentialSampler(range(n))) == list(tdata.SequentialSampler(range(n)))
    assert len(SequentialSampler(range(n))) == n


@given(n=st.integers(0, 40), batch_size=st.integers(1, 9), drop_last=st.booleans())
def test_batch_sampler_like_torch(n, batch_size, drop_last):
    ours = BatchSampler(SequentialSampler(range(n)), batch_size, drop_last)
    theirs = tdata.BatchSampler(tdata.SequentialSampler(range(n)), batch_size, drop_last)
    assert list(ours) == list(theirs)
    assert len(ours) == len(theirs)


def test_batch_sampler_worked_example():
    assert list(BatchSampler(range(10), 3, False)) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert list(BatchSampler(range(10), 3, True)) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]


@pytest.mark.parametrize("batch_size, drop_last", [(0, False), (-2, False), (2.0, False), (True, False),
                                                   (3, 1), (3, None)])
def test_batch_sampler_errors_like_torch(batch_size, drop_last):
    ours, theirs = assert_same_error(lambda m: m.utils.data.BatchSampler(range(5), batch_size, drop_last))
    assert str(ours) == str(theirs)


@given(n=st.integers(1, 30), seed=st.integers(0, 50))
def test_random_sampler_is_a_fresh_permutation_each_pass(n, seed):
    sampler = RandomSampler(range(n), generator=npconv.Generator().manual_seed(seed))
    first, second = list(sampler), list(sampler)
    assert sorted(first) == sorted(second) == list(range(n))
    assert all(type(index) is int for index in first)
    again = list(RandomSampler(range(n), generator=npconv.Generator().manual_seed(seed)))
    assert again == first  # the same generator seed, the same order
    assert len(sampler) == n


@given(n=st.integers(1, 12), num_samples=st.integers(1, 40))
def test_random_sampler_num_samples_without_replacement(n, num_samples):
    drawn = list(RandomSampler(range(n), num_samples=num_samples, generator=0))
    assert len(drawn) == num_samples == len(RandomSampler(range(n), num_samples=num_samples))
    counts = collections.Counter(drawn)
    # whole permutations first, then part of one more: every index appears floor or ceil(num_samples/n) times
    assert set(counts.values()) <= {num_samples // n, -(-num_samples // n)}
    for start in range(0, num_samples - num_samples % n, n):
        assert sorted(drawn[start:start + n]) == list(range(n))


def test_random_sampler_with_replacement_draws_uniformly():
    drawn = list(RandomSampler(range(4), replacement=True, num_samples=4000, generator=1))
    counts = np.bincount(drawn, minlength=4)
    assert len(drawn) == 4000 and counts.min() > 850 and counts.max() < 1150
    assert len(set(list(RandomSampler(range(50), replacement=True, generator=2)))) < 50  # repeats occur


def test_random_sampler_follows_manual_seed():
    npconv.manual_seed(3)
    first = list(RandomSampler(range(20)))
    npconv.manual_seed(3)
    assert list(RandomSampler(range(20))) == first


@pytest.mark.parametrize("kwargs", [dict(replacement=1), dict(num_samples=0), dict(num_samples=2.5),
                                    dict(num_samples=-3)])
def test_random_sampler_errors_like_torch(kwargs):
    ours, theirs = assert_same_error(lambda m: m.utils.data.RandomSampler(range(5), **kwargs))
    assert str(ours) == str(theirs)


def test_random_sampler_of_empty_dataset_refused_like_torch():
    ours, theirs = assert_same_error(lambda m: m.utils.data.RandomSampler([]))
    assert str(ours) == str(theirs)


def test_subset_random_sampler_permutes_the_given_indices():
    indices = [7, 3, 11, 5]
    sampler = SubsetRandomSampler(indices, generator=npconv.Generator().manual_seed(0))
    orders = {tuple(sampler) for _ in range(30)}
    assert all(sorted(order) == sorted(indices) for order in orders) and len(orders) > 1
    assert len(sampler) == len(tdata.SubsetRandomSampler(indices)) == 4


def test_weighted_sampler_follows_the_weights():
    drawn = list(WeightedRandomSampler([0.1, 0.0, 0.3, 0.6], 6000, generator=4))
    counts = np.bincount(drawn, minlength=4) / 6000
    assert counts[1] == 0
    np.testing.assert_allclose(counts, [0.1, 0.0, 0.3, 0.6], atol=0.03)
    assert len(WeightedRandomSampler([1, 2], 7)) == 7
    assert WeightedRandomSampler([1, 2], 7).weights.dtype == npconv.float64


def test_weighted_sampler_without_replacement_takes_each_index_once():
    for seed in range(20):
        drawn = list(WeightedRandomSampler([5.0, 0.0, 1.0, 2.0], 4, replacement=False, generator=seed))
        assert sorted(drawn) == [0, 1, 2, 3] and drawn[-1] == 1  # as torch: zero weight comes last
    heavy_first = [list(WeightedRandomSampler([100.0, 1.0], 2, replacement=False, generator=s))[0]
                   for s in range(200)]
    assert heavy_first.count(0) > 180


@pytest.mark.parametrize("weights, num_samples, replacement", [
    ([1.0, -1.0], 1, True), ([1.0, float("inf")], 1, True), ([1.0, float("nan")], 2, True),
    ([1.0, -1.0], 2, True), ([1.0, float("inf")], 2, True), ([float("inf"), -1.0], 2, True), ([-1.0, 1.0], 3, False),
    ([0.0, 0.0], 1, True), ([1.0, 2.0], 3, False), ([[1.0, 2.0]], 1, True), ([1.0], 0, True),
    ([1.0], True, True), ([1.0], 1, 1)])
def test_weighted_sampler_errors_like_torch(weights, num_samples, replacement):
    ours, theirs = assert_same_error(
        lambda m: list(m.utils.data.WeightedRandomSampler(weights, num_samples, replacement)))
    assert str(ours) == str(theirs)


def test_sampler_base_class():
    class Evens(Sampler):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(0, self.n, 2))

    assert list(BatchSampler(Evens(9), 2, False)) == [[0, 2], [4, 6], [8]]
    with pytest.raises(NotImplementedError):
        iter(Sampler())
    with pytest.raises(NotImplementedError):
        iter(tdata.Sampler())
