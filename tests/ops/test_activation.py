"""The one home of relu, sigmoid, tanh, softmax, log_softmax and erf (npconv/_ops/activation.py): every
entry point (``torch.*``, the Tensor method, ``F.*``) against torch, on random inputs with non-finite values
and at the edges where the old copies disagreed (relu's gradient at NaN, float32 sigmoid far below 0, erf's
gradient). torch 2.13's float32 sigmoid(-100) is exactly 0 (its kernel computes 1 / (1 + exp(100)) = 1 / inf),
not the subnormal 3.78e-44 a rearranged formula gives: the tests take torch's value as the truth."""
import numpy as np
import pytest
import torch
from hypothesis import given

import npconv
from tests.strategies import float_arrays
from tests.torch_compare import ABSOLUTE_TOLERANCE, assert_matches_torch, assert_same_error, \
    assert_shape_only_matches_torch

NON_FINITE = (0.0, -0.0, np.nan, np.inf, -np.inf, 1e4, -1e4)

# name -> the entry points torch has for it, each a call(m, x)
ENTRY_POINTS = {
    "relu": {"torch": lambda m, x: m.relu(x), "method": lambda m, x: x.relu(),
             "F": lambda m, x: m.nn.functional.relu(x)},
    "sigmoid": {"torch": lambda m, x: m.sigmoid(x), "method": lambda m, x: x.sigmoid(),
                "F": lambda m, x: m.nn.functional.sigmoid(x)},
    "tanh": {"torch": lambda m, x: m.tanh(x), "method": lambda m, x: x.tanh(),
             "F": lambda m, x: m.nn.functional.tanh(x)},
    "erf": {"torch": lambda m, x: m.erf(x), "method": lambda m, x: x.erf()},
    "softmax": {"torch": lambda m, x: m.softmax(x, -1), "method": lambda m, x: x.softmax(0),
                "F": lambda m, x: m.nn.functional.softmax(x, dim=-1)},
    "log_softmax": {"torch": lambda m, x: m.log_softmax(x, 0), "method": lambda m, x: x.log_softmax(-1),
                    "F": lambda m, x: m.nn.functional.log_softmax(x, dim=0)},
}
ELEMENTWISE = ("relu", "sigmoid", "tanh", "erf")
CASES = [(name, entry) for name in sorted(ENTRY_POINTS) for entry in sorted(ENTRY_POINTS[name])]


@pytest.mark.parametrize("name, entry", [c for c in CASES if c[0] in ELEMENTWISE])
@given(x=float_arrays(special=NON_FINITE))
def test_elementwise_entry_points_match_torch_with_non_finite_inputs(name, entry, x):
    assert_matches_torch(ENTRY_POINTS[name][entry], [x], atol=ABSOLUTE_TOLERANCE)


@pytest.mark.parametrize("name, entry", [c for c in CASES if c[0] not in ELEMENTWISE])
@given(x=float_arrays(min_dims=1, special=(0.0, 1e4, -1e4)))
def test_softmax_entry_points_match_torch(name, entry, x):
    assert_matches_torch(ENTRY_POINTS[name][entry], [x], atol=ABSOLUTE_TOLERANCE)


@pytest.mark.parametrize("name, entry", CASES)
def test_every_entry_point_records_torchs_grad_fn(name, entry):
    call = ENTRY_POINTS[name][entry]
    x = np.linspace(-2, 2, 6)
    mine = call(npconv, npconv.tensor(x, requires_grad=True))
    theirs = call(torch, torch.tensor(x, requires_grad=True))
    assert mine.grad_fn.name() == theirs.grad_fn.name()


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS["relu"]))
def test_relu_gradient_at_nan_is_one_as_torch(entry):
    x = np.array([np.nan, -1.0, 0.0, 2.0])
    ours, theirs = assert_matches_torch(ENTRY_POINTS["relu"][entry], [x])
    t = npconv.tensor(x, requires_grad=True)
    ENTRY_POINTS["relu"][entry](npconv, t).sum().backward()
    assert t.grad.tolist() == [1.0, 0.0, 0.0, 1.0]


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS["sigmoid"]))
def test_float32_sigmoid_far_below_zero_is_exactly_torchs(entry):
    x = np.array([-100.0, -88.0, -87.0, 100.0], dtype=np.float32)
    mine = ENTRY_POINTS["sigmoid"][entry](npconv, npconv.tensor(x)).numpy()
    theirs = ENTRY_POINTS["sigmoid"][entry](torch, torch.tensor(x)).numpy()
    np.testing.assert_allclose(mine, theirs, rtol=1e-6, atol=0)  # relative even among subnormals
    assert mine[0] == 0.0 and 6.0e-39 < mine[1] < 6.1e-39  # overflow to 0; a subnormal just above


def test_erf_has_torchs_gradient_and_grad_fn():
    x = np.array([-3.0, -0.5, 0.0, 0.25, 1.0, 4.0])
    ours, _ = assert_matches_torch(lambda m, t: m.erf(t), [x])
    assert repr(ours.grad_fn).startswith("<ErfBackward0 object")
    t = npconv.tensor(x, requires_grad=True)
    npconv.erf(t).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), 2 / np.sqrt(np.pi) * np.exp(-x * x), rtol=1e-12)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "erf", "relu"])
@pytest.mark.parametrize("entry", ["torch", "method"])
def test_integer_inputs_give_torchs_dtype(name, entry):
    assert_matches_torch(ENTRY_POINTS[name][entry], [np.arange(-2, 3)], check_grad=False)


@pytest.mark.parametrize("name, entry", [c for c in CASES if c[0] in ("relu", "softmax", "log_softmax")])
def test_refusals_match_torch(name, entry):
    bad = np.array([True, False]) if name == "relu" else np.arange(3)
    expected = RuntimeError if name == "relu" else NotImplementedError
    mine, theirs = assert_same_error(ENTRY_POINTS[name][entry], [bad])
    assert isinstance(mine, expected) and str(mine) == str(theirs)


@pytest.mark.parametrize("entry", ["torch", "F"])
def test_softmax_dtype_argument_converts_first(entry):
    call = {"torch": lambda m, x: m.softmax(x, 0, dtype=m.float64),
            "F": lambda m, x: m.nn.functional.log_softmax(x, 0, dtype=m.float64)}[entry]
    assert_matches_torch(call, [np.arange(4)], check_grad=False)


def test_softmax_of_a_zero_dim_tensor_and_a_bad_dim_match_torch():
    assert_matches_torch(lambda m, x: m.softmax(x, 0), [np.array(1.5)])
    mine, theirs = assert_same_error(lambda m, x: m.softmax(x, 2), [np.ones((2, 2))])
    assert str(mine) == str(theirs)


@pytest.mark.parametrize("name, entry", CASES)
def test_shape_only_mode_computes_nothing(name, entry):
    assert_shape_only_matches_torch(ENTRY_POINTS[name][entry], [np.zeros((2, 3))], ruled=("npconv._ops.activation",))


def test_nn_functional_has_no_copy_of_the_core_ops():
    from npconv.nn.functional import activation
    for name in ("relu", "sigmoid", "tanh", "softmax", "log_softmax"):
        result = getattr(activation, name)(npconv.ones(2, 2, requires_grad=True), *(() if "soft" not in name else (0,)))
        assert type(result.grad_fn).__module__ == "npconv._ops.activation", name
