"""Dropout layers, as torch.nn: active in training mode, the identity after ``.eval()``. Shapes: (*) -> (*)."""
from .. import functional as F
from .module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]


class _DropoutNd(Module):
    _function = None

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input):
        return type(self)._function(input, self.p, self.training, self.inplace)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zero each element with probability p, scale the rest by 1/(1-p)."""
    _function = staticmethod(F.dropout)


class Dropout1d(_DropoutNd):
    """Zero whole channels of (N, C, L) / (C, L)."""
    _function = staticmethod(F.dropout1d)


class Dropout2d(_DropoutNd):
    """Zero whole channels of (N, C, H, W) / (C, H, W)."""
    _function = staticmethod(F.dropout2d)


class Dropout3d(_DropoutNd):
    """Zero whole channels of (N, C, D, H, W) / (C, D, H, W)."""
    _function = staticmethod(F.dropout3d)


class _AlphaDropoutNd(_DropoutNd):
    def forward(self, input):
        # torch's alpha layers keep ``inplace`` for their repr but never pass it on
        return type(self)._function(input, self.p, self.training)


class AlphaDropout(_AlphaDropoutNd):
    """Dropout for SELU networks."""
    _function = staticmethod(F.alpha_dropout)


class FeatureAlphaDropout(_AlphaDropoutNd):
    """Channel-wise alpha dropout."""
    _function = staticmethod(F.feature_alpha_dropout)
