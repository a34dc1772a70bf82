"""``npconv.utils``, as ``torch.utils``: ``npconv.utils.data`` holds the datasets and the DataLoader."""
from . import data  # noqa: F401
