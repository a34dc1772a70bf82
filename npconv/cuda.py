"""``npconv.cuda``, as ``torch.cuda`` answers on a CPU-only build: ``is_available()`` is False and
``device_count()`` 0, so tutorial code such as
``device = torch.device("cuda" if torch.cuda.is_available() else "cpu")`` picks the CPU. Seeding and cache
calls are accepted; calls that need a device raise torch's ``AssertionError("Torch not compiled with CUDA
enabled")``."""

__all__ = ["is_available", "device_count", "is_initialized", "manual_seed", "manual_seed_all", "seed", "seed_all",
           "empty_cache", "memory_allocated", "max_memory_allocated", "memory_reserved", "max_memory_reserved",
           "is_bf16_supported", "synchronize", "current_device", "get_device_name", "get_device_properties",
           "initial_seed", "get_rng_state", "set_rng_state", "mem_get_info"]


def is_available():
    """False: npconv computes on the CPU."""
    return False


def device_count():
    """0 CUDA devices."""
    return 0


def is_initialized():
    """False: there is no CUDA state to initialise."""
    return False


def manual_seed(seed):
    """Accepted and ignored, as on torch without CUDA (no CUDA generator to seed)."""


manual_seed_all = manual_seed


def seed():
    """Accepted and ignored, as on torch without CUDA."""


seed_all = seed


def empty_cache():
    """Nothing cached: a no-op, as on torch without CUDA."""


def _no_memory(device=None):
    """0 bytes: no CUDA memory is ever used."""
    return 0


memory_allocated = max_memory_allocated = memory_reserved = max_memory_reserved = _no_memory


def is_bf16_supported(including_emulation=True):
    """False without CUDA."""
    return False


def _needs_cuda(*args, **kwargs):
    """What torch's CPU build says to any call that needs a CUDA device."""
    raise AssertionError("Torch not compiled with CUDA enabled")


synchronize = current_device = get_device_name = get_device_properties = _needs_cuda
initial_seed = get_rng_state = set_rng_state = mem_get_info = _needs_cuda
