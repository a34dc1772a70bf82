"""torch.autograd.gradcheck and anomaly detection (npconv/_gradcheck.py, npconv/autograd.py) against torch:
the same verdicts and messages for a right and a wrong custom Function, torch's NaN error in anomaly mode."""
import pytest
import torch

import npconv


def _cubes(lib):
    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x ** 2 * g

    class WrongCube(Cube):
        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x ** 2 * g
    return Cube, WrongCube


def _verdicts(lib):
    cube, wrong = _cubes(lib)
    x = lib.linspace(-1, 1, 5, dtype=lib.float64, requires_grad=True)
    try:
        lib.autograd.gradcheck(wrong.apply, (x,))
        message = None
    except RuntimeError as error:
        message = str(error).splitlines()[0]
    return (lib.autograd.gradcheck(cube.apply, (x,), atol=1e-4),
            lib.autograd.gradcheck(wrong.apply, (x,), raise_exception=False), message)


def test_gradcheck_verdicts_match_torch():
    assert _verdicts(npconv) == _verdicts(torch) == (True, False, _verdicts(torch)[2])


@pytest.mark.parametrize("lib", [npconv, torch], ids=["npconv", "torch"])
def test_anomaly_mode_names_the_node_that_made_nan(lib):
    with lib.autograd.detect_anomaly():
        assert lib.is_anomaly_enabled()
        y = lib.tensor([0.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="^Function 'SqrtBackward0' returned nan values in its 0th output.$"):
            (y.sqrt() * 0).sum().backward()
    assert not lib.is_anomaly_enabled()
