"""Autograd as the blitz shows it: requires_grad, grad_fn, backward with a gradient, no_grad, detach."""
import torch

a = torch.tensor([2., 3.], requires_grad=True)
b = torch.tensor([6., 4.], requires_grad=True)
Q = 3 * a ** 3 - b ** 2
external_grad = torch.tensor([1., 1.])
Q.backward(gradient=external_grad)
print(9 * a ** 2 == a.grad)
print(-2 * b == b.grad)
print(Q.grad_fn, a.grad, b.grad)
x = torch.ones(2, 2, requires_grad=True)
print(x)
y = x + 2
print(y, y.grad_fn)
z = y * y * 3
out = z.mean()
print(z, out)
out.backward()
print(x.grad)
w = torch.arange(6.).reshape(2, 3).requires_grad_()
s = (w.exp() * 2).sum()
s.backward()
print(torch.allclose(w.grad, 2 * w.exp()), s.grad_fn.name(), (w.t() @ w).grad_fn)
x = torch.linspace(0, 1, 4, requires_grad=True)
with torch.no_grad():
    y = x * 2
print(y.requires_grad, x.detach().requires_grad, (x ** 2).requires_grad)
x2 = torch.tensor([1.5, -0.5], requires_grad=True)
s = torch.sigmoid(x2)
loss = torch.nn.functional.relu(x2).sum() + s[0] * s[1]
loss.backward()
print(round(loss.item(), 6), x2.grad)
print(torch.is_grad_enabled())
