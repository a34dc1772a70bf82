"""``x[index]`` records torch's chain of nodes (npconv/_ops/indexing.py): one view per index entry, left to
right: an int a SelectBackward0, a slice a SliceBackward0 (a whole one inside a tuple none), None an
UnsqueezeBackward0, nothing at all an AliasBackward0. Random basic indices are compared with torch on
values, gradients and the chain of node names back to the input."""
import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import npconv
from tests.torch_compare import assert_matches_torch, random_array


@st.composite
def basic_indices(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=4)))
    entries, dim, ellipsis = [], 0, False
    for _ in range(draw(st.integers(0, len(shape) + 1))):
        kind = draw(st.sampled_from(["int", "slice", "none", "ellipsis"]))
        if kind == "ellipsis" and not ellipsis:
            entries.append(Ellipsis)
            ellipsis = True
        elif kind == "none":
            entries.append(None)
        elif dim < len(shape) and kind == "int":
            entries.append(draw(st.integers(-shape[dim], shape[dim] - 1)))
            dim += 1
        elif dim < len(shape) and kind == "slice":
            bound = st.one_of(st.none(), st.integers(-shape[dim] - 1, shape[dim] + 2))
            entries.append(slice(draw(bound), draw(bound), draw(st.sampled_from([None, 1, 2]))))
            dim += 1
    index = tuple(entries) if len(entries) != 1 or draw(st.booleans()) else entries[0]
    return shape, index


def node_chain(m, shape, index):
    x = m.tensor(random_array(shape), requires_grad=True)
    out, names, node = x[index], [], None
    node = out.grad_fn
    while node is not None and node.name() != "torch::autograd::AccumulateGrad":
        names.append(node.name())
        node = node.next_functions[0][0] if node.next_functions else None
    return names


@given(case=basic_indices())
def test_basic_indexing_matches_torch_in_values_gradients_and_nodes(case):
    shape, index = case
    assert_matches_torch(lambda m, x: x[index] * 1, [random_array(shape)])
    assert node_chain(npconv, shape, index) == node_chain(torch, shape, index)


@pytest.mark.parametrize("index", [
    (0, 0, slice(None, 2)), 0, (slice(None), 0), slice(None), (slice(None), slice(None)), Ellipsis, (),
    (slice(None), slice(None, 10)), (slice(None), slice(-3, None)), (None, Ellipsis, None, 0), (1, Ellipsis, 2),
], ids=repr)
def test_tutorial_indices_record_torchs_nodes(index):
    assert node_chain(npconv, (2, 3, 4), index) == node_chain(torch, (2, 3, 4), index)


@pytest.mark.parametrize("index", [(range(3), [0, 1, 2]), range(1, 3), (range(0),), ([],), ([[0, 1], [2, 0]],),
                                   (slice(None), range(3, 0, -1)), ((0, 2),)],
                         ids=["range and list", "range", "empty range", "empty list", "nested list", "slice, range",
                              "tuple in tuple"])
def test_python_sequences_index_as_torch(index):
    """x[range(n), target] (the nn tutorial's hand-written nll) and other Python sequences as indices."""
    assert_matches_torch(lambda m, x: x[index], [random_array((3, 4))])


@st.composite
def mixed_indices(draw):
    """Ints, slices, None, an ellipsis and integer lists or a mask together (torch applies the first four
    before the arrays, which moves dims where NumPy would not)."""
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=2, max_size=4)))
    entries, dim = [], 0
    while dim < len(shape):
        kind = draw(st.sampled_from(["int", "slice", "none", "list", "list", "mask", "stop"]))
        if kind == "stop":
            break
        if kind == "none":
            entries.append(None)
            continue
        size = shape[dim]
        if kind == "int":
            entries.append(draw(st.integers(-size, size - 1)))
        elif kind == "slice":
            entries.append(slice(draw(st.integers(0, size)), None))
        elif kind == "list":
            entries.append(draw(st.lists(st.integers(-size, size - 1), min_size=1, max_size=3)))
        else:
            entries.append(np.asarray(draw(st.lists(st.booleans(), min_size=size, max_size=size))))
        dim += 1
    if not any(isinstance(e, (list, np.ndarray)) for e in entries):
        entries.append([0])
    return shape, tuple(entries)


@given(case=mixed_indices())
def test_mixed_indices_match_torch_in_shape_values_and_gradients(case):
    shape, index = case

    def as_tensors(m):
        return tuple(m.tensor(e) if isinstance(e, np.ndarray) else e for e in index)
    assert_matches_torch(lambda m, x: x[as_tensors(m)] * 1, [random_array(shape)], expect_errors=True)


@pytest.mark.parametrize("index", [(0, [0, 1]), (0, slice(None), [0, 1]), (slice(1, None), [0]), (None, [1]),
                                   ([0, 1], slice(None), 0)], ids=repr)
def test_mixed_indices_record_torchs_nodes(index):
    assert node_chain(npconv, (2, 3, 4), index) == node_chain(torch, (2, 3, 4), index)


@given(case=mixed_indices())
def test_assignment_to_mixed_indices_matches_torch(case):
    shape, index = case

    def assign(m, x):
        target = x * 1
        key = tuple(m.tensor(e) if isinstance(e, np.ndarray) else e for e in index)
        target[key] = target[key] * 2 + 1  # a value of the indexed shape, torch's order of dims
        return target
    assert_matches_torch(assign, [random_array(shape)], expect_errors=True)
