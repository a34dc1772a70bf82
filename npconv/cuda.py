"""npconv runs on the CPU: ``npconv.cuda.is_available()`` is False, so tutorial code such as
``device = torch.device("cuda" if torch.cuda.is_available() else "cpu")`` picks the CPU."""

__all__ = ["is_available", "device_count", "manual_seed", "manual_seed_all", "synchronize"]


def is_available():
    return False


def device_count():
    return 0


def manual_seed(seed):
    """No CUDA generator to seed (kept so that seeding code runs unchanged)."""


manual_seed_all = manual_seed


def synchronize(device=None):
    """Nothing to wait for on the CPU."""
