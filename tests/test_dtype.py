"""The dtypes' torch names (npconv/_dtype.py): each dtype carries every name torch gives it, and the
messages built from them read as torch's."""
import re

import numpy as np
import pytest
import torch

import npconv
from tests.torch_compare import assert_same_error

NAMES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]


@pytest.mark.parametrize("name", NAMES)
def test_repr_and_tensor_type_name_are_torchs(name):
    mine, theirs = getattr(npconv, name), getattr(torch, name)
    assert repr(mine) == repr(theirs)
    assert npconv.zeros(1, dtype=mine).type() == torch.zeros(1, dtype=theirs).type()
    assert "torch." + mine.tensor_type_name == torch.zeros(1, dtype=theirs).type()


@pytest.mark.parametrize("name", NAMES)
def test_scalar_name_is_the_one_torch_prints_in_messages(name):
    # torch names the dtype of a tensor it cannot write a float into by its scalar name
    other = torch.float64 if name != "float64" else torch.float32
    try:
        torch.zeros(1, dtype=getattr(torch, name)).add_(torch.ones(1, dtype=other)).sum()
        expected = None
    except RuntimeError as exc:
        expected = re.search(r"desired output type (\w+)", str(exc)).group(1)
    if expected is not None:
        assert getattr(npconv, name).scalar_name == expected
    assert getattr(npconv, name).scalar_name + "Tensor" == torch.zeros(1, dtype=getattr(torch, name)).type()[6:]


@pytest.mark.parametrize("name", NAMES)
def test_c_name_is_the_one_torch_prints_for_a_dtype_mismatch(name):
    if name == "float32":
        a, b = np.ones((2, 2), np.float32), np.ones((2, 2), np.float64)
    else:
        a, b = np.ones((2, 2), np.dtype(name)), np.ones((2, 2), np.float32)
    mine, theirs = assert_same_error(lambda m, x, y: m.mm(x, y), [a, b])
    assert str(mine) == str(theirs)
    assert getattr(npconv, name).c_name in str(theirs)


@pytest.mark.parametrize("call", [
    lambda m, x, w: m.nn.functional.linear(x.long(), w),           # was "long" (torch: "long int")
    lambda m, x, w: m.nn.functional.linear(x.double(), w),
    lambda m, x, w: x.long().add_(w.double()),                     # was "Float" for a double (torch: "Double")
    lambda m, x, w: x.int().add_(w.double()),
    lambda m, x, w: x.bool().add_(w.long()),
    lambda m, x, w: m.where(x.long(), x, x),
    lambda m, x, w: x.long().mean(),
    lambda m, x, w: m.rand(2, dtype=m.int16),
])
def test_messages_name_dtypes_as_torch(call):
    mine, theirs = assert_same_error(call, [np.ones((4, 3), np.float32), np.ones((4, 3), np.float32)])
    assert str(mine) == str(theirs)


def test_sum_with_a_dtype_converts_first():
    """``npconv.sum(x, dtype=...)`` called the op ``to_dtype`` where it meant the dtype parser."""
    x = npconv.ones(3)
    assert repr(npconv.sum(x, dtype=npconv.float64)) == repr(torch.sum(torch.ones(3), dtype=torch.float64))
