"""Activations (npconv/nn/functional/activation.py, npconv/nn/modules/activation.py) against torch."""
import importlib
import io
import math
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, strategies as st

import npconv
import npconv.nn.functional as F
from tests.strategies import float_arrays
from tests.torch_compare import (ABSOLUTE_TOLERANCE, assert_matches_torch, assert_same_error,
                                  assert_shape_only_matches_torch)

ELEMENTWISE = {
    "relu": lambda F: F.relu,
    "relu6": lambda F: F.relu6,
    "leaky_relu": lambda F: lambda x: F.leaky_relu(x, 0.2),
    "leaky_relu_default": lambda F: F.leaky_relu,
    "elu": lambda F: lambda x: F.elu(x, 0.7),
    "gelu": lambda F: F.gelu,
    "gelu_tanh": lambda F: lambda x: F.gelu(x, approximate="tanh"),
    "silu": lambda F: F.silu,
    "sigmoid": lambda F: F.sigmoid,
    "tanh": lambda F: F.tanh,
    "hardswish": lambda F: F.hardswish,
    "hardsigmoid": lambda F: F.hardsigmoid,
    "hardtanh": lambda F: lambda x: F.hardtanh(x, -0.5, 2.0),
    "softplus": lambda F: lambda x: F.softplus(x, 2.0, 5.0),
    "mish": lambda F: F.mish,
    "threshold": lambda F: lambda x: F.threshold(x, 0.3, -2.0),
}
KINKS = (0.0, -3.0, 3.0, 6.0, 0.3)  # values where the activations bend: land exactly on them



@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
@given(x=float_arrays(special=KINKS))
def test_elementwise_activation_matches_torch(name, x):
    assert_matches_torch((ELEMENTWISE[name](F), ELEMENTWISE[name](TF)),
                         [x], atol=ABSOLUTE_TOLERANCE, expect_errors=True)


@given(x=float_arrays(min_dims=1, special=KINKS), data=st.data())
def test_softmax_and_log_softmax_match_torch(x, data):
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    for name in ("softmax", "log_softmax", "softmin"):
        assert_matches_torch((lambda t: getattr(F, name)(t, dim), lambda t: getattr(TF, name)(t, dim)),
                             [x], atol=ABSOLUTE_TOLERANCE, expect_errors=True)


def test_log_softmax_is_stable_for_huge_logits():
    x = np.array([[1000.0, 0.0, -1000.0]], dtype=np.float32)
    assert_matches_torch((lambda t: F.log_softmax(t, 1), lambda t: TF.log_softmax(t, 1)), [x], atol=ABSOLUTE_TOLERANCE)
    assert_matches_torch((lambda t: F.softmax(t, 1), lambda t: TF.softmax(t, 1)), [x], atol=ABSOLUTE_TOLERANCE)
    assert np.isfinite(F.log_softmax(npconv.from_numpy(x), 1).numpy()).all()


