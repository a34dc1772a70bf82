"""mv, addmm/addmv/addr/baddbmm/addbmm, trace, cross, cdist, inner, kron (npconv/_ops/products.py) against
torch on random shapes: values, gradients of every operand, nodes and shape errors."""
import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import npconv
from tests.torch_compare import assert_matches_torch, assert_same_error, random_array

sizes = st.integers(1, 4)
scales = st.sampled_from([1, 0.5, -2, 0])


@given(n=sizes, k=sizes, p=sizes, b=sizes, beta=scales, alpha=scales, seed=st.integers(0, 99),
       dtype=st.sampled_from(["float32", "float64"]))
def test_fused_products_match_torch(n, k, p, b, beta, alpha, seed, dtype):
    def arr(*shape, s=0):
        return random_array(shape, dtype, seed=seed + s)
    cases = [
        (lambda m, c, x, y: m.addmm(c, x, y, beta=beta, alpha=alpha), [arr(n, p), arr(n, k, s=1), arr(k, p, s=2)]),
        (lambda m, c, x, y: c.addmm(x, y), [arr(p), arr(n, k, s=1), arr(k, p, s=2)]),
        (lambda m, c, x, y: m.addmv(c, x, y, beta=beta, alpha=alpha), [arr(n), arr(n, k, s=1), arr(k, s=2)]),
        (lambda m, c, x, y: m.addr(c, x, y, beta=beta, alpha=alpha), [arr(n, p), arr(n, s=1), arr(p, s=2)]),
        (lambda m, c, x, y: m.baddbmm(c, x, y, beta=beta, alpha=alpha),
         [arr(b, n, p), arr(b, n, k, s=1), arr(b, k, p, s=2)]),
        (lambda m, c, x, y: c.addbmm(x, y, beta=beta, alpha=alpha), [arr(n, p), arr(b, n, k, s=1), arr(b, k, p, s=2)]),
        (lambda m, c, x, y: (c * 1).addmm_(x, y), [arr(n, p), arr(n, k, s=1), arr(k, p, s=2)]),
        (lambda m, c, x, y: m.mv(x, y), [arr(1), arr(n, k, s=1), arr(k, s=2)]),
    ]
    for call, arrays in cases:
        assert_matches_torch(call, arrays)


@given(shape=st.lists(sizes, min_size=1, max_size=3), seed=st.integers(0, 99))
def test_trace_cross_inner_kron_match_torch(shape, seed):
    x, y = random_array(shape, seed=seed), random_array(shape, seed=seed + 1)
    square = random_array((shape[0], shape[-1]), seed=seed)
    assert_matches_torch(lambda m, t: m.trace(t), [square])
    assert_matches_torch(lambda m, a, b: m.inner(a, b), [x, y])
    assert_matches_torch(lambda m, a, b: m.kron(a, b), [x, random_array(shape[::-1], seed=seed + 2)])
    triples = random_array(shape + [3], seed=seed), random_array([1] * len(shape) + [3], seed=seed + 3)
    assert_matches_torch(lambda m, a, b: m.cross(a, b, dim=-1), list(triples))


@given(r1=sizes, r2=sizes, d=sizes, batch=st.sampled_from([(), (2,)]), p=st.sampled_from([0, 1, 2, 3, np.inf]),
       seed=st.integers(0, 99))
def test_cdist_matches_torch(r1, r2, d, batch, p, seed):
    x1, x2 = random_array(batch + (r1, d), seed=seed), random_array(batch + (r2, d), seed=seed + 1)
    assert_matches_torch(lambda m, a, b: m.cdist(a, b, p=p), [x1, x2])


@pytest.mark.parametrize("call", [
    lambda m, a, b: m.addmm(a, b, b), lambda m, a, b: m.mv(a, b), lambda m, a, b: m.trace(b.reshape(-1)),
    lambda m, a, b: m.cross(a, a, dim=0), lambda m, a, b: m.cdist(a, b.T),
    lambda m, a, b: m.baddbmm(a, a.reshape(1, 2, 3), b.reshape(1, 2, 3)),
])
def test_product_errors_as_torch(call):
    assert_same_error(call, [np.ones((2, 3)), np.ones((2, 3))])


@pytest.mark.parametrize("call", [
    lambda m, c, x: m.addmm(c, x, x.T), lambda m, c, x: m.addmv(c[0], x, x[0]), lambda m, c, x: m.mv(x, x[0]),
    lambda m, c, x: m.trace(c), lambda m, c, x: m.cdist(x, x), lambda m, c, x: m.cross(c, c, dim=0),
    lambda m, c, x: m.addr(c, c[0], c[0]), lambda m, c, x: m.baddbmm(c[None], x[None], x.T[None]),
])
def test_product_nodes_as_torch(call):
    def node(m):
        c = m.tensor(random_array((3, 3)), requires_grad=True)
        return call(m, c, m.tensor(random_array((3, 3), seed=1), requires_grad=True)).grad_fn.name()
    assert node(npconv) == node(torch)
