"""torch.nn.functional convolution arithmetic checks: conv1d/2d with stride, dilation, groups and string
padding; conv_transpose2d with output_padding and groups; F.unfold/fold; F.interpolate in every mode;
F.pad in every mode; shape errors."""
import torch
import torch.nn.functional as F


def ramp(*shape, scale=0.1):
    n = 1
    for s in shape:
        n *= s
    return (torch.arange(n, dtype=torch.float32).reshape(shape) % 7 - 3) * scale


def out_size(n, k, s=1, p=0, d=1):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


x = ramp(1, 4, 9, 9)
w = ramp(6, 2, 3, 3, scale=0.2)
for stride, padding, dilation in [(1, 0, 1), (2, 1, 1), (1, 2, 2), (3, 0, 2), (2, 3, 3)]:
    y = F.conv2d(x, w, stride=stride, padding=padding, dilation=dilation, groups=2)
    expect = out_size(9, 3, stride, padding, dilation)
    print(stride, padding, dilation, tuple(y.shape), expect, round(y.sum().item(), 3) + 0.0, y[0, :, 0, 0])
y = F.conv2d(x, w, groups=2)
manual = torch.cat([F.conv2d(x[:, :2], w[:3]), F.conv2d(x[:, 2:], w[3:])], dim=1)
print('groups == split:', torch.allclose(y, manual, atol=1e-6))
depthwise = F.conv2d(x, ramp(4, 1, 3, 3), groups=4, padding='same')
print(depthwise.shape, depthwise[0, 3, 4])
print(F.conv2d(x, ramp(2, 4, 2, 4), padding='same', dilation=(2, 1)).shape)
print(F.conv2d(x, ramp(2, 4, 3, 3), padding='valid', stride=(2, 3)).shape)
print(F.conv2d(x, ramp(3, 4, 1, 1), bias=torch.tensor([1.0, 0.0, -1.0]))[0, :, 0, :3])
print(F.conv1d(ramp(2, 3, 10), ramp(4, 3, 4), stride=2, padding=1, dilation=2))
print(F.conv1d(ramp(1, 4, 7), ramp(4, 2, 2), groups=2, padding='same').shape)
print(F.conv3d(ramp(1, 2, 4, 5, 6), ramp(2, 2, 2, 3, 3), stride=(1, 2, 1), padding=(0, 1, 1)).shape)

# transposed convolutions: output size = (n - 1) * s - 2p + d (k - 1) + output_padding + 1
xt = ramp(1, 4, 4, 5)
wt = ramp(4, 3, 3, 3)
for stride, padding, output_padding, dilation in [(1, 0, 0, 1), (2, 1, 1, 1), (3, 1, 2, 1), (2, 0, 1, 2)]:
    yt = F.conv_transpose2d(xt, wt, stride=stride, padding=padding, output_padding=output_padding,
                            dilation=dilation)
    expect = [(n - 1) * stride - 2 * padding + dilation * 2 + output_padding + 1 for n in (4, 5)]
    print(tuple(yt.shape[2:]), expect, round(yt.sum().item(), 3))
yg = F.conv_transpose2d(xt, ramp(4, 2, 2, 2), stride=2, groups=2)
print(yg.shape, yg[0, 3, :2])
try:
    F.conv_transpose2d(xt, wt, stride=2, output_padding=2)
except RuntimeError as e:
    print('RuntimeError:', e)
print(F.conv_transpose1d(ramp(1, 2, 5), ramp(2, 1, 3), stride=2, output_padding=1))
# the transpose is the gradient of the convolution with respect to its input
inp = ramp(1, 3, 7, 7).requires_grad_()
k = ramp(4, 3, 3, 3)
out = F.conv2d(inp, k, stride=2, padding=1)
g = ramp(*out.shape)
out.backward(g)
print(torch.allclose(inp.grad, F.conv_transpose2d(g, k, stride=2, padding=1), atol=1e-6), out.grad_fn)

# unfold and fold
patches = F.unfold(ramp(1, 2, 4, 4), kernel_size=2, stride=2)
print(patches.shape, patches[0, :, 0])
print(F.fold(patches, output_size=(4, 4), kernel_size=2, stride=2).equal(ramp(1, 2, 4, 4)))
cols = F.unfold(x, 3, padding=1)
via_gemm = (ramp(5, 4, 3, 3).view(5, -1) @ cols).view(1, 5, 9, 9)
print(torch.allclose(via_gemm, F.conv2d(x, ramp(5, 4, 3, 3), padding=1), atol=1e-5))
print(F.fold(torch.ones(1, 4, 9), (4, 4), 2, stride=1))

# interpolation
small = torch.arange(1, 7, dtype=torch.float32).reshape(1, 1, 2, 3)
for mode, kwargs in [('nearest', {}), ('nearest-exact', {}), ('bilinear', {'align_corners': False}),
                     ('bilinear', {'align_corners': True}), ('bicubic', {'align_corners': False}),
                     ('area', {})]:
    print(mode, kwargs, F.interpolate(small, size=(4, 5), mode=mode, **kwargs))
print(F.interpolate(small, scale_factor=2, mode='nearest'))
print(F.interpolate(small, scale_factor=(1.5, 0.5), mode='bilinear', align_corners=False))
print(F.interpolate(torch.arange(5.).view(1, 1, 5), scale_factor=1.6, mode='linear'))
print(F.interpolate(ramp(1, 1, 2, 2, 2), size=(3, 3, 3), mode='trilinear', align_corners=True)[0, 0, 1])
print(F.interpolate(ramp(1, 2, 6, 6), size=(3, 2), mode='area')[0, 1])
print(F.upsample(small, scale_factor=2).shape)

# padding
p = torch.arange(1, 10, dtype=torch.float32).reshape(1, 1, 3, 3)
for mode in ['constant', 'reflect', 'replicate', 'circular']:
    print(mode, F.pad(p, (1, 2, 2, 1), mode=mode))
print(F.pad(p, (1, 1), value=-1.0))
print(F.pad(p, (-1, 0, 0, -1)))
print(F.pad(torch.arange(4.).view(1, 2, 2), (2, 2), mode="circular"))
try:
    F.pad(p, (3, 3, 0, 0), mode='reflect')
except RuntimeError as e:
    print('RuntimeError:', e)

# errors
for bad in [lambda: F.conv2d(x, ramp(2, 3, 3, 3)),
            lambda: F.conv2d(x, ramp(6, 2, 3, 3), groups=3),
            lambda: F.conv2d(ramp(1, 4, 2, 2), ramp(2, 4, 3, 3)),
            lambda: F.conv1d(ramp(4, 5), ramp(2, 4, 3), padding='same', stride=2)]:
    try:
        bad()
    except (RuntimeError, ValueError) as e:
        print(type(e).__name__ + ':', e)
