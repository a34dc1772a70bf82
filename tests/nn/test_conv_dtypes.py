"""Convolutions with operands of different dtypes raise torch's errors in torch's order and words
(npconv/nn/functional/conv.py, _check_dtypes): a bias of another dtype first ("Input type (double) and bias
type (float) should be the same", dtypes as C types), then the weight ("expected scalar type Double but found
Float"); a transposed convolution adds a float bias of another float dtype in the output's dtype."""
import itertools

import pytest

from tests.torch_compare import assert_matches_torch, assert_same_error, random_array

DTYPES = ["float64", "float32", "int64"]


def torch_refuses(op, input_dtype, weight_dtype, bias_dtype):
    """The combinations torch 2.13 refuses (the tests below check the errors are its errors)."""
    bias_differs = bias_dtype is not None and bias_dtype != input_dtype
    if op.startswith("conv_transpose"):
        return weight_dtype != input_dtype or (bias_differs and input_dtype == "int64")
    return weight_dtype != input_dtype or bias_differs


CASES = [(op, i, w, b) for op in ("conv1d", "conv2d", "conv_transpose2d")
         for i, w, b in itertools.product(DTYPES, DTYPES, DTYPES + [None]) if torch_refuses(op, i, w, b)]


def call_of(op, dims, input_dtype, weight_dtype, bias_dtype):
    def call(m):
        x = m.ones((1, 2) + (4,) * dims, dtype=getattr(m, input_dtype))
        w = m.ones((2, 2) + (3,) * dims, dtype=getattr(m, weight_dtype))
        b = None if bias_dtype is None else m.ones(2, dtype=getattr(m, bias_dtype))
        return getattr(m.nn.functional, op)(x, w, b)
    return call


@pytest.mark.parametrize("op, input_dtype, weight_dtype, bias_dtype", CASES)
def test_mixed_dtypes_raise_torchs_error(op, input_dtype, weight_dtype, bias_dtype):
    dims = 1 if op == "conv1d" else 2
    assert_same_error(lambda m: call_of(op, dims, input_dtype, weight_dtype, bias_dtype)(m), same_message=True)


@pytest.mark.parametrize("input_dtype, bias_dtype", [("float32", "float64"), ("float64", "float32")])
def test_transposed_convolution_adds_a_bias_of_another_float_dtype(input_dtype, bias_dtype):
    x, w = random_array((1, 2, 4, 4), input_dtype), random_array((2, 2, 3, 3), input_dtype, seed=1)
    b = random_array((2,), bias_dtype, seed=2)
    assert_matches_torch(lambda m, x, w, b: m.nn.functional.conv_transpose2d(x, w, b), [x, w, b])
