"""``DataLoader``, as ``torch.utils.data.DataLoader``: batches of a dataset, in the main process or in
worker processes, with torch's arguments, defaults, errors and warnings."""
import itertools
import math
import multiprocessing
import os
import queue
import warnings

from .collate import default_collate, default_convert
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler, as_generator, rng_of
from .worker import STATUS_CHECK_INTERVAL, Exhausted, Fetcher, Resume, WorkerError, worker_loop

__all__ = ["DataLoader"]

# Attributes torch refuses to change once the loader is built (they fix len() and the index sampler).
_FROZEN_ATTRIBUTES = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")


class _InfiniteConstantSampler:
    """The index sampler of an iterable dataset: ``None`` forever (the dataset decides when to stop)."""

    def __iter__(self):
        return itertools.repeat(None)


class DataLoader:
    """Iterate over ``dataset`` in batches, as ``torch.utils.data.DataLoader``.

    Args (torch's, same defaults and the same mutual exclusions):
        dataset: map-style (``__getitem__``/``__len__``) or an ``IterableDataset``.
        batch_size: samples per batch; ``None`` turns batching off (each item is ``collate_fn(sample)``).
        shuffle: a new random order each epoch (a ``RandomSampler``); exclusive with ``sampler``.
        sampler / batch_sampler: custom index order / custom lists of indices (the latter exclusive with
            batch_size, shuffle, sampler and drop_last).
        num_workers: 0 loads in the main process; N > 0 starts N worker processes (``multiprocessing``;
            ``multiprocessing_context`` picks the start method), each seeded with ``base_seed + id`` and
            set up by ``worker_init_fn(id)``; ``prefetch_factor`` batches per worker are requested ahead,
            ``timeout`` seconds bounds each wait, ``persistent_workers`` keeps them between epochs.
        collate_fn: samples -> batch (default ``default_collate``; ``default_convert`` without batching).
        pin_memory, pin_memory_device: accepted; there is no accelerator, so torch's warning is given.
        drop_last: drop the last, incomplete batch.
        generator: ``npconv.Generator``, numpy Generator or int seed for shuffling and worker seeds;
            by default npconv's global generator (``npconv.manual_seed``).
        in_order: accepted (batches always arrive in order).
        seed: npconv extension, same as ``generator=numpy.random.default_rng(seed)``.

    ``len(loader)`` is the length of the batch sampler: ``ceil(len(dataset) / batch_size)``, or
    ``floor(...)`` with ``drop_last=True``.
    """

    _initialized = False

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None,
                 persistent_workers=False, pin_memory_device="", in_order=True, seed=None):
        prefetch_factor = _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers)
        if generator is not None and seed is not None:
            raise ValueError("give either generator= or seed=, not both")
        if seed is not None:
            import numpy as np
            generator = np.random.default_rng(seed)
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order
        self._iterable = isinstance(dataset, IterableDataset)
        shuffle = _check_iterable_options(dataset, shuffle, sampler, batch_sampler) if self._iterable \
            else bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        batch_size, drop_last = _check_batching(batch_size, shuffle, sampler, batch_sampler, drop_last)
        self._rng = as_generator(generator)
        if sampler is None:
            sampler = self._default_sampler(dataset, shuffle, generator)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._iterator = None
        self._initialized = True
        self.check_worker_number_rationality()

    def _default_sampler(self, dataset, shuffle, generator):
        if self._iterable:
            return _InfiniteConstantSampler()
        return RandomSampler(dataset, generator=self._rng) if shuffle else SequentialSampler(dataset)

    @property
    def multiprocessing_context(self):
        """The ``multiprocessing`` context of the workers (None: the platform's default start method)."""
        return self.__dict__["_multiprocessing_context"]

    @multiprocessing_context.setter
    def multiprocessing_context(self, context):
        if context is not None:
            if self.num_workers <= 0:
                raise ValueError(f"multiprocessing_context can only be used with multi-process loading "
                                 f"(num_workers > 0), but got num_workers={self.num_workers}")
            context = _as_context(context)
        self.__dict__["_multiprocessing_context"] = context

    def __setattr__(self, name, value):
        if self._initialized and name in _FROZEN_ATTRIBUTES:
            raise ValueError(f"{name} attribute should not be set after {type(self).__name__} is initialized")
        super().__setattr__(name, value)

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        """What the iterator draws from: lists of indices when batching, single indices otherwise."""
        return self.batch_sampler if self._auto_collation else self.sampler

    def __len__(self):
        if not self._iterable:
            return len(self._index_sampler)
        length = len(self.dataset)
        if self.batch_size is None:
            return length
        return length // self.batch_size if self.drop_last else math.ceil(length / self.batch_size)

    def __iter__(self):
        if self.num_workers == 0:
            return _SingleProcessIterator(self)
        self.check_worker_number_rationality()  # again, as torch does for every new worker iterator
        if not self.persistent_workers:
            return _MultiProcessIterator(self)
        if self._iterator is None:
            self.__dict__["_iterator"] = _MultiProcessIterator(self)
        else:
            self._iterator.reset()
        return self._iterator

    def check_worker_number_rationality(self):
        """Warn, as torch does, when there are more workers than CPUs this process may use."""
        if not self.num_workers:
            return
        usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        if usable is not None and self.num_workers <= usable:
            return
        suggestion = (f"Our suggested max number of worker in current system is {usable}"
                      f"{'' if hasattr(os, 'sched_getaffinity') else ' (`cpuset` is not taken into account)'}, "
                      f"which is smaller than what this DataLoader is going to create.") if usable is not None \
            else "DataLoader is not able to compute a suggested max number of worker in current system."
        warnings.warn(f"This DataLoader will create {self.num_workers} worker processes in total. {suggestion} "
                      "Please be aware that excessive worker creation might get DataLoader running slow or even "
                      "freeze, lower the worker number to avoid potential slowness/freeze if necessary.",
                      stacklevel=2)


