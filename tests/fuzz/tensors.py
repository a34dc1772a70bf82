"""Random forward inputs for the differential fuzz: any shape (empty dims too), any dtype torch layers meet
(float32/64, float16, ints, bool), non-finite values, and four memory layouts (contiguous, a transposed
view, a strided slice, an expanded zero-stride view). A ``TensorSpec`` is drawn once and built in either
library with ``spec.make(m)``, so both see the same values in the same layout."""
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from tests.strategies import one_in

FLOATS = ("float32", "float64")
DTYPES = FLOATS * 8 + ("float16", "int64", "int32", "uint8", "bool")
LAYOUTS = ("plain",) * 5 + ("transposed", "strided", "expanded")
SPECIALS = (np.nan, np.inf, -np.inf, 0.0, 1e30, -1e-30)


@dataclass(frozen=True)
class TensorSpec:
    shape: tuple
    dtype: str
    layout: str
    seed: int
    specials: tuple = ()   # (flat position fraction, value) pairs written into the values
    requires_grad: bool = True
    low: float = -2.0
    high: float = 2.0

    def values(self):
        rng = np.random.default_rng(self.seed)
        kind = np.dtype(self.dtype).kind
        if kind == "b":
            return rng.random(self.shape) < 0.5
        if kind in "iu":
            return rng.integers(0 if kind == "u" else -3, 4, self.shape).astype(self.dtype)
        array = rng.uniform(self.low, self.high, self.shape).astype(self.dtype)
        if array.size:
            flat = array.reshape(-1)
            for where, value in self.specials:
                with np.errstate(over="ignore"):
                    flat[int(where * flat.size)] = value
        return array

    def make(self, m):
        """(the tensor to pass, the leaf whose .grad to read or None) built with library ``m``."""
        array = self.values()
        grad = self.requires_grad and np.dtype(self.dtype).kind == "f"
        if self.layout == "transposed" and array.ndim >= 2:
            leaf = m.tensor(np.ascontiguousarray(np.swapaxes(array, -1, -2)), requires_grad=grad)
            return leaf.transpose(-1, -2), leaf
        if self.layout == "strided" and array.ndim >= 1:
            wide = np.repeat(array, 2, axis=-1)
            leaf = m.tensor(wide, requires_grad=grad)
            return leaf[..., ::2], leaf
        if self.layout == "expanded" and array.ndim >= 1 and array.shape[0] > 0:
            leaf = m.tensor(np.ascontiguousarray(array[:1]), requires_grad=grad)
            return leaf.expand(*array.shape), leaf
        leaf = m.tensor(array, requires_grad=grad)
        return leaf, leaf


@st.composite
def tensor_specs(draw, shape, dtype=None, float_only=False, low=-2.0, high=2.0):
    """A TensorSpec of ``shape``; dtype drawn unless given (floats only with ``float_only``)."""
    if dtype is None:
        dtype = draw(st.sampled_from(FLOATS if float_only else DTYPES))
    specials = ()
    if np.dtype(dtype).kind == "f" and draw(one_in(6)):
        specials = tuple(draw(st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.sampled_from(SPECIALS)),
                                       min_size=1, max_size=3)))
    return TensorSpec(tuple(shape), dtype, draw(st.sampled_from(LAYOUTS)), draw(st.integers(0, 2**16)), specials,
                      not draw(one_in(5)), low, high)


def upstream_gradient(shape, dtype, seed=1):
    """The same random gradient for both libraries' backward."""
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)
