"""kernels/gemm.matmul: a product split over the kernel threads equals NumPy's whole product."""
import numpy as np
import pytest

from npconv.kernels import threads
from npconv.kernels.gemm import MATMUL_GIL_MAX_RESULT, matmul, small_product


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


@pytest.mark.parametrize("a_shape, b_shape", [
    ((25, 1001), (1001, 20)),          # LeNet conv1's weight gradient: 500 results, a remainder of the parts
    ((1, 25, 998), (1, 998, 20)),
    ((3, 2, 4, 50), (3, 2, 50, 5)),    # batched, 120 results
    ((2, 1, 7), (7, 1)),               # broadcast, fewer inner values than parts: NumPy's product as is
    ((30, 40), (40, 30)),              # a result above MATMUL_GIL_MAX_RESULT: NumPy's product as is
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_small_product_is_numpys(a_shape, b_shape, dtype):
    rng = np.random.default_rng(1)
    a = rng.standard_normal(a_shape[:-1] + (2 * a_shape[-1],)).astype(dtype)[..., ::2]  # strided views too
    b = rng.standard_normal(b_shape).astype(dtype)
    mine, expected = small_product(a, b), np.matmul(a, b)
    assert mine.dtype == expected.dtype and mine.shape == expected.shape
    np.testing.assert_allclose(mine, expected, rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-4)


def test_small_product_keeps_non_finite_sums():
    a = np.ones((4, 1000), dtype=np.float32)
    b = np.ones((1000, 4), dtype=np.float32)
    a[0, 10], a[1, 10], a[1, 900], b[500, 2] = np.inf, np.inf, -np.inf, np.nan
    assert 4 * 4 <= MATMUL_GIL_MAX_RESULT
    np.testing.assert_array_equal(small_product(a, b), np.matmul(a, b))
