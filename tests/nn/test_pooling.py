"""Pooling and unpooling (npconv/nn/functional/pooling.py, npconv/nn/modules/pooling.py,
npconv/kernels/pooling.py) against torch: values, indices, gradients, errors; plus worked examples."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, strategies as st

import npconv
import npconv.nn.functional as F
from tests.strategies import int_or_tuple, pooling_arguments, pooling_input
from tests.torch_compare import (ABSOLUTE_TOLERANCE, assert_matches_torch, assert_same_error, torch_accepts,
                                  assert_shape_only_matches_torch)

FUNCTIONS = {
    "max": ([None, F.max_pool1d, F.max_pool2d, F.max_pool3d], [None, TF.max_pool1d, TF.max_pool2d, TF.max_pool3d]),
    "avg": ([None, F.avg_pool1d, F.avg_pool2d, F.avg_pool3d], [None, TF.avg_pool1d, TF.avg_pool2d, TF.avg_pool3d]),
    "amax": ([None, F.adaptive_max_pool1d, F.adaptive_max_pool2d, F.adaptive_max_pool3d],
             [None, TF.adaptive_max_pool1d, TF.adaptive_max_pool2d, TF.adaptive_max_pool3d]),
    "aavg": ([None, F.adaptive_avg_pool1d, F.adaptive_avg_pool2d, F.adaptive_avg_pool3d],
             [None, TF.adaptive_avg_pool1d, TF.adaptive_avg_pool2d, TF.adaptive_avg_pool3d]),
    "lp": ([None, F.lp_pool1d, F.lp_pool2d, F.lp_pool3d], [None, TF.lp_pool1d, TF.lp_pool2d, TF.lp_pool3d]),
    "unpool": ([None, F.max_unpool1d, F.max_unpool2d, F.max_unpool3d],
               [None, TF.max_unpool1d, TF.max_unpool2d, TF.max_unpool3d]),
}


def pair(kind, dims):
    ours, theirs = FUNCTIONS[kind]
    return ours[dims], theirs[dims]


def torch_max_pool_is_safe(x, dims, args):
    """torch's max-pool backward writes out of bounds when a window lies wholly in the padding (its
    index points outside the plane): such cases are compared forward only."""
    try:
        out = FUNCTIONS["max"][1][dims](torch.from_numpy(x), **args)
    except RuntimeError:
        return True
    return not torch.isinf(out).any()


@given(dims=st.integers(1, 3), data=st.data())
def test_max_pool_matches_torch(dims, data):
    args = data.draw(pooling_arguments(dims))
    x = args.pop("input")
    return_indices = data.draw(st.booleans())
    ours, theirs = pair("max", dims)
    assert_matches_torch((lambda t: ours(t, **args, return_indices=return_indices),
                          lambda t: theirs(t, **args, return_indices=return_indices)),
                         [x],
                         check_grad=torch_max_pool_is_safe(x, dims, args), atol=ABSOLUTE_TOLERANCE, expect_errors=True)


@given(dims=st.integers(1, 3), data=st.data())
def test_avg_pool_matches_torch(dims, data):
    args = data.draw(pooling_arguments(dims, with_dilation=False))
    x = args.pop("input")
    del args["dilation"]
    args["count_include_pad"] = data.draw(st.booleans())
    if dims > 1:
        args["divisor_override"] = data.draw(st.sampled_from([None, 1, 3]))
    ours, theirs = pair("avg", dims)
    assert_matches_torch((lambda t: ours(t, **args), lambda t: theirs(t, **args)),
                         [x], atol=ABSOLUTE_TOLERANCE, expect_errors=True)


@given(dims=st.integers(1, 3), data=st.data())
def test_adaptive_pools_match_torch(dims, data):
    x = data.draw(pooling_input(dims))
    size = tuple(data.draw(st.integers(1, 9)) for _ in range(dims))
    if dims > 1 and data.draw(st.booleans()):
        size = (None,) + size[1:]
    output_size = data.draw(int_or_tuple(size))
    ours, theirs = pair("aavg", dims)
    assert_matches_torch((lambda t: ours(t, output_size), lambda t: theirs(t, output_size)),
                         [x], atol=ABSOLUTE_TOLERANCE, expect_errors=True)
    return_indices = data.draw(st.booleans())
    ours, theirs = pair("amax", dims)
    assert_matches_torch((lambda t: ours(t, output_size, return_indices),
                          lambda t: theirs(t, output_size, return_indices)),
                         [x], atol=ABSOLUTE_TOLERANCE, expect_errors=True)


@given(dims=st.integers(1, 3), data=st.data())
def test_lp_pool_matches_torch(dims, data):
    args = data.draw(pooling_arguments(dims, with_dilation=False, invalid_share=None))
    x = args.pop("input")
    x = np.abs(x) + 0.1 if data.draw(st.booleans()) else x
    norm = data.draw(st.sampled_from([1, 2, 3, 1.5, float("inf")]))
    kernel = args["kernel_size"]
    if dims == 1 and isinstance(kernel, tuple):
        kernel = kernel[0]  # torch's lp_pool1d multiplies by kernel_size: it must be an int
    ours, theirs = pair("lp", dims)
    assert_matches_torch((lambda t: ours(t, norm, kernel, args["stride"], args["ceil_mode"]),
                          lambda t: theirs(t, norm, kernel, args["stride"], args["ceil_mode"])),
                         [x], atol=ABSOLUTE_TOLERANCE, expect_errors=True)


@given(dims=st.integers(1, 3), data=st.data())
def test_max_unpool_inverts_max_pool_as_torch(dims, data):
    kernel = tuple(data.draw(st.integers(1, 3)) for _ in range(dims))
    x = data.draw(pooling_input(dims, low=kernel))
    stride = tuple(data.draw(st.integers(1, 3)) for _ in range(dims))
    padding = tuple(data.draw(st.integers(0, k // 2)) for k in kernel)
    try:
        pooled, indices = FUNCTIONS["max"][1][dims](torch.from_numpy(x), kernel, stride, padding,
                                                    return_indices=True)
    except RuntimeError:
        return
    explicit = data.draw(st.booleans())
    output_size = tuple(x.shape[-dims:]) if explicit else None
    ours, theirs = pair("unpool", dims)
    # Overlapping windows can pick one element twice: it is then written twice, with the same value.
    assert_matches_torch((lambda v, i: ours(v, i, kernel, stride, padding, output_size),
                          lambda v, i: theirs(v, i, kernel, stride, padding, output_size)),
                         [pooled.numpy(), indices.numpy()], atol=ABSOLUTE_TOLERANCE, expect_errors=True)


# ---------------------------------------------------------------------------------------------
# Errors

@pytest.mark.parametrize("call", [
    lambda F, x: F.max_pool2d(x, 3, padding=2),                  # padding more than half the kernel
    lambda F, x: F.max_pool2d(x, 2, padding=-1),
    lambda F, x: F.max_pool2d(x, 6),                             # empty output
    lambda F, x: F.max_pool2d(x, 2, 0),                          # zero stride
    lambda F, x: F.max_pool2d(x, 2, 1, 0, 0),                    # zero dilation
    lambda F, x: F.max_pool2d(x, (2, 2, 2)),                     # wrong tuple length
    lambda F, x: F.max_pool2d(x[0, 0], 2),                       # wrong rank
    lambda F, x: F.max_pool1d(x, 2),
    lambda F, x: F.max_pool3d(x[0], 2),
    lambda F, x: F.avg_pool2d(x, 3, padding=2),
    lambda F, x: F.avg_pool2d(x, 2, divisor_override=0),
    lambda F, x: F.avg_pool1d(x, 2),
    lambda F, x: F.avg_pool2d(x, 6),
    lambda F, x: F.adaptive_avg_pool2d(x, (1, 2, 3)),
    lambda F, x: F.adaptive_max_pool2d(x[None], 1),
    lambda F, x: F.adaptive_avg_pool1d(x, 1),
    lambda F, x: F.max_unpool2d(x, F.max_pool2d(x, 1, return_indices=True)[1] + 100, 2),
    lambda F, x: F.max_unpool1d(x[0, 0, 0], F.max_pool1d(x[0, 0, :1], 1, return_indices=True)[1][0], 2),
    lambda F, x: F.max_unpool1d(x, F.max_pool2d(x, 1, return_indices=True)[1], 2),   # wrong rank: 2-d words
    lambda F, x: F.max_unpool2d(x[0, 0], F.max_pool1d(x[0], 1, return_indices=True)[1][0], 2),
    lambda F, x: F.max_unpool3d(x[0], F.max_pool2d(x[0], 1, return_indices=True)[1], 2),
    # max_pool1d without indices is a kernel of its own in torch, with its own messages
    lambda F, x: F.max_pool1d(x[0], 3, padding=2),
    lambda F, x: F.max_pool1d(x[0], 7),
    lambda F, x: F.max_pool1d(x[0], 7, return_indices=True),
    lambda F, x: F.max_pool1d(x[0], 0, 1),
    lambda F, x: F.max_pool1d(x[0], (2, 2)),
    lambda F, x: F.avg_pool1d(x[0], (2, 2)),
    lambda F, x: F.avg_pool1d(x[0], 7),
    lambda F, x: F.adaptive_max_pool1d(x[0], (2, 2)),
])
def test_invalid_arguments_raise_like_torch(call):
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 5)).astype(np.float32)
    assert_same_error(lambda m, t: call(m.nn.functional, t), [x], same_message=True)


def test_error_comes_before_allocation():
    x = npconv.zeros(1, 1, 4, 4)
    with pytest.raises(RuntimeError, match="pad should be at most half"):
        F.max_pool2d(x, 2, padding=5)


# ---------------------------------------------------------------------------------------------
# Worked examples and properties

def test_max_unpool_of_4x4_map_reproduces_torch_sparse_result():
    x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)[..., ::-1].copy()
    pool, unpool = npconv.nn.MaxPool2d(2, return_indices=True), npconv.nn.MaxUnpool2d(2)
    y, indices = pool(npconv.from_numpy(x))
    restored = unpool(y, indices)
    expected = torch.nn.MaxUnpool2d(2)(*torch.nn.MaxPool2d(2, return_indices=True)(torch.from_numpy(x)))
    np.testing.assert_array_equal(restored.numpy(), expected.numpy())
    assert restored.numpy()[0, 0].tolist() == [[0, 0, 0, 0], [7, 0, 5, 0], [0, 0, 0, 0], [15, 0, 13, 0]]


def test_ties_pick_the_first_maximum_in_scan_order():
    x = npconv.tensor([[[[1.0, 1.0], [1.0, 1.0]]]])
    _, indices = F.max_pool2d(x, 2, return_indices=True)
    assert indices.tolist() == [[[[0]]]]


def test_nan_wins_and_the_last_nan_is_reported():
    x = np.array([[[1.0, np.nan, 3.0, np.nan, 2.0]]])
    assert_matches_torch((lambda t: F.max_pool1d(t, 5, return_indices=True),
                          lambda t: TF.max_pool1d(t, 5, return_indices=True)), [x], atol=ABSOLUTE_TOLERANCE)


@pytest.mark.parametrize("shape, args", [
    ((2, 3, 9, 8), dict(kernel_size=2)),                                    # windows share no element
    ((2, 3, 9, 8), dict(kernel_size=3, stride=2, padding=1)),               # overlapping, padded
    ((2, 3, 9, 8), dict(kernel_size=3, stride=3, padding=1, ceil_mode=True)),
    ((2, 3, 11, 10), dict(kernel_size=2, stride=3, dilation=2, padding=1)),
    ((8, 24, 56, 56), dict(kernel_size=3, stride=2, padding=1)),            # split over the kernel threads
    ((8, 24, 56, 56), dict(kernel_size=2)),
])
def test_max_pool_ties_infinities_and_nans_as_torch(shape, args):
    """Many ties (the first maximum wins), -inf (a window of -inf reports its first tap inside the input),
    NaN (the last NaN wins) and zero gradients of both signs: values, indices and the gradient as torch's."""
    rng = np.random.default_rng(7)
    x = rng.integers(-2, 2, shape).astype(np.float32)
    x[rng.random(shape) < 0.1] = -np.inf
    x[rng.random(shape) < 0.01] = np.nan
    mine, theirs = npconv.from_numpy(x).requires_grad_(), torch.from_numpy(x).requires_grad_()
    (y, i), (ty, ti) = F.max_pool2d(mine, **args, return_indices=True), TF.max_pool2d(theirs, **args, return_indices=True)
    assert np.array_equal(y.detach().numpy(), ty.detach().numpy(), equal_nan=True)
    assert np.array_equal(i.numpy(), ti.numpy())
    grad = rng.standard_normal(y.shape).astype(np.float32)
    grad[rng.random(y.shape) < 0.3] = -0.0
    y.backward(npconv.from_numpy(grad))
    ty.backward(torch.from_numpy(grad))
    assert np.array_equal(mine.grad.numpy(), theirs.grad.numpy())
    assert np.array_equal(np.signbit(mine.grad.numpy()), np.signbit(theirs.grad.numpy()))


