"""Test models, each written once as torch-style source over ``npconv`` and built in both libraries.

Each entry: name -> (source defining ``build()``, input size). The range covers what the issue asks:
plain, grouped and depthwise, dilated, transposed with output_padding, 1-d and 3-d, BatchNorm, pooling,
upsampling, adaptive pooling, and a model written with ``F.*`` calls.
"""

ZOO = {
    "plain": ("""
import npconv.nn as nn
def build():
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3),
                         nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))
""", (2, 3, 20, 20)),
    "grouped_depthwise": ("""
import npconv.nn as nn
def build():
    return nn.Sequential(nn.Conv2d(8, 16, 3, groups=4), nn.Conv2d(16, 16, 3, padding=1, groups=16),
                         nn.Conv2d(16, 32, 1, bias=False), nn.Conv2d(32, 8, (3, 1), stride=(2, 1), groups=8))
""", (1, 8, 15, 12)),
    "dilated": ("""
import npconv.nn as nn
def build():
    return nn.Sequential(nn.Conv2d(3, 8, 3, dilation=2, padding=2), nn.Conv2d(8, 8, 3, dilation=(3, 1)),
                         nn.Conv2d(8, 4, 5, padding="same", dilation=2, bias=False))
""", (1, 3, 24, 24)),
    "transposed": ("""
import npconv.nn as nn
def build():
    return nn.Sequential(nn.ConvTranspose2d(4, 8, 3, stride=2, padding=1, output_padding=1),
                         nn.ConvTranspose2d(8, 6, 5, stride=3, output_padding=2, groups=2, bias=False),
                         nn.ConvTranspose2d(6, 2, 3, dilation=2))
""", (2, 4, 5, 7)),
    "one_d": ("""
import npconv.nn as nn
def build():
    return nn.Sequential(nn.Conv1d(2, 4, 5, stride=2), nn.MaxPool1d(2), nn.AvgPool1d(3, ceil_mode=True),
                         nn.ConvTranspose1d(4, 2, 4, stride=2), nn.AdaptiveMaxPool1d(5))
""", (3, 2, 64)),
    "three_d": ("""
import npconv.nn as nn
def build():
    return nn.Sequential(nn.Conv3d(1, 4, 3, padding=1), nn.MaxPool3d(2), nn.Conv3d(4, 4, (1, 3, 3)),
                         nn.AdaptiveAvgPool3d((1, 2, 2)), nn.ConvTranspose3d(4, 2, 2, stride=2),
                         nn.AvgPool3d((1, 2, 2)))
""", (1, 1, 8, 10, 10)),
    "batchnorm": ("""
import npconv.nn as nn
def build():
    return nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU(inplace=True),
                         nn.Conv2d(8, 8, 3), nn.BatchNorm2d(8, affine=False), nn.ReLU6(),
                         nn.Conv1d(8, 8, 1) if False else nn.Identity())
""", (2, 3, 12, 12)),
    "pool_upsample": ("""
import npconv.nn as nn
def build():
    return nn.Sequential(nn.AvgPool2d(3, 2, 1), nn.Upsample(scale_factor=2),
                         nn.Upsample(size=(9, 9), mode="bilinear"), nn.AdaptiveMaxPool2d((3, 2)),
                         nn.UpsamplingNearest2d(scale_factor=2), nn.MaxPool2d(3, 1, 1, ceil_mode=True),
                         nn.AdaptiveAvgPool2d((None, 2)))
""", (1, 3, 16, 16)),
    "functional": ("""
import npconv as torch
import npconv.nn as nn
import npconv.nn.functional as F
class Functional(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(6, 3, 3, 3))
        self.up_weight = nn.Parameter(torch.zeros(6, 4, 2, 2))
        self.fc_weight = nn.Parameter(torch.zeros(5, 4 * 4 * 4))
        self.head = nn.Conv2d(4, 4, 1)
    def forward(self, x):
        x = F.relu(F.conv2d(x, self.weight, stride=2, padding=1))
        x = F.max_pool2d(x, 2)
        x = F.conv_transpose2d(x, self.up_weight, stride=2)
        x = F.interpolate(x, scale_factor=2)
        x = F.avg_pool2d(x, 2)
        x = self.head(x) + x
        x = F.adaptive_avg_pool2d(x, 4)
        return F.linear(x.flatten(1), self.fc_weight)
def build():
    return Functional()
""", (2, 3, 16, 16)),
    "lenet_like": ("""
import npconv.nn as nn
import npconv.nn.functional as F
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 20, 5)
        self.conv2 = nn.Conv2d(20, 50, 5)
        self.fc1 = nn.Linear(4 * 4 * 50, 500)
        self.fc2 = nn.Linear(500, 10)
    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(x.size(0), -1)
        return self.fc2(F.relu(self.fc1(x)))
def build():
    return Net()
""", (1, 1, 28, 28)),
    "residual": ("""
import npconv as torch
import npconv.nn as nn
class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(4, 4, 3, padding=1)
        self.b = nn.Conv2d(4, 4, 3, padding=1)
        self.relu = nn.ReLU()
    def forward(self, x):
        y = self.relu(self.a(x))
        return torch.add(self.b(y), x).mul(0.5)
def build():
    return nn.Sequential(nn.Conv2d(3, 4, 3, stride=2), Block(), Block())
""", (1, 3, 17, 17)),
}

ZOO["module_list"] = ("""
import npconv.nn as nn
class Stack(nn.Module):
    def __init__(self):
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv2d(4, 4, 3, padding=1) for _ in range(3)] + [nn.Conv2d(4, 2, 1)])
        self.pools = nn.ModuleList([nn.MaxPool2d(2), nn.MaxPool2d(2)])
    def forward(self, x):
        for conv in self.convs:
            x = conv(x)
        for pool in self.pools:
            x = pool(x)
        return x
def build():
    return Stack()
""", (1, 4, 16, 16))

ZOO["exotic"] = ("""
import npconv as torch
import npconv.nn as nn
import npconv.nn.functional as F
class Exotic(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 8, 3, padding=1, padding_mode="reflect")
        self.shuffle = nn.PixelShuffle(2)
        self.pool = nn.MaxPool2d(2, return_indices=True)
        self.unpool = nn.MaxUnpool2d(2)
        self.lp = nn.LPPool2d(2, 2)
        self.up = nn.Upsample(scale_factor=1.5, mode="bilinear")
        self.act = nn.ELU()
    def forward(self, x):
        x = self.shuffle(self.conv(x))
        x = self.unpool(*self.pool(x))
        x = F.lp_pool2d(self.lp(F.pad(x, (1, 2, 3, 4))), 2, 1)
        x = self.act(self.up(x))
        x = torch.mul(x * 2 + 1, 3).add(x)
        x = F.silu(F.gelu(F.elu(F.relu6(x))))
        x = torch.matmul(x, x.transpose(2, 3))
        return F.softmax(F.interpolate(x, size=5), dim=1)
def build():
    return Exotic()
""", (2, 4, 8, 8))
