"""The bundled digits: the same samples as the UCI copy in scikit-learn, a fixed stratified split,
and the 28x28 resize equal to torch's bilinear interpolate."""
from pathlib import Path

import numpy as np
import pytest
import torch

import npconv
from npconv.data import load_digits
from npconv.data.digits import DIGITS_PATH


@pytest.fixture(scope="module")
def bundle():
    with np.load(DIGITS_PATH) as data:
        return {key: data[key] for key in data.files}


def test_split_sizes_dtypes_and_balance(bundle):
    assert bundle["x_train"].shape == (1438, 8, 8) and bundle["x_test"].shape == (359, 8, 8)
    assert all(bundle[k].dtype == np.uint8 for k in bundle)
    assert bundle["x_train"].max() == 16 and bundle["x_test"].min() == 0
    test_counts = np.bincount(bundle["y_test"], minlength=10)
    all_counts = test_counts + np.bincount(bundle["y_train"], minlength=10)
    np.testing.assert_array_equal(test_counts, np.round(all_counts * 0.2).astype(int))  # stratified 20%


def test_same_samples_as_sklearn(bundle):
    import sklearn.datasets as sklearn_datasets
    digits = sklearn_datasets.load_digits()

    def rows(images, labels):
        table = np.concatenate([images.reshape(len(images), -1), labels[:, None]], axis=1).astype(np.int64)
        return table[np.lexsort(table.T[::-1])]

    ours = rows(np.concatenate([bundle["x_train"], bundle["x_test"]]),
                np.concatenate([bundle["y_train"], bundle["y_test"]]))
    np.testing.assert_array_equal(ours, rows(digits.images, digits.target))


def test_build_script_reproduces_the_bundle(tmp_path, bundle):
    from npconv.data._build_digits import build
    with np.load(build(tmp_path / "digits.npz")) as rebuilt:
        for key, array in bundle.items():
            np.testing.assert_array_equal(rebuilt[key], array)


@pytest.mark.parametrize("train", [True, False])
def test_load_digits_resizes_like_torch(bundle, train):
    images, labels = load_digits(train=train).tensors
    raw = bundle["x_train" if train else "x_test"]
    expected = torch.nn.functional.interpolate(torch.from_numpy(raw[:, None].astype(np.float32) / 16),
                                               size=(28, 28), mode="bilinear", align_corners=False)
    assert tuple(images.shape) == (len(raw), 1, 28, 28) and images.dtype == npconv.float32
    assert labels.dtype == npconv.int64 and not images.requires_grad
    np.testing.assert_allclose(images.numpy(), expected.numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(labels.numpy(), bundle["y_train" if train else "y_test"])


def test_load_digits_other_sizes(bundle):
    images, _ = load_digits(train=False, size=8).tensors
    np.testing.assert_array_equal(images.numpy(), bundle["x_test"][:, None] / np.float32(16))
    assert tuple(load_digits(train=False, size=32).tensors[0].shape) == (359, 1, 32, 32)


def test_licence_note_ships_with_the_data():
    note = (Path(npconv.data.__file__).parent / "DIGITS_LICENSE.txt").read_text()
    assert "CC BY 4.0" in note and "Alpaydin" in note and "Kaynak" in note
