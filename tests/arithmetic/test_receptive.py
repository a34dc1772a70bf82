"""Receptive fields: chains known by hand, and the property that one changed input pixel changes exactly the
outputs the field says (checked with a real forward pass)."""
from fractions import Fraction

import numpy as np
import pytest
import torch
import torch.nn as tnn
from hypothesis import given, settings, strategies as st

import npconv
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
    # each output reads 2 inputs, but which 2 depends on its phase: the span over both phases is 3 halves
    assert field.size == (3,) and field.jump[0] == 0.5
    assert field.region(0) == ((-1, 1),) and field.region(1) == ((Fraction(-1, 2), Fraction(3, 2)),)
    field = receptive_field([tnn.AdaptiveAvgPool2d(1)], input_size=(7, 7))
    assert field.size == (7, 7)
    field = receptive_field([tnn.Upsample(scale_factor=2)], ndim=2)
    # output o reads floor(o / 2), between o/2 - 1/2 and o/2: a span of 1.5 pixels, rounded up
    assert field.size == (2, 2) and field.jump == (0.5, 0.5) and field.start == (Fraction(-1, 2),) * 2
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
    library = torch if library == "torch" else npconv
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


@pytest.mark.parametrize("layers, size, output, reads", [
    # AvgPool(2) then ConvTranspose(kernel 2, stride 2): output 2 is the tap j=0 of pooled pixel 1 = pixels 2-3
    ([tnn.AvgPool1d(2), tnn.ConvTranspose1d(1, 1, 2, 2)], 8, 2, {2, 3}),
    # Conv(k=1, s=2, p=1) then nearest x2: output 3 reads conv output 1, i.e. pixel 2*1 - 1 = 1
    ([tnn.Conv1d(1, 1, 1, 2, 1), tnn.Upsample(scale_factor=2)], 8, 3, {1}),
    # linear x2 (align_corners=False): output 2 samples 2.5/2 - 0.5 = 0.75, pixels 0 and 1
    ([tnn.Upsample(scale_factor=2, mode="linear")], 8, 2, {0, 1}),
])
def test_fractional_jumps_cover_the_phase_each_output_reads(layers, size, output, reads):
    model = tnn.Sequential(*layers).double()
    for layer in layers:
        if hasattr(layer, "weight"):
            layer.weight.data.fill_(1.0)
    actual = {pixel for pixel in range(size) if output in touched_outputs(model, size, pixel)}
    assert actual == reads
    (first, last), = receptive_field(layers, ndim=1).region(output)
    assert first <= min(reads) and max(reads) <= last


def build_upsampling_chain(library, layers, size):
    """A 1-d chain with transposed convolutions and upsampling (positive weights, no bias)."""
    nn = library.nn
    modules, specs, length = [], [], size
    rng = np.random.default_rng(len(layers))
    for kind, k, s, p, d in layers:
        if kind in ("conv", "conv_transpose"):
            if kind == "conv":
                layer = nn.Conv1d(1, 1, k, s, p, d, bias=False).double()
                length = conv_output_size(length, k, s, p, d)
            else:
                p = min(p, d * (k - 1))      # torch refuses padding beyond the dilated kernel
                layer = nn.ConvTranspose1d(1, 1, k, s, p, 0, 1, False, d).double()
                length = (length - 1) * s - 2 * p + d * (k - 1) + 1
            layer.weight = nn.Parameter(library.tensor(rng.uniform(0.5, 1.0, (1, 1, k))))
            modules.append(layer)
            specs.append(dict(kind=kind, kernel_size=k, stride=s, padding=p, dilation=d))
        else:
            mode = "nearest" if kind == "nearest" else "linear"
            extra = {} if mode == "nearest" else {"align_corners": False}
            modules.append(nn.Upsample(scale_factor=k, mode=mode, **extra))
            length = length * k
            specs.append(dict(kind="upsample", scale_factor=k, mode=mode))
        if length < 1:
            return None, specs, 0
    return nn.Sequential(*modules), specs, length


upsampling_layer_strategy = st.one_of(
    st.tuples(st.just("conv"), st.integers(1, 3), st.integers(1, 3), st.integers(0, 1), st.integers(1, 2)),
    st.tuples(st.just("conv_transpose"), st.integers(1, 4), st.integers(1, 3), st.integers(0, 2),
              st.integers(1, 2)),
    st.tuples(st.sampled_from(["nearest", "linear"]), st.integers(2, 3), st.just(1), st.just(0), st.just(1)))


@pytest.mark.parametrize("library", ["torch", "npconv"])
@settings(max_examples=40, deadline=None)
@given(layers=st.lists(upsampling_layer_strategy, min_size=1, max_size=4), size=st.integers(4, 16),
       data=st.data())
