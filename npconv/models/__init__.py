"""Ready-made models built from npconv layers."""
from .lenet import LeNet  # noqa: F401
