"""Size rules of npconv.arithmetic against torch: worked examples, then random shapes via hypothesis."""
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, strategies as st

from npconv.arithmetic import (conv_output_size, conv_transpose_output_size, interpolate_output_size,
                               pool_output_size, same_padding)


# ----- worked examples (they document the rules) -----

def test_conv_worked_examples():
    assert conv_output_size(32, 5) == 28                      # LeNet's first layer
    assert conv_output_size(224, 3, padding=1) == 224         # VGG keeps the size
    assert conv_output_size(224, 7, stride=2, padding=3) == 112   # ResNet stem
    assert conv_output_size(7, 3, dilation=2) == 3
    assert conv_output_size((32, 28), (5, 3), stride=(1, 2)) == (28, 13)


def test_conv_returns_non_positive_sizes_instead_of_raising():
    assert conv_output_size(2, 5) == -2
    assert conv_output_size(3, 3, dilation=2) == -1


def test_conv_transpose_worked_examples():
    assert conv_transpose_output_size(128, 3, stride=2, padding=1) == 255
    assert conv_transpose_output_size(128, 3, stride=2, padding=1, output_padding=1) == 256
    assert conv_transpose_output_size(1, 4, stride=1, padding=0) == 4     # DCGAN first layer
    assert conv_transpose_output_size((4, 8), 4, stride=2, padding=1) == (8, 16)


def test_pool_worked_examples():
    assert pool_output_size(28, 2) == 14                          # stride defaults to kernel_size
    assert pool_output_size(5, 2, ceil_mode=True) == 3
    assert pool_output_size(112, 3, stride=2, padding=1) == 56    # ResNet max-pool
    # ceil mode: the window that would start in the right padding is dropped
    assert pool_output_size(6, 2, stride=2, padding=1, ceil_mode=True) == 4
    assert pool_output_size((7, 6), (2, 3), stride=None) == (3, 2)


def test_same_padding_puts_the_extra_pixel_on_the_right():
    assert same_padding(3) == (1, 1)
    assert same_padding(4) == (1, 2)
    assert same_padding(3, dilation=2) == (2, 2)
    assert same_padding((4, 5), dilation=(1, 3)) == ((1, 2), (6, 6))


def test_interpolate_output_size_floors():
    assert interpolate_output_size(7, 1.5) == 10
    assert interpolate_output_size((7, 5), 2) == (14, 10)
    assert interpolate_output_size((7, 5), (0.5, 3)) == (3, 15)


def test_argument_errors():
    with pytest.raises(ValueError, match="stride"):
        conv_output_size(8, 3, stride=0)
    with pytest.raises(ValueError, match="spatial dimensions"):
        conv_output_size((8, 8), (3, 3, 3))
    with pytest.raises(TypeError):
        conv_output_size(8.5, 3)


# ----- random cases against torch (one dimension at a time, then a 2-d tuple form) -----

def torch_size(call):
    """torch's output length, or None when torch refuses the arguments."""
    try:
        return call().shape[-1]
    except RuntimeError:
        return None


def agrees(npconv_size, torch_length):
    if torch_length is None:
        return npconv_size <= 0
    return npconv_size == torch_length


hyper = dict(size=st.integers(1, 40), kernel=st.integers(1, 7), stride=st.integers(1, 4),
             padding=st.integers(0, 4), dilation=st.integers(1, 3))


@given(**hyper)
def test_conv_output_size_matches_torch(size, kernel, stride, padding, dilation):
    length = torch_size(lambda: TF.conv1d(torch.zeros(1, 1, size), torch.zeros(1, 1, kernel),
                                          stride=stride, padding=padding, dilation=dilation))
    assert agrees(conv_output_size(size, kernel, stride, padding, dilation), length)


@given(**hyper, output_padding=st.integers(0, 3))
def test_conv_transpose_output_size_matches_torch(size, kernel, stride, padding, dilation, output_padding):
    output_padding = output_padding % max(stride, dilation)   # torch's validity rule
    length = torch_size(lambda: TF.conv_transpose1d(torch.zeros(1, 1, size), torch.zeros(1, 1, kernel),
                                                    stride=stride, padding=padding,
                                                    output_padding=output_padding, dilation=dilation))
    assert agrees(conv_transpose_output_size(size, kernel, stride, padding, output_padding, dilation), length)


