"""Lazy layers against torch: reprs before and after the first forward, the class they become, values and
gradients once initialised, the uninitialised placeholders and their errors, state dicts, d2l's patterns."""
import math

import numpy as np
import pytest
import torch

import npconv
from tests.torch_compare import assert_module_matches_torch, assert_same_error, random_array

# (constructor name, args, kwargs, input shape)
LAZY_CASES = [
    ("LazyLinear", (5,), {}, (3, 4)),
    ("LazyLinear", (2,), {"bias": False}, (2, 3, 6)),
    ("LazyLinear", (3,), {}, (7,)),
    ("LazyConv1d", (4, 3), {"padding": 1}, (2, 3, 8)),
    ("LazyConv2d", (6, 5), {"padding": 2}, (2, 1, 9, 9)),
    ("LazyConv2d", (4, 3), {"stride": 2, "groups": 2, "bias": False}, (1, 4, 7, 7)),
    ("LazyConv2d", (3, 3), {"padding": 1, "padding_mode": "reflect"}, (3, 6, 6)),
    ("LazyConv3d", (2, 2), {"dilation": 2}, (1, 2, 5, 5, 5)),
    ("LazyConvTranspose1d", (3, 3), {"stride": 2}, (2, 4, 5)),
    ("LazyConvTranspose2d", (4, 4), {"stride": 2, "padding": 1}, (1, 3, 5, 5)),
    ("LazyConvTranspose3d", (2, 3), {"output_padding": 1, "stride": 2}, (1, 2, 3, 3, 3)),
    ("LazyBatchNorm1d", (), {}, (4, 3)),
    ("LazyBatchNorm1d", (), {"affine": False, "momentum": None}, (4, 3, 5)),
    ("LazyBatchNorm2d", (), {"eps": 1e-3}, (2, 3, 4, 4)),
    ("LazyBatchNorm3d", (), {"track_running_stats": False}, (2, 2, 3, 3, 3)),
    ("LazyInstanceNorm1d", (), {}, (2, 3, 6)),
    ("LazyInstanceNorm2d", (), {"affine": False, "track_running_stats": False}, (2, 3, 4, 4)),
    ("LazyInstanceNorm3d", (), {}, (1, 2, 3, 3, 3)),
]


def build(m, name, args, kwargs):
    return getattr(m.nn, name)(*args, **kwargs)


@pytest.mark.parametrize("name,args,kwargs,shape", LAZY_CASES)
def test_repr_and_class_before_and_after_the_first_forward(name, args, kwargs, shape):
    mine, theirs = build(npconv, name, args, kwargs), build(torch, name, args, kwargs)
    assert repr(mine) == repr(theirs)
    assert type(mine).__name__ == type(theirs).__name__ == name
    assert mine.has_uninitialized_params() == theirs.has_uninitialized_params()
    assert [(k, repr(v)) for k, v in mine.state_dict().items()] == \
        [(k, repr(v)) for k, v in theirs.state_dict().items()]
    x = random_array(shape, np.float32)
    mine(npconv.tensor(x))
    theirs(torch.tensor(x))
    assert repr(mine) == repr(theirs)
    assert type(mine).__name__ == type(theirs).__name__ == type(theirs).__name__.replace("Lazy", "")
    assert isinstance(mine, getattr(npconv.nn, type(theirs).__name__))
    assert not hasattr(mine, "has_uninitialized_params") and not hasattr(theirs, "has_uninitialized_params")
    assert [(k, tuple(v.shape), type(v).__name__) for k, v in mine.named_parameters()] == \
        [(k, tuple(v.shape), type(v).__name__) for k, v in theirs.named_parameters()]
    assert [(k, tuple(v.shape)) for k, v in mine.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]


