"""Memory formats (torch.channels_last and kin): real strides, is_contiguous per format, clone keeping a
dense layout (preserve_format), Module.to(memory_format=...), torch's error for the wrong rank; values
through a convolution unchanged."""
import numpy as np
import pytest
import torch

import npconv


def _layouts(lib):
    x = lib.arange(2 * 3 * 4 * 5, dtype=lib.float32).reshape(2, 3, 4, 5)
    y = x.to(memory_format=lib.channels_last)
    v = lib.ones(1, 2, 3, 4, 5).contiguous(memory_format=lib.channels_last_3d)
    conv = lib.nn.Conv2d(3, 4, 3).to(memory_format=lib.channels_last)
    return [repr(lib.channels_last), y.stride(), y.is_contiguous(), y.is_contiguous(memory_format=lib.channels_last),
            y.contiguous().stride(), y.clone().stride(), x.transpose(1, 3).clone().stride(),
            x.clone(memory_format=lib.channels_last).stride(), v.stride(),
            v.is_contiguous(memory_format=lib.channels_last_3d), conv.weight.stride(),
            lib.ones(1, 1, 1, 1).to(memory_format=lib.channels_last).is_contiguous()]


def test_layouts_match_torch():
    assert _layouts(npconv) == _layouts(torch)


def test_wrong_rank_is_refused_as_torch():
    for lib in (npconv, torch):
        with pytest.raises(RuntimeError, match="^required rank 4 tensor to use channels_last format$"):
            lib.ones(2, 3, 4).contiguous(memory_format=lib.channels_last)


def test_a_channels_last_input_convolves_to_the_same_values():
    x = np.linspace(-1, 1, 2 * 3 * 6 * 6, dtype=np.float64).reshape(2, 3, 6, 6)
    w = np.linspace(-1, 1, 4 * 3 * 3 * 3).reshape(4, 3, 3, 3)
    plain = npconv.nn.functional.conv2d(npconv.tensor(x), npconv.tensor(w))
    nhwc = npconv.nn.functional.conv2d(npconv.tensor(x).to(memory_format=npconv.channels_last), npconv.tensor(w))
    np.testing.assert_allclose(nhwc.numpy(), plain.numpy(), rtol=1e-12)
