"""nn.parallel against torch on a machine without accelerators (npconv/nn/parallel/): DataParallel wraps
and runs the module; the multi-device tools fail as torch's CPU build makes them fail."""
import numpy as np
import pytest
import torch

import npconv
import npconv.nn.parallel
from tests.torch_compare import assert_matches_torch, assert_same_error, random_array


def _model(m):
    return m.nn.Sequential(m.nn.Conv2d(1, 2, 3), m.nn.ReLU(), m.nn.Flatten(), m.nn.Linear(18, 3))


def _twins():
    """The same model in both libraries (torch's weights), each wrapped in DataParallel."""
    reference = _model(torch)
    mine = _model(npconv)
    mine.load_state_dict({k: npconv.from_numpy(v.numpy().copy()) for k, v in reference.state_dict().items()})
    return npconv.nn.DataParallel(mine), torch.nn.DataParallel(reference)


def test_wrapper_layout_like_torch():
    """repr, state_dict keys, .module, device_ids, parameter names, the class names."""
    mine, theirs = _twins()
    assert repr(mine) == repr(theirs)
    assert list(mine.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in mine.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert type(mine.module).__name__ == type(theirs.module).__name__ == "Sequential"
    assert mine.device_ids == theirs.device_ids == []
    assert npconv.nn.DataParallel is npconv.nn.parallel.DataParallel
    assert npconv.nn.parallel.__all__ == torch.nn.parallel.__all__


def test_training_through_the_wrapper_follows_torch():
    """Forward, loss, backward and SGD steps through DataParallel equal torch's; the wrapped module learns."""
    mine, theirs = _twins()

    def call(m, x, y):
        model = mine if m is npconv else theirs
        opt = m.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        losses = []
        for _ in range(3):
            opt.zero_grad()
            loss = m.nn.functional.mse_loss(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.detach())
        return losses + [p.detach() for p in model.module.parameters()]
    assert_matches_torch(call, [random_array((4, 1, 5, 5), np.float32, 1), random_array((4, 3), np.float32, 2)],
                         check_grad=False)


def test_state_dict_round_trip_with_torch():
    """A checkpoint of torch's DataParallel loads into npconv's (and into the bare module after stripping
    the prefix, as the recipes do)."""
    mine, theirs = _twins()
    saved = {k: npconv.from_numpy(v.numpy().copy()) for k, v in theirs.state_dict().items()}
    fresh = npconv.nn.DataParallel(_model(npconv))
    fresh.load_state_dict(saved)
    bare = _model(npconv)
    bare.load_state_dict({k.removeprefix("module."): v for k, v in saved.items()})
    x = npconv.from_numpy(random_array((2, 1, 5, 5), np.float32, 3))
    expected = theirs(torch.from_numpy(x.numpy().copy())).detach().numpy()
    np.testing.assert_allclose(fresh(x).detach().numpy(), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bare(x).detach().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_keyword_inputs_reach_the_module_like_torch():
    def call(m, x):
        return m.nn.DataParallel(m.nn.Identity())(input=x)
    assert_matches_torch(call, [random_array((2, 3), np.float64, 4)])


@pytest.mark.parametrize("call", [
    lambda m, x: m.nn.parallel.data_parallel(m.nn.Identity(), x),
    lambda m, x: m.nn.parallel.data_parallel(m.nn.Identity(), x, device_ids=[0]),
    lambda m, x: m.nn.parallel.replicate(m.nn.Linear(2, 2), [0]),
    lambda m, x: m.nn.parallel.replicate(m.nn.Identity(), ["cpu"]),
    lambda m, x: m.nn.parallel.gather([x, x], 0),
    lambda m, x: m.nn.parallel.parallel_apply([m.nn.Identity()], [(x,)]),
    lambda m, x: m.nn.parallel.parallel_apply([m.nn.Identity()] * 2, [(x,), (x,)], devices=["cpu", "cpu"]),
])
def test_multi_device_tools_fail_like_torch(call):
    mine, theirs = assert_same_error(call, [np.ones((2, 2), np.float32)])
    assert str(mine) == str(theirs)


def test_replicate_without_state_or_devices_like_torch():
    for m in (npconv, torch):
        assert [repr(r) for r in m.nn.parallel.replicate(m.nn.ReLU(), [0, 1])] == ["ReLU()", "ReLU()"]
        assert m.nn.parallel.replicate(m.nn.Linear(2, 2), []) == []


@pytest.mark.parametrize("call", [lambda: npconv.nn.parallel.scatter(npconv.ones(2), [0]),
                                  lambda: npconv.nn.parallel.DistributedDataParallel(npconv.nn.Identity())])
def test_out_of_scope_tools_name_themselves(call):
    with pytest.raises(NotImplementedError, match=r"torch\.nn\.parallel\.\w+ is not implemented in npconv"):
        call()
