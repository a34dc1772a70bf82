"""``npconv.utils.data``, as ``torch.utils.data``: the same objects as ``npconv.data``."""
from npconv.data import DataLoader, Dataset, Subset, TensorDataset, default_collate, random_split  # noqa: F401

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split", "DataLoader", "default_collate"]


from npconv._torch_api import module_getattr as _module_getattr  # noqa: E402

__getattr__ = _module_getattr("torch.utils.data")  # a torch name npconv lacks: NotImplementedError naming it
