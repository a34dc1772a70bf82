"""Checking a custom autograd Function as the extending-PyTorch tutorial does: gradcheck on a right and a
wrong backward (verdicts and the Jacobian mismatch message), anomaly detection naming the node that produced
NaN."""
import torch


class Cube(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return 3 * x ** 2 * g


class WrongCube(Cube):
    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return 2 * x ** 2 * g


x = torch.linspace(-1, 1, 5, dtype=torch.float64, requires_grad=True)
print(torch.autograd.gradcheck(Cube.apply, (x,), eps=1e-6, atol=1e-4))
print(torch.autograd.gradcheck(WrongCube.apply, (x,), raise_exception=False))
try:
    torch.autograd.gradcheck(WrongCube.apply, (x,))
except Exception as e:
    print(type(e).__name__, str(e).splitlines()[0])
lin = torch.nn.Linear(3, 2).double()
print(torch.autograd.gradcheck(lambda a: lin(a).sum(1), (torch.linspace(0, 1, 6, dtype=torch.float64).reshape(2, 3).requires_grad_(),)))
print(torch.is_anomaly_enabled())
with torch.autograd.detect_anomaly():
    print(torch.is_anomaly_enabled())
    y = torch.tensor([0.0], requires_grad=True)
    try:
        (y.sqrt() * 0).sum().backward()
    except RuntimeError as e:
        print(e)
print(torch.is_anomaly_enabled())
torch.autograd.set_detect_anomaly(True)
print(torch.is_anomaly_enabled(), torch.is_anomaly_check_nan_enabled())
torch.autograd.set_detect_anomaly(False)
