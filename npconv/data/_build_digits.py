"""Rebuild ``digits.npz`` from scikit-learn's bundled copy of the UCI digits (maintainers only).

Not imported at run time: npconv ships the resulting ``digits.npz`` so that ``npconv demo`` needs no
download and no scikit-learn. Run ``python -m npconv.data._build_digits`` to regenerate it; the
output is byte-for-byte deterministic (fixed seed, fixed class order).

The split is stratified: 20% of each class, chosen by a seeded permutation, forms the held-out test
set, so the test set has the same class balance as the whole.
"""
import gzip
import io
from pathlib import Path

import numpy as np

TEST_FRACTION = 0.2
SPLIT_SEED = 20240601


def read_sklearn_digits():
    """The 1,797 8x8 images (uint8, 0..16) and labels from sklearn's ``digits.csv.gz``."""
    import sklearn.datasets  # only needed here, to locate the file
    path = Path(sklearn.datasets.__file__).parent / "data" / "digits.csv.gz"
    with gzip.open(path, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    images = table[:, :-1].reshape(-1, 8, 8).astype(np.uint8)
    labels = table[:, -1].astype(np.uint8)
    return images, labels


def stratified_split(labels, test_fraction=TEST_FRACTION, seed=SPLIT_SEED):
    """Indices (train, test), both sorted, with ``test_fraction`` of every class in the test part."""
    rng = np.random.default_rng(seed)
    test = []
    for digit in range(10):
        members = np.flatnonzero(labels == digit)
        n_test = int(round(len(members) * test_fraction))
        test.append(rng.permutation(members)[:n_test])
    test = np.sort(np.concatenate(test))
    train = np.setdiff1d(np.arange(len(labels)), test)
    return train, test


def build(out_path=Path(__file__).with_name("digits.npz")):
    images, labels = read_sklearn_digits()
    train, test = stratified_split(labels)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, x_train=images[train], y_train=labels[train],
                        x_test=images[test], y_test=labels[test])
    Path(out_path).write_bytes(buffer.getvalue())
    return out_path


if __name__ == "__main__":
    path = build()
    print(f"wrote {path} ({path.stat().st_size} bytes)")
