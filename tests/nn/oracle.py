"""One helper for the layer tests: run the same call through torch and npconv, compare everything.

``check(npconv_fn, torch_fn, *arrays)`` builds tensors of the arrays in both libraries (floating arrays
require grad), calls both functions, and then

- if torch raised, asserts npconv raises the same exception type (and returns None);
- compares every output (shape, dtype, values: float64 to 1e-6, float32 to 1e-4 relative; integer outputs
  such as pooling indices exactly);
- back-propagates the same random gradient through the first floating output and compares the
  gradients of every input.
"""
import numpy as np
import pytest
import torch

import npconv

TOLERANCE = {np.dtype(np.float64): 1e-6, np.dtype(np.float32): 1e-4}


def _as_list(result):
    return list(result) if isinstance(result, (tuple, list)) else [result]


def _assert_close(actual, expected, what):
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != torch {expected.shape}"
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype} != torch {expected.dtype}"
    if expected.dtype.kind == "f":
        tol = TOLERANCE.get(expected.dtype, 1e-3)
        np.testing.assert_allclose(actual, expected, rtol=tol, atol=tol, equal_nan=True, err_msg=what)
    else:
        np.testing.assert_array_equal(actual, expected, err_msg=what)


def check(npconv_fn, torch_fn, *arrays, seed=0, grad=True, exact_errors=True):
    """Differential test of one call; returns the torch outputs (or None when torch raised)."""
    def wants_grad(a):
        return grad and isinstance(a, np.ndarray) and a.dtype.kind == "f"

    torch_inputs = [torch.from_numpy(a.copy()).requires_grad_(wants_grad(a)) if isinstance(a, np.ndarray)
                    else a for a in arrays]
    try:
        torch_out = _as_list(torch_fn(*torch_inputs))
    except Exception as error:  # noqa: BLE001 - the type is what we compare
        npconv_inputs = [npconv.tensor(a, requires_grad=wants_grad(a)) if isinstance(a, np.ndarray) else a
                         for a in arrays]
        with pytest.raises(type(error) if exact_errors else Exception):
            npconv_fn(*npconv_inputs)
        return None
    npconv_inputs = [npconv.tensor(a, requires_grad=wants_grad(a)) if isinstance(a, np.ndarray) else a
                     for a in arrays]
    npconv_out = _as_list(npconv_fn(*npconv_inputs))
    assert len(npconv_out) == len(torch_out)
    for number, (mine, theirs) in enumerate(zip(npconv_out, torch_out)):
        _assert_close(mine.detach().numpy(), theirs.detach().numpy(), f"output {number}")
    first = next((i for i, t in enumerate(torch_out) if t.requires_grad), None)
    if first is None or torch_out[first].numel() == 0:
        return torch_out  # torch refuses some backward passes of empty outputs
    rng = np.random.default_rng(seed)
    upstream = rng.standard_normal(tuple(torch_out[first].shape)).astype(
        torch_out[first].detach().numpy().dtype)
    torch_out[first].backward(torch.from_numpy(upstream.copy()))
    npconv_out[first].backward(npconv.from_numpy(upstream.copy()))
    for number, (mine, theirs) in enumerate(zip(npconv_inputs, torch_inputs)):
        if isinstance(theirs, torch.Tensor) and theirs.requires_grad:
            if theirs.grad is None:
                assert mine.grad is None or not np.any(mine.grad.numpy()), f"input {number} grad"
                continue
            assert mine.grad is not None, f"input {number}: npconv computed no gradient"
            _assert_close(mine.grad.numpy(), theirs.grad.numpy(), f"gradient of input {number}")
    return torch_out
