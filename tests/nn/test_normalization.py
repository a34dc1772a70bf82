"""Normalisation (npconv/nn/functional/normalization.py, npconv/nn/modules/normalization.py) against torch:
outputs, gradients (input, weight, bias), running statistics across train/eval, state dicts, errors."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, strategies as st

import npconv
import npconv.nn.functional as F
from tests.strategies import normalization_input
from tests.torch_compare import (ABSOLUTE_TOLERANCE, assert_matches_torch, assert_same_error,
                                  assert_shape_only_matches_torch)


def _same_module_state(ours, theirs):
    mine = ours.state_dict()
    expected = theirs.state_dict()
    assert list(mine) == list(expected)
    for key in expected:
        a, b = mine[key].numpy(), expected[key].numpy()
        assert a.dtype == b.dtype, key
        tolerance = ABSOLUTE_TOLERANCE.get(b.dtype, 0)
        np.testing.assert_allclose(a, b, rtol=tolerance, atol=tolerance, err_msg=key)


def _copy_parameters(ours, theirs):
    """Give our module torch's (randomised) affine parameters."""
    for name, parameter in theirs.named_parameters():
        getattr(ours, name).detach().numpy()[...] = parameter.detach().numpy()


@pytest.mark.parametrize("dims", [1, 2, 3])
@given(data=st.data())
def test_batch_norm_module_train_then_eval_matches_torch(dims, data):
    x, rng = data.draw(normalization_input(min_dims=dims + 1 if dims > 1 else 2, max_dims=dims + 2))
    if dims > 1 and x.ndim != dims + 2:
        return
    channels = x.shape[1]
    kwargs = dict(momentum=data.draw(st.sampled_from([0.1, 0.5, None])), affine=data.draw(st.booleans()),
                  track_running_stats=data.draw(st.booleans()), eps=data.draw(st.sampled_from([1e-5, 1e-3])))
    dtype = torch.float64 if x.dtype == np.float64 else torch.float32
    name = f"BatchNorm{dims}d"
    theirs = getattr(torch.nn, name)(channels, **kwargs).to(dtype)
    ours = getattr(npconv.nn, name)(channels, **kwargs).to(npconv.float64 if dtype == torch.float64 else npconv.float32)
    if kwargs["affine"]:
        with torch.no_grad():
            theirs.weight.uniform_(0.5, 1.5)
            theirs.bias.uniform_(-1, 1)
        _copy_parameters(ours, theirs)
    for step in range(2):  # two training steps: the running statistics accumulate
        batch_x = x + step
        assert_matches_torch((ours, theirs), [batch_x], atol=ABSOLUTE_TOLERANCE, expect_errors=True)
        _same_module_state(ours, theirs)
    ours.eval()
    theirs.eval()
    assert_matches_torch((ours, theirs), [x * 0.5], atol=ABSOLUTE_TOLERANCE, expect_errors=True)
    _same_module_state(ours, theirs)


@given(data=st.data())
def test_functional_batch_norm_matches_torch(data):
    x, rng = data.draw(normalization_input())
    channels = x.shape[1]
    training = data.draw(st.booleans())
    weight = rng.uniform(0.5, 1.5, channels).astype(x.dtype)
    bias = rng.standard_normal(channels).astype(x.dtype)
    mean = rng.standard_normal(channels).astype(x.dtype)
    var = rng.uniform(0.5, 2, channels).astype(x.dtype)
    assert_matches_torch((lambda t, w, b: F.batch_norm(t, npconv.tensor(mean), npconv.tensor(var), w, b, training, 0.3),
                          lambda t, w, b: TF.batch_norm(t, torch.tensor(mean), torch.tensor(var), w, b, training, 0.3)),
                         [x, weight, bias], atol=ABSOLUTE_TOLERANCE, expect_errors=True)


