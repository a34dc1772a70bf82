"""The sub-pixel super-resolution net of the examples: orthogonal init with a ReLU gain, PixelShuffle at the
end; checks orthogonality, shapes, a PSNR computed from an MSE loss, one SGD step."""
import math

import torch
import torch.nn as nn
import torch.nn.init as init


class Net(nn.Module):
    def __init__(self, upscale_factor):
        super(Net, self).__init__()
        self.relu = nn.ReLU()
        self.conv1 = nn.Conv2d(1, 16, (5, 5), (1, 1), (2, 2))
        self.conv2 = nn.Conv2d(16, 16, (3, 3), (1, 1), (1, 1))
        self.conv3 = nn.Conv2d(16, 8, (3, 3), (1, 1), (1, 1))
        self.conv4 = nn.Conv2d(8, upscale_factor ** 2, (3, 3), (1, 1), (1, 1))
        self.pixel_shuffle = nn.PixelShuffle(upscale_factor)
        self._initialize_weights()

    def forward(self, x):
        x = self.relu(self.conv1(x))
        x = self.relu(self.conv2(x))
        x = self.relu(self.conv3(x))
        return self.pixel_shuffle(self.conv4(x))

    def _initialize_weights(self):
        init.orthogonal_(self.conv1.weight, init.calculate_gain('relu'))
        init.orthogonal_(self.conv2.weight, init.calculate_gain('relu'))
        init.orthogonal_(self.conv3.weight, init.calculate_gain('relu'))
        init.orthogonal_(self.conv4.weight)


torch.manual_seed(0)
model = Net(upscale_factor=3)
print(model)
w = model.conv2.weight.reshape(16, -1)
print(torch.allclose(w @ w.t(), torch.eye(16) * 2, atol=1e-4), init.calculate_gain('leaky_relu', 0.2))
print(init.calculate_gain('tanh'), init.calculate_gain('conv2d'), init.calculate_gain('selu'))
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.linspace(-0.3, 0.3, p.numel()).reshape(p.shape))
x = torch.linspace(0, 1, 2 * 12 * 12).reshape(2, 1, 12, 12)
target = torch.linspace(1, 0, 2 * 36 * 36).reshape(2, 1, 36, 36)
out = model(x)
print(out.shape, out.grad_fn)
criterion = nn.MSELoss()
mse = criterion(out, target)
psnr = 10 * math.log10(1 / mse.item())
print("PSNR: {:.4f} dB".format(psnr))
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True, weight_decay=1e-4)
optimizer.zero_grad()
mse.backward()
optimizer.step()
print(model.conv4.bias.detach().numpy().round(3))
print(optimizer)
shuffle = nn.PixelShuffle(2)
unshuffle = nn.PixelUnshuffle(2)
t = torch.arange(32.).reshape(1, 8, 2, 2)
print(shuffle(t)[0, 0], unshuffle(shuffle(t)).equal(t))
