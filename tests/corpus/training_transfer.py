"""Intro-YT 'training with PyTorch' and a transfer-learning recipe on fixed data: train/eval loops with
running loss and accuracy, gradient accumulation, a frozen backbone with a replaced head, an optimiser over
filter(lambda p: p.requires_grad, ...), StepLR, best-weights copy with copy.deepcopy."""
import copy
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim import lr_scheduler
from torch.utils.data import DataLoader, TensorDataset


def fixed_init(model, scale=0.3):
    with torch.no_grad():
        for k, p in enumerate(model.parameters()):
            p.copy_(torch.sin(torch.arange(p.numel(), dtype=torch.float32) * (0.37 + 0.1 * k)).reshape(p.shape) * scale)


class GarmentClassifier(nn.Module):
    def __init__(self):
        super(GarmentClassifier, self).__init__()
        self.conv1 = nn.Conv2d(1, 6, 3)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 8, 3)
        self.fc1 = nn.Linear(8 * 2 * 2, 24)
        self.fc2 = nn.Linear(24, 16)
        self.fc3 = nn.Linear(16, 4)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = x.view(-1, 8 * 2 * 2)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x


images = torch.cos(torch.arange(24 * 14 * 14, dtype=torch.float32) * 0.013).reshape(24, 1, 14, 14)
labels = (torch.arange(24) * 7) % 4
training_set = TensorDataset(images[:16], labels[:16])
validation_set = TensorDataset(images[16:], labels[16:])
training_loader = DataLoader(training_set, batch_size=4, shuffle=False)
validation_loader = DataLoader(validation_set, batch_size=4, shuffle=False)
print('Training set has {} instances'.format(len(training_set)))
print('Validation set has {} instances'.format(len(validation_set)))
model = GarmentClassifier()
fixed_init(model)
loss_fn = torch.nn.CrossEntropyLoss()
dummy_outputs = torch.tensor([[0.1, 0.2, 0.3, 0.4], [0.5, 0.1, 0.2, 0.2]])
dummy_labels = torch.tensor([1, 3])
print(dummy_outputs, dummy_labels)
print('Total loss for this batch: {}'.format(round(loss_fn(dummy_outputs, dummy_labels).item(), 5)))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)


def train_one_epoch(epoch_index):
    running_loss = 0.
    last_loss = 0.
    for i, data in enumerate(training_loader):
        inputs, labels = data
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = loss_fn(outputs, labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
        if i % 2 == 1:
            last_loss = running_loss / 2
            print('  batch {} loss: {:.4f}'.format(i + 1, last_loss))
            running_loss = 0.
    return last_loss


best_vloss = 1_000_000.
for epoch in range(3):
    print('EPOCH {}:'.format(epoch + 1))
    model.train(True)
    avg_loss = train_one_epoch(epoch)
    running_vloss = 0.0
    model.eval()
    with torch.no_grad():
        for i, vdata in enumerate(validation_loader):
            vinputs, vlabels = vdata
            voutputs = model(vinputs)
            vloss = loss_fn(voutputs, vlabels)
            running_vloss += vloss
    avg_vloss = running_vloss / (i + 1)
    print('LOSS train {:.4f} valid {:.4f}'.format(avg_loss, avg_vloss), avg_vloss.requires_grad, model.training)
    if avg_vloss < best_vloss:
        best_vloss = avg_vloss
        best_state = copy.deepcopy(model.state_dict())
print(list(best_state)[:3], best_state['fc3.bias'])

# gradient accumulation: 4 micro-batches of 2 give the gradient of one batch of 8
model.zero_grad()
loss_fn(model(images[:8]), labels[:8]).backward()
full = model.fc3.weight.grad.clone()
model.zero_grad()
accumulation_steps = 4
for step in range(accumulation_steps):
    chunk = slice(2 * step, 2 * step + 2)
    loss = loss_fn(model(images[chunk]), labels[chunk]) / accumulation_steps
    loss.backward()
print(torch.allclose(full, model.fc3.weight.grad, atol=1e-6), model.fc3.weight.grad.shape)

# transfer learning: a "pretrained" backbone, frozen, with a new head


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Conv2d(4, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(inplace=True))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.fc(torch.flatten(x, 1))


model_conv = Backbone()
fixed_init(model_conv, 0.5)
for param in model_conv.parameters():
    param.requires_grad = False
num_ftrs = model_conv.fc.in_features
model_conv.fc = nn.Linear(num_ftrs, 4)
fixed_init(model_conv.fc, 0.2)
print(model_conv)
print([name for name, p in model_conv.named_parameters() if p.requires_grad])
trainable = sum(p.numel() for p in model_conv.parameters() if p.requires_grad)
total = sum(p.numel() for p in model_conv.parameters())
print(f'trainable {trainable} of {total}')
optimizer_conv = optim.SGD(filter(lambda p: p.requires_grad, model_conv.parameters()), lr=0.1, momentum=0.9)
exp_lr_scheduler = lr_scheduler.StepLR(optimizer_conv, step_size=2, gamma=0.1)
print(len(optimizer_conv.param_groups[0]['params']), exp_lr_scheduler.get_last_lr())
dataloaders = {'train': training_loader, 'val': validation_loader}
dataset_sizes = {x: len(dataloaders[x].dataset) for x in ['train', 'val']}
since = time.time()
best_acc = 0.0
for epoch in range(4):
    print(f'Epoch {epoch}/{3}')
    print('-' * 10)
    for phase in ['train', 'val']:
        if phase == 'train':
            model_conv.train()
        else:
            model_conv.eval()
        running_loss = 0.0
        running_corrects = 0
        for inputs, labels_ in dataloaders[phase]:
            optimizer_conv.zero_grad()
            with torch.set_grad_enabled(phase == 'train'):
                outputs = model_conv(inputs)
                _, preds = torch.max(outputs, 1)
                loss = loss_fn(outputs, labels_)
                if phase == 'train':
                    loss.backward()
                    optimizer_conv.step()
            running_loss += loss.item() * inputs.size(0)
            running_corrects += torch.sum(preds == labels_.data)
        if phase == 'train':
            exp_lr_scheduler.step()
        epoch_loss = running_loss / dataset_sizes[phase]
        epoch_acc = running_corrects.double() / dataset_sizes[phase]
        print(f'{phase} Loss: {epoch_loss:.4f} Acc: {epoch_acc:.4f}', running_corrects, epoch_acc.dtype)
        if phase == 'val' and epoch_acc >= best_acc:
            best_acc = epoch_acc
            best_model_wts = copy.deepcopy(model_conv.state_dict())
    print(exp_lr_scheduler.get_last_lr(), optimizer_conv.param_groups[0]['lr'])
print(f'Best val Acc: {best_acc:4f}', time.time() - since < 600)
print(model_conv.load_state_dict(best_model_wts))
print(model_conv.features[1].running_mean, model_conv.features[1].num_batches_tracked)
print(model_conv.features[0].weight.grad, model_conv.fc.weight.grad)
print(exp_lr_scheduler.state_dict())