def test_stride2_conv_against_conv_then_2x2_max_pool():
    """Two ways to halve a 28x28 map: a stride-2 convolution, or a convolution then 2x2 max pooling.
    Both give 13x13 here, and both match torch value for value with the same weights."""
    x = np.random.default_rng(0).standard_normal((1, 1, 28, 28)).astype(np.float32)
    strided_t, plain_t = torch.nn.Conv2d(1, 4, 3, stride=2), torch.nn.Conv2d(1, 4, 3)
    strided, plain = npconv.nn.Conv2d(1, 4, 3, stride=2), npconv.nn.Conv2d(1, 4, 3)
    for ours, theirs in ((strided, strided_t), (plain, plain_t)):
        ours.load_state_dict({k: npconv.from_numpy(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()})
    by_stride = assert_matches_torch((strided, strided_t), [x], atol=ABSOLUTE_TOLERANCE)[0]
    by_pool = assert_matches_torch((lambda t: F.max_pool2d(plain(t), 2),
                                    lambda t: TF.max_pool2d(plain_t(t), 2)), [x], atol=ABSOLUTE_TOLERANCE)[0]
    assert tuple(by_stride.shape) == tuple(by_pool.shape) == (1, 4, 13, 13)


@pytest.mark.parametrize("module, expected", [
    (lambda nn: nn.MaxPool2d(2), "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"),
    (lambda nn: nn.MaxPool1d(3, 2, 1, ceil_mode=True), None),
    (lambda nn: nn.MaxPool3d((1, 2, 2)), None),
    (lambda nn: nn.AvgPool2d(3, 1, 1), "AvgPool2d(kernel_size=3, stride=1, padding=1)"),
    (lambda nn: nn.AvgPool1d(2), None),
    (lambda nn: nn.AvgPool3d(2, divisor_override=3), None),
    (lambda nn: nn.AdaptiveAvgPool2d((1, 1)), "AdaptiveAvgPool2d(output_size=(1, 1))"),
    (lambda nn: nn.AdaptiveAvgPool1d(4), None),
    (lambda nn: nn.AdaptiveAvgPool3d((None, 2, 2)), None),
    (lambda nn: nn.AdaptiveMaxPool2d(3, return_indices=True), None),
    (lambda nn: nn.AdaptiveMaxPool1d(3), None),
    (lambda nn: nn.AdaptiveMaxPool3d(1), None),
    (lambda nn: nn.LPPool2d(2, 3), None),
    (lambda nn: nn.LPPool1d(1.5, 2, 1), None),
    (lambda nn: nn.MaxUnpool2d(2), None),
    (lambda nn: nn.MaxUnpool1d(3, 2, 1), None),
    (lambda nn: nn.MaxUnpool3d(2), None),
])
def test_module_repr_matches_torch(module, expected):
    mine, theirs = repr(module(npconv.nn)), repr(module(torch.nn))
    assert mine == theirs
    if expected is not None:
        assert mine == expected


@given(data=st.data())
def test_modules_compute_as_functions(data):
    x = data.draw(pooling_input(2, low=4))
    for build in [lambda nn: nn.MaxPool2d(3, 2, 1, ceil_mode=True), lambda nn: nn.AvgPool2d(2, 1, 1, False, False),
                  lambda nn: nn.AdaptiveAvgPool2d((2, None)), lambda nn: nn.AdaptiveMaxPool2d(2),
                  lambda nn: nn.LPPool2d(2, 2)]:
        assert_matches_torch((build(npconv.nn), build(torch.nn)), [x], atol=ABSOLUTE_TOLERANCE, expect_errors=True)


def test_integer_inputs_pool_like_torch():
    x = np.random.default_rng(0).integers(-5, 5, (1, 2, 5, 5))
    assert_matches_torch((lambda t: F.max_pool2d(t, 3, 2, 1, return_indices=True),
                          lambda t: TF.max_pool2d(t, 3, 2, 1, return_indices=True)),
                         [x], check_grad=False, atol=ABSOLUTE_TOLERANCE)


def test_kernel_functions_agree_with_torch_on_a_large_map():
    """The kernels on a 2x8x40x40 map (many windows, many ties) against torch, forward and indices."""
    x = np.round(np.random.default_rng(5).standard_normal((2, 8, 40, 40)) * 2)
    assert_matches_torch((lambda t: F.max_pool2d(t, 3, 2, 1, return_indices=True),
                          lambda t: TF.max_pool2d(t, 3, 2, 1, return_indices=True)), [x], atol=ABSOLUTE_TOLERANCE)
    assert_matches_torch((lambda t: F.avg_pool2d(t, 3, 2, 1, count_include_pad=False),
                          lambda t: TF.avg_pool2d(t, 3, 2, 1, count_include_pad=False)), [x], atol=ABSOLUTE_TOLERANCE)


SHAPE_ONLY_CALLS = {
    "max_pool1d": ((2, 3, 9), lambda F, x: F.max_pool1d(x, 3, 2, 1, ceil_mode=True)),
    "max_pool2d": ((2, 3, 9, 8), lambda F, x: F.max_pool2d(x, 3, 2, 1, dilation=2)),
    "max_pool2d_indices": ((3, 9, 8), lambda F, x: F.max_pool2d(x, 2, return_indices=True)),
    "max_pool3d_indices": ((1, 2, 5, 6, 7), lambda F, x: F.max_pool3d(x, 2, 1, 1, return_indices=True)),
    "avg_pool2d": ((2, 3, 9, 8), lambda F, x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True)),
    "avg_pool3d": ((1, 2, 5, 6, 7), lambda F, x: F.avg_pool3d(x, 2)),
    "adaptive_avg_pool2d": ((2, 3, 9, 8), lambda F, x: F.adaptive_avg_pool2d(x, (4, None))),
    "adaptive_max_pool1d": ((2, 3, 9), lambda F, x: F.adaptive_max_pool1d(x, 4, return_indices=True)),
    "lp_pool2d": ((2, 3, 9, 8), lambda F, x: F.lp_pool2d(x, 2, 3, 2)),
    "lp_pool_inf": ((2, 3, 9, 8), lambda F, x: F.lp_pool2d(x, float("inf"), 2)),
    "unpool_of_pool": ((2, 3, 9, 8), lambda F, x: F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2,
                                                                    output_size=(9, 8))),
}


