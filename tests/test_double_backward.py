"""Higher-order gradients (npconv/_graph_backward.py and create_graph in npconv/autograd.py), against torch.

Each op runs as a gradient penalty: ``ga = grad(f(a, b).sum(), [a], create_graph=True)``; the helper then
compares ga and back-propagates a random upstream gradient through it, comparing a.grad and b.grad."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
import torch

import npconv
from tests.torch_compare import assert_matches_torch, assert_module_matches_torch, assert_same_error, random_array

# f(m, a, b) on two (3, 2) float64 tensors with values in [0.2, 1) (logs and roots are defined)
OPS = {
    "mul": lambda m, a, b: a * b * a,
    "mul_number": lambda m, a, b: (a * 2.5) * a,
    "add_sub_neg": lambda m, a, b: (a + b) * (b - a) * -a + (1 - a) * a,
    "div": lambda m, a, b: a / b + b / a + a / 3,
    "pow": lambda m, a, b: (a * b).pow(3) + a.pow(0.5) + a.pow(2),
    "pow_tensor": lambda m, a, b: a ** b,
    "exp": lambda m, a, b: (a * b).exp(),
    "log": lambda m, a, b: (a * b).log() * a,
    "sqrt": lambda m, a, b: (a * b).sqrt() * a,
    "reciprocal": lambda m, a, b: (a * b).reciprocal() * a,
    "sin_cos": lambda m, a, b: (a * b).sin() + (a * b).cos(),
    "sigmoid": lambda m, a, b: (a * b).sigmoid(),
    "tanh": lambda m, a, b: (a * b).tanh(),
    "relu": lambda m, a, b: (a * b - 0.3).relu() * a,
    "abs": lambda m, a, b: (a - b).abs() * a,
    "relu_abs_alone": lambda m, a, b: (a * b - 0.3).relu() + (a - b).abs(),   # a zero a.grad, not None
    "clamp": lambda m, a, b: (a * b).clamp(0.2, 0.5) * a,
    "maximum": lambda m, a, b: m.maximum(a, b) * a,
    "where": lambda m, a, b: m.where(a > b, a * a, b * a),
    "view_reshape": lambda m, a, b: a.view(-1) * b.reshape(6) * a.reshape(2, 3).reshape(-1),
    "transpose_permute": lambda m, a, b: a.t() * b.transpose(0, 1) * a.permute(1, 0),
    "slice_select": lambda m, a, b: a[:2] * b[1:] * a[1:] + a[1] * a[2],
    "squeeze_unsqueeze": lambda m, a, b: a.unsqueeze(0) * b.unsqueeze(0).squeeze(0) * a[:1].squeeze(0),
    "expand": lambda m, a, b: a[:, :1].expand(3, 4) * a.sum(),
    "broadcast": lambda m, a, b: a * b[0] * a[:, :1],
    "sum_mean": lambda m, a, b: (a * b).sum(0, keepdim=True) * a.sum(0) + a.mean(1).sum() * a.mean(),
    "clone_contiguous": lambda m, a, b: (a * b).clone() * a.t().contiguous().t(),
    "matmul": lambda m, a, b: ((a @ b.t()) ** 2).sum() * a + (a[0] @ b[0]) * a + (a @ b[0]).sum() * a,
    "linear": lambda m, a, b: (m.nn.functional.linear(a, b) ** 2).sum(0)[:2] * a,
    "linear_bias": lambda m, a, b: (m.nn.functional.linear(a, b, b[:, 0] * a[:, 1]) ** 2).sum() * a,
    "leaky_relu_hardtanh": lambda m, a, b: m.nn.functional.leaky_relu(a * b - 0.3, 0.2) * a
    + m.nn.functional.hardtanh(a * 3 - 1.5) + m.nn.functional.leaky_relu(a - b),
    "hard_activations": lambda m, a, b: m.nn.functional.hardswish(
        a * 8 - 4) * a + m.nn.functional.threshold(a - b, 0.1, -2.0) * a + m.nn.functional.mish(a - b) * a,
    "elu_family_prelu_shrinks": lambda m, a, b: m.nn.functional.selu(a - b) * a + m.nn.functional.celu(a - b, 0.3) * a
    + m.nn.functional.elu(a - b, 1.5) * a + m.nn.functional.prelu(a - b, b[0, :1] * a[0, 0]) * a
    + m.nn.functional.softshrink(a - b, 0.1) * a + m.nn.functional.hardshrink(a - b, 0.1) * a,
    "amax_amin_glu": lambda m, a, b: (a * b).amax(1, keepdim=True) * a + (a * b).amin((0, 1)) * a
    + (a * b).amax(0) * a + m.nn.functional.glu(m.cat([a, b * a], 1), 1) * a,
    "addcmul_addcdiv": lambda m, a, b: m.addcmul(a, a, b, value=0.5) * a + m.addcdiv(b, a * a, b + 1, value=2) * a,
    "silu_elu": lambda m, a, b: m.nn.functional.silu(a * b) * a + m.nn.functional.elu(a - b, 0.7) * b,
    "softmax": lambda m, a, b: m.nn.functional.softmax(a * b, 1) * a + m.nn.functional.log_softmax(a * a, 0) * b,
    "cat_stack": lambda m, a, b: m.cat([a * b, a], 1)[:, 1:3] * a + m.stack([a, b * a]).sum(0) * a,
    "flip_repeat": lambda m, a, b: (a * b).flip(0) * a + (a * b).repeat(2, 1)[1:4] * a,
    "pointwise_table": lambda m, a, b: (a * b).sinh() + a.cosh() * b + (a * b).tan() + (a - b).atan() * a
    + (a * b).expm1() * a + (a * b).log1p() * a + a.log2() * a.log10() + (a * b).exp2() + a.asin() * b.acos()
    + (a + 1).acosh() * (a * b).asinh() + (a * b).atanh() * a + a.deg2rad() * a.rad2deg() + a.floor() * a
    + (a * 3).frac() * a + a.sign() * a,
    "erf_gelu_softplus": lambda m, a, b: (a * b).erf() * a + m.nn.functional.gelu(a - b) * a
    + m.nn.functional.gelu(a * b, approximate="tanh") * a + m.nn.functional.softplus(a - b, beta=2, threshold=0.5) * a,
    "dtype_cast": lambda m, a, b: (a * b).float().double() * a + (a.float() * b.float()).sum().double() * a,
    "selections": lambda m, a, b: (a * b).masked_fill(a > 0.5, 0.3) * a + (a * b).cumsum(0) * a
    + (a * b).max(1, keepdim=True)[0] * a + (a * b).min(0)[0] * a + (a * b).max() * a + (a * b).median(1)[0][:, None] * a
    + (a * b).gather(1, m.tensor([[1, 0], [0, 0], [1, 1]])) * a
    + (a * b).masked_fill(a > 0.5, (a * b).sum()) * a,
    "norm_logsumexp": lambda m, a, b: (a * b).norm(dim=1, keepdim=True) * a + (a * b).norm() * b
    + (a * b).logsumexp(0) * a + (a * b).logsumexp((0, 1), keepdim=True) * a,
    "var_std": lambda m, a, b: (a * b).var(0) * a + (a * b).std() * b + (a * b).std(1, keepdim=True, correction=0) * a,
    "fused_products": lambda m, a, b: m.addmm(a[:1, :1], a, b.t(), beta=0.5, alpha=2).sum() * a
    + m.addmv(a[:, 0], a, b[0], alpha=3) [:, None] * b + m.addr(a[:2, :1], a[:2, 0], b[0]).sum() * a
    + m.baddbmm(a[None, :1, :1], a[None], b.t()[None], beta=0).sum() * a + m.addbmm(a, a[None], b.t()[None][:, :, :2]) * a,
    "chain": lambda m, a, b: ((a * b).sigmoid() @ b.t()).tanh().sum(1, keepdim=True).exp() * a.pow(2),
}


def _arrays():
    return [random_array((3, 2), seed=1, low=0.2), random_array((3, 2), seed=2, low=0.2)]


def gradient_of_a(f):
    """The gradient penalty's first half: d f(a, b).sum() / da, differentiable again."""
    def call(m, a, b):
        (ga,) = m.autograd.grad(f(m, a, b).sum(), [a], create_graph=True)
        return ga
    return call


