"""Reader for the IDX files of MNIST (``train-images-idx3-ubyte`` etc., plain or gzip-compressed).

IDX layout (big-endian): two zero bytes, one byte naming the element type, one byte with the number
of dimensions ``ndim``, then ``ndim`` uint32 sizes, then the elements in C order.
Every malformed file raises ``ValueError`` naming the file and what is wrong.
"""
import gzip
import math
import zlib
from pathlib import Path

import numpy as np

import npconv

__all__ = ["read_idx", "load_mnist"]

_IDX_TYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


def read_idx(path):
    """Read one IDX file (plain, or gzip-compressed: detected from its first bytes) as an ndarray.

    Returns an array of shape ``(d0, d1, ..., d_{ndim-1})`` in native byte order with the file's
    element type (uint8 for MNIST). Raises ``ValueError`` for a wrong magic number, an unknown type
    code, a truncated file, extra bytes after the data, or a broken gzip stream.
    """
    path = Path(path)
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise ValueError(f"{path}: truncated IDX file: {len(raw)} bytes, the 4-byte header is incomplete")
    zero1, zero2, type_code, ndim = raw[:4]
    if zero1 != 0 or zero2 != 0:
        raise ValueError(f"{path}: wrong magic number 0x{raw[:4].hex()}: an IDX file starts with two zero "
                         f"bytes, then a type code and the number of dimensions (MNIST images: 0x00000803, "
                         f"labels: 0x00000801)")
    if type_code not in _IDX_TYPES:
        known = ", ".join(f"0x{code:02X}" for code in _IDX_TYPES)
        raise ValueError(f"{path}: wrong magic number 0x{raw[:4].hex()}: unknown element type code "
                         f"0x{type_code:02X} (known: {known})")
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise ValueError(f"{path}: truncated IDX file: {len(raw)} bytes, but the header of a {ndim}-d array "
                         f"needs {header_size}")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = _IDX_TYPES[type_code]
    expected = header_size + math.prod(shape) * dtype.itemsize  # Python ints: no overflow
    if len(raw) < expected:
        raise ValueError(f"{path}: truncated IDX file: the header announces shape {shape} of {dtype.name} "
                         f"({expected} bytes in all) but the file has only {len(raw)} bytes")
    if len(raw) > expected:
        raise ValueError(f"{path}: {len(raw) - expected} unexpected bytes after the data: the header "
                         f"announces shape {shape} of {dtype.name} ({expected} bytes in all)")
    data = np.frombuffer(raw, dtype=dtype, offset=header_size).reshape(shape)
    return data.astype(dtype.newbyteorder("="))  # a writable native-order copy


def _read_bytes(path):
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such IDX file") from None
    if not raw.startswith(_GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(f"{path}: broken gzip stream (truncated or corrupt): {error}") from None


# The file names of the MNIST distribution (and of its copies with '.' in place of '-')
_MNIST_STEMS = {True: ("train-images", "train-labels"), False: ("t10k-images", "t10k-labels")}


def find_mnist_file(root, stem, kind):
    """The path of ``{stem}-idx{kind}-ubyte`` (or ``.idx``, optionally ``.gz``) in ``root`` or in
    torchvision's layout ``root/MNIST/raw``; FileNotFoundError listing the names tried."""
    names = [f"{stem}{sep}idx{kind}-ubyte{gz}" for sep in ("-", ".") for gz in ("", ".gz")]
    folders = [Path(root), Path(root) / "MNIST" / "raw", Path(root) / "raw"]
    for folder in folders:
        for name in names:
            if (folder / name).is_file():
                return folder / name
    raise FileNotFoundError(f"no MNIST file {names[0]}[.gz] in {root} (looked in "
                            f"{', '.join(map(str, folders))}); download MNIST's four IDX files into {root}")


def load_mnist(root, train=True):
    """MNIST from the IDX files in ``root`` as a ``TensorDataset(images, labels)``.

    images: float32 ``(N, 1, 28, 28)`` scaled to [0, 1]; labels: int64 ``(N,)`` in 0..9.
    ``train=False`` reads the 10,000 test images (``t10k-*``).
    """
    from .dataset import TensorDataset
    image_stem, label_stem = _MNIST_STEMS[bool(train)]
    image_path = find_mnist_file(root, image_stem, 3)
    label_path = find_mnist_file(root, label_stem, 1)
    images, labels = read_idx(image_path), read_idx(label_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(f"{image_path}: expected a 3-d uint8 array of images, got shape {images.shape} "
                         f"of {images.dtype}")
    if labels.ndim != 1 or labels.dtype != np.uint8:
        raise ValueError(f"{label_path}: expected a 1-d uint8 array of labels, got shape {labels.shape} "
                         f"of {labels.dtype}")
    if images.shape[1:] != (28, 28):
        raise ValueError(f"{image_path}: dims mismatch: MNIST images are 28x28, this file holds "
                         f"{images.shape[1]}x{images.shape[2]} images")
    if len(images) != len(labels):
        raise ValueError(f"dims mismatch: {image_path} holds {len(images)} images but {label_path} holds "
                         f"{len(labels)} labels")
    if labels.size and labels.max() > 9:
        raise ValueError(f"{label_path}: labels must be digits 0..9, found {int(labels.max())}")
    pixels = (images[:, None, :, :].astype(np.float32) / np.float32(255))
    return TensorDataset(npconv.from_numpy(pixels), npconv.from_numpy(labels.astype(np.int64)))


def is_mnist_folder(root):
    """True when ``root`` holds (directly or in MNIST/raw) the training images of MNIST."""
    try:
        find_mnist_file(root, "train-images", 3)
        return True
    except FileNotFoundError:
        return False


