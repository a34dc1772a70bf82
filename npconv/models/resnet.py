"""ResNet-18 (He et al. 2015), layer for layer as torchvision builds it: 11,689,512 parameters.

Input ``(N, 3, 224, 224)``: a 7x7 stride-2 stem and a stride-2 max pooling (224 -> 56), four stages of two
basic blocks (56, 28, 14, 7), global average pooling and a linear classifier.
"""
import npconv.nn as nn

__all__ = ["BasicBlock", "ResNet", "resnet18"]


def conv3x3(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions and a shortcut (a strided 1x1 convolution when the shape changes)."""

    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = conv3x3(in_planes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or in_planes != planes:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_planes, planes, kernel_size=1, stride=stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class ResNet(nn.Module):
    def __init__(self, blocks_per_stage=(2, 2, 2, 2), num_classes=1000, in_channels=3):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        planes, stages = 64, []
        for index, count in enumerate(blocks_per_stage):
            width = 64 * 2 ** index
            stride = 1 if index == 0 else 2
            blocks = [BasicBlock(planes, width, stride)] + [BasicBlock(width, width) for _ in range(count - 1)]
            stages.append(nn.Sequential(*blocks))
            planes = width
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(planes, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = self.avgpool(x).flatten(1)
        return self.fc(x)


def resnet18(num_classes=1000):
    """ResNet-18: [2, 2, 2, 2] basic blocks."""
    return ResNet((2, 2, 2, 2), num_classes)
