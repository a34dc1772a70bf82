"""What runs inside a DataLoader worker process, as in ``torch.utils.data``: ``get_worker_info()``, the
fetch of one batch, and the loop that answers the main process's requests.

The main process sends ``(task, indices)`` on the worker's own queue and reads ``(task, batch)`` from one
shared result queue; ``None`` asks the worker to stop; a ``Resume`` asks a persistent worker to start a new
epoch (answered with the same ``Resume``). Exceptions travel back as ``WorkerError`` and are raised again in
the main process with torch's "Caught ... in DataLoader worker process N" message.
"""
import dataclasses
import os
import queue
import random
import sys
import traceback

__all__ = ["WorkerInfo", "get_worker_info", "Fetcher"]

# How often (seconds) a waiting process checks that the other side is still alive.
STATUS_CHECK_INTERVAL = 5.0

_worker_info = None


@dataclasses.dataclass(frozen=True)
class WorkerInfo:
    """About the current worker process: ``id`` (0 to num_workers - 1), ``num_workers``, ``seed`` (the
    seed npconv, ``random`` and NumPy were given) and ``dataset`` (this process's copy)."""

    id: int
    num_workers: int
    seed: int
    dataset: object
    rng: object = None
    worker_method: str = "multiprocessing"


def get_worker_info():
    """The ``WorkerInfo`` of the current DataLoader worker process; None in the main process."""
    return _worker_info


@dataclasses.dataclass(frozen=True)
class Resume:
    """A new epoch for a persistent worker: iterable datasets start over."""


@dataclasses.dataclass(frozen=True)
class Exhausted:
    """Sent by a worker whose iterable dataset has no more samples."""

    worker_id: int


class WorkerError:
    """An exception caught in a worker, carried to the main process as its type and formatted traceback."""

    def __init__(self, where):
        error = sys.exc_info()[1]
        self.error_type = type(error)
        self.text = "".join(traceback.format_exception(error))
        self.where = where

    def reraise(self):
        """Raise the same exception type, with torch's message (RuntimeError when the type will not take
        one string)."""
        message = f"Caught {self.error_type.__name__} {self.where}.\nOriginal {self.text}"
        if self.error_type is KeyError:
            message = _KeyErrorMessage(message)
        try:
            error = self.error_type(message)
        except Exception:
            raise RuntimeError(message) from None
        raise error


class _KeyErrorMessage(str):
    """KeyError quotes its argument in str(); this keeps the traceback readable, as torch does."""

    def __repr__(self):
        return self


class Fetcher:
    """Turns one entry of the index sampler into one item of the loader: a batch (auto-collation) or one
    sample (``batch_size=None``). For an iterable dataset the entry only says how many samples to take."""

    def __init__(self, dataset, iterable, auto_collation, collate_fn, drop_last):
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.stream = iter(dataset) if iterable else None

    def __call__(self, entry):
        if self.stream is not None:
            return self.collate_fn(self._from_stream(entry))
        if not self.auto_collation:
            return self.collate_fn(self.dataset[entry])
        return self._batch(entry)

    def _from_stream(self, entry):
        if not self.auto_collation:
            return next(self.stream)
        samples = list(_take(self.stream, len(entry)))
        if not samples or (self.drop_last and len(samples) < len(entry)):
            raise StopIteration
        return samples

    def _batch(self, indices):
        from .collate import default_collate
        fast_batch = getattr(self.dataset, "batch", None)
        if self.collate_fn is default_collate and callable(fast_batch):
            return list(fast_batch(indices))  # one NumPy gather per tensor, the same batch as collating items
        many = getattr(self.dataset, "__getitems__", None)
        samples = many(indices) if callable(many) else [self.dataset[index] for index in indices]
        return self.collate_fn(samples)


def _take(stream, count):
    for _ in range(count):
        try:
            yield next(stream)
        except StopIteration:
            return


def seed_worker(seed):
    """Seed npconv's global generator, ``random`` and NumPy's legacy global generator for one worker."""
    import numpy as np

    import npconv.random
    npconv.random.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)


def worker_loop(spec, index_queue, result_queue, done, worker_id, num_workers, seed, init_fn):
    """The body of worker ``worker_id``: fetch what the main process asks for until told to stop.

    ``spec`` = (dataset, iterable, auto_collation, collate_fn, drop_last), the arguments of ``Fetcher``.
    ``done`` (an Event) is set when the main process no longer reads results: then the worker leaves
    without flushing them (otherwise it waits until its last results are in the pipe).
    """
    global _worker_info
    seed_worker(seed)
    _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=spec[0])
    where = f"in DataLoader worker process {worker_id}"
    fetch, failure = None, None
    try:
        if init_fn is not None:
            init_fn(worker_id)
        fetch = Fetcher(*spec)
    except Exception:
        failure = WorkerError(where)
    parent = os.getppid()
    while os.getppid() == parent:
        try:
            request = index_queue.get(timeout=STATUS_CHECK_INTERVAL)
        except queue.Empty:
            continue
        if request is None:
            break
        if isinstance(request, Resume):
            if failure is None:
                fetch = Fetcher(*spec)
            result_queue.put((request, None))
            continue
        task, entry = request
        result_queue.put((task, _answer(fetch, failure, entry, worker_id, where)))
        del entry
    if done.is_set() or os.getppid() != parent:
        result_queue.cancel_join_thread()


def _answer(fetch, failure, entry, worker_id, where):
    """The batch for ``entry``, an ``Exhausted`` marker, or the ``WorkerError`` to raise in the main process."""
    if failure is not None:
        return failure
    try:
        return fetch(entry)
    except StopIteration:
        if fetch.stream is None:
            return WorkerError(where)
        return Exhausted(worker_id)
    except Exception:
        return WorkerError(where)
