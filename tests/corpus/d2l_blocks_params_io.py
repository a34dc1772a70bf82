"""d2l 'layers and modules', 'parameter management', 'custom layers' and 'file I/O': MySequential with
add_module/_modules, ModuleList/ModuleDict, named_parameters, state_dict keys, shared parameters, init with
apply and nn.init.*, layers with and without parameters, torch.save/load of tensors, lists and dicts."""
import os
import tempfile

import torch
from torch import nn
from torch.nn import functional as F

X = torch.linspace(-1, 1, 40).reshape(2, 20)


def fixed(module, scale=0.1):
    with torch.no_grad():
        for k, p in enumerate(module.parameters()):
            p.copy_(torch.cos(torch.arange(p.numel(), dtype=torch.float32) * (0.3 + k)).reshape(p.shape) * scale)
    return module


net = fixed(nn.Sequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10)))
print(net(X).shape, net(X)[0, :4])


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(20, 256)
        self.out = nn.Linear(256, 10)

    def forward(self, X):
        return self.out(F.relu(self.hidden(X)))


mlp = fixed(MLP())
print(mlp(X).shape, torch.allclose(mlp(X), net(X)))


class MySequential(nn.Module):
    def __init__(self, *args):
        super().__init__()
        for idx, module in enumerate(args):
            self.add_module(str(idx), module)

    def forward(self, X):
        for module in self.children():
            X = module(X)
        return X


class MySequential2(nn.Module):
    def __init__(self, *args):
        super().__init__()
        for idx, module in enumerate(args):
            self._modules[str(idx)] = module

    def forward(self, X):
        for block in self._modules.values():
            X = block(X)
        return X


for cls in (MySequential, MySequential2):
    seq = fixed(cls(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10)))
    print(seq, torch.allclose(seq(X), net(X)), list(seq._modules))


class FixedHiddenMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.rand_weight = torch.ones((20, 20)) * 0.05
        self.linear = nn.Linear(20, 20)

    def forward(self, X):
        X = self.linear(X)
        X = F.relu(torch.mm(X, self.rand_weight) + 1)
        X = self.linear(X)
        while X.abs().sum() > 1:
            X /= 2
        return X.sum()


print(fixed(FixedHiddenMLP())(X))


class NestMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 32), nn.ReLU())
        self.linear = nn.Linear(32, 16)

    def forward(self, X):
        return self.linear(self.net(X))


chimera = fixed(nn.Sequential(NestMLP(), nn.Linear(16, 20), FixedHiddenMLP()))
print(chimera(X), chimera)

# parameter management
net = fixed(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1)))
X4 = torch.arange(8, dtype=torch.float32).reshape(2, 4) / 8
print(net(X4))
print(net[2].state_dict())
print(type(net[2].bias).__name__, net[2].bias, net[2].bias.data)
print(net[2].weight.grad is None)
print(*[(name, param.shape) for name, param in net[0].named_parameters()])
print(*[(name, param.shape) for name, param in net.named_parameters()])
print(net.state_dict()['2.bias'].data, list(net.state_dict().keys()))


def block1():
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 4), nn.ReLU())


def block2():
    net = nn.Sequential()
    for i in range(4):
        net.add_module(f'block {i}', block1())
    return net


rgnet = fixed(nn.Sequential(block2(), nn.Linear(4, 1)))
print(rgnet(X4))
print(rgnet)
print(rgnet[0][1][0].bias.data)


def init_constant(m):
    if type(m) == nn.Linear:
        nn.init.constant_(m.weight, 1)
        nn.init.zeros_(m.bias)


net.apply(init_constant)
print(net[0].weight.data[0], net[0].bias.data[0])


def init_normal(m):
    if type(m) == nn.Linear:
        nn.init.normal_(m.weight, mean=0, std=0.01)
        nn.init.zeros_(m.bias)


net.apply(init_normal)
print(net[0].weight.shape, net[0].bias.data[0], bool(net[0].weight.abs().max() < 0.1))


def init_xavier(m):
    if type(m) == nn.Linear:
        nn.init.xavier_uniform_(m.weight)


def init_42(m):
    if type(m) == nn.Linear:
        nn.init.constant_(m.weight, 42)


net[0].apply(init_xavier)
net[2].apply(init_42)
bound = (6 / (4 + 8)) ** 0.5
print(bool(net[0].weight.abs().max() <= bound), net[2].weight.data)


def my_init(m):
    if type(m) == nn.Linear:
        print("Init", *[(name, param.shape) for name, param in m.named_parameters()][0])
        nn.init.uniform_(m.weight, -10, 10)
        m.weight.data *= m.weight.data.abs() >= 5


