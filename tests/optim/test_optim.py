"""Optimisers against torch, step by step (npconv/optim/): values in float32 and float64, state_dict layout,
param_groups defaults, reprs, and the errors for bad hyper-parameters and options."""
import numpy as np
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

import npconv
from tests.strategies import OPTIMIZER_OPTIONS, one_in, optimizer_options
from tests.torch_compare import assert_matches_torch, assert_same_error, random_array, torch_accepts

STEPS = 7


def _trajectory(name, kwargs, with_state=True):
    """A call for assert_matches_torch: build two parameters from the first two arrays, give them the
    gradients of the other two (one row per step), step ``STEPS`` times; return every parameter value on
    the way, then each state's keys and values."""
    def call(m, w, b, grads_w, grads_b):
        params = [m.nn.Parameter(w.clone()), m.nn.Parameter(b.clone())]
        opt = getattr(m.optim, name)(params, **kwargs)
        path = []
        for step in range(STEPS):
            params[0].grad, params[1].grad = grads_w[step].clone(), grads_b[step].clone()
            opt.step()
            path += [p.detach().clone() for p in params]
        if with_state:
            for p in params:
                path += [tuple(opt.state[p])] + list(opt.state[p].values())
        return path
    return call


def _arrays(dtype, seed):
    return [random_array((3, 4), dtype, seed), random_array((4,), dtype, seed + 1),
            random_array((STEPS, 3, 4), dtype, seed + 2), random_array((STEPS, 4), dtype, seed + 3)]


@pytest.mark.parametrize("name", sorted(OPTIMIZER_OPTIONS))
@given(data=st.data(), dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 1000))
def test_optimizer_steps_match_torch(name, data, dtype, seed):
    """Random options (some invalid, some refused on a CPU): parameters and state after each step equal
    torch's, or both libraries raise the same exception type."""
    kwargs = data.draw(optimizer_options(name), label="options")
    call, arrays = _trajectory(name, kwargs), _arrays(dtype, seed)
    assume(data.draw(one_in(4), label="may be invalid") or torch_accepts(call, arrays))
    assert_matches_torch(call, arrays, check_grad=False, expect_errors=True)