@pytest.mark.parametrize("name", sorted(OPS))
def test_second_derivatives_match_torch(name):
    assert_matches_torch(gradient_of_a(OPS[name]), _arrays(), atol=1e-6)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(sorted(OPS)), min_size=1, max_size=3))
def test_chains_of_ops_match_torch(names):
    def chain(m, a, b):
        for name in names:   # each op's output scaled down so values stay in the ops' domains
            a = OPS[name](m, a, b).sum() * 0.01 + a
        return a
    assert_matches_torch(gradient_of_a(chain), _arrays(), atol=1e-6)


def _penalty(m, create_graph_call):
    a, b = (m.tensor(x, requires_grad=True) for x in _arrays())
    ga = create_graph_call(m, a, b)
    ga.pow(2).sum().backward()
    return ga, a.grad, b.grad


def _assert_same(results_np, results_torch):
    for mine, theirs in zip(results_np, results_torch):
        assert (mine is None) == (theirs is None)
        if mine is not None:
            np.testing.assert_allclose(mine.detach().numpy(), theirs.detach().numpy(), atol=1e-6)
            assert mine.requires_grad == theirs.requires_grad


def _both(call):
    _assert_same(_penalty(npconv, call), _penalty(torch, call))


def test_backward_create_graph_leaves_differentiable_grads():
    def call(m, a, b):
        (a * a * b).sigmoid().sum().backward(create_graph=True)
        assert a.grad.grad_fn is not None and a.grad.requires_grad
        ga = a.grad
        a.grad = None
        return ga
    _both(call)


