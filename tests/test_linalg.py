"""torch.linalg (npconv/linalg.py) against torch: values and gradients of det, slogdet, inv, solve, cross and
the norms on random well-conditioned matrices; the factorisations by what is unique about them (singular
values and eigenvalues, products that rebuild A); torch's return types, node names and errors."""
import math

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import npconv
from tests.torch_compare import assert_matches_torch, assert_same_error, random_array

FLOATS = st.sampled_from([np.float32, np.float64])


@st.composite
def square_matrices(draw, batch=True):
    n = draw(st.integers(1, 4))
    lead = tuple(draw(st.lists(st.integers(1, 3), max_size=2))) if batch else ()
    dtype = draw(FLOATS)
    a = random_array(lead + (n, n), dtype, draw(st.integers(0, 2 ** 16)))
    return (a + 2 * n * np.eye(n, dtype=dtype)).astype(dtype)   # well away from singular


@given(a=square_matrices(), op=st.sampled_from(["det", "inv", "logabsdet"]))
def test_det_inv_slogdet_match_torch(a, op):
    call = {"det": lambda m, x: m.linalg.det(x), "inv": lambda m, x: m.linalg.inv(x),
            "logabsdet": lambda m, x: m.linalg.slogdet(x).logabsdet}[op]
    out = assert_matches_torch(call, [a], rtol={np.dtype(np.float32): 1e-3})
    assert type(out[0].grad_fn).__name__ == type(out[1].grad_fn).__name__


@given(a=square_matrices(batch=False), vector=st.booleans(), seed=st.integers(0, 99))
def test_solve_matches_torch(a, vector, seed):
    b = random_array((a.shape[0],) if vector else (a.shape[0], 2), a.dtype, seed)
    assert_matches_torch(lambda m, x, y: m.linalg.solve(x, y), [a, b], rtol={np.dtype(np.float32): 1e-3})


@given(shape=st.sampled_from([(3,), (2, 3), (4, 3)]), seed=st.integers(0, 99), dtype=FLOATS)
def test_cross_matches_torch(shape, seed, dtype):
    a, b = random_array(shape, dtype, seed), random_array((1,) * (len(shape) - 1) + (3,), dtype, seed + 1)
    assert_matches_torch(lambda m, x, y: m.linalg.cross(x, y), [a, b])


@given(seed=st.integers(0, 99), ord=st.sampled_from([2, 1, 3, math.inf, -math.inf, 0]),
       dim=st.sampled_from([None, 0, 1, (0, 1)]), keepdim=st.booleans())
def test_vector_norm_matches_torch(seed, ord, dim, keepdim):
    assert_matches_torch(lambda m, x: m.linalg.vector_norm(x, ord, dim, keepdim), [random_array((3, 4), seed=seed)])


@given(seed=st.integers(0, 99), ord=st.sampled_from(["fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf]),
       keepdim=st.booleans())
def test_matrix_norm_matches_torch(seed, ord, keepdim):
    assert_matches_torch(lambda m, x: m.linalg.matrix_norm(x, ord, keepdim=keepdim),
                         [random_array((2, 3, 4), seed=seed)], check_grad=ord not in (2, -2, "nuc"))


@pytest.mark.parametrize("args", [((3, 4), {}), ((3, 4), {"ord": "fro"}), ((3, 4), {"ord": 1, "dim": 1}),
                                  ((5,), {"ord": 3}), ((2, 3, 4), {"dim": (1, 2)})])
def test_norm_chooses_as_torch(args):
    shape, kwargs = args
    assert_matches_torch(lambda m, x: m.linalg.norm(x, **kwargs), [random_array(shape)])


@given(a=square_matrices())
def test_singular_values_and_eigenvalues_match_torch(a):
    assert_matches_torch(lambda m, x: m.linalg.svdvals(x), [a], rtol={np.dtype(np.float32): 1e-3})
    symmetric = (a + np.swapaxes(a, -1, -2)) / 2
    assert_matches_torch(lambda m, x: m.linalg.eigvalsh(x), [symmetric], rtol={np.dtype(np.float32): 1e-3},
                         check_grad=False)


@given(a=square_matrices())
def test_factorisations_rebuild_the_matrix(a):
    x = npconv.tensor(a)
    u, s, vh = npconv.linalg.svd(x)
    np.testing.assert_allclose((u.numpy() * s.detach().numpy()[..., None, :]) @ vh.numpy(), a, rtol=1e-3, atol=1e-4)
    q, r = npconv.linalg.qr(x)
    np.testing.assert_allclose(q.numpy() @ r.numpy(), a, rtol=1e-3, atol=1e-4)
    u, s, v = npconv.svd(x)
    np.testing.assert_allclose((u.numpy() * s.detach().numpy()[..., None, :]) @ np.swapaxes(v.numpy(), -1, -2), a,
                               rtol=1e-3, atol=1e-4)


def test_return_types_print_as_torchs():
    for lib in (torch, npconv):
        a = lib.tensor([[2.0, 1.0], [1.0, 3.0]])
        text = [repr(lib.linalg.slogdet(a)), repr(lib.linalg.eigh(a)).split("(")[0], repr(lib.linalg.svd(a))[:27],
                repr(lib.linalg.qr(a))[:25], repr(lib.svd(a))[:20]]
        if lib is torch:
            expected = text
    assert text == expected


@pytest.mark.parametrize("call, arrays", [
    (lambda m, x: m.linalg.inv(x), [np.zeros((2, 2))]),
    (lambda m, x: m.linalg.det(x), [np.zeros((2, 3))]),
    (lambda m, x: m.linalg.inv(x.long()), [np.zeros((2, 2))]),
    (lambda m, x: m.linalg.solve(x, x[0]), [np.zeros((2, 2))]),
    (lambda m, x: m.linalg.cross(x, x), [np.ones(2)]),
    (lambda m, x: m.linalg.cross(x, x[0]), [np.ones((2, 3))]),
])
def test_errors_match_torch(call, arrays):
    assert_same_error(call, arrays, same_message=True)


def test_singular_matrices_raise_linalg_errors():
    with pytest.raises(npconv.linalg.LinAlgError):
        npconv.linalg.inv(npconv.zeros(2, 2))
    assert issubclass(npconv.linalg.LinAlgError, RuntimeError)