@pytest.mark.parametrize("name", sorted(SHAPE_ONLY_CALLS))
def test_shape_only_mode_scans_no_window(name):
    shape, call = SHAPE_ONLY_CALLS[name]
    assert_shape_only_matches_torch(lambda m, x: call(m.nn.functional, x), [np.zeros(shape, dtype=np.float32)])


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_max_unpool_in_shape_only_mode(dims):
    """Indices have no values on the meta device: unpooling reads none (torch's real run is the oracle)."""
    x = np.random.default_rng(dims).standard_normal((2, 3) + (6,) * dims)
    y, indices = pair("max", dims)[1](torch.from_numpy(x), 2, return_indices=True)
    unpool = FUNCTIONS["unpool"]
    for meta_input, meta_indices in ((True, True), (True, False), (False, True)):
        def call(m, values, idx):
            f = (unpool[0] if m is npconv else unpool[1])[dims]
            return f(values, idx, 2, output_size=(7,) * dims)
        out = call(torch, y, indices)
        mine = call(npconv, npconv.empty(tuple(y.shape), device="meta", dtype=npconv.float64) if meta_input
                    else npconv.from_numpy(y.numpy()),
                    npconv.empty(tuple(indices.shape), device="meta", dtype=npconv.int64) if meta_indices
                    else npconv.from_numpy(indices.numpy()))
        assert mine.is_meta and tuple(mine.shape) == tuple(out.shape) and mine.dtype == npconv.float64
    assert_shape_only_matches_torch(lambda m, v, i: unpool[0 if m is npconv else 1][dims](v, i, 2),
                                    [y.numpy(), indices.numpy()])


