"""linear / Linear / Bilinear / Flatten / Unflatten (npconv/nn/functional/linear.py,
npconv/nn/modules/linear.py) against torch: values, gradients of input, weight and bias, errors, repr."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, strategies as st

import npconv
import npconv.nn.functional as F
from tests.torch_compare import (ABSOLUTE_TOLERANCE, assert_matches_torch, assert_same_error,
                                  assert_shape_only_matches_torch)


@given(lead=st.lists(st.integers(1, 4), max_size=3), features=st.integers(1, 6), outputs=st.integers(1, 5),
       bias=st.booleans(), dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**32 - 1))
def test_linear_matches_torch(lead, features, outputs, bias, dtype, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(tuple(lead) + (features,)).astype(dtype)
    w = rng.standard_normal((outputs, features)).astype(dtype)
    if bias:
        b = rng.standard_normal(outputs).astype(dtype)
        assert_matches_torch((F.linear, TF.linear), [x, w, b], atol=ABSOLUTE_TOLERANCE, expect_errors=True)
    else:
        assert_matches_torch((F.linear, TF.linear), [x, w], atol=ABSOLUTE_TOLERANCE, expect_errors=True)


def test_linear_with_a_vector_weight_matches_torch():
    rng = np.random.default_rng(0)
    assert_matches_torch((F.linear, TF.linear),
                         [rng.standard_normal((3, 4)), rng.standard_normal(4)], atol=ABSOLUTE_TOLERANCE)


@given(lead=st.lists(st.integers(1, 3), max_size=2), seed=st.integers(0, 2**32 - 1))
def test_bilinear_matches_torch(lead, seed):
    rng = np.random.default_rng(seed)
    x1, x2 = rng.standard_normal(tuple(lead) + (3,)), rng.standard_normal(tuple(lead) + (2,))
    assert_matches_torch((F.bilinear, TF.bilinear),
                         [x1, x2, rng.standard_normal((4, 3, 2)), rng.standard_normal(4)],
                         atol=ABSOLUTE_TOLERANCE, expect_errors=True)


def test_linear_module_shapes_init_and_repr_match_torch():
    npconv.manual_seed(0)
    ours, theirs = npconv.nn.Linear(20, 7), torch.nn.Linear(20, 7)
    assert repr(ours) == repr(theirs) == "Linear(in_features=20, out_features=7, bias=True)"
    assert repr(npconv.nn.Linear(3, 4, bias=False)) == repr(torch.nn.Linear(3, 4, bias=False))
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
           [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    assert sum(p.numel() for p in ours.parameters()) == sum(p.numel() for p in theirs.parameters()) == 147
    bound = 1 / np.sqrt(20)  # kaiming_uniform(a=sqrt(5)) and the bias both give U(-1/sqrt(20), 1/sqrt(20))
    assert np.abs(ours.weight.detach().numpy()).max() <= bound and np.abs(ours.bias.detach().numpy()).max() <= bound
    assert ours.weight.dtype == npconv.float32


def test_linear_module_computes_as_torch_with_the_same_parameters():
    theirs = torch.nn.Linear(5, 3).double()
    ours = npconv.nn.Linear(5, 3).double()
    ours.load_state_dict({k: npconv.from_numpy(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()})
    assert_matches_torch((ours, theirs), [np.random.default_rng(1).standard_normal((2, 4, 5))], atol=ABSOLUTE_TOLERANCE)


@pytest.mark.parametrize("call", [
    lambda F, lib: F.linear(lib.zeros(2, 3), lib.zeros(4, 5)),
    lambda F, lib: F.linear(lib.zeros(2, 6, 3), lib.zeros(4, 5)),
    lambda F, lib: F.linear(lib.zeros(3), lib.zeros(4, 5)),
    lambda F, lib: F.linear(lib.zeros(2, 5), lib.zeros(4, 5), lib.zeros(3)),
    lambda F, lib: F.linear(lib.tensor(1.0), lib.zeros(4, 5)),
    lambda F, lib: F.linear(lib.zeros(2, 5, dtype=lib.float64), lib.zeros(4, 5)),
])
def test_invalid_arguments_raise_like_torch(call):
    assert_same_error(lambda m: call(m.nn.functional, m), same_message=True)


@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4), data=st.data())
def test_flatten_and_unflatten_match_torch(shape, data):
    ndim = len(shape)
    start = data.draw(st.integers(-ndim, ndim - 1))
    end = data.draw(st.integers(-ndim, ndim - 1))
    x = np.random.default_rng(ndim).standard_normal(shape)
    assert_matches_torch((npconv.nn.Flatten(start, end), torch.nn.Flatten(start, end)),
                         [x], atol=ABSOLUTE_TOLERANCE, expect_errors=True)
    dim = data.draw(st.integers(-ndim, ndim - 1))
    size = shape[dim]
    split = data.draw(st.sampled_from([(size,), (1, size), (size, 1), (-1, 1)] + ([(2, size // 2)] if size % 2 == 0 else [])))
    assert_matches_torch((npconv.nn.Unflatten(dim, split), torch.nn.Unflatten(dim, split)),
                         [x], atol=ABSOLUTE_TOLERANCE, expect_errors=True)


def test_flatten_worked_example_and_reprs():
    x = npconv.zeros(8, 16, 5, 5)
    assert tuple(npconv.nn.Flatten()(x).shape) == (8, 400)
    assert repr(npconv.nn.Flatten()) == repr(torch.nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    assert repr(npconv.nn.Unflatten(1, (2, 3))) == repr(torch.nn.Unflatten(1, (2, 3)))
    with pytest.raises(RuntimeError, match="don't multiply up"):
        npconv.nn.Unflatten(1, (2, 4))(npconv.zeros(2, 6))


@pytest.mark.parametrize("shapes", [[(2, 25088), (4096, 25088), (4096,)], [(3, 2, 5), (7, 5)], [(5,), (7, 5)],
                                    [(2, 5), (5,)], [(2, 5), (3, 5), (1,)]])
def test_linear_in_shape_only_mode_does_no_matmul(shapes):
    arrays = [np.zeros(s, dtype=np.float32) for s in shapes]
    assert_shape_only_matches_torch(lambda m, *t: m.nn.functional.linear(*t), arrays)


def test_bilinear_and_the_layers_in_shape_only_mode():
    assert_shape_only_matches_torch(lambda m, a, b, w, c: m.nn.functional.bilinear(a, b, w, c),
                                    [np.zeros((2, 3)), np.zeros((2, 4)), np.zeros((5, 3, 4)), np.zeros(5)])
    model = npconv.nn.Sequential(npconv.nn.Flatten(), npconv.nn.Linear(12, 4), npconv.nn.Unflatten(1, (2, 2)))
    out = model(npconv.zeros(6, 3, 4, device="meta"))
    assert out.is_meta and tuple(out.shape) == (6, 2, 2)


@pytest.mark.parametrize("input_shape,bias", [((2, 5), True), ((2, 5), False), ((5,), True), ((3, 2, 5), True)])
def test_linear_graph_is_torch_addmm_graph(input_shape, bias):
    """torch's Linear is View <- Addmm(bias, View(x), T(W)) (Mm(x, T(W)) without bias): the blitz tutorial
    prints these nodes."""
    graphs = []
    for lib in (npconv, torch):
        layer = lib.nn.Linear(5, 4, bias=bias)
        y = layer(lib.zeros(input_shape, requires_grad=True))
        nodes = [y.grad_fn] + ([y.grad_fn.next_functions[0][0]] if len(input_shape) != 2 else [])
        graphs.append([repr(n).split(" object")[0] for n in nodes] +
                      [repr(n).split(" object")[0] for n, _ in nodes[-1].next_functions])
    assert graphs[0] == graphs[1]
