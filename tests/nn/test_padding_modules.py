"""The padding layers (Zero/Constant/Reflection/Replication/CircularPad1d/2d/3d) against torch: reprs,
values, gradients, grad_fn names and errors; and F.pad's error texts and nodes that they surface."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import npconv
from tests.torch_compare import assert_module_matches_torch, assert_same_error, random_array

KINDS = ("Zero", "Constant", "Reflection", "Replication", "Circular")


def make(m, kind, dims, padding, value=1.5):
    cls = getattr(m.nn, f"{kind}Pad{dims}d")
    return cls(padding, value) if kind == "Constant" else cls(padding)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dims", [1, 2, 3])
@pytest.mark.parametrize("padding", [2, (1, 0), [0, 1, 2, 1], (1, 2, 0, 1, 1, 0)])
def test_repr_and_attributes_as_torch(kind, dims, padding):
    mine, theirs = make(npconv, kind, dims, padding), make(torch, kind, dims, padding)
    assert repr(mine) == repr(theirs)
    assert mine.padding == theirs.padding


@st.composite
def pad_layer_cases(draw):
    kind = draw(st.sampled_from(KINDS))
    dims = draw(st.integers(1, 3))
    batched = draw(st.booleans())
    spatial = draw(st.lists(st.integers(2, 5), min_size=dims, max_size=dims))
    shape = ((2,) if batched else ()) + (draw(st.integers(1, 2)),) + tuple(spatial)
    limit = 1 if kind in ("Reflection", "Circular") else 3
    padding = draw(st.one_of(st.integers(0, limit), st.tuples(*[st.integers(0, limit)] * (2 * dims))))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    return kind, dims, padding, shape, dtype


@settings(max_examples=60, deadline=None)
@given(case=pad_layer_cases(), seed=st.integers(0, 1000))
def test_pad_layers_compute_as_torch(case, seed):
    kind, dims, padding, shape, dtype = case
    _, _, mine, theirs = assert_module_matches_torch(lambda m: make(m, kind, dims, padding),
                                                     [random_array(shape, dtype, seed=seed)])
    assert mine.grad_fn.name() == theirs.grad_fn.name()


@pytest.mark.parametrize("kind,dims,padding,shape", [
    ("Reflection", 2, 3, (1, 1, 3, 3)),
    ("Reflection", 1, (0, 3), (2, 3)),
    ("Reflection", 3, 1, (1, 1, 1, 2, 2)),
    ("Reflection", 2, 1, (3,)),
    ("Reflection", 2, 1, (3, 3)),
    ("Reflection", 1, 1, (1, 1, 1, 1, 3)),
    ("Replication", 2, 1, (1, 1, 1, 1, 3)),
    ("Replication", 1, (-3, -1), (1, 1, 3)),
    ("Replication", 2, (0, 0, -3, -1), (1, 3, 3)),
    ("Reflection", 1, (-3, -1), (1, 1, 3)),
    ("Circular", 2, 1, (3,)),
    ("Circular", 1, 4, (1, 1, 3)),
    ("Circular", 1, (-2, -2), (1, 1, 3)),
    ("Circular", 3, 1, (1, 1, 1, 1, 1, 1)),
    ("Zero", 2, 1, (3,)),
    ("Constant", 3, (1, 1, 1, 1, 1, 1), (2, 2)),
])
def test_pad_layer_errors_as_torch(kind, dims, padding, shape):
    assert_same_error(lambda m, x: make(m, kind, dims, padding)(x), [np.zeros(shape)], same_message=True)


def test_integer_input_keeps_its_dtype_and_value():
    for m in (npconv, torch):
        y = m.nn.ConstantPad1d(1, 2)(m.ones(2, 3, dtype=m.int64))
        assert str(y.dtype) == "torch.int64" and y.tolist()[0] == [2, 1, 1, 1, 2]


def test_fast_neural_style_reflection_then_conv_as_torch():
    """pytorch/examples fast neural style: ReflectionPad2d(kernel // 2) before each Conv2d."""
    def factory(m):
        return m.nn.Sequential(m.nn.ReflectionPad2d(4), m.nn.Conv2d(3, 4, 9), m.nn.InstanceNorm2d(4, affine=True),
                               m.nn.ReLU(), m.nn.ReflectionPad2d(1), m.nn.Conv2d(4, 2, 3, stride=2)).double()
    assert_module_matches_torch(factory, [random_array((1, 3, 12, 10), np.float64)])
