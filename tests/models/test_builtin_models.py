"""The built-in models against their torch twins (the same source with ``npconv`` read as ``torch``):
same parameter names and shapes, and the same outputs for the same weights."""
import numpy as np
import pytest
import torch

import npconv
from npconv import models

from ..arithmetic.twins import torch_twin_module

CASES = [("dcgan_generator", (2, 100, 1, 1)), ("unet", (2, 1, 16, 16)), ("resnet18", (1, 3, 32, 32)),
         ("mobilenet_v2", (1, 3, 32, 32)), pytest.param("vgg11", (1, 3, 32, 32), marks=pytest.mark.slow)]


def twins(name):
    factory = models.REGISTRY[name][0]
    ours = factory()
    module = __import__(factory.__module__, fromlist=["_"])
    return ours, getattr(torch_twin_module(module), factory.__name__)()


@pytest.mark.parametrize("name, input_size", CASES)
def test_same_parameters_and_outputs_as_the_torch_twin(name, input_size):
    ours, theirs = twins(name)
    their_state = theirs.state_dict()
    our_state = ours.state_dict()
    assert list(our_state) == list(their_state)
    assert all(tuple(our_state[k].shape) == tuple(v.shape) for k, v in their_state.items())
    ours.load_state_dict({k: npconv.from_numpy(v.detach().numpy().copy()) for k, v in their_state.items()})
    ours.eval()
    theirs.eval()
    x = np.random.default_rng(0).standard_normal(input_size).astype(np.float32)
    with torch.no_grad(), npconv.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
        got = ours(npconv.from_numpy(x)).numpy()
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


def test_registry_and_errors():
    assert set(models.REGISTRY) >= {"lenet", "vgg11", "vgg16", "resnet18", "mobilenet_v2", "unet",
                                    "dcgan_generator"}
    assert models.default_input_size("VGG-16") == (1, 3, 224, 224)
    with pytest.raises(ValueError, match="built-in models"):
        models.get_model("alexnet")
