"""THE differential-test helper of the project: run one call through torch and npconv, compare everything.

    from tests.torch_compare import assert_matches_torch, assert_same_error

    # the call receives the module (torch or npconv) first, then the inputs as tensors of that module
    assert_matches_torch(lambda m, x, w: m.nn.functional.conv2d(x, w, stride=2), [x_arr, w_arr])
    # or a pair (npconv callable, torch callable) taking only the tensors, e.g. two layers built apart
    assert_matches_torch((ours_layer, torch_layer), [x_arr], atol=ABSOLUTE_TOLERANCE)
    assert_same_error(lambda m, x: x.view(5), [np.zeros((2, 3))])          # same exception type

``assert_matches_torch`` builds tensors from the same arrays in both libraries (floating arrays require
grad unless ``requires_grad=`` says otherwise), calls the function, and checks for every output: shape,
dtype, values (float64 to 1e-7, float32 to 1e-4 relative by default; integers and bools exactly) and
whether it requires grad. Then it back-propagates the same random upstream gradient through every
floating output that requires grad and compares the gradient of every input (both None, or equal).
Outputs may be a tensor, a Python number/bool, or a (nested) tuple/list/namedtuple of them.
``rtol``/``atol``/``grad_rtol`` take a number or a {dtype: number} table (``ABSOLUTE_TOLERANCE`` is the
charter's bound as an absolute one: float64 1e-6, float32 1e-4); by default atol scales with the largest
torch value. With ``expect_errors=True`` (random hyper-parameters that torch may refuse) a torch exception
is part of the test: npconv must then raise the same built-in exception type, and None is returned; a test
that allows this must still compare values in most of its calls (EXPECT_ERRORS_TALLY, checked by conftest).

``assert_module_matches_torch(factory, arrays)`` does the same for a layer: ``factory(m)`` builds the
module in both libraries, torch's parameters and buffers are copied into npconv's, and the outputs, the
input gradients and the parameter gradients are compared.

``assert_shape_only_matches_torch(call, arrays)`` runs torch on the arrays and npconv on meta tensors of
the same shapes and dtypes ("shape-only" mode, as npconv.summary uses it): every output's shape and dtype
must equal torch's, and every npconv op of the packages named in ``ruled`` that the call reaches must have
a ``meta`` rule (so no real computation happens on the zero-stride arrays).

``assert_same_error`` asserts both libraries raise an exception of the same built-in type (RuntimeError,
ValueError, IndexError, TypeError...), with torch's message when ``same_message=True``, and returns both
exceptions so a test can check more.
"""
import numpy as np
import torch

import npconv

__all__ = ["assert_matches_torch", "assert_module_matches_torch", "assert_same_error", "copy_torch_state",
           "assert_shape_only_matches_torch", "to_torch", "to_npconv", "random_array", "torch_accepts",
           "TOLERANCE", "ABSOLUTE_TOLERANCE"]

# assert_matches_torch(expect_errors=True) calls of the running test: how many torch refused, how many
# compared values. tests/conftest.py requires most of them to compare values.
EXPECT_ERRORS_TALLY = {"raised": 0, "compared": 0}

TOLERANCE = {np.dtype(np.float64): 1e-7, np.dtype(np.float32): 1e-4, np.dtype(np.float16): 1e-2}
ABSOLUTE_TOLERANCE = {np.dtype(np.float64): 1e-6, np.dtype(np.float32): 1e-4}


def _for_dtype(tolerance, dtype):
    """A tolerance given as a number, a {dtype: number} table, or None (the default)."""
    if isinstance(tolerance, dict):
        return tolerance.get(np.dtype(dtype))
    return tolerance


def random_array(shape, dtype=np.float64, seed=0, low=-1.0, high=1.0):
    """A reproducible array of ``shape``: uniform floats in [low, high) or integers in [low, high)."""
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return np.asarray(rng.uniform(low, high, shape), dtype=dtype)
    if dtype.kind == "b":
        return np.asarray(rng.random(shape) < 0.5)
    return np.asarray(rng.integers(int(low), int(high), shape), dtype=dtype)


def _arrays(arrays):
    """NumPy scalars (what 0-d array arithmetic returns) count as 0-d arrays."""
    return [np.asarray(a) if isinstance(a, np.generic) else a for a in arrays]


def _wants_grad(array, requires_grad, index):
    if not isinstance(array, np.ndarray) or array.dtype.kind != "f":
        return False
    if requires_grad is None:
        return True
    if isinstance(requires_grad, bool):
        return requires_grad
    return bool(requires_grad[index])


def to_torch(array, requires_grad=False):
    """A torch leaf tensor with a copy of ``array`` (anything that is not an ndarray passes unchanged)."""
    if not isinstance(array, np.ndarray):
        return array
    return torch.from_numpy(np.array(array, copy=True)).requires_grad_(requires_grad)


