"""Autograd edge cases for the differential fuzz: small random programs over two leaves with in-place
changes (on the base or on a view, under no_grad, through .detach(), through __setitem__) after a value
was saved for backward, hooks (on a leaf or not, non-linear, returning a wrong shape or dtype),
backward(inputs=...), retain_graph, backward twice, gradients of a non-leaf (autograd.grad, retain_grad),
requires_grad_ on an integer tensor and double backward. Both libraries must give the same gradients or refuse with torch's error."""
import numpy as np
from hypothesis import strategies as st

from tests.strategies import one_in

OPS = ("mul", "add", "sigmoid", "exp", "tanh", "pow", "view", "slice", "transpose", "sum_keep", "relu", "clone")
INPLACE = ("mul_", "add_", "zero_", "setitem", "copy_", "sigmoid_", "relu_")
WHERE = ("plain", "no_grad", "detach", "view", "data")


@st.composite
def programs(draw):
    steps = []
    for _ in range(draw(st.integers(1, 5))):
        if draw(one_in(4)):
            steps.append(("inplace", draw(st.sampled_from(INPLACE)), draw(st.sampled_from(WHERE))))
        else:
            steps.append(("op", draw(st.sampled_from(OPS)), draw(st.integers(0, 1))))
    hook = draw(st.sampled_from([None, "scale", "wrong_shape", "wrong_dtype", "none", "square", "non_leaf"]))
    ending = draw(st.sampled_from(["backward", "inputs_a", "inputs_b", "twice", "retain_twice", "grad",
                                   "no_gradient", "create_graph", "grad_non_leaf", "retain_grad",
                                   "integer_requires_grad"]))
    dtype = draw(st.sampled_from(["float32", "float64"]))
    return steps, hook, ending, dtype


def _apply_op(m, x, other, name):
    if name == "mul":
        return x * other.sum()
    if name == "add":
        return x + 1.5
    if name == "pow":
        return x.pow(2)
    if name == "view":
        return x.view(-1).view(x.shape)
    if name == "slice":
        return x[: max(1, x.shape[0] // 2)] if x.dim() else x
    if name == "transpose":
        return x.t() if x.dim() == 2 else x
    if name == "sum_keep":
        return x.sum(0, keepdim=True) if x.dim() else x
    if name == "clone":
        return x.clone()
    return getattr(x, name)()


def _apply_inplace(m, x, name, where):
    target = x
    if where == "detach":
        target = x.detach()
    elif where == "view":
        target = x.view(-1)[:1] if x.dim() else x
    elif where == "data":
        target = x.data

    def change():
        if name == "setitem":
            target[...] = 0.5 if target.dim() == 0 else target.new_tensor(0.5) if hasattr(target, "new_tensor") \
                else 0.5
        elif name == "copy_":
            target.copy_(m.ones(target.shape, dtype=target.dtype))
        elif name == "mul_":
            target.mul_(2)
        elif name == "add_":
            target.add_(1)
        else:
            getattr(target, name)()
    if where == "no_grad":
        with m.no_grad():
            change()
    else:
        change()
    return x


def run_program(m, program):
    steps, hook, ending, dtype = program
    rng = np.random.default_rng(3)
    a = m.tensor(rng.uniform(-1, 1, (3, 2)).astype(dtype), requires_grad=True)
    b = m.tensor(rng.uniform(-1, 1, (3, 2)).astype(dtype), requires_grad=True)
    if hook == "scale":
        a.register_hook(lambda g: g * 3)
    elif hook == "wrong_shape":
        a.register_hook(lambda g: m.ones(4, dtype=g.dtype))
    elif hook == "wrong_dtype":
        a.register_hook(lambda g: g.double() if g.dtype == m.float32 else g.float())
    elif hook == "none":
        a.register_hook(lambda g: None)
    elif hook == "square":   # not linear: it must see the leaf's summed gradient once
        a.register_hook(lambda g: g * g)
    x = a * b
    middle = x
    if hook == "non_leaf":
        x.register_hook(lambda g: g * 2)
    if ending == "retain_grad":
        x.retain_grad()
    for kind, name, flag in steps:
        if kind == "op":
            x = _apply_op(m, x, b if flag else a, name)
        else:
            x = _apply_inplace(m, x, name, flag)
    loss = x.sum() if ending != "no_gradient" else x * 1
    results = [x]
    if ending == "grad":
        results.extend(m.autograd.grad(loss, [a, b], allow_unused=True))
        return results
    if ending == "grad_non_leaf":
        results.extend(m.autograd.grad(loss, [middle, a], allow_unused=True))
        return results
    if ending == "integer_requires_grad":
        return results + [m.arange(3).requires_grad_()]
    if ending == "retain_grad":
        loss.backward()
        return results + [middle.grad, a.grad, b.grad]
    if ending == "create_graph":
        (ga,) = m.autograd.grad(loss, [a], create_graph=True)
        ga.sum().backward()
        return results + [ga, a.grad, b.grad]
    inputs = {"inputs_a": [a], "inputs_b": [b]}.get(ending)
    loss.backward(inputs=inputs, retain_graph=ending == "retain_twice")
    if ending in ("twice", "retain_twice"):
        (x.sum() if ending == "twice" else loss).backward()
    return results + [a.grad, b.grad]


@st.composite
def autograd_cases(draw):
    program = draw(programs())
    return f"autograd {program}", lambda m: run_program(m, program)


AUTOGRAD_TARGETS = {"autograd": autograd_cases()}
