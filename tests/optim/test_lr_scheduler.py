"""lr schedulers against torch (npconv/optim/lr_scheduler/): learning rates and momenta over many steps,
step(epoch) closed forms, state_dict keys and values, errors and warnings."""
import types
import warnings

import numpy as np
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

import npconv
from tests.strategies import (SCHEDULER_ARGUMENTS, one_in, plateau_arguments, plateau_metrics,
                              scheduler_arguments)
from tests.torch_compare import assert_matches_torch, assert_same_error, torch_accepts

STEPS = 40
EXACT = 0.0  # the same formulas in the same order: the same doubles


def _optimizer(m, name="SGD"):
    """Two parameter groups with different learning rates (and momenta where the optimiser has one)."""
    p, q = m.nn.Parameter(m.zeros(2)), m.nn.Parameter(m.zeros(3))
    if name == "SGD":
        return m.optim.SGD([{"params": [p]}, {"params": [q], "lr": 0.05, "momentum": 0.5}], lr=0.1, momentum=0.9)
    return getattr(m.optim, name)([{"params": [p]}, {"params": [q], "lr": 0.05}], lr=0.1)


def _schedule(m, opt, name, kwargs):
    kwargs = {k: (v(m, opt) if isinstance(v, types.FunctionType) else v) for k, v in kwargs.items()}
    return getattr(m.optim.lr_scheduler, name)(opt, **kwargs)


def _observed(opt, sched):
    """What a training loop sees: the scheduler's last lrs, and every group's lr and momentum/beta1."""
    momenta = [g["momentum"] if "momentum" in g else g["betas"][0] for g in opt.param_groups]
    return [list(sched.get_last_lr()), [g["lr"] for g in opt.param_groups], momenta]


def _saved(sched):
    """state_dict as comparable items: keys in order, then every value that is not a function."""
    state = sched.state_dict()
    return [tuple(state)] + [v for v in state.values() if not callable(v)]


def _run(name, kwargs, optimizer="SGD", metrics=None, epochs=None):
    """A call for assert_matches_torch: ``STEPS`` rounds of optimizer.step() then scheduler.step()."""
    def call(m):
        opt = _optimizer(m, optimizer)
        sched = _schedule(m, opt, name, kwargs)
        seen = [_observed(opt, sched)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # epoch= is deprecated (checked on its own below)
            for step in range(STEPS):
                opt.step()
                if metrics is not None:
                    sched.step(metrics[step])
                elif epochs is not None:
                    sched.step(epochs[step])
                else:
                    sched.step()
                seen.append(_observed(opt, sched))
        return seen + _saved(sched)
    return call


@pytest.mark.parametrize("name", sorted(SCHEDULER_ARGUMENTS))
@given(data=st.data(), optimizer=st.sampled_from(["SGD", "Adam", "RMSprop", "Adagrad"]))
def test_schedules_follow_torch(name, data, optimizer):
    """Random arguments (some invalid: then the same exception type): 40 steps of lrs and momenta, then the
    state_dict, equal to torch's."""
    kwargs = data.draw(scheduler_arguments(name), label="arguments")
    call = _run(name, kwargs, optimizer)
    assume(data.draw(one_in(4), label="may be invalid") or torch_accepts(call))
    assert_matches_torch(call, [], rtol=EXACT, check_grad=False, expect_errors=True)


@given(kwargs=plateau_arguments(), metrics=plateau_metrics(STEPS))
def test_reduce_lr_on_plateau_follows_torch(kwargs, metrics):
    assert_matches_torch(_run("ReduceLROnPlateau", kwargs, metrics=metrics), [], rtol=EXACT, check_grad=False)


@pytest.mark.parametrize("name,kwargs", [
    ("StepLR", {"step_size": 3, "gamma": 0.5}), ("MultiStepLR", {"milestones": [2, 5, 5, 9]}),
    ("ConstantLR", {"factor": 0.5, "total_iters": 4}), ("LinearLR", {"start_factor": 0.25, "total_iters": 8}),
    ("ExponentialLR", {"gamma": 0.9}), ("PolynomialLR", {"total_iters": 12, "power": 2.0}),
    ("CosineAnnealingLR", {"T_max": 10, "eta_min": 0.01}),
    ("CosineAnnealingWarmRestarts", {"T_0": 3, "T_mult": 2, "eta_min": 0.001}),
    ("CosineAnnealingWarmRestarts", {"T_0": 4}),
    ("LambdaLR", {"lr_lambda": lambda m, opt: lambda epoch: 0.95 ** epoch}),
    ("MultiplicativeLR", {"lr_lambda": lambda m, opt: [lambda e: 0.9, lambda e: 0.5 if e % 3 else 1.0]}),
])
def test_step_with_epoch_uses_the_closed_form_like_torch(name, kwargs):
    """The deprecated step(epoch): jumps (back, forward, fractional for warm restarts) as torch."""
    epochs = [(3 * i) % 17 + (0.5 if name == "CosineAnnealingWarmRestarts" and i % 4 == 1 else 0)
              for i in range(STEPS)]
    assert_matches_torch(_run(name, kwargs, epochs=epochs), [], rtol=EXACT, check_grad=False)


def _sequential(m, opt):
    first = m.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=5)
    second = m.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=12)
    third = m.optim.lr_scheduler.StepLR(opt, step_size=4, gamma=0.5)
    return m.optim.lr_scheduler.SequentialLR(opt, [first, second, third], milestones=[5, 20])


