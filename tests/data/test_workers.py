"""DataLoader with num_workers > 0: real worker processes, torch's order, seeds, errors and options."""
import os
import time

import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import npconv
import npconv.utils.data as ndata
from tests.data.batches import epoch

# three workers on this two-core machine: torch and npconv both warn; the warning is tested in test_dataloader
pytestmark = pytest.mark.filterwarnings("ignore:This DataLoader will create")


def labelled(m):
    return m.utils.data.TensorDataset(m.arange(22.0).reshape(11, 2), m.arange(11))


def where_loaded(m):
    """A map-style dataset whose samples say which process and worker loaded them."""
    class WhereLoaded(m.utils.data.Dataset):
        def __len__(self):
            return 8

        def __getitem__(self, index):
            info = m.utils.data.get_worker_info()
            return index, os.getpid(), info.id, info.num_workers, info.seed
    return WhereLoaded()


def sharded_stream(m, length=9):
    """An IterableDataset that splits its range between workers, as torch's documentation shows."""
    class Sharded(m.utils.data.IterableDataset):
        def __iter__(self):
            info = m.utils.data.get_worker_info()
            if info is None:
                return iter(range(length))
            return iter(range(info.id, length, info.num_workers))
    return Sharded()


@pytest.mark.parametrize("kwargs", [dict(batch_size=3, num_workers=2), dict(batch_size=3, num_workers=3),
                                    dict(batch_size=4, num_workers=2, drop_last=True),
                                    dict(batch_size=None, num_workers=2), dict(batch_size=2, num_workers=1,
                                                                                prefetch_factor=1)])
def test_map_dataset_batches_in_order_like_torch(kwargs):
    ours, theirs = epoch(ndata.DataLoader(labelled(npconv), **kwargs)), epoch(tdata.DataLoader(labelled(torch), **kwargs))
    assert ours == theirs
    assert ours == epoch(ndata.DataLoader(labelled(npconv), **{**kwargs, "num_workers": 0,
                                                               "prefetch_factor": None}))


@pytest.mark.parametrize("kwargs", [dict(batch_size=2, num_workers=2), dict(batch_size=2, num_workers=3),
                                    dict(batch_size=2, num_workers=2, drop_last=True),
                                    dict(batch_size=None, num_workers=2)])
def test_iterable_dataset_shards_like_torch(kwargs):
    ours = epoch(ndata.DataLoader(sharded_stream(npconv), **kwargs))
    theirs = epoch(tdata.DataLoader(sharded_stream(torch), **kwargs))
    assert ours == theirs


def test_workers_are_other_processes_with_worker_info():
    batches = list(ndata.DataLoader(where_loaded(npconv), batch_size=2, num_workers=2))
    indices, pids, ids, counts, seeds = (sum((batch[field].tolist() for batch in batches), []) for field in range(5))
    assert indices == list(range(8)) and ids == [0, 0, 1, 1, 0, 0, 1, 1]  # round-robin, as torch
    assert os.getpid() not in pids and len(set(pids)) == 2
    assert set(counts) == {2}
    seed_of = dict(zip(ids, seeds))
    assert seed_of[1] == seed_of[0] + 1  # base seed + worker id, as torch
    assert ndata.get_worker_info() is None


def test_worker_seeds_follow_the_generator_and_seed_npconv():
    def draws(generator):
        class Draw(ndata.Dataset):
            def __len__(self):
                return 4

            def __getitem__(self, index):
                return npconv.rand(1).item(), ndata.get_worker_info().seed
        loader = ndata.DataLoader(Draw(), batch_size=1, num_workers=2, generator=generator)
        return [tuple(x.item() for x in batch) for batch in loader]
    first, again = draws(npconv.Generator().manual_seed(7)), draws(npconv.Generator().manual_seed(7))
    assert first == again
    assert first[0][0] != first[1][0]  # the two workers draw different numbers
    assert draws(npconv.Generator().manual_seed(8)) != first


