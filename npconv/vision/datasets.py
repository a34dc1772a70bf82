"""Image datasets, as ``torchvision.datasets``, read from their standard files on disk (npconv downloads
nothing): ``MNIST`` / ``FashionMNIST`` (IDX files in ``root/<Name>/raw``), ``CIFAR10`` (the python pickles in
``root/cifar-10-batches-py``) and ``ImageFolder`` (``root/<class>/<image>``). Samples are
``(PIL image, int label)`` before ``transform`` / ``target_transform``, as torchvision gives them."""
import os
import pickle
from pathlib import Path

import numpy as np

from npconv.data import Dataset

from .transforms import _pil

__all__ = ["MNIST", "FashionMNIST", "CIFAR10", "ImageFolder", "VisionDataset", "IMG_EXTENSIONS"]

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


class VisionDataset(Dataset):
    """What the image datasets share: ``root``, the transforms, and torchvision's repr."""

    def __init__(self, root, transform=None, target_transform=None):
        self.root = os.path.expanduser(root) if isinstance(root, str) else root
        self.transform, self.target_transform = transform, target_transform

    def _transformed(self, image, target):
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = [f"Number of datapoints: {len(self)}"]
        if self.root is not None:
            lines.append(f"Root location: {self.root}")
        lines += [line for line in self.extra_repr().splitlines() if line]
        if self.transform is not None or self.target_transform is not None:
            lines.append(self._standard_transform_repr())
        # as torchvision: the transform block is one multi-line entry, so only its first line is indented
        return "\n".join([f"Dataset {type(self).__name__}"] + [" " * 4 + line for line in lines])

    def _standard_transform_repr(self):
        parts = ["StandardTransform"]
        if self.transform is not None:
            parts += _labelled(repr(self.transform), "Transform: ")
        if self.target_transform is not None:
            parts += _labelled(repr(self.target_transform), "Target transform: ")
        return "\n".join(parts)


def _labelled(text, head):
    first, *rest = text.splitlines()
    return [head + first] + [" " * len(head) + line for line in rest]


def _missing(name, download, where, files):
    """The error for a dataset not on disk: torchvision's sentence, then where to put which files."""
    wanted = f"npconv does not download datasets: put {files} in {where}"
    if download:
        return RuntimeError(f"{name}: download=True, but {wanted}")
    return RuntimeError(f"Dataset not found. You can use download=True to download it ({wanted})")


class MNIST(VisionDataset):
    """MNIST digits: 60,000 training or 10,000 test 28x28 grey images (PIL mode 'L') with labels 0-9.

    Files: ``root/MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte`` (``.gz`` accepted).
    ``.data`` is a uint8 tensor (N, 28, 28), ``.targets`` an int64 tensor (N,)."""

    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five", "6 - six", "7 - seven",
               "8 - eight", "9 - nine"]

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        import npconv
        from npconv.data.idx import find_mnist_file, read_idx
        super().__init__(root, transform, target_transform)
        self.train = train
        stem = "train" if train else "t10k"
        raw = Path(root) / type(self).__name__ / "raw"
        try:
            images = read_idx(find_mnist_file(raw, f"{stem}-images", 3))
            labels = read_idx(find_mnist_file(raw, f"{stem}-labels", 1))
        except FileNotFoundError:
            raise _missing(type(self).__name__, download, raw,
                           f"{stem}-images-idx3-ubyte and {stem}-labels-idx1-ubyte (or their .gz)") from None
        self.data = npconv.from_numpy(images)
        self.targets = npconv.from_numpy(labels.astype(np.int64))

    @property
    def class_to_idx(self):
        return {name: index for index, name in enumerate(self.classes)}

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        image = _pil().fromarray(self.data.numpy()[index], mode="L")
        return self._transformed(image, int(self.targets.numpy()[index]))

    def extra_repr(self):
        return f"Split: {'Train' if self.train else 'Test'}"


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST, in MNIST's format: files in ``root/FashionMNIST/raw``."""

    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]


class CIFAR10(VisionDataset):
    """CIFAR-10: 50,000 training or 10,000 test 32x32 colour images (PIL 'RGB') in 10 classes.

    Files: ``root/cifar-10-batches-py/{data_batch_1..5, test_batch, batches.meta}`` (the python version).
    ``.data`` is a uint8 ndarray (N, 32, 32, 3), ``.targets`` a list of ints."""

    base_folder = "cifar-10-batches-py"

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform, target_transform)
        self.train = train
        folder = Path(root) / self.base_folder
        names = [f"data_batch_{i}" for i in range(1, 6)] if train else ["test_batch"]
        if not all((folder / name).is_file() for name in names + ["batches.meta"]):
            raise _missing("CIFAR10", download, folder, ", ".join(names + ["batches.meta"]) +
                           " (the extracted cifar-10-python.tar.gz)")
        batches = [_unpickle(folder / name) for name in names]
        self.data = np.vstack([batch["data"] for batch in batches]).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        self.targets = [int(label) for batch in batches for label in batch.get("labels", batch.get("fine_labels"))]
        self.classes = list(_unpickle(folder / "batches.meta")["label_names"])
        self.class_to_idx = {name: index for index, name in enumerate(self.classes)}

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        return self._transformed(_pil().fromarray(self.data[index]), self.targets[index])

    def extra_repr(self):
        return f"Split: {'Train' if self.train else 'Test'}"


def _unpickle(path):
    with open(path, "rb") as file:
        return pickle.load(file, encoding="latin1")


def _rgb_loader(path):
    with open(path, "rb") as file:
        return _pil().open(file).convert("RGB")


class ImageFolder(VisionDataset):
    """Images in ``root/<class name>/**/<file>``: classes are the sorted folder names, samples
    ``(path, class index)`` sorted by path within each class; ``loader`` opens a path (RGB PIL image)."""

    def __init__(self, root, transform=None, target_transform=None, loader=_rgb_loader, is_valid_file=None,
                 allow_empty=False):
        super().__init__(root, transform, target_transform)
        self.classes = sorted(entry.name for entry in os.scandir(root) if entry.is_dir())
        if not self.classes:
            raise FileNotFoundError(f"Couldn't find any class folder in {root}.")
        self.class_to_idx = {name: index for index, name in enumerate(self.classes)}
        valid = is_valid_file or (lambda path: path.lower().endswith(IMG_EXTENSIONS))
        self.samples = []
        for name in self.classes:
            found = [(path, self.class_to_idx[name]) for path in _files_under(os.path.join(root, name)) if valid(path)]
            if not found and not allow_empty:
                extensions = "" if is_valid_file else f"Supported extensions are: {', '.join(IMG_EXTENSIONS)}"
                raise FileNotFoundError(f"Found no valid file for the classes {name}. {extensions}")
            self.samples += found
        self.imgs = self.samples
        self.targets = [target for _, target in self.samples]
        self.loader = loader
        self.extensions = None if is_valid_file else IMG_EXTENSIONS

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, index):
        path, target = self.samples[index]
        return self._transformed(self.loader(path), target)


def _files_under(folder):
    """Every file below ``folder``, in sorted order (directories walked in sorted order)."""
    for directory, subdirectories, files in sorted(os.walk(folder, followlinks=True)):
        for name in sorted(files):
            yield os.path.join(directory, name)