def to_npconv(array, requires_grad=False):
    """An npconv leaf tensor with a copy of ``array`` (anything that is not an ndarray passes unchanged)."""
    if not isinstance(array, np.ndarray):
        return array
    return npconv.tensor(np.array(array, copy=True), requires_grad=requires_grad)


def _flatten(result):
    """Outputs as a flat list (tuples, lists and namedtuples opened recursively)."""
    if isinstance(result, (tuple, list)):
        flat = []
        for item in result:
            flat.extend(_flatten(item))
        return flat
    return [result]


def _as_numpy(value):
    if isinstance(value, torch.Tensor):
        return value.detach().numpy()
    if isinstance(value, npconv.Tensor):
        return value.detach().numpy()
    return value


def _assert_close(mine, theirs, what, rtol, atol):
    if isinstance(theirs, (torch.Tensor,)):
        assert isinstance(mine, npconv.Tensor), f"{what}: npconv returned {type(mine).__name__}, torch a Tensor"
        assert tuple(mine.shape) == tuple(theirs.shape), \
            f"{what}: shape {tuple(mine.shape)} != torch {tuple(theirs.shape)}"
        assert repr(mine.dtype) == repr(theirs.dtype), f"{what}: dtype {mine.dtype!r} != torch {theirs.dtype!r}"
        a, b = _as_numpy(mine), _as_numpy(theirs)
    else:
        assert type(mine) is type(theirs) or (isinstance(mine, (int, float)) and isinstance(theirs, (int, float))), \
            f"{what}: npconv returned {type(mine).__name__}, torch {type(theirs).__name__}"
        if not isinstance(theirs, (int, float, bool, np.ndarray)):
            assert mine == theirs, f"{what}: {mine!r} != torch {theirs!r}"
            return
        a, b = np.asarray(mine), np.asarray(theirs)
    if b.dtype.kind == "f":
        rtol, atol = _for_dtype(rtol, b.dtype), _for_dtype(atol, b.dtype)
        tol = rtol if rtol is not None else TOLERANCE.get(b.dtype, 1e-4)
        scale = float(np.max(np.abs(b[np.isfinite(b)]), initial=1.0))
        abs_tol = atol if atol is not None else tol * scale
        np.testing.assert_allclose(a, b, rtol=tol, atol=abs_tol, equal_nan=True, err_msg=what)
    else:
        np.testing.assert_array_equal(a, b, err_msg=what)


def _compare_outputs(npconv_out, torch_out, rtol, atol):
    mine, theirs = _flatten(npconv_out), _flatten(torch_out)
    assert len(mine) == len(theirs), f"npconv returned {len(mine)} outputs, torch {len(theirs)}"
    for i, (m, t) in enumerate(zip(mine, theirs)):
        _assert_close(m, t, f"output {i}", rtol, atol)
        if isinstance(t, torch.Tensor):
            assert m.requires_grad == t.requires_grad, \
                f"output {i}: requires_grad {m.requires_grad} != torch {t.requires_grad}"
    return mine, theirs


def _backward_both(mine, theirs, seed):
    """Send the same random upstream gradient through every floating output that requires grad."""
    rng = np.random.default_rng(seed)
    torch_roots, torch_grads, np_roots, np_grads = [], [], [], []
    for m, t in zip(mine, theirs):
        if isinstance(t, torch.Tensor) and t.requires_grad and t.is_floating_point():
            g = rng.standard_normal(tuple(t.shape)).astype(t.detach().numpy().dtype)
            torch_roots.append(t)
            torch_grads.append(torch.from_numpy(g.copy()))
            np_roots.append(m)
            np_grads.append(npconv.from_numpy(g.copy()))
    if not torch_roots:
        return False
    try:
        torch.autograd.backward(torch_roots, torch_grads)
    except RuntimeError:
        if any(t.numel() for t in torch_roots):
            raise
        return False  # torch refuses some backward passes of empty outputs (max_unpool into an empty volume)
    npconv.autograd.backward(np_roots, np_grads)
    return True


def _compare_grads(pairs, rtol, atol, grad_rtol):
    tol = grad_rtol if grad_rtol is not None else rtol
    for name, m, t in pairs:
        if t.grad is None:
            assert m.grad is None or not np.any(m.grad.numpy()), f"{name}: torch has no gradient, npconv has one"
            continue
        assert m.grad is not None, f"{name}: npconv computed no gradient"
        _assert_close(m.grad, t.grad, f"gradient of {name}", tol, atol)


