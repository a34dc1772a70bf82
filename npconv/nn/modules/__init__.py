"""Layer classes, as ``torch.nn.modules``: thin holders of parameters that call ``npconv.nn.functional``."""
import sys

from .module import *  # noqa: F401,F403
from .container import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .upsampling import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
from .activation import *  # noqa: F401,F403
from .activation_extra import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .loss_extra import *  # noqa: F401,F403
from .fold import *  # noqa: F401,F403
from .padding import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403
from .normalization_extra import *  # noqa: F401,F403
from .fractional_pool import *  # noqa: F401,F403
from .lazy import *  # noqa: F401,F403
from . import utils  # noqa: E402  (torch.nn.modules.utils: _pair and kin)


def _alias_torch_file_names():
    """torch's file names for what npconv keeps elsewhere: ``nn.modules.batchnorm._BatchNorm`` and
    ``import torch.nn.modules.pixelshuffle`` (real code names them) reach npconv's module of that content."""
    from . import linear, normalization, upsampling
    for torch_name, module in {"batchnorm": normalization, "instancenorm": normalization, "flatten": linear,
                               "pixelshuffle": upsampling}.items():
        sys.modules.setdefault(f"{__name__}.{torch_name}", module)
        globals()[torch_name] = module


_alias_torch_file_names()

# ``from .modules import *`` (npconv.nn) takes the layers, not this package's submodules: npconv.nn.utils
# is torch.nn.utils, not torch.nn.modules.utils
__all__ = [name for name, value in globals().items()
           if not name.startswith("_") and not isinstance(value, type(sys))]
