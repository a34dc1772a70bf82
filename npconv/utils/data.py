"""``npconv.utils.data``, as ``torch.utils.data``: the same objects as ``npconv.data``."""
from npconv.data import (BatchSampler, ChainDataset, ConcatDataset, DataLoader, Dataset,  # noqa: F401
                         IterableDataset, RandomSampler, Sampler, SequentialSampler, StackDataset, Subset,
                         SubsetRandomSampler, TensorDataset, WeightedRandomSampler, WorkerInfo, default_collate,
                         default_convert, get_worker_info, random_split)

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset", "ChainDataset",
           "StackDataset", "random_split", "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler", "DataLoader", "default_collate", "default_convert",
           "get_worker_info", "WorkerInfo"]


from npconv._torch_api import module_getattr as _module_getattr  # noqa: E402

__getattr__ = _module_getattr("torch.utils.data")  # a torch name npconv lacks: NotImplementedError naming it
