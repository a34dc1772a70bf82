"""``npconv.utils.data``, as ``torch.utils.data``: the same objects as ``npconv.data``."""
from npconv.data import DataLoader, Dataset, TensorDataset, default_collate  # noqa: F401

__all__ = ["Dataset", "TensorDataset", "DataLoader", "default_collate"]
