"""``default_collate`` and ``default_convert``, as ``torch.utils.data``: how a DataLoader turns samples into
a batch (and, with ``batch_size=None``, one sample into tensors)."""
import collections.abc
import copy

import numpy as np

__all__ = ["default_collate", "default_convert"]

_COLLATE_TYPE_ERROR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def _is_numpy_object(value):
    """ndarrays and NumPy scalars (not NumPy strings), which torch converts to tensors."""
    kind = type(value)
    return kind.__module__ == "numpy" and kind.__name__ not in ("str_", "string_", "bytes_")


def _holds_text(array):
    """String and object arrays, which have no tensor counterpart."""
    return array.dtype.kind in "SaUO"


def _rebuilt(original, items):
    """A container of ``original``'s type holding ``items`` (a dict or a list), as torch rebuilds it: a
    copy updated in place when the type is mutable, else the type called on the items, else a plain one."""
    if isinstance(original, collections.abc.MutableMapping) or isinstance(original, collections.abc.MutableSequence):
        try:
            clone = copy.copy(original)
            if isinstance(items, dict):
                clone.update(items)
            else:
                for position, item in enumerate(items):
                    clone[position] = item
            return clone
        except (TypeError, AttributeError):
            pass
    try:
        return type(original)(items)
    except TypeError:
        return items


def default_collate(batch):
    """Stack a list of samples into a batch, recursively and as torch does.

    Tensors are stacked along a new first dimension; ndarrays become tensors, then are stacked; NumPy
    scalars become a 1-d tensor of their dtype; Python floats a float64 tensor; ints (and bools) a tensor
    as ``npconv.tensor`` makes it; strings stay a sequence. Dicts are collated key by key (type kept),
    namedtuples field by field (type kept), other sequences position by position into a *list* (tuples
    included), after checking that every sample has the same length.
    """
    import npconv
    first = batch[0]
    if isinstance(first, npconv.Tensor):
        return npconv.stack(list(batch), 0)
    if _is_numpy_object(first):
        if isinstance(first, np.ndarray):
            if _holds_text(first):
                raise TypeError(_COLLATE_TYPE_ERROR.format(first.dtype))
            return default_collate([npconv.from_numpy(np.asarray(sample)) for sample in batch])
        return npconv.from_numpy(np.asarray(batch))  # NumPy scalars: keep their dtype
    if isinstance(first, float):
        return npconv.tensor(list(batch), dtype=npconv.float64)
    if isinstance(first, int):
        return npconv.tensor(list(batch))
    if isinstance(first, (str, bytes)):
        return batch
    if isinstance(first, collections.abc.Mapping):
        return _rebuilt(first, {key: default_collate([sample[key] for sample in batch]) for key in first})
    if isinstance(first, tuple) and hasattr(first, "_fields"):  # a namedtuple
        return type(first)(*(default_collate(list(field)) for field in zip(*batch)))
    if isinstance(first, collections.abc.Sequence):
        if any(len(sample) != len(first) for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [default_collate(field) for field in zip(*batch)]
        return fields if isinstance(first, tuple) else _rebuilt(first, fields)
    raise TypeError(_COLLATE_TYPE_ERROR.format(type(first)))


def default_convert(data):
    """One sample's ndarrays and NumPy scalars as tensors, recursively (the collate of ``batch_size=None``):
    tensors, numbers and strings unchanged; dicts, namedtuples and lists keep their type; tuples become
    lists, as torch does."""
    import npconv
    if isinstance(data, npconv.Tensor):
        return data
    if _is_numpy_object(data):
        if isinstance(data, np.ndarray) and _holds_text(data):
            return data
        return npconv.from_numpy(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return _rebuilt(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(item) for item in data))
    if isinstance(data, tuple):
        return [default_convert(item) for item in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuilt(data, [default_convert(item) for item in data])
    return data

