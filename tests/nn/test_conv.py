"""Convolution family against torch: functional and modules, forward and every gradient, errors, worked
examples from tutorials."""
import math

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, strategies as st

import npconv
import npconv.nn as nn
import npconv.nn.functional as F
from npconv import kernels
from npconv.arithmetic import conv_transpose_output_size
from tests.torch_compare import assert_matches_torch, assert_module_matches_torch, assert_same_error
from tests.strategies import conv_arguments, conv_transpose_arguments, float_dtypes, padding_modes

RTOL = {"float64": 1e-6, "float32": 1e-4}
# torch warns that it pads a copy for even kernels with padding="same"; npconv always pads in the kernel
pytestmark = pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel")


# ----------------------------------------------------------------------------------------------------
# functional, random cases (tests/torch_compare.py runs both and compares outputs and every gradient)


def random_inputs(rng, dtype, args, with_bias):
    x = rng.standard_normal(args["input_shape"]).astype(dtype)
    w = rng.standard_normal(args["weight_shape"]).astype(dtype)
    b = rng.standard_normal(args["out_channels"]).astype(dtype) if with_bias else None
    return [x, w, b]


# None: the chooser decides (small test channel counts make it pick im2col, so force each one too)
algorithms = st.sampled_from([None, "shifted_gemm", "im2col"])


@given(args=conv_arguments(), dtype=float_dtypes, algorithm=algorithms, seed=st.integers(0, 2**32 - 1))
def test_conv_functional_matches_torch(args, dtype, algorithm, seed):
    arrays = random_inputs(np.random.default_rng(seed), dtype, args, args["bias"])
    name = f"conv{args['dims']}d"
    kwargs = dict(stride=args["stride"], padding=args["padding"], dilation=args["dilation"], groups=args["groups"])
    with kernels.use(algorithm):
        assert_matches_torch(lambda m, x, w, b: getattr(m.nn.functional, name)(x, w, b, **kwargs), arrays,
                             rtol=RTOL[dtype], seed=seed)


@given(args=conv_transpose_arguments(), dtype=float_dtypes, algorithm=algorithms, seed=st.integers(0, 2**32 - 1))
def test_conv_transpose_functional_matches_torch(args, dtype, algorithm, seed):
    arrays = random_inputs(np.random.default_rng(seed), dtype, args, args["bias"])
    name = f"conv_transpose{args['dims']}d"
    kwargs = dict(stride=args["stride"], padding=args["padding"], output_padding=args["output_padding"],
                  groups=args["groups"], dilation=args["dilation"])
    with kernels.use(algorithm):
        assert_matches_torch(lambda m, x, w, b: getattr(m.nn.functional, name)(x, w, b, **kwargs), arrays,
                             rtol=RTOL[dtype], seed=seed)


# ----------------------------------------------------------------------------------------------------
# modules, random cases (torch's weights copied into npconv's layer)


def enlarge_spatial(shape, dims, smallest):
    return shape[:-dims] + tuple(max(size, smallest) for size in shape[-dims:])


@given(args=conv_arguments(), mode=padding_modes, dtype=float_dtypes, seed=st.integers(0, 2**32 - 1))
def test_conv_module_matches_torch(args, mode, dtype, seed):
    shape = args["input_shape"]
    if mode in ("reflect", "circular") and args["paddings"]:  # reflect: pad < size; circular: wrap once
        shape = enlarge_spatial(shape, args["dims"], max(args["paddings"]) + 1)
    if mode == "reflect" and args["padding"] == "same":
        shape = enlarge_spatial(shape, args["dims"],
                                max(d * (k - 1) for d, k in zip(args["dilations"], args["kernel"])) + 1)
    kwargs = dict(kernel_size=args["kernel_size"], stride=args["stride"], padding=args["padding"],
                  dilation=args["dilation"], groups=args["groups"], bias=args["bias"], padding_mode=mode)
    name = f"Conv{args['dims']}d"
    x = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    ours, theirs, _, _ = assert_module_matches_torch(
        lambda m: getattr(m.nn, name)(args["in_channels"], args["out_channels"], dtype=getattr(m, dtype), **kwargs),
        [x], rtol=RTOL[dtype], seed=seed)
    assert repr(ours) == repr(theirs)


