"""Linear (fully connected) layers and the shape layers around them, as torch.nn.

    Linear:    (*, in_features) -> (*, out_features)
    Bilinear:  (*, in1_features), (*, in2_features) -> (*, out_features)
    Flatten:   (*, S_start, ..., S_end, *) -> (*, prod(S_start..S_end), *)
    Unflatten: (*, S_dim, *) -> (*, *unflattened_size, *)
"""
import math

from npconv._tensor import _normalize_dim, empty as _empty

from .. import functional as F
from ..._ops.parsing import check_argument
from ..._ops.shape import check_unflatten_sizes
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Linear", "Bilinear", "Flatten", "Unflatten"]


class Linear(Module):
    """y = x W^T + b, W (out_features, in_features) and b (out_features,) drawn from
    U(-1/sqrt(in_features), 1/sqrt(in_features)) as torch does."""

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(_empty((out_features, in_features), dtype=dtype))
        if bias:
            self.bias = Parameter(_empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """kaiming_uniform(a=sqrt(5)) on the weight, U(-1/sqrt(in_features), 1/sqrt(in_features)) on the
        bias: the convolutions' initialisation."""
        init.default_layer_init_(self.weight, self.bias)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Bilinear(Module):
    """y = x1^T A x2 + b with A (out, in1, in2), all drawn from U(-1/sqrt(in1), 1/sqrt(in1))."""

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in1_features, self.in2_features, self.out_features = in1_features, in2_features, out_features
        self.weight = Parameter(_empty((out_features, in1_features, in2_features), dtype=dtype))
        if bias:
            self.bias = Parameter(_empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.in1_features <= 0:  # torch checks here, once the weight exists: the bound divides by its size
            raise ValueError(f"in1_features must be > 0, but got (in1_features={self.in1_features})")
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class Flatten(Module):
    """Merge dims start_dim..end_dim into one (default: all but the batch dim)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        check_argument("flatten", "start_dim", "int", self.start_dim, 1)
        check_argument("flatten", "end_dim", "int", self.end_dim, 2)
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dim ``dim`` into ``unflattened_size`` (a tuple or list of ints, -1 inferred)."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        if not isinstance(unflattened_size, (tuple, list)):   # torch 2.13 checks the sizes whatever the dim
            raise TypeError("unflattened_size must be a tuple of ints, but found type "
                            f"{type(unflattened_size).__name__}")
        for position, size in enumerate(unflattened_size):
            if not isinstance(size, int):
                raise TypeError("unflattened_size must be tuple of ints, but found element of type "
                                f"{type(size).__name__} at pos {position}")
        self.dim = dim  # any other type is refused by forward, as torch's unflatten does
        self.unflattened_size = unflattened_size

    def forward(self, input):
        check_unflatten_sizes(self.unflattened_size)
        check_argument("unflatten", "dim", "int", self.dim, 1)
        size = input.shape[_normalize_dim(self.dim, input.dim())]
        known = math.prod(s for s in self.unflattened_size if s != -1)
        if (-1 not in self.unflattened_size and known != size) or (
                -1 in self.unflattened_size and (known == 0 or size % known)):
            raise RuntimeError(f"unflatten: Provided sizes {list(self.unflattened_size)} don't multiply up to the "
                               f"size of dim {self.dim % input.dim()} ({size}) in the input tensor")
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
