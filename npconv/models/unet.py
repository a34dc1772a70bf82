"""A small U-Net (Ronneberger et al. 2015): three resolutions, skip connections joined with ``cat``.

Input ``(N, in_channels, H, W)`` with H and W multiples of 4, output ``(N, out_channels, H, W)``. Padded
3x3 convolutions keep the size; 2x2 max pooling halves it, 2x2 stride-2 transposed convolutions double it.
"""
import npconv as torch
import npconv.nn as nn

__all__ = ["UNet", "small_unet"]


def double_conv(in_channels, out_channels):
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False), nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
        nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False), nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True))


class UNet(nn.Module):
    def __init__(self, in_channels=1, out_channels=2, base=16):
        super().__init__()
        self.down1 = double_conv(in_channels, base)
        self.down2 = double_conv(base, base * 2)
        self.bottom = double_conv(base * 2, base * 4)
        self.pool = nn.MaxPool2d(2)
        self.up2 = nn.ConvTranspose2d(base * 4, base * 2, kernel_size=2, stride=2)
        self.dec2 = double_conv(base * 4, base * 2)
        self.up1 = nn.ConvTranspose2d(base * 2, base, kernel_size=2, stride=2)
        self.dec1 = double_conv(base * 2, base)
        self.head = nn.Conv2d(base, out_channels, kernel_size=1)

    def forward(self, x):
        skip1 = self.down1(x)
        skip2 = self.down2(self.pool(skip1))
        x = self.bottom(self.pool(skip2))
        x = self.dec2(torch.cat([self.up2(x), skip2], dim=1))
        x = self.dec1(torch.cat([self.up1(x), skip1], dim=1))
        return self.head(x)


def small_unet(in_channels=1, out_channels=2, base=16):
    return UNet(in_channels, out_channels, base)
