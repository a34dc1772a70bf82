"""torch's argument-parser rules (npconv/_ops/parsing.py) as the pooling ops apply them:
wrong argument types raise torch's TypeError, word for word, before anything runs."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from npconv._ops.parsing import type_name
from tests.torch_compare import assert_matches_torch, assert_same_error, torch_accepts

ONES = {1: np.ones((1, 1, 4)), 2: np.ones((1, 1, 4, 4)), 3: np.ones((1, 1, 4, 4, 4))}
BAD_INTS = [2.0, 2.5, True, None, "2", (2.0, 2), (True, 2), (2, None), (2, "2"), [2, 2.5], np.array([2, 2]),
            range(2, 4), 2 + 0j]
BAD_BOOLS = [None, 1, 0, "a", np.bool_(True), 1.0]


def _pool(kind, dims):
    return f"{kind}_pool{dims}d"


@pytest.mark.parametrize("kind", ["avg", "max"])
@pytest.mark.parametrize("dims", [1, 2, 3])
@pytest.mark.parametrize("name", ["kernel_size", "stride", "padding", "dilation"])
@pytest.mark.parametrize("bad", BAD_INTS, ids=repr)
def test_pool_window_arguments_refused_as_torch(kind, dims, name, bad):
    if kind == "avg" and name == "dilation" or name == "stride" and bad is None:
        return  # avg pooling has no dilation; stride=None means the kernel size
    kwargs = {"kernel_size": 2, name: bad}
    assert_same_error(lambda m, x: getattr(m.nn.functional, _pool(kind, dims))(x, **kwargs), [ONES[dims]],
                      same_message=True)


@pytest.mark.parametrize("kind", ["avg", "max"])
@pytest.mark.parametrize("bad", BAD_INTS, ids=repr)
def test_pool_positional_kernel_names_its_position(kind, bad):
    assert_same_error(lambda m, x: getattr(m.nn.functional, _pool(kind, 2))(x, bad), [ONES[2]],
                      same_message=True)


@pytest.mark.parametrize("call", ["avg_pool2d(x, 2, ceil_mode=b)", "avg_pool2d(x, 2, None, 0, b)",
                                  "avg_pool3d(x, 2, count_include_pad=b)", "max_pool2d(x, 2, ceil_mode=b)",
                                  "max_pool1d(x, 2, ceil_mode=b, return_indices=True)"])
@pytest.mark.parametrize("b", BAD_BOOLS, ids=repr)
def test_pool_flags_must_be_bools(call, b):
    dims = int(call.split("(")[0][-2])
    assert_same_error(lambda m, x: eval(f"m.nn.functional.{call}", {"m": m, "x": x, "b": b}), [ONES[dims]],
                      same_message=True)


@pytest.mark.parametrize("divisor", [2.5, True, "2", 2.0])
def test_divisor_override_must_be_int(divisor):
    assert_same_error(lambda m, x: m.nn.functional.avg_pool2d(x, 2, divisor_override=divisor), [ONES[2]],
                      same_message=True)


@pytest.mark.parametrize("kind", ["avg", "max"])
@pytest.mark.parametrize("dims", [1, 2, 3])
@pytest.mark.parametrize("size", [True, 2.0, None, "a", (2, None), (2.0,), (2, 2.0), (True, 2), np.int64(2)],
                         ids=repr)
def test_adaptive_output_size_refused_as_torch(kind, dims, size):
    def call(m, x):
        return getattr(m.nn.functional, f"adaptive_{kind}_pool{dims}d")(x, size)
    if torch_accepts(call, [ONES[dims]]):  # None keeps the input size in 2-d and 3-d
        assert_matches_torch(call, [ONES[dims]])
    else:
        assert_same_error(call, [ONES[dims]], same_message=True)


@pytest.mark.parametrize("args", ["2.5", "2, 2.5", "2, 2, 1.5", "2, output_size=(8.0, 8)", "(2, 2.5)"])
def test_unpool_float_windows_refused_by_the_size_parser(args):
    indices = np.zeros((1, 1, 4, 4), dtype=np.int64)
    assert_same_error(lambda m, x, i: eval(f"m.nn.functional.max_unpool2d(x, i, {args})",
                                           {"m": m, "x": x, "i": i}), [ONES[2], indices], same_message=True)


def test_unpool_module_float_kernel_refused():
    indices = np.zeros((1, 1, 4, 4), dtype=np.int64)
    assert_same_error(lambda m, x, i: m.nn.MaxUnpool2d(kernel_size=2.5)(x, i), [ONES[2], indices],
                      same_message=True)


def test_module_passes_arguments_by_position():
    assert_same_error(lambda m, x: m.nn.AvgPool2d(2, ceil_mode=None)(x), [ONES[2]], same_message=True)
    assert_same_error(lambda m, x: m.nn.MaxPool3d(2.5)(x), [ONES[3]], same_message=True)


@given(st.one_of(st.integers(-3, 5), st.tuples(st.integers(1, 3), st.integers(1, 3)),
                 st.lists(st.integers(1, 3), min_size=1, max_size=1)))
def test_good_int_arguments_still_pool_as_torch(kernel):
    def call(m, x):
        return m.nn.functional.max_pool2d(x, kernel)
    if torch_accepts(call, [ONES[2]]):
        assert_matches_torch(call, [ONES[2] * 3])
    else:
        assert_same_error(call, [ONES[2]])


def test_worked_example_message():
    import npconv
    x = npconv.ones(1, 1, 4, 4)
    with pytest.raises(TypeError, match=r"^avg_pool2d\(\): argument 'ceil_mode' \(position 5\) must be bool, "
                                        r"not NoneType$"):
        npconv.nn.functional.avg_pool2d(x, 2, None, 0, None)
    assert type_name(np.bool_(True)) == "numpy.bool" and type_name(None) == "NoneType"
