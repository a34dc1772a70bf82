"""DataParallel and data_parallel on a machine whose only device is the CPU (what torch does there)."""
from ..modules.module import Module

__all__ = ["DataParallel", "data_parallel"]


class DataParallel(Module):
    """Wraps ``module`` as its child ``module`` (so state_dict keys start with ``module.``). Without an
    accelerator torch keeps no device list (``device_ids`` is [] whatever was asked) and forward calls the
    module itself; npconv's only device is the CPU, so that is what happens."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        self.module = module
        self.device_ids = []

    def forward(self, *inputs, **kwargs):
        """The wrapped module's forward on the whole batch."""
        return self.module(*inputs, **kwargs)


def data_parallel(module, inputs, device_ids=None, output_device=None, dim=0, module_kwargs=None):
    """The functional form of DataParallel; like torch's CPU build, it cannot pick a device without an
    accelerator and raises (use ``module(inputs)``, or DataParallel, which falls back to the module)."""
    raise RuntimeError("device type could not be determined")