def _graph_names(node, depth=3):
    """Node names along next_functions[0][0], as printing grad_fn chains shows them."""
    names = []
    while node is not None and len(names) < depth:
        names.append(repr(node).split(" object at ")[0])
        following = getattr(node, "next_functions", ())
        node = following[0][0] if following else None
    return names


@pytest.mark.parametrize("dims", [1, 2, 3])
@pytest.mark.parametrize("call", [
    lambda F, n, x: getattr(F, f"max_pool{n}d")(x, 2),
    lambda F, n, x: getattr(F, f"max_pool{n}d")(x, 2, return_indices=True)[0],
    lambda F, n, x: getattr(F, f"avg_pool{n}d")(x, 2),
    lambda F, n, x: getattr(F, f"adaptive_avg_pool{n}d")(x, 2),
    lambda F, n, x: getattr(F, f"adaptive_avg_pool{n}d")(x, 1),
    lambda F, n, x: getattr(F, f"adaptive_max_pool{n}d")(x, 2),
])
@pytest.mark.parametrize("batched", [True, False])
def test_pooling_graph_nodes_are_named_as_torch(dims, call, batched):
    """MaxPool2DWithIndicesBackward0 and friends; 1-d pooling is Squeeze <- 2-d pooling <- Unsqueeze."""
    shape = (1, 2) + (6,) * dims if batched else (2,) + (6,) * dims
    names = [_graph_names(call(lib.nn.functional, dims, lib.ones(shape, requires_grad=True).mul(2)).grad_fn)
             for lib in (npconv, torch)]
    assert names[0] == names[1]


