"""The intro-YT autograd tutorial and hook recipes: grad_fn.next_functions walks, requires_grad_ toggling,
autograd.grad, retain_graph, tensor hooks and module forward (pre-)hooks printing shapes, gradient accumulation."""
import math

import torch
import torch.nn as nn

a = torch.linspace(0., 2. * math.pi, steps=25, requires_grad=True)
print(a[:4])
b = torch.sin(a)
print(b[:4], b.grad_fn)
c = b * 2  # (2 * b: npconv orders next_functions differently, reported)
print(c.grad_fn)
d = c + 1
print(d.grad_fn)
out = d.sum()
print(out, out.grad_fn)
print('d:')
print(d.grad_fn)
print(d.grad_fn.next_functions)
print(d.grad_fn.next_functions[0][0].next_functions)
print(d.grad_fn.next_functions[0][0].next_functions[0][0].next_functions)
print(d.grad_fn.next_functions[0][0].next_functions[0][0].next_functions[0][0].next_functions)
print('c:', c.grad_fn)
print('b:', b.grad_fn)
print('a:', a.grad_fn)


def walk(fn, depth=0):
    if fn is None:
        return
    print('  ' * depth + type(fn).__name__)
    for child, _ in fn.next_functions:
        walk(child, depth + 1)


walk(((a * 2).exp() / (a + 1)).mean().grad_fn)
out.backward()
print(a.grad[:4], torch.allclose(a.grad, 2 * torch.cos(a)))

# a tiny model, gradients before and after a step
BATCH_SIZE, DIM_IN, HIDDEN_SIZE, DIM_OUT = 4, 10, 6, 3


class TinyModel(torch.nn.Module):
    def __init__(self):
        super(TinyModel, self).__init__()
        self.layer1 = torch.nn.Linear(DIM_IN, HIDDEN_SIZE)
        self.relu = torch.nn.ReLU()
        self.layer2 = torch.nn.Linear(HIDDEN_SIZE, DIM_OUT)

    def forward(self, x):
        x = self.layer1(x)
        x = self.relu(x)
        x = self.layer2(x)
        return x


model = TinyModel()
with torch.no_grad():
    for i, p in enumerate(model.parameters()):
        p.copy_(torch.cos(torch.arange(p.numel(), dtype=torch.float32) * (1.3 + i)).reshape(p.shape) * 0.4)
some_input = torch.arange(BATCH_SIZE * DIM_IN, dtype=torch.float32).reshape(BATCH_SIZE, DIM_IN) / 40
ideal_output = torch.linspace(-1, 1, BATCH_SIZE * DIM_OUT).reshape(BATCH_SIZE, DIM_OUT)
print(model.layer2.weight[0][0:3], model.layer2.weight.grad)
optimizer = torch.optim.SGD(model.parameters(), lr=0.001)
prediction = model(some_input)
loss = (ideal_output - prediction).pow(2).sum()
print(loss)
loss.backward()
print(model.layer2.weight[0][0:3])
print(model.layer2.weight.grad[0][0:3])
optimizer.step()
print(model.layer2.weight[0][0:3])
print(model.layer2.weight.grad[0][0:3])
for i in range(0, 5):
    prediction = model(some_input)
    loss = (ideal_output - prediction).pow(2).sum()
    loss.backward()
print(model.layer2.weight.grad[0][0:3])
optimizer.zero_grad(set_to_none=False)
print(model.layer2.weight.grad[0][0:3])
optimizer.zero_grad()
print(model.layer2.weight.grad)

# turning autograd off and on
a = torch.ones(2, 3, requires_grad=True)
print(a)
b1 = 2 * a
print(b1)
a.requires_grad = False
b2 = 2 * a
print(b2)
a = torch.ones(2, 3, requires_grad=True) * 2
b = torch.ones(2, 3, requires_grad=True) * 3
c1 = a + b
print(c1)
with torch.no_grad():
    c2 = a + b
print(c2)
c3 = a * b
print(c3)


@torch.no_grad()
def add_tensors2(x, y):
    return x + y


print(add_tensors2(a, b))
x = torch.rand(5, requires_grad=True)
y = x.detach()
print(x.requires_grad, y.requires_grad)
w = torch.zeros(3)
print(w.requires_grad_(), w.requires_grad_(False).requires_grad)
with torch.enable_grad():
    print(torch.is_grad_enabled())
torch.set_grad_enabled(False)
print((a * 2).requires_grad)
torch.set_grad_enabled(True)
print((a * 2).requires_grad)

# in-place on a leaf
a = torch.linspace(0., 2. * math.pi, steps=5, requires_grad=True)
try:
    torch.sin_(a)
except RuntimeError as e:
    print('RuntimeError:', e)

# autograd.grad, retain_graph, higher order
x = torch.tensor([0.5, 1.0, 2.0], requires_grad=True)
y = (x ** 3).sum()
(g,) = torch.autograd.grad(y, x)
print(g, g.grad_fn, g.requires_grad)
z = (x * x).sum()
z.backward(retain_graph=True)
z.backward()
print(x.grad)
try:
    q = (x * 3).exp().sum()
    q.backward()
    q.backward()
except RuntimeError as e:
    print(type(e).__name__, str(e).split('.')[0])
x.grad = None
u = x.pow(2)
u.backward(torch.tensor([1.0, 0.1, 0.01]))
print(x.grad)
try:
    u = x.pow(2)
    u.backward()
except RuntimeError as e:
    print('RuntimeError:', e)
print(torch.autograd.grad((x * 2).sum(), [x], retain_graph=False)[0])
m, n = torch.tensor(2.0, requires_grad=True), torch.tensor(3.0, requires_grad=True)
print(torch.autograd.grad(m * n + m, (m, n)))

# tensor hooks
x = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
h = x.register_hook(lambda grad: grad * 10)
(x * x).sum().backward()
print(x.grad)
h.remove()
x.grad.zero_()
(x * x).sum().backward()
print(x.grad)
y = x * 2
y.retain_grad()
y.register_hook(lambda grad: print('hook on y:', grad))
(y ** 2).sum().backward()
print(y.grad, y.is_leaf, x.is_leaf, y.retains_grad)

# module hooks
net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8, 3))
with torch.no_grad():
    for i, p in enumerate(net.parameters()):
        p.copy_(torch.sin(torch.arange(p.numel(), dtype=torch.float32) + i).reshape(p.shape) * 0.5)


def forward_hook(module, inputs, output):
    print('forward', type(module).__name__, [t.shape for t in inputs], output.shape)


def pre_hook(module, inputs):
    print('pre', type(module).__name__, len(inputs))


handles = []
for layer in net:
    handles.append(layer.register_forward_hook(forward_hook))
    handles.append(layer.register_forward_pre_hook(pre_hook))
inp = torch.linspace(-1, 1, 2 * 16).reshape(2, 1, 4, 4).requires_grad_()
out = net(inp)
print(out)
out.sum().backward()
print(inp.grad.shape, net[0].weight.grad)
for handle in handles:
    handle.remove()
print(net(inp).shape)
activation = {}


def get_activation(name):
    def hook(model, input, output):
        activation[name] = output.detach()
    return hook


net[1].register_forward_hook(get_activation('relu'))
net(inp)
print(activation['relu'].shape, activation['relu'][0, 0])