def test_grad_outputs_and_retain_graph_default():
    def call(m, a, b):
        y = (a * b).tanh()
        (ga,) = m.autograd.grad(y, [a], grad_outputs=b * 2, create_graph=True)
        (again,) = m.autograd.grad(y.sum(), [a], retain_graph=True)   # create_graph retained it, as torch
        return ga + again
    _both(call)


def test_hooks_see_and_replace_differentiable_gradients():
    def call(m, a, b):
        seen = []
        a.register_hook(lambda g: seen.append(g.requires_grad) or g * 3)
        y = a * b * a
        y.register_hook(lambda g: g * b)
        (ga,) = m.autograd.grad(y.sum(), [a], create_graph=True)
        assert seen == [True]
        return ga
    _both(call)


def test_inputs_restricts_the_leaves():
    def call(m, a, b):
        (a * a * b).exp().sum().backward(inputs=[a], create_graph=True)
        assert b.grad is None
        ga = a.grad
        a.grad = None
        return ga
    _both(call)


def test_gradient_wrt_an_intermediate():
    def call(m, a, b):
        x = a * b
        (gx,) = m.autograd.grad((x.sigmoid() * x).sum(), [x], create_graph=True)
        return gx
    _both(call)


def test_third_order():
    def third(m, x):
        (g1,) = m.autograd.grad((x.sin() * x.exp()).sum(), [x], create_graph=True)
        (g2,) = m.autograd.grad(g1.sum(), [x], create_graph=True)
        return g2
    assert_matches_torch(third, [random_array((4,), seed=3)])