def _chained(m, opt):
    return m.optim.lr_scheduler.ChainedScheduler([m.optim.lr_scheduler.ConstantLR(opt, factor=0.5, total_iters=6),
                                                  m.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)])


@pytest.mark.parametrize("build", [_sequential, _chained])
@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_sequential_and_chained_follow_torch(build, optimizer):
    def call(m):
        opt = _optimizer(m, optimizer)
        sched = build(m, opt)
        seen = [_observed(opt, sched)]
        for _ in range(STEPS):
            opt.step()
            sched.step()
            seen.append(_observed(opt, sched))
        state = sched.state_dict()
        return seen + [tuple(state), [tuple(s) for s in state["_schedulers"]]]
    assert_matches_torch(call, [], rtol=EXACT, check_grad=False)


@pytest.mark.parametrize("name,kwargs", [
    ("StepLR", {"step_size": 3}), ("OneCycleLR", {"max_lr": 1.0, "total_steps": 50}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4}),
    ("CosineAnnealingWarmRestarts", {"T_0": 5, "T_mult": 2}),
    ("LambdaLR", {"lr_lambda": lambda m, opt: lambda epoch: 1 / (1 + epoch)}),
])
def test_load_state_dict_resumes_like_torch(name, kwargs):
    """A scheduler saved after 10 steps and loaded into a new one (with the optimizer's groups) goes on as the
    original would, in both libraries."""
    def call(m):
        opt = _optimizer(m)
        sched = _schedule(m, opt, name, kwargs)
        for _ in range(10):
            opt.step()
            sched.step()
        saved_sched, saved_opt = sched.state_dict(), opt.state_dict()
        opt2 = _optimizer(m)
        sched2 = _schedule(m, opt2, name, kwargs)
        opt2.load_state_dict(saved_opt)
        sched2.load_state_dict(saved_sched)
        seen = []
        for _ in range(10):
            opt2.step()
            sched2.step()
            seen.append(_observed(opt2, sched2))
        return seen
    assert_matches_torch(call, [], rtol=EXACT, check_grad=False)