DTYPE_CASES = [("avg", 1), ("avg", 2), ("avg", 3), ("max", 1), ("max", 2), ("max", 3), ("aavg", 1), ("aavg", 2),
               ("aavg", 3), ("amax", 1), ("amax", 2), ("amax", 3), ("lp", 1), ("lp", 2)]


@pytest.mark.parametrize("kind,dims", DTYPE_CASES)
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int16, np.int8, np.uint8, np.bool_, np.float16])
@pytest.mark.parametrize("size", [2, 1])
def test_dtype_support_as_torch(kind, dims, dtype, size):
    """torch's kernels take some dtypes only (integer averages: int64, rounded toward zero; max_pool1d without
    indices, adaptive pools and unpooling: floats; bool max pooling refused); an output size of 1 in adaptive
    average pooling is a mean (whose own dtype error then applies)."""
    x = (np.arange(5 ** dims).reshape((1, 1) + (5,) * dims) * 7 % 11).astype(dtype)
    def call(m, t):
        fn = pair(kind, dims)[0 if m is npconv else 1]
        return fn(t, 2, size) if kind == "lp" else fn(t, size)
    if torch_accepts(call, [x]):
        assert_matches_torch(call, [x])
    else:
        assert_same_error(call, [x], same_message=True)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.bool_])
