"""nn.utils against torch (npconv/nn/utils.py): gradient clipping, parameters <-> vector."""
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import npconv
from tests.torch_compare import assert_matches_torch, assert_same_error, random_array


def _params(m, seed, dtype):
    params = []
    for i, shape in enumerate([(3, 4), (4,), (2, 2, 2)]):
        p = m.nn.Parameter(m.from_numpy(random_array(shape, dtype, seed + i)))
        p.grad = m.from_numpy(random_array(shape, dtype, seed + 10 + i) * 3)
        params.append(p)
    return params


@given(seed=st.integers(0, 1000), max_norm=st.floats(0.01, 20), norm_type=st.sampled_from([1, 2.0, 3, float("inf")]),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_clip_grad_norm_like_torch(seed, max_norm, norm_type, dtype):
    mine, theirs = _params(npconv, seed, dtype), _params(torch, seed, dtype)
    total_mine = npconv.nn.utils.clip_grad_norm_(mine, max_norm, norm_type)
    total_theirs = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    tol = 1e-5 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(total_mine.item(), total_theirs.item(), rtol=tol)
    assert repr(total_mine.dtype) == repr(total_theirs.dtype)
    for p, q in zip(mine, theirs):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=tol, atol=tol)


def test_clip_grad_value_and_vectors_like_torch():
    mine, theirs = _params(npconv, 0, np.float64), _params(torch, 0, np.float64)
    npconv.nn.utils.clip_grad_value_(mine, 0.5)
    torch.nn.utils.clip_grad_value_(theirs, 0.5)
    for p, q in zip(mine, theirs):
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())
    vec_mine = npconv.nn.utils.parameters_to_vector(mine)
    vec_theirs = torch.nn.utils.parameters_to_vector(theirs)
    np.testing.assert_array_equal(vec_mine.detach().numpy(), vec_theirs.detach().numpy())
    npconv.nn.utils.vector_to_parameters(vec_mine * 2, mine)
    torch.nn.utils.vector_to_parameters(vec_theirs * 2, theirs)
    for p, q in zip(mine, theirs):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())


def test_nonfinite_norm_error_like_torch():
    for m in (npconv, torch):
        p = m.nn.Parameter(m.ones(2))
        p.grad = m.tensor([float("inf"), 1.0])
        with pytest.raises(RuntimeError):
            m.nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


def test_clip_grad_norm_old_name_and_with_norm_like_torch():
    def call(m):
        params = _params(m, 3, np.float64)
        with pytest.warns(FutureWarning, match="clip_grad_norm` is now deprecated"):
            total = m.nn.utils.clip_grad_norm(params[:1], 0.5)
        norm = m.nn.utils.get_total_norm([p.grad for p in params[1:]])
        assert m.nn.utils.clip_grads_with_norm_(params[1:], 1.0, norm) is None
        return [total, norm] + [p.grad for p in params]
    assert_matches_torch(call, [], check_grad=False)


def _conv_bn(m, transpose, affine, bias):
    conv = (m.nn.ConvTranspose2d if transpose else m.nn.Conv2d)(3, 4, 3, bias=bias)
    bn = m.nn.BatchNorm2d(4, affine=affine)
    return conv, bn


@pytest.mark.parametrize("transpose", [False, True])
@pytest.mark.parametrize("affine,bias", [(True, True), (False, False), (True, False)])
def test_fuse_conv_bn_eval_like_torch(transpose, affine, bias):
    """The fused layer computes bn(conv(x)), with torch's parameters."""
    torch.manual_seed(0)
    theirs = _conv_bn(torch, transpose, affine, bias)
    for module in theirs:
        for buffer in module.buffers():
            if buffer.is_floating_point():
                buffer.uniform_(0.5, 1.5)
        module.eval()
    mine = _conv_bn(npconv, transpose, affine, bias)
    for ours, reference in zip(mine, theirs):
        ours.load_state_dict({k: npconv.from_numpy(v.numpy().copy()) for k, v in reference.state_dict().items()})
        ours.eval()

    def call(m, x):
        conv, bn = mine if m is npconv else theirs
        fused = m.nn.utils.fuse_conv_bn_eval(conv, bn, transpose=transpose)
        return fused(x), bn(conv(x)), fused.weight, fused.bias, type(fused.weight).__name__
    assert_matches_torch(call, [random_array((2, 3, 6, 6), np.float32, 1)], check_grad=False)


