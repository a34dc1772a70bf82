"""The less common activations and F's in-place forms against torch: values, gradients, node names
(in-place ones too), reprs, errors."""
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import npconv
from tests.torch_compare import assert_matches_torch, assert_module_matches_torch, assert_same_error

# kinks and thresholds included: 0, +-0.5 (the shrinks' default lambda), +-1
SPECIAL = [0.0, 0.5, -0.5, 1.0, -1.0, 30.0, -30.0]

FUNCTIONS = {
    "selu": lambda F, x: F.selu(x),
    "celu": lambda F, x: F.celu(x),
    "celu_alpha": lambda F, x: F.celu(x, alpha=0.5),
    "glu": lambda F, x: F.glu(x, 1),
    "glu_last": lambda F, x: F.glu(x),
    "logsigmoid": lambda F, x: F.logsigmoid(x),
    "softsign": lambda F, x: F.softsign(x),
    "softshrink": lambda F, x: F.softshrink(x),
    "softshrink_1": lambda F, x: F.softshrink(x, 1.0),
    "hardshrink": lambda F, x: F.hardshrink(x),
    "hardshrink_0": lambda F, x: F.hardshrink(x, 0.0),
    "tanhshrink": lambda F, x: F.tanhshrink(x),
    "rrelu_eval": lambda F, x: F.rrelu(x),
    "rrelu_eval_bounds": lambda F, x: F.rrelu(x, 0.1, 0.3),
}


@st.composite
def activation_inputs(draw):
    shape = (draw(st.integers(1, 3)), 2 * draw(st.integers(1, 2)), 2 * draw(st.integers(1, 2)))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    rng = np.random.default_rng(draw(st.integers(0, 1000)))
    x = rng.standard_normal(shape) * 2
    special = rng.random(shape) < 0.3
    x[special] = rng.choice(SPECIAL, int(special.sum()))
    return x.astype(dtype)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@settings(max_examples=15, deadline=None)
@given(x=activation_inputs())
def test_function_matches_torch(name, x):
    assert_matches_torch(lambda m, t: FUNCTIONS[name](m.nn.functional, t), [x])


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_node_names_as_torch(name):
    x = np.linspace(-2, 2, 32).reshape(2, 4, 4)
    names = []
    for m in (npconv, torch):
        y = FUNCTIONS[name](m.nn.functional, m.tensor(x, requires_grad=True))
        names.append([y.grad_fn.name()] + [n.name() for n, _ in y.grad_fn.next_functions if n is not None])
    assert names[0] == names[1]


@pytest.mark.parametrize("weight_shape", [(1,), (4,), ()])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_prelu_matches_torch_with_weight_gradient(weight_shape, dtype):
    x = np.linspace(-2, 2, 24).reshape(2, 4, 3).astype(dtype)
    weight = np.full(weight_shape, 0.3, dtype=dtype) + np.arange(int(np.prod(weight_shape))).reshape(weight_shape)
    assert_matches_torch(lambda m, x, w: m.nn.functional.prelu(x, w), [x, weight.astype(dtype)])


@pytest.mark.parametrize("factory", [
    lambda m: m.nn.PReLU(), lambda m: m.nn.PReLU(4, init=0.1), lambda m: m.nn.SELU(), lambda m: m.nn.CELU(2.0),
    lambda m: m.nn.GLU(1), lambda m: m.nn.LogSigmoid(), lambda m: m.nn.Softsign(), lambda m: m.nn.Softshrink(0.3),
    lambda m: m.nn.Hardshrink(), lambda m: m.nn.Tanhshrink(), lambda m: m.nn.RReLU(0.1, 0.3).eval(),
])
def test_layers_match_torch(factory):
    x = np.linspace(-2, 2, 24).reshape(2, 4, 3)
    assert repr(factory(npconv)) == repr(factory(torch))
    assert_module_matches_torch(lambda m: factory(m).double(), [x], train=False)


@pytest.mark.parametrize("factory", [
    lambda m: m.nn.SELU(True), lambda m: m.nn.CELU(2.0, True), lambda m: m.nn.RReLU(0.1, 0.3, True),
    lambda m: m.nn.PReLU(3, init=0.1),
])
def test_reprs_as_torch(factory):
    assert repr(factory(npconv)) == repr(factory(torch))


