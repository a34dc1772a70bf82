"""Special functions the element-wise maths needs (lgamma, digamma, trigamma, erfc, erfinv) on float64
ndarrays: scipy's compiled ufuncs when scipy is installed, else the NumPy versions written here (series and
recurrences, to double precision), so npconv needs only NumPy."""
import math

import numpy as np

from .activation import erf_float64

_NOT_LOOKED_UP = object()
_scipy = _NOT_LOOKED_UP  # scipy.special, imported on first use (it would add ~0.1 s to ``import npconv``)


def _scipy_special():
    global _scipy
    if _scipy is _NOT_LOOKED_UP:
        try:
            from scipy import special as found
        except ImportError:
            found = None
        _scipy = found
    return _scipy

# coefficients of the asymptotic (Stirling) series of digamma and trigamma, in powers of 1/x^2
_DIGAMMA_TAIL = (1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760, 1 / 12)
_TRIGAMMA_TAIL = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)
_SHIFT = 10.0  # the series are used from here on; smaller arguments are moved up by the recurrence


def _polynomial(coefficients, t):
    result = np.zeros_like(t)
    for c in reversed(coefficients):
        result = result * t + c
    return result


def _shifted(x):
    """(x moved up to >= _SHIFT by whole steps, sum of 1/(x+k), sum of 1/(x+k)^2) for x > 0."""
    shifted, inverse_sum, inverse_square_sum = x.copy(), np.zeros_like(x), np.zeros_like(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        while True:
            small = shifted < _SHIFT
            if not small.any():
                return shifted, inverse_sum, inverse_square_sum
            inverse_sum[small] += 1 / shifted[small]
            inverse_square_sum[small] += 1 / shifted[small] ** 2
            shifted[small] += 1


def digamma_numpy(x):
    """psi(x) = d/dx ln Gamma(x): -inf at 0 (torch's value), nan at the negative integers."""
    x = np.asarray(x, dtype=np.float64)
    negative = x < 0
    reflected = np.where(negative, 1 - x, x)
    finite = np.isfinite(reflected) & (reflected > 0)
    safe = np.where(finite, reflected, 1.0)
    shifted, inverse_sum, _ = _shifted(safe)
    t = 1 / (shifted * shifted)
    values = np.log(shifted) - 0.5 / shifted - t * _polynomial(_DIGAMMA_TAIL, t) - inverse_sum
    values = np.where(finite, values, np.where(reflected == np.inf, np.inf, np.nan))
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.where(negative, values - np.pi / np.tan(np.pi * x), values)
    values = np.where(negative & (x == np.floor(x)), np.nan, values)
    return np.where(x == 0, -np.inf, values)


def trigamma_numpy(x):
    """psi'(x), the derivative of digamma: inf at 0 and the negative integers."""
    x = np.asarray(x, dtype=np.float64)
    negative = x < 0
    reflected = np.where(negative, 1 - x, x)
    finite = np.isfinite(reflected) & (reflected > 0)
    safe = np.where(finite, reflected, 1.0)
    shifted, _, inverse_square_sum = _shifted(safe)
    t = 1 / (shifted * shifted)
    values = 1 / shifted + 0.5 * t + t / shifted * _polynomial(_TRIGAMMA_TAIL, t) + inverse_square_sum
    values = np.where(finite, values, np.where(x == np.inf, 0.0, np.nan))
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.where(negative, (np.pi / np.sin(np.pi * x)) ** 2 - values, values)
    return np.where((x <= 0) & (x == np.floor(x)) & np.isfinite(x), np.inf, values)


def _lgamma_one(v):
    try:
        return math.lgamma(v)
    except ValueError:  # the poles (0 and the negative integers): torch gives inf
        return math.inf


_lgamma_numpy = np.vectorize(_lgamma_one, otypes=[np.float64])
_erfc_numpy = np.vectorize(math.erfc, otypes=[np.float64])


def erfinv_numpy(y):
    """The inverse of erf on [-1, 1] (+-inf at +-1, nan outside): Newton's method on erf from a
    logarithmic first guess, to double precision."""
    y = np.asarray(y, dtype=np.float64)
    inside = np.abs(y) < 1
    safe = np.where(inside, y, 0.0)
    w = -np.log((1 - safe) * (1 + safe))
    a = 2 / (np.pi * 0.147) - w / 2  # Winitzki's approximation, good to about 2e-3
    x = np.sign(safe) * np.sqrt(np.sqrt(a * a + w / 0.147) - a)
    with np.errstate(invalid="ignore"):
        for _ in range(4):
            x = x - (erf_float64(x) - safe) / (2 / np.sqrt(np.pi) * np.exp(-x * x))
    result = np.where(inside, x, np.where(np.abs(y) == 1, np.copysign(np.inf, y), np.nan))
    return result


def _preferred(scipy_name, fallback):
    """scipy's ufunc ``scipy_name`` when scipy is installed, else ``fallback`` (decided at the first call)."""
    def special_function(x):
        scipy_special = _scipy_special()
        if scipy_special is None:
            return fallback(x)
        return getattr(scipy_special, scipy_name)(np.asarray(x, dtype=np.float64))
    return special_function


lgamma = _preferred("gammaln", _lgamma_numpy)
erfc = _preferred("erfc", _erfc_numpy)
erfinv = _preferred("erfinv", erfinv_numpy)
digamma = digamma_numpy  # scipy's psi(0) is nan where torch's is -inf: one version for both
trigamma = trigamma_numpy
