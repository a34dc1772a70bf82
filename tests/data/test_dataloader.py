"""Dataset / TensorDataset / DataLoader against torch.utils.data on the same data."""
import numpy as np
import pytest
import torch
import torch.utils.data as tdata
from hypothesis import given, strategies as st

import npconv
from npconv.data import DataLoader, Dataset, TensorDataset, default_collate
from tests.torch_compare import assert_same_error


def make_arrays(n, rng=None):
    rng = rng or np.random.default_rng(0)
    return rng.standard_normal((n, 2, 3)).astype(np.float32), np.arange(n, dtype=np.int64)


@given(n=st.integers(0, 40), batch_size=st.integers(1, 12), drop_last=st.booleans())
def test_batches_match_torch_without_shuffle(n, batch_size, drop_last):
    x, y = make_arrays(n)
    ours = DataLoader(TensorDataset(x, y), batch_size=batch_size, drop_last=drop_last)
    theirs = tdata.DataLoader(tdata.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
                              batch_size=batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    ours_batches, theirs_batches = list(ours), list(theirs)
    assert len(ours_batches) == len(theirs_batches) == len(ours)
    for (ox, oy), (tx, ty) in zip(ours_batches, theirs_batches):
        assert isinstance(ox, npconv.Tensor) and ox.dtype == npconv.float32 and oy.dtype == npconv.int64
        np.testing.assert_array_equal(ox.numpy(), tx.numpy())
        np.testing.assert_array_equal(oy.numpy(), ty.numpy())


@given(n=st.integers(1, 50), batch_size=st.integers(1, 9), drop_last=st.booleans(), seed=st.integers(0, 99))
def test_shuffle_is_a_seeded_permutation_per_epoch(n, batch_size, drop_last, seed):
    x, y = make_arrays(n)

    def epochs(loader, count=2):
        return [np.concatenate([labels.numpy() for _, labels in loader] or [np.zeros(0, np.int64)])
                for _ in range(count)]

    first = epochs(DataLoader(TensorDataset(x, y), batch_size, shuffle=True, drop_last=drop_last, seed=seed))
    again = epochs(DataLoader(TensorDataset(x, y), batch_size, shuffle=True, drop_last=drop_last, seed=seed))
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)  # same seed, same order
    expected_count = (n // batch_size) * batch_size if drop_last else n
    for order in first:
        assert len(order) == expected_count and len(set(order.tolist())) == expected_count
        if not drop_last:
            assert sorted(order.tolist()) == list(range(n))
    if n >= 8 and not drop_last:  # two epochs differ (equal permutations of >= 8 items: p < 1/40000)
        assert not np.array_equal(first[0], first[1])


def test_shuffled_samples_keep_their_labels():
    x, y = make_arrays(30)
    for images, labels in DataLoader(TensorDataset(x, y), batch_size=7, shuffle=True, seed=3):
        np.testing.assert_array_equal(images.numpy(), x[labels.numpy()])


def test_shuffle_follows_manual_seed_by_default():
    x, y = make_arrays(20)
    orders = []
    for _ in range(2):
        npconv.manual_seed(5)
        orders.append(np.concatenate([b[1].numpy() for b in DataLoader(TensorDataset(x, y), 4, shuffle=True)]))
    np.testing.assert_array_equal(*orders)


def test_generator_argument():
    x, y = make_arrays(20)
    a = [b[1].numpy() for b in DataLoader(TensorDataset(x, y), 5, shuffle=True, generator=np.random.default_rng(1))]
    b = [b[1].numpy() for b in DataLoader(TensorDataset(x, y), 5, shuffle=True, generator=1)]
    np.testing.assert_array_equal(np.concatenate(a), np.concatenate(b))
    torch_style = npconv.Generator().manual_seed(1)  # as torch users write it
    c = [b[1].numpy() for b in DataLoader(TensorDataset(x, y), 5, shuffle=True, generator=torch_style)]
    np.testing.assert_array_equal(np.concatenate(a), np.concatenate(c))
    with pytest.raises(TypeError, match="generator must be"):
        DataLoader(TensorDataset(x, y), 5, shuffle=True, generator="seed")


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True, "4"])
def test_bad_batch_size_refused_like_torch(batch_size):
    x, y = make_arrays(4)
    with pytest.raises(ValueError, match="batch_size"):
        tdata.DataLoader(tdata.TensorDataset(torch.from_numpy(x)), batch_size=batch_size)
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(TensorDataset(x), batch_size=batch_size)


