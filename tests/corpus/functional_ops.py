"""torch.nn.functional on fixed inputs: convolution, pooling, padding, interpolation, softmax, losses."""
import torch
import torch.nn.functional as F

x = torch.arange(2 * 3 * 5 * 5, dtype=torch.float64).reshape(2, 3, 5, 5) / 10
w = torch.linspace(-1, 1, 4 * 3 * 3 * 3, dtype=torch.float64).reshape(4, 3, 3, 3)
b = torch.tensor([0.1, -0.2, 0.3, 0.0], dtype=torch.float64)
print(F.conv2d(x, w, b, stride=2, padding=1))
print(F.conv2d(x, w[:, :1].repeat(1, 1, 1, 1)[:3], groups=3, padding='same').shape)
print(F.max_pool2d(x, 2), F.avg_pool2d(x, 3, stride=2, padding=1).shape)
print(F.pad(x[:1, :1, :2, :2], (1, 1, 2, 0)), F.pad(x[:1, :1, :3, :3], (1, 1, 1, 1), mode='reflect'))
print(F.interpolate(x[:1, :1, :2, :2], scale_factor=2, mode='nearest'))
print(F.interpolate(x[:1, :1, :2, :2], size=(3, 3), mode='bilinear', align_corners=False))
logits = torch.tensor([[1.0, 2.0, 0.5], [0.1, -1.0, 3.0]])
target = torch.tensor([1, 2])
print(F.softmax(logits, dim=1), F.log_softmax(logits, dim=-1))
print(F.cross_entropy(logits, target), F.nll_loss(F.log_softmax(logits, 1), target, reduction='sum'))
print(F.mse_loss(logits, torch.ones(2, 3)), F.l1_loss(logits, torch.zeros(2, 3)))
print(F.binary_cross_entropy(torch.sigmoid(logits), torch.tensor([[1., 0., 1.], [0., 0., 1.]])))
print(F.relu(logits - 1), F.leaky_relu(logits - 1, 0.1), F.dropout(logits, p=0.5, training=False))
print(F.adaptive_avg_pool2d(x, 1).flatten(1), F.batch_norm(x, torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)).shape)
