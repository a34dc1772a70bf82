"""Ops torch builds from other ops and the small ones beside them (npconv/_ops/composite.py), torch.*'s
in-place functions and constants, against torch: values, gradients, nodes where npconv records torch's, and
shapes and dtypes of the random ones."""
import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import npconv
from tests.strategies import float_arrays
from tests.torch_compare import assert_matches_torch, assert_same_error

CALLS = {
    "fliplr": lambda m, t: t.fliplr(), "flipud": lambda m, t: m.flipud(t),
    "diff": lambda m, t: t.diff(), "diff n=2": lambda m, t: m.diff(t, n=2, dim=0),
    "diff prepend": lambda m, t: t.diff(dim=0, prepend=t[:1], append=t[-1:]),
    "select": lambda m, t: t.select(0, -1), "split_with_sizes": lambda m, t: t.split_with_sizes([1, t.shape[0] - 1]),
    "sum_to_size": lambda m, t: t.sum_to_size(1, t.shape[1]), "argwhere": lambda m, t: m.argwhere(t > 0),
    "dstack": lambda m, t: m.dstack([t, t * 2]), "column_stack": lambda m, t: m.column_stack([t, t]),
    "tensordot": lambda m, t: m.tensordot(t, t, ([1], [1])), "tensordot 1": lambda m, t: m.tensordot(t.T, t, 1),
    "std_mean": lambda m, t: m.std_mean(t, 0), "var_mean": lambda m, t: m.var_mean(t, keepdim=True),
    "dist": lambda m, t: m.dist(t, t.flip(0) + 0.25, 3), "vdot": lambda m, t: m.vdot(t[0], t[-1]),
    "msort": lambda m, t: t.msort(), "diagflat": lambda m, t: m.diagflat(t, 1),
    "rsub": lambda m, t: m.rsub(t, 2.0, alpha=3), "where method": lambda m, t: t.where(t > 0, -t),
    "broadcast_to method": lambda m, t: t.broadcast_to((2,) + tuple(t.shape)),
    "outer method": lambda m, t: t[0].outer(t[-1]), "ger": lambda m, t: m.ger(t[0], t[-1]),
    "squeeze_": lambda m, t: (t[None] * 1).squeeze_(0), "unsqueeze_": lambda m, t: (t * 1).unsqueeze_(1),
    "t_": lambda m, t: (t * 1).t_(), "transpose_": lambda m, t: (t * 1).transpose_(0, 1),
    "cumsum_": lambda m, t: (t * 1).cumsum_(1), "unfold": lambda m, t: t.unfold(1, 2, 1),
    "unfold step": lambda m, t: t.unfold(0, 1, 2), "index_copy": lambda m, t: t.index_copy(
        0, m.tensor([0]), t[-1:] * 5), "fill_diagonal_": lambda m, t: t.detach().clone().fill_diagonal_(7.0),
    "relu_ function": lambda m, t: m.relu_(t * 1), "exp_ function": lambda m, t: m.exp_(t * 1),
}


@pytest.mark.parametrize("name", sorted(CALLS))
@given(x=float_arrays(min_dims=2, max_dims=2))
def test_composite_ops_match_torch(name, x):
    x = np.tile(x, (2 if x.shape[0] < 2 else 1, 2 if x.shape[1] < 2 else 1))  # two rows and columns at least
    x[0, 0] += 0.5  # rows differ (dist)
    assert_matches_torch(CALLS[name], [x])


SAME_NODES = ["fliplr", "flipud", "diff", "select", "split_with_sizes", "dstack", "column_stack", "tensordot",
              "vdot", "diagflat", "rsub", "where method", "broadcast_to method", "outer method", "unfold", "cumsum_"]


@pytest.mark.parametrize("name", SAME_NODES)
def test_composite_ops_record_torchs_node(name):
    def node(m):
        out = CALLS[name](m, m.tensor(np.arange(1.0, 13.0).reshape(3, 4), requires_grad=True))
        return (out[0] if isinstance(out, tuple) else out).grad_fn.name()
    assert node(npconv) == node(torch)


