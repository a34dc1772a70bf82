"""The blitz CIFAR-10 classifier on fixed data: a few SGD-with-momentum steps, accuracy, save and load."""
import os
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset

classes = ('plane', 'car', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck')


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x


net = Net()
with torch.no_grad():
    for i, p in enumerate(net.parameters()):
        p.copy_(torch.sin(torch.arange(p.numel(), dtype=torch.float32) * (0.7 + i)).reshape(p.shape) * 0.1)
images = torch.cos(torch.arange(8 * 3 * 32 * 32, dtype=torch.float32) * 0.01).reshape(8, 3, 32, 32)
labels = torch.arange(8) % 10
trainloader = DataLoader(TensorDataset(images, labels), batch_size=4, shuffle=False, num_workers=2)
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
for epoch in range(2):
    running_loss = 0.0
    for i, data in enumerate(trainloader, 0):
        inputs, labels_ = data
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, labels_)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
        print(f'[{epoch + 1}, {i + 1:5d}] loss: {running_loss:.4f}')
        running_loss = 0.0
print('Finished Training')
path = os.path.join(tempfile.mkdtemp(), 'cifar_net.pth')
torch.save(net.state_dict(), path)
net = Net()
print(net.load_state_dict(torch.load(path, weights_only=True)))
outputs = net(images[:4])
_, predicted = torch.max(outputs, 1)
print('Predicted: ', ' '.join(f'{classes[predicted[j]]:5s}' for j in range(4)))
correct = 0
total = 0
with torch.no_grad():
    for data in trainloader:
        images_, labels_ = data
        outputs = net(images_)
        _, predicted = torch.max(outputs.data, 1)
        total += labels_.size(0)
        correct += (predicted == labels_).sum().item()
print(f'Accuracy of the network on the {total} test images: {100 * correct // total} %')
device = torch.device('cuda:0' if torch.cuda.is_available() else 'cpu')
print(device)
