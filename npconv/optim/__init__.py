"""npconv.optim, as torch.optim: SGD, Adam, AdamW and lr_scheduler, with torch's update arithmetic."""
from .optimizer import Optimizer  # noqa: F401
from .sgd import SGD  # noqa: F401
from .adam import Adam, AdamW  # noqa: F401
from . import lr_scheduler  # noqa: F401
