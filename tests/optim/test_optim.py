"""Optimisers and the StepLR schedule against torch, step by step (npconv/optim/)."""
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import npconv
from tests.torch_compare import assert_same_error, random_array

CONFIGS = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.5, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.5, "maximize": True}),
    ("Adam", {}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "maximize": True}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.5, "amsgrad": True}),
]


def _pair(shape, dtype, seed):
    w = random_array(shape, dtype, seed)
    return torch.nn.Parameter(torch.from_numpy(w.copy())), npconv.nn.Parameter(npconv.from_numpy(w.copy()))


@pytest.mark.parametrize("name,kwargs", CONFIGS)
@given(dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 1000))
def test_optimizer_steps_match_torch(name, kwargs, dtype, seed):
    tp, npp = _pair((3, 4), dtype, seed)
    tb, npb = _pair((4,), dtype, seed + 1)
    topt = getattr(torch.optim, name)([tp, tb], **kwargs)
    nopt = getattr(npconv.optim, name)([npp, npb], **kwargs)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    for step in range(6):
        for t, n, s in ((tp, npp, 0), (tb, npb, 1)):
            g = random_array(tuple(t.shape), dtype, 100 * seed + 10 * step + s)
            t.grad, n.grad = torch.from_numpy(g.copy()), npconv.from_numpy(g.copy())
        topt.step()
        nopt.step()
        for t, n in ((tp, npp), (tb, npb)):
            assert n.dtype == npconv.float64 if dtype == np.float64 else n.dtype == npconv.float32
            np.testing.assert_allclose(n.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("name,kwargs", [CONFIGS[1], CONFIGS[7], CONFIGS[10]])
def test_state_dict_layout_and_repr_like_torch(name, kwargs):
    tp, npp = _pair((2,), np.float32, 0)
    topt, nopt = getattr(torch.optim, name)([tp], **kwargs), getattr(npconv.optim, name)([npp], **kwargs)
    for opt, p in ((topt, tp), (nopt, npp)):
        p.grad = type(p.detach())(np.ones(2, np.float32)) if p is npp else torch.ones(2)
        opt.step()
    ts, ns = topt.state_dict(), nopt.state_dict()
    assert ns["param_groups"] == ts["param_groups"]
    assert sorted(ns["state"][0]) == sorted(ts["state"][0])
    for key, value in ts["state"][0].items():
        assert repr(ns["state"][0][key]) == repr(value)
    assert repr(nopt) == repr(topt)


def test_load_state_dict_restores_the_trajectory():
    def run(resume):
        p = npconv.nn.Parameter(npconv.ones(3))
        opt = npconv.optim.Adam([p], lr=0.1)
        for step in range(4):
            if step == 2 and resume:
                saved, value = opt.state_dict(), p.detach().clone()
                p = npconv.nn.Parameter(value)
                opt = npconv.optim.Adam([p], lr=0.5)
                opt.load_state_dict(saved)
            p.grad = npconv.full((3,), float(step + 1))
            opt.step()
        return p.detach().numpy()
    np.testing.assert_allclose(run(True), run(False))


def test_param_groups_and_zero_grad_like_torch():
    def run(m):
        a, b = m.nn.Parameter(m.ones(2)), m.nn.Parameter(m.ones(2))
        opt = m.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.9)
        (a * 2 + b * 3).sum().backward()
        opt.step()
        opt.zero_grad()
        grads = [a.grad, b.grad]
        return a.tolist(), b.tolist(), grads, [g["lr"] for g in opt.param_groups]
    assert run(npconv) == run(torch)


@pytest.mark.parametrize("call", [
    lambda m, p: m.optim.SGD([p], lr=-1), lambda m, p: m.optim.SGD([p], momentum=-0.1),
    lambda m, p: m.optim.SGD([p], weight_decay=-1), lambda m, p: m.optim.SGD([p], nesterov=True),
    lambda m, p: m.optim.SGD([p], momentum=0.9, dampening=0.1, nesterov=True),
    lambda m, p: m.optim.Adam([p], lr=-1), lambda m, p: m.optim.Adam([p], betas=(1.0, 0.9)),
    lambda m, p: m.optim.Adam([p], betas=(0.9, -0.1)), lambda m, p: m.optim.Adam([p], eps=-1),
    lambda m, p: m.optim.AdamW([p], weight_decay=-1), lambda m, p: m.optim.SGD([], lr=0.1),
    lambda m, p: m.optim.SGD(p, lr=0.1), lambda m, p: m.optim.SGD([p * 2], lr=0.1),
    lambda m, p: m.optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1),
    lambda m, p: m.optim.lr_scheduler.StepLR(object(), 2),
])
def test_invalid_arguments_raise_like_torch(call):
    mine, theirs = assert_same_error(call, [np.ones(2, np.float32)], requires_grad=True)
    assert str(mine) == str(theirs)


