"""The element-wise maths sweep (npconv/_ops/pointwise.py's table, npconv/_ops/binary.py, the special functions
of npconv/_ops/special.py): every op as torch.*, Tensor method and in-place method against torch, on random
inputs inside and outside its domain: values, dtypes, gradients, node names, integer inputs and errors."""
import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import npconv
from npconv._ops import binary, pointwise, special
from tests.strategies import float_arrays
from tests.torch_compare import assert_matches_torch, assert_same_error

UNARY = sorted(pointwise.TABLE)
# where each op is defined, tested with values inside its domain (and the edges) and a few outside it
DOMAINS = {"acosh": (1.0, 6.0), "asin": (-0.99, 0.99), "acos": (-0.99, 0.99), "atanh": (-0.99, 0.99),
           "erfinv": (-0.99, 0.99), "log1p": (-0.9, 8.0), "log2": (0.05, 8.0), "log10": (0.05, 8.0),
           "lgamma": (-4.5, 8.0), "digamma": (-4.5, 8.0), "tan": (-1.4, 1.4)}
EDGES = (0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan)


@st.composite
def unary_inputs(draw, name):
    low, high = DOMAINS.get(name, (-5.0, 5.0))
    x = draw(float_arrays(max_dims=3, scales=(1.0,)))
    x = low + (high - low) * (np.tanh(x.astype(np.float64)) + 1) / 2
    if name in ("lgamma", "digamma"):  # away from the poles, where float32 and float64 part ways
        x = np.where(np.abs(x - np.round(x)) < 0.05, x + 0.1, x)
    return x.astype(draw(st.sampled_from([np.float32, np.float64])))


@pytest.mark.parametrize("name", UNARY)
@given(data=st.data())
def test_unary_ops_match_torch_in_all_three_forms(name, data):
    x = data.draw(unary_inputs(name))
    grad = name != "sgn"  # torch's gradient of sgn is a ZeroTensor, which has no numpy() to compare
    assert_matches_torch(lambda m, t: getattr(m, name)(t), [x], requires_grad=grad)
    assert_matches_torch(lambda m, t: getattr(t, name)(), [x], requires_grad=grad)
    # torch has no derivative for acosh_/asinh_/atanh_ (its backward raises); npconv's gives one: values only
    in_place_grad = grad and name not in ("acosh", "asinh", "atanh")
    assert_matches_torch(lambda m, t: getattr(t * 1, name + "_")(), [x], requires_grad=in_place_grad)


@pytest.mark.parametrize("name", UNARY)
def test_unary_ops_at_the_edges_values_and_node_names(name):
    x = np.array(EDGES)
    assert_matches_torch(lambda m, t: getattr(m, name)(t), [x], requires_grad=False)
    ours = getattr(npconv, name)(npconv.tensor([0.5, 0.25], requires_grad=True))
    theirs = getattr(torch, name)(torch.tensor([0.5, 0.25], requires_grad=True))
    assert ours.grad_fn.name() == theirs.grad_fn.name()


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
def test_unary_ops_on_integers_and_bools_as_torch(name, dtype):
    x = np.array([3, 0, 1, 2]).astype(dtype)
    assert_matches_torch(lambda m, t: getattr(m, name)(t), [x], expect_errors=True)


@pytest.mark.parametrize("call", [
    lambda m: m.frac(m.tensor([True])), lambda m: m.floor(m.tensor([True])), lambda m: m.trunc(m.tensor([True])),
    lambda m: m.frac(m.tensor([1])), lambda m: m.ceil(m.tensor([False])), lambda m: m.round(m.tensor([True])),
    lambda m: m.round(m.tensor([1, 2]), decimals=1),
])
def test_unary_refusals_word_for_word(call):
    assert_same_error(call, same_message=True)


