"""d2l's transposed convolution: by hand, with nn.ConvTranspose2d, padding/stride/output_padding shapes."""
import torch
from torch import nn


def trans_conv(X, K):
    h, w = K.shape
    Y = torch.zeros((X.shape[0] + h - 1, X.shape[1] + w - 1))
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            Y[i: i + h, j: j + w] += X[i, j] * K
    return Y


X = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
K = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
print(trans_conv(X, K))
X, K = X.reshape(1, 1, 2, 2), K.reshape(1, 1, 2, 2)
tconv = nn.ConvTranspose2d(1, 1, kernel_size=2, bias=False)
tconv.weight.data = K
print(tconv(X))
tconv = nn.ConvTranspose2d(1, 1, kernel_size=2, padding=1, bias=False)
tconv.weight.data = K
print(tconv(X))
tconv = nn.ConvTranspose2d(1, 1, kernel_size=2, stride=2, bias=False)
tconv.weight.data = K
print(tconv(X))
X = torch.rand(1, 10, 16, 16)
conv = nn.Conv2d(10, 20, kernel_size=5, padding=2, stride=3)
tconv = nn.ConvTranspose2d(20, 10, kernel_size=5, padding=2, stride=3)
print(tconv(conv(X)).shape == X.shape)
up = nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1)
print(up, up(torch.zeros(1, 4, 5, 5)).shape, up(torch.zeros(1, 4, 5, 5), output_size=[10, 10]).shape)
print(nn.ConvTranspose1d(2, 3, 4, stride=2)(torch.zeros(1, 2, 7)).shape)