@pytest.mark.parametrize("name,args,kwargs,shape", LAZY_CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_initialised_lazy_layer_computes_as_torch(name, args, kwargs, shape, dtype):
    def factory(m):
        layer = build(m, name, args, dict(kwargs, dtype=m.float64 if dtype == np.float64 else m.float32))
        layer(m.tensor(random_array(shape, dtype, seed=1)))  # the dummy forward that initialises it
        return layer
    assert_module_matches_torch(factory, [random_array(shape, dtype, seed=2)])


@pytest.mark.parametrize("name,args,kwargs,shape", [c for c in LAZY_CASES if "Norm" not in c[0]])
def test_initialisation_draws_from_the_concrete_layers_range(name, args, kwargs, shape):
    layer = build(npconv, name, args, kwargs)
    layer(npconv.zeros(shape))
    fan_in = layer.weight.shape[1] * math.prod(layer.weight.shape[2:])
    bound = 1 / math.sqrt(fan_in)
    weight = layer.weight.detach().numpy()
    assert np.abs(weight).max() <= bound and weight.std() > bound / 4
    if layer.bias is not None:
        assert np.abs(layer.bias.detach().numpy()).max() <= bound


def test_lazy_norm_starts_as_the_identity_with_fresh_statistics():
    for name in ("LazyBatchNorm2d", "LazyInstanceNorm2d"):
        layer = build(npconv, name, (), {})
        layer.eval() if name.startswith("LazyInstance") else None
        layer.initialize_parameters(npconv.zeros(2, 3, 4, 4))
        assert layer.weight.tolist() == [1.0] * 3 and layer.bias.tolist() == [0.0] * 3
        assert layer.running_mean.tolist() == [0.0] * 3 and layer.running_var.tolist() == [1.0] * 3


@pytest.mark.parametrize("use", [
    lambda p: p.numel(), lambda p: p.shape, lambda p: p + 1, lambda p: p.sum(), lambda p: p.dim(),
    lambda p: p * 2, lambda p: p.view(-1)])
def test_using_an_uninitialised_parameter_raises_as_torch(use):
    assert_same_error(lambda m: use(m.nn.LazyLinear(3).weight), same_message=True)


def test_xavier_on_an_uninitialised_parameter_raises_as_torch():
    assert_same_error(lambda m: m.nn.init.xavier_uniform_(m.nn.LazyConv2d(3, 3).weight), same_message=True)


def test_what_an_uninitialised_parameter_still_answers():
    for m in (npconv, torch):
        p = m.nn.UninitializedParameter()
        b = m.nn.UninitializedBuffer()
        assert (repr(p), repr(b)) == ("<UninitializedParameter>", "<UninitializedBuffer>")
        assert str(p.dtype) == "torch.float32" and p.requires_grad and not b.requires_grad
        assert tuple(p.size()) == (0,) and p.data.numel() == 0
        p.materialize((2, 3))
        assert type(p) is m.nn.Parameter and tuple(p.shape) == (2, 3)
    assert str(npconv.nn.UninitializedParameter(dtype=npconv.float64).dtype) == "torch.float64"


@pytest.mark.parametrize("call", [
    lambda m: m.nn.LazyConv2d(6, 5)(m.ones(5, 5)),
    lambda m: m.nn.LazyConv1d(6, 5)(m.ones(1, 2, 3, 5)),
    lambda m: m.nn.LazyConvTranspose3d(6, 5)(m.ones(2, 3)),
    lambda m: m.nn.LazyConv2d(6, 3, groups=2)(m.ones(3, 8, 8)),
])
def test_bad_first_input_raises_as_torch(call):
    assert_same_error(call, same_message=True)


def test_initialize_parameters_keeps_the_lazy_class_as_torch():
    for m in (npconv, torch):
        layer = m.nn.LazyLinear(3)
        layer.initialize_parameters(m.ones(2, 7))
        assert type(layer).__name__ == "LazyLinear" and not layer.has_uninitialized_params()
        assert repr(layer) == "LazyLinear(in_features=7, out_features=3, bias=True)"


def test_loading_a_state_dict_gives_the_shapes():
    for m in (npconv, torch):
        source = m.nn.Conv2d(3, 4, 3)
        layer = m.nn.LazyConv2d(4, 3)
        layer.load_state_dict(source.state_dict())
        assert not layer.has_uninitialized_params() and tuple(layer.weight.shape) == (4, 3, 3, 3)
        np.testing.assert_array_equal(layer.weight.detach().numpy(), source.weight.detach().numpy())
        bn = m.nn.LazyBatchNorm1d()
        bn.load_state_dict(m.nn.BatchNorm1d(5).state_dict())
        assert tuple(bn.running_mean.shape) == (5,)


def d2l_lenet(m):
    nn = m.nn
    return nn.Sequential(
        nn.LazyConv2d(6, kernel_size=5, padding=2), nn.LazyBatchNorm2d(), nn.Sigmoid(),
        nn.AvgPool2d(kernel_size=2, stride=2), nn.LazyConv2d(16, kernel_size=5), nn.LazyBatchNorm2d(),
        nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2), nn.Flatten(), nn.LazyLinear(120),
        nn.LazyBatchNorm1d(), nn.Sigmoid(), nn.LazyLinear(10))


