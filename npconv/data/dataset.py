"""Datasets, as ``torch.utils.data``: ``Dataset`` and ``IterableDataset`` (the protocols), ``TensorDataset``,
``Subset``, ``ConcatDataset``, ``ChainDataset``, ``StackDataset`` and ``random_split``."""
import bisect
import collections.abc
import itertools
import math
import warnings

import numpy as np

import npconv

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset", "ChainDataset",
           "StackDataset", "random_split"]


class Dataset:
    """A map-style dataset: subclasses define ``__getitem__(index)`` and usually ``__len__()`` (no default,
    as in torch); optionally ``__getitems__(indices)`` returning a list of samples. ``a + b`` concatenates."""

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset, collections.abc.Iterable):
    """A stream of samples: subclasses define ``__iter__``. In DataLoader worker processes each worker
    iterates its own copy (``get_worker_info()`` tells it which share to yield). ``a + b`` chains."""

    __iter__ = collections.abc.Iterable.__iter__  # abstract: a subclass without it cannot be instantiated

    def __add__(self, other):
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Samples taken along the first dimension of equally long tensors.

    ``TensorDataset(images, labels)[i] == (images[i], labels[i])``; ``.tensors`` holds the inputs.
    Arrays are accepted too and wrapped with ``npconv.from_numpy`` (no copy).
    """

    def __init__(self, *tensors):
        tensors = tuple(_as_tensor(t) for t in tensors)
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        first_dims = [t.shape[0] if len(t.shape) else None for t in tensors]
        if None in first_dims or len(set(first_dims)) != 1:
            # torch raises AssertionError("Size mismatch between tensors"); also say which sizes differ
            raise AssertionError(f"Size mismatch between tensors: first dimensions {first_dims}")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]

    def batch(self, indices):
        """The samples at ``indices`` stacked along a new first dimension, one fancy index per tensor.

        DataLoader uses this instead of indexing item by item, so a batch costs one NumPy gather.
        """
        indices = np.asarray(indices, dtype=np.int64)
        return tuple(npconv.from_numpy(t.detach().numpy()[indices]) for t in self.tensors)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order: ``Subset(d, [4, 1])[0] is d[4]``."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __getitems__(self, indices):
        """The samples at ``indices`` (the dataset's own ``__getitems__`` when it has one)."""
        inner = getattr(self.dataset, "__getitems__", None)
        if callable(inner):
            return inner([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self):
        return len(self.indices)

    @property
    def batch(self):
        """Gather a batch in one step when the underlying dataset can (a TensorDataset): DataLoader
        looks this up; it is absent (AttributeError) otherwise, and batches are collated item by item."""
        inner_batch = self.dataset.batch  # AttributeError when the dataset cannot batch

        def batch(indices):
            return inner_batch(np.asarray(self.indices, dtype=np.int64)[np.asarray(indices, dtype=np.int64)])
        return batch


class ConcatDataset(Dataset):
    """The samples of several map-style datasets one after the other; ``cumulative_sizes[i]`` is the
    length of the first ``i + 1`` datasets together."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("datasets should not be an empty iterable")
        if any(isinstance(dataset, IterableDataset) for dataset in self.datasets):
            raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = list(itertools.accumulate(len(dataset) for dataset in self.datasets))

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        if index < 0:
            if -index > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            index += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - start]


class ChainDataset(IterableDataset):
    """Several iterable datasets one after the other, chained as they are iterated."""

    def __init__(self, datasets):
        self.datasets = datasets

    def _checked(self):
        for dataset in self.datasets:
            if not isinstance(dataset, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield dataset

    def __iter__(self):
        for dataset in self._checked():
            yield from dataset

    def __len__(self):
        return sum(len(dataset) for dataset in self._checked())


class StackDataset(Dataset):
    """Datasets of equal length side by side: ``StackDataset(a, b)[i] == (a[i], b[i])``,
    ``StackDataset(x=a, y=b)[i] == {"x": a[i], "y": b[i]}``."""

    def __init__(self, *args, **kwargs):
        if args and kwargs:
            raise ValueError("Supported either ``tuple``- (via ``args``) or``dict``- (via ``kwargs``) like "
                             "input/output, but both types are given.")
        if not args and not kwargs:
            raise ValueError("At least one dataset should be passed")
        parts = args or list(kwargs.values())
        self._length = len(parts[0])
        if any(len(dataset) != self._length for dataset in parts):
            raise ValueError("Size mismatch between datasets")
        self.datasets = args or kwargs

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {key: dataset[index] for key, dataset in self.datasets.items()}
        return tuple(dataset[index] for dataset in self.datasets)

    def __len__(self):
        return self._length


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` into non-overlapping random ``Subset``s of the given ``lengths``.

    ``lengths`` are counts summing to ``len(dataset)``, or fractions summing to 1: then each part
    gets ``floor(fraction * len(dataset))`` samples and the remainder is dealt out one by one from the
    first part on, as torch does. ``generator``: an ``npconv.Generator``/numpy Generator/int seed; by
    default the global generator of ``npconv.manual_seed``.
    """
    from .sampler import as_generator
    lengths = list(lengths)
    total = sum(lengths)
    if math.isclose(total, 1) and total <= 1:
        lengths = _lengths_from_fractions(lengths, len(dataset))
    if sum(lengths) != len(dataset):
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    rng = as_generator(generator) or npconv.random.generator()
    order = rng.permutation(sum(lengths)).tolist()
    ends = itertools.accumulate(lengths)
    return [Subset(dataset, order[end - length:end]) for end, length in zip(ends, lengths)]


def _lengths_from_fractions(fractions, size):
    for i, fraction in enumerate(fractions):
        if not 0 <= fraction <= 1:
            raise ValueError(f"Fraction at index {i} is not between 0 and 1")
    lengths = [math.floor(size * fraction) for fraction in fractions]
    for i in range(size - sum(lengths)):  # deal the remainder out round-robin
        lengths[i % len(lengths)] += 1
    for i, length in enumerate(lengths):
        if length == 0:
            warnings.warn(f"Length of split at index {i} is 0. This might result in an empty dataset.",
                          stacklevel=3)
    return lengths


def _as_tensor(value):
    if isinstance(value, np.ndarray):
        return npconv.from_numpy(value)
    if not hasattr(value, "numpy") or not hasattr(value, "shape"):
        raise TypeError(f"TensorDataset expects tensors or NumPy arrays, got {type(value).__name__}")
    return value
