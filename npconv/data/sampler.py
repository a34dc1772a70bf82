"""Samplers, as ``torch.utils.data``: the order in which a DataLoader visits a dataset's indices.

A sampler is an iterable of indices (``SequentialSampler``, ``RandomSampler``, ``SubsetRandomSampler``,
``WeightedRandomSampler``); ``BatchSampler`` groups another sampler's indices into lists. Random samplers
draw from their ``generator`` (an ``npconv.Generator``, a numpy Generator or an int seed), else from the
global generator of ``npconv.manual_seed``: repeatable, though not torch's stream of numbers.
"""
import math
import numbers

import numpy as np

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler",
           "BatchSampler", "as_generator"]


def as_generator(generator):
    """None, or something with numpy's Generator methods: a numpy Generator, an ``npconv.Generator`` (kept
    as is, so that a later ``manual_seed`` on it is seen), or a numpy Generator made from an int seed."""
    if isinstance(generator, numbers.Integral) and not isinstance(generator, bool):
        return np.random.default_rng(int(generator))
    if generator is None or callable(getattr(generator, "permutation", None)):
        return generator
    raise TypeError(f"generator must be a numpy.random.Generator, an npconv.Generator or an int seed, "
                    f"got {type(generator).__name__}")


def rng_of(generator):
    """The generator to draw from: the given one, else npconv's global generator (looked up at each
    draw, so that ``npconv.manual_seed`` between epochs is seen)."""
    if generator is not None:
        return generator
    import npconv.random
    return npconv.random.generator()


def _is_positive_int(value):
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


class Sampler:
    """Base class of samplers: subclasses define ``__iter__`` (indices) and usually ``__len__``."""

    def __init__(self, data_source=None):
        if data_source is not None:
            import warnings
            warnings.warn("`data_source` argument is not used and will be removed in 2.2.0."
                          "You may still have custom implementation that utilizes it.", stacklevel=2)

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """Indices ``0, 1, ..., len(data_source) - 1`` in order."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """Random indices of ``data_source``: a fresh permutation per pass without ``replacement``
    (``num_samples`` beyond the length takes further permutations), else ``num_samples`` independent
    uniform draws. ``len`` is ``num_samples`` (default: the length of ``data_source``)."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        self._rng = as_generator(generator)
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement}")
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={self.num_samples}")

    @property
    def num_samples(self):
        """The number of indices one pass yields (the dataset may change size between passes)."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n, rng = len(self.data_source), rng_of(self._rng)
        if self.replacement:
            yield from rng.integers(0, n, self.num_samples).tolist()
            return
        for _ in range(self.num_samples // n):
            yield from rng.permutation(n).tolist()
        yield from rng.permutation(n)[:self.num_samples % n].tolist()

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a random order (a new one per pass)."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator
        self._rng = as_generator(generator)

    def __iter__(self):
        for position in rng_of(self._rng).permutation(len(self.indices)).tolist():
            yield self.indices[position]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices ``0..len(weights)-1`` drawn with probabilities proportional to ``weights``
    (with ``replacement`` by default; without, each index at most once). ``weights`` need not sum to 1."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if not _is_positive_int(num_samples):
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        import npconv
        weights = npconv.as_tensor(weights, dtype=npconv.double)
        if len(weights.shape) != 1:
            raise ValueError(f"weights should be a 1d sequence but given weights have shape "
                             f"{tuple(weights.shape)}")
        self.weights = weights
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator
        self._rng = as_generator(generator)

    def __iter__(self):
        probabilities = _distribution(self.weights.numpy(), self.num_samples, self.replacement)
        rng = rng_of(self._rng)
        if self.replacement:
            yield from rng.choice(len(probabilities), self.num_samples, True, probabilities).tolist()
            return
        # Without replacement: the largest p / Exp(1) keys (each index at most once, in proportion to its
        # weight); as in torch, zero-weight indices come last once the others are used up.
        keys = probabilities / rng.exponential(size=len(probabilities))
        yield from np.argsort(-keys, kind="stable")[:self.num_samples].tolist()

    def __len__(self):
        return self.num_samples


def _distribution(weights, num_samples, replacement):
    """``weights`` normalised to probabilities, refused with torch.multinomial's errors (whose texts depend
    on the path torch takes: drawing several samples with replacement names the first bad entry)."""
    if not replacement and num_samples > len(weights):
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    bad = ~(np.isfinite(weights) & (weights >= 0))
    if bad.any():
        if not (replacement and num_samples > 1):
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        first_bad = weights[np.argmax(bad)]
        raise RuntimeError("invalid multinomial distribution (encountering probability entry "
                           + ("= infinity or NaN)" if np.isinf(first_bad) else "< 0)"))
    total = weights.sum()
    if total <= 0:
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    return weights / total


class BatchSampler(Sampler):
    """Lists of ``batch_size`` consecutive indices of ``sampler``; the last, shorter list is dropped
    when ``drop_last``. ``len`` is ``len(sampler) // batch_size`` or its ceiling."""

    def __init__(self, sampler, batch_size, drop_last):
        if not _is_positive_int(batch_size):
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return math.ceil(len(self.sampler) / self.batch_size)
