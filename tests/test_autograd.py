"""The autograd engine and the Function contract (npconv/autograd.py)."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
import torch

import npconv
from npconv.autograd import Function
from tests.torch_compare import assert_matches_torch, assert_same_error, random_array


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        ctx.note = "any attribute"
        return a * b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        assert ctx.note == "any attribute"
        return (grad * b if ctx.needs_input_grad[0] else None,
                grad * a if ctx.needs_input_grad[1] else None)


class ArgmaxWithIndex(Function):
    """forward returns (output, extra): the extra is a non-differentiable ndarray (npconv's array contract)."""

    sees_arrays = True

    @staticmethod
    def forward(ctx, a):
        idx = a.argmax(axis=-1)
        ctx.idx, ctx.shape = idx, a.shape
        return np.take_along_axis(a, idx[..., None], -1)[..., 0], idx

    @staticmethod
    def backward(ctx, grad):
        full = np.zeros(ctx.shape, grad.dtype)
        np.put_along_axis(full, ctx.idx[..., None], grad[..., None], -1)
        return full


def test_function_contract_unwraps_and_records():
    x = npconv.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    y = npconv.tensor([2.0, 3.0, 4.0], requires_grad=True)
    z = Mul.apply(x, y)
    assert isinstance(z, npconv.Tensor) and z.requires_grad and not z.is_leaf
    assert type(z.grad_fn).__name__ == "MulBackward"  # a user-defined Function, named as torch names them
    assert repr(z.grad_fn).startswith("<torch.autograd.function.MulBackward object at 0x")  # as torch prints
    z.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[2.0, 3.0, 4.0]])
    np.testing.assert_array_equal(y.grad.numpy(), [1.0, 2.0, 3.0])


def test_user_function_repr_like_torch():
    def run(m):
        class Cube(m.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                ctx.save_for_backward(a)
                return a ** 3

            @staticmethod
            def backward(ctx, grad):
                (a,) = ctx.saved_tensors
                return 3 * a ** 2 * grad
        x = m.tensor([1.0, 2.0], requires_grad=True)
        y = Cube.apply(x)
        y.sum().backward()
        return repr(y), x.grad.tolist()
    # npconv's Function receives ndarrays, torch's tensors: the same code works for both here
    assert run(npconv) == run(torch)


def test_needs_input_grad_and_numbers_pass_through():
    seen = {}

    class Scale(Function):
        @staticmethod
        def forward(ctx, a, b, factor):
            seen["needs"] = ctx.needs_input_grad
            seen["factor"] = factor
            return a * b * factor

        @staticmethod
        def backward(ctx, grad):
            return grad, None, None

    x = npconv.ones(2, requires_grad=True)
    Scale.apply(x, npconv.ones(2), 3.0).sum().backward()
    assert seen == {"needs": (True, False, False), "factor": 3.0}
    with npconv.no_grad():
        out = Scale.apply(x, npconv.ones(2), 3.0)
    assert seen["needs"] == (False, False, False) and out.grad_fn is None and not out.requires_grad


def test_tuple_forward_returns_extras_unwrapped():
    x = npconv.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 1.0]], requires_grad=True)
    values, idx = ArgmaxWithIndex.apply(x)
    assert isinstance(values, npconv.Tensor) and isinstance(idx, np.ndarray)
    np.testing.assert_array_equal(idx, [1, 0])
    values.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 0], [1, 0, 0]])


def test_engine_reduces_broadcast_gradients_to_input_shapes():
    x = npconv.ones(3, 1, requires_grad=True)
    y = npconv.ones(4, requires_grad=True)
    Mul.apply(x, y).sum().backward()  # forward broadcasts to (3, 4); backward returns (3, 4) grads
    assert x.grad.shape == (3, 1) and y.grad.shape == (4,)
    np.testing.assert_array_equal(x.grad.numpy(), [[4.0]] * 3)
    np.testing.assert_array_equal(y.grad.numpy(), [3.0] * 4)


def test_gradients_accumulate_on_leaves_and_reused_nodes_like_torch():
    def run(m):
        x = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * x          # x used twice in one node
        z = y + y.exp()    # y used by two nodes (diamond)
        z.sum().backward()
        (x * 3).sum().backward()  # a second backward accumulates
        return x.grad.numpy()
    np.testing.assert_allclose(run(npconv), run(torch), rtol=1e-6)


def test_second_backward_through_freed_graph_raises_like_torch():
    def twice(m, x):
        y = (x * x).sum()
        y.backward()
        y.backward()
    assert_same_error(twice, [random_array((3,))], requires_grad=True)

    def retained(m, x):
        y = (x * x).sum()
        y.backward(retain_graph=True)
        y.backward()
        return x.grad
    assert_matches_torch(retained, [random_array((3,))], check_grad=False, requires_grad=True)