def test_user_function_backward_runs_on_tensors():
    def call(m, a, b):
        class Cube(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x ** 3

            @staticmethod
            def backward(ctx, grad):
                (x,) = ctx.saved_tensors
                return grad * 3 * x ** 2
        (ga,) = m.autograd.grad(Cube.apply(a * b).sum(), [a], create_graph=True)
        return ga
    _both(call)


def test_inplace_change_of_a_saved_tensor_is_refused_with_create_graph():
    def call(m, a, b):
        x = a * b
        y = x * x
        x.mul_(2)
        return m.autograd.grad(y.sum(), [a], create_graph=True)
    assert_same_error(call, _arrays(), same_message=True, requires_grad=True)


def test_second_backward_after_freeing_is_refused():
    def call(m, a, b):
        y = (a * b).exp().sum()
        m.autograd.grad(y, [a], create_graph=True, retain_graph=False)
        return m.autograd.grad(y, [a])
    assert_same_error(call, _arrays(), same_message=True, requires_grad=True)


def test_differentiating_through_a_freed_graph_is_refused():
    def call(m, a, b):
        y = (a * b).tanh()
        (ga,) = m.autograd.grad(y.sum(), [a], create_graph=True)
        m.autograd.grad(y.sum(), [a])   # frees the graph ga's own graph runs through, in both libraries
        ga.sum().backward()
    assert_same_error(call, _arrays(), same_message=True, requires_grad=True)


def test_hardsigmoid_is_refused_as_torch_refuses_it():
    def call(m, x):
        (gx,) = m.autograd.grad(m.nn.functional.hardsigmoid(x * 8).sum(), [x], create_graph=True)
        gx.sum().backward()
    assert_same_error(call, [random_array((3,))], requires_grad=True, same_message=True)


def test_an_op_without_a_rule_says_so_when_differentiated_through():
    def first_order(m, x):
        (gx,) = m.autograd.grad(x.cumprod(1).pow(2).sum(), [x], create_graph=True)
        return gx.detach()
    x = random_array((1, 1, 4, 4))
    assert_matches_torch(first_order, [x])   # the first-order values are there ...
    a = npconv.tensor(x, requires_grad=True)
    (ga,) = npconv.autograd.grad(a.cumprod(1).pow(2).sum(), [a], create_graph=True)
    assert ga.requires_grad
    with pytest.raises(NotImplementedError, match=r"npconv: the gradient of CumprodBackward0 is not differentiable "
                                                  r"\(double backward of Cumprod is not implemented\)"):
        ga.sum().backward()   # ... a second derivative is refused by name, never silently missing


CONVOLUTIONS = {   # (call, shapes of x, w, b)
    "conv2d": (lambda F, x, w, b: F.conv2d(x, w, b, stride=2, padding=1), [(2, 3, 7, 7), (4, 3, 3, 3), (4,)]),
    "conv2d_dilated_groups": (lambda F, x, w, b: F.conv2d(x, w, b, padding=2, dilation=2, groups=2),
                              [(2, 4, 6, 6), (4, 2, 3, 3), (4,)]),
    "conv1d_unbatched": (lambda F, x, w, b: F.conv1d(x, w, b, stride=2), [(3, 9), (2, 3, 3), (2,)]),
    "conv_transpose2d": (lambda F, x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
                         [(2, 3, 4, 4), (3, 2, 3, 3), (2,)]),
    "conv3d": (lambda F, x, w, b: F.conv3d(x, w, b, padding=1), [(1, 2, 4, 4, 4), (2, 2, 3, 3, 3), (2,)]),
}


@pytest.mark.parametrize("name", sorted(CONVOLUTIONS))
def test_convolution_gradient_penalty_matches_torch(name):
    conv, shapes = CONVOLUTIONS[name]

    def penalty(m, x, w, b):
        y = conv(m.nn.functional, x, w, b)
        gx, gw = m.autograd.grad((y.tanh() * y).sum(), [x, w], create_graph=True)
        return gx.pow(2).sum() + (gw * w).sum()
    assert_matches_torch(penalty, [random_array(s, seed=i) for i, s in enumerate(shapes)], atol=1e-6)



LAYER_PENALTIES = {   # (f(m, x), shape of x): the penalty of d f(x).sum() / dx
    "cross_entropy": (lambda m, x: m.nn.functional.cross_entropy(x * x, m.tensor([1, 0, 2])), (3, 4)),
    "nll_weighted_spatial": (lambda m, x: m.nn.functional.nll_loss(
        m.nn.functional.log_softmax(x.sin(), 1), m.tensor([[[0, 1, 2]], [[2, 2, 0]]]), weight=m.tensor(
            [0.5, 1.0, 2.0], dtype=m.float64), ignore_index=1, reduction="sum"), (2, 3, 1, 3)),
    "max_pool2d": (lambda m, x: m.nn.functional.max_pool2d(x * x, 2, stride=1) ** 2, (1, 2, 4, 4)),
    "max_pool1d_unbatched": (lambda m, x: m.nn.functional.max_pool1d(x.exp(), 3, stride=2, padding=1) ** 2, (2, 7)),
    "avg_pool2d": (lambda m, x: m.nn.functional.avg_pool2d(x * x, 3, stride=2, padding=1, ceil_mode=True,
                                                           count_include_pad=False) ** 2, (2, 1, 5, 5)),
    "batch_norm": (lambda m, x: m.nn.functional.batch_norm(x.sin(), None, None, m.ones(3, dtype=m.float64) * 1.5,
                                                           m.ones(3, dtype=m.float64) * 0.1, training=True) ** 3,
                   (4, 3, 2)),
    "batch_norm_eval": (lambda m, x: m.nn.functional.batch_norm(x * x, m.zeros(3, dtype=m.float64) + 0.2, m.ones(
        3, dtype=m.float64) * 1.5, x[0, :, 0] * 0 + 2, training=False) ** 3, (4, 3, 2)),
    "layer_norm": (lambda m, x: m.nn.functional.layer_norm(x, (2,), x[0, 0], eps=1e-3) ** 3, (4, 3, 2)),
    "group_norm": (lambda m, x: m.nn.functional.group_norm(x.exp(), 1) ** 3, (2, 3, 2)),
    "instance_norm": (lambda m, x: m.nn.functional.instance_norm(x.tanh()) ** 3, (2, 3, 4)),
    "mse_loss": (lambda m, x: m.nn.functional.mse_loss(x.sin(), x[:1].cos().expand(3, 4)) * m.nn.functional.mse_loss(
        x * x, x.detach(), reduction="sum") + m.nn.functional.mse_loss(x.exp(), x * 0, reduction="none"), (3, 4)),
    "pad_modes": (lambda m, x: sum(m.nn.functional.pad(x * x, (2, 1), mode=mode, **extra) ** 3 for mode, extra in (
        ("constant", {"value": 0.5}), ("reflect", {}), ("replicate", {}), ("circular", {}))), (2, 3, 4)),
    "adaptive_avg_pool2d": (lambda m, x: m.nn.functional.adaptive_avg_pool2d(x * x, (2, 3)) ** 3, (1, 2, 5, 4)),
    "interpolate": (lambda m, x: sum(m.nn.functional.interpolate(x * x, scale_factor=1.5, mode=mode, **extra) ** 3
                                     for mode, extra in (("nearest", {}), ("bilinear", {"align_corners": False}),
                                                         ("bicubic", {"align_corners": True}))), (1, 2, 3, 4)),
    "log_sigmoid": (lambda m, x: m.nn.functional.logsigmoid(x * x - 0.5) ** 2, (3, 4)),
    "bce_with_logits": (lambda m, x: m.nn.functional.binary_cross_entropy_with_logits(
        x * x, x.sin(), pos_weight=m.tensor([2.0, 1.0, 0.5, 3.0], dtype=m.float64)) + m.nn.functional.
        binary_cross_entropy_with_logits(x * 3, m.ones(3, 4, dtype=m.float64) * 0.3, weight=x[0].detach(),
                                         reduction="sum") ** 2, (3, 4)),
    "embedding": (lambda m, x: m.nn.functional.embedding(m.tensor([[1, 2, 1], [0, 2, 2]]), x * x, padding_idx=0,
                                                          scale_grad_by_freq=True) ** 3   # torch's inexact rule
                  + m.nn.functional.embedding(m.tensor([2, 2, 0]), x.exp()) ** 2, (3, 4)),
    "unfold_fold_pixel_shuffle": (lambda m, x: m.nn.functional.fold(m.nn.functional.unfold(x * x, 2, padding=1) ** 2,
                                                                    (4, 4), 2, padding=1) ** 2
                                  + m.nn.functional.pixel_unshuffle(m.nn.functional.pixel_shuffle(x.exp(), 2) ** 2, 2)
                                  * x, (1, 4, 4, 4)),
    "conv_net": (lambda m, x: m.nn.functional.leaky_relu(m.nn.functional.conv2d(
        m.nn.functional.avg_pool2d(x, 2), x[:1, :, :3, :3], padding=1), 0.2).mean() ** 2, (1, 2, 6, 6)),
}


@pytest.mark.parametrize("name", sorted(LAYER_PENALTIES))
def test_layer_gradient_penalty_matches_torch(name):
    f, shape = LAYER_PENALTIES[name]

    def penalty(m, x):
        (gx,) = m.autograd.grad(f(m, x).sum(), [x], create_graph=True)
        return gx
    assert_matches_torch(penalty, [random_array(shape, seed=5)], atol=1e-6)

def test_convolution_third_order_matches_torch():
    def third(m, x, w):
        y = m.nn.functional.conv2d(x, w, padding=1)
        (gx,) = m.autograd.grad(y.pow(3).sum(), [x], create_graph=True)
        (gw,) = m.autograd.grad(gx.pow(2).sum(), [w], create_graph=True)
        return gw
    assert_matches_torch(third, [random_array((1, 2, 5, 5), seed=1), random_array((3, 2, 3, 3), seed=2)],
                         atol=1e-6)


def test_gradgradcheck_passes_for_a_smooth_function_and_catches_a_wrong_second_derivative():
    class WrongSecondDerivative(npconv.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x.detach() ** 2   # right values, but no second derivative through x

    x = npconv.tensor(random_array((3,), seed=4), requires_grad=True)
    assert npconv.autograd.gradgradcheck(lambda t: (t.sigmoid() * t).sum(1) + t.exp()[0], [x.reshape(1, 3)])
    assert npconv.autograd.gradgradcheck(lambda t: npconv.nn.functional.conv1d(t, t[:, :, :2]), [x.reshape(1, 1, 3)])
    assert not npconv.autograd.gradgradcheck(WrongSecondDerivative.apply, [x], raise_exception=False)


def test_zero_grad_without_none_detaches_a_differentiable_grad():
    for m in (npconv, torch):
        layer = m.nn.Linear(2, 1)
        x = m.ones(3, 2)
        (layer(x) ** 2).sum().backward(create_graph=True)
        assert layer.weight.grad.requires_grad
        m.optim.SGD(layer.parameters(), lr=0.1).zero_grad(set_to_none=False)
        layer.bias.grad.pow(2)   # still usable
        layer.zero_grad(set_to_none=False)
        assert not layer.weight.grad.requires_grad and layer.weight.grad.grad_fn is None
        assert float(layer.weight.grad.abs().sum()) == 0


CRITICS = {   # WGAN-GP style critics: the gradient penalty reaches every parameter through second derivatives
    "conv_leaky": lambda nn: nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.LeakyReLU(0.2), nn.Conv2d(4, 2, 3, stride=2),
                                           nn.Flatten(), nn.Linear(8, 1)),
    "conv_batchnorm_pool": lambda nn: nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.ReLU(), nn.MaxPool2d(2),
                                                    nn.Flatten(), nn.Linear(3, 1)),
    "mlp_layernorm": lambda nn: nn.Sequential(nn.Flatten(), nn.Linear(50, 6), nn.LayerNorm(6), nn.Tanh(),
                                              nn.Linear(6, 1), nn.Sigmoid()),
}


