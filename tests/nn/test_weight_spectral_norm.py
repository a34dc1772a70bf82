"""nn.utils.weight_norm / spectral_norm (and their removal) against torch: parameter and buffer names and
shapes, the recomputed weight, forward values and gradients of g, v / weight_orig, the power iteration's
buffers, warnings and errors."""
import warnings

import numpy as np
import pytest
import torch

import npconv
from tests.torch_compare import copy_torch_state, random_array


def layer(m, kind):
    return {"linear": lambda: m.nn.Linear(4, 3), "conv": lambda: m.nn.Conv2d(2, 3, 3),
            "conv_transpose": lambda: m.nn.ConvTranspose2d(3, 2, 3), "conv1d": lambda: m.nn.Conv1d(2, 4, 2)}[kind]()


def inputs(kind):
    return {"linear": (2, 4), "conv": (1, 2, 5, 5), "conv_transpose": (1, 3, 4, 4), "conv1d": (2, 2, 5)}[kind]


def run_both(kind, apply, steps=2, train=True):
    """Build the layer in both libraries with torch's weights, apply the normalisation, copy torch's new
    state (random u, v) into npconv's, then forward/backward ``steps`` times; return per-library records."""
    torch_layer = apply(torch, layer(torch, kind).double())
    mine = apply(npconv, layer(npconv, kind).double())
    copy_torch_state(torch_layer, mine)
    records = []
    for m, module in ((npconv, mine), (torch, torch_layer)):
        module.train(train)
        record = [sorted((n, tuple(p.shape)) for n, p in module.named_parameters()),
                  sorted((n, tuple(b.shape)) for n, b in module.named_buffers()), list(module.state_dict())]
        x = m.tensor(random_array(inputs(kind), np.float64, seed=3), requires_grad=True)
        for _ in range(steps):
            out = module(x)
            (out * out).sum().backward()
        record.append(out.detach().numpy())
        record.append(x.grad.numpy())
        record += [p.grad.numpy() for _, p in sorted(module.named_parameters())]
        record += [b.numpy() for _, b in sorted(module.named_buffers())]
        record.append(module.weight.grad_fn.name() if module.weight.grad_fn else None)
        records.append(record)
    return records


def assert_same(records):
    mine, theirs = records
    assert len(mine) == len(theirs)
    for a, b in zip(mine, theirs):
        if isinstance(a, (np.ndarray, np.generic)):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-9, atol=1e-12)
        else:
            assert a == b


@pytest.mark.parametrize("kind", ["linear", "conv", "conv_transpose", "conv1d"])
@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_matches_torch(kind, dim):
    def apply(m, module):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return m.nn.utils.weight_norm(module, dim=dim)
    assert_same(run_both(kind, apply))


@pytest.mark.parametrize("kind", ["linear", "conv", "conv_transpose"])
@pytest.mark.parametrize("iterations", [1, 3])
@pytest.mark.parametrize("train", [True, False])
def test_spectral_norm_matches_torch(kind, iterations, train):
    assert_same(run_both(kind, lambda m, module: m.nn.utils.spectral_norm(module, n_power_iterations=iterations),
                         train=train))


@pytest.mark.parametrize("norm", ["weight_norm", "spectral_norm"])
def test_removal_gives_back_one_weight_as_torch(norm):
    results = []
    for m in (npconv, torch):
        m.manual_seed(0)
        module = m.nn.Conv2d(2, 3, 3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            getattr(m.nn.utils, norm)(module)
        if norm == "spectral_norm":
            module.weight_u.fill_(0.5)
            module.weight_v.fill_(0.25)
        getattr(m.nn.utils, "remove_" + norm)(module)
        results.append((sorted((n, tuple(p.shape)) for n, p in module.named_parameters()), list(module.state_dict()),
                        type(module.weight).__name__, len(module._forward_pre_hooks)))
        with pytest.raises(ValueError, match=f"{norm} of 'weight' not found in Conv2d"):
            getattr(m.nn.utils, "remove_" + norm)(module)
    assert results[0] == results[1]


def test_weight_norm_warns_and_refuses_a_second_hook_as_torch():
    for m in (npconv, torch):
        module = m.nn.Linear(2, 2)
        with pytest.warns(FutureWarning, match="`torch.nn.utils.weight_norm` is deprecated in favor of"):
            m.nn.utils.weight_norm(module)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks on the same parameter weight"):
                m.nn.utils.weight_norm(module)
        m.nn.utils.spectral_norm(module, name="bias")
        with pytest.raises(RuntimeError, match="Cannot register two spectral_norm hooks on the same parameter bias"):
            m.nn.utils.spectral_norm(module, name="bias")


def test_spectral_norm_divides_by_the_largest_singular_value():
    module = npconv.nn.utils.spectral_norm(npconv.nn.Linear(6, 5).double(), n_power_iterations=50)
    for _ in range(10):  # each forward refines u and v
        module(npconv.zeros(1, 6, dtype=npconv.float64))
    sigma = np.linalg.svd(module.weight.detach().numpy(), compute_uv=False)[0]
    assert abs(sigma - 1) < 1e-6
