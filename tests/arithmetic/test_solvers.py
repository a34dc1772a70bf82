"""Inverse solvers: every answer really gives the wanted size, and none is missing in a brute-force range."""
import itertools

import pytest
from hypothesis import given, strategies as st

from npconv.arithmetic import (ConvSettings, conv_output_size, conv_transpose_output_size, pool_output_size,
                               solve_conv, solve_conv_transpose, solve_padding, solve_pool)


def test_worked_examples():
    # "how do I go from 128 to 255 with a transposed conv?" -> the textbook answer comes first
    best = solve_conv_transpose(128, 255)[0]
    assert (best.kernel_size, best.stride, best.padding, best.output_padding, best.dilation) == (3, 2, 1, 0, 1)
    # "which padding keeps 64x64 with a 5x5 kernel?"
    assert solve_padding((64, 64), (64, 64), 5) == [(2, 2)]
    assert solve_conv((64, 64), (64, 64), kernel_size=5, dilation=1) == [ConvSettings((5, 5), (1, 1), (2, 2), (1, 1))]
    assert str(solve_conv(224, 112, kernel_size=7)[0]) == "kernel_size=7, stride=2, padding=3, dilation=1"
    best_pool = solve_pool(28, 14)[0]
    assert (best_pool.kernel_size, best_pool.stride, best_pool.padding) == (2, 2, 0)


def test_no_solution_gives_empty_list():
    assert solve_conv(8, 20, max_kernel=3) == []        # a convolution never grows beyond input + padding
    assert solve_padding(10, 3, 3, stride=1) == []


def test_tuple_answers_are_consistent_per_dimension():
    for s in solve_conv((32, 16), (16, 8), kernel_size=3, limit=10):
        assert conv_output_size((32, 16), s.kernel_size, s.stride, s.padding, s.dilation) == (16, 8)
    assert solve_conv((32, 16), (16, 8), kernel_size=3, limit=3)[0] == ConvSettings((3, 3), (2, 2), (1, 1), (1, 1))


def brute_conv(size, wanted, max_kernel, max_stride, max_dilation):
    return {(k, s, p, d) for k, s, d in itertools.product(range(1, max_kernel + 1), range(1, max_stride + 1),
                                                         range(1, max_dilation + 1))
            for p in range(0, d * (k - 1) + 1) if conv_output_size(size, k, s, p, d) == wanted}


@given(size=st.integers(1, 30), wanted=st.integers(1, 30))
def test_solve_conv_is_complete_and_correct(size, wanted):
    found = solve_conv(size, wanted, max_kernel=6, max_stride=3, max_dilation=2)
    assert len(found) == len(set(found))
    assert set(found) == {ConvSettings(*c) for c in brute_conv(size, wanted, 6, 3, 2)}


@given(size=st.integers(1, 20), wanted=st.integers(1, 50))
def test_solve_conv_transpose_is_complete_and_correct(size, wanted):
    found = solve_conv_transpose(size, wanted, max_kernel=6, max_stride=3, max_dilation=2)
    expected = set()
    for k, s, d in itertools.product(range(1, 7), range(1, 4), range(1, 3)):
        for p, op in itertools.product(range(0, d * (k - 1) + 1), range(0, max(s, d))):
            if conv_transpose_output_size(size, k, s, p, op, d) == wanted:
                expected.add((k, s, p, op, d))
    assert {tuple(f) for f in found} == expected


@given(size=st.integers(1, 30), wanted=st.integers(1, 30))
def test_solve_pool_is_complete_and_correct(size, wanted):
    found = solve_pool(size, wanted, max_kernel=5, max_stride=5, max_dilation=2)
    expected = {(k, s, p, d, c) for k, s, d, c in itertools.product(range(1, 6), range(1, 6), range(1, 3),
                                                                    (False, True))
                for p in range(0, k // 2 + 1) if pool_output_size(size, k, s, p, d, c) == wanted}
    assert {tuple(f) for f in found} == expected


@given(size=st.integers(1, 40), kernel=st.integers(1, 7), stride=st.integers(1, 5), dilation=st.integers(1, 3),
       wanted=st.integers(1, 60))
def test_solve_padding_is_complete_and_correct(size, kernel, stride, dilation, wanted):
    expected = [p for p in range(0, 4 * (size + wanted * stride + dilation * kernel))
                if conv_output_size(size, kernel, stride, p, dilation) == wanted]
    assert solve_padding(size, wanted, kernel, stride, dilation) == expected


def test_fixed_values_are_respected():
    for s in solve_conv_transpose(16, 32, stride=2):
        assert s.stride == 2
    assert all(s.output_padding == 1 for s in solve_conv_transpose(16, 32, output_padding=1))


def test_simplest_first_ordering():
    found = solve_conv(64, 64)
    assert found[0] == ConvSettings(1, 1, 0, 1)
    assert all(s.dilation == 1 for s in found[:5])
    with pytest.raises(ValueError):
        solve_conv((8, 8), (8, 8, 8))


def test_limited_tuple_answers_are_the_first_of_all_answers():
    for limit in (1, 3, 8):
        assert solve_conv((20, 11), (10, 6), limit=limit, max_kernel=5) == \
            solve_conv((20, 11), (10, 6), max_kernel=5)[:limit]
        assert solve_pool((9, 12), (4, 6), limit=limit, max_kernel=4, max_stride=4) == \
            solve_pool((9, 12), (4, 6), max_kernel=4, max_stride=4)[:limit]
    every = solve_pool((9, 12), (4, 6), max_kernel=4, max_stride=4)
    assert every and all(pool_output_size((9, 12), *s) == (4, 6) for s in every)
    assert {s.ceil_mode for s in every} == {False, True}