@given(**hyper, ceil_mode=st.booleans())
def test_pool_output_size_matches_torch(size, kernel, stride, padding, dilation, ceil_mode):
    padding = min(padding, kernel // 2)   # torch refuses more padding than half the kernel
    length = torch_size(lambda: TF.max_pool1d(torch.zeros(1, 1, size), kernel, stride, padding, dilation,
                                              ceil_mode=ceil_mode))
    assert agrees(pool_output_size(size, kernel, stride, padding, dilation, ceil_mode), length)
    avg = torch_size(lambda: TF.avg_pool1d(torch.zeros(1, 1, size), kernel, stride, padding,
                                           ceil_mode=ceil_mode))
    assert agrees(pool_output_size(size, kernel, stride, padding, 1, ceil_mode), avg)


@pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel")
@given(size=st.integers(1, 20), kernel=st.integers(1, 7), dilation=st.integers(1, 3))
def test_same_padding_matches_torch(size, kernel, dilation):
    weight = torch.arange(kernel, dtype=torch.float64).reshape(1, 1, kernel)
    signal = torch.arange(size, dtype=torch.float64).reshape(1, 1, size) + 1
    expected = TF.conv1d(signal, weight, padding="same", dilation=dilation)
    left, right = same_padding(kernel, dilation)
    got = TF.conv1d(TF.pad(signal, (left, right)), weight, dilation=dilation)
    assert torch.equal(got, expected)


@given(h=st.integers(1, 20), w=st.integers(1, 20), kh=st.integers(1, 5), kw=st.integers(1, 5),
       sh=st.integers(1, 3), sw=st.integers(1, 3))
def test_tuple_form_matches_torch_2d(h, w, kh, kw, sh, sw):
    try:
        expected = tuple(TF.conv2d(torch.zeros(1, 1, h, w), torch.zeros(1, 1, kh, kw), stride=(sh, sw)).shape[2:])
    except RuntimeError:
        expected = None
    got = conv_output_size((h, w), (kh, kw), stride=(sh, sw))
    assert isinstance(got, tuple)
    if expected is None:
        assert min(got) <= 0
    else:
        assert got == expected


@given(size=st.integers(1, 30), scale=st.floats(0.1, 4.0))
def test_interpolate_output_size_matches_torch(size, scale):
    length = torch_size(lambda: TF.interpolate(torch.zeros(1, 1, size), scale_factor=scale))
    assert agrees(interpolate_output_size(size, scale), length)


# ----- N-d cases drawn by the project's shared layer strategies (tests/strategies.py)

from tests.strategies import conv_arguments, conv_transpose_arguments  # noqa: E402


def _torch_conv(args, transposed=False):
    dims = args["dims"]
    x = torch.zeros(args["input_shape"], dtype=torch.float64)
    w = torch.zeros(args["weight_shape"], dtype=torch.float64)
    if transposed:
        op = getattr(TF, f"conv_transpose{dims}d")
        return op(x, w, stride=args["stride"], padding=args["padding"], output_padding=args["output_padding"],
                  groups=args["groups"], dilation=args["dilation"])
    op = getattr(TF, f"conv{dims}d")
    return op(x, w, stride=args["stride"], padding=args["padding"], dilation=args["dilation"], groups=args["groups"])


@pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel")
@given(conv_arguments())
def test_nd_conv_sizes_match_torch(args):
    spatial = tuple(args["input_shape"][-args["dims"]:])
    expected = tuple(_torch_conv(args).shape[-args["dims"]:])
    if args["paddings"] is None:                      # 'same' / 'valid'
        if args["padding"] == "same":
            pairs = same_padding(args["kernel"], args["dilations"])
            assert conv_output_size(spatial, args["kernel"], 1, 0, args["dilations"]) == \
                tuple(e - left - right for e, (left, right) in zip(expected, pairs))
            assert expected == spatial
        else:
            assert conv_output_size(spatial, args["kernel"], args["strides"], 0, args["dilations"]) == expected
        return
    # torch's own argument forms (ints or tuples) against a tuple of sizes: a tuple comes back
    assert conv_output_size(spatial, args["kernel_size"], args["stride"], args["padding"], args["dilation"]) == \
        expected


@given(conv_transpose_arguments())
def test_nd_conv_transpose_sizes_match_torch(args):
    spatial = tuple(args["input_shape"][-args["dims"]:])
    expected = tuple(_torch_conv(args, transposed=True).shape[-args["dims"]:])
    assert conv_transpose_output_size(spatial, args["kernel"], args["strides"], args["paddings"],
                                      args["output_paddings"], args["dilations"]) == expected
