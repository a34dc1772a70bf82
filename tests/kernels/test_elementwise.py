"""The branch-free element-wise kernels give bit for bit what their plain NumPy spelling gives."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from npconv.kernels import elementwise, threads
from npconv.kernels.elementwise import (clamp_negative_in_place, concatenate, relu, zero_where,
                                       zero_where_compared)

SPECIALS = [np.inf, -np.inf, np.nan, -0.0, 0.0]


def _same_bits(mine, expected):
    assert mine.dtype == expected.dtype and mine.shape == expected.shape
    assert np.array_equal(mine, expected, equal_nan=True)
    assert np.array_equal(np.signbit(mine), np.signbit(expected))  # +0.0 where dropped, -0.0 kept


@settings(max_examples=40, deadline=None)
@given(shape=st.lists(st.integers(0, 5), min_size=0, max_size=4).map(tuple),
       dtype=st.sampled_from([np.float16, np.float32, np.float64]), seed=st.integers(0, 2**16),
       layout=st.sampled_from(["contiguous", "transposed", "broadcast"]))
def test_zero_where_is_np_where(shape, dtype, seed, layout):
    rng = np.random.default_rng(seed)
    values = rng.standard_normal(shape).astype(dtype)
    values.reshape(-1)[:len(SPECIALS)] = SPECIALS[:values.size]
    drop = rng.random(shape) < 0.5
    if layout == "transposed":
        values, drop = values.T, drop.T
    elif layout == "broadcast" and values.ndim:
        values = values[..., :1]   # broadcasts along the last dim of drop
    _same_bits(zero_where(values, drop), np.where(drop, dtype(0), values))


@pytest.mark.parametrize("count", [1, 2])
def test_zero_where_split_over_threads(count, restore_threads):
    threads.set_num_threads(count)
    rng = np.random.default_rng(0)
    values = rng.standard_normal((8, 16, 128, 64)).astype(np.float32)   # big enough to be split
    values.reshape(-1)[::997] = np.inf
    drop = values <= 0.3
    _same_bits(zero_where(values, drop), np.where(drop, np.float32(0), values))


def test_zero_where_other_kinds_fall_back_to_np_where():
    values = np.arange(6).reshape(2, 3)
    drop = values % 2 == 0
    _same_bits(zero_where(values, drop), np.where(drop, 0, values))


@pytest.mark.parametrize("count", [1, 2])
@pytest.mark.parametrize("axis", [0, 1, 3])
def test_concatenate_split_over_threads_is_numpys(count, axis, restore_threads):
    threads.set_num_threads(count)
    rng = np.random.default_rng(1)
    big = rng.standard_normal((4, 16, 128, 128)).astype(np.float32)   # large enough to be split
    other = rng.standard_normal((4, 16, 128, 128))[:, ::-1]          # float64, a reversed view
    arrays = [big, other.astype(np.float32), big[:, :3].copy()] if axis == 1 else [big, other]
    mine, expected = concatenate(arrays, axis), np.concatenate(arrays, axis=axis)
    assert mine.dtype == expected.dtype and np.array_equal(mine, expected)


@pytest.mark.parametrize("count", [1, 2])
@pytest.mark.parametrize("compare", [np.less, np.less_equal])
@pytest.mark.parametrize("shape", [(8, 16, 128, 64), (3, 5), (0, 4)])
def test_zero_where_compared_is_np_where(count, compare, shape, restore_threads):
    threads.set_num_threads(count)
    rng = np.random.default_rng(2)
    values, reference = (rng.standard_normal(shape).astype(np.float32) for _ in range(2))
    for array in (values, reference):
        array.reshape(-1)[:len(SPECIALS)] = SPECIALS[:array.size]
    expected = np.where(compare(reference, np.float32(0)), np.float32(0), values)
    _same_bits(zero_where_compared(values, reference, compare), expected)
    _same_bits(zero_where_compared(values.T, reference.T, compare), expected.T)   # strided: one call


@pytest.mark.parametrize("count", [1, 2])
@pytest.mark.parametrize("shape, layout", [((8, 16, 128, 64), "contiguous"), ((3, 5), "contiguous"),
                                           ((6, 7), "transposed"), ((0, 3), "contiguous")])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_clamp_negative_in_place_is_relu_written_into_x(count, shape, layout, dtype, restore_threads):
    threads.set_num_threads(count)
    x = np.random.default_rng(4).standard_normal(shape).astype(dtype)
    x.reshape(-1)[:len(SPECIALS)] = SPECIALS[:x.size]
    x = x.T if layout == "transposed" else x
    expected = np.where(x < 0, dtype(0), x)
    assert clamp_negative_in_place(x) is x
    _same_bits(x, expected)


@pytest.mark.parametrize("count", [1, 2])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("size", [13, 2**14 + 3, 3 * 2**18 + 5])
def test_relu_keeps_negative_zero_and_nan_in_every_block(count, dtype, size, restore_threads):
    """relu (maximum with a block of zeros, or the mask where NumPy's maximum would not keep ties) is x
    unless x < 0, bit for bit, with the specials in the SIMD body, the block tails and the last piece."""
    threads.set_num_threads(count)
    rng = np.random.default_rng(size)
    values = rng.standard_normal(size).astype(dtype)
    for start in (0, size // 2 - 3, size - len(SPECIALS) - 1):
        values[start:start + len(SPECIALS) + 1] = SPECIALS + [-np.nan]
    expected = np.where(values < 0, dtype(0), values)
    _same_bits(relu(values), expected)
    in_place = values.copy()
    assert relu(in_place, out=in_place) is in_place
    _same_bits(in_place, expected)
    _same_bits(relu(values[::2]), expected[::2])   # strided: the mask


def test_relu_without_numpys_tie_rule_uses_the_mask(monkeypatch):
    monkeypatch.setattr(elementwise, "_maximum_is_relu", {np.dtype(np.float32): False})
    values = np.array([-0.0, np.nan, -1.0, 2.0] * 5000, np.float32)
    _same_bits(relu(values), np.where(values < 0, np.float32(0), values))
