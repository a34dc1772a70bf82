"""npconv/_memory.py: one size guard, torch's allocator error instead of NumPy's MemoryError or a hang.

Each call asks for terabytes; torch refuses it at once with a RuntimeError naming the bytes, and so must
npconv, before allocating or computing anything (these run in milliseconds when the guard holds).
"""
import pytest

from npconv import _memory
from tests.torch_compare import assert_same_error

HUGE = {
    "zeros": lambda m: m.zeros(10**7, 10**7),
    "ones float64": lambda m: m.ones(10**7, 10**7, dtype=m.float64),
    "rand": lambda m: m.rand(10**7, 10**7),
    "randn": lambda m: m.randn(10**7, 10**7),
    "randint": lambda m: m.randint(0, 5, (10**7, 10**7)),
    "full": lambda m: m.full((10**7, 10**7), 2.0),
    "Linear": lambda m: m.nn.Linear(10**7, 10**7),
    "Conv2d": lambda m: m.nn.Conv2d(10**5, 10**5, 100),
    "BatchNorm2d": lambda m: m.nn.BatchNorm2d(10**12),
    "interpolate": lambda m: m.nn.functional.interpolate(m.ones(1, 1, 4, 4), scale_factor=10**6),
    "trilinear Upsample": lambda m: m.nn.Upsample(scale_factor=10**4, mode="trilinear")(m.ones(1, 1, 2, 2, 2)),
    "pad": lambda m: m.nn.functional.pad(m.ones(1, 1, 4, 4), (10**6,) * 4),
    "max_unpool2d": lambda m: m.nn.functional.max_unpool2d(m.ones(1, 1, 2, 2), m.zeros(1, 1, 2, 2, dtype=m.int64),
                                                           10**6),
    "max_pool2d of an expanded input": lambda m: m.nn.functional.max_pool2d(
        m.zeros(1, 1, 1, 1).expand(1, 1, 10**6, 10**6), 2),
    "add on an expanded input": lambda m: m.zeros(1, 1).expand(10**6, 10**6) + 1,
    "BatchNorm2d on an expanded input": lambda m: m.nn.BatchNorm2d(1)(m.zeros(1, 1, 1, 1).expand(1, 1, 10**6, 10**6)),
}


@pytest.mark.parametrize("name", sorted(HUGE))
def test_huge_requests_raise_torchs_allocator_error(name):
    mine, theirs = assert_same_error(HUGE[name])
    assert "DefaultCPUAllocator: can't allocate memory: you tried to allocate" in str(mine)
    if "expanded" not in name or "add" in name or "BatchNorm" in name:
        assert str(mine) == str(theirs)   # the same byte count (pooling's output is smaller than its input)


def test_size_overflow_named_as_torch():
    mine, theirs = assert_same_error(lambda m: m.zeros(10**10, 10**10))
    assert str(mine) == str(theirs)


def test_limit_is_half_the_machine_and_ordinary_sizes_pass():
    assert _memory.MAX_ARRAY_BYTES >= 2**29
    _memory.check_allocation((1024, 1024, 64), 4)
    with pytest.raises(RuntimeError, match=str(_memory.MAX_ARRAY_BYTES + 2)):
        _memory.check_allocation((_memory.MAX_ARRAY_BYTES // 2 + 1,), 2)


def test_numpy_memory_error_inside_an_op_becomes_torchs_error(monkeypatch):
    import numpy as np
    import npconv
    monkeypatch.setattr(_memory, "MAX_ARRAY_BYTES", 2**62)    # let the op reach NumPy's own refusal
    with pytest.raises(RuntimeError, match="you tried to allocate"):
        npconv.zeros(1, 1).expand(2**40, 2**20) * 2
    assert np.zeros(3).sum() == 0
