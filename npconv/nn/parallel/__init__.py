"""npconv.nn.parallel, as torch.nn.parallel on a machine without accelerators: DataParallel wraps a module
and runs it on the one CPU device (``.module``, ``module.``-prefixed state_dict keys, torch's repr); the
multi-device tools fail as torch's CPU build makes them fail."""
from .data_parallel import DataParallel, data_parallel  # noqa: F401
from .devices import DistributedDataParallel, gather, parallel_apply, replicate, scatter  # noqa: F401

__all__ = ["replicate", "scatter", "parallel_apply", "gather", "data_parallel", "DataParallel",
           "DistributedDataParallel"]
