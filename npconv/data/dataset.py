"""Datasets, as ``torch.utils.data``: ``Dataset`` (the protocol) and ``TensorDataset``."""
import numpy as np

import npconv

__all__ = ["Dataset", "TensorDataset"]


class Dataset:
    """A map-style dataset: subclasses define ``__getitem__(index)`` and ``__len__()``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")


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
        return tuple(npconv.from_numpy(t.numpy()[indices]) for t in self.tensors)


def _as_tensor(value):
    if isinstance(value, np.ndarray):
        return npconv.from_numpy(value)
    if not hasattr(value, "numpy") or not hasattr(value, "shape"):
        raise TypeError(f"TensorDataset expects tensors or NumPy arrays, got {type(value).__name__}")
    return value
