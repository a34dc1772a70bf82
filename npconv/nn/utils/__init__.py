"""npconv.nn.utils, as torch.nn.utils: gradient clipping, parameters <-> vector; ``prune`` is a submodule
imported on demand (``import npconv.nn.utils.prune as prune``), as in torch."""
from .clip_grad import (clip_grad_norm, clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_,  # noqa: F401
                        get_total_norm)
from .fusion import fuse_conv_bn_eval, fuse_conv_bn_weights, fuse_linear_bn_eval, fuse_linear_bn_weights  # noqa: F401
from .convert_parameters import parameters_to_vector, vector_to_parameters  # noqa: F401
from .weight_norm import remove_weight_norm, weight_norm  # noqa: F401
from .spectral_norm import remove_spectral_norm, spectral_norm  # noqa: F401
from .init import skip_init  # noqa: F401
from . import parametrize  # noqa: F401,E402
from . import parametrizations  # noqa: F401,E402
from . import stateless  # noqa: F401,E402


from npconv._torch_api import module_getattr as _module_getattr  # noqa: E402

__getattr__ = _module_getattr("torch.nn.utils")  # a torch name npconv lacks: NotImplementedError naming it
