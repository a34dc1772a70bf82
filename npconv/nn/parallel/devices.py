"""The multi-device parts of torch.nn.parallel, as a CPU-only build of torch has them: replicate, gather and
parallel_apply refuse CPU tensors with torch's errors; scatter and DistributedDataParallel are out of scope."""
import copy

from ..._torch_api import TorchFeatureNotImplemented

__all__ = ["replicate", "scatter", "gather", "parallel_apply", "DistributedDataParallel"]

_SCOPE = "is not implemented in npconv: {} are outside its scope (PyTorch's convolution toolbox on NumPy)"


def _device_name(device):
    return device if isinstance(device, str) else getattr(device, "type", None)


def replicate(network, devices, detach=False):
    """Copies of ``network``, one per accelerator device in ``devices``. As in torch's CPU build: no devices
    give [], the 'cpu' device is refused, a module with parameters or buffers cannot be broadcast; copies of
    a module without state are made."""
    for device in devices:
        if _device_name(device) == "cpu":
            raise ValueError(f"Expected a non cpu device, but got: {device}")
    if not devices:
        return []
    if any(True for _ in network.parameters()) or any(True for _ in network.buffers()):
        raise AssertionError("Broadcast function not implemented for CPU tensors")
    return [copy.deepcopy(network) for _ in devices]


def gather(outputs, target_device, dim=0):
    """Outputs of several devices gathered on one: CPU tensors are refused, as by torch."""
    raise AssertionError("Gather function not implemented for CPU tensors")


def parallel_apply(modules, inputs, kwargs_tup=None, devices=None):
    """Modules run in threads, one per accelerator device: none exist, as in torch's CPU build."""
    for device in devices or ():
        if _device_name(device) == "cpu":
            raise ValueError(f"Expected a cuda device, but got: {device}")
    raise RuntimeError("Cannot access accelerator device when none is available.")


def scatter(inputs, target_gpus, dim=0):
    """Split inputs across accelerator devices: outside npconv's scope."""
    raise TorchFeatureNotImplemented("torch.nn.parallel.scatter " + _SCOPE.format("devices other than cpu and meta"))


class DistributedDataParallel:
    """Multi-process training: outside npconv's scope."""

    def __init__(self, *args, **kwargs):
        raise TorchFeatureNotImplemented("torch.nn.parallel.DistributedDataParallel "
                                         + _SCOPE.format("distributed and multi-process training"))