@given(args=conv_transpose_arguments(), dtype=float_dtypes, use_output_size=st.booleans(),
       seed=st.integers(0, 2**32 - 1))
def test_conv_transpose_module_matches_torch(args, dtype, use_output_size, seed):
    kwargs = dict(kernel_size=args["kernel_size"], stride=args["stride"], padding=args["padding"],
                  output_padding=args["output_padding"], groups=args["groups"], bias=args["bias"],
                  dilation=args["dilation"])
    name = f"ConvTranspose{args['dims']}d"
    x = np.random.default_rng(seed).standard_normal(args["input_shape"]).astype(dtype)
    forward = None
    reachable = all(p < s for p, s in zip(args["output_paddings"], args["strides"]))  # torch's output_size rule
    if use_output_size and reachable:  # ask for the size output_padding gives, via output_size instead
        size = list(conv_transpose_output_size(args["input_shape"][-args["dims"]:], args["kernel"], args["strides"],
                                               args["paddings"], args["output_paddings"], args["dilations"]))

        def forward(module, x):
            return module(x, output_size=size)
    ours, theirs, _, _ = assert_module_matches_torch(
        lambda m: getattr(m.nn, name)(args["in_channels"], args["out_channels"], dtype=getattr(m, dtype), **kwargs),
        [x], rtol=RTOL[dtype], seed=seed, call=forward)
    assert repr(ours) == repr(theirs)


# ----------------------------------------------------------------------------------------------------
# worked examples (known input -> known output)


def arange_5x5():
    return npconv.arange(25.0).reshape(1, 1, 5, 5)


def test_tutorial_5x5_arange_2x2_ones():
    kernel = npconv.ones(1, 1, 2, 2)
    y = F.conv2d(arange_5x5(), kernel)
    # each output is the sum of a 2x2 block: x[i,j] + x[i,j+1] + x[i+1,j] + x[i+1,j+1] = 4 * (5i + j) + 12
    assert y.shape == (1, 1, 4, 4)
    assert y[0, 0].tolist() == [[12.0, 16.0, 20.0, 24.0], [32.0, 36.0, 40.0, 44.0],
                                [52.0, 56.0, 60.0, 64.0], [72.0, 76.0, 80.0, 84.0]]
    assert F.conv2d(arange_5x5(), kernel, stride=2)[0, 0].tolist() == [[12.0, 20.0], [52.0, 60.0]]
    padded = F.conv2d(arange_5x5(), kernel, padding=1)
    assert padded.shape == (1, 1, 6, 6)
    assert padded[0, 0, 0].tolist() == [0.0, 1.0, 3.0, 5.0, 7.0, 4.0]
    dilated = F.conv2d(arange_5x5(), kernel, dilation=2)  # taps (0,0),(0,2),(2,0),(2,2)
    assert dilated[0, 0].tolist() == [[24.0, 28.0, 32.0], [44.0, 48.0, 52.0], [64.0, 68.0, 72.0]]


def test_tutorial_transposed_with_output_padding():
    x = npconv.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    kernel = npconv.ones(1, 1, 2, 2)
    y = F.conv_transpose2d(x, kernel, stride=2)  # each input spreads to its own 2x2 block
    assert y[0, 0].tolist() == [[1.0, 1.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0],
                                [3.0, 3.0, 4.0, 4.0], [3.0, 3.0, 4.0, 4.0]]
    y = F.conv_transpose2d(x, kernel, stride=2, output_padding=1)  # one more row and column, zeros
    assert y.shape == (1, 1, 5, 5)
    assert y[0, 0, 4].tolist() == [0.0] * 5 and y[0, 0, :, 4].tolist() == [0.0] * 5
    overlapping = F.conv_transpose2d(x, kernel, stride=1)
    assert overlapping[0, 0].tolist() == [[1.0, 3.0, 2.0], [4.0, 10.0, 6.0], [3.0, 7.0, 4.0]]


