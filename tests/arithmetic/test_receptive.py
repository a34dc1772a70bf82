"""Receptive fields: chains known by hand, and the property that one changed input pixel changes exactly the
outputs the field says (checked with a real forward pass)."""
import numpy as np
import pytest
import torch
import torch.nn as tnn
from hypothesis import given, strategies as st

from npconv.arithmetic import ReceptiveField, conv_output_size, receptive_field


def test_stride_one_convs_grow_by_kernel_minus_one():
    field = receptive_field([{"kind": "conv", "kernel_size": 3}] * 3, ndim=2)
    assert field.size == (7, 7) and field.jump == (1, 1) and field.start == (0, 0)


def test_vgg_block_and_pooling():
    layers = [{"kind": "conv", "kernel_size": 3, "padding": 1}] * 2 + [{"kind": "pool", "kernel_size": 2, "stride": 2}]
    field = receptive_field(layers * 2, ndim=2)
    # block 1: 3, 5, pool -> 6 (jump 2); block 2: 6+4=10, 14, pool -> 16 (jump 4); 3 padded convs before
    # the last pooling each shift the start by one jump: -1 - 1 - 2 - 2
    assert field.size == (16, 16) and field.jump == (4, 4) and field.start == (-6, -6)


def test_dilation_multiplies_the_reach():
    field = receptive_field([{"kind": "conv", "kernel_size": 3, "dilation": d} for d in (1, 2, 4)], ndim=1)
    assert field.size == (15,)     # 1 + 2 + 4 + 8: the classic exponential growth of dilated stacks


def test_resnet_stem_on_torch_modules():
    stem = tnn.Sequential(tnn.Conv2d(3, 64, 7, 2, 3), tnn.BatchNorm2d(64), tnn.ReLU(), tnn.MaxPool2d(3, 2, 1))
    field = receptive_field(stem)
    assert field.size == (11, 11) and field.jump == (4, 4) and field.start == (-5, -5)


def test_transposed_and_adaptive_and_upsample():
    field = receptive_field([tnn.ConvTranspose1d(1, 1, 4, 2, 1)], ndim=1)
    assert field.size == (2,) and field.jump[0] == 0.5
    field = receptive_field([tnn.AdaptiveAvgPool2d(1)], input_size=(7, 7))
    assert field.size == (7, 7)
    field = receptive_field([tnn.Upsample(scale_factor=2)], ndim=2)
    assert field.size == (1, 1) and field.jump == (0.5, 0.5)
    with pytest.raises(ValueError, match="mixes all positions"):
        receptive_field([tnn.Linear(3, 3)])


def test_union_of_residual_branches():
    a = ReceptiveField.identity(1).conv(3, padding=1)
    b = ReceptiveField.identity(1)
    assert a.union(b) == a
    joined = ReceptiveField.identity(1).conv(5).union(ReceptiveField.identity(1).conv(3, padding=1))
    assert joined.start == (-1,) and joined.size == (6,)     # pixels -1..1 and 0..4


def touched_outputs(model, size, pixel, library=torch):
    """Output positions (1-d) that change when one input pixel changes, by a real forward pass."""
    x = np.random.default_rng(pixel).random((1, 1, size))
    y = x.copy()
    y[0, 0, pixel] += 100.0
    with library.no_grad():
        outputs = [np.asarray(model(library.tensor(v)).numpy()) for v in (x, y)]
    changed = np.abs(outputs[0] - outputs[1]).sum(axis=1)[0] > 1e-9
    return set(np.flatnonzero(changed).tolist())


def build_chain(library, layers, size):
    """The 1-d chain in ``library`` (torch or npconv): positive-weight convolutions and max pooling."""
    nn = library.nn
    modules, specs, length = [], [], size
    rng = np.random.default_rng(len(layers))
    for kind, k, s, p, d in layers:
        if kind == "conv":
            conv = nn.Conv1d(1, 1, k, s, p, d, bias=False).double()
            # positive weights: a larger pixel always raises every output it reaches
            conv.weight = nn.Parameter(library.tensor(rng.uniform(0.5, 1.0, (1, 1, k))))
            modules.append(conv)
            length = conv_output_size(length, k, s, p, d)
        else:
            p = min(p, k // 2)
            modules.append(nn.MaxPool1d(k, s, p))
            length = conv_output_size(length, k, s, p)
        specs.append(dict(kind=kind, kernel_size=k, stride=s, padding=p, dilation=d))
        if length < 1:
            return None, specs, 0
    return nn.Sequential(*modules), specs, length


layer_strategy = st.one_of(
    st.tuples(st.just("conv"), st.integers(1, 4), st.integers(1, 2), st.integers(0, 2), st.integers(1, 2)),
    st.tuples(st.just("pool"), st.integers(1, 3), st.integers(1, 3), st.integers(0, 1), st.just(1)))


@pytest.mark.parametrize("library", ["torch", "npconv"])
@given(layers=st.lists(layer_strategy, min_size=1, max_size=4), size=st.integers(8, 40), data=st.data())
def test_one_pixel_changes_exactly_the_outputs_the_field_says(library, layers, size, data):
    library = torch if library == "torch" else pytest.importorskip("npconv")
    model, specs, length = build_chain(library, layers, size)
    if length < 1:
        return
    field = receptive_field(specs, ndim=1)
    # holes: a layer whose taps (d * jump apart) are wider apart than the field each tap reads
    dense, partial = True, ReceptiveField.identity(1)
    for spec in specs:
        if spec["kernel_size"] > 1 and spec["dilation"] * partial.jump[0] > partial.size[0]:
            dense = False
        partial = partial.conv(spec["kernel_size"], spec["stride"], spec["padding"], spec["dilation"])
    pixel = data.draw(st.integers(0, size - 1))
    predicted = {o for o in range(length) if field.region(o)[0][0] <= pixel <= field.region(o)[0][1]}
    actual = touched_outputs(model, size, pixel, library)
    # a dilated kernel, or a stride larger than the kernel, may step over pixels (holes in the field):
    # then only "inside the span" holds. Near the borders, intermediate layers' padding is counted as
    # input pixels, so equality is promised only for outputs whose region lies inside the input.
    assert actual <= predicted
    inside = {o for o in predicted if field.region(o)[0][0] >= 0 and field.region(o)[0][1] <= size - 1}
    if dense:
        assert inside <= actual
