"""torch's parser takes NumPy's argument names beside its own (axis= for dim=, keepdims= for keepdim=,
x/a/x1 for input, x2 for other) in every op it parses; Python-level torch functions (split, norm, unique)
refuse them. npconv has one mechanism for this (npconv/_ops/arguments.accepting_numpy_names): checked on
every reduction and along-a-dim op tutorials call that way, in both the torch.* and the method form."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from tests.strategies import float_arrays
from tests.torch_compare import assert_matches_torch, assert_same_error

# name -> call(m, x, dim, keepdim) spelled with NumPy's names
REDUCTIONS = {
    "sum": lambda m, x, d, k: m.sum(x, axis=d, keepdims=k),
    "Tensor.sum": lambda m, x, d, k: x.sum(axis=d, keepdims=k),
    "mean": lambda m, x, d, k: m.mean(x, axis=d, keepdims=k),
    "Tensor.mean": lambda m, x, d, k: x.mean(axis=d, keepdims=k),
    "std": lambda m, x, d, k: m.std(x, axis=d, keepdims=k),
    "Tensor.var": lambda m, x, d, k: x.var(axis=d, keepdims=k),
    "max": lambda m, x, d, k: m.max(x, axis=d, keepdims=k),
    "Tensor.min": lambda m, x, d, k: x.min(axis=d, keepdims=k),
    "amax": lambda m, x, d, k: m.amax(x, axis=d, keepdims=k),
    "Tensor.amin": lambda m, x, d, k: x.amin(axis=d, keepdims=k),
    "argmax": lambda m, x, d, k: m.argmax(x, axis=d, keepdims=k),
    "Tensor.argmin": lambda m, x, d, k: x.argmin(axis=d, keepdims=k),
    "all": lambda m, x, d, k: m.all(x > 0, axis=d, keepdims=k),
    "Tensor.any": lambda m, x, d, k: (x > 0).any(axis=d, keepdims=k),
    "prod": lambda m, x, d, k: m.prod(x.detach(), axis=d, keepdims=k),
}
ALONG_DIM = {
    "cumsum": lambda m, x, d: m.cumsum(x, axis=d),
    "Tensor.cumsum": lambda m, x, d: x.cumsum(axis=d),
    "softmax": lambda m, x, d: m.softmax(x, axis=d),
    "Tensor.log_softmax": lambda m, x, d: x.log_softmax(axis=d),
    "cat": lambda m, x, d: m.cat([x, x], axis=d),
    "stack": lambda m, x, d: m.stack([x, x], axis=d),
    "Tensor.unsqueeze": lambda m, x, d: x.unsqueeze(axis=d),
    "squeeze": lambda m, x, d: m.squeeze(x, axis=d),
    "sort": lambda m, x, d: m.sort(x, axis=d),
    "chunk": lambda m, x, d: m.chunk(x, 2, axis=d),
    "flatten": lambda m, x, d: m.flatten(x),
}
OPERANDS = {
    "add": lambda m, x: m.add(x1=x, x2=x),
    "Tensor.mul": lambda m, x: x.mul(x2=x),
    "sub(input, other)": lambda m, x: m.sub(input=x, other=2.0),
    "clamp(x=)": lambda m, x: m.clamp(x=x, min=0.0),
    "sum(a=)": lambda m, x: m.sum(a=x),
    "matmul": lambda m, x: m.matmul(x1=x, x2=x.transpose(-2, -1)) if x.dim() > 1 else m.matmul(x1=x, x2=x),
}


@st.composite
def array_and_dim(draw):
    x = draw(float_arrays(min_dims=1, max_dims=3))
    return x, draw(st.integers(-x.ndim, x.ndim - 1))


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@given(case=array_and_dim(), keepdim=st.booleans())
def test_reductions_take_axis_and_keepdims(name, case, keepdim):
    x, dim = case
    assert_matches_torch(lambda m, t: REDUCTIONS[name](m, t, dim, keepdim), [x], expect_errors=True)


@pytest.mark.parametrize("name", sorted(ALONG_DIM))
@given(case=array_and_dim())
def test_ops_along_a_dim_take_axis(name, case):
    x, dim = case
    assert_matches_torch(lambda m, t: ALONG_DIM[name](m, t, dim), [x], expect_errors=True)


@pytest.mark.parametrize("name", sorted(OPERANDS))
@given(x=float_arrays(min_dims=1, max_dims=3))
def test_operands_take_numpys_names(name, x):
    assert_matches_torch(OPERANDS[name], [x])


@pytest.mark.parametrize("call", [
    lambda m, x: x.sum(dim=0, axis=0),                      # both spellings: the alias is unexpected
    lambda m, x: m.sum(x, 0, keepdims=True, keepdim=True),
    lambda m, x: m.split(x, 1, axis=0),                     # Python-level in torch: no aliases
    lambda m, x: x.split(1, axis=0),
    lambda m, x: x.norm(axis=0),
], ids=["both-dim", "both-keepdim", "split", "Tensor.split", "Tensor.norm"])
def test_both_spellings_or_a_python_level_op_refuse_the_alias(call):
    assert_same_error(call, [np.ones((2, 3))], same_message=True)
