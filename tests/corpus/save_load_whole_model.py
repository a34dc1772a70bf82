"""The saving-and-loading recipes' other half: a whole model saved with torch.save(model, PATH) and loaded
with weights_only=False or inside safe_globals; a general checkpoint dict with several models and their
optimizers; a model's parameters warm-started from another with strict=False."""
import os
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.view(-1, 16 * 5 * 5)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


folder = tempfile.mkdtemp()
net = Net()
with torch.no_grad():
    for k, p in enumerate(net.parameters()):
        p.copy_(torch.sin(torch.arange(p.numel(), dtype=torch.float32) * 0.1 + k).reshape(p.shape) * 0.1)
x = torch.linspace(-1, 1, 2 * 3 * 32 * 32).reshape(2, 3, 32, 32)
PATH = os.path.join(folder, "entire_model.pt")
torch.save(net, PATH)
model = torch.load(PATH, weights_only=False)
model.eval()
print(model)
print(torch.equal(model(x), net(x)), model.fc3.bias.requires_grad, model.training)
with torch.serialization.safe_globals([Net, nn.Conv2d, nn.MaxPool2d, nn.Linear]):
    again = torch.load(PATH)
print(type(again).__name__, again.conv2.weight.shape)

netA, netB = Net(), Net()
optimizerA = optim.SGD(netA.parameters(), lr=0.001, momentum=0.9)
optimizerB = optim.Adam(netB.parameters(), lr=0.01)
PATH = os.path.join(folder, "model.tar")
torch.save({'modelA_state_dict': netA.state_dict(), 'modelB_state_dict': netB.state_dict(),
            'optimizerA_state_dict': optimizerA.state_dict(), 'optimizerB_state_dict': optimizerB.state_dict()}, PATH)
checkpoint = torch.load(PATH, weights_only=True)
modelA, modelB = Net(), Net()
print(modelA.load_state_dict(checkpoint['modelA_state_dict']), modelB.load_state_dict(checkpoint['modelB_state_dict']))
optA = optim.SGD(modelA.parameters(), lr=0.1)
optA.load_state_dict(checkpoint['optimizerA_state_dict'])
optB = optim.Adam(modelB.parameters())
optB.load_state_dict(checkpoint['optimizerB_state_dict'])
print(optA.param_groups[0]['lr'], optB.param_groups[0]['lr'], optB.param_groups[0]['betas'])
print(sorted(checkpoint.keys()))


class NetB(nn.Module):
    def __init__(self):
        super(NetB, self).__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.fc9 = nn.Linear(4, 2)


netB = NetB()
result = netB.load_state_dict(torch.load(os.path.join(folder, "model.tar"))['modelA_state_dict'], strict=False)
print(result.missing_keys, result.unexpected_keys)
print(torch.equal(netB.conv1.weight, netA.conv1.weight))
