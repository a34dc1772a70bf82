"""npconv.nn.functional: pooling and unpooling, as torch.nn.functional (argument checks + one autograd op).

Shapes (n = 1, 2, 3 spatial dims; the batch dim N is optional)::

    max_pool / avg_pool:  (N, C, *S) -> (N, C, *O),
        O_d = floor((S_d + 2 p_d - dilation_d (k_d - 1) - 1) / stride_d) + 1   (ceil with ceil_mode)
    adaptive pools:       (N, C, *S) -> (N, C, *output_size)
    max_unpool:           (N, C, *I) -> (N, C, *O),   O_d = (I_d - 1) stride_d - 2 p_d + k_d

Sizes come from npconv._shapes; the arithmetic runs in npconv.kernels.pooling.
"""
from .max_pool import *  # noqa: F401,F403
from .avg_pool import *  # noqa: F401,F403
from .adaptive import *  # noqa: F401,F403
from .lp_pool import *  # noqa: F401,F403
from .unpool import *  # noqa: F401,F403

__all__ = [
    "max_pool1d", "max_pool2d", "max_pool3d",
    "max_pool1d_with_indices", "max_pool2d_with_indices", "max_pool3d_with_indices",
    "avg_pool1d", "avg_pool2d", "avg_pool3d",
    "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d",
    "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
    "adaptive_max_pool3d_with_indices",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
    "lp_pool1d", "lp_pool2d", "lp_pool3d",
    "max_unpool1d", "max_unpool2d", "max_unpool3d",
]
