"""npconv.optim, as torch.optim: the optimisers and lr_scheduler, with torch's update arithmetic."""
from .optimizer import Optimizer  # noqa: F401
from .sgd import SGD  # noqa: F401
from .adam import Adam, AdamW  # noqa: F401
from .adadelta import Adadelta  # noqa: F401
from .adagrad import Adagrad  # noqa: F401
from .adamax import Adamax  # noqa: F401
from .asgd import ASGD  # noqa: F401
from .lbfgs import LBFGS  # noqa: F401
from .nadam import NAdam  # noqa: F401
from .radam import RAdam  # noqa: F401
from .rmsprop import RMSprop  # noqa: F401
from .rprop import Rprop  # noqa: F401
from . import lr_scheduler  # noqa: F401


from npconv._torch_api import module_getattr as _module_getattr  # noqa: E402

__getattr__ = _module_getattr("torch.optim")  # a torch name npconv lacks: NotImplementedError naming it