def test_one_pixel_changes_only_outputs_whose_field_holds_it_through_fractional_jumps(library, layers, size,
                                                                                      data):
    library = torch if library == "torch" else npconv
    model, specs, length = build_upsampling_chain(library, layers, size)
    if length < 1 or length > 2000:
        return
    field = receptive_field(specs, ndim=1)
    pixel = data.draw(st.integers(0, size - 1))
    for output in touched_outputs(model, size, pixel, library):
        (first, last), = field.region(output)
        assert first <= pixel <= last, (output, pixel, field)


def test_adaptive_windows_of_every_phase_lie_in_the_field():
    # 5 -> 3: windows 0-1, 1-3, 3-4 (window i: floor(5i/3) .. ceil(5(i+1)/3) - 1)
    field = receptive_field([tnn.AdaptiveAvgPool1d(3)], ndim=1, input_size=5)
    for output, (first, last) in enumerate([(0, 1), (1, 3), (3, 4)]):
        (low, high), = field.region(output)
        assert low <= first and last <= high


def test_align_corners_true_has_no_size_free_field():
    with pytest.raises(ValueError, match="align_corners"):
        receptive_field([tnn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)])


@pytest.mark.parametrize("padding, size, output, reads", [
    # ZeroPad1d((2, 1)) then Conv1d(k=3): output o reads padded 0..2+o, i.e. input pixels o-2 .. o
    ((2, 1), 8, 3, {1, 2, 3}),
    ((0, 3), 8, 0, {0, 1, 2}),
])
def test_padding_layers_shift_the_start_by_their_left_pad(padding, size, output, reads):
    layers = [tnn.ZeroPad1d(padding), tnn.Conv1d(1, 1, 3, bias=False)]
    model = tnn.Sequential(*layers).double()
    layers[1].weight.data.fill_(1.0)
    actual = {pixel for pixel in range(size) if output in touched_outputs(model, size, pixel)}
    assert actual == reads
    field = receptive_field(layers, ndim=1, input_size=size)
    assert field.start == (-padding[0],) and field.size == (3,)
    (first, last), = field.region(output)
    assert {p for p in range(first, last + 1) if 0 <= p < size} == reads


def test_zero_pad_2d_pads_each_dim_by_its_own_left_pad_and_sizes_follow():
    # (left, right, top, bottom): H starts at -top, W at -left; adaptive pooling sees the padded size
    field = receptive_field([tnn.ZeroPad2d((1, 2, 3, 4)), tnn.Conv2d(1, 1, 3), tnn.AdaptiveAvgPool2d(1)],
                            input_size=(10, 10))
    assert field.start == (-3, -1) and field.size == (10 + 3 + 4, 10 + 1 + 2)


@pytest.mark.parametrize("library, names", [
    ("torch", ("Hardsigmoid", "Hardswish", "SELU", "CELU", "Softsign", "Mish", "LogSigmoid", "Tanhshrink")),
    ("npconv", ("Hardsigmoid", "Hardswish", "Mish"))])
def test_hardsigmoid_and_every_pointwise_activation_keep_the_field(library, names):
    nn = tnn if library == "torch" else __import__("npconv").nn
    conv = {"kind": "conv", "kernel_size": 3, "stride": 2}
    for name in names:
        assert receptive_field([conv, getattr(nn, name)(), conv]) == receptive_field([conv, conv]), name


def test_one_table_of_position_preserving_layers_serves_receptive_fields_traces_and_tiling():
    import npconv
    import npconv.parallel as parallel
    from npconv.arithmetic.receptive import POSITION_PRESERVING_LAYERS
    # every layer the table calls point-wise is one that tiling passes through and receptive fields keep
    conv3 = {"kind": "conv", "kernel_size": 3}
    for name, rule in POSITION_PRESERVING_LAYERS.items():
        layer = getattr(tnn, name, None)
        if layer is None or rule == "statistics":
            continue
        arguments = {"Threshold": (0.1, 0.0), "LocalResponseNorm": (2,)}.get(name, (4,) if "BatchNorm" in name else ())
        instance = layer(*arguments)
        instance.eval()
        assert receptive_field([instance]) == ReceptiveField.identity(2), name
        ours = getattr(npconv.nn, name, None)
        if ours is not None:
            dims = 1 if name.endswith("1d") else 3 if name.endswith("3d") else 2
            conv = getattr(npconv.nn, f"Conv{dims}d")(4, 4, 3)
            plan = parallel.tiling_plan(npconv.nn.Sequential(conv, ours(*arguments)).eval(),
                                        input_shape=(1, 4) + (9,) * dims)
            assert plan.field == receptive_field([conv3], ndim=dims), name
    # and a summary carries the field through them (Hardsigmoid was missing from one of three lists)
    model = npconv.nn.Sequential(npconv.nn.Conv2d(1, 1, 3), npconv.nn.Hardsigmoid(), npconv.nn.Conv2d(1, 1, 3))
    rows = npconv.summary(model, (1, 1, 9, 9)).layers
    assert [row.receptive_field for row in rows[1:]] == [(3, 3), (3, 3), (5, 5)]
