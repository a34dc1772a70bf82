"""``npconv.mps``, as ``torch.mps`` answers off Apple silicon: no MPS device; seeding is accepted, calls that
need the device raise torch's RuntimeError."""

__all__ = ["is_available", "device_count", "manual_seed", "seed", "synchronize", "empty_cache",
           "current_allocated_memory", "driver_allocated_memory", "get_rng_state", "set_rng_state"]


def is_available():
    """False: npconv computes on the CPU."""
    return False


def device_count():
    """0 MPS devices."""
    return 0


def manual_seed(seed):
    """Accepted and ignored, as torch does without an MPS backend."""


def _without_mps(operation):
    def call(*args, **kwargs):
        raise RuntimeError(f"Cannot execute {operation}() without MPS backend.")
    call.__doc__ = f"Raises torch's RuntimeError: {operation} needs the MPS backend."
    return call


seed = get_rng_state = set_rng_state = _without_mps("getDefaultGenerator")
synchronize = _without_mps("deviceSynchronize")
empty_cache = _without_mps("emptyCache")
current_allocated_memory = _without_mps("getCurrentAllocatedMemory")
driver_allocated_memory = _without_mps("getDriverAllocatedMemory")
