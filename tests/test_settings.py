"""torch's process-wide switches (npconv/_settings.py): accepted and reported as torch does, bad arguments
refused with torch's error, the unsupported ones said so."""
import warnings

import pytest
import torch

import npconv
from tests.torch_compare import assert_same_error

GETTERS = ["are_deterministic_algorithms_enabled", "is_deterministic_algorithms_warn_only_enabled",
           "get_deterministic_debug_mode", "get_float32_matmul_precision", "is_warn_always_enabled"]


@pytest.fixture
def restored():
    """Both libraries' settings as they were before the test."""
    saved = {lib: [getattr(lib, name)() for name in GETTERS] for lib in (torch, npconv)}
    yield
    for lib, (deterministic, warn_only, _, precision, warn_always) in saved.items():
        lib.use_deterministic_algorithms(deterministic, warn_only=warn_only)
        lib.set_float32_matmul_precision(precision)
        lib.set_warn_always(warn_always)


def _state(lib):
    return [getattr(lib, name)() for name in GETTERS]


@pytest.mark.parametrize("calls", [
    [("use_deterministic_algorithms", (True,), {})],
    [("use_deterministic_algorithms", (True,), {"warn_only": True})],
    [("use_deterministic_algorithms", (True,), {}), ("use_deterministic_algorithms", (False,), {})],
    [("set_deterministic_debug_mode", ("warn",), {})],
    [("set_deterministic_debug_mode", (2,), {})],
    [("set_deterministic_debug_mode", ("default",), {})],
    [("set_float32_matmul_precision", ("high",), {})],
    [("set_float32_matmul_precision", ("medium",), {}), ("set_warn_always", (True,), {})],
])
def test_settings_are_reported_as_torch_reports_them(calls, restored):
    for lib in (torch, npconv):
        for name, args, kwargs in calls:
            assert getattr(lib, name)(*args, **kwargs) is None
    assert _state(npconv) == _state(torch)


@pytest.mark.parametrize("call", [
    lambda m: m.use_deterministic_algorithms(1),
    lambda m: m.use_deterministic_algorithms(True, warn_only=1),
    lambda m: m.set_deterministic_debug_mode("foo"),
    lambda m: m.set_deterministic_debug_mode(5),
    lambda m: m.set_deterministic_debug_mode(1.0),
    lambda m: m.set_float32_matmul_precision(1),
    lambda m: m.set_warn_always(1),
    lambda m: m.set_flush_denormal(1),
])
def test_bad_arguments_raise_torchs_error(call, restored):
    assert_same_error(call, same_message=True)


def test_an_unknown_precision_warns_and_changes_nothing(restored):
    for lib in (torch, npconv):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lib.set_float32_matmul_precision("foo")
        assert "is not one of 'highest', 'high', or 'medium'" in str(caught[0].message)
    assert _state(npconv) == _state(torch)


def test_default_device_is_the_cpu():
    npconv.set_default_device("cpu")
    npconv.set_default_device(None)
    assert npconv.get_default_device() == npconv.device("cpu")
    assert str(npconv.get_default_device()) == str(torch.get_default_device())
    with pytest.raises(NotImplementedError, match="default device is the CPU"):
        npconv.set_default_device("meta")
    # torch takes "cuda" and fails at the next creation; npconv says so at once, in torch's words
    with pytest.raises(AssertionError, match="^Torch not compiled with CUDA enabled$"):
        npconv.set_default_device("cuda")


def test_flushing_denormals_is_not_pretended():
    assert npconv.set_flush_denormal(True) is False
