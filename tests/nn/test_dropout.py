"""Dropout (npconv/nn/functional/dropout.py, npconv/nn/modules/dropout.py): the random masks cannot equal
torch's draws, so these tests check the properties torch guarantees: scaling by 1/(1-p), the drop
rate, whole channels for the channel-wise forms, identity in eval mode, gradients through the same mask,
reproducibility under npconv.manual_seed, and torch's errors, warnings and repr."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, strategies as st

import npconv
import npconv.nn.functional as F
from tests.torch_compare import assert_same_error, assert_shape_only_matches_torch


@given(p=st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0]), seed=st.integers(0, 1000))
def test_dropout_zeroes_or_scales_and_backpropagates_through_the_mask(p, seed):
    npconv.manual_seed(seed)
    x = npconv.tensor(np.random.default_rng(seed).uniform(1, 2, (50, 40)), requires_grad=True)
    y = F.dropout(x, p)
    out, inp = y.detach().numpy(), x.detach().numpy()
    kept = out != 0
    if p < 1:
        np.testing.assert_allclose(out[kept], inp[kept] / (1 - p), rtol=1e-12)
    else:
        assert not kept.any()
    y.sum().backward()
    expected_grad = np.where(kept, 1 / (1 - p) if p < 1 else 0, 0)
    np.testing.assert_allclose(x.grad.numpy(), expected_grad, rtol=1e-12)


def test_drop_rate_is_p():
    npconv.manual_seed(0)
    y = F.dropout(npconv.ones(200, 500), 0.3)
    assert abs((y.numpy() == 0).mean() - 0.3) < 0.01
    assert abs(y.numpy().mean() - 1.0) < 0.02  # expectation kept


@pytest.mark.parametrize("function, shape", [(F.dropout1d, (4, 6, 9)), (F.dropout1d, (6, 9)),
                                             (F.dropout2d, (4, 6, 3, 3)), (F.dropout2d, (6, 3, 3)),
                                             (F.dropout3d, (4, 6, 2, 2, 2)), (F.dropout3d, (6, 2, 2, 2))])
def test_channel_dropout_drops_whole_channels(function, shape):
    npconv.manual_seed(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = function(npconv.ones(*shape), 0.5).numpy()
    # dropout2d reads a 3-d input as (N, C, L), as torch does (with a warning)
    batched = function is F.dropout2d or len(shape) == {F.dropout1d: 3, F.dropout3d: 5}[function]
    planes = y.reshape(shape[:2] + (-1,)) if batched else y.reshape(shape[:1] + (-1,))
    assert np.all((planes == 0).all(-1) | (planes == 2).all(-1))
    assert (planes == 0).any() and (planes == 2).any()


@pytest.mark.parametrize("build", [lambda nn: nn.Dropout(), lambda nn: nn.Dropout1d(0.2), lambda nn: nn.Dropout2d(0.3),
                                   lambda nn: nn.Dropout3d(0.1, inplace=True), lambda nn: nn.AlphaDropout(0.2)])
def test_modules_are_identity_in_eval_mode_and_repr_matches(build):
    module = build(npconv.nn)
    assert repr(module) == repr(build(torch.nn))
    module.eval()
    x = npconv.randn(2, 3, 4) if isinstance(module, npconv.nn.Dropout1d) else npconv.randn(2, 3, 4, 4)
    np.testing.assert_array_equal(module(x).numpy(), x.numpy())


def test_same_seed_same_mask():
    npconv.manual_seed(7)
    a = F.dropout(npconv.ones(10, 10)).numpy()
    npconv.manual_seed(7)
    b = F.dropout(npconv.ones(10, 10)).numpy()
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("call", [
    lambda F, lib, nn: F.dropout(lib.zeros(2), 1.5),
    lambda F, lib, nn: nn.Dropout(-0.1),
    lambda F, lib, nn: F.dropout1d(lib.zeros(2, 3, 4, 5)),
])
def test_invalid_arguments_raise_like_torch(call):
    assert_same_error(lambda m: call(m.nn.functional, m, m.nn), same_message=True)


@pytest.mark.parametrize("call", [lambda F, lib: F.dropout2d(lib.ones(2, 3, 4)), lambda F, lib: F.dropout2d(lib.ones(2, 3)),
                                  lambda F, lib: F.dropout3d(lib.ones(2, 3, 4))])
def test_unusual_ranks_warn_like_torch(call):
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        call(TF, torch)
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        call(F, npconv)
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]


def test_alpha_dropout_keeps_mean_and_variance():
    npconv.manual_seed(3)
    x = npconv.randn(400, 500)
    y = F.alpha_dropout(x, 0.2, training=True).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02


@pytest.mark.parametrize("name", ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
                                  "feature_alpha_dropout"])
def test_shape_only_mode_draws_no_mask(name):
    shape = (2, 3, 5) if name == "dropout1d" else (2, 3, 4, 5) if name != "dropout3d" else (2, 3, 2, 4, 5)
    npconv.manual_seed(7)
    expected = npconv.rand(3)
    npconv.manual_seed(7)
    assert_shape_only_matches_torch(lambda m, x: getattr(m.nn.functional, name)(x, 0.3, training=True),
                                    [np.zeros(shape, dtype=np.float32)])
    assert np.array_equal(npconv.rand(3).numpy(), expected.numpy())  # the generator was not advanced


@pytest.mark.parametrize("call", ["dropout(x, p, training=t)", "dropout1d(x, p, training=t)",
                                  "dropout2d(x[None], p, training=t)", "dropout3d(x[None], p, training=t)",
                                  "alpha_dropout(x, p, training=t)", "feature_alpha_dropout(x, p, training=t)"])
@pytest.mark.parametrize("p,t", [(float("nan"), True), (float("nan"), False), (0.5, None), (0.0, 1), (1.0, "a"),
                                 (float("nan"), None)])
def test_native_dropout_checks_as_torch(call, p, t):
    """torch's native dropout ops refuse a non-bool ``training`` (argument 'train') and a nan probability,
    even outside training."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same_error(lambda m, x: eval(f"m.nn.functional.{call}", {"m": m, "x": x, "p": p, "t": t}),
                          [np.ones((2, 3, 4))], same_message=True)


def test_nan_probability_refused_by_the_module_in_eval_mode_too():
    assert_same_error(lambda m, x: m.nn.Dropout(float("nan")).eval()(x), [np.ones(3)], same_message=True)


def test_tensor_probability_accepted():
    x = npconv.ones(1000)
    y = F.dropout(x, npconv.tensor(0.5))
    assert set(np.unique(y.numpy()).tolist()) <= {0.0, 2.0} and 0 < int((y.numpy() == 0).sum()) < 1000