@given(x=st.lists(st.floats(-30, 30), min_size=1, max_size=20).map(np.array))
def test_numpy_special_functions_match_torch_without_scipy(x):
    t = torch.tensor(x)
    # at the poles (0 and the negative integers) both give meaningless huge values or infinities
    away_from_poles = ~((x <= 0) & (np.abs(x - np.round(x)) < 1e-3))
    np.testing.assert_allclose(special.digamma_numpy(x)[away_from_poles], torch.digamma(t).numpy()[away_from_poles],
                               rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(special.trigamma_numpy(x)[away_from_poles],
                               torch.polygamma(1, t).numpy()[away_from_poles], rtol=1e-8)
    np.testing.assert_allclose(special._lgamma_numpy(x), torch.lgamma(t).numpy(), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(special._erfc_numpy(x), torch.erfc(t).numpy(), rtol=1e-9, atol=1e-300)
    y = np.tanh(x)
    y = y[np.abs(y) < 1 - 1e-9]  # nearer to +-1 the input's own rounding decides the digits
    # near +-1 both lose digits to 1 - y (the input's own rounding): 1e-7
    np.testing.assert_allclose(special.erfinv_numpy(y), torch.erfinv(torch.tensor(y)).numpy(), rtol=1e-7,
                               atol=1e-12)


# name: call(m, a, b) with a, b float tensors
BINARY = {
    "atan2": lambda m, a, b: m.atan2(a, b), "hypot": lambda m, a, b: m.hypot(a, b),
    "logaddexp": lambda m, a, b: m.logaddexp(a, b), "logaddexp2": lambda m, a, b: m.logaddexp2(a, b),
    "fmod": lambda m, a, b: m.fmod(a, b), "fmod scalar": lambda m, a, b: m.fmod(a, 0.7),
    "remainder": lambda m, a, b: m.remainder(a, b), "%": lambda m, a, b: a % 1.3,
    "copysign": lambda m, a, b: m.copysign(a, b), "copysign scalar": lambda m, a, b: m.copysign(a, -1.0),
    "xlogy": lambda m, a, b: m.xlogy(a, b.abs()), "xlogy self number": lambda m, a, b: m.xlogy(2.0, b.abs()),
    "xlogy other number": lambda m, a, b: m.xlogy(a, 3.0), "fmax": lambda m, a, b: m.fmax(a, b),
    "fmin": lambda m, a, b: m.fmin(a, b), "float_power": lambda m, a, b: m.float_power(a.abs(), b),
    "float_power number": lambda m, a, b: m.float_power(a, 2), "lerp": lambda m, a, b: m.lerp(a, b, 0.3),
    "lerp tensor weight": lambda m, a, b: m.lerp(a, b, b), "addcmul": lambda m, a, b: m.addcmul(a, a, b, value=0.5),
    "addcdiv": lambda m, a, b: m.addcdiv(a, a, b, value=2), "clamp_min": lambda m, a, b: m.clamp_min(a, 0.1),
    "clamp_max tensor": lambda m, a, b: m.clamp_max(a, b), "clamp_min tensor": lambda m, a, b: m.clamp_min(a, b),
    "clamp_max": lambda m, a, b: a.clamp_max(-0.2), "logit": lambda m, a, b: m.logit(a.sigmoid()),
    "logit eps": lambda m, a, b: m.logit(a.nan_to_num(), eps=0.2), "nan_to_num": lambda m, a, b: m.nan_to_num(a / b),
    "nan_to_num values": lambda m, a, b: (a / b).nan_to_num(nan=1.0, posinf=2.0, neginf=-3.0),
    "atan2_": lambda m, a, b: (a * 1).atan2_(b), "fmod_": lambda m, a, b: (a * 1).fmod_(b),
    "lerp_": lambda m, a, b: (a * 1).lerp_(b, 0.5), "addcmul_": lambda m, a, b: (a * 1).addcmul_(a, b),
    "clamp_min_": lambda m, a, b: (a * 1).clamp_min_(0.0), "xlogy_": lambda m, a, b: (a * 1).xlogy_(b),
    "arctan2": lambda m, a, b: m.arctan2(a, b),
}
SPECIAL_VALUES = (0.0, -0.0, 1.0, np.inf, -np.inf, np.nan)


@st.composite
def operand_pairs(draw):
    a = draw(float_arrays(max_dims=3, special=SPECIAL_VALUES))
    b = draw(float_arrays(max_dims=2, special=SPECIAL_VALUES)).astype(a.dtype)
    return a, b


@pytest.mark.parametrize("name", sorted(BINARY))
@given(pair=operand_pairs())
def test_binary_ops_match_torch(name, pair):
    assert_matches_torch(BINARY[name], list(pair), expect_errors=True)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_ops_record_torchs_nodes(name):
    def node(m):
        a = m.tensor([0.5, -1.5, 2.0], requires_grad=True)
        return BINARY[name](m, a, m.tensor([0.25, 0.75, -2.0], requires_grad=True)).grad_fn
    ours, theirs = node(npconv), node(torch)
    assert (ours and ours.name()) == (theirs and theirs.name())


# operands of other dtypes: the result dtype, or torch's refusal word for word
MIXED = ["atan2", "hypot", "logaddexp", "fmod", "remainder", "copysign", "xlogy", "fmax", "fmin", "float_power",
         "logical_and", "logical_or", "logical_xor", "gcd", "lcm", "bitwise_left_shift", "bitwise_right_shift",
         "heaviside"]
OPERANDS = {"long": np.array([3, -2, 0]), "int": np.array([1, 2, 4], dtype=np.int32),
            "bool": np.array([True, False, True]), "float": np.array([1.5, -2.0, 0.0], dtype=np.float32),
            "double": np.array([0.5, 2.0, -1.0])}


@pytest.mark.parametrize("name", MIXED)
@pytest.mark.parametrize("left, right", [(a, b) for a in OPERANDS for b in OPERANDS])
def test_binary_ops_over_dtypes_as_torch(name, left, right):
    call = lambda m, a, b: getattr(m, name)(a, b)  # noqa: E731
    try:
        getattr(torch, name)(torch.tensor(OPERANDS[left]), torch.tensor(OPERANDS[right]))
    except Exception:  # noqa: BLE001 - then the error is compared
        assert_same_error(call, [OPERANDS[left], OPERANDS[right]], same_message=True)
        return
    assert_matches_torch(call, [OPERANDS[left], OPERANDS[right]], requires_grad=False)


@pytest.mark.parametrize("call", [
    lambda m: m.atan2(m.ones(2), 2.0), lambda m: m.hypot(m.ones(2), 1.5), lambda m: m.fmax(m.ones(2), 1.0),
    lambda m: m.logical_and(m.ones(2), True), lambda m: m.heaviside(m.ones(2), 0.5),
    lambda m: m.bitwise_not(m.ones(2)), lambda m: m.positive(m.tensor([True])),
])
def test_binary_refusals_word_for_word(call):
    assert_same_error(call, same_message=True)


# bitwise_not of floats and positive of bools are refused: see test_binary_refusals_word_for_word
@pytest.mark.parametrize("name, dtype", [
    (name, dtype) for name in ("signbit", "isinf", "isposinf", "isneginf", "isreal", "bitwise_not", "positive", "sgn",
                               "nan_to_num") for dtype in ("float32", "float64", "int64", "bool")
    if (name, dtype[:5]) not in (("bitwise_not", "float"), ("positive", "bool"))])
def test_predicates_and_dtype_keeping_ops_as_torch(name, dtype):
    x = np.array([0.0, -0.0, 1.5, -2.0, np.inf, -np.inf, np.nan]) if dtype.startswith("float") else \
        np.array([0, 1, -3, 2])
    assert_matches_torch(lambda m, t: getattr(m, name)(t), [x.astype(dtype)], requires_grad=False)


def test_comparisons_in_place_and_their_aliases_as_torch():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 1.0])
    for name in ("eq_", "ne_", "lt_", "le_", "gt_", "ge_", "greater_", "less_equal_", "not_equal_"):
        assert_matches_torch(lambda m, x, y: getattr(x.detach().clone(), name)(y), [a, b], requires_grad=False)


@pytest.mark.parametrize("case", [
    "m.remainder(m.tensor([-3.0, -2, -1, 1, 2, 3]), 2)", "m.fmod(m.tensor([-3.0, -2, -1, 1, 2, 3]), 2)",
    "m.tensor([-2.0, 2.0]) % -2", "m.copysign(m.tensor([1.0, -2]), -1)", "m.signbit(m.tensor([0.7, -1.2, 0.0, -0.0]))",
    "m.heaviside(m.tensor([-1.5, 0, 2.0]), m.tensor([0.5]))", "m.float_power(m.arange(1, 5), 2)",
    "m.xlogy(m.zeros(2), m.tensor([0.0, float('nan')]))", "m.sgn(m.tensor([3.0, -2, 0]))",
    "m.tensor([0.5, 1.5, 2.567, -0.5], requires_grad=True).round(decimals=1)",
    "m.tensor([0.5, 1.5, 2.567, -0.5], requires_grad=True).round()",
])
def test_signed_zeros_and_small_cases_print_as_torch(case):
    # the sign of a zero shows in the print, not in a tolerance comparison
    assert repr(eval(case, {"m": npconv})) == repr(eval(case, {"m": torch}))
