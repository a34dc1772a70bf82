"""Normalisation layers on the inputs torch refuses or treats specially: non-float inputs, mixed dtypes
between input and parameters, empty batches, wrong argument types (npconv/nn/functional/normalization.py)."""
import numpy as np
import pytest

from tests.torch_compare import assert_matches_torch, assert_same_error

DTYPES = ["int64", "int32", "bool", "float64", "float32", "float16"]
X = np.arange(2 * 3 * 4 * 4).reshape(2, 3, 4, 4) % 7 - 3.0


def ones(m, n, dtype):
    return m.ones(n, dtype=getattr(m, dtype))


CALLS = {
    "batch_norm training": lambda m, x, p: m.nn.functional.batch_norm(x, ones(m, 3, p), ones(m, 3, p), ones(m, 3, p),
                                                                     ones(m, 3, p), True),
    "batch_norm eval": lambda m, x, p: m.nn.functional.batch_norm(x, ones(m, 3, p), ones(m, 3, p), ones(m, 3, p),
                                                                 ones(m, 3, p), False),
    "batch_norm, running stats only": lambda m, x, p: m.nn.functional.batch_norm(x, ones(m, 3, p), ones(m, 3, p),
                                                                                training=True),
    "batch_norm, no parameters": lambda m, x, p: m.nn.functional.batch_norm(x, None, None, training=True),
    "instance_norm": lambda m, x, p: m.nn.functional.instance_norm(x),
    "instance_norm affine": lambda m, x, p: m.nn.functional.instance_norm(x, weight=ones(m, 3, p), bias=ones(m, 3, p)),
    "group_norm": lambda m, x, p: m.nn.functional.group_norm(x, 1),
    "group_norm affine": lambda m, x, p: m.nn.functional.group_norm(x, 3, ones(m, 3, p), ones(m, 3, p)),
    "layer_norm": lambda m, x, p: m.nn.functional.layer_norm(x, (4,)),
    "layer_norm affine": lambda m, x, p: m.nn.functional.layer_norm(x, (4,), ones(m, 4, p), ones(m, 4, p)),
}


@pytest.mark.parametrize("input_dtype", DTYPES)
@pytest.mark.parametrize("param_dtype", ["float32", "float64"])
@pytest.mark.parametrize("call", sorted(CALLS))
def test_dtypes_of_input_and_parameters_as_torch(call, input_dtype, param_dtype):
    import torch
    try:
        CALLS[call](torch, torch.tensor(X).to(getattr(torch, input_dtype)), param_dtype)
    except (RuntimeError, NotImplementedError):
        mine, theirs = assert_same_error(lambda m: CALLS[call](m, m.tensor(X).to(getattr(m, input_dtype)), param_dtype))
        assert str(mine) == str(theirs)
        return
    rtol = 2e-3 if input_dtype == "float16" else None
    assert_matches_torch(lambda m, x: CALLS[call](m, x.to(getattr(m, input_dtype)), param_dtype), [X],
                         requires_grad=False, rtol=rtol, atol=rtol)


def test_mixed_parameter_dtypes_named_as_torch():
    def call(m):
        return m.nn.functional.layer_norm(m.ones(2, 4, dtype=m.float64), (4,), m.ones(4), m.ones(4, dtype=m.float64))
    mine, theirs = assert_same_error(call)
    assert str(mine) == str(theirs)


@pytest.mark.parametrize("layer", ["BatchNorm2d(3)", "BatchNorm2d(3).eval()", "InstanceNorm2d(3)",
                                   "InstanceNorm2d(3, track_running_stats=True)", "GroupNorm(1, 3)",
                                   "LayerNorm([3, 4, 4])"])
def test_empty_batch_as_torch(layer):
    import torch
    import npconv
    ours, theirs = eval("npconv.nn." + layer), eval("torch.nn." + layer)
    x = np.zeros((0, 3, 4, 4), np.float32)
    y_ours, y_theirs = ours(npconv.tensor(x, requires_grad=True)), theirs(torch.tensor(x, requires_grad=True))
    assert tuple(y_ours.shape) == tuple(y_theirs.shape)
    if layer.startswith("BatchNorm"):   # (instance norm's node names differ from torch's for any batch)
        assert type(y_ours.grad_fn).__name__ == type(y_theirs.grad_fn).__name__
    for name, buffer in theirs.named_buffers():
        np.testing.assert_array_equal(dict(ours.named_buffers())[name].numpy(), buffer.numpy())


@pytest.mark.parametrize("momentum", ["x", None, 2, True, float("nan")])
def test_batch_norm_momentum_types_as_torch(momentum):
    import torch
    def call(m):
        return m.nn.functional.batch_norm(m.ones(2, 3, 2, 2), m.zeros(3), m.ones(3), training=True, momentum=momentum)
    try:
        call(torch)
    except TypeError:
        mine, theirs = assert_same_error(call)
        assert str(mine) == str(theirs)
        return
    assert_matches_torch(lambda m: call(m), [], requires_grad=False)


@pytest.mark.parametrize("groups", [-1, 2.0, 0])
def test_group_norm_group_counts_as_torch(groups):
    mine, theirs = assert_same_error(lambda m: m.nn.functional.group_norm(m.ones(2, 4, 2, 2), groups))
    assert str(mine) == str(theirs)
