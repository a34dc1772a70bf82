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
from .random import Generator, initial_seed, manual_seed, seed
from . import random
from . import accelerator, cuda, functional, mps  # torch-on-CPU answers to device questions

from ._tensor_str import get_printoptions, printoptions, set_printoptions
from ._settings import *  # noqa: F401,F403  (process-wide switches: deterministic algorithms, matmul precision...)
from . import backends  # torch.backends look-alike (conv algorithm switch; no mps/cudnn)
from .kernels.threads import get_num_interop_threads, get_num_threads, set_num_interop_threads, set_num_threads
from . import nn
from . import optim
from . import utils  # npconv.utils.data: Dataset, DataLoader, as torch.utils.data
from .io import load, save

# npconv's own answers beside torch's API: the arithmetic of a model and the explanation of a layer.
from . import arithmetic
from .arithmetic import summary
from . import explain  # a callable package: npconv.explain(layer, input_size)
from . import models
from . import explore  # a callable package: npconv.explore() serves the interactive page (Jupyter: inline)

__version__ = "0.1.0"


__getattr__ = _torch_api.module_getattr("torch")  # a torch name npconv lacks: NotImplementedError naming it
