"""d2l: batch normalisation layers, running statistics, train and eval outputs."""
import torch
from torch import nn

bn = nn.BatchNorm2d(3)
print(bn)
X = torch.arange(2 * 3 * 2 * 2, dtype=torch.float32).reshape(2, 3, 2, 2)
Y = bn(X)
print(Y.shape, Y[0, 0])
print(bn.running_mean, bn.running_var, bn.num_batches_tracked)
bn.eval()
print(bn(X)[1, 2])
bn1 = nn.BatchNorm1d(4, momentum=0.5, affine=False)
x = torch.tensor([[1.0, 2.0, 4.0, 8.0], [3.0, -1.0, 0.5, 2.0], [2.5, 1.0, -3.0, 1.0]])
print(bn1(x))
print(bn1.running_mean, bn1.state_dict().keys())
net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(8, 2), nn.BatchNorm1d(2))
print(net(torch.ones(2, 1, 4, 4)).shape, sum(p.numel() for p in net.parameters()))
print([name for name, _ in net.named_buffers()])
