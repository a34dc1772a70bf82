"""The DCGAN generator of the PyTorch examples (Radford et al. 2015): a latent vector to a 64x64 image.

Input ``(N, nz, 1, 1)``, output ``(N, nc, 64, 64)`` in [-1, 1]: transposed convolutions with 4x4 kernels,
``1 -> 4`` (stride 1, no padding) then ``4 -> 8 -> 16 -> 32 -> 64`` (stride 2, padding 1).
"""
import npconv.nn as nn

__all__ = ["DCGANGenerator", "dcgan_generator"]


class DCGANGenerator(nn.Module):
    def __init__(self, nz=100, ngf=64, nc=3):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh())

    def forward(self, z):
        return self.main(z)


def dcgan_generator(nz=100, ngf=64, nc=3):
    return DCGANGenerator(nz, ngf, nc)
