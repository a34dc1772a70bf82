"""``npconv.accelerator``, as ``torch.accelerator`` answers on a CPU-only machine: none available, so
``torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"`` picks the CPU."""

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index", "current_device_idx",
           "set_device_index", "set_device_idx", "synchronize", "empty_cache"]


def is_available():
    """False: npconv computes on the CPU."""
    return False


def current_accelerator(check_available=False):
    """None: there is no accelerator."""
    return None


def device_count():
    """0 accelerator devices."""
    return 0


def _no_accelerator(*args, **kwargs):
    """What torch says to any call that needs an accelerator device."""
    raise RuntimeError("Cannot access accelerator device when none is available.")


current_device_index = current_device_idx = set_device_index = set_device_idx = _no_accelerator
synchronize = empty_cache = _no_accelerator
