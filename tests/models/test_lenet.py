"""LeNet against the same network written in torch, on the same weights: outputs and all gradients."""
import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF

import npconv
from npconv.models import LeNet


class LeNetInTorch(tnn.Module):
    """The reference: issue 6's definition, in torch."""

    def __init__(self):
        super().__init__()
        self.conv1 = tnn.Conv2d(1, 20, 5)
        self.conv2 = tnn.Conv2d(20, 50, 5)
        self.fc1 = tnn.Linear(4 * 4 * 50, 500)
        self.fc2 = tnn.Linear(500, 10)

    def forward(self, x):
        x = x.view(-1, 1, 28, 28)
        x = TF.max_pool2d(TF.relu(self.conv1(x)), 2)
        x = TF.max_pool2d(TF.relu(self.conv2(x)), 2)
        x = x.view(x.size(0), -1)
        return self.fc2(TF.relu(self.fc1(x)))


def twin_models(dtype):
    """An npconv LeNet and a torch LeNet holding the same (npconv-initialised) weights in ``dtype``."""
    npconv.manual_seed(0)
    ours = LeNet().to(getattr(npconv, np.dtype(dtype).name))
    weights = {name: t.detach().numpy().astype(dtype) for name, t in ours.state_dict().items()}
    ours.load_state_dict({name: npconv.from_numpy(array.copy()) for name, array in weights.items()})
    theirs = LeNetInTorch().to(getattr(torch, np.dtype(dtype).name))
    theirs.load_state_dict({name: torch.from_numpy(array.copy()) for name, array in weights.items()})
    return ours, theirs


def test_structure_matches_torch():
    ours, theirs = twin_models(np.float32)
    assert repr(ours) == repr(theirs).replace("LeNetInTorch", "LeNet")
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert sum(p.numel() for p in ours.parameters()) == 431_080


@pytest.mark.parametrize("dtype, rtol, atol", [(np.float64, 1e-6, 1e-9), (np.float32, 1e-4, 1e-5)])
@pytest.mark.parametrize("input_shape", [(3, 1, 28, 28), (2, 784)])
def test_forward_and_gradients_match_torch(dtype, rtol, atol, input_shape):
    rng = np.random.default_rng(1)
    x = rng.random(input_shape).astype(dtype)
    ours, theirs = twin_models(dtype)
    ours_x = npconv.tensor(x, requires_grad=True)
    theirs_x = torch.tensor(x, requires_grad=True)
    ours_out, theirs_out = ours(ours_x), theirs(theirs_x)
    assert tuple(ours_out.shape) == tuple(theirs_out.shape) == (input_shape[0], 10)
    assert ours_out.dtype.numpy_dtype == np.dtype(dtype)
    np.testing.assert_allclose(ours_out.detach().numpy(), theirs_out.detach().numpy(), rtol=rtol, atol=atol)

    upstream = rng.standard_normal((input_shape[0], 10)).astype(dtype)
    (ours_out * npconv.from_numpy(upstream)).sum().backward()
    (theirs_out * torch.from_numpy(upstream)).sum().backward()
    np.testing.assert_allclose(ours_x.grad.numpy(), theirs_x.grad.numpy(), rtol=rtol, atol=atol)
    theirs_params = dict(theirs.named_parameters())
    for name, param in ours.named_parameters():
        np.testing.assert_allclose(param.grad.numpy(), theirs_params[name].grad.numpy(),
                                   rtol=rtol, atol=atol, err_msg=name)


def test_cross_entropy_training_step_matches_torch():
    """One SGD step on a cross-entropy loss lands on the same weights as torch."""
    rng = np.random.default_rng(2)
    x = rng.random((4, 1, 28, 28))
    labels = rng.integers(0, 10, 4)
    ours, theirs = twin_models(np.float64)
    ours_opt = npconv.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    theirs_opt = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    for _ in range(2):
        ours_opt.zero_grad()
        npconv.nn.functional.cross_entropy(ours(npconv.from_numpy(x)), npconv.from_numpy(labels)).backward()
        ours_opt.step()
        theirs_opt.zero_grad()
        TF.cross_entropy(theirs(torch.from_numpy(x)), torch.from_numpy(labels)).backward()
        theirs_opt.step()
    theirs_params = dict(theirs.named_parameters())
    for name, param in ours.named_parameters():
        np.testing.assert_allclose(param.detach().numpy(), theirs_params[name].detach().numpy(), rtol=1e-6, atol=1e-9,
                                   err_msg=name)


def test_wrong_input_size_is_refused_like_torch():
    ours, theirs = twin_models(np.float32)
    x = np.zeros((2, 1, 27, 27), np.float32)
    with pytest.raises(RuntimeError):
        theirs(torch.from_numpy(x))
    with pytest.raises(RuntimeError):
        ours(npconv.from_numpy(x))