def _per_library(call):
    """``call(m, *tensors)``, or a pair (npconv callable, torch callable) taking the tensors only."""
    if isinstance(call, (tuple, list)):
        ours, theirs = call
        return lambda m, *tensors: (ours if m is npconv else theirs)(*tensors)
    return call


def assert_matches_torch(call, arrays, *, rtol=None, atol=None, grad_rtol=None, requires_grad=None, seed=0,
                         check_grad=True, expect_errors=False):
    """Run ``call(m, *tensors)`` with m = torch and m = npconv (or a pair of callables, one per library) on
    tensors made from the same ``arrays`` and compare outputs and gradients (see the module docstring).
    Returns (npconv_output, torch_output), or None when torch raised and ``expect_errors`` allowed it."""
    call = _per_library(call)
    arrays = _arrays(arrays)
    # check_grad=False alone gives inputs that need no grad; an explicit requires_grad= is honoured
    grads = [(check_grad or requires_grad is not None) and _wants_grad(a, requires_grad, i)
             for i, a in enumerate(arrays)]
    torch_inputs = [to_torch(a, g) for a, g in zip(arrays, grads)]
    np_inputs = [to_npconv(a, g) for a, g in zip(arrays, grads)]
    try:
        torch_out = call(torch, *torch_inputs)
    except Exception as torch_exc:  # noqa: BLE001 - the type is what we compare
        if not expect_errors:
            raise
        try:
            call(npconv, *np_inputs)
        except Exception as npconv_exc:  # noqa: BLE001
            _assert_same_type(npconv_exc, torch_exc)
            EXPECT_ERRORS_TALLY["raised"] += 1
            return None
        raise AssertionError(f"npconv did not raise (torch raised {type(torch_exc).__name__}: {torch_exc})")
    npconv_out = call(npconv, *np_inputs)
    mine, theirs = _compare_outputs(npconv_out, torch_out, rtol, atol)
    if check_grad and _backward_both(mine, theirs, seed):
        pairs = [(f"input {i}", m, t) for i, (m, t) in enumerate(zip(np_inputs, torch_inputs))
                 if isinstance(t, torch.Tensor) and t.requires_grad]
        _compare_grads(pairs, rtol, atol, grad_rtol)
    if expect_errors:
        EXPECT_ERRORS_TALLY["compared"] += 1
    return npconv_out, torch_out


def torch_accepts(call, arrays=()):
    """Whether torch runs ``call`` (as assert_matches_torch takes it) on ``arrays`` without raising. A test of
    random arguments that are often invalid keeps most of its examples valid with it:
    ``assume(data.draw(strategies.one_in(4)) or torch_accepts(call, arrays))``."""
    try:
        _per_library(call)(torch, *[to_torch(a) for a in _arrays(arrays)])
    except Exception:  # noqa: BLE001 - any refusal counts
        return False
    return True


def copy_torch_state(torch_module, npconv_module):
    """Copy every parameter and buffer of ``torch_module`` into ``npconv_module`` (same names, same dtype)."""
    theirs = dict(torch_module.named_parameters())
    theirs.update(dict(torch_module.named_buffers()))
    mine = dict(npconv_module.named_parameters())
    mine.update(dict(npconv_module.named_buffers()))
    assert sorted(mine) == sorted(theirs), f"parameter/buffer names differ: {sorted(mine)} vs torch {sorted(theirs)}"
    for name, t in theirs.items():
        m = mine[name]
        assert tuple(m.shape) == tuple(t.shape), f"{name}: shape {tuple(m.shape)} != torch {tuple(t.shape)}"
        m._data = np.array(t.detach().numpy(), copy=True)


def assert_module_matches_torch(factory, arrays, *, rtol=None, atol=None, grad_rtol=None, requires_grad=None,
                                seed=0, check_grad=True, train=True, call=None):
    """Build the layer with ``factory(m)`` in both libraries, copy torch's weights into npconv's, run
    ``call(module, *inputs)`` (default: ``module(*inputs)``) and compare outputs, input gradients and
    parameter gradients. Returns (npconv_module, torch_module, npconv_output, torch_output)."""
    torch_module = factory(torch)
    npconv_module = factory(npconv)
    copy_torch_state(torch_module, npconv_module)
    torch_module.train(train)
    npconv_module.train(train)
    if call is None:
        def call(module, *xs):
            return module(*xs)
    arrays = _arrays(arrays)
    grads = [(check_grad or requires_grad is not None) and _wants_grad(a, requires_grad, i)
             for i, a in enumerate(arrays)]
    torch_inputs = [to_torch(a, g) for a, g in zip(arrays, grads)]
    np_inputs = [to_npconv(a, g) for a, g in zip(arrays, grads)]
    torch_out = call(torch_module, *torch_inputs)
    npconv_out = call(npconv_module, *np_inputs)
    mine, theirs = _compare_outputs(npconv_out, torch_out, rtol, atol)
    buffers = dict(npconv_module.named_buffers())
    for name, t in torch_module.named_buffers():
        _assert_close(buffers[name], t, f"buffer {name} after forward", rtol, atol)
    if check_grad and _backward_both(mine, theirs, seed):
        pairs = [(f"input {i}", m, t) for i, (m, t) in enumerate(zip(np_inputs, torch_inputs))
                 if isinstance(t, torch.Tensor) and t.requires_grad]
        params = dict(npconv_module.named_parameters())
        pairs += [(f"parameter {name}", params[name], t) for name, t in torch_module.named_parameters()]
        _compare_grads(pairs, rtol, atol, grad_rtol)
    return npconv_module, torch_module, npconv_out, torch_out


