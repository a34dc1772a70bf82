"""Ops that move, pick or place elements (npconv/_ops/rearrange.py) and that write into chosen places
(npconv/_ops/placement.py) against torch on random shapes and arguments: values, gradients, node names, the
in-place forms and the errors of arguments torch refuses."""
import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import npconv
from tests.strategies import float_arrays
from tests.torch_compare import assert_matches_torch, assert_same_error


def index(m, values):
    return m.tensor(np.asarray(values, dtype=np.int64))


@st.composite
def cases(draw, min_dims=1):
    """An array and a seed for the arguments drawn from it (dims, indices, shifts)."""
    x = draw(float_arrays(min_dims=min_dims, max_dims=3))
    return x, np.random.default_rng(draw(st.integers(0, 2**32 - 1)))


def a_dim(x, rng):
    return int(rng.integers(-x.ndim, x.ndim))


# name -> (minimum dims, call(m, t, x, rng) using x's shape and rng for its arguments)
CALLS = {
    "roll": (1, lambda m, t, x, rng: t.roll(int(rng.integers(-5, 5)), a_dim(x, rng))),
    "roll flat": (1, lambda m, t, x, rng: m.roll(t, int(rng.integers(-5, 5)))),
    "roll dims": (2, lambda m, t, x, rng: t.roll((1, -2), (0, 1))),
    "rot90": (2, lambda m, t, x, rng: m.rot90(t, int(rng.integers(-3, 5)), (0, 1))),
    "tril": (2, lambda m, t, x, rng: t.tril(int(rng.integers(-2, 3)))),
    "triu": (2, lambda m, t, x, rng: m.triu(t, int(rng.integers(-2, 3)))),
    "tril_": (2, lambda m, t, x, rng: (t * 1).tril_(int(rng.integers(-2, 3)))),
    "diagonal": (2, lambda m, t, x, rng: t.diagonal(int(rng.integers(-2, 3)), 0, -1)),
    "diag_embed": (1, lambda m, t, x, rng: m.diag_embed(t, int(rng.integers(-2, 3)))),
    "diag": (1, lambda m, t, x, rng: t.reshape(-1).diag(int(rng.integers(-2, 3)))),
    "diag of a matrix": (2, lambda m, t, x, rng: t.reshape(t.shape[0], -1).diag(int(rng.integers(-1, 2)))),
    "take": (1, lambda m, t, x, rng: t.take(index(m, rng.integers(-x.size, x.size, (2, 3))))),
    "take_along_dim": (2, lambda m, t, x, rng: m.take_along_dim(
        t, index(m, rng.integers(0, x.shape[1], (x.shape[0], 2) + x.shape[2:])), 1)),
    "take_along_dim flat": (1, lambda m, t, x, rng: t.take_along_dim(index(m, rng.integers(0, x.size, 4)))),
    "index_select": (1, lambda m, t, x, rng: t.index_select(0, index(m, rng.integers(0, x.shape[0], 3)))),
    "masked_select": (1, lambda m, t, x, rng: t.masked_select(t > 0)),
    "masked_select broadcast": (2, lambda m, t, x, rng: m.masked_select(t, m.tensor(rng.random(x.shape[-1]) > .5))),
    "repeat_interleave": (1, lambda m, t, x, rng: t.repeat_interleave(2, a_dim(x, rng))),
    "repeat_interleave flat": (1, lambda m, t, x, rng: m.repeat_interleave(t, 3)),
    "repeat_interleave counts": (1, lambda m, t, x, rng: t.repeat_interleave(
        index(m, rng.integers(0, 3, x.shape[0])), dim=0)),
    "narrow": (1, lambda m, t, x, rng: t.narrow(0, int(rng.integers(0, x.shape[0])), 1)),
    "tensor_split": (1, lambda m, t, x, rng: m.tensor_split(t, int(rng.integers(1, 4)), a_dim(x, rng))),
    "tensor_split indices": (1, lambda m, t, x, rng: t.tensor_split([1, 3], 0)),
    "hsplit": (1, lambda m, t, x, rng: m.hsplit(t, [1])),
    "vsplit": (2, lambda m, t, x, rng: t.vsplit([1, 2])),
    "dsplit": (3, lambda m, t, x, rng: m.dsplit(t, x.shape[2])),
    "movedim": (2, lambda m, t, x, rng: t.movedim(a_dim(x, rng), a_dim(x, rng))),
    "moveaxis": (3, lambda m, t, x, rng: m.moveaxis(t, (0, 1), (2, 0))),
    "ravel": (1, lambda m, t, x, rng: t.transpose(0, -1).ravel()),
    "tile": (1, lambda m, t, x, rng: t.tile((2, 1))),
    # a source as large as the index (torch's own backward refuses a larger one)
    "scatter": (2, lambda m, t, x, rng: t.scatter(1, index(m, rng.integers(0, x.shape[1], (x.shape[0], 1) + x.shape[2:])),
                                                  (t * 2)[:, :1])),
    "scatter value": (2, lambda m, t, x, rng: m.scatter(t, 0, index(m, rng.integers(0, x.shape[0], (1,) + x.shape[1:])),
                                                        1.5)),
    "scatter_": (1, lambda m, t, x, rng: (t * 1).scatter_(0, index(m, [0])
                                                          .reshape((1,) * x.ndim), 3.0)),
    "scatter_add": (1, lambda m, t, x, rng: t.scatter_add(0, index(m, rng.integers(0, x.shape[0], x.shape)), t * t)),
    "scatter_add_": (1, lambda m, t, x, rng: (t * 1).scatter_add_(-1, index(m, rng.integers(0, x.shape[-1], x.shape)),
                                                                  t)),
    "index_add": (1, lambda m, t, x, rng: t.index_add(0, index(m, rng.integers(0, x.shape[0], 3)),
                                                      m.ones((3,) + x.shape[1:], dtype=t.dtype) * 2, alpha=0.5)),
    "index_add_": (1, lambda m, t, x, rng: (t * 1).index_add_(0, index(m, [0, 0]), t[:1].expand(2, *x.shape[1:]))),
    "index_fill": (1, lambda m, t, x, rng: t.index_fill(0, index(m, rng.integers(0, x.shape[0], 2)), -1.0)),
    "masked_scatter": (1, lambda m, t, x, rng: t.masked_scatter(t > 0, t * 10)),
}
for reduce in ("sum", "mean", "amax", "amin"):
    for include_self in (True, False):
        CALLS[f"scatter_reduce {reduce} {include_self}"] = (1, lambda m, t, x, rng, r=reduce, s=include_self: (
            t.scatter_reduce(0, index(m, rng.integers(0, x.shape[0], x.shape)), t * 3, r, include_self=s)))


