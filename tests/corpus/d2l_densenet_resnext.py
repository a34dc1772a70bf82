"""Textbook-style DenseNet and ResNeXt blocks: lazy batch norm, grouped lazy convolutions, residual adds and
dense concatenation; a training step updates running statistics."""
import torch
from torch import nn
from torch.nn import functional as F


def conv_block(num_channels):
    return nn.Sequential(nn.LazyBatchNorm2d(), nn.ReLU(), nn.LazyConv2d(num_channels, kernel_size=3, padding=1))


class DenseBlock(nn.Module):
    def __init__(self, num_convs, num_channels):
        super(DenseBlock, self).__init__()
        layer = []
        for i in range(num_convs):
            layer.append(conv_block(num_channels))
        self.net = nn.Sequential(*layer)

    def forward(self, X):
        for blk in self.net:
            Y = blk(X)
            X = torch.cat((X, Y), dim=1)
        return X


def transition_block(num_channels):
    return nn.Sequential(nn.LazyBatchNorm2d(), nn.ReLU(), nn.LazyConv2d(num_channels, kernel_size=1),
                         nn.AvgPool2d(kernel_size=2, stride=2))


blk = DenseBlock(2, 10)
print(blk)
X = torch.randn(4, 3, 8, 8)
Y = blk(X)
print(Y.shape)
print(blk)
print(transition_block(10)(Y).shape)
bn = blk.net[0][0]
print(bn.running_mean.shape, bn.num_batches_tracked, bn.momentum, bn.eps)


class ResNeXtBlock(nn.Module):
    def __init__(self, num_channels, groups, bot_mul, use_1x1conv=False, strides=1):
        super().__init__()
        bot_channels = int(round(num_channels * bot_mul))
        self.conv1 = nn.LazyConv2d(bot_channels, kernel_size=1, stride=1)
        self.conv2 = nn.LazyConv2d(bot_channels, kernel_size=3, stride=strides, padding=1,
                                   groups=bot_channels // groups)
        self.conv3 = nn.LazyConv2d(num_channels, kernel_size=1, stride=1)
        self.bn1 = nn.LazyBatchNorm2d()
        self.bn2 = nn.LazyBatchNorm2d()
        self.bn3 = nn.LazyBatchNorm2d()
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


blk = ResNeXtBlock(32, 16, 1)
X = torch.randn(4, 32, 96, 96)
print(blk(X).shape)
blk = ResNeXtBlock(64, 16, 0.5, use_1x1conv=True, strides=2)
out = blk(X)
print(out.shape, out.grad_fn)
print(blk.conv2)
print(blk.bn1)
print(blk.bn1.num_batches_tracked, blk.bn1.running_var.shape)
loss = out.sum()
loss.backward()
print(blk.conv2.weight.grad.shape, blk.bn2.weight.grad.shape)
