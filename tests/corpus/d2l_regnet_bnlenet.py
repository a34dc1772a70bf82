"""Textbook RegNet-style AnyNet (stem, stages of ResNeXt blocks added with add_module, a lazy head) and the
concise batch-normalised LeNet with LazyBatchNorm1d/2d: a dummy forward initialises the lazy layers, an
init function is applied by module type, layer summaries print shapes, one training step runs."""
import torch
from torch import nn
from torch.nn import functional as F


def init_cnn(module):
    if type(module) == nn.Linear or type(module) == nn.Conv2d:
        nn.init.xavier_uniform_(module.weight)


class ResNeXtBlock(nn.Module):
    def __init__(self, num_channels, groups, bot_mul, use_1x1conv=False, strides=1):
        super().__init__()
        bot_channels = int(round(num_channels * bot_mul))
        self.conv1 = nn.LazyConv2d(bot_channels, kernel_size=1, stride=1)
        self.conv2 = nn.LazyConv2d(bot_channels, kernel_size=3, stride=strides, padding=1,
                                   groups=bot_channels // groups)
        self.conv3 = nn.LazyConv2d(num_channels, kernel_size=1, stride=1)
        self.bn1, self.bn2, self.bn3 = nn.LazyBatchNorm2d(), nn.LazyBatchNorm2d(), nn.LazyBatchNorm2d()
        if use_1x1conv:
            self.conv4 = nn.LazyConv2d(num_channels, kernel_size=1, stride=strides)
            self.bn4 = nn.LazyBatchNorm2d()
        else:
            self.conv4 = None

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = F.relu(self.bn2(self.conv2(Y)))
        Y = self.bn3(self.conv3(Y))
        if self.conv4:
            X = self.bn4(self.conv4(X))
        return F.relu(Y + X)


class AnyNet(nn.Module):
    def __init__(self, arch, stem_channels, num_classes=10):
        super().__init__()
        self.net = nn.Sequential(self.stem(stem_channels))
        for i, s in enumerate(arch):
            self.net.add_module(f'stage{i+1}', self.stage(*s))
        self.net.add_module('head', nn.Sequential(nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),
                                                  nn.LazyLinear(num_classes)))

    def stem(self, num_channels):
        return nn.Sequential(nn.LazyConv2d(num_channels, kernel_size=3, stride=2, padding=1),
                             nn.LazyBatchNorm2d(), nn.ReLU())

    def stage(self, depth, num_channels, groups, bot_mul):
        blk = []
        for i in range(depth):
            if i == 0:
                blk.append(ResNeXtBlock(num_channels, groups, bot_mul, use_1x1conv=True, strides=2))
            else:
                blk.append(ResNeXtBlock(num_channels, groups, bot_mul))
        return nn.Sequential(*blk)

    def forward(self, X):
        return self.net(X)

    def apply_init(self, inputs, init=None):
        self.forward(*inputs)
        if init is not None:
            self.net.apply(init)

    def layer_summary(self, X_shape):
        X = torch.randn(*X_shape)
        for layer in self.net:
            X = layer(X)
            print(layer.__class__.__name__, 'output shape:\t', X.shape)


model = AnyNet(((2, 16, 8, 1), (2, 32, 8, 1)), stem_channels=16)
print(model.net.head)
model.apply_init([torch.randn(1, 1, 64, 64)], init_cnn)
model.layer_summary((1, 1, 64, 64))
print(model.net.stage1[0].conv2)
print(model.net.head)
print(sum(p.numel() for p in model.parameters()), len(list(model.named_modules())))
print([name for name, _ in model.net.named_children()])

bn_lenet = nn.Sequential(
    nn.LazyConv2d(6, kernel_size=5), nn.LazyBatchNorm2d(), nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.LazyConv2d(16, kernel_size=5), nn.LazyBatchNorm2d(), nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2), nn.Flatten(),
    nn.LazyLinear(120), nn.LazyBatchNorm1d(), nn.Sigmoid(),
    nn.LazyLinear(84), nn.LazyBatchNorm1d(), nn.Sigmoid(),
    nn.LazyLinear(10))
print(bn_lenet[10])
bn_lenet(torch.zeros(2, 1, 28, 28))
print(bn_lenet[10], bn_lenet[1])
with torch.no_grad():
    for k, p in enumerate(bn_lenet.parameters()):
        p.copy_(torch.cos(torch.arange(p.numel(), dtype=torch.float32) * 0.3 + k).reshape(p.shape) * 0.2)
for m in bn_lenet.modules():
    if isinstance(m, nn.modules.batchnorm._BatchNorm):
        m.reset_running_stats()
X = torch.linspace(0, 1, 8 * 28 * 28).reshape(8, 1, 28, 28)
y = torch.arange(8)
trainer = torch.optim.SGD(bn_lenet.parameters(), lr=0.1)
loss = F.cross_entropy(bn_lenet(X), y)
trainer.zero_grad()
loss.backward()
trainer.step()
print(round(loss.item(), 4), bn_lenet[1].running_mean.numpy().round(4), bn_lenet[10].num_batches_tracked)
print(bn_lenet[1].weight.reshape((-1,)).detach().numpy().round(4), bn_lenet[1].bias.reshape((-1,)).detach().numpy().round(4))
bn_lenet.eval()
print(bn_lenet(X).argmax(axis=1))