def test_d2l_layer_summary_init_and_training_step_print_as_torch():
    """d2l's pattern: print each layer's output shape on a dummy input, re-initialise with apply, build an
    optimiser after the dummy forward (and one before it), train a step."""
    def run(m):
        lines = []
        net = d2l_lenet(m)
        early = m.optim.SGD(net.parameters(), lr=0.1)  # built before the shapes are known, as torch allows
        lines.append(repr(net))
        X = m.tensor(random_array((2, 1, 28, 28), np.float32))
        for layer in net:
            X = layer(X)
            lines.append(f"{layer.__class__.__name__} output shape:\t {X.shape}")
        lines.append(repr(net))
        lines.append(str(sum(p.numel() for p in net.parameters())))

        def init_cnn(module):
            if type(module) in (m.nn.Linear, m.nn.Conv2d):
                m.nn.init.xavier_uniform_(module.weight)
        net.apply(init_cnn)
        late = m.optim.SGD(net.parameters(), lr=0.1)
        loss = net(m.ones(2, 1, 28, 28)).sum()
        loss.backward()
        early.step()
        late.step()
        lines.append(str(loss.grad_fn.name()))
        return lines
    assert run(npconv) == run(torch)


def test_requires_grad_on_an_uninitialised_module_raises_as_torch():
    assert_same_error(lambda m: m.nn.LazyLinear(3).requires_grad_(False), same_message=True)


def test_copies_pickles_and_dtype_conversions_keep_the_placeholders():
    import copy
    import pickle
    for m in (npconv, torch):
        layer = m.nn.LazyConv2d(2, 3)
        for clone in (copy.deepcopy(layer), pickle.loads(pickle.dumps(layer))):
            assert repr(clone.weight) == "<UninitializedParameter>" and clone.has_uninitialized_params()
            clone(m.ones(1, 4, 5, 5))
            assert tuple(clone.weight.shape) == (2, 4, 3, 3)
        assert layer.has_uninitialized_params()
        net = m.nn.Sequential(m.nn.LazyLinear(3), m.nn.LazyBatchNorm1d()).double()
        net(m.ones(2, 5, dtype=m.float64))
        assert str(net[0].weight.dtype) == str(net[1].running_mean.dtype) == "torch.float64"


def test_summary_of_a_lazy_net_initialises_it_as_torchinfo_does():
    import torchinfo
    nets = []
    for m in (npconv, torch):
        nets.append(m.nn.Sequential(m.nn.LazyConv2d(6, 5, padding=2), m.nn.LazyBatchNorm2d(), m.nn.ReLU(),
                                    m.nn.Flatten(), m.nn.LazyLinear(10)))
    mine = npconv.summary(nets[0], (1, 1, 28, 28))
    theirs = torchinfo.summary(nets[1], (1, 1, 28, 28), verbose=0)
    assert mine.total_params == theirs.total_params == 47218
    assert repr(nets[0]) == repr(nets[1])
    assert nets[0][1].running_var.tolist() == [1.0] * 6
