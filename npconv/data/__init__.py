"""Data for npconv: ``Dataset``/``TensorDataset``/``DataLoader`` (as ``torch.utils.data``), the bundled
UCI handwritten digits (``load_digits``) and a reader for MNIST's IDX files (``read_idx``, ``load_mnist``).
"""
from .dataset import Dataset, Subset, TensorDataset, random_split
from .dataloader import DataLoader, default_collate
from .digits import load_digits
from .idx import load_mnist, read_idx

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split", "DataLoader", "default_collate",
           "load_digits", "load_mnist", "read_idx"]