def test_fuse_linear_bn_eval_and_errors_like_torch():
    def call(m, x, w, b):
        linear, bn = m.nn.Linear(5, 4), m.nn.BatchNorm1d(4)
        linear.weight, linear.bias = m.nn.Parameter(w.clone()), m.nn.Parameter(b.clone())
        bn.running_mean.fill_(0.3)
        bn.running_var.fill_(2.0)
        linear.eval()
        bn.eval()
        fused = m.nn.utils.fuse_linear_bn_eval(linear, bn)
        return fused(x), bn(linear(x))
    arrays = [random_array((3, 5), np.float32, 2), random_array((4, 5), np.float32, 3), random_array((4,), np.float32, 4)]
    mine, theirs = assert_matches_torch(call, arrays, check_grad=False)
    np.testing.assert_allclose(mine[0].detach().numpy(), mine[1].detach().numpy(), rtol=1e-5, atol=1e-6)
    for fn in (lambda m: m.nn.utils.fuse_linear_bn_eval(m.nn.Linear(5, 4), m.nn.BatchNorm1d(4)),
               lambda m: m.nn.utils.fuse_linear_bn_eval(m.nn.Linear(5, 4).eval(), m.nn.BatchNorm1d(3).eval())):
        ours, reference = assert_same_error(fn)
        assert str(ours) == str(reference)


def test_skip_init_builds_the_module_without_initialising_it():
    import npconv as _npconv
    import torch as _torch
    for m in (_npconv, _torch):
        layer = m.nn.utils.skip_init(m.nn.Linear, 3, 4)
        assert repr(layer) == "Linear(in_features=3, out_features=4, bias=True)"
        assert tuple(layer.weight.shape) == (4, 3) and str(layer.weight.device) == "cpu"
        assert layer.weight.requires_grad
        with pytest.raises(RuntimeError, match="Module must support a 'device' arg to skip initialization"):
            m.nn.utils.skip_init(m.nn.ReLU)


def test_container_is_deprecated_as_in_torch():
    import npconv as _npconv
    import torch as _torch
    reprs = []
    for m in (_npconv, _torch):
        with pytest.warns(FutureWarning, match="`nn.Container` is deprecated"):
            reprs.append(repr(m.nn.Container(a=m.nn.ReLU(), b=m.nn.Linear(1, 2))))
    assert reprs[0] == reprs[1]


def test_stateless_functional_call_swaps_for_one_call_as_torch():
    import warnings as _warnings
    import npconv as _npconv
    import torch as _torch
    results = []
    for m in (_npconv, _torch):
        m.manual_seed(0)
        net = m.nn.Sequential(m.nn.Linear(2, 3), m.nn.BatchNorm1d(3)).double()
        own = net[0].weight.detach().clone()
        weight = m.tensor(random_array((3, 2), seed=1), requires_grad=True)
        with _warnings.catch_warnings(record=True) as caught:
            _warnings.simplefilter("always")
            out = m.nn.utils.stateless.functional_call(
                net, {"0.weight": weight, "1.running_mean": m.zeros(3, dtype=m.float64)},
                (m.tensor(random_array((4, 2), seed=2)),))
        out.sum().backward()
        results.append(([str(w.message) for w in caught if w.category is FutureWarning], out.detach().numpy(),
                        weight.grad.numpy(), np.array_equal(net[0].weight.detach().numpy(), own.numpy())))
    assert results[0][0] == results[1][0] and results[0][3] and results[1][3]
    np.testing.assert_allclose(results[0][1], results[1][1], atol=1e-12)
    np.testing.assert_allclose(results[0][2], results[1][2], atol=1e-12)
    assert_same_error(lambda m: m.nn.utils.stateless.functional_call(m.nn.Linear(1, 1), ({},), (m.ones(1),)),
                      same_message=True)


@pytest.mark.parametrize("names", [("weight",), ("weight", "bias", "x"), ("x",)])
def test_stateless_strict_errors_as_torch(names):
    import warnings as _warnings
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore")
        assert_same_error(lambda m: m.nn.utils.stateless.functional_call(
            m.nn.Linear(1, 1), {name: m.ones(1) for name in names}, (m.ones(1),), strict=True), same_message=True)
