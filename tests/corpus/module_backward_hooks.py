"""Module backward hooks as Grad-CAM code uses them: full backward hooks and pre-hooks on a conv layer (what
they see with and without input gradients), a hook replacing grad_input, a removed hook, a class activation
map from a forward hook and a full backward hook."""
import torch
m = torch.nn.Conv2d(1, 2, 3)
def h(mod, gi, go):
    print('hook', type(mod).__name__, [None if g is None else tuple(g.shape) for g in gi], [tuple(g.shape) for g in go])
def ph(mod, go):
    print('pre', [tuple(g.shape) for g in go])
m.register_full_backward_hook(h)
handle = m.register_full_backward_pre_hook(ph)
x = torch.ones(1, 1, 5, 5)
y = m(x)
print(y.grad_fn.name(), y.grad_fn.next_functions[0][0].name())
y.sum().backward()
x = torch.ones(1, 1, 5, 5, requires_grad=True)
y = m(x)
y.sum().backward()
print(x.grad.shape)
handle.remove()
def h2(mod, gi, go):
    return (gi[0] * 0,)
m2 = torch.nn.ReLU()
m2.register_full_backward_hook(h2)
x = torch.ones(3, requires_grad=True)
m2(x * 1).sum().backward()
print(x.grad)
# Grad-CAM style: hooks on a layer of a model
net = torch.nn.Sequential(torch.nn.Conv2d(1, 3, 3), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(3, 2))
with torch.no_grad():
    for k, p in enumerate(net.parameters()):
        p.copy_(torch.linspace(-1, 1, p.numel()).reshape(p.shape) * (k + 1))
store = {}
net[0].register_forward_hook(lambda m, i, o: store.__setitem__("act", o.detach()))
net[0].register_full_backward_hook(lambda m, gi, go: store.__setitem__("grad", go[0].detach()))
img = torch.linspace(0, 1, 36).reshape(1, 1, 6, 6)
score = net(img)[0, 1]
score.backward()
weights = store["grad"].mean(dim=(2, 3), keepdim=True)
cam = torch.relu((weights * store["act"]).sum(1))
print(cam.shape, cam.numpy().round(4))