def test_tensor_dataset_size_mismatch_refused_like_torch():
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        tdata.TensorDataset(torch.zeros(3, 2), torch.zeros(4))
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(npconv.zeros(3, 2), npconv.zeros(4))


def test_tensor_dataset_indexing_and_len():
    x, y = make_arrays(5)
    dataset = TensorDataset(npconv.from_numpy(x), y)
    assert len(dataset) == 5
    image, label = dataset[3]
    np.testing.assert_array_equal(image.numpy(), x[3])
    assert int(label.item()) == 3
    assert dataset.tensors[0].numpy() is x or np.shares_memory(dataset.tensors[0].numpy(), x)


class Squares(Dataset):
    """A plain map-style dataset yielding (array, int, float) samples: the generic collate path."""

    def __len__(self):
        return 7

    def __getitem__(self, index):
        return np.full(2, index, np.float32), index, float(index) / 2


def test_generic_dataset_collates_like_torch():
    class TorchSquares(tdata.Dataset):
        __len__ = Squares.__len__
        __getitem__ = Squares.__getitem__

    ours = list(DataLoader(Squares(), batch_size=3))
    theirs = list(tdata.DataLoader(TorchSquares(), batch_size=3))
    assert len(ours) == len(theirs) == 3
    for ob, tb in zip(ours, theirs):
        assert isinstance(ob, list) and len(ob) == 3
        for o, t in zip(ob, tb):
            assert str(o.dtype) == str(t.dtype)
            np.testing.assert_array_equal(o.numpy(), t.numpy())


def test_default_collate_dicts_and_custom_collate():
    batch = default_collate([{"a": np.zeros(2), "b": 1}, {"a": np.ones(2), "b": 2}])
    assert batch["a"].shape == (2, 2) and batch["b"].numpy().tolist() == [1, 2]
    loader = DataLoader(Squares(), batch_size=4, collate_fn=lambda samples: [s[1] for s in samples])
    assert list(loader) == [[0, 1, 2, 3], [4, 5, 6]]


def test_utils_data_is_the_same_module_surface():
    import npconv.utils.data as utils_data
    assert utils_data.DataLoader is DataLoader and utils_data.TensorDataset is TensorDataset
    assert utils_data.Dataset is Dataset


@pytest.mark.parametrize("lengths", [[3, 7], [0.3, 0.3, 0.4], [0.33, 0.33, 0.34], [-1, 11], [10], [0.5, 0.5]])
def test_random_split_sizes_like_torch(lengths):
    theirs = tdata.random_split(tdata.TensorDataset(torch.arange(10)), lengths,
                                generator=torch.Generator().manual_seed(0))
    ours = npconv.data.random_split(TensorDataset(np.arange(10)), lengths, generator=0)
    assert [len(p) for p in ours] == [len(p) for p in theirs]
    together = sorted(i for part in ours for i in part.indices)
    assert together == list(range(10))  # a partition
    for part in ours:
        for position, index in enumerate(part.indices):
            assert int(part[position][0].item()) == index


@pytest.mark.parametrize("lengths, message", [([3, 8], "Sum of input lengths does not equal"),
                                              ([0.5, 0.6], "Sum of input lengths does not equal"),
                                              ([0.5, -0.5, 1.0], "Fraction at index 1 is not between 0 and 1")])
def test_random_split_errors_like_torch(lengths, message):
    with pytest.raises(ValueError, match=message):
        tdata.random_split(tdata.TensorDataset(torch.arange(10)), lengths)
    with pytest.raises(ValueError, match=message):
        npconv.data.random_split(TensorDataset(np.arange(10)), lengths)