@pytest.mark.parametrize("step_size,gamma", [(1, 0.5), (3, 0.1), (2, 0.9)])
def test_step_lr_like_torch(step_size, gamma):
    def run(m):
        p = m.nn.Parameter(m.ones(1))
        opt = m.optim.SGD([p], lr=0.3)
        sched = m.optim.lr_scheduler.StepLR(opt, step_size=step_size, gamma=gamma)
        lrs = []
        for _ in range(8):
            opt.step()
            sched.step()
            lrs.append((opt.param_groups[0]["lr"], sched.get_last_lr()[0], sched.last_epoch))
        return lrs
    mine, theirs = run(npconv), run(torch)
    np.testing.assert_allclose(np.array(mine), np.array(theirs), rtol=1e-15)


def _tiny_model_forward(m, params, x):
    w1, b1, w2, b2 = params
    return (x @ w1.t() + b1).tanh() @ w2.t() + b2


@pytest.mark.parametrize("name,kwargs", [("SGD", {"lr": 0.1, "momentum": 0.9}), ("Adam", {"lr": 0.01}),
                                         ("AdamW", {"lr": 0.01, "weight_decay": 0.1})])
def test_linear_tanh_linear_model_follows_torch(name, kwargs):
    """Weights copied from torch; loss and weights follow torch's over several steps to 1e-5."""
    torch.manual_seed(0)
    reference = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    torch_params = list(reference.parameters())
    np_params = [npconv.nn.Parameter(npconv.from_numpy(p.detach().numpy().copy())) for p in torch_params]
    topt, nopt = getattr(torch.optim, name)(torch_params, **kwargs), getattr(npconv.optim, name)(np_params, **kwargs)
    x, y = random_array((16, 4), np.float32, 1), random_array((16, 3), np.float32, 2)
    for _ in range(10):
        topt.zero_grad()
        nopt.zero_grad()
        tloss = ((reference(torch.from_numpy(x)) - torch.from_numpy(y)) ** 2).mean()
        nloss = ((_tiny_model_forward(npconv, np_params, npconv.from_numpy(x)) - npconv.from_numpy(y)) ** 2).mean()
        np.testing.assert_allclose(nloss.item(), tloss.item(), rtol=1e-5)
        tloss.backward()
        nloss.backward()
        topt.step()
        nopt.step()
    for n, t in zip(np_params, torch_params):
        np.testing.assert_allclose(n.detach().numpy(), t.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_linear_tanh_linear_modules_follow_torch():
    """The same with npconv.nn.Linear / Tanh modules (written by the layers helper)."""
    torch.manual_seed(0)
    reference = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    model = npconv.nn.Sequential(npconv.nn.Linear(4, 8), npconv.nn.Tanh(), npconv.nn.Linear(8, 3))
    model.load_state_dict({k: npconv.from_numpy(v.numpy().copy()) for k, v in reference.state_dict().items()})
    assert repr(model) == repr(reference)
    topt = torch.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    nopt = npconv.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    x, y = random_array((16, 4), np.float32, 1), random_array((16, 3), np.float32, 2)
    for _ in range(8):
        for opt in (topt, nopt):
            opt.zero_grad()
        tloss = ((reference(torch.from_numpy(x)) - torch.from_numpy(y)) ** 2).mean()
        nloss = ((model(npconv.from_numpy(x)) - npconv.from_numpy(y)) ** 2).mean()
        np.testing.assert_allclose(nloss.item(), tloss.item(), rtol=1e-5)
        tloss.backward()
        nloss.backward()
        topt.step()
        nopt.step()
    for (name, n), t in zip(model.named_parameters(), reference.parameters()):
        np.testing.assert_allclose(n.detach().numpy(), t.detach().numpy(), rtol=1e-5, atol=1e-6, err_msg=name)