CONFIGS = [
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1, "maximize": True}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.5, "amsgrad": True, "fused": True}),
    ("Adadelta", {"weight_decay": 0.1}),
    ("Adagrad", {"lr_decay": 0.1, "initial_accumulator_value": 0.5}),
    ("RMSprop", {"momentum": 0.5, "centered": True}),
    ("RMSprop", {"foreach": True}),
    ("NAdam", {"momentum_decay": 0.1, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("RAdam", {"weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("RAdam", {"betas": (0.5, 0.6)}),
    ("Adamax", {"weight_decay": 0.1, "maximize": True}),
    ("Rprop", {"etas": (0.4, 1.5), "step_sizes": (1e-4, 0.2)}),
    ("ASGD", {"t0": 3.0, "lambd": 0.01, "weight_decay": 0.1}),
]


@pytest.mark.parametrize("name,kwargs", CONFIGS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_worked_trajectories_match_torch(name, kwargs, dtype):
    """Fixed options, steps compared to float64 1e-7 / float32 1e-4 (relative to the largest value)."""
    assert_matches_torch(_trajectory(name, kwargs), _arrays(dtype, 7), check_grad=False)


def _stepped(m, name, kwargs, dtype, steps=2):
    """An optimiser of ``m`` over two parameters of ``dtype`` after ``steps`` steps with fixed gradients."""
    params = [m.nn.Parameter(m.from_numpy(random_array(shape, dtype, i))) for i, shape in enumerate([(2, 3), (3,)])]
    opt = getattr(m.optim, name)(params, **kwargs)
    for step in range(steps):
        for i, p in enumerate(params):
            p.grad = m.from_numpy(random_array(tuple(p.shape), dtype, 10 * step + i + 5))
        opt.step()
    return opt, params


@pytest.mark.parametrize("name,kwargs", CONFIGS)
@pytest.mark.parametrize("steps", [0, 2])
def test_state_dict_layout_and_repr_like_torch(name, kwargs, steps):
    """The same param_groups (keys, defaults, order), state keys and state reprs, and the same repr."""
    nopt, _ = _stepped(npconv, name, kwargs, np.float32, steps)
    topt, _ = _stepped(torch, name, kwargs, np.float32, steps)
    ns, ts = nopt.state_dict(), topt.state_dict()
    assert [list(g) for g in ns["param_groups"]] == [list(g) for g in ts["param_groups"]]
    assert ns["param_groups"] == ts["param_groups"]
    assert list(ns["state"]) == list(ts["state"])
    for index, state in ts["state"].items():
        assert list(ns["state"][index]) == list(state)
        for key, value in state.items():
            if value.dim() == 0:
                assert repr(ns["state"][index][key]) == repr(value), key
            np.testing.assert_allclose(ns["state"][index][key].numpy(), value.numpy(), rtol=1e-5, atol=1e-7)
    assert repr(nopt) == repr(topt)


@pytest.mark.parametrize("name,kwargs", CONFIGS)
def test_state_dict_from_torch_continues_like_torch(name, kwargs):
    """A torch state_dict (float32 state) loaded into a float64 npconv optimiser: state is cast to the
    parameter's dtype except the step counter, and the next steps follow torch's float64 ones."""
    topt, tparams = _stepped(torch, name, kwargs, np.float32, 3)
    saved = topt.state_dict()
    converted = {"param_groups": saved["param_groups"],
                 "state": {i: {k: npconv.from_numpy(v.numpy().copy()) for k, v in st.items()}
                           for i, st in saved["state"].items()}}
    results = []
    for m, state_dict in ((torch, saved), (npconv, converted)):
        opt, params = _stepped(m, name, kwargs, np.float64, 0)
        opt.load_state_dict(state_dict)
        for p, q in zip(params, tparams):
            p.grad = m.from_numpy(q.detach().numpy().astype(np.float64) + 0.5)
        opt.step()
        results.append(([p.detach().numpy() for p in params],
                        {i: {k: (repr(v.dtype), v.numpy()) for k, v in st.items()} for i, st in
                         opt.state_dict()["state"].items()}))
    (mine, mine_state), (theirs, theirs_state) = results
    for a, b in zip(mine, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    assert {i: {k: d for k, (d, _) in st.items()} for i, st in mine_state.items()} == \
        {i: {k: d for k, (d, _) in st.items()} for i, st in theirs_state.items()}


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
    lambda m, p: m.optim.Adam([p], betas=(0, 0.9)), lambda m, p: m.optim.Adam([p], lr=m.ones(2)),
    lambda m, p: m.optim.Adam([p], lr=m.tensor(0.1), foreach=True),
    lambda m, p: m.optim.Adam([p], betas=(m.tensor(0.9), m.tensor(0.99)), foreach=True),
    lambda m, p: m.optim.Adam([p], betas=(m.tensor(0.9), m.ones(2))),
    lambda m, p: m.optim.Adam([p], fused=True, differentiable=True),
    lambda m, p: m.optim.SGD([p], fused=True, foreach=True),
    lambda m, p: m.optim.Adagrad([p], fused=True, foreach=True),
    lambda m, p: m.optim.Adadelta([p], rho=1.5), lambda m, p: m.optim.Adadelta([p], lr=-1),
    lambda m, p: m.optim.Adadelta([p], eps=-1), lambda m, p: m.optim.Adadelta([p], weight_decay=-1),
    lambda m, p: m.optim.Adagrad([p], lr_decay=-1), lambda m, p: m.optim.Adagrad([p], initial_accumulator_value=-1),
    lambda m, p: m.optim.Adagrad([p], eps=-1), lambda m, p: m.optim.RMSprop([p], alpha=-1),
    lambda m, p: m.optim.RMSprop([p], momentum=-1), lambda m, p: m.optim.RMSprop([p], eps=-1),
    lambda m, p: m.optim.NAdam([p], momentum_decay=-1), lambda m, p: m.optim.NAdam([p], betas=(0.9, 1.0)),
    lambda m, p: m.optim.RAdam([p], betas=(-0.1, 0.9)), lambda m, p: m.optim.RAdam([p], weight_decay=-1),
    lambda m, p: m.optim.Adamax([p], eps=-1), lambda m, p: m.optim.Adamax([p], lr=float("nan")),
    lambda m, p: m.optim.SGD([("a", p), p]),
])
def test_invalid_arguments_raise_like_torch(call):
    mine, theirs = assert_same_error(call, [np.ones(2, np.float32)], requires_grad=True)
    assert str(mine) == str(theirs)


_REFUSED = [{"capturable": True}, {"differentiable": True}, {"foreach": True, "capturable": True},
            {"foreach": True, "differentiable": True}, {"foreach": True, "capturable": True, "differentiable": True}]


@pytest.mark.parametrize("name,flags", [(name, flags) for name in sorted(OPTIMIZER_OPTIONS) for flags in _REFUSED
                                        if set(flags) <= set(OPTIMIZER_OPTIONS[name])])
def test_options_refused_at_step_like_torch(name, flags):
    """capturable / differentiable on a CPU: the same refusal as torch at the first step, with its text."""
    def call(m, w):
        p = m.nn.Parameter(w.clone())
        opt = getattr(m.optim, name)([p], **flags)
        opt.step()  # no gradient yet: nothing is refused
        p.grad = m.ones_like(w)
        opt.step()
    mine, theirs = assert_same_error(call, [np.ones(2, np.float32)])
    assert str(mine) == str(theirs)


def test_param_group_warnings_and_name_errors_like_torch():
    for m in (npconv, torch):
        p = m.nn.Parameter(m.ones(2))
        with pytest.warns(UserWarning, match="duplicate parameters"):
            m.optim.SGD([p, p], lr=0.1)
        opt = m.optim.SGD([("w", p)], lr=0.1)
        assert opt.param_groups[0]["param_names"] == ["w"]
        with pytest.raises(ValueError, match="cannot add param group without names to the optimizer"):
            opt.add_param_group({"params": [m.nn.Parameter(m.ones(1))]})


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


def _lbfgs_run(options, steps=3, squash=False):
    """A call for assert_matches_torch: fit a small least-squares problem (through tanh if ``squash``) with
    LBFGS(**options), ``steps`` calls of step(closure); every loss the closure saw, the returned losses, the
    parameters and the counters. (A fixed unit step on the tanh problem oscillates, and any rounding
    difference grows there: that case is not compared.)"""
    def call(m, w, x, y):
        w = m.nn.Parameter(w.clone())
        opt = m.optim.LBFGS([w], **options)
        seen = []

        def closure():
            opt.zero_grad()
            loss = (((m.tanh(x @ w) if squash else x @ w) - y) ** 2).mean()
            loss.backward()
            seen.append(loss.detach())
            return loss
        returned = [opt.step(closure).detach() for _ in range(steps)]
        state = opt.state[w]
        return seen, returned, w.detach(), state["func_evals"], state["n_iter"]
    return call


@pytest.mark.parametrize("options,squash", [
    ({}, False), ({"lr": 0.5, "max_iter": 5, "history_size": 3}, False), ({"line_search_fn": "strong_wolfe"}, False),
    ({"line_search_fn": "strong_wolfe"}, True),
    ({"line_search_fn": "strong_wolfe", "max_iter": 7, "history_size": 2}, True),
    ({"tolerance_grad": 1e-2}, False), ({"tolerance_change": 1e-3, "max_eval": 9}, False)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_lbfgs_follows_torch(options, squash, dtype):
    """Every closure evaluation (count and loss), the parameters and the counters after three steps."""
    arrays = [random_array((4, 2), dtype, 1), random_array((16, 4), dtype, 2), random_array((16, 2), dtype, 3) * 0.5]
    assert_matches_torch(_lbfgs_run(options, squash=squash), arrays, check_grad=False,
                         rtol={np.dtype(np.float64): 1e-7, np.dtype(np.float32): 1e-3})


@pytest.mark.parametrize("call", [
    lambda m, p: m.optim.LBFGS([p], lr=-1),
    lambda m, p: m.optim.LBFGS([{"params": [p]}, {"params": [m.nn.Parameter(m.ones(1))]}]),
    lambda m, p: m.optim.LBFGS([p], line_search_fn="armijo").step(lambda: (p * p).sum().backward() or (p * p).sum()),
])
def test_lbfgs_errors_like_torch(call):
    mine, theirs = assert_same_error(call, [np.ones(2, np.float32)], requires_grad=True)
    assert str(mine) == str(theirs)


def test_lbfgs_layout_like_torch():
    def layout(m):
        p = m.nn.Parameter(m.ones(3))
        opt = m.optim.LBFGS([p], lr=0.1)
        opt.step(lambda: ((p - 2) ** 2).sum().backward() or ((p - 2) ** 2).sum())
        return repr(opt), opt.state_dict()["param_groups"], list(opt.state_dict()["state"][0])
    assert layout(npconv) == layout(torch)
