"""npconv.optim.lr_scheduler, as torch.optim.lr_scheduler: every scheduler of torch 2.13 with its update
formulas, state_dict keys, errors and warnings."""
from .base import (EPOCH_DEPRECATION_WARNING, ConstantLR, CosineAnnealingLR, CosineAnnealingWarmRestarts,  # noqa: F401
                   ExponentialLR, LambdaLR, LinearLR, LRScheduler, MultiplicativeLR, MultiStepLR, PolynomialLR,
                   StepLR, _LRScheduler)
from .plateau import ReduceLROnPlateau  # noqa: F401
from .cyclic import CyclicLR, OneCycleLR  # noqa: F401
from .composite import ChainedScheduler, SequentialLR  # noqa: F401

__all__ = ["LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR",
           "SequentialLR", "CosineAnnealingLR", "ChainedScheduler", "ReduceLROnPlateau", "CyclicLR",
           "CosineAnnealingWarmRestarts", "OneCycleLR", "PolynomialLR", "LRScheduler"]


from npconv._torch_api import module_getattr as _module_getattr  # noqa: E402

__getattr__ = _module_getattr("torch.optim.lr_scheduler")  # a torch name npconv lacks: NotImplementedError naming it