def test_backward_errors_like_torch():
    assert_same_error(lambda m, x: (x * 2).backward(), [random_array((3,))], requires_grad=True,
                      match="grad can be implicitly created only for scalar outputs")
    assert_same_error(lambda m, x: x.sum().backward(), [random_array((3,))], requires_grad=False,
                      match="does not require grad")
    assert_same_error(lambda m, x: (x * 2).backward(m.ones(4, dtype=m.float64)), [random_array((3,))],
                      requires_grad=True, match="Mismatch in shape")


def test_backward_with_gradient_argument_like_torch():
    def run(m, x, g):
        y = x.tanh() * 3
        y.backward(g)
        return x.grad
    assert_matches_torch(run, [random_array((2, 3)), random_array((2, 3), seed=1)], check_grad=False,
                         requires_grad=[True, False])


def test_grad_dtype_follows_the_input():
    x = npconv.ones(3, dtype=npconv.float32, requires_grad=True)
    (x.double() * 2).sum().backward()
    assert x.grad.dtype == npconv.float32


def test_no_grad_enable_grad_set_grad_enabled():
    x = npconv.ones(2, requires_grad=True)
    with npconv.no_grad():
        assert not npconv.is_grad_enabled()
        y = x * 2
        with npconv.enable_grad():
            z = x * 2
    assert npconv.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and z.requires_grad

    @npconv.no_grad()
    def decorated():
        return x * 2

    @npconv.no_grad
    def bare():
        return x * 2

    assert not decorated().requires_grad and not bare().requires_grad and npconv.is_grad_enabled()
    with npconv.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert npconv.is_grad_enabled()
    npconv.set_grad_enabled(False)
    try:
        assert not npconv.is_grad_enabled()
    finally:
        npconv.set_grad_enabled(True)
    with npconv.inference_mode():
        assert not (x * 2).requires_grad


def test_no_grad_restores_mode_after_exception():
    with pytest.raises(ValueError):
        with npconv.no_grad():
            raise ValueError
    assert npconv.is_grad_enabled()


def test_autograd_grad_does_not_accumulate():
    x = npconv.tensor([1.0, 2.0], requires_grad=True)
    (g,) = npconv.autograd.grad((x ** 3).sum(), x)
    np.testing.assert_allclose(g.numpy(), [3.0, 12.0])
    assert x.grad is None


def test_retain_grad_and_hooks_like_torch():
    def run(m):
        x = m.tensor([1.0, 2.0], requires_grad=True)
        y = x * 3
        y.retain_grad()
        y.register_hook(lambda g: g * 2)
        seen = []
        x.register_hook(lambda g: seen.append(g.clone()))
        (y * y).sum().backward()
        return x.grad.numpy(), y.grad.numpy(), seen[0].numpy()
    for mine, theirs in zip(run(npconv), run(torch)):
        np.testing.assert_allclose(mine, theirs)


def test_detach_cuts_the_graph():
    x = npconv.ones(2, requires_grad=True)
    y = (x * 2).detach() * x
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_meta_tensors_flow_through_ops_without_data():
    x = npconv.empty(2, 3, 4, device="meta")
    assert x.is_meta and x.device.type == "meta" and x.numpy  # noqa: B018 (attribute exists)
    y = (x * 2 + 1).sum(1).reshape(8)
    assert y.shape == (8,) and y.is_meta and y.dtype == npconv.float32
    assert y.numpy is not None
    with pytest.raises(NotImplementedError):
        y.tolist()

    class ShapeOnly(Function):
        @staticmethod
        def forward(ctx, a):
            raise AssertionError("forward must not run on meta tensors when meta() exists")

        @staticmethod
        def meta(a):
            return (a.shape[0], 7), a.dtype

    out = ShapeOnly.apply(x)
    assert out.shape == (2, 7) and out.is_meta


def test_deep_graph_does_not_hit_recursion_limit():
    x = npconv.ones(2, requires_grad=True)
    y = x
    for _ in range(3000):
        y = y * 1.0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])