@pytest.mark.parametrize("case", [
    "m.isin(m.tensor([1, 2, 3]), m.tensor([2]))", "m.isin(m.tensor([1, 2, 3]), m.tensor([2, 3]), invert=True)",
    "m.logspace(0, 2, 3)", "m.logspace(-1, 1, 5, base=2, dtype=m.float64)", "m.scalar_tensor(3)",
    "m.scalar_tensor(2, dtype=m.int64)", "m.combinations(m.tensor([1, 2, 3]))",
    "m.combinations(m.tensor([1, 2, 3]), 3, with_replacement=True).shape", "m.argwhere(m.tensor([[0, 1], [2, 0]]))",
    "m.zeros(3, 4).fill_diagonal_(2)", "m.zeros(5, 2).fill_diagonal_(1, wrap=True)", "m.pi", "m.e", "m.inf",
    "m.newaxis", "m.tensor([True, False, True]).diff()",
])
def test_small_cases_print_as_torch(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert repr(eval(case, {"m": npconv})) == repr(eval(case, {"m": torch}))


def test_range_is_inclusive_and_warns_as_torch():
    def run(m):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            value = m.range(0, 3, 0.5)
        return repr(value), [str(w.message) for w in caught]
    assert run(npconv) == run(torch)


@pytest.mark.parametrize("case", [
    "m.multinomial(m.tensor([0.0, 1, 0]), 2, replacement=True)", "m.multinomial(m.tensor([[1.0, 2, 3], [1, 1, 1]]), 2)",
    "m.bernoulli(m.full((2, 3), 0.5))", "m.bernoulli(m.ones(4, dtype=m.float64), p=0.2)",
])
def test_random_ops_give_torchs_shape_and_dtype(case):
    mine, theirs = eval(case, {"m": npconv}), eval(case, {"m": torch})
    assert (mine.shape, repr(mine.dtype)) == (theirs.shape, repr(theirs.dtype))


@pytest.mark.parametrize("call", [
    lambda m: m.fliplr(m.ones(3)), lambda m: m.ones(2, 3).select(1, 3), lambda m: m.ones(3).split_with_sizes([1, 1]),
    lambda m: m.multinomial(m.tensor([1.0, -1.0]), 1), lambda m: m.multinomial(m.tensor([1.0, 1.0]), 3),
    lambda m: m.ones(3).unfold(0, 4, 1), lambda m: m.tensordot(m.ones(2, 3), m.ones(4, 3), ([1], [0])),
])
def test_composite_errors_as_torch(call):
    assert_same_error(call, same_message=True)


@pytest.mark.parametrize("call", [
    lambda m, x, w: m.conv2d(x, w, None, 1, 1), lambda m, x, w: m.max_pool2d(x, 2),
    lambda m, x, w: m.conv_transpose2d(x, w.transpose(0, 1), None, 2),
    lambda m, x, w: m.avg_pool1d(x.flatten(2), 3), lambda m, x, w: m.pixel_shuffle(x.repeat(1, 2, 1, 1), 2),
    lambda m, x, w: m.dropout(x, 0.0, True), lambda m, x, w: m.layer_norm(x, [4]),
    lambda m, x, w: m.group_norm(x, 1), lambda m, x, w: m.selu(x), lambda m, x, w: m.threshold(x, 0.1, -1.0),
    lambda m, x, w: m.cosine_similarity(x, x * 2), lambda m, x, w: m.prelu(x, m.ones(1, dtype=x.dtype) * 0.2),
    lambda m, x, w: m.hardshrink(x, 0.3), lambda m, x, w: m.celu(x, 0.5),
])
def test_top_level_functional_ops_as_torch(call):
    x, w = np.random.default_rng(0).standard_normal((2, 2, 4, 4)), np.random.default_rng(1).standard_normal((3, 2, 3, 3))
    assert_matches_torch(call, [x, w])


def test_tensor_attributes_as_torch():
    def facts(m):
        x = m.zeros(3, 4)
        y = m.ones(2, requires_grad=True) * 2
        before = y.retains_grad
        y.retain_grad()
        return (x.stride(), x.T.stride(), x[:, ::2].stride(), x.expand(2, 3, 4).stride(), x.stride(-1), x.itemsize,
                x.nbytes, x.expand(2, 3, 4).nbytes, x.is_signed(), m.zeros(1, dtype=m.uint8).is_signed(),
                repr(x.layout), m.tensor([0.0]).is_nonzero(), x.is_same_size(x.T), x.is_inference(), before,
                y.retains_grad, repr(x.char().dtype), repr(x.short().dtype), m.typename(x), m.typename(1),
                m.can_cast(m.float32, m.int32), m.can_cast(m.int64, m.float16), m.is_floating_point(x),
                repr(m.unravel_index(m.tensor([5, 1]), (2, 3))), repr(m.vander(m.tensor([1, 2, 3]), N=2)),
                repr(m.trapezoid(m.tensor([1.0, 2, 4]))), repr(m.trapz(m.tensor([1.0, 2, 4]), dx=2)),
                repr(m.trapezoid(m.tensor([1.0, 2, 4]), m.tensor([0.0, 1, 3]))))
    assert facts(npconv) == facts(torch)
    assert_same_error(lambda m: m.ones(2).is_nonzero(), same_message=True)


STATISTICS = {
    "cov": lambda m, t: m.cov(t), "cov correction=0": lambda m, t: m.cov(t, correction=0),
    "cov of a row": lambda m, t: m.cov(t[0]), "corrcoef": lambda m, t: m.corrcoef(t),
    "H": lambda m, t: t.H, "mH": lambda m, t: t.mH, "adjoint": lambda m, t: t.adjoint(),
    "detach": lambda m, t: m.detach(t) * 1, "fill": lambda m, t: m.fill(t, 2.0),
    "unsafe_chunk": lambda m, t: m.unsafe_chunk(t, 2), "unsafe_split": lambda m, t: t.unsafe_split(1),
}


@pytest.mark.parametrize("name", sorted(STATISTICS))
@given(x=float_arrays(min_dims=2, max_dims=2))
def test_statistics_and_leftovers_match_torch(name, x):
    x = np.tile(x, (2 if x.shape[0] < 2 else 1, 3 if x.shape[1] < 3 else 1))
    x = x + np.arange(x.shape[1], dtype=x.dtype)  # rows that vary (corrcoef divides by their spread)
    assert_matches_torch(STATISTICS[name], [x], rtol={np.dtype(np.float32): 1e-3})


@pytest.mark.parametrize("name", ["cov", "corrcoef", "H", "adjoint"])
def test_statistics_record_torchs_node(name):
    def node(m):
        return STATISTICS[name](m, m.tensor([[0.0, 1, 2], [2, 1, 0.5]], requires_grad=True)).grad_fn.name()
    assert node(npconv) == node(torch)
