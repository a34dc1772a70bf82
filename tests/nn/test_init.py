"""nn.init against torch: gains, fans, bounds and spreads of the random fills, deterministic fills exactly,
errors of the same type (npconv/nn/init.py)."""
import math
import warnings

import numpy as np
import pytest
import torch

import npconv
from tests.torch_compare import assert_same_error

SHAPES = [(3, 5), (8, 4, 3), (16, 3, 5, 5), (4, 2, 3, 3, 3)]


@pytest.mark.parametrize("nonlinearity,param", [
    ("linear", None), ("conv2d", None), ("conv_transpose3d", None), ("sigmoid", None), ("tanh", None),
    ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 3), ("selu", None)])
def test_calculate_gain_like_torch(nonlinearity, param):
    assert npconv.nn.init.calculate_gain(nonlinearity, param) == torch.nn.init.calculate_gain(nonlinearity, param)


def test_calculate_gain_errors_like_torch():
    assert_same_error(lambda m: m.nn.init.calculate_gain("swish"))
    assert_same_error(lambda m: m.nn.init.calculate_gain("leaky_relu", True))


@pytest.mark.parametrize("shape", SHAPES)
def test_fans_like_torch(shape):
    assert (npconv.nn.init._calculate_fan_in_and_fan_out(npconv.empty(*shape)) ==
            torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape)))


def _bound_kaiming(shape, a, mode, nonlinearity):
    t = torch.empty(*shape)
    fan = torch.nn.init._calculate_correct_fan(t, mode)
    return math.sqrt(3.0) * torch.nn.init.calculate_gain(nonlinearity, a) / math.sqrt(fan)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@pytest.mark.parametrize("nonlinearity,a", [("leaky_relu", math.sqrt(5)), ("relu", 0), ("leaky_relu", 0)])
def test_kaiming_uniform_fills_torchs_interval(shape, mode, nonlinearity, a):
    t = npconv.empty(*shape, requires_grad=True)
    out = npconv.nn.init.kaiming_uniform_(t, a=a, mode=mode, nonlinearity=nonlinearity)
    assert out is t and t.requires_grad and t.is_leaf
    bound = _bound_kaiming(shape, a, mode, nonlinearity)
    values = t.detach().numpy()
    assert values.min() >= -bound and values.max() <= bound
    assert values.std() > 0.3 * bound  # spread over the interval, not a constant


def test_random_fills_have_torchs_distribution_on_large_tensors():
    npconv.manual_seed(1)
    t = npconv.empty(400, 300)
    n = t.numel()
    fan_in, fan_out = 300, 400
    npconv.nn.init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu")
    assert abs(t.std().item() / math.sqrt(2.0 / fan_out) - 1) < 0.02
    npconv.nn.init.xavier_uniform_(t, gain=2.0)
    bound = 2.0 * math.sqrt(6.0 / (fan_in + fan_out))
    assert abs(t.abs().max().item() / bound - 1) < 0.01
    npconv.nn.init.xavier_normal_(t)
    assert abs(t.std().item() / math.sqrt(2.0 / (fan_in + fan_out)) - 1) < 0.02
    npconv.nn.init.normal_(t, 3.0, 0.5)
    assert abs(t.mean().item() - 3.0) < 0.01 and abs(t.std().item() - 0.5) < 0.01
    npconv.nn.init.uniform_(t, -2, 1)
    assert t.min().item() >= -2 and t.max().item() < 1 and abs(t.mean().item() + 0.5) < 0.02
    npconv.nn.init.trunc_normal_(t, std=1.0, a=-1.0, b=1.0)
    assert t.abs().max().item() <= 1.0 and n == 120000


@pytest.mark.parametrize("case", ["constant_(t, 0.3)", "zeros_(t)", "ones_(t)", "eye_(e)", "dirac_(d)",
                                  "dirac_(d2, groups=2)"])
def test_deterministic_fills_equal_torch(case):
    def run(m):
        env = {"t": m.empty(3, 4), "e": m.empty(3, 5), "d": m.empty(4, 3, 3, 3), "d2": m.empty(4, 2, 3)}
        result = eval("m.nn.init." + case, {"m": m, **env})
        return result.numpy()
    np.testing.assert_array_equal(run(npconv), run(torch))


def test_orthogonal_gives_orthonormal_rows():
    t = npconv.empty(3, 5)
    npconv.nn.init.orthogonal_(t, gain=2.0)
    q = t.numpy()
    np.testing.assert_allclose(q @ q.T, 4.0 * np.eye(3), atol=1e-5)


def test_init_errors_like_torch():
    assert_same_error(lambda m: m.nn.init.kaiming_uniform_(m.empty(3)))
    assert_same_error(lambda m: m.nn.init.xavier_normal_(m.empty(3)))
    assert_same_error(lambda m: m.nn.init.kaiming_normal_(m.empty(3, 3), mode="fan_middle"))
    assert_same_error(lambda m: m.nn.init.eye_(m.empty(3, 3, 3)))
    assert_same_error(lambda m: m.nn.init.dirac_(m.empty(3, 3)))
    mine, theirs = assert_same_error(lambda m: m.nn.init.kaiming_normal_(m.empty(3, 3), mode="fan_middle"))
    assert str(mine) == str(theirs)


def test_zero_element_tensors_warn_like_torch():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        npconv.nn.init.kaiming_uniform_(npconv.empty(0, 3))
    assert any("zero-element" in str(w.message) for w in caught)


@pytest.mark.parametrize("name,args", [("uniform", ()), ("normal", ()), ("constant", (0.5,)), ("eye", ()),
                                       ("xavier_uniform", ()), ("xavier_normal", ()), ("kaiming_uniform", ()),
                                       ("kaiming_normal", ()), ("orthogonal", ()), ("dirac", ())])
def test_deprecated_names_warn_as_torch_and_fill(name, args):
    deterministic = name in ("constant", "eye", "dirac")
    warned, filled = [], []
    for m in (npconv, torch):
        tensor = m.zeros(3, 4, 3) if name == "dirac" else m.zeros(3, 4)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = getattr(m.nn.init, name)(tensor, *args)
        assert out is tensor and getattr(m.nn.init, name).__name__ == name
        warned.append([(w.category.__name__, str(w.message)) for w in caught])
        filled.append(tensor.numpy())
    assert warned[0] == warned[1]
    if deterministic:
        np.testing.assert_array_equal(filled[0], filled[1])
    else:
        assert filled[0].std() > 0
