"""Ready-made models built from npconv layers, and a registry of them for ``npconv summary MODEL``."""
from .lenet import LeNet, lenet  # noqa: F401  (the function lenet replaces the submodule's name)
from .vgg import VGG, vgg11, vgg16  # noqa: F401
from .resnet import ResNet, resnet18  # noqa: F401
from .mobilenet import MobileNetV2, mobilenet_v2  # noqa: F401
from .unet import UNet, small_unet  # noqa: F401
from .dcgan import DCGANGenerator, dcgan_generator  # noqa: F401

# name -> (constructor, the input size it is usually summarised with)
REGISTRY = {
    "lenet": (lenet, (1, 1, 28, 28)),
    "vgg11": (vgg11, (1, 3, 224, 224)),
    "vgg16": (vgg16, (1, 3, 224, 224)),
    "resnet18": (resnet18, (1, 3, 224, 224)),
    "mobilenet_v2": (mobilenet_v2, (1, 3, 224, 224)),
    "unet": (small_unet, (1, 1, 64, 64)),
    "dcgan_generator": (dcgan_generator, (1, 100, 1, 1)),
}


def _registry_key(name):
    """Registry names match loosely: 'VGG-16', 'vgg_16' and 'vgg16' are one model."""
    wanted = name.lower().replace("-", "").replace("_", "")
    for key in REGISTRY:
        if key.replace("_", "") == wanted:
            return key
    from ..arithmetic.summary_table import suggestion
    raise ValueError(f"unknown model {name!r}{suggestion(name, REGISTRY)}; built-in models: {', '.join(REGISTRY)}")


def get_model(name):
    """A new instance of the built-in model ``name`` (one of ``REGISTRY``)."""
    return REGISTRY[_registry_key(name)][0]()


def default_input_size(name):
    """The input size ``name`` is usually summarised with, e.g. ``(1, 3, 224, 224)``."""
    return REGISTRY[_registry_key(name)][1]
