"""d2l's LeNet as nn.Sequential: layer-by-layer output shapes, parameter count, one loss on fixed data."""
import torch
from torch import nn

net = nn.Sequential(
    nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Flatten(),
    nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(),
    nn.Linear(120, 84), nn.Sigmoid(),
    nn.Linear(84, 10))
X = torch.rand((1, 1, 28, 28), dtype=torch.float32)
for layer in net:
    X = layer(X)
    print(layer.__class__.__name__, 'output shape: \t', X.shape)


def init_weights(m):
    if type(m) == nn.Linear or type(m) == nn.Conv2d:
        nn.init.constant_(m.weight, 0.01)
        nn.init.zeros_(m.bias)


net.apply(init_weights)
print(net)
print(sum(p.numel() for p in net.parameters()))
X = torch.linspace(0, 1, 2 * 28 * 28).reshape(2, 1, 28, 28)
y = torch.tensor([3, 7])
loss = nn.CrossEntropyLoss()
l = loss(net(X), y)
print(l, l.grad_fn)
l.backward()
print(net[0].weight.grad.shape, float(net[-1].bias.grad.abs().sum()) > 0)
print(net[0], net[-1].weight.shape, len(net), net[2:4])