def test_transposed_layer_inverts_the_shape_of_a_strided_conv():
    down = nn.Conv2d(3, 8, 3, stride=2, padding=1)
    up = nn.ConvTranspose2d(8, 3, 3, stride=2, padding=1)
    x = npconv.randn(1, 3, 28, 28)
    h = down(x)
    assert h.shape == (1, 8, 14, 14)
    assert up(h).shape == (1, 3, 27, 27)
    assert up(h, output_size=x.shape).shape == (1, 3, 28, 28)


def test_same_padding_even_kernel_pads_more_on_the_right():
    x = npconv.arange(5.0).reshape(1, 1, 5)
    y = F.conv1d(x, npconv.ones(1, 1, 2), padding="same")  # pads (0, 1): x[i] + x[i+1]
    assert y.tolist() == [[[1.0, 3.0, 5.0, 7.0, 4.0]]]


def test_unbatched_input_and_dtype_kept():
    layer = nn.Conv1d(2, 3, 3).double()
    x = npconv.randn(2, 7, dtype=npconv.float64)
    y = layer(x)
    assert y.shape == (3, 5) and y.dtype == npconv.float64


def test_lenet_parameter_counts():
    assert sum(p.numel() for p in nn.Conv2d(1, 6, 5).parameters()) == 156
    assert sum(p.numel() for p in nn.Conv2d(6, 16, 5).parameters()) == 2416
    assert nn.ConvTranspose2d(16, 6, 5, groups=2).weight.shape == (16, 3, 5, 5)


# ----------------------------------------------------------------------------------------------------
# initialisation, repr


@pytest.mark.parametrize("cls, args", [("Conv2d", (6, 16, 5)), ("Conv1d", (4, 8, 3)),
                                       ("ConvTranspose3d", (4, 6, 2)), ("Conv3d", (2, 4, (1, 2, 3)))])
def test_initialisation_bounds(cls, args):
    npconv.manual_seed(0)
    layer = getattr(nn, cls)(*args)
    fan_in = layer.weight.shape[1] * math.prod(layer.weight.shape[2:])
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform with a=sqrt(5): gain sqrt(1/3) * sqrt(3 / fan_in)
    weights = layer.weight.detach().numpy()
    assert np.abs(weights).max() <= bound and np.abs(weights).max() > 0.8 * bound
    assert np.abs(layer.bias.detach().numpy()).max() <= bound
    before = weights.copy()
    layer.reset_parameters()
    assert not np.array_equal(before, layer.weight.detach().numpy())


@pytest.mark.parametrize("build", [
    lambda m: m.Conv2d(1, 20, 5),
    lambda m: m.Conv1d(4, 8, 3, stride=2, padding="valid", bias=False),
    lambda m: m.Conv3d(2, 4, (1, 2, 3), padding="same", dilation=2, padding_mode="replicate"),
    lambda m: m.Conv2d(4, 4, 3, groups=4, padding=[1, 2], padding_mode="circular"),
    lambda m: m.ConvTranspose2d(8, 4, 4, stride=2, padding=1, output_padding=1, dilation=2, groups=2),
    lambda m: m.ConvTranspose1d(3, 3, 1, bias=False),
])
def test_repr_and_shapes_like_torch(build):
    ours, theirs = build(nn), build(torch.nn)
    assert repr(ours) == repr(theirs)
    assert tuple(ours.weight.shape) == tuple(theirs.weight.shape)
    assert [name for name, _ in ours.named_parameters()] == [name for name, _ in theirs.named_parameters()]


# ----------------------------------------------------------------------------------------------------
# invalid arguments: the same exception type as torch, before any large allocation