INPLACE = {
    "elu_": lambda F, x: F.elu_(x, 0.7),
    "leaky_relu_": lambda F, x: F.leaky_relu_(x, 0.2),
    "hardtanh_": lambda F, x: F.hardtanh_(x, -0.5, 0.5),
    "threshold_": lambda F, x: F.threshold_(x, 0.1, 2.0),
    "selu_": lambda F, x: F.selu_(x),
    "celu_": lambda F, x: F.celu_(x, 1.5),
    "rrelu_": lambda F, x: F.rrelu_(x),
    "selu_inplace": lambda F, x: F.selu(x, inplace=True),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_forms_write_into_the_input_as_torch(name):
    x = np.linspace(-2, 2, 12).reshape(3, 4)
    results = []
    for m in (npconv, torch):
        leaf = m.tensor(x, requires_grad=True)
        y = leaf * 1
        out = INPLACE[name](m.nn.functional, y)
        assert out is y
        out.sum().backward()
        results.append((y.grad_fn.name(), y.detach().numpy(), leaf.grad.numpy()))
        plain = m.tensor(x)
        INPLACE[name](m.nn.functional, plain)
        results.append(plain.numpy())
    assert results[0][0] == results[2][0]
    np.testing.assert_allclose(results[0][1], results[2][1], rtol=1e-12)
    np.testing.assert_allclose(results[0][2], results[2][2], rtol=1e-12)
    np.testing.assert_allclose(results[1], results[3], rtol=1e-12)


def test_inplace_on_a_leaf_that_requires_grad_raises_as_torch():
    assert_same_error(lambda m, x: m.nn.functional.elu_(x), [np.ones(3)], requires_grad=True, same_message=True)


def test_rrelu_training_draws_slopes_in_range():
    x = -npconv.ones(1000)
    y = npconv.nn.functional.rrelu(x, 0.1, 0.3, training=True).numpy()
    assert (y <= -0.1).all() and (y >= -0.3).all() and y.std() > 0.03


@pytest.mark.parametrize("call", [
    lambda m, x: m.nn.functional.glu(x[0, 0, :3]),
    lambda m, x: m.nn.functional.glu(x[0, 0, 0]),
    lambda m, x: m.nn.functional.softshrink(x, -1),
    lambda m, x: m.nn.functional.prelu(x, m.ones(3)),
    lambda m, x: m.nn.functional.celu(x, 0.0),
    lambda m, x: m.nn.functional.rrelu(x, 0.5, 0.1),
    lambda m, x: m.nn.functional.selu(m.ones(2, dtype=m.int64)),
])
def test_errors_as_torch(call):
    assert_same_error(call, [np.linspace(-1, 1, 24, dtype=np.float32).reshape(2, 4, 3)], same_message=True)


@pytest.mark.parametrize("hard", [False, True])
def test_gumbel_softmax_samples_as_torch_does(hard):
    """Random draws differ between the libraries: compare the distribution's shape and the graph."""
    logits = np.log(np.array([[0.7, 0.2, 0.1]] * 2000))
    results = []
    for m in (npconv, torch):
        x = m.tensor(logits, requires_grad=True)
        y = m.nn.functional.gumbel_softmax(x, tau=0.5, hard=hard)
        y.sum().backward()
        sample = y.detach().numpy()
        results.append((tuple(y.shape), y.grad_fn.name(), np.allclose(sample.sum(1), 1),
                        set(np.unique(sample)) <= {0.0, 1.0} if hard else True))
        frequencies = (sample.argmax(1)[:, None] == np.arange(3)).mean(0)
        np.testing.assert_allclose(frequencies, [0.7, 0.2, 0.1], atol=0.05)
    assert results[0] == results[1]


NON_FINITE = np.array([np.nan, np.inf, -np.inf, 0.0, 0.5, -0.5, 1e308, -1e308, 1e-310, -3.0])


@pytest.mark.parametrize("name", sorted(set(FUNCTIONS) - {"glu", "glu_last", "softsign", "tanhshrink"}) + ["celu_0.3"])
def test_non_finite_values_and_kinks_as_torch_without_warnings(name):
    """NaN stays NaN (its gradient 0 where torch gives 0), infinities saturate, and NumPy says nothing;
    celu's derivative uses 1 / float32(alpha) as torch's does."""
    call = FUNCTIONS.get(name, lambda F, x: F.celu(x, 0.3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_matches_torch(lambda m, x: call(m.nn.functional, x), [NON_FINITE], rtol=1e-15, atol=0)
