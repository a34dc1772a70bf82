"""A spatial transformer network in the tutorial's style: a localisation net regresses a 2x3 affine matrix
(initialised to the identity), affine_grid + grid_sample warp the input, the classifier follows; gradients
flow through the sampler. Weights are set deterministically so values can be printed."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
        self.conv2_drop = nn.Dropout2d()
        self.fc1 = nn.Linear(320, 50)
        self.fc2 = nn.Linear(50, 10)
        self.localization = nn.Sequential(
            nn.Conv2d(1, 8, kernel_size=7), nn.MaxPool2d(2, stride=2), nn.ReLU(True),
            nn.Conv2d(8, 10, kernel_size=5), nn.MaxPool2d(2, stride=2), nn.ReLU(True))
        self.fc_loc = nn.Sequential(nn.Linear(10 * 3 * 3, 32), nn.ReLU(True), nn.Linear(32, 3 * 2))
        self.fc_loc[2].weight.data.zero_()
        self.fc_loc[2].bias.data.copy_(torch.tensor([1, 0, 0, 0, 1, 0], dtype=torch.float))

    def stn(self, x):
        xs = self.localization(x)
        xs = xs.view(-1, 10 * 3 * 3)
        theta = self.fc_loc(xs)
        theta = theta.view(-1, 2, 3)
        grid = F.affine_grid(theta, x.size(), align_corners=False)
        return F.grid_sample(x, grid, align_corners=False)

    def forward(self, x):
        x = self.stn(x)
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
        x = x.view(-1, 320)
        x = F.relu(self.fc1(x))
        x = F.dropout(x, training=self.training)
        x = self.fc2(x)
        return F.log_softmax(x, dim=1)


model = Net()
with torch.no_grad():
    for i, p in enumerate(model.parameters()):
        if i < len(list(model.parameters())) - 2:
            p.copy_(torch.linspace(-0.05, 0.05, p.numel()).reshape(p.shape))
model.eval()
x = torch.linspace(0, 1, 2 * 28 * 28).reshape(2, 1, 28, 28).sin()
out = model(x)
print(out.shape, out.grad_fn)
print(out.detach().numpy().round(3))
target = torch.tensor([1, 7])
loss = F.nll_loss(out, target)
loss.backward()
print(round(loss.item(), 3))
print(model.fc_loc[2].bias.grad.numpy().round(3))
print(model.localization[0].weight.grad.abs().sum().item() > 0)

theta = torch.tensor([[[0.8, -0.3, 0.1], [0.2, 0.9, -0.2]]], dtype=torch.float64, requires_grad=True)
img = torch.arange(2 * 5 * 6, dtype=torch.float64).reshape(1, 2, 5, 6).requires_grad_()
for align in (False, True):
    grid = F.affine_grid(theta, (1, 2, 4, 7), align_corners=align)
    for mode in ("bilinear", "nearest"):
        for pad in ("zeros", "border", "reflection"):
            warped = F.grid_sample(img, grid, mode=mode, padding_mode=pad, align_corners=align)
            print(align, mode, pad, warped.shape, round(warped.sum().item(), 6))
warped = F.grid_sample(img, F.affine_grid(theta, (1, 2, 4, 7), align_corners=False), align_corners=False)
warped.pow(2).sum().backward()
print(theta.grad.numpy().round(6))
print(img.grad.numpy().round(6)[0, 1])
print(warped.grad_fn)