def test_grad_mode_is_per_thread():
    import threading
    barrier = threading.Barrier(2)
    results = {}

    def worker(name):
        with npconv.no_grad():
            barrier.wait()
            results[name] = npconv.is_grad_enabled()
            barrier.wait()

    def recorder():
        barrier.wait()  # the other thread is inside no_grad now
        results["other"] = (npconv.ones(1, requires_grad=True) * 2).requires_grad
        barrier.wait()

    threads = [threading.Thread(target=worker, args=("worker",)), threading.Thread(target=recorder)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {"worker": False, "other": True} and npconv.is_grad_enabled()


UNARY_STEPS = [lambda v: v.tanh(), lambda v: v.sigmoid(), lambda v: v.sin(), lambda v: (v * 0.5).exp(),
               lambda v: v.abs(), lambda v: v.clamp(-0.5, 0.5), lambda v: v.sum(0, keepdim=True),
               lambda v: v.t().t(), lambda v: v.reshape(-1).reshape(v.shape), lambda v: v[:, :1]]
BINARY_STEPS = [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - b, lambda a, b: a / (b.abs() + 1),
                lambda a, b: a.maximum(b) if a.shape == b.shape else a + b]


@given(program=st.lists(st.tuples(st.booleans(), st.integers(0, 9), st.integers(0, 50), st.integers(0, 50)),
                        min_size=1, max_size=12), seed=st.integers(0, 1000))
def test_random_graphs_give_torchs_gradients(program, seed):
    """Random DAGs over two inputs (values reused, diamonds, broadcasting): the graph walk must match torch."""
    def run(m, x, y):
        values = [x, y]
        for unary, op, i, j in program:
            a, b = values[i % len(values)], values[j % len(values)]
            values.append(UNARY_STEPS[op](a) if unary else BINARY_STEPS[op % len(BINARY_STEPS)](a, b))
        return values[-1], values[len(values) // 2]
    assert_matches_torch(run, [random_array((3, 4), seed=seed), random_array((3, 4), seed=seed + 1)], rtol=1e-6)


# ------------------------------------------------------------------------------------------ version counters

def _grad_after(modify, build):
    """A call(m, x): build a graph from x, ``modify`` something it saved (or not), backward, return x.grad."""
    def call(m, x):
        saved = build(m, x)
        modify(m, x, saved)
        saved["out"].sum().backward()
        return x.grad
    return call


def _no_grad_add(m, x, saved):
    with m.no_grad():
        saved["target"].add_(1)


# name -> (build, modify, torch raises); build returns {"out": what backward starts from, "target": what changes}
SAVED_THEN_MODIFIED = {
    "leaf saved by mul, changed under no_grad": (
        lambda m, x: {"out": x * x, "target": x}, _no_grad_add, True),
    "leaf not saved by exp, changed under no_grad": (
        lambda m, x: {"out": x.exp(), "target": x}, _no_grad_add, False),
    "output saved by exp, changed under no_grad": (
        lambda m, x: dict(out=(lambda e: e)(x.exp()), target=None), lambda m, x, s: None, False),
    "input saved by mul, changed through detach()": (
        lambda m, x: (lambda a: {"out": a * a, "target": a})(x * 1), lambda m, x, s: s["target"].detach().add_(1),
        True),
    "input saved by mul, changed through .data (not counted)": (
        lambda m, x: (lambda a: {"out": a * a, "target": a})(x * 1), lambda m, x, s: s["target"].data.add_(1),
        False),
    "input of sigmoid (saves its output) changed in place": (
        lambda m, x: (lambda a: {"out": a.sigmoid(), "target": a})(x * 1), lambda m, x, s: s["target"].add_(1),
        False),
    "input saved by mul, changed by setitem": (
        lambda m, x: (lambda a: {"out": a * a, "target": a})(x * 1),
        lambda m, x, s: s["target"].__setitem__(0, 5.0), True),
    "saved tensor changed through a view of it": (
        lambda m, x: (lambda a: {"out": a * a, "target": a[0]})(x * 1), lambda m, x, s: s["target"].mul_(2), True),
    "view saved, its base changed": (
        lambda m, x: (lambda a: {"out": a[1:] * a[1:], "target": a})(x * 1), lambda m, x, s: s["target"].add_(1),
        True),
    "output of relu (saved) changed under no_grad": (
        lambda m, x: (lambda r: {"out": r, "target": r})((x * 1).relu()), _no_grad_add, True),
    "x.mul_(x) overwrites its own saved operand": (
        lambda m, x: (lambda a: {"out": a, "target": a})(x * 1), lambda m, x, s: s["target"].mul_(s["target"]),
        True),
    "x.mul_(y) keeps the original x for y's gradient": (
        lambda m, x: (lambda a: {"out": a, "target": a})(x * 1), lambda m, x, s: s["target"].mul_(x * 3), False),
}


@pytest.mark.parametrize("name", sorted(SAVED_THEN_MODIFIED))
def test_backward_refuses_values_changed_after_they_were_saved_as_torch(name):
    build, modify, torch_raises = SAVED_THEN_MODIFIED[name]
    call = _grad_after(modify, build)
    x = random_array((2, 3), seed=3)
    if torch_raises:
        mine, theirs = assert_same_error(call, [x], requires_grad=True)
        assert str(mine) == str(theirs)
    else:
        assert_matches_torch(call, [x])


def test_optimizer_step_counts_as_an_inplace_change_as_torch():
    def call(m, w):
        optimizer = m.optim.SGD([w], lr=0.1)
        loss = (w * w).sum()
        loss.backward(retain_graph=True)
        optimizer.step()
        loss.backward()
    mine, theirs = assert_same_error(call, [random_array((3,))], requires_grad=True)
    assert str(mine) == str(theirs)


def test_version_counts_inplace_writes_as_torch():
    def versions(m):
        x = m.zeros(4)
        view = x[1:3]
        x.add_(1)
        view.mul_(2)
        x[0] = 3.0
        detached = x.detach()
        detached.zero_()
        x.data.fill_(1.0)  # .data has a counter of its own
        return [x._version, view._version, detached._version]
    assert versions(npconv) == versions(torch)


# ------------------------------------------------------------------------------------------ inputs= and hooks

def test_backward_with_inputs_fills_only_those_as_torch():
    def call(m, x, y):
        a = x * 2
        (a * a * y).sum().backward(inputs=[a, x])
        return x.grad, a.grad, y.grad
    assert_matches_torch(call, [random_array((3,)), random_array((3,), seed=1)], requires_grad=True,
                         check_grad=False)


def test_autograd_grad_leaves_every_grad_alone_as_torch():
    def call(m, x, y):
        (gx,) = m.autograd.grad((x * y).sum(), [x])
        return gx, x.grad, y.grad
    assert_matches_torch(call, [random_array((3,)), random_array((3,), seed=1)], requires_grad=True,
                         check_grad=False)


@pytest.mark.parametrize("replace", [lambda m, g: m.ones(4), lambda m, g: g.float(), lambda m, g: g[:2]])
@pytest.mark.parametrize("on_leaf", [True, False])
def test_hook_returning_a_different_gradient_is_refused_as_torch(replace, on_leaf):
    def call(m, x):
        target = x if on_leaf else x * 2

        def hook(grad):
            return replace(m, grad)
        target.register_hook(hook)
        (target * 3).sum().backward()
    mine, theirs = assert_same_error(call, [random_array((3,))], requires_grad=True)
    assert str(mine) == str(theirs)


def _user_functions(m):
    """The tutorials' custom Functions, written against m (torch or npconv): they receive and return Tensors."""
    class MyReLU(m.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            ctx.seen = (type(input).__name__, input.requires_grad, m.is_grad_enabled())
            return input.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            (input,) = ctx.saved_tensors
            grad_input = grad_output.clone()
            grad_input[input < 0] = 0
            return grad_input

    class SortValues(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            values, idx = x.sort()
            ctx.mark_non_differentiable(idx)
            ctx.save_for_backward(idx)
            return values

        @staticmethod
        def backward(ctx, g):
            (idx,) = ctx.saved_tensors
            grad = m.zeros_like(g)
            grad[idx] = g
            return grad
    return MyReLU, SortValues


def test_user_functions_see_tensors_as_in_torch():
    def run(m):
        relu, sort_values = _user_functions(m)
        x = m.tensor([-1.0, 2.0, -3.0, 4.0], requires_grad=True)
        out = relu.apply(x * 1)
        out.sum().backward()
        w = m.tensor([3.0, 1.0, 2.0], requires_grad=True)
        (sort_values.apply(w) * m.tensor([1.0, 10.0, 100.0])).sum().backward()
        return (x.grad.tolist(), out.grad_fn.__class__.__name__, repr(out.grad_fn).split(" object")[0],
                out.grad_fn.__dict__.get("seen") or out.grad_fn.seen, w.grad.tolist())
    assert run(npconv) == run(torch)


@pytest.mark.parametrize("change", [
    lambda m, b: m.nn.functional.relu(b, inplace=True),   # relu_ written straight into b's memory
    lambda m, b: b.mul_(2),
])
def test_a_saved_output_changed_in_place_is_named_by_the_node_that_saved_it(change):
    """sigmoid saves its output; an in-place op then gives that tensor a new grad_fn, but torch's error still
    names the saving node (Sigmoid), not the in-place one."""
    def call(m, leaf):
        b = (leaf * 1).sigmoid()
        change(m, b)
        b.sum().backward()
    assert_same_error(call, [np.array([[-1.0, 2.0], [3.0, -4.0]])], same_message=True, requires_grad=True)


def test_non_finite_values_raise_no_numpy_warnings():
    """inf and NaN are values in torch: no RuntimeWarning from NumPy leaks out of npconv's ops."""
    import warnings
    x = npconv.tensor([float("nan"), float("inf"), -float("inf"), 1e30, 0.0, -3.0] * 3, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in ("gelu", "mish", "softplus", "elu", "selu", "hardswish", "logsigmoid", "tanhshrink"):
            getattr(npconv.nn.functional, name)(x).sum().backward()
        npconv.nn.functional.layer_norm(x.reshape(3, 6), (6,)).sum().backward()
        (x.exp() * x).log().sqrt().sum().backward()
