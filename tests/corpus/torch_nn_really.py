"""The 'what is torch.nn really' progression on synthetic 28x28 digits: logistic regression by hand
(requires_grad_, @, a hand-written log_softmax, nll by fancy indexing, in-place updates under no_grad), then
F.cross_entropy, nn.Module with nn.Parameter, nn.Linear, optim, TensorDataset/DataLoader, a validation
loop with loss_batch and zip(*...), a CNN with a Lambda layer and a wrapped DataLoader generator."""
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset

n, bs, lr = 64, 16, 0.1
x_train = np.cos(np.arange(n * 784).reshape(n, 784) * 0.013).astype(np.float32) * 0.5 + 0.5
y_train = np.arange(n) % 10
x_valid, y_valid = x_train[:32] ** 2, y_train[:32]
x_train, y_train, x_valid, y_valid = map(torch.tensor, (x_train, y_train, x_valid, y_valid))
print(x_train.shape, y_train.min(), y_train.max(), x_train.dtype, y_train.dtype)

weights = torch.linspace(-0.05, 0.05, 7840).reshape(784, 10) / math.sqrt(784)
weights.requires_grad_()
bias = torch.zeros(10, requires_grad=True)


def log_softmax(x):
    return x - x.exp().sum(-1).log().unsqueeze(-1)


def model(xb):
    return log_softmax(xb @ weights + bias)


def nll(input, target):
    return -input[range(target.shape[0]), target].mean()


def accuracy(out, yb):
    preds = torch.argmax(out, dim=1)
    return (preds == yb).float().mean()


xb = x_train[0:bs]
preds = model(xb)
print(preds[0].shape, preds.grad_fn)
loss_func = nll
yb = y_train[0:bs]
print(loss_func(preds, yb), accuracy(preds, yb))
for epoch in range(2):
    for i in range((n - 1) // bs + 1):
        start_i = i * bs
        xb, yb = x_train[start_i:start_i + bs], y_train[start_i:start_i + bs]
        loss = loss_func(model(xb), yb)
        loss.backward()
        with torch.no_grad():
            weights -= weights.grad * lr
            bias -= bias.grad * lr
            weights.grad.zero_()
            bias.grad.zero_()
print(loss_func(model(xb), yb), accuracy(model(xb), yb))
print(F.cross_entropy(xb @ weights + bias, yb))


class Mnist_Logistic(nn.Module):
    def __init__(self):
        super().__init__()
        self.weights = nn.Parameter(torch.linspace(-0.05, 0.05, 7840).reshape(784, 10) / math.sqrt(784))
        self.bias = nn.Parameter(torch.zeros(10))

    def forward(self, xb):
        return xb @ self.weights + self.bias


model = Mnist_Logistic()
loss_func = F.cross_entropy
print(loss_func(model(xb), yb))
with torch.no_grad():
    for p in model.parameters():
        p -= torch.ones_like(p) * 0.01
model.zero_grad()
print([p.grad for p in model.parameters()], loss_func(model(xb), yb))

train_ds = TensorDataset(x_train, y_train)
train_dl = DataLoader(train_ds, batch_size=bs, shuffle=False)
valid_dl = DataLoader(TensorDataset(x_valid, y_valid), batch_size=bs * 2)


def loss_batch(model, loss_func, xb, yb, opt=None):
    loss = loss_func(model(xb), yb)
    if opt is not None:
        loss.backward()
        opt.step()
        opt.zero_grad()
    return loss.item(), len(xb)


def fit(epochs, model, loss_func, opt, train_dl, valid_dl):
    for epoch in range(epochs):
        model.train()
        for xb, yb in train_dl:
            loss_batch(model, loss_func, xb, yb, opt)
        model.eval()
        with torch.no_grad():
            losses, nums = zip(*[loss_batch(model, loss_func, xb, yb) for xb, yb in valid_dl])
        val_loss = np.sum(np.multiply(losses, nums)) / np.sum(nums)
        print(epoch, round(float(val_loss), 4))


class Lambda(nn.Module):
    def __init__(self, func):
        super().__init__()
        self.func = func

    def forward(self, x):
        return self.func(x)


def preprocess(x, y):
    return x.view(-1, 1, 28, 28), y


class WrappedDataLoader:
    def __init__(self, dl, func):
        self.dl = dl
        self.func = func

    def __len__(self):
        return len(self.dl)

    def __iter__(self):
        for b in self.dl:
            yield (self.func(*b))


dev = torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")
train_dl = WrappedDataLoader(DataLoader(train_ds, batch_size=bs), preprocess)
valid_dl = WrappedDataLoader(DataLoader(TensorDataset(x_valid, y_valid), batch_size=bs * 2), preprocess)
model = nn.Sequential(
    nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1), nn.ReLU(),
    nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1), nn.ReLU(),
    nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1), nn.ReLU(),
    nn.AdaptiveAvgPool2d(1), Lambda(lambda x: x.view(x.size(0), -1)))
with torch.no_grad():
    for k, p in enumerate(model.parameters()):
        p.copy_(torch.sin(torch.arange(p.numel(), dtype=torch.float32) * 0.77 + k).reshape(p.shape) * 0.3)
model.to(dev)
print(model)
opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
fit(2, model, loss_func, opt, train_dl, valid_dl)
print(len(train_dl), next(iter(valid_dl))[0].shape)
