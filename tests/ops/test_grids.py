"""meshgrid, broadcast_tensors, cartesian_prod and atleast_1d/2d/3d (npconv/_ops/grids.py) against torch:
values, shapes, gradients, the graph's nodes, the warning meshgrid gives without ``indexing`` and the errors."""
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import npconv
from tests.strategies import float_arrays
from tests.torch_compare import assert_matches_torch, assert_same_error

vectors = st.lists(st.integers(0, 4), min_size=1, max_size=3).map(
    lambda sizes: [np.linspace(-1, 1, n) + i for i, n in enumerate(sizes)])


@given(arrays=vectors, indexing=st.sampled_from(["ij", "xy"]))
def test_meshgrid_matches_torch(arrays, indexing):
    assert_matches_torch(lambda m, *ts: m.meshgrid(*ts, indexing=indexing), arrays)
    assert_matches_torch(lambda m, *ts: m.meshgrid(list(ts), indexing=indexing), arrays)


@given(arrays=vectors)
def test_cartesian_prod_matches_torch(arrays):
    assert_matches_torch(lambda m, *ts: m.cartesian_prod(*ts), arrays)


@given(x=float_arrays(max_dims=3), y=float_arrays(max_dims=3))
def test_broadcast_tensors_matches_torch(x, y):
    assert_matches_torch(lambda m, a, b: m.broadcast_tensors(a, b), [x, y], expect_errors=True)


@pytest.mark.parametrize("name", ["atleast_1d", "atleast_2d", "atleast_3d"])
@given(x=float_arrays(max_dims=4), y=float_arrays(max_dims=2))
def test_atleast_matches_torch(name, x, y):
    assert_matches_torch(lambda m, a: getattr(m, name)(a), [x])
    assert_matches_torch(lambda m, a, b: getattr(m, name)(a, b), [x, y])
    assert_matches_torch(lambda m, a, b: getattr(m, name)([a, b]), [x, y])


@pytest.mark.parametrize("call", [
    lambda m, a, b: m.meshgrid(a, b, indexing="xy"), lambda m, a, b: m.cartesian_prod(a, b),
    lambda m, a, b: m.broadcast_tensors(a.reshape(3, 1), b), lambda m, a, b: m.atleast_3d(a),
    lambda m, a, b: m.atleast_2d(a), lambda m, a, b: m.atleast_1d(a.sum()), lambda m, a, b: m.atleast_3d(a.sum()),
    lambda m, a, b: m.atleast_3d(a.reshape(1, 3)),
])
def test_grid_ops_record_torchs_nodes(call):
    def nodes(m):
        a, b = m.arange(3.0, requires_grad=True), m.arange(2.0, requires_grad=True)
        out = call(m, a, b)
        return [t.grad_fn.name() for t in (out if isinstance(out, tuple) else (out,))]
    assert nodes(npconv) == nodes(torch)


def test_meshgrid_without_indexing_warns_as_torch():
    def message(m):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            m.meshgrid(m.arange(2), m.arange(3))
        (warning,) = caught
        return warning.category, str(warning.message)
    assert message(npconv) == message(torch)


@pytest.mark.parametrize("call", [
    lambda m: m.meshgrid(m.arange(2), m.arange(3), indexing="foo"),
    lambda m: m.meshgrid(m.arange(2.0), m.arange(3.0, dtype=m.float64), indexing="ij"),
    lambda m: m.meshgrid([], indexing="ij"),
    lambda m: m.broadcast_tensors(m.ones(2), m.ones(3)),
])
def test_grid_errors_like_torch(call):
    assert_same_error(call, same_message=True)


def test_meshgrid_of_a_matrix_is_refused_as_torch():
    # torch prints the tensor the C++ way in this message; the sentence before it is compared
    assert_same_error(lambda m: m.meshgrid(m.ones(2, 2), m.arange(3.0), indexing="ij"),
                      match=r"^torch\.meshgrid: Expected 0D or 1D tensor in the tensor list but got: ")