@pytest.mark.parametrize("shape", [(4, 16, 128, 128), (2, 40, 120, 120), (3, 5, 7)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_of_large_inputs_split_over_threads_matches_torch(shape, dtype, training):
    """Inputs large enough for kernels/batch_norm to split their channels into blocks on the kernel
    threads (and a small one that is not split), a mean far from zero: output, all three gradients and the
    running statistics as torch's."""
    rng = np.random.default_rng(3)
    x = (rng.standard_normal(shape) * 2 + 3).astype(dtype)
    channels = shape[1]
    weight, bias = rng.uniform(0.5, 1.5, channels).astype(dtype), rng.standard_normal(channels).astype(dtype)
    mean, var = rng.standard_normal(channels).astype(dtype), rng.uniform(0.5, 2, channels).astype(dtype)
    state = {}

    def call(lib):
        running = state.setdefault(lib.__name__, (lib.tensor(mean), lib.tensor(var)))
        return lambda t, w, b: lib.nn.functional.batch_norm(t, *running, w, b, training, 0.3)
    assert_matches_torch((call(npconv), call(torch)), [x, weight, bias], atol=ABSOLUTE_TOLERANCE)
    for mine, theirs in zip(state["npconv"], state["torch"]):
        np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-5)


@given(data=st.data())
def test_group_norm_matches_torch(data):
    x, rng = data.draw(normalization_input())
    channels = x.shape[1]
    groups = data.draw(st.sampled_from([g for g in range(1, channels + 1) if channels % g == 0]))
    affine = data.draw(st.booleans())
    weight = rng.uniform(0.5, 1.5, channels).astype(x.dtype)
    bias = rng.standard_normal(channels).astype(x.dtype)
    if affine:
        assert_matches_torch((lambda t, w, b: F.group_norm(t, groups, w, b, 1e-3),
                              lambda t, w, b: TF.group_norm(t, groups, w, b, 1e-3)),
                             [x, weight, bias], atol=ABSOLUTE_TOLERANCE, expect_errors=True)
    else:
        assert_matches_torch((lambda t: F.group_norm(t, groups), lambda t: TF.group_norm(t, groups)),
                             [x], atol=ABSOLUTE_TOLERANCE, expect_errors=True)


@given(data=st.data())
def test_layer_norm_matches_torch(data):
    x, rng = data.draw(normalization_input(min_dims=1, max_dims=4))
    k = data.draw(st.integers(1, x.ndim))
    normalized = x.shape[x.ndim - k:]
    if np.prod(normalized) == 1:
        # One element per row: x - mean is rounding noise times 1/sqrt(eps) (torch's float32 gives weight
        # gradients of ~1e-4 where the exact value is 0), which float32 cannot resolve: compare in float64.
        x = x.astype(np.float64)
    weight = rng.uniform(0.5, 1.5, normalized).astype(x.dtype)
    bias = rng.standard_normal(normalized).astype(x.dtype)
    if data.draw(st.booleans()):
        assert_matches_torch((lambda t, w, b: F.layer_norm(t, normalized, w, b),
                              lambda t, w, b: TF.layer_norm(t, normalized, w, b)),
                             [x, weight, bias], atol=ABSOLUTE_TOLERANCE, expect_errors=True)
    else:
        assert_matches_torch((lambda t: F.layer_norm(t, normalized),
                              lambda t: TF.layer_norm(t, normalized)), [x], atol=ABSOLUTE_TOLERANCE, expect_errors=True)
    module_kwargs = dict(elementwise_affine=data.draw(st.booleans()), bias=data.draw(st.booleans()))
    dtype = torch.float64 if x.dtype == np.float64 else torch.float32
    theirs = torch.nn.LayerNorm(normalized, **module_kwargs).to(dtype)
    ours = npconv.nn.LayerNorm(normalized, **module_kwargs).to(npconv.float64 if dtype == torch.float64 else npconv.float32)
    assert_matches_torch((ours, theirs), [x], atol=ABSOLUTE_TOLERANCE, expect_errors=True)


@pytest.mark.parametrize("dims", [1, 2, 3])
@given(data=st.data())
def test_instance_norm_module_matches_torch(dims, data):
    x, rng = data.draw(normalization_input(min_dims=dims + 2, max_dims=dims + 2))
    if np.prod(x.shape[2:]) == 1:
        return
    if data.draw(st.booleans()):
        x = x[0]  # unbatched
    channels = x.shape[-dims - 1]
    kwargs = dict(affine=data.draw(st.booleans()), track_running_stats=data.draw(st.booleans()))
    dtype = torch.float64 if x.dtype == np.float64 else torch.float32
    name = f"InstanceNorm{dims}d"
    theirs = getattr(torch.nn, name)(channels, **kwargs).to(dtype)
    ours = getattr(npconv.nn, name)(channels, **kwargs).to(npconv.float64 if dtype == torch.float64 else npconv.float32)
    assert_matches_torch((ours, theirs), [x], atol=ABSOLUTE_TOLERANCE, expect_errors=True)
    _same_module_state(ours, theirs)
    ours.eval()
    theirs.eval()
    assert_matches_torch((ours, theirs), [x * 2], atol=ABSOLUTE_TOLERANCE, expect_errors=True)


def test_batch_norm_worked_example_and_state_dict_roundtrip():
    x = np.array([[1.0, 10.0], [3.0, 30.0]], dtype=np.float32)  # per feature: mean 2 / 20, var 1 / 100
    bn = npconv.nn.BatchNorm1d(2)
    y = bn(npconv.from_numpy(x))
    np.testing.assert_allclose(y.detach().numpy(), [[-1, -1], [1, 1]], atol=1e-3)
    np.testing.assert_allclose(bn.running_mean.numpy(), [0.2, 2.0], rtol=1e-6)
    np.testing.assert_allclose(bn.running_var.numpy(), [0.9 + 0.1 * 2, 0.9 + 0.1 * 200], rtol=1e-6)  # unbiased
    assert bn.num_batches_tracked.dtype == npconv.int64 and bn.num_batches_tracked.item() == 1
    theirs = torch.nn.BatchNorm1d(2)
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in bn.state_dict().items()})
    assert theirs.num_batches_tracked.item() == 1


