"""torch's alias names (npconv/_ops/aliases.py): each alias exists wherever torch has it (torch.*, the Tensor
method, the in-place method) as soon as npconv has the op it names, and computes what torch's alias does."""
import numpy as np
import pytest
import torch

import npconv
from npconv._ops.aliases import ALIASES
from tests.torch_compare import assert_matches_torch

PLACES = {"torch": (torch, npconv, ""), "Tensor": (torch.Tensor, npconv.Tensor, ""),
          "Tensor in-place": (torch.Tensor, npconv.Tensor, "_")}


@pytest.mark.parametrize("place", sorted(PLACES))
@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_an_alias_is_where_torch_has_it(alias, place):
    theirs, ours, suffix = PLACES[place]
    name, op = alias + suffix, ALIASES[alias] + suffix
    assert hasattr(theirs, name) or not hasattr(ours, name), f"torch has no {place} {name}"
    if hasattr(theirs, name) and hasattr(ours, op):
        assert hasattr(ours, name), f"npconv has {op} but not its alias {name}"


UNARY = ["absolute", "negative", "fix", "arccos", "arcsin", "arctan", "arcsinh", "arctanh", "arccosh"]
BINARY = ["subtract", "multiply", "divide", "true_divide", "greater", "greater_equal", "less", "less_equal",
          "not_equal", "arctan2"]


@pytest.mark.parametrize("alias", UNARY + BINARY)
def test_an_alias_computes_what_torchs_does(alias):
    x, y = np.linspace(-0.9, 0.9, 6), np.linspace(0.5, -0.7, 6)
    if alias == "arccosh":
        x = x + 2.0
    if alias in UNARY:
        assert_matches_torch(lambda m, a: getattr(m, alias)(a), [x])
        assert_matches_torch(lambda m, a: getattr(a, alias)(), [x])
    else:
        assert_matches_torch(lambda m, a, b: getattr(m, alias)(a, b), [x, y])
        assert_matches_torch(lambda m, a, b: getattr(a, alias)(b), [x, y])
