"""One correctly rounded multiply-add on NumPy arrays, where torch's kernels round once (FMA) and NumPy,
which has no fused multiply-add, would round twice."""
import numpy as np

__all__ = ["fused_multiply_add"]


def fused_multiply_add(x, a, b):
    """x * a + b (x an array, a and b scalars) rounded once, as the fused multiply-add instructions of
    torch's CPU kernels (a grid point on a pixel centre, a linspace value that should be 0): the product's
    rounding error is recovered exactly (Veltkamp split for float64; float32's product is exact in float64)."""
    if x.dtype == np.float32:
        return (x.astype(np.float64) * np.float64(a) + np.float64(b)).astype(np.float32)
    a = x.dtype.type(a)
    product = x * a
    split = x.dtype.type(134217729.0)  # 2**27 + 1

    def halves(v):
        scaled = split * v
        high = scaled - (scaled - v)
        return high, v - high
    x_high, x_low = halves(x)
    a_high, a_low = halves(a)
    product_error = ((x_high * a_high - product) + x_high * a_low + x_low * a_high) + x_low * a_low
    total = product + b
    back = total - product
    sum_error = (product - (total - back)) + (b - back)
    fused = total + (sum_error + product_error)
    return np.where(np.isfinite(total), fused, total)  # the error terms of an inf are NaN