def test_random_split_warns_on_empty_part_like_torch():
    with pytest.warns(UserWarning, match="Length of split at index 2 is 0"):
        tdata.random_split(tdata.TensorDataset(torch.arange(2)), [0.5, 0.5, 0.0])
    with pytest.warns(UserWarning, match="Length of split at index 2 is 0"):
        npconv.data.random_split(TensorDataset(np.arange(2)), [0.5, 0.5, 0.0])


def test_subset_through_the_loader_fast_and_generic():
    x, y = make_arrays(12)
    subset = npconv.data.Subset(TensorDataset(x, y), [5, 2, 9, 0, 7])
    batches = list(DataLoader(subset, batch_size=2))
    assert [b[1].numpy().tolist() for b in batches] == [[5, 2], [9, 0], [7]]
    np.testing.assert_array_equal(batches[0][0].numpy(), x[[5, 2]])
    generic = npconv.data.Subset(Squares(), [6, 1, 3])
    assert not hasattr(generic, "batch")
    assert [b[1].numpy().tolist() for b in DataLoader(generic, batch_size=2)] == [[6, 1], [3]]


# ---- torch's whole signature: samplers, batch_sampler, batch_size=None, errors, warnings ----

def both_loaders(make_dataset, **kwargs):
    """The plain batches of one epoch of torch's and npconv's DataLoader over ``make_dataset(module)``."""
    from tests.data.batches import epoch
    return (epoch(npconv.utils.data.DataLoader(make_dataset(npconv), **kwargs)),
            epoch(tdata.DataLoader(make_dataset(torch), **kwargs)))


def tensors(m):
    return m.utils.data.TensorDataset(m.arange(12.0).reshape(6, 2), m.arange(6))


def test_signature_is_torchs():
    import inspect
    ours = inspect.signature(DataLoader)
    theirs = inspect.signature(tdata.DataLoader)
    assert list(ours.parameters)[:len(theirs.parameters)] == list(theirs.parameters)
    for name, parameter in theirs.parameters.items():
        assert ours.parameters[name].default == parameter.default, name
        assert ours.parameters[name].kind == parameter.kind, name


@pytest.mark.parametrize("kwargs", [
    dict(batch_size=4), dict(batch_size=4, drop_last=True), dict(batch_size=None),
    dict(batch_sampler=[[5, 0], [2], [1, 3, 4]]), dict(sampler=[5, 3, 1], batch_size=2),
    dict(batch_size=2, collate_fn=lambda samples: [int(s[1]) for s in samples]),
    dict(batch_size=None, collate_fn=lambda sample: sample[1] * 2),
])
def test_loader_options_like_torch(kwargs):
    ours, theirs = both_loaders(tensors, **kwargs)
    assert ours == theirs


def test_batch_size_none_over_plain_samples_like_torch():
    ours, theirs = both_loaders(lambda m: [np.zeros(2), (1, np.float32(2.0)), {"a": np.ones(1)}], batch_size=None)
    assert ours == theirs


def test_len_like_torch():
    for kwargs in (dict(batch_size=4), dict(batch_size=4, drop_last=True), dict(batch_size=None),
                   dict(batch_sampler=[[0], [1, 2]]), dict(sampler=range(5), batch_size=2)):
        assert len(npconv.utils.data.DataLoader(tensors(npconv), **kwargs)) == \
            len(tdata.DataLoader(tensors(torch), **kwargs)), kwargs


def test_iterable_dataset_single_process_like_torch():
    def stream(m):
        class Stream(m.utils.data.IterableDataset):
            def __iter__(self):
                return iter([(i, float(i) / 2) for i in range(7)])

            def __len__(self):
                return 7
        return Stream()
    for kwargs in (dict(batch_size=3), dict(batch_size=3, drop_last=True), dict(batch_size=None)):
        ours, theirs = both_loaders(stream, **kwargs)
        assert ours == theirs
        assert len(npconv.utils.data.DataLoader(stream(npconv), **kwargs)) == \
            len(tdata.DataLoader(stream(torch), **kwargs))


