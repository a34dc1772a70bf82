"""``DataLoader``, as ``torch.utils.data.DataLoader``: batches of a dataset, optionally shuffled."""
import math
import numbers

import numpy as np

import npconv

__all__ = ["DataLoader", "default_collate"]


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size`` samples.

    Args:
        dataset: a map-style dataset (``__getitem__`` and ``__len__``), e.g. a ``TensorDataset``.
        batch_size: samples per batch (int >= 1).
        shuffle: draw a new random order at the start of every epoch.
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        collate_fn: turns a list of samples into a batch (default: stack field by field).
        generator: an ``npconv.Generator``, a ``numpy.random.Generator`` or an int seed for the
            shuffling; by default the global generator of ``npconv.manual_seed``, so runs are
            repeatable as in torch.
        seed: npconv extension, same as ``generator=numpy.random.default_rng(seed)``.

    ``len(loader)`` is the number of batches: ``ceil(len(dataset) / batch_size)``, or
    ``floor(...)`` with ``drop_last=True``.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, collate_fn=None,
                 generator=None, seed=None):
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size < 1:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(shuffle, bool):
            raise ValueError(f"shuffle should be a bool, but got shuffle={shuffle!r}")
        if generator is not None and seed is not None:
            raise ValueError("give either generator= or seed=, not both")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.collate_fn = collate_fn
        self.generator = np.random.default_rng(seed) if seed is not None else _as_generator(generator)

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self):
        for indices in self._batches_of_indices():
            yield self._fetch(indices)

    def _batches_of_indices(self):
        n = len(self.dataset)
        order = self._rng().permutation(n) if self.shuffle else np.arange(n)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            yield order[start:start + self.batch_size]

    def _rng(self):
        if self.generator is not None:
            return self.generator
        return npconv.random.generator()

    def _fetch(self, indices):
        fast_batch = getattr(self.dataset, "batch", None)
        if self.collate_fn is None and fast_batch is not None:
            return list(fast_batch(indices))
        samples = [self.dataset[int(i)] for i in indices]
        return (self.collate_fn or default_collate)(samples)


def default_collate(samples):
    """Stack a list of samples into a batch: tensors/arrays/numbers stacked along a new first
    dimension; tuples and lists collated field by field (returned as a list, as torch does);
    dicts key by key."""
    first = samples[0]
    if isinstance(first, (tuple, list)):
        return [default_collate(list(field)) for field in zip(*samples)]
    if isinstance(first, dict):
        return {key: default_collate([s[key] for s in samples]) for key in first}
    if hasattr(first, "numpy") and hasattr(first, "shape"):
        return npconv.from_numpy(np.stack([s.numpy() for s in samples]))
    if isinstance(first, np.ndarray):
        return npconv.from_numpy(np.stack(samples))
    if isinstance(first, bool):
        return npconv.tensor(samples)
    if isinstance(first, numbers.Integral):
        return npconv.from_numpy(np.asarray(samples, dtype=np.int64))
    if isinstance(first, numbers.Real):
        return npconv.from_numpy(np.asarray(samples, dtype=np.float64))
    return samples


def _as_generator(generator):
    """None, or something with ``permutation(n)``: a numpy Generator, ``npconv.Generator`` (kept as is,
    so that a later ``manual_seed`` on it is seen), or a numpy Generator made from an int seed."""
    if isinstance(generator, numbers.Integral) and not isinstance(generator, bool):
        return np.random.default_rng(int(generator))
    if generator is None or callable(getattr(generator, "permutation", None)):
        return generator
    raise TypeError(f"generator must be a numpy.random.Generator, an npconv.Generator or an int seed, "
                    f"got {type(generator).__name__}")