def _builtin_type(exc):
    return next(c for c in type(exc).__mro__ if c.__module__ == "builtins")


def _assert_same_type(npconv_exc, torch_exc):
    """The same built-in exception type (torch's own error classes count as the built-in they derive from)."""
    assert _builtin_type(npconv_exc) is _builtin_type(torch_exc), (
        f"npconv raised {type(npconv_exc).__name__}: {npconv_exc}\n"
        f"torch raised {type(torch_exc).__name__}: {torch_exc}")


def assert_same_error(call, arrays=(), *, match=None, same_message=False, requires_grad=False):
    """Both ``call(torch, *tensors)`` and ``call(npconv, *tensors)`` must raise, with the same built-in
    exception type; ``match`` (a regex) is searched in npconv's message, ``same_message=True`` requires
    torch's message word for word. Returns (npconv_exc, torch_exc)."""
    import re

    arrays = _arrays(arrays)
    grads = [_wants_grad(a, requires_grad, i) for i, a in enumerate(arrays)]
    torch_exc = npconv_exc = None
    try:
        call(torch, *[to_torch(a, g) for a, g in zip(arrays, grads)])
    except Exception as exc:  # noqa: BLE001 - the type is what we compare
        torch_exc = exc
    try:
        call(npconv, *[to_npconv(a, g) for a, g in zip(arrays, grads)])
    except Exception as exc:  # noqa: BLE001
        npconv_exc = exc
    assert torch_exc is not None, "torch did not raise"
    assert npconv_exc is not None, f"npconv did not raise (torch raised {type(torch_exc).__name__}: {torch_exc})"
    _assert_same_type(npconv_exc, torch_exc)
    if match is not None:
        assert re.search(match, str(npconv_exc)), f"npconv's message {str(npconv_exc)!r} does not match {match!r}"
    if same_message:
        assert str(npconv_exc) == str(torch_exc), f"npconv's message {str(npconv_exc)!r} != torch's {str(torch_exc)!r}"
    return npconv_exc, torch_exc


def assert_shape_only_matches_torch(call, arrays, *, ruled=("npconv.nn.functional",)):
    """Run ``call(torch, *real tensors)`` and ``call(npconv, *meta tensors)`` of the same shapes and dtypes:
    outputs must agree in shape and dtype and be meta; ops defined in modules starting with a name in
    ``ruled`` must compute their output shape with a meta rule. Returns the npconv output."""
    import npconv.autograd as autograd

    arrays = _arrays(arrays)
    torch_out = _flatten(call(torch, *[to_torch(a) for a in arrays]))
    unruled = []
    original = autograd._apply_meta

    def watched(cls, ctx, op_arrays, kwargs):
        if cls.__module__.startswith(tuple(ruled)) and getattr(cls, "meta", None) is None:
            unruled.append(f"{cls.__module__}.{cls.__qualname__}")
        return original(cls, ctx, op_arrays, kwargs)

    metas = [npconv.empty(a.shape, dtype=to_npconv(a).dtype, device="meta") if isinstance(a, np.ndarray) else a
             for a in arrays]
    autograd._apply_meta = watched
    try:
        npconv_out = call(npconv, *metas)
    finally:
        autograd._apply_meta = original
    assert not unruled, f"ops without a meta rule ran their forward in shape-only mode: {unruled}"
    mine = _flatten(npconv_out)
    assert len(mine) == len(torch_out), f"npconv returned {len(mine)} outputs, torch {len(torch_out)}"
    for i, (m, t) in enumerate(zip(mine, torch_out)):
        assert isinstance(m, npconv.Tensor) and m.is_meta, f"output {i}: not a meta tensor"
        assert tuple(m.shape) == tuple(t.shape), f"output {i}: shape {tuple(m.shape)} != torch {tuple(t.shape)}"
        assert repr(m.dtype) == repr(t.dtype), f"output {i}: dtype {m.dtype!r} != torch {t.dtype!r}"
    return npconv_out