def test_worker_init_fn_runs_in_each_worker():
    def init(worker_id):
        info = ndata.get_worker_info()
        info.dataset.offset = 100 * (worker_id + 1)

    class Offset(ndata.Dataset):
        offset = 0

        def __len__(self):
            return 4

        def __getitem__(self, index):
            return index + self.offset
    batches = [b.tolist() for b in ndata.DataLoader(Offset(), batch_size=1, num_workers=2, worker_init_fn=init)]
    assert batches == [[100], [201], [102], [203]]


def test_worker_error_is_raised_like_torch():
    def failing(m):
        class Failing(m.utils.data.Dataset):
            def __len__(self):
                return 4

            def __getitem__(self, index):
                if index == 2:
                    raise ValueError(f"sample {index} is broken")
                return index
        return Failing()
    messages = []
    for m in (torch, npconv):
        loader = m.utils.data.DataLoader(failing(m), batch_size=1, num_workers=2)
        with pytest.raises(ValueError) as caught:
            list(loader)
        messages.append(str(caught.value))
    for message in messages:
        assert message.startswith("Caught ValueError in DataLoader worker process 0.\nOriginal Traceback")
        assert message.endswith("ValueError: sample 2 is broken\n")


def test_worker_init_error_is_raised():
    def init(worker_id):
        raise KeyError("no config")
    with pytest.raises(KeyError, match="Caught KeyError in DataLoader worker process 0"):
        next(iter(ndata.DataLoader(labelled(npconv), num_workers=1, worker_init_fn=init)))


def test_timeout_like_torch():
    def slow(m):
        class Slow(m.utils.data.Dataset):
            def __len__(self):
                return 2

            def __getitem__(self, index):
                time.sleep(3)
                return index
        return Slow()
    for m in (torch, npconv):
        with pytest.raises(RuntimeError, match=r"^DataLoader timed out after 0.5 seconds$"):
            next(iter(m.utils.data.DataLoader(slow(m), num_workers=1, timeout=0.5)))


def test_persistent_workers_stay_between_epochs():
    loader = ndata.DataLoader(where_loaded(npconv), batch_size=4, num_workers=2, persistent_workers=True)
    pids = [{pid for batch in loader for pid in batch[1].tolist()} for _ in range(3)]
    assert pids[0] == pids[1] == pids[2] and len(pids[0]) == 2
    fresh = ndata.DataLoader(where_loaded(npconv), batch_size=4, num_workers=2)
    assert {pid for batch in fresh for pid in batch[1].tolist()}.isdisjoint(
        {pid for batch in fresh for pid in batch[1].tolist()})


def test_persistent_iterable_dataset_restarts_each_epoch_like_torch():
    kwargs = dict(batch_size=2, num_workers=2, persistent_workers=True)
    ours, theirs = ndata.DataLoader(sharded_stream(npconv), **kwargs), tdata.DataLoader(sharded_stream(torch), **kwargs)
    for _ in range(2):
        assert epoch(ours) == epoch(theirs)


def test_an_epoch_left_early_then_a_full_one():
    loader = ndata.DataLoader(labelled(npconv), batch_size=2, num_workers=2, persistent_workers=True)
    first = next(iter(loader))
    assert first[1].tolist() == [0, 1]
    assert [b[1].tolist() for b in loader] == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9], [10]]
    single = iter(ndata.DataLoader(labelled(npconv), batch_size=2, num_workers=2))
    next(single)
    workers = single._workers
    del single
    for process in workers:
        process.join(10)
        assert not process.is_alive()


def test_multiprocessing_context_by_name_and_object():
    import multiprocessing
    for context in ("spawn", multiprocessing.get_context("fork")):
        loader = ndata.DataLoader(np.arange(6.0), batch_size=4, num_workers=1, multiprocessing_context=context)
        assert isinstance(loader.multiprocessing_context, multiprocessing.context.BaseContext)
        assert [b.tolist() for b in loader] == [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0]]


def test_shuffled_epoch_with_workers_is_a_permutation():
    loader = ndata.DataLoader(labelled(npconv), batch_size=3, shuffle=True, num_workers=2, generator=3)
    labels = [label for _, batch in loader for label in batch.tolist()]
    assert sorted(labels) == list(range(11))
