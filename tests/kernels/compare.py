"""npconv.kernels' three entry points against torch, through tests/torch_compare.py (its one tolerance table).

The kernels take and return ndarrays; this module only adapts them to ``assert_matches_torch``: the npconv
side runs conv_forward, conv_input_grad and conv_weight_grad with a forced algorithm, the torch side runs
F.pad + conv and autograd for the same upstream gradient.
"""
import torch
import torch.nn.functional as TF

import npconv
from npconv import kernels
from tests.torch_compare import assert_matches_torch, random_array

__all__ = ["OPERATIONS", "TORCH_CONV", "assert_kernels_match_torch", "computes_itself", "torch_conv"]

OPERATIONS = ("forward", "input_grad", "weight_grad")
TORCH_CONV = {1: TF.conv1d, 2: TF.conv2d, 3: TF.conv3d}


def torch_conv(x, w, stride, pairs, dilation, groups):
    """torch's convolution with (before, after) padding per dim: F.pad (last dim first), then conv."""
    torch_pad = [amount for pair in reversed(pairs) for amount in pair]
    return TORCH_CONV[x.ndim - 2](TF.pad(x, torch_pad), w, stride=stride, dilation=dilation, groups=groups)


def computes_itself(algorithm, x_shape, w_shape, stride, dilation, groups, operations=OPERATIONS):
    """The operations of ``operations`` that ``algorithm`` computes itself (does not hand to a general one)."""
    return [operation for operation in operations
            if kernels.chooser.is_valid(algorithm, operation, x_shape, w_shape, stride, groups, dilation)]


def assert_kernels_match_torch(algorithm, x, w, stride, pairs, dilation, groups, seed=1):
    """conv_forward, conv_input_grad and conv_weight_grad with ``algorithm`` forced give torch's output and
    both gradients for the same random upstream gradient."""
    with torch.no_grad():
        out_shape = tuple(torch_conv(torch.from_numpy(x), torch.from_numpy(w), stride, pairs, dilation, groups).shape)
    geometry = (stride, pairs, dilation, groups)

    def ours(x, w, gy):
        x, w, gy = x.numpy(), w.numpy(), gy.numpy()
        return tuple(npconv.from_numpy(result) for result in (
            kernels.conv_forward(x, w, *geometry, algorithm=algorithm),
            kernels.conv_input_grad(gy, w, x.shape[2:], *geometry, algorithm=algorithm),
            kernels.conv_weight_grad(x, gy, w.shape[2:], *geometry, algorithm=algorithm)))

    def theirs(x, w, gy):
        x, w = x.requires_grad_(), w.requires_grad_()
        y = torch_conv(x, w, *geometry)
        return (y.detach(),) + torch.autograd.grad(y, (x, w), gy)

    assert_matches_torch((ours, theirs), [x, w, random_array(out_shape, x.dtype, seed)], check_grad=False)
