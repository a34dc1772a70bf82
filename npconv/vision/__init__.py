"""``npconv.vision``, as ``torchvision`` (and under ``npconv run`` imported as ``torchvision``): image
``transforms``, ``datasets`` read from their standard files on disk, and ``utils.make_grid``/``save_image``.
PIL images need Pillow: ``pip install 'npconv[images]'``."""
from . import datasets, transforms, utils

__all__ = ["datasets", "transforms", "utils"]
