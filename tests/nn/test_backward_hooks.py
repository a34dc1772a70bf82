"""Module backward hooks (npconv/nn/modules/backward_hooks.py) against torch: what the hooks see and when,
replacements of grad_input and grad_output, the identity nodes in the graph, the warning when no input
requires a gradient, and a Grad-CAM computed from a layer's hooks."""
import warnings

import numpy as np
import torch

import npconv


def _conv(lib):
    conv = lib.nn.Conv2d(1, 2, 3)
    with lib.no_grad():
        conv.weight.copy_(lib.linspace(-1, 1, 18).reshape(2, 1, 3, 3))
        conv.bias.copy_(lib.tensor([0.5, -0.5]))
    return conv


def _seen(lib, input_requires_grad):
    log = []
    conv = _conv(lib)
    conv.register_full_backward_pre_hook(lambda m, go: log.append(("pre", [g.tolist() for g in go])))
    conv.register_full_backward_hook(lambda m, gi, go: log.append(
        ("hook", [None if g is None else g.tolist() for g in gi], [g.tolist() for g in go])))
    x = lib.linspace(0, 1, 25).reshape(1, 1, 5, 5).requires_grad_(input_requires_grad)
    y = conv(x)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        (y * y).sum().backward()
    return (log, y.grad_fn.name(), [str(w.message)[:60] for w in caught],
            None if x.grad is None else x.grad.tolist())


def test_hooks_see_what_torchs_see():
    for requires_grad in (False, True):
        ours, theirs = _seen(npconv, requires_grad), _seen(torch, requires_grad)
        assert ours[1:3] == theirs[1:3]
        assert ours[0][0][0] == theirs[0][0][0] == "pre"
        np.testing.assert_allclose(np.array(ours[0][0][1]), np.array(theirs[0][0][1]), rtol=1e-5)
        assert [entry[0] for entry in ours[0]] == [entry[0] for entry in theirs[0]]
        if requires_grad:
            np.testing.assert_allclose(ours[3], theirs[3], rtol=1e-5)


def test_replacements_reach_the_input():
    def run(lib):
        relu = lib.nn.ReLU()
        relu.register_full_backward_hook(lambda m, gi, go: (gi[0] * 3,))
        relu.register_full_backward_pre_hook(lambda m, go: (go[0] * 2,))
        x = lib.tensor([-1.0, 2.0, 3.0], requires_grad=True)
        relu(x * 1).sum().backward()
        return x.grad.tolist()
    assert run(npconv) == run(torch) == [0.0, 6.0, 6.0]


def test_removed_hooks_stop():
    def run(lib):
        calls = []
        relu = lib.nn.ReLU()
        handle = relu.register_full_backward_hook(lambda m, gi, go: calls.append(1))
        x = lib.ones(2, requires_grad=True)
        relu(x * 1).sum().backward()
        handle.remove()
        relu(x * 1).sum().backward()
        return calls
    assert run(npconv) == run(torch) == [1]
