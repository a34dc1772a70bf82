"""Whole-object checkpoints (torch.save(model, path)): npconv writes them as pickle does and reads them back,
and reads torch's, rebuilding only classes npconv or the program already has: the user's safe globals, or
with weights_only=False any layer class; never a function, never a module not yet imported."""
import io
import pickle
import re
import sys
import types

import numpy as np
import pytest
import torch

import npconv
from tests.test_io import zip_with_pickle


class Net(npconv.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = npconv.nn.Conv2d(1, 2, 3)
        self.bn = npconv.nn.BatchNorm2d(2)
        self.fc = npconv.nn.Linear(8, 3)
        self.note = {"epochs": 3, "tags": {"a", "b"}}

    def forward(self, x):
        return self.fc(npconv.relu(self.bn(self.conv(x))).flatten(1))


class TorchNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 2, 3)
        self.fc = torch.nn.Linear(8, 3)

    def forward(self, x):
        return self.fc(torch.relu(self.conv(x)).flatten(1))


def _round_trip(obj, **load_args):
    buffer = io.BytesIO()
    npconv.save(obj, buffer)
    buffer.seek(0)
    return npconv.load(buffer, **load_args)


def _input():
    return np.linspace(0, 1, 2 * 16).reshape(2, 1, 4, 4).astype(np.float32)


def test_a_whole_model_round_trips_with_weights_only_false():
    net = Net().eval()
    loaded = _round_trip(net, weights_only=False)
    assert type(loaded) is Net and loaded is not net and loaded.training is False
    assert loaded.note == net.note
    assert isinstance(loaded.conv.weight, npconv.nn.Parameter)
    x = npconv.tensor(_input())
    assert npconv.equal(loaded(x), net(x))
    assert str(loaded) == str(net)


def test_by_default_only_allowed_classes_are_rebuilt():
    net = Net()
    with pytest.raises(pickle.UnpicklingError, match=r"(?s)^Weights only load failed\. This file can still be "
                                                     r"loaded.*GLOBAL tests\.test_io_objects\.Net was not an allowed"):
        _round_trip(net)
    with npconv.serialization.safe_globals([Net, npconv.nn.Conv2d, npconv.nn.BatchNorm2d, npconv.nn.Linear]):
        assert type(_round_trip(net)) is Net
    assert npconv.serialization.get_safe_globals() == []   # the block's allowance ends with it
    npconv.serialization.add_safe_globals([Net])
    try:
        with pytest.raises(pickle.UnpicklingError, match="GLOBAL npconv.nn.modules.conv.Conv2d"):
            _round_trip(net)
    finally:
        npconv.serialization.clear_safe_globals()


def test_a_whole_torch_model_loads_into_npconv_classes():
    # torch pickles TorchNet by its path here; npconv finds the class of that name the program has
    net = TorchNet()
    buffer = io.BytesIO()
    torch.save(net, buffer)
    module = sys.modules[__name__]
    module.TorchNet, saved = Net, TorchNet   # the npconv program defines its own class under that name
    try:
        loaded = npconv.load(io.BytesIO(buffer.getvalue()), weights_only=False)
    finally:
        module.TorchNet = saved
    assert type(loaded) is Net
    assert type(loaded.conv) is npconv.nn.Conv2d and type(loaded.fc) is npconv.nn.Linear
    np.testing.assert_array_equal(loaded.conv.weight.detach().numpy(), net.conv.weight.detach().numpy())


@pytest.mark.parametrize("module, name", [("os", "system"), ("builtins", "eval"), ("collections", "Counter"),
                                          ("npconv.io", "load"), ("npconv", "Tensor"),
                                          ("a_module_never_imported", "Net")])
def test_weights_only_false_still_refuses_what_is_not_a_layer_class(module, name):
    pickled = b"\x80\x02c" + f"{module}\n{name}\n".encode() + b")\x81."
    refused = rf"GLOBAL ({re.escape(module)}\.)?{name} (was not an allowed global|whose module {module} is blocked)"
    with pytest.raises(pickle.UnpicklingError, match=refused):
        npconv.load(io.BytesIO(zip_with_pickle(pickled)), weights_only=False)
    assert "a_module_never_imported" not in sys.modules


@pytest.mark.parametrize("value", [lambda: None, print, types, Net, types.SimpleNamespace(a=1)],
                         ids=["lambda", "builtin", "module", "class", "namespace"])
def test_functions_modules_and_classes_are_not_written(value):
    with pytest.raises(TypeError, match="cannot write an object of type"):
        _round_trip({"value": value})
