"""Data for npconv: datasets, samplers and the ``DataLoader`` (as ``torch.utils.data``), the bundled UCI
handwritten digits (``load_digits``) and a reader for MNIST's IDX files (``read_idx``, ``load_mnist``).
"""
from .dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset, StackDataset, Subset, TensorDataset,
                      random_split)
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
                      WeightedRandomSampler)
from .collate import default_collate, default_convert
from .worker import WorkerInfo, get_worker_info
from .dataloader import DataLoader
from .digits import load_digits
from .idx import load_mnist, read_idx

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset", "ChainDataset",
           "StackDataset", "random_split", "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler", "DataLoader", "default_collate", "default_convert",
           "get_worker_info", "WorkerInfo", "load_digits", "load_mnist", "read_idx"]