X4 = (2, 4, 8, 8)
BAD_FUNCTIONAL = [
    ("conv2d", X4, (6, 2, 3, 3), dict(groups=3)),             # channels not divisible by groups
    ("conv2d", X4, (5, 2, 3, 3), dict(groups=2)),             # out channels not divisible
    ("conv2d", X4, (6, 3, 3, 3), {}),                         # weight channels mismatch
    ("conv2d", X4, (6, 4, 9, 9), {}),                         # kernel larger than input
    ("conv2d", X4, (6, 4, 3, 3), dict(dilation=4)),           # dilated kernel larger than input
    ("conv2d", X4, (6, 4, 3, 3), dict(padding="same", stride=2)),
    ("conv2d", X4, (6, 4, 3, 3), dict(padding="full")),
    ("conv2d", (1, 2, 4, 8, 8), (6, 4, 3, 3), {}),           # wrong input rank
    ("conv2d", (8, 8), (6, 4, 3, 3), {}),
    ("conv2d", X4, (6, 4, 3), {}),                            # weight rank
    ("conv2d", X4, (6, 4, 3, 3), dict(stride=0)),
    ("conv2d", X4, (6, 4, 3, 3), dict(stride=-2)),
    ("conv2d", X4, (6, 4, 3, 3), dict(padding=-1)),
    ("conv2d", X4, (6, 4, 3, 3), dict(dilation=0)),
    ("conv2d", X4, (6, 4, 3, 3), dict(groups=0)),
    ("conv2d", X4, (6, 4, 3, 3), dict(stride=(1, 1, 1))),
    ("conv2d", X4, (6, 4, 3, 3), dict(padding=1.5)),
    ("conv2d", X4, (0, 4, 3, 3), {}),                         # zero output channels
    ("conv2d", (2, 4, 0, 8), (6, 4, 3, 3), {}),               # zero-size input
    ("conv1d", (10,), (2, 3, 3), {}),
    ("conv3d", (1, 2, 4, 4, 4), (3, 2, 5, 1, 1), {}),
    ("conv_transpose2d", (2, 4, 5, 5), (4, 3, 3, 3), dict(stride=2, output_padding=2)),  # op >= stride, dil
    ("conv_transpose2d", (2, 4, 5, 5), (4, 3, 3, 3), dict(output_padding=-1)),
    ("conv_transpose2d", (2, 5, 5, 5), (4, 3, 3, 3), {}),     # input channels mismatch
    ("conv_transpose2d", (2, 3, 5, 5), (3, 3, 3, 3), dict(groups=2)),
    ("conv_transpose2d", (1, 4, 1, 1), (4, 3, 3, 3), dict(padding=2)),  # output size < 1
    ("conv_transpose2d", (2, 4, 5, 5), (4, 3, 3, 3), dict(padding="same")),
    ("conv_transpose2d", (2, 4, 0, 5), (4, 3, 3, 3), {}),
    ("conv_transpose1d", (2, 4, 5), (4, 3, 3), dict(stride=2, dilation=2, output_padding=2)),
]


@pytest.mark.parametrize("name, x_shape, w_shape, kwargs", BAD_FUNCTIONAL)
def test_invalid_arguments_raise_like_torch(name, x_shape, w_shape, kwargs):
    ours, _ = assert_same_error(lambda m, x, w: getattr(m.nn.functional, name)(x, w, **kwargs),
                                [np.zeros(x_shape, np.float32), np.zeros(w_shape, np.float32)])
    assert str(ours)  # a message that says something


@pytest.mark.parametrize("bias_shape", [(5,), (6, 1)])
def test_wrong_bias_like_torch(bias_shape):
    with pytest.raises(RuntimeError, match="bias"):
        TF.conv2d(torch.zeros(X4), torch.zeros(6, 4, 3, 3), torch.zeros(bias_shape))
    with pytest.raises(RuntimeError, match="bias"):
        F.conv2d(npconv.zeros(X4), npconv.zeros(6, 4, 3, 3), npconv.zeros(bias_shape))


