"""default_collate / default_convert against torch.utils.data on nested samples."""
import collections

import numpy as np
import pytest
import torch
import torch.utils.data as tdata
from hypothesis import given, strategies as st

import npconv
from npconv.data import default_collate, default_convert
from tests.data.batches import plain
from tests.torch_compare import assert_same_error

Point = collections.namedtuple("Point", "x y")


def both(make_samples, function="default_collate"):
    """``make_samples(module)`` -> samples; the plain results of torch's and npconv's ``function``."""
    return (plain(getattr(tdata, function)(make_samples(torch))),
            plain(getattr(npconv.utils.data, function)(make_samples(npconv))))


SAMPLE_MAKERS = {
    "tensors": lambda m: [m.arange(6).reshape(2, 3) * i for i in range(3)],
    "float tensors": lambda m: [m.ones(2, dtype=m.float32) / (i + 1) for i in range(2)],
    "ints": lambda m: [1, 2, 3],
    "floats": lambda m: [0.5, 1.5],
    "ints then float": lambda m: [1, 2.5],
    "bools": lambda m: [True, False, True],
    "strings": lambda m: ["a", "bc"],
    "numpy arrays": lambda m: [np.full((2, 2), i, np.float32) for i in range(3)],
    "numpy int16 arrays": lambda m: [np.arange(3, dtype=np.int16) + i for i in range(2)],
    "numpy scalars": lambda m: [np.float32(1.5), np.float32(2)],
    "numpy int32 scalars": lambda m: [np.int32(3), np.int32(4)],
    "numpy bools": lambda m: [np.bool_(True), np.bool_(False)],
    "tuples": lambda m: [(m.zeros(2), 1, "x"), (m.ones(2), 2, "y")],
    "lists": lambda m: [[1, 2.0], [3, 4.0]],
    "nested dicts": lambda m: [{"image": np.zeros(3), "meta": {"id": i, "tags": ("a", "b")}} for i in range(2)],
    "ordered dicts": lambda m: [collections.OrderedDict(b=i, a=float(i)) for i in range(3)],
    "namedtuples": lambda m: [Point(i, float(i)) for i in range(3)],
    "dict of tuples": lambda m: [{"pair": (i, np.float64(i))} for i in range(2)],
}


@pytest.mark.parametrize("name", SAMPLE_MAKERS)
def test_default_collate_like_torch(name):
    ours, theirs = both(SAMPLE_MAKERS[name])
    assert ours == theirs


@pytest.mark.parametrize("name", SAMPLE_MAKERS)
def test_default_convert_like_torch(name):
    make = SAMPLE_MAKERS[name]
    for position in range(2):
        ours, theirs = both(lambda m: make(m)[position], "default_convert")
        assert ours == theirs


def test_default_convert_of_a_tuple_is_a_list_like_torch():
    ours, theirs = both(lambda m: (np.zeros(2), 3, [np.ones(1)], "s"), "default_convert")
    assert ours == theirs and ours[0] == "list"


@given(n=st.integers(1, 5), width=st.integers(0, 4), dtype=st.sampled_from([np.float32, np.float64, np.int64]))
def test_collate_of_arrays_keeps_dtype_and_values(n, width, dtype):
    samples = [np.arange(width, dtype=dtype) * i for i in range(n)]
    ours, theirs = both(lambda m: samples)
    assert ours == theirs


@pytest.mark.parametrize("samples", [
    lambda m: [m.zeros(2), m.zeros(3)],
    lambda m: [[1, 2], [1]],
    lambda m: [object(), object()],
    lambda m: [np.array(["a"]), np.array(["b"])],
    lambda m: [np.array([object()])],
    lambda m: [None, None],
])
def test_default_collate_errors_like_torch(samples):
    ours, theirs = assert_same_error(lambda m: m.utils.data.default_collate(samples(m)))
    assert str(ours) == str(theirs)


def test_collate_worked_example():
    batch = default_collate([(np.zeros((1, 2), np.float32), 3), (np.ones((1, 2), np.float32), 5)])
    assert isinstance(batch, list) and len(batch) == 2
    assert batch[0].shape == (2, 1, 2) and batch[0].dtype == npconv.float32
    assert batch[1].tolist() == [3, 5] and batch[1].dtype == npconv.int64
    assert default_convert(np.float64(2.0)).dtype == npconv.float64