def _warned(m, body):
    """The (category, text) of every warning ``body(m)`` emits."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        body(m)
    return [(w.category, str(w.message)) for w in caught]


def _scheduler_before_optimizer(m):
    opt = _optimizer(m)
    sched = m.optim.lr_scheduler.StepLR(opt, 2)
    sched.step()
    opt.step()
    sched.step()


def _optimizer_step_replaced(m):
    opt = _optimizer(m)
    sched = m.optim.lr_scheduler.ExponentialLR(opt, 0.5)
    opt.step = lambda closure=None: None
    sched.step()


def _epoch_argument(m):
    opt = _optimizer(m)
    sched = m.optim.lr_scheduler.StepLR(opt, 2)
    opt.step()
    sched.step(3)
    m.optim.lr_scheduler.ReduceLROnPlateau(opt).step(1.0, 4)


def _get_lr_called_directly(m):
    opt = _optimizer(m)
    sched = m.optim.lr_scheduler.CosineAnnealingLR(opt, 5)
    opt.step()
    sched.step()
    sched.get_lr()


def _right_order(m):
    opt = _optimizer(m)
    sched = m.optim.lr_scheduler.OneCycleLR(opt, 1.0, total_steps=5)
    for _ in range(5):
        opt.step()
        sched.step()


@pytest.mark.parametrize("body", [_scheduler_before_optimizer, _optimizer_step_replaced, _epoch_argument,
                                  _get_lr_called_directly, _right_order])
def test_warnings_like_torch(body):
    mine, theirs = _warned(npconv, body), _warned(torch, body)
    assert mine == theirs


def test_warning_points_at_the_callers_line():
    def where(m):
        opt = _optimizer(m)
        sched = m.optim.lr_scheduler.StepLR(opt, 2)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sched.step()
        return [(w.filename, w.lineno) for w in caught]
    assert where(npconv) == where(torch) != []


def _step_times(scheduler, times):
    for _ in range(times):
        scheduler.optimizer.step()
        scheduler.step()


@pytest.mark.parametrize("call", [
    lambda m, o: m.optim.lr_scheduler.ConstantLR(o, factor=1.5),
    lambda m, o: m.optim.lr_scheduler.LinearLR(o, start_factor=0),
    lambda m, o: m.optim.lr_scheduler.LinearLR(o, end_factor=2),
    lambda m, o: m.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=0),
    lambda m, o: m.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=1.5),
    lambda m, o: m.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=2, eta_min="a"),
    lambda m, o: m.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=2).step(-1),
    lambda m, o: m.optim.lr_scheduler.OneCycleLR(o, 1.0),
    lambda m, o: m.optim.lr_scheduler.OneCycleLR(o, 1.0, epochs=0, steps_per_epoch=3),
    lambda m, o: m.optim.lr_scheduler.OneCycleLR(o, 1.0, epochs=2, steps_per_epoch=1.5),
    lambda m, o: m.optim.lr_scheduler.OneCycleLR(o, 1.0, total_steps=-2),
    lambda m, o: m.optim.lr_scheduler.OneCycleLR(o, 1.0, total_steps=10, pct_start=2.0),
    lambda m, o: m.optim.lr_scheduler.OneCycleLR(o, 1.0, total_steps=10, anneal_strategy="exp"),
    lambda m, o: m.optim.lr_scheduler.OneCycleLR(o, [1.0], total_steps=10),
    lambda m, o: _step_times(m.optim.lr_scheduler.OneCycleLR(o, 1.0, total_steps=2), 3),
    lambda m, o: m.optim.lr_scheduler.OneCycleLR(m.optim.Adagrad(o.param_groups[0]["params"]), 1.0, total_steps=5),
    lambda m, o: m.optim.lr_scheduler.CyclicLR(o, 0.01, 0.1, mode="bad"),
    lambda m, o: m.optim.lr_scheduler.CyclicLR(o, [0.01], 0.1),
    lambda m, o: m.optim.lr_scheduler.ReduceLROnPlateau(o, factor=1.0),
    lambda m, o: m.optim.lr_scheduler.ReduceLROnPlateau(o, mode="up"),
    lambda m, o: m.optim.lr_scheduler.ReduceLROnPlateau(o, threshold_mode="x"),
    lambda m, o: m.optim.lr_scheduler.ReduceLROnPlateau(o, min_lr=[0.1]),
    lambda m, o: m.optim.lr_scheduler.ReduceLROnPlateau(object()),
    lambda m, o: m.optim.lr_scheduler.LambdaLR(o, [lambda e: 1.0]),
    lambda m, o: m.optim.lr_scheduler.MultiplicativeLR(o, [lambda e: 1.0, 3]),
    lambda m, o: m.optim.lr_scheduler.StepLR(o, 2, last_epoch=3),
    lambda m, o: m.optim.lr_scheduler.SequentialLR(o, [], []),
    lambda m, o: m.optim.lr_scheduler.SequentialLR(o, [m.optim.lr_scheduler.StepLR(o, 2)], [3]),
    lambda m, o: m.optim.lr_scheduler.SequentialLR(o, [m.optim.lr_scheduler.ReduceLROnPlateau(o)], []),
    lambda m, o: m.optim.lr_scheduler.SequentialLR(o, [object()], []),
    lambda m, o: m.optim.lr_scheduler.ChainedScheduler([]),
    lambda m, o: m.optim.lr_scheduler.ChainedScheduler([m.optim.lr_scheduler.ReduceLROnPlateau(o)]),
])
def test_invalid_arguments_raise_like_torch(call):
    mine, theirs = assert_same_error(lambda m: call(m, _optimizer(m)))
    assert str(mine) == str(theirs)


def test_reduce_lr_on_plateau_refuses_a_new_group_without_min_lrs_like_torch():
    def call(m):
        opt = _optimizer(m)
        sched = m.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, min_lr=[0.0, 0.0])
        opt.add_param_group({"params": [m.nn.Parameter(m.ones(1))]})
        sched.step(1.0)
        sched.step(2.0)
    mine, theirs = assert_same_error(call)
    assert str(mine) == str(theirs)


def test_group_keys_added_by_schedulers_like_torch():
    """OneCycleLR and CyclicLR write their ends into the groups (initial_lr, max_lr, min_lr, momenta)."""
    def keys(m, build):
        opt = _optimizer(m, "Adam")
        build(m, opt)
        return [list(g) for g in opt.state_dict()["param_groups"]], opt.param_groups[0]["betas"]
    for build in (lambda m, o: m.optim.lr_scheduler.OneCycleLR(o, 0.3, total_steps=9),
                  lambda m, o: m.optim.lr_scheduler.CyclicLR(o, 0.01, 0.1)):
        assert keys(npconv, build) == keys(torch, build)


def test_lr_scheduler_names_like_torch():
    assert npconv.optim.lr_scheduler.__all__ == torch.optim.lr_scheduler.__all__
    for name in torch.optim.lr_scheduler.__all__:
        assert issubclass(getattr(npconv.optim.lr_scheduler, name), npconv.optim.lr_scheduler.LRScheduler)


def test_optimizer_pickles_after_a_scheduler_wrapped_its_step():
    import pickle

    opt = _optimizer(npconv, "Adam")
    npconv.optim.lr_scheduler.StepLR(opt, 2)
    copy = pickle.loads(pickle.dumps(opt))
    assert repr(copy) == repr(opt)
    assert not hasattr(copy.step, "_wrapped_by_lr_sched")
