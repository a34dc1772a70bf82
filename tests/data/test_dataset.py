"""Dataset classes (IterableDataset, ConcatDataset, ChainDataset, StackDataset, Subset) against torch."""
import pytest
import torch.utils.data as tdata
from hypothesis import given, strategies as st

import npconv.utils.data as ndata
from tests.data.batches import plain
from tests.torch_compare import assert_same_error


def counting(module, start, stop):
    """An IterableDataset of ``module`` yielding start..stop-1, with a length."""
    class Counting(module.IterableDataset):
        def __iter__(self):
            return iter(range(start, stop))

        def __len__(self):
            return stop - start
    return Counting()


@given(sizes=st.lists(st.integers(0, 5), min_size=1, max_size=4), data=st.data())
def test_concat_dataset_like_torch(sizes, data):
    parts = [list(range(10 * i, 10 * i + size)) for i, size in enumerate(sizes)]
    ours, theirs = ndata.ConcatDataset(parts), tdata.ConcatDataset(parts)
    assert len(ours) == len(theirs) and ours.cumulative_sizes == theirs.cumulative_sizes
    if len(theirs):
        index = data.draw(st.integers(-len(theirs), len(theirs) - 1))
        assert ours[index] == theirs[index]
    assert [ours[i] for i in range(len(ours))] == [theirs[i] for i in range(len(theirs))]


@pytest.mark.parametrize("call", [
    lambda m: m.utils.data.ConcatDataset([]),
    lambda m: m.utils.data.ConcatDataset([counting(m.utils.data, 0, 2)]),
    lambda m: m.utils.data.ConcatDataset([[1, 2]])[-3],
    lambda m: list(m.utils.data.ChainDataset([[1, 2]])),
    lambda m: len(m.utils.data.ChainDataset([counting(m.utils.data, 0, 2), [3]])),
    lambda m: m.utils.data.StackDataset([1], [2, 3]),
    lambda m: m.utils.data.StackDataset(),
    lambda m: m.utils.data.StackDataset([1], b=[2]),
    lambda m: m.utils.data.Dataset()[0],
    lambda m: len(m.utils.data.Dataset()),
    lambda m: type("NoIter", (m.utils.data.IterableDataset,), {})(),
])
def test_dataset_errors_like_torch(call):
    ours, theirs = assert_same_error(call)
    assert str(ours) == str(theirs)


def test_chain_and_add_like_torch():
    for m in (tdata, ndata):
        assert isinstance(counting(m, 0, 2) + counting(m, 5, 7), m.ChainDataset)
        assert isinstance(m.Subset([1, 2], [0]) + [9], m.ConcatDataset)
    chained = ndata.ChainDataset([counting(ndata, 0, 2), counting(ndata, 5, 7)])
    assert list(chained) == list(tdata.ChainDataset([counting(tdata, 0, 2), counting(tdata, 5, 7)])) == [0, 1, 5, 6]
    assert len(chained) == 4


def test_stack_dataset_like_torch():
    for args, kwargs in (([[1, 2], ["a", "b"]], {}), ([], {"x": [1, 2], "y": [3, 4]})):
        ours, theirs = ndata.StackDataset(*args, **kwargs), tdata.StackDataset(*args, **kwargs)
        assert len(ours) == len(theirs) == 2
        assert [ours[i] for i in range(2)] == [theirs[i] for i in range(2)]


def test_subset_like_torch():
    base = list(range(100, 110))
    ours, theirs = ndata.Subset(base, [4, 1, 7]), tdata.Subset(base, [4, 1, 7])
    assert [ours[i] for i in range(3)] == [theirs[i] for i in range(3)] and len(ours) == len(theirs)
    assert ours.__getitems__([2, 0]) == theirs.__getitems__([2, 0]) == [107, 104]


def test_loader_over_concat_and_stack_like_torch():
    def batches(m, make):
        return [plain(b) for b in m.DataLoader(make(m), batch_size=3)]
    for make in (lambda m: m.ConcatDataset([[1.0, 2.0], [3.0, 4.0, 5.0]]),
                 lambda m: m.StackDataset(image=[[0, 1]] * 4, label=list(range(4)))):
        assert batches(ndata, make) == batches(tdata, make)
