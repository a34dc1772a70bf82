"""kernels/gemm.matmul: a product split over the kernel threads equals NumPy's whole product."""
import numpy as np
import pytest

from npconv.kernels import threads
from npconv.kernels.gemm import matmul


@pytest.mark.parametrize("count", [1, 2, 3])
@pytest.mark.parametrize("shapes, transposed", [
    (((300, 200), (200, 150)), (False, False)),   # split by rows
    (((64, 800), (800, 500)), (False, True)),     # few rows: split by columns, b a transposed view
    (((800, 64), (64, 500)), (True, False)),      # a transposed view (a linear layer's weight gradient)
    (((3, 4), (4, 5)), (False, False)),           # too small to split
    (((0, 4), (4, 5)), (False, False)),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_split_product_is_numpys(count, shapes, transposed, dtype, restore_threads):
    threads.set_num_threads(count)
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal(shape[::-1] if t else shape).astype(dtype) for shape, t in zip(shapes, transposed))
    a, b = (m.T if t else m for m, t in zip((a, b), transposed))
    mine, expected = matmul(a, b), a @ b
    assert mine.dtype == expected.dtype and mine.shape == expected.shape
    np.testing.assert_allclose(mine, expected, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-5)


def test_other_operands_are_numpys_product():
    a, b = np.arange(6).reshape(2, 3), np.ones((3, 2), dtype=np.float32)
    assert np.array_equal(matmul(a, b), a @ b) and matmul(a, b).dtype == (a @ b).dtype
    stacked = np.ones((2, 3, 4))
    assert np.array_equal(matmul(stacked, np.ones((4, 5))), stacked @ np.ones((4, 5)))
