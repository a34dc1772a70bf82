"""VGG-11 and VGG-16 (Simonyan & Zisserman 2014), layer for layer as torchvision builds them.

Input ``(N, 3, 224, 224)`` (any size from 32x32: the adaptive pooling brings the features to 7x7), output
``(N, num_classes)``. VGG-16 has 138,357,544 parameters and VGG-11 132,863,336 for 1000 classes, as in
torchvision.
"""
import npconv.nn as nn

__all__ = ["VGG", "vgg11", "vgg16"]

# Output channels of each 3x3 convolution (padding 1, so the size is kept); "M" is a 2x2 max pooling.
CONFIGS = {
    "vgg11": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
}


def make_features(config, in_channels=3, batch_norm=False):
    layers = []
    for item in config:
        if item == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        layers.append(nn.Conv2d(in_channels, item, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(item))
        layers.append(nn.ReLU(inplace=True))
        in_channels = item
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """Convolutional features, adaptive average pooling to 7x7, then three fully connected layers."""

    def __init__(self, features, num_classes=1000, dropout=0.5):
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x):
        x = self.features(x)
        x = self.avgpool(x)
        x = x.flatten(1)
        return self.classifier(x)


def vgg11(num_classes=1000, batch_norm=False):
    """VGG-11 (configuration "A"): 8 convolutions, 3 linear layers."""
    return VGG(make_features(CONFIGS["vgg11"], batch_norm=batch_norm), num_classes)


def vgg16(num_classes=1000, batch_norm=False):
    """VGG-16 (configuration "D"): 13 convolutions, 3 linear layers."""
    return VGG(make_features(CONFIGS["vgg16"], batch_norm=batch_norm), num_classes)
