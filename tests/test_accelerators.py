"""npconv.cuda / mps / accelerator / backends.cudnn / backends.mps / functional answer as torch 2.13 on a
CPU-only machine does: same return values, same exception types and texts."""
import importlib

import pytest
import torch

import npconv

CALLS = {
    "cuda": ["is_available()", "device_count()", "is_initialized()", "manual_seed(0)", "manual_seed_all(1)",
             "seed()", "seed_all()", "empty_cache()", "memory_allocated()", "max_memory_allocated()",
             "memory_reserved()", "is_bf16_supported()", "synchronize()", "current_device()", "get_device_name()",
             "get_device_properties(0)", "initial_seed()", "get_rng_state()", "mem_get_info()"],
    "mps": ["is_available()", "device_count()", "manual_seed(0)", "seed()", "synchronize()", "empty_cache()",
            "current_allocated_memory()", "driver_allocated_memory()", "get_rng_state()"],
    "accelerator": ["is_available()", "current_accelerator()", "device_count()", "current_device_index()",
                    "synchronize()", "empty_cache()", "set_device_index(0)"],
    "backends.cudnn": ["is_available()", "version()", "enabled", "benchmark", "deterministic", "allow_tf32",
                       "benchmark_limit"],
    "backends.mps": ["is_available()", "is_built()"],
}


def outcome(module, expression):
    """The value of ``module.expression``, or (exception type, message)."""
    try:
        return eval(f"module.{expression}", {"module": module})  # noqa: S307 - fixed expressions above
    except Exception as error:  # noqa: BLE001 - the type and text are what is compared
        return type(error), str(error)


@pytest.mark.parametrize("namespace, expression", [(n, e) for n, calls in CALLS.items() for e in calls])
def test_answers_like_torch_on_cpu(namespace, expression):
    ours = importlib.import_module(f"npconv.{namespace}")
    theirs = importlib.import_module(f"torch.{namespace}")
    assert outcome(ours, expression) == outcome(theirs, expression)


def test_cudnn_settings_are_accepted():
    import npconv.backends.cudnn as cudnn
    saved = cudnn.benchmark, cudnn.deterministic
    try:
        cudnn.benchmark, cudnn.deterministic = True, True
        assert npconv.backends.cudnn.benchmark is True and npconv.backends.cudnn.deterministic is True
    finally:
        cudnn.benchmark, cudnn.deterministic = saved


@pytest.mark.parametrize("name", ["is_cpu", "is_cuda", "is_xpu", "is_mps", "is_mkldnn", "is_vulkan", "is_xla",
                                  "is_mtia", "is_maia", "is_ipu", "is_meta"])
def test_tensor_device_flags_like_torch(name):
    for device in ("cpu", "meta"):
        assert getattr(npconv.zeros(2, device=device), name) == getattr(torch.zeros(2, device=device), name)


def test_device_choice_idiom_picks_the_cpu():
    for m in (torch, npconv):
        device = m.device("cuda" if m.cuda.is_available() else "mps" if m.backends.mps.is_available() else "cpu")
        assert str(device) == "cpu"
        accelerator = m.accelerator.current_accelerator().type if m.accelerator.is_available() else "cpu"
        assert accelerator == "cpu"


def test_functional_names_are_the_top_level_functions():
    import torch.functional

    import npconv.functional
    assert sorted(npconv.functional.__all__) == sorted(torch.functional.__all__)
    for name in npconv.functional.__all__:
        try:
            expected = getattr(npconv, name)
        except AttributeError:  # a torch name npconv lacks: NotImplementedError naming it
            with pytest.raises(NotImplementedError, match=name):
                getattr(npconv.functional, name)
            continue
        assert getattr(npconv.functional, name) is expected