@pytest.mark.parametrize("input_dtype", ["float32", "float64"])   # oneDNN's words, then the slow kernel's
def test_dtype_mismatch_like_torch(input_dtype):
    weight_dtype = {"float32": "float64", "float64": "float32"}[input_dtype]
    with pytest.raises(RuntimeError) as expected:
        TF.conv2d(torch.zeros(X4, dtype=getattr(torch, input_dtype)),
                  torch.zeros(6, 4, 3, 3, dtype=getattr(torch, weight_dtype)))
    with pytest.raises(RuntimeError) as got:
        F.conv2d(npconv.zeros(X4, dtype=getattr(npconv, input_dtype)),
                 npconv.zeros(6, 4, 3, 3, dtype=getattr(npconv, weight_dtype)))
    assert str(got.value) == str(expected.value)


@pytest.mark.parametrize("build", [
    lambda m: m.Conv2d(4, 6, 3, groups=0),
    lambda m: m.Conv2d(5, 6, 3, groups=2),
    lambda m: m.Conv2d(4, 5, 3, groups=2),
    lambda m: m.Conv2d(4, 6, 3, padding="full"),
    lambda m: m.Conv2d(4, 6, 3, padding="same", stride=2),
    lambda m: m.Conv2d(4, 6, 3, padding_mode="mirror"),
    lambda m: m.ConvTranspose2d(4, 6, 3, padding_mode="reflect"),
])
def test_invalid_constructor_arguments_like_torch(build):
    with pytest.raises(ValueError):
        build(torch.nn)
    with pytest.raises(ValueError):
        build(nn)


def test_output_size_out_of_range_like_torch():
    x = np.zeros((1, 4, 5, 5), np.float32)
    for m, t in ((nn, npconv), (torch.nn, torch)):
        layer = m.ConvTranspose2d(4, 2, 3, stride=2)
        with pytest.raises(ValueError, match="requested an output size"):
            layer(t.from_numpy(x.copy()), output_size=[14, 14])
        with pytest.raises(ValueError, match="output_size must have"):
            layer(t.from_numpy(x.copy()), output_size=[11])


def test_output_too_large_is_refused_before_allocating():
    # a transposed conv with a huge stride asks for ~ 200 GiB: torch's allocator error, at once
    ours, _ = assert_same_error(lambda m, x, w: m.nn.functional.conv_transpose2d(x, w, stride=10**6),
                                [np.zeros((1, 1, 4, 4), np.float32), np.zeros((1, 4096, 3, 3), np.float32)])
    assert re.match(r"\[enforce fail at alloc_cpu.cpp:127\] err == 0. DefaultCPUAllocator: can't allocate memory: "
                    r"you tried to allocate \d+ bytes", str(ours))


def test_expanded_huge_input_is_refused_as_torch():
    # torch first copies the broadcast input: its allocator error, with that size
    ours, theirs = assert_same_error(lambda m, w: m.nn.functional.conv2d(m.zeros(1, 1, 1, 1).expand(1, 1, 10**6, 10**6),
                                                                        w), [np.ones((1, 1, 3, 3), np.float32)])
    assert str(ours) == str(theirs)


@pytest.mark.parametrize("dims, stride, output_padding", [(1, 2, 2), (2, 2, 2), (2, (2, 3), (1, 3)), (3, 2, 2)])
def test_conv_transpose_output_padding_error_words_it_as_torch(dims, stride, output_padding):
    # found by the explorer's test that shows torch's error text for invalid combinations
    layer = lambda m: getattr(m.nn, f"ConvTranspose{dims}d")(1, 1, 3, stride=stride, output_padding=output_padding)
    ours, theirs = assert_same_error(lambda m, x: layer(m)(x), [np.zeros((1, 1) + (4,) * dims, np.float32)])
    assert str(ours) == str(theirs)
