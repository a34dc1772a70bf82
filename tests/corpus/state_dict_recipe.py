"""The saving-and-loading recipes: state_dict contents, optimizer state, checkpoints, eval mode."""
import os
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


class TheModelClass(nn.Module):
    def __init__(self):
        super(TheModelClass, self).__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.bn = nn.BatchNorm1d(120)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.view(-1, 16 * 5 * 5)
        return self.bn(self.fc1(x))


model = TheModelClass()
optimizer = optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
print("Model's state_dict:")
for param_tensor in model.state_dict():
    print(param_tensor, "\t", model.state_dict()[param_tensor].size())
print("Optimizer's state_dict:")
for var_name in optimizer.state_dict():
    print(var_name, "\t", optimizer.state_dict()[var_name])
folder = tempfile.mkdtemp()
PATH = os.path.join(folder, "model.pt")
torch.save(model.state_dict(), PATH)
model2 = TheModelClass()
print(model2.load_state_dict(torch.load(PATH, weights_only=True)))
model2.eval()
print(model2.training, model2.conv1.training)
torch.save({'epoch': 5, 'model_state_dict': model.state_dict(), 'optimizer_state_dict': optimizer.state_dict(),
            'loss': 0.25}, os.path.join(folder, "ckpt.tar"))
checkpoint = torch.load(os.path.join(folder, "ckpt.tar"), weights_only=True)
model2.load_state_dict(checkpoint['model_state_dict'])
optimizer.load_state_dict(checkpoint['optimizer_state_dict'])
print(checkpoint['epoch'], checkpoint['loss'], sorted(checkpoint))
print(all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), model2.state_dict().values())))
missing = model2.load_state_dict({k: v for k, v in model.state_dict().items() if 'conv' not in k}, strict=False)
print(missing)
