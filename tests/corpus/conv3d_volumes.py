"""3-d convolutions on volumes and clips: Conv3d with stride/padding/groups, MaxPool3d/AvgPool3d,
BatchNorm3d, ConvTranspose3d with output_padding, a tiny 3-d encoder-decoder trained a few steps, and
d2l's batch normalisation written from scratch compared with nn.BatchNorm2d/3d."""
import torch
from torch import nn
import torch.nn.functional as F


def fixed_init(model, scale=0.2):
    with torch.no_grad():
        for k, p in enumerate(model.parameters()):
            p.copy_(torch.cos(torch.arange(p.numel(), dtype=torch.float32) * (0.29 + 0.07 * k) + k).reshape(p.shape) * scale)
    return model


volume = torch.sin(torch.arange(2 * 1 * 6 * 8 * 8, dtype=torch.float32) * 0.05).reshape(2, 1, 6, 8, 8)
conv = fixed_init(nn.Conv3d(1, 4, kernel_size=3, stride=1, padding=1))
print(conv, conv.weight.shape, conv.bias.shape)
y = conv(volume)
print(y.shape, y.grad_fn, y[0, 1, 2, 3, :4])
for kwargs in [dict(kernel_size=(1, 3, 3)), dict(kernel_size=3, stride=2), dict(kernel_size=(3, 1, 1), padding=(1, 0, 0)),
               dict(kernel_size=2, dilation=2), dict(kernel_size=3, padding='same'), dict(kernel_size=3, stride=(1, 2, 2), padding=1)]:
    layer = fixed_init(nn.Conv3d(4, 8, **kwargs))
    print(kwargs, tuple(layer(y).shape), layer.extra_repr())
grouped = fixed_init(nn.Conv3d(4, 8, 3, groups=4, bias=False))
print(grouped.weight.shape, grouped(y).shape, grouped(y)[1, 7, 0, 0])
print(fixed_init(nn.Conv3d(1, 2, 3, padding=1, padding_mode='replicate'))(volume)[0, 0, 0, 0, :3])
print(fixed_init(nn.Conv3d(1, 2, 3, padding=1, padding_mode='reflect'))(volume)[1, 1, 5, 7, -3:])
pool = nn.MaxPool3d(kernel_size=2, stride=2)
print(pool, pool(y).shape, pool(y)[0, 0, 0])
print(nn.MaxPool3d((1, 2, 2), return_indices=True)(y[:, :1, :2, :4, :4])[1][0, 0, 0])
print(nn.AvgPool3d(3, stride=2, padding=1)(y).shape, nn.AvgPool3d(2)(y)[1, 2, 1, 1])
print(nn.AdaptiveAvgPool3d((1, 2, 2))(y)[0, 0], nn.AdaptiveMaxPool3d(1)(y).flatten(1)[1])
bn = nn.BatchNorm3d(4)
z = bn(y)
print(bn, z.shape, z.mean(dim=(0, 2, 3, 4)).abs().max() < 1e-5, bn.running_mean.round(decimals=3), bn.running_var)
bn.eval()
print(bn(y)[0, 0, 0, 0, :3])
up = fixed_init(nn.ConvTranspose3d(4, 2, kernel_size=3, stride=2, padding=1, output_padding=1))
print(up, up.weight.shape, up(y).shape)
print(up(y, output_size=[11, 15, 15]).shape)
print(fixed_init(nn.ConvTranspose3d(4, 4, 2, stride=2, groups=2))(y).shape)
print(F.conv_transpose3d(y, torch.ones(4, 1, 1, 1, 1), stride=2)[0, 0, :2, :2, :2])
try:
    up(y, output_size=[20, 20, 20])
except ValueError as e:
    print('ValueError:', e)
try:
    conv(torch.ones(1, 2, 4, 4, 4))
except RuntimeError as e:
    print('RuntimeError:', e)


class Tiny3dAutoencoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Conv3d(1, 4, 3, padding=1), nn.BatchNorm3d(4), nn.ReLU(inplace=True),
                                     nn.MaxPool3d(2), nn.Conv3d(4, 8, 3, padding=1), nn.ReLU(inplace=True))
        self.decoder = nn.Sequential(nn.ConvTranspose3d(8, 4, 2, stride=2), nn.ReLU(),
                                     nn.Conv3d(4, 1, 1), nn.Sigmoid())

    def forward(self, x):
        return self.decoder(self.encoder(x))