def test_shuffle_with_a_sampler_class_and_generator():
    loader = npconv.utils.data.DataLoader(tensors(npconv), batch_size=2, shuffle=True,
                                          generator=npconv.Generator().manual_seed(0))
    assert type(loader.sampler).__name__ == "RandomSampler" and type(loader.batch_sampler).__name__ == "BatchSampler"
    labels = [label for _, batch in loader for label in batch.tolist()]
    assert sorted(labels) == list(range(6))
    plain_loader = npconv.utils.data.DataLoader(tensors(npconv))
    assert type(plain_loader.sampler).__name__ == "SequentialSampler" and plain_loader.collate_fn is default_collate
    assert npconv.utils.data.DataLoader(tensors(npconv), batch_size=None).collate_fn is \
        npconv.utils.data.default_convert


def test_weighted_sampler_through_the_loader():
    sampler = npconv.utils.data.WeightedRandomSampler([0, 0, 1, 0, 0, 1], 10, generator=1)
    labels = [label for _, batch in DataLoader(tensors(npconv), batch_size=4, sampler=sampler)
              for label in batch.tolist()]
    assert len(labels) == 10 and set(labels) <= {2, 5}


@pytest.mark.parametrize("kwargs", [
    dict(num_workers=-1), dict(timeout=-1), dict(prefetch_factor=2), dict(num_workers=1, prefetch_factor=-1),
    dict(persistent_workers=True), dict(sampler=[0, 1], shuffle=True),
    dict(batch_sampler=[[0]], batch_size=2), dict(batch_sampler=[[0]], shuffle=True),
    dict(batch_sampler=[[0]], sampler=[0]), dict(batch_sampler=[[0]], drop_last=True),
    dict(batch_size=None, drop_last=True), dict(multiprocessing_context="fork"),
    dict(num_workers=1, multiprocessing_context="threads"), dict(num_workers=1, multiprocessing_context=3),
    dict(batch_size=0), dict(drop_last=1),
])
def test_bad_combinations_refused_like_torch(kwargs):
    ours, theirs = assert_same_error(lambda m: m.utils.data.DataLoader(tensors(m), **kwargs))
    assert str(ours) == str(theirs)


@pytest.mark.parametrize("kwargs", [dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])])
def test_iterable_dataset_refuses_orderings_like_torch(kwargs):
    def call(m):
        class Stream(m.utils.data.IterableDataset):
            def __iter__(self):
                return iter(range(3))
        m.utils.data.DataLoader(Stream(), **kwargs)
    ours, theirs = assert_same_error(call)
    assert str(ours).split("but got")[0] == str(theirs).split("but got")[0]


@pytest.mark.parametrize("name", ["batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
                                  "persistent_workers"])
def test_frozen_attributes_like_torch(name):
    ours, theirs = assert_same_error(lambda m: setattr(m.utils.data.DataLoader(tensors(m)), name, None))
    assert str(ours) == str(theirs)
    loader = DataLoader(tensors(npconv))
    loader.num_workers = 0  # the others may change, as in torch
    loader.collate_fn = default_collate


def test_pin_memory_warns_like_torch():
    import warnings
    for m in (torch, npconv):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            next(iter(m.utils.data.DataLoader(tensors(m), pin_memory=True)))
        messages = [str(w.message) for w in caught]
        assert messages == ["'pin_memory' argument is set as true but no accelerator is found, then device "
                            "pinned memory won't be used."], (m.__name__, messages)


def test_too_many_workers_warns_like_torch():
    import os
    import warnings
    too_many = len(os.sched_getaffinity(0)) + 1
    texts = []
    for m in (torch, npconv):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            m.utils.data.DataLoader(tensors(m), num_workers=too_many)
        texts.append([str(w.message) for w in caught])
    assert texts[0] == texts[1] and len(texts[0]) == 1 and f"create {too_many} worker" in texts[0][0]
