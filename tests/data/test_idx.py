"""The IDX reader on small files written here: round trips (plain and gzip) and broken files."""
import gzip
import struct

import numpy as np
import pytest
from hypothesis import given, strategies as st

from npconv.data import read_idx
from npconv.data.idx import find_mnist_file

IDX_CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D, np.float64: 0x0E}


def idx_bytes(array):
    """Encode ``array`` as an IDX file (big-endian), independently of the reader under test."""
    array = np.asarray(array)
    header = bytes([0, 0, IDX_CODES[array.dtype.type], array.ndim])
    header += b"".join(struct.pack(">I", d) for d in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write(tmp_path, name, payload, compress=False):
    path = tmp_path / name
    path.write_bytes(gzip.compress(payload) if compress else payload)
    return path


@given(dtype=st.sampled_from(list(IDX_CODES)),
       shape=st.lists(st.integers(0, 5), min_size=1, max_size=4),
       compress=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_round_trip(tmp_path_factory, dtype, shape, compress, seed):
    rng = np.random.default_rng(seed)
    array = (rng.standard_normal(shape) * 100).astype(dtype)
    path = write(tmp_path_factory.mktemp("idx"), "a.idx", idx_bytes(array), compress)
    result = read_idx(path)
    assert result.dtype == np.dtype(dtype) and result.shape == tuple(shape)
    np.testing.assert_array_equal(result, array)
    assert result.flags.writeable and result.dtype.isnative


def test_mnist_like_images_and_labels(tmp_path):
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    path = write(tmp_path, "train-images-idx3-ubyte.gz", idx_bytes(images), compress=True)
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    np.testing.assert_array_equal(read_idx(path), images)


@pytest.mark.parametrize("cut", [0, 3, 4, 7, 11, 15, 16 + 2 * 9 - 1])
def test_truncated_file_names_file_and_problem(tmp_path, cut):
    payload = idx_bytes(np.zeros((2, 3, 3), np.uint8))
    path = write(tmp_path, "short-idx3-ubyte", payload[:cut])
    with pytest.raises(ValueError, match=r"short-idx3-ubyte.*truncated"):
        read_idx(path)


def test_extra_bytes_refused(tmp_path):
    path = write(tmp_path, "long", idx_bytes(np.zeros(4, np.uint8)) + b"\x00")
    with pytest.raises(ValueError, match=r"long: 1 unexpected bytes after the data"):
        read_idx(path)


@pytest.mark.parametrize("header", [b"\x01\x00\x08\x01", b"\x00\x01\x08\x01", b"PK\x03\x04"])
def test_wrong_magic_number(tmp_path, header):
    path = write(tmp_path, "bad.idx", header + b"\x00\x00\x00\x01" + b"\x07")
    with pytest.raises(ValueError, match=r"bad\.idx: wrong magic number 0x" + header.hex()):
        read_idx(path)


def test_unknown_type_code(tmp_path):
    path = write(tmp_path, "odd.idx", b"\x00\x00\x0A\x01\x00\x00\x00\x01\x07")
    with pytest.raises(ValueError, match=r"odd\.idx: wrong magic number.*unknown element type code 0x0A"):
        read_idx(path)


def test_truncated_gzip(tmp_path):
    payload = gzip.compress(idx_bytes(np.ones((10, 10), np.uint8)))
    path = write(tmp_path, "cut.gz", payload[: len(payload) // 2])
    with pytest.raises(ValueError, match=r"cut\.gz: broken gzip stream"):
        read_idx(path)


def test_corrupt_gzip(tmp_path):
    payload = bytearray(gzip.compress(idx_bytes(np.arange(200, dtype=np.uint8))))
    payload[12:20] = b"\xff" * 8
    path = write(tmp_path, "garbled.gz", bytes(payload))
    with pytest.raises(ValueError, match=r"garbled\.gz"):
        read_idx(path)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope"):
        read_idx(tmp_path / "nope")


@given(data=st.binary(max_size=64))
def test_random_bytes_never_crash_deep(tmp_path_factory, data):
    """Any byte string either reads as a valid IDX array or raises ValueError: nothing else."""
    path = write(tmp_path_factory.mktemp("fuzz"), "fuzz", data)
    try:
        read_idx(path)
    except ValueError as error:
        assert "fuzz" in str(error)


def test_find_mnist_file_layouts(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    (raw / "t10k-labels-idx1-ubyte.gz").write_bytes(b"")
    (tmp_path / "train-images.idx3-ubyte").write_bytes(b"")
    assert find_mnist_file(tmp_path, "t10k-labels", 1) == raw / "t10k-labels-idx1-ubyte.gz"
    assert find_mnist_file(tmp_path, "train-images", 3) == tmp_path / "train-images.idx3-ubyte"
    with pytest.raises(FileNotFoundError, match="train-labels-idx1-ubyte"):
        find_mnist_file(tmp_path, "train-labels", 1)