def _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers):
    """torch's checks of the worker options; returns the effective prefetch_factor (2 with workers)."""
    if num_workers < 0:
        raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
    if timeout < 0:
        raise ValueError("timeout option should be non-negative")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError("prefetch_factor option could only be specified in multiprocessing.let num_workers > 0 "
                         "to enable multiprocessing, otherwise set prefetch_factor to None.")
    if num_workers > 0 and prefetch_factor is None:
        prefetch_factor = 2
    elif prefetch_factor is not None and prefetch_factor < 0:
        raise ValueError("prefetch_factor option should be non-negative")
    if persistent_workers and num_workers == 0:
        raise ValueError("persistent_workers option needs num_workers > 0")
    return prefetch_factor


def _check_iterable_options(dataset, shuffle, sampler, batch_sampler):
    """An iterable dataset orders itself: shuffle, sampler and batch_sampler must stay unspecified."""
    if shuffle not in (False, None):
        raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, "
                         f"but got shuffle={shuffle}")
    if sampler is not None:
        raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, "
                         f"but got sampler={sampler}")
    if batch_sampler is not None:
        raise ValueError(f"DataLoader with IterableDataset: expected unspecified batch_sampler option, "
                         f"but got batch_sampler={batch_sampler}")
    return shuffle


def _check_batching(batch_size, shuffle, sampler, batch_sampler, drop_last):
    """The effective (batch_size, drop_last): a batch_sampler replaces both; batch_size=None, no batches."""
    if batch_sampler is not None:
        if batch_size != 1 or shuffle or sampler is not None or drop_last:
            raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                             "and drop_last")
        return None, False
    if batch_size is None and drop_last:
        raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")
    return batch_size, drop_last


def _as_context(context):
    """A start-method name or a multiprocessing context, checked as torch checks it."""
    if isinstance(context, str):
        methods = multiprocessing.get_all_start_methods()
        if context not in methods:
            raise ValueError(f"multiprocessing_context option should specify a valid start method in "
                             f"{methods!r}, but got multiprocessing_context={context!r}")
        context = multiprocessing.get_context(context)
    if not isinstance(context, multiprocessing.context.BaseContext):
        raise TypeError(f"multiprocessing_context option should be a valid context object or a string "
                        f"specifying the start method, but got multiprocessing_context={context}")
    return context


class _BaseIterator:
    """What both iterators share: the pin_memory warnings, the index sampler, ``len``."""

    def __init__(self, loader):
        if loader.pin_memory and loader.pin_memory_device:
            warnings.warn(f"pin_memory_device is deprecated, the current accelerator will be used as the device,"
                          f"ignore pin_memory_device='{loader.pin_memory_device}'.", stacklevel=3)
        if loader.pin_memory:
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, then device pinned "
                          "memory won't be used.", stacklevel=3)
        self._loader = loader
        self._sampler_iter = iter(loader._index_sampler)

    def fetcher(self):
        """A ``Fetcher`` for this loader's dataset and collation."""
        loader = self._loader
        return Fetcher(loader.dataset, loader._iterable, loader._auto_collation, loader.collate_fn,
                       loader.drop_last)

    def __iter__(self):
        return self

    def __len__(self):
        return len(self._loader)


class _SingleProcessIterator(_BaseIterator):
    """Batches loaded in the main process, one per ``next``."""

    def __init__(self, loader):
        super().__init__(loader)
        self._fetch = self.fetcher()

    def __next__(self):
        return self._fetch(next(self._sampler_iter))