def test_eval_mode_uses_running_statistics():
    bn = npconv.nn.BatchNorm2d(1)
    bn.eval()
    x = npconv.ones(2, 1, 2, 2) * 5
    np.testing.assert_allclose(bn(x).detach().numpy(), 5 / np.sqrt(1 + 1e-5), rtol=1e-6)


@pytest.mark.parametrize("call", [
    lambda nn, x: nn.BatchNorm2d(4)(x),                           # wrong number of features
    lambda nn, x: nn.BatchNorm2d(3)(x[0]),                        # wrong rank
    lambda nn, x: nn.BatchNorm1d(3)(x),
    lambda nn, x: nn.BatchNorm3d(3)(x),
    lambda nn, x: nn.BatchNorm1d(3)(x[:1, :, 0, 0]),              # one value per channel in training
    lambda nn, x: nn.GroupNorm(3, 4),
    lambda nn, x: nn.GroupNorm(2, 4)(x[:, :2]),
    lambda nn, x: nn.LayerNorm(5)(x),
    lambda nn, x: nn.InstanceNorm2d(4, affine=True)(x),
    lambda nn, x: nn.InstanceNorm2d(3)(x[:, :, :1, :1]),
    lambda nn, x: nn.InstanceNorm2d(3)(x[None]),
])
def test_invalid_arguments_raise_like_torch(call):
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 4)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same_error(lambda m, t: call(m.nn, t), [x], same_message=True)


@pytest.mark.parametrize("build", [
    lambda nn: nn.BatchNorm2d(3), lambda nn: nn.BatchNorm1d(3, momentum=None, affine=False),
    lambda nn: nn.BatchNorm3d(5, eps=1e-3, track_running_stats=False), lambda nn: nn.BatchNorm2d(3, bias=False),
    lambda nn: nn.GroupNorm(2, 4), lambda nn: nn.GroupNorm(1, 3, affine=False), lambda nn: nn.LayerNorm((4, 5)),
    lambda nn: nn.LayerNorm(4, bias=False), lambda nn: nn.InstanceNorm2d(3),
    lambda nn: nn.InstanceNorm1d(3, affine=True, track_running_stats=True), lambda nn: nn.InstanceNorm3d(2),
])
def test_repr_and_state_dict_layout_match_torch(build):
    ours, theirs = build(npconv.nn), build(torch.nn)
    assert repr(ours) == repr(theirs)
    _same_module_state(ours, theirs)


@pytest.mark.parametrize("name", ["batch_train", "batch_eval", "instance", "group", "layer", "normalize"])
def test_shape_only_mode_computes_no_statistics(name):
    calls = {
        "batch_train": lambda F, x, w, b, mean, var: F.batch_norm(x, mean, var, w, b, training=True),
        "batch_eval": lambda F, x, w, b, mean, var: F.batch_norm(x, mean, var, w, b, training=False),
        "instance": lambda F, x, w, b, mean, var: F.instance_norm(x, mean, var, w, b),
        "group": lambda F, x, w, b, mean, var: F.group_norm(x, 2, w, b),
        "layer": lambda F, x, w, b, mean, var: F.layer_norm(x, (5, 6)),
        "normalize": lambda F, x, w, b, mean, var: F.normalize(x, 3.0, dim=2),
    }
    mean, var = np.zeros(4, dtype=np.float32), np.ones(4, dtype=np.float32)
    arrays = [np.zeros((3, 4, 5, 6), dtype=np.float32), np.ones(4, dtype=np.float32), np.zeros(4, dtype=np.float32)]
    real_mean, real_var = npconv.from_numpy(mean.copy()), npconv.from_numpy(var.copy())
    assert_shape_only_matches_torch(
        lambda m, x, w, b: calls[name](m.nn.functional, x, w, b,
                                       *((real_mean, real_var) if m is npconv else map(torch.from_numpy, (mean, var)))),
        arrays)
    assert (real_mean.numpy() == 0).all() and (real_var.numpy() == 1).all()  # nothing to learn from a meta batch


def test_batch_norm_module_in_shape_only_mode():
    for layer in (npconv.nn.BatchNorm2d(4), npconv.nn.BatchNorm2d(4).eval(), npconv.nn.GroupNorm(2, 4),
                  npconv.nn.LayerNorm([5, 6]), npconv.nn.InstanceNorm2d(4, track_running_stats=True)):
        out = layer(npconv.zeros(3, 4, 5, 6, device="meta"))
        assert out.is_meta and tuple(out.shape) == (3, 4, 5, 6)