def test_implicit_softmax_dim_warns_and_picks_torchs_dim():
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    with pytest.warns(UserWarning, match="Implicit dimension choice"):
        mine = F.softmax(npconv.from_numpy(x)).numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = TF.softmax(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(mine, theirs, rtol=1e-12)


@pytest.mark.parametrize("call", [
    lambda F, x: F.softmax(x, 3),
    lambda F, x: F.log_softmax(x, -4),
    lambda F, x: F.gelu(x, approximate="fast"),
    lambda F, x: F.hardtanh(x, 2.0, 1.0),
])
def test_invalid_arguments_raise_like_torch(call):
    assert_same_error(lambda m, x: call(m.nn.functional, x), [np.zeros((2, 3, 4), dtype=np.float32)])


MODULES = [
    lambda nn: nn.ReLU(), lambda nn: nn.ReLU(inplace=True), lambda nn: nn.ReLU6(), lambda nn: nn.LeakyReLU(),
    lambda nn: nn.LeakyReLU(0.2, inplace=True), lambda nn: nn.ELU(), lambda nn: nn.ELU(0.5), lambda nn: nn.GELU(),
    lambda nn: nn.GELU("tanh"), lambda nn: nn.SiLU(), lambda nn: nn.Sigmoid(), lambda nn: nn.Tanh(),
    lambda nn: nn.Softmax(dim=1), lambda nn: nn.LogSoftmax(dim=-1), lambda nn: nn.Softmin(1),
    lambda nn: nn.Hardswish(), lambda nn: nn.Hardtanh(-2, 2), lambda nn: nn.Hardsigmoid(),
    lambda nn: nn.Softplus(), lambda nn: nn.Mish(), lambda nn: nn.Threshold(0.1, 20), lambda nn: nn.Softmax2d(),
]


@pytest.mark.parametrize("build", MODULES)
def test_modules_match_torch_in_repr_and_values(build):
    """Values and gradients of every module; the input is a non-leaf (``x * 1``), which in-place modules may
    overwrite (torch refuses to write into a leaf that requires grad)."""
    ours, theirs = build(npconv.nn), build(torch.nn)
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(1).standard_normal((2, 3, 4, 5))
    assert_matches_torch((lambda t: ours(t * 1), lambda t: theirs(t * 1)), [x], atol=ABSOLUTE_TOLERANCE)



def test_relu_worked_example():
    y = F.relu(npconv.tensor([-1.0, 0.0, 2.5]))
    assert y.tolist() == [0.0, 0.0, 2.5]


@pytest.mark.parametrize("name", sorted(ELEMENTWISE) + ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shape_only_mode_computes_nothing(name, dtype):
    def call(m, x):
        if name in ELEMENTWISE:
            return ELEMENTWISE[name](m.nn.functional)(x)
        return getattr(m.nn.functional, name)(x, dim=1)
    assert_shape_only_matches_torch(call, [np.zeros((2, 3, 4, 5), dtype=dtype)])


# ---------------------------------------------------------------------------------------------
# gelu without scipy: npconv's own vectorised erf

ERF_HOME = importlib.import_module("npconv._ops.activation")  # the one erf, behind torch.erf and F.gelu


def _erf_grid():
    boundaries = np.array([1.0, 2.5, 4.0, 6.0])
    near = np.concatenate([boundaries, np.nextafter(boundaries, 0), np.nextafter(boundaries, 10)])
    tiny = np.geomspace(1e-300, 1.0, 3000)
    grid = np.concatenate([np.linspace(-8, 8, 400_001), near, tiny, [0.0, 5e-324, 30.0, 1e300]])
    return np.concatenate([grid, -grid])


def test_numpy_erf_equals_math_erf_on_a_dense_grid():
    x = _erf_grid()
    mine = ERF_HOME.erf_float64(x)
    expected = np.array([math.erf(v) for v in x])
    relative = np.abs(mine - expected) / np.maximum(np.abs(expected), np.finfo(np.float64).tiny)
    assert relative.max() <= 1e-15, f"erf({x[relative.argmax()]!r}): relative error {relative.max():.2e}"
    assert np.array_equal(np.signbit(mine), np.signbit(expected))  # erf(-0.0) = -0.0


def test_numpy_erf_special_values():
    erf = ERF_HOME.erf_float64
    result = erf(np.array([np.inf, -np.inf, np.nan]))
    assert result[0] == 1.0 and result[1] == -1.0 and np.isnan(result[2])
    assert erf(np.zeros((2, 0))).shape == (2, 0)


@given(x=float_arrays(special=KINKS))
def test_gelu_with_the_numpy_erf_matches_torch(x):
    with pytest.MonkeyPatch.context() as patch:  # gelu as it runs where scipy is not installed
        patch.setattr(ERF_HOME, "_scipy_erf", None)
        assert_matches_torch(lambda m, t: m.nn.functional.gelu(t), [x], atol=ABSOLUTE_TOLERANCE)


def test_without_scipy_gelu_uses_the_numpy_erf():
    """A fresh interpreter in which scipy cannot be imported: gelu still computes torch's values."""
    x = np.linspace(-9, 9, 1001)
    program = ("import sys, numpy as np\n"
               "sys.modules['scipy'] = None\n"
               "import npconv, npconv.nn.functional as F\n"
               "module = sys.modules['npconv._ops.activation']\n"
               "x = npconv.tensor(np.linspace(-9, 9, 1001), dtype=npconv.float64, requires_grad=True)\n"
               "y = F.gelu(x)\n"
               "assert module._scipy_erf is None, module._scipy_erf\n"
               "y.sum().backward()\n"
               "np.save(sys.stdout.buffer, np.stack([y.detach().numpy(), x.grad.numpy()]))\n")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, check=True)
    values, grads = np.load(io.BytesIO(done.stdout))
    t = torch.from_numpy(x).requires_grad_()
    expected = TF.gelu(t)
    expected.sum().backward()
    np.testing.assert_allclose(values, expected.detach().numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(grads, t.grad.numpy(), rtol=1e-6, atol=1e-6)


INPLACE_LAYERS = [("ReLU", ()), ("LeakyReLU", (0.2,)), ("ELU", ()), ("Hardtanh", ()), ("ReLU6", ()), ("SiLU", ()),
                  ("Hardswish", ()), ("Hardsigmoid", ()), ("Threshold", (0.1, 0.0)), ("Mish", ()), ("CELU", ()),
                  ("SELU", ())]


@pytest.mark.parametrize("name, args", INPLACE_LAYERS, ids=[n for n, _ in INPLACE_LAYERS])
def test_inplace_layers_write_into_their_input_as_torch(name, args):
    def run(lib):
        x = lib.linspace(-2, 2, 7, dtype=lib.float64, requires_grad=True)
        y = x * 1
        z = getattr(lib.nn, name)(*args, inplace=True)(y)
        z.sum().backward()
        return z is y, z.grad_fn.name(), z.detach().numpy().tolist(), x.grad.numpy().tolist()
    mine, theirs = run(npconv), run(torch)
    assert mine[:2] == theirs[:2]
    np.testing.assert_allclose(mine[2], theirs[2], rtol=1e-12)
    np.testing.assert_allclose(mine[3], theirs[3], rtol=1e-12)


@pytest.mark.parametrize("name, args", INPLACE_LAYERS[:4], ids=[n for n, _ in INPLACE_LAYERS[:4]])
def test_inplace_layers_refuse_a_leaf_as_torch(name, args):
    assert_same_error(lambda m, x: getattr(m.nn, name)(*args, inplace=True)(x), [np.linspace(-1, 1, 4)],
                      requires_grad=True, same_message=True)


@pytest.mark.parametrize("inplace", [False, True])
def test_relu_keeps_negative_zero_and_nan_as_torch(inplace):
    """torch's relu returns x unless x < 0: -0.0 stays -0.0 (printed "-0."), NaN stays NaN; its gradient
    is blocked where the output is <= 0 and passes where it is NaN."""
    x = np.array([-0.0, 0.0, np.nan, -np.inf, np.inf, -1.5, 2.5], dtype=np.float32)
    grad = np.array([1.0, -2.0, 3.0, np.inf, -0.0, 5.0, -6.0], dtype=np.float32)
    results = []
    for lib, functional in ((npconv, F), (torch, TF)):
        leaf = lib.tensor(x, requires_grad=True)
        y = functional.relu(leaf * 1, inplace=inplace)
        y.backward(lib.tensor(grad))
        results.append((y.detach().numpy(), leaf.grad.numpy(), str(y.detach())))
    for mine, theirs in zip(*results[:1], *results[1:]):
        if isinstance(mine, str):
            assert mine == theirs
        else:
            assert np.array_equal(mine, theirs, equal_nan=True)
            assert np.array_equal(np.signbit(mine), np.signbit(theirs))
