"""d2l: output shapes under padding and strides."""
import torch
from torch import nn


def comp_conv2d(conv2d, X):
    X = X.reshape((1, 1) + X.shape)
    Y = conv2d(X)
    return Y.reshape(Y.shape[2:])


conv2d = nn.Conv2d(1, 1, kernel_size=3, padding=1)
X = torch.rand(8, 8)
print(comp_conv2d(conv2d, X).shape)
conv2d = nn.Conv2d(1, 1, kernel_size=(5, 3), padding=(2, 1))
print(comp_conv2d(conv2d, X).shape)
conv2d = nn.Conv2d(1, 1, kernel_size=3, padding=1, stride=2)
print(comp_conv2d(conv2d, X).shape)
conv2d = nn.Conv2d(1, 1, kernel_size=(3, 5), padding=(0, 1), stride=(3, 4))
print(comp_conv2d(conv2d, X).shape)
for padding in ['same', 'valid', 0, 2]:
    conv = nn.Conv2d(2, 3, kernel_size=(3, 5), padding=padding, dilation=(1, 2) if padding == 'same' else 1)
    print(padding, conv(torch.zeros(1, 2, 11, 13)).shape, conv)
print(nn.Conv1d(4, 2, 3, stride=2)(torch.zeros(3, 4, 10)).shape, nn.Conv3d(1, 2, 2)(torch.zeros(1, 1, 4, 4, 4)).shape)