def test_unpool_refuses_integer_inputs(dtype):
    x, indices = np.ones((1, 1, 2, 2), dtype=dtype), np.zeros((1, 1, 2, 2), dtype=np.int64)
    assert_same_error(lambda m, t, i: m.nn.functional.max_unpool2d(t, i, 2), [x, indices], same_message=True)


def test_integer_average_rounds_toward_zero():
    x = npconv.tensor([[[-3, 0, 5, 2]]])
    assert F.avg_pool1d(x, 2).tolist() == [[[-1, 3]]]  # -3/2 -> -1, 7/2 -> 3


RANK_SHAPES = [(4,), (3, 4), (2, 3, 4), (1, 2, 3, 4), (1, 1, 2, 3, 4), (1, 1, 1, 2, 3, 4), (1, 0, 4), (0, 1, 4),
               (1, 1, 0), (0, 1, 4, 4), (1, 1, 0, 4), (1, 0, 4, 4, 4), (0, 1, 4, 4, 4), (1, 1, 4, 0, 4)]


@pytest.mark.parametrize("kind,dims,indices", [("avg", 1, False), ("avg", 2, False), ("avg", 3, False),
                                               ("max", 1, False), ("max", 1, True), ("max", 2, False),
                                               ("max", 3, True), ("lp", 2, False), ("aavg", 2, False),
                                               ("aavg", 1, False), ("amax", 2, False)])
