"""nn.utils.parametrize and nn.utils.parametrizations (weight_norm, spectral_norm) against torch: the
Parametrized class and its repr, state-dict keys, the parametrized values and gradients through them,
right_inverse on assignment, removal, caching, errors."""
import warnings

import numpy as np
import pytest
import torch

import npconv
from tests.torch_compare import copy_torch_state, random_array


def layer(m, kind):
    return {"linear": lambda: m.nn.Linear(4, 3), "conv": lambda: m.nn.Conv2d(2, 3, 3),
            "conv_transpose": lambda: m.nn.ConvTranspose2d(3, 2, 3)}[kind]().double()


SHAPES = {"linear": (2, 4), "conv": (1, 2, 5, 5), "conv_transpose": (1, 3, 4, 4)}


def compare(kind, apply, train=True, steps=2):
    modules = [apply(m, layer(m, kind)) for m in (npconv, torch)]
    copy_torch_state(modules[1], modules[0])
    records = []
    for m, module in zip((npconv, torch), modules):
        module.train(train)
        record = [repr(module), type(module).__name__, list(module.state_dict())]
        x = m.tensor(random_array(SHAPES[kind], np.float64, seed=2), requires_grad=True)
        for _ in range(steps):
            out = module(x)
            (out * out).sum().backward()
        record += [out.detach().numpy(), x.grad.numpy()]
        record += [p.grad.numpy() for _, p in module.named_parameters()]
        record += [b.numpy() for _, b in module.named_buffers()]
        record.append(module.weight.grad_fn.name())
        records.append(record)
    for mine, theirs in zip(*records):
        if isinstance(mine, (np.ndarray, np.generic)):
            np.testing.assert_allclose(np.asarray(mine), np.asarray(theirs), rtol=1e-9, atol=1e-12)
        else:
            assert mine == theirs


@pytest.mark.parametrize("kind", ["linear", "conv", "conv_transpose"])
@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_parametrization_matches_torch(kind, dim):
    compare(kind, lambda m, module: m.nn.utils.parametrizations.weight_norm(module, dim=dim))


@pytest.mark.parametrize("kind", ["linear", "conv", "conv_transpose"])
@pytest.mark.parametrize("train", [True, False])
def test_spectral_norm_parametrization_matches_torch(kind, train):
    compare(kind, lambda m, module: m.nn.utils.parametrizations.spectral_norm(module, n_power_iterations=2),
            train=train)


class Symmetric:
    @staticmethod
    def make(m):
        class Sym(m.nn.Module):
            def forward(self, x):
                return x.triu() + x.triu(1).transpose(-1, -2)
        return Sym()


def test_custom_parametrization_register_assign_and_remove_as_torch():
    records = []
    for m in (npconv, torch):
        parametrize = m.nn.utils.parametrize
        module = m.nn.Linear(3, 3).double()
        with m.no_grad():
            module.weight.copy_(m.tensor(random_array((3, 3), seed=1)))
        parametrize.register_parametrization(module, "weight", Symmetric.make(m))
        record = [repr(module), parametrize.is_parametrized(module), parametrize.is_parametrized(module, "bias"),
                  module.weight.detach().numpy().tolist(), module.weight.grad_fn.name()]
        with parametrize.cached():
            record.append(module.weight is module.weight)
        record.append(module.weight is module.weight)
        parametrize.remove_parametrizations(module, "weight")
        record += [repr(module), type(module).__name__, type(module.weight).__name__,
                   module.weight.detach().numpy().tolist(), list(module.state_dict())]
        with pytest.raises(ValueError, match="does not have a parametrization on weight"):
            parametrize.remove_parametrizations(module, "weight")
        with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a parametrized element"):
            parametrize.register_parametrization(module, "nothing", Symmetric.make(m))
        records.append(record)
    assert records[0] == records[1]


def test_assigning_a_weight_goes_through_right_inverse_as_torch():
    got = []
    for m in (npconv, torch):
        module = m.nn.utils.parametrizations.weight_norm(m.nn.Linear(4, 3).double())
        module.weight = m.tensor(random_array((3, 4), seed=3))
        got.append([module.parametrizations.weight.original0.detach().numpy(),
                    module.parametrizations.weight.original1.detach().numpy(), module.weight.detach().numpy()])
    for mine, theirs in zip(*got):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12)


def test_spectral_norm_parametrization_normalises_the_largest_singular_value():
    module = npconv.nn.utils.parametrizations.spectral_norm(npconv.nn.Linear(6, 5).double(), n_power_iterations=20)
    for _ in range(5):
        module(npconv.zeros(1, 6, dtype=npconv.float64))
    assert abs(np.linalg.svd(module.weight.detach().numpy(), compute_uv=False)[0] - 1) < 1e-6


def test_transfer_parametrizations_and_params_as_torch():
    records = []
    for m in (npconv, torch):
        source = m.nn.utils.parametrizations.weight_norm(m.nn.Linear(4, 3).double())
        target = m.nn.Linear(4, 3).double()
        m.nn.utils.parametrize.transfer_parametrizations_and_params(source, target)
        records.append([repr(target), list(target.state_dict()),
                        np.array_equal(target.weight.detach().numpy(), source.weight.detach().numpy())])
    assert records[0] == records[1]
