"""npconv.device (npconv/_tensor.py) against torch.device: parsing, reprs, and the errors of a CPU-only
build for devices npconv cannot hold data on."""
import pytest

from tests.torch_compare import assert_same_error

VALID = [("cpu",), ("cpu", 0), ("cpu:1",), ("cuda:1",), ("meta:0",), ("meta",), ("xla:3",), ("cpu", None)]
INVALID = [("cpu:-1",), ("cpu:01",), ("cpu: 1",), ("cpu:1:2",), ("cuda:",), (" cpu",), ("cpu ",), ("CUDA",),
           (None,), (1.5,), ("cpu", True), ("cpu:99999999999999999999",), ("cpu:x",), ("cpu", -1),
           ("cpu:0", 1), ("CPU",), ("cpu", "a"), ("",), ("bogus",), ("bogus:1",), ()]


@pytest.mark.parametrize("args", VALID)
def test_device_parses_as_torch(args):
    import torch
    import npconv
    assert repr(npconv.device(*args)) == repr(torch.device(*args))
    assert str(npconv.device(*args)) == str(torch.device(*args))


@pytest.mark.parametrize("args", INVALID)
def test_device_refuses_as_torch(args):
    mine, theirs = assert_same_error(lambda m: m.device(*args))
    assert str(mine) == str(theirs)


@pytest.mark.parametrize("where", ["cuda", "cuda:1", "xpu", "mps", "xla", "bogus", 0])
def test_tensors_on_other_devices_refused_as_torch(where):
    mine, theirs = assert_same_error(lambda m: m.ones(2).to(where))
    assert str(mine) == str(theirs)
    assert_same_error(lambda m: m.zeros(2, device=where))


def test_cuda_methods_refused_as_torch():
    mine, theirs = assert_same_error(lambda m: m.ones(2).cuda())
    assert str(mine) == str(theirs)
    mine, theirs = assert_same_error(lambda m: m.nn.Linear(2, 2).cuda())
    assert str(mine) == str(theirs)
