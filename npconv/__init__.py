"""npconv: PyTorch's convolution toolbox rebuilt on NumPy. ``import npconv as torch``."""
from ._dtype import (bool, double, dtype, finfo, float, float16, float32, float64, get_default_dtype,  # noqa: A004
                     half, iinfo, int, int8, int16, int32, int64, long, promote_types, set_default_dtype, short,
                     uint8)
from ._tensor import *  # noqa: F401,F403
from ._tensor import Size, Tensor, device
from ._ops import *  # noqa: F401,F403
from . import _observe, _ops, _torch_api

# torch.* functions and the named Tensor methods (not the operators: ``x.add(y)``, not ``x + y``) are entry
# points that summaries and MAC counters can observe: see npconv._observe
_observe.mark_entry_points(globals(), "torch", _ops.__all__)
_observe.mark_entry_points(Tensor, "Tensor")
from . import autograd
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .autograd import is_anomaly_check_nan_enabled, is_anomaly_enabled
from . import _gradcheck

autograd.gradcheck, autograd.gradgradcheck = _gradcheck.gradcheck, _gradcheck.gradgradcheck  # torch.autograd.gradcheck
from .random import Generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from . import random
from . import accelerator, cuda, functional, mps  # torch-on-CPU answers to device questions

from ._tensor_str import get_printoptions, printoptions, set_printoptions
from ._settings import *  # noqa: F401,F403  (process-wide switches: deterministic algorithms, matmul precision...)
from . import backends  # torch.backends look-alike (conv algorithm switch; no mps/cudnn)
from .kernels.threads import get_num_interop_threads, get_num_threads, set_num_interop_threads, set_num_threads
from . import nn

# torch.conv2d, torch.max_pool2d, torch.pixel_shuffle ...: the ops torch also has at top level whose arguments
# are those of torch.nn.functional's (positionally), the same functions here (torch.embedding, batch_norm,
# instance_norm, the losses and adaptive_max_pool1d take other arguments there: not these)
TOP_LEVEL_FUNCTIONAL = ("adaptive_avg_pool1d", "avg_pool1d", "bilinear", "celu", "celu_", "channel_shuffle", "conv1d",
                        "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
                        "cosine_similarity", "dropout", "alpha_dropout", "feature_alpha_dropout", "group_norm",
                        "hardshrink", "layer_norm", "max_pool1d", "max_pool2d", "max_pool3d", "native_channel_shuffle",
                        "pairwise_distance", "pixel_shuffle", "pixel_unshuffle", "prelu", "rms_norm", "rrelu",
                        "rrelu_", "selu", "selu_", "threshold", "threshold_")
for _name in TOP_LEVEL_FUNCTIONAL:
    if hasattr(nn.functional, _name) and _name not in globals():
        globals()[_name] = getattr(nn.functional, _name)
from . import optim
from . import utils  # npconv.utils.data: Dataset, DataLoader, as torch.utils.data
from .io import load, save
from . import serialization  # torch.serialization: safe_globals for whole-model checkpoints
from . import linalg  # noqa: E402

globals().update(linalg.TOP_LEVEL)  # torch.svd, torch.slogdet ... (the rest are _ops')

# npconv's own answers beside torch's API load when first used (``npconv.summary(...)``, ``npconv.parallel``,
# ``npconv.explain(layer, size)``: explain and explore are callable packages), so that ``import npconv`` stays
# quick and never imports what they need (Pillow, dask, an HTTP server, torch for a torch model).
_LAZY = {"arithmetic": ("npconv.arithmetic", None), "summary": ("npconv.arithmetic", "summary"),
         "explain": ("npconv.explain", None), "explore": ("npconv.explore", None),
         "models": ("npconv.models", None), "parallel": ("npconv.parallel", None),
         "vision": ("npconv.vision", None), "run": ("npconv.run", None)}

# torch's constants (torch.pi, torch.inf ...)
import math as _math
pi, e, inf, nan, newaxis = _math.pi, _math.e, _math.inf, _math.nan, None

__version__ = "0.1.0"

_missing_torch_name = _torch_api.module_getattr("torch")  # a torch name npconv lacks: NotImplementedError naming it


def __getattr__(name):
    if name in _LAZY:
        import importlib
        module_name, attribute = _LAZY[name]
        module = importlib.import_module(module_name)
        value = module if attribute is None else getattr(module, attribute)
        globals()[name] = value        # once loaded, a plain attribute
        return value
    return _missing_torch_name(name)


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