net.apply(my_init)
print(bool(((net[0].weight == 0) | (net[0].weight.abs() >= 5)).all()))
net[0].weight.data[:] += 1
net[0].weight.data[0, 0] = 42
print(net[0].weight.data[0, 0], net[0].weight.shape)
print(nn.init.calculate_gain('relu'), nn.init.calculate_gain('leaky_relu', 0.2), nn.init.calculate_gain('tanh'))
w = torch.empty(3, 5)
print(nn.init.eye_(w))
print(nn.init.ones_(torch.empty(2, 2)), nn.init.dirac_(torch.empty(2, 2, 3))[:, :, 1])
for fn in (nn.init.kaiming_uniform_, nn.init.kaiming_normal_, nn.init.xavier_normal_, nn.init.orthogonal_,
           nn.init.trunc_normal_):
    t = fn(torch.empty(4, 6))
    print(fn.__name__, t.shape, t.dtype, t.requires_grad)

# shared parameters
shared = nn.Linear(8, 8)
net = fixed(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), shared, nn.ReLU(), shared, nn.ReLU(), nn.Linear(8, 1)))
print(net(X4))
print(net[2].weight.data[0] == net[4].weight.data[0])
net[2].weight.data[0, 0] = 100
print(net[2].weight.data[0] == net[4].weight.data[0], len(list(net.parameters())), len(net.state_dict()))

# ModuleList and ModuleDict
class Choices(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(4, 4) for _ in range(3)])
        self.acts = nn.ModuleDict({'relu': nn.ReLU(), 'tanh': nn.Tanh(), 'prelu': nn.PReLU()})

    def forward(self, x, act):
        for i, layer in enumerate(self.layers):
            x = self.acts[act](layer(x)) + x
        return x


choices = fixed(Choices(), 0.4)
print(choices)
print(choices(X4, 'tanh'), choices(X4, 'prelu').grad_fn)
choices.layers.append(nn.Linear(4, 4))
choices.acts.update({'sig': nn.Sigmoid()})
print(len(choices.layers), list(choices.acts.keys()), 'relu' in choices.acts, choices.layers[-1])
print([n for n, _ in choices.named_parameters()])
print(list(choices.state_dict().keys())[-3:], [type(m).__name__ for m in choices.modules()])
print([n for n, _ in choices.named_modules()])
print(choices.acts.pop('sig'), list(choices.acts.items())[0], choices.layers[1:].__class__.__name__)

# custom layers
class CenteredLayer(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, X):
        return X - X.mean()


layer = CenteredLayer()
print(layer(torch.tensor([1.0, 2, 3, 4, 5])))
net = fixed(nn.Sequential(nn.Linear(8, 128), CenteredLayer()))
Y = net(torch.linspace(0, 1, 32).reshape(4, 8))
print(round(Y.mean().item(), 6) + 0.0)


class MyLinear(nn.Module):
    def __init__(self, in_units, units):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(in_units, units) * 0.25)
        self.bias = nn.Parameter(torch.linspace(-1, 1, units))

    def forward(self, X):
        linear = torch.matmul(X, self.weight.data) + self.bias.data
        return F.relu(linear)


linear = MyLinear(5, 3)
print(linear.weight, linear)
print(linear(torch.arange(10.).reshape(2, 5)))
net = nn.Sequential(MyLinear(64, 8), MyLinear(8, 1))
print(net(torch.linspace(0, 1, 128).reshape(2, 64)))

# file I/O
folder = tempfile.mkdtemp()
x = torch.arange(4)
torch.save(x, os.path.join(folder, 'x-file'))
x2 = torch.load(os.path.join(folder, 'x-file'))
print(x2)
y = torch.zeros(4)
torch.save([x, y], os.path.join(folder, 'x-files'))
x2, y2 = torch.load(os.path.join(folder, 'x-files'))
print(x2, y2)
mydict = {'x': x, 'y': y, 'meta': {'epoch': 3, 'name': 'mlp', 'lrs': (0.1, 0.01)}}
torch.save(mydict, os.path.join(folder, 'mydict'))
mydict2 = torch.load(os.path.join(folder, 'mydict'))
print(mydict2)
net = mlp
torch.save(net.state_dict(), os.path.join(folder, 'mlp.params'))
clone = MLP()
print(clone.load_state_dict(torch.load(os.path.join(folder, 'mlp.params'))))
print(clone.eval())
Y_clone = clone(X)
print(Y_clone == mlp(X))
z = torch.arange(12.).reshape(3, 4)
torch.save({'view': z[1], 'base': z}, os.path.join(folder, 'views'))
loaded = torch.load(os.path.join(folder, 'views'))
loaded['base'][1, 0] = -1
print(loaded['view'], loaded['base'][1])
