"""Textbook-style AlexNet and VGG built from lazy layers: shapes layer by layer, parameter counts after the
first forward, and an xavier init applied through module types."""
import torch
from torch import nn


def alexnet(num_classes=10):
    return nn.Sequential(
        nn.LazyConv2d(96, kernel_size=11, stride=4, padding=1), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.LazyConv2d(256, kernel_size=5, padding=2), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.LazyConv2d(384, kernel_size=3, padding=1), nn.ReLU(),
        nn.LazyConv2d(384, kernel_size=3, padding=1), nn.ReLU(),
        nn.LazyConv2d(256, kernel_size=3, padding=1), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2), nn.Flatten(),
        nn.LazyLinear(4096), nn.ReLU(), nn.Dropout(p=0.5),
        nn.LazyLinear(4096), nn.ReLU(), nn.Dropout(p=0.5),
        nn.LazyLinear(num_classes))


def vgg_block(num_convs, out_channels):
    layers = []
    for _ in range(num_convs):
        layers.append(nn.LazyConv2d(out_channels, kernel_size=3, padding=1))
        layers.append(nn.ReLU())
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*layers)


def vgg(arch, num_classes=10):
    blocks = [vgg_block(*b) for b in arch]
    return nn.Sequential(*blocks, nn.Flatten(), nn.LazyLinear(128), nn.ReLU(), nn.Dropout(0.5),
                         nn.LazyLinear(num_classes))


def init_cnn(module):
    if type(module) == nn.Linear or type(module) == nn.Conv2d:
        nn.init.xavier_uniform_(module.weight)


net = alexnet()
print(net[0])
print(net[-1])
X = torch.randn(1, 1, 224, 224)
for layer in net:
    X = layer(X)
    print(layer.__class__.__name__, 'output shape:\t', X.shape)
print(net[0])
print(net[-1])
net.apply(init_cnn)
print(sum(p.numel() for p in net.parameters()))

small = vgg(((1, 16), (1, 32), (2, 64)))
small.eval()
Y = small(torch.zeros(2, 1, 32, 32))
print(Y.shape, Y.grad_fn)
for name, p in small.named_parameters():
    print(name, tuple(p.shape), p.requires_grad)
print(small)
