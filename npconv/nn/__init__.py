"""npconv.nn, as torch.nn: Module, Parameter, the layers, ``functional`` and ``init``."""
from .parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter  # noqa: F401
from .modules import *  # noqa: F401,F403
from . import functional  # noqa: F401
from . import init  # noqa: F401
from . import utils  # noqa: F401
from . import parallel  # noqa: F401
from .parallel import DataParallel  # noqa: F401


from npconv._torch_api import module_getattr as _module_getattr  # noqa: E402

__getattr__ = _module_getattr("torch.nn")  # a torch name npconv lacks: NotImplementedError naming it