@pytest.mark.parametrize("name", sorted(CRITICS))
def test_gradient_penalty_of_a_critic_reaches_its_parameters_as_torch(name):
    def penalty(critic, x):
        m = torch if isinstance(x, torch.Tensor) else npconv
        (gx,) = m.autograd.grad(critic(x).sum(), [x], create_graph=True)
        return ((gx.flatten(1).norm(2, dim=1) - 1) ** 2).mean()
    assert_module_matches_torch(lambda m: CRITICS[name](m.nn).double(), [random_array((3, 2, 5, 5), seed=6)],
                                call=penalty, atol=1e-6)


def test_maml_step_differentiates_through_the_inner_update_as_torch():
    def outer_loss(model, x):
        m = torch if isinstance(x, torch.Tensor) else npconv
        F = m.nn.functional
        target = x[:, :2].detach() * 2
        inner = F.mse_loss(F.linear(F.tanh(model(x)), model.weight[:, :2]), target)
        weight, bias = (p - 0.1 * g for p, g in zip((model.weight, model.bias), m.autograd.grad(
            inner, [model.weight, model.bias], create_graph=True)))
        return F.mse_loss(F.linear(F.tanh(F.linear(x, weight, bias)), weight[:, :2]), target * 0.5)
    assert_module_matches_torch(lambda m: m.nn.Linear(3, 2).double(), [random_array((5, 3), seed=7)],
                                call=outer_loss, atol=1e-6)