@pytest.mark.parametrize("name", sorted(CALLS))
@given(data=st.data())
def test_ops_match_torch(name, data):
    min_dims, call = CALLS[name]
    x, rng = data.draw(cases(min_dims))
    state = rng.bit_generator.state

    def run(m, t):
        rng.bit_generator.state = state  # the same arguments for both libraries
        return call(m, t, x, rng)
    assert_matches_torch(run, [x], expect_errors=True)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_ops_record_torchs_node(name):
    min_dims, call = CALLS[name]
    shape = (3, 4, 2)[:max(min_dims, 2)]
    x = np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape)

    def node(m):
        out = call(m, m.tensor(x, requires_grad=True), x, np.random.default_rng(0))
        out = out[0] if isinstance(out, tuple) else out
        return out.grad_fn.name()
    assert node(npconv) == node(torch)


@pytest.mark.parametrize("call", [
    lambda m: m.zeros(3, 4).scatter(1, index(m, [[0], [1], [4]]), 5.0),
    lambda m: m.zeros(3, 4).scatter(1, m.tensor([[0.0], [1.0], [2.0]]), 5.0),
    lambda m: m.zeros(3, 4).scatter(1, index(m, [[0], [1], [2]]), m.ones(3, 1, dtype=m.float64)),
    lambda m: m.zeros(3, 4).scatter(1, index(m, [0, 1]), 1.0),
    lambda m: m.rot90(m.zeros(2, 2), 1, (0, 1, 2)),
    lambda m: m.zeros(2, 3).diagonal(0, 1, 1),
    lambda m: m.zeros(3, 4).narrow(0, 2, 2),
    lambda m: m.zeros(3).tensor_split(0),
    lambda m: m.hsplit(m.zeros(3, 4), 3),
    lambda m: m.vsplit(m.zeros(4), 2),
    lambda m: m.take(m.zeros(3), index(m, [3])),
    lambda m: m.zeros(3, 4).index_select(0, index(m, [[0]])),
])
def test_refusals_as_torch(call):
    assert_same_error(call, same_message=True)