@pytest.mark.parametrize("shape", RANK_SHAPES, ids=str)
@pytest.mark.parametrize("size", [1, 2])
def test_ranks_and_empty_dimensions_as_torch(kind, dims, indices, shape, size):
    """Wrong ranks and zero-length dimensions: torch's exception and words (each op has its own), or the
    same (possibly empty) result; adaptive average pooling to size 1 is a mean and takes any rank >= its own."""
    def call(m, t):
        fn = pair(kind, dims)[0 if m is npconv else 1]
        if kind == "lp":
            return fn(t, 2, size)
        return fn(t, size, return_indices=True)[0] if indices else fn(t, size)
    x = np.ones(shape)
    if torch_accepts(call, [x]):
        assert_matches_torch(call, [x])
    else:
        assert_same_error(call, [x], same_message=True)


def test_max_pool_window_wholly_in_padding_sends_its_gradient_where_torch_does():
    """A dilated window lying wholly in the padding reports index 1 of a 1-element plane (as torch); torch's
    backward adds its gradient at that offset from the plane's start, into the next plane, and the last
    plane's past the buffer (an out-of-bounds write in torch, dropped here). Not compared live: torch's
    write corrupts its heap."""
    x = npconv.arange(4.0).reshape(4, 1, 1).requires_grad_()
    y, indices = npconv.nn.functional.max_pool1d(x, 2, 3, 1, 2, return_indices=True)
    assert indices.flatten().tolist() == [1, 1, 1, 1] and y.flatten().tolist() == [float("-inf")] * 4
    y.backward(npconv.tensor([[[1.0]], [[2.0]], [[3.0]], [[4.0]]]))
    assert x.grad.flatten().tolist() == [0.0, 1.0, 2.0, 3.0]