class _MultiProcessIterator(_BaseIterator):
    """Batches loaded by ``num_workers`` processes, handed out in the sampler's order.

    Requests go round-robin to the workers still active; ``prefetch_factor`` per worker are kept in flight.
    Results that arrive early wait in ``_arrived`` until their turn. A worker whose iterable dataset ends
    is retired; its outstanding requests are skipped.
    """

    def __init__(self, loader):
        super().__init__(loader)
        self._context = loader.multiprocessing_context or multiprocessing.get_context()
        self._result_queue = self._context.Queue()
        self._done = self._context.Event()
        self._index_queues, self._workers = [], []
        base_seed = int(rng_of(loader._rng).integers(0, 2**63))
        spec = (loader.dataset, loader._iterable, loader._auto_collation, loader.collate_fn, loader.drop_last)
        for worker_id in range(loader.num_workers):
            index_queue = self._context.Queue()
            index_queue.cancel_join_thread()
            process = self._context.Process(
                target=_worker_main, daemon=True,
                args=(spec, index_queue, self._result_queue, self._done, worker_id, loader.num_workers,
                      base_seed + worker_id, loader.worker_init_fn))
            process.start()
            self._index_queues.append(index_queue)
            self._workers.append(process)
        self._shut_down = False
        self._owner = os.getpid()  # a forked worker inherits this object: only its creator shuts it down
        self._start_epoch()

    def _start_epoch(self):
        self._worker_active = [True] * len(self._workers)
        self._next_worker = itertools.cycle(range(len(self._workers)))
        self._task_worker = {}   # task number -> worker, for requests not yet handed out
        self._arrived = {}       # task number -> result that came before its turn
        self._sent = self._handed_out = 0
        for _ in range(self._loader.prefetch_factor * len(self._workers)):
            self._request_next()

    def reset(self):
        """A new epoch with the same (persistent) workers: iterable datasets start over in every worker."""
        self._sampler_iter = iter(self._loader._index_sampler)
        for index_queue in self._index_queues:
            index_queue.put(Resume())
        waiting = len(self._workers)
        while waiting:  # results of an epoch left unfinished are dropped here
            task, _ = self._receive()
            waiting -= isinstance(task, Resume)
        self._start_epoch()

    def _request_next(self):
        worker = self._choose_worker()
        if worker is None:
            return
        try:
            entry = next(self._sampler_iter)
        except StopIteration:
            return
        self._index_queues[worker].put((self._sent, entry))
        self._task_worker[self._sent] = worker
        self._sent += 1

    def _choose_worker(self):
        for _ in range(len(self._workers)):
            worker = next(self._next_worker)
            if self._worker_active[worker]:
                return worker
        return None

    def __next__(self):
        while True:
            self._skip_retired_tasks()
            if self._handed_out >= self._sent:
                if not self._loader.persistent_workers:
                    self.shutdown()
                raise StopIteration
            if self._handed_out in self._arrived:
                return self._hand_out(self._arrived.pop(self._handed_out))
            task, result = self._receive()
            if isinstance(result, Exhausted):
                self._retire(result.worker_id)
                self._request_next()
            elif task == self._handed_out:
                return self._hand_out(result)
            elif task in self._task_worker:
                self._arrived[task] = result

    def _skip_retired_tasks(self):
        """Step over requests whose worker has ended its stream (they will never produce a batch)."""
        while self._handed_out < self._sent and self._handed_out not in self._arrived \
                and not self._worker_active[self._task_worker[self._handed_out]]:
            del self._task_worker[self._handed_out]
            self._handed_out += 1

    def _hand_out(self, result):
        del self._task_worker[self._handed_out]
        self._handed_out += 1
        self._request_next()
        if isinstance(result, WorkerError):
            result.reraise()
        return result

    def _retire(self, worker):
        self._worker_active[worker] = False
        if not self._loader.persistent_workers:
            self._index_queues[worker].put(None)

    def _receive(self):
        """The next (task, result) from any worker, watching the timeout and the workers' health."""
        timeout = self._loader.timeout
        while True:
            try:
                return self._result_queue.get(timeout=timeout if timeout > 0 else STATUS_CHECK_INTERVAL)
            except queue.Empty:
                if timeout > 0:
                    raise RuntimeError(f"DataLoader timed out after {timeout} seconds") from None
                self._check_workers_alive()

    def _check_workers_alive(self):
        dead = [str(process.pid) for worker, process in enumerate(self._workers)
                if self._worker_active[worker] and not process.is_alive()]
        if dead:
            self.shutdown()
            raise RuntimeError(f"DataLoader worker (pid(s) {', '.join(dead)}) exited unexpectedly")

    def shutdown(self):
        """Stop the workers (a polite request, then terminate whoever has not left within a few seconds)."""
        if self._shut_down or os.getpid() != self._owner:
            return
        self._shut_down = True
        self._done.set()
        for index_queue in self._index_queues:
            try:
                index_queue.put(None)
            except (OSError, ValueError):
                pass
        for process in self._workers:
            process.join(timeout=STATUS_CHECK_INTERVAL)
            if process.is_alive():
                process.terminate()
        for channel in self._index_queues + [self._result_queue]:
            channel.cancel_join_thread()
            channel.close()

    def __del__(self):
        if not getattr(self, "_shut_down", True):
            self.shutdown()


def _worker_main(*args):
    """Entry point of a worker process: one BLAS/kernel thread (torch's workers use one too), then the loop."""
    os.environ["NPCONV_NUM_THREADS"] = "1"
    worker_loop(*args)
