"""The bundled handwritten digits: 1,797 UCI 8x8 images, resized for LeNet (see DIGITS_LICENSE.txt)."""
from pathlib import Path

import numpy as np

import npconv

__all__ = ["load_digits", "DIGITS_PATH"]

DIGITS_PATH = Path(__file__).with_name("digits.npz")
_MAX_PIXEL = 16  # the UCI images count 'on' pixels in 4x4 blocks: values 0..16


def load_digits(train=True, size=28):
    """The bundled digits as a ``TensorDataset(images, labels)``; no download needed.

    images: float32 ``(N, 1, size, size)`` in [0, 1], resized from 8x8 by bilinear interpolation
    (``npconv.nn.functional.interpolate``, ``align_corners=False``); labels: int64 ``(N,)``.
    ``train=True`` gives the 1,438 training images, ``train=False`` the 359 held-out ones (a fixed
    split, stratified by class). ``size=8`` returns the original images, only scaled.
    """
    from .dataset import TensorDataset
    split = "train" if train else "test"
    with np.load(DIGITS_PATH) as bundle:
        images, labels = bundle[f"x_{split}"], bundle[f"y_{split}"]
    pixels = npconv.from_numpy(images[:, None, :, :].astype(np.float32) / np.float32(_MAX_PIXEL))
    if size != images.shape[-1]:
        pixels = resize_bilinear(pixels, size)
    return TensorDataset(pixels, npconv.from_numpy(labels.astype(np.int64)))


def resize_bilinear(images, size):
    """Resize ``(N, C, H, W)`` images to ``(N, C, size, size)`` with npconv's own interpolate."""
    with npconv.no_grad():
        return npconv.nn.functional.interpolate(images, size=(size, size), mode="bilinear",
                                                align_corners=False)