ae = fixed_init(Tiny3dAutoencoder(), 0.3)
target = (volume + 1) / 2
opt = torch.optim.SGD(ae.parameters(), lr=0.5, momentum=0.9, nesterov=True, weight_decay=1e-4)
for step in range(4):
    opt.zero_grad()
    recon = ae(target)
    loss = F.mse_loss(recon, target)
    loss.backward()
    opt.step()
    print(step, f'{loss.item():.5f}', recon.shape, ae.encoder[0].weight.grad.abs().sum().item() > 0)
print(ae.encoder[1].num_batches_tracked, ae.encoder[1].running_mean)


# batch normalisation from scratch, as d2l writes it
def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):
    if not torch.is_grad_enabled():
        X_hat = (X - moving_mean) / torch.sqrt(moving_var + eps)
    else:
        assert len(X.shape) in (2, 4)
        if len(X.shape) == 2:
            mean = X.mean(dim=0)
            var = ((X - mean) ** 2).mean(dim=0)
        else:
            mean = X.mean(dim=(0, 2, 3), keepdim=True)
            var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
        X_hat = (X - mean) / torch.sqrt(var + eps)
        moving_mean = (1.0 - momentum) * moving_mean + momentum * mean
        moving_var = (1.0 - momentum) * moving_var + momentum * var
    Y = gamma * X_hat + beta
    return Y, moving_mean.data, moving_var.data


class BatchNorm(nn.Module):
    def __init__(self, num_features, num_dims):
        super().__init__()
        shape = (1, num_features) if num_dims == 2 else (1, num_features, 1, 1)
        self.gamma = nn.Parameter(torch.ones(shape))
        self.beta = nn.Parameter(torch.zeros(shape))
        self.moving_mean = torch.zeros(shape)
        self.moving_var = torch.ones(shape)

    def forward(self, X):
        if self.moving_mean.device != X.device:
            self.moving_mean = self.moving_mean.to(X.device)
            self.moving_var = self.moving_var.to(X.device)
        Y, self.moving_mean, self.moving_var = batch_norm(
            X, self.gamma, self.beta, self.moving_mean, self.moving_var, eps=1e-5, momentum=0.1)
        return Y


X = torch.cos(torch.arange(4 * 3 * 5 * 5, dtype=torch.float32) * 0.3).reshape(4, 3, 5, 5) * 2 + 1
mine, ref = BatchNorm(3, num_dims=4), nn.BatchNorm2d(3)
a, b = mine(X), ref(X)
print(torch.allclose(a, b, atol=1e-5), a.grad_fn, b.grad_fn)
print(mine.moving_mean.flatten(), ref.running_mean)
print(mine.moving_var.flatten(), ref.running_var)
a.sum().backward()
print(mine.gamma.grad.flatten().abs().max() < 1e-4, mine.beta.grad.flatten())
with torch.no_grad():
    print(torch.allclose(mine(X), ref.eval()(X), atol=1e-3))
net = nn.Sequential(
    nn.Conv2d(1, 6, kernel_size=5), BatchNorm(6, num_dims=4), nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2),
    nn.Conv2d(6, 16, kernel_size=5), BatchNorm(16, num_dims=4), nn.Sigmoid(),
    nn.AvgPool2d(kernel_size=2, stride=2), nn.Flatten(),
    nn.Linear(16 * 4 * 4, 120), BatchNorm(120, num_dims=2), nn.Sigmoid(),
    nn.Linear(120, 84), BatchNorm(84, num_dims=2), nn.Sigmoid(),
    nn.Linear(84, 10))
fixed_init(net, 0.1)
digits = torch.sin(torch.arange(4 * 28 * 28, dtype=torch.float32) * 0.017).reshape(4, 1, 28, 28)
for layer in net:
    digits = layer(digits)
    print(layer.__class__.__name__, 'output shape:\t', digits.shape)
print(net[1].gamma.reshape((-1,)), net[1].beta.reshape((-1,)), net[5].moving_mean.flatten()[:4])
