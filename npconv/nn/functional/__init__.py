"""The public functional API, as ``torch.nn.functional``: argument checking plus one autograd op each.

Each topic lives in its own file; this package re-exports them so that
``import npconv.nn.functional as F`` works as in torch.
"""
from .conv import *  # noqa: F401,F403
from .padding import *  # noqa: F401,F403
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
from .sampling import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403
from .distance import *  # noqa: F401,F403
from .normalization_extra import *  # noqa: F401,F403
from .fractional_pool import *  # noqa: F401,F403

from ... import _observe

# every public function of F is an entry point a summary records as a row (``F.relu``): see npconv._observe
_observe.mark_entry_points(globals(), "F")


from npconv._torch_api import module_getattr as _module_getattr  # noqa: E402

__getattr__ = _module_getattr("torch.nn.functional")  # a torch name npconv lacks: NotImplementedError naming it
