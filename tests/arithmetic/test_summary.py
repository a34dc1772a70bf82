"""npconv.summary against torchinfo on the same architectures (built from one source, see twins.py)."""
import math
import time

import pytest
import torchinfo

import npconv
from npconv.arithmetic import summary
from npconv.arithmetic.receptive import receptive_field

from .twins import build_both
from .zoo import ZOO


def expected_mult_adds(module, input_shape, output_shape):
    """The issue's formula, written out independently of npconv's code."""
    name = type(module).__name__
    if not name.startswith(("Conv", "Linear")):
        return 0
    kernel = math.prod(getattr(module, "kernel_size", (1,)))
    if name.startswith("ConvTranspose"):
        return math.prod(input_shape) * module.out_channels // module.groups * kernel
    if name.startswith("Conv"):
        return math.prod(output_shape) * module.in_channels // module.groups * kernel
    if name == "Linear":
        return math.prod(output_shape) * module.in_features
    return 0


@pytest.mark.parametrize("name", sorted(ZOO))
def test_params_shapes_and_mult_adds_match_torchinfo(name):
    source, input_size = ZOO[name]
    ours_model, torch_model = build_both(source)
    ours = summary(ours_model, input_size)
    theirs = torchinfo.summary(torch_model, input_size=input_size, verbose=0)

    assert ours.total_params == theirs.total_params
    assert ours.trainable_params == theirs.trainable_params
    module_rows = [row for row in ours.layers if row.kind == "module"]
    assert [(r.type, r.depth, list(r.output_shape or [])) for r in module_rows] == \
           [(info.class_name, info.depth, list(info.output_size)) for info in theirs.summary_list]

    expected_total = 0
    for row, info in zip(module_rows, theirs.summary_list):
        if not info.is_leaf_layer or not info.output_size:
            continue
        expected = expected_mult_adds(info.module, info.input_size, info.output_size)
        expected_total += expected
        assert row.mult_adds == expected, row.name
        bias = getattr(info.module, "bias", None)
        bias_macs = bias.numel() * math.prod(info.output_size) // info.output_size[1] \
            if bias is not None and "Conv" in info.class_name else 0
        if info.class_name.startswith("Conv") and not info.class_name.startswith("ConvTranspose"):
            assert row.mult_adds + bias_macs == info.macs     # torchinfo adds the bias, and is right otherwise
    functional_macs = sum(r.mult_adds for r in ours.layers if r.kind == "function")
    assert ours.total_mult_adds == expected_total + functional_macs


class BrokenBlock(npconv.nn.Module):
    """A block with a typo in its forward, as a half-written model has."""

    def __init__(self):
        super().__init__()
        self.conv = npconv.nn.Conv2d(1, 2, 3)

    def forward(self, x):
        return self.conv(x).rleu()


def test_a_broken_model_fails_loudly():
    """A missing layer or op is an error of the summary and of the twin builder, never a skipped test."""
    with pytest.raises(AttributeError, match="rleu"):
        summary(npconv.nn.Sequential(BrokenBlock()), (1, 1, 8, 8))
    with pytest.raises(AttributeError, match="Conv2dd"):
        build_both("import npconv.nn as nn\ndef build():\n    return nn.Conv2dd(1, 2, 3)\n")


def test_transposed_mult_adds_do_not_overcount_like_torchinfo():
    ours_model, torch_model = build_both("""
import npconv.nn as nn
def build():
    return nn.ConvTranspose2d(8, 4, 3, stride=2, bias=False)
""")
    ours = summary(ours_model, (1, 8, 10, 10))
    theirs = torchinfo.summary(torch_model, input_size=(1, 8, 10, 10), verbose=0)
    assert ours.total_mult_adds == 1 * 8 * 10 * 10 * 4 * 9           # every input pixel meets the kernel once
    assert theirs.total_mult_adds == 8 * 4 * 9 * 21 * 21                # torchinfo: output size x kernel


def test_functional_calls_are_rows_with_mult_adds():
    ours_model, _ = build_both(ZOO["functional"][0])
    ours = summary(ours_model, (2, 3, 16, 16))
    by_type = {}
    for row in ours.layers:
        by_type.setdefault(row.type, []).append(row)
    conv = by_type["F.conv2d"][0]
    assert conv.output_shape == (2, 6, 8, 8) and conv.mult_adds == 2 * 6 * 8 * 8 * 3 * 9
    assert by_type["F.conv_transpose2d"][0].mult_adds == 2 * 6 * 4 * 4 * 4 * 4
    assert by_type["F.linear"][0].mult_adds == 2 * 5 * 64
    assert by_type["F.max_pool2d"][0].output_shape == (2, 6, 4, 4)
    assert by_type["F.interpolate"][0].output_shape == (2, 4, 16, 16)


def test_receptive_fields_of_rows_follow_the_chain():
    ours_model, torch_model = build_both(ZOO["lenet_like"][0])
    ours = summary(ours_model, (1, 1, 28, 28))
    fields = {row.name: (row.receptive_field, row.stride) for row in ours.layers}
    # conv 5 -> 5; pool 2 -> 6 (jump 2); conv 5 -> 6 + 4*2 = 14; pool 2 -> 16 (jump 4)
    assert fields["conv1"] == ((5, 5), (1, 1))
    assert fields["F.max_pool2d:1"] == ((6, 6), (2, 2))
    assert fields["conv2"] == ((14, 14), (2, 2))
    assert fields["F.max_pool2d:2"] == ((16, 16), (4, 4))
    assert fields["fc1"] == (None, None)    # a linear layer mixes every position


def test_receptive_fields_agree_with_receptive_field_on_a_sequential():
    for name in ("grouped_depthwise", "dilated", "one_d", "three_d"):
        ours_model, torch_model = build_both(ZOO[name][0])
        input_size = ZOO[name][1]
        ours = summary(ours_model, input_size)
        children = list(torch_model.children())
        for k, row in enumerate([r for r in ours.layers if r.depth == 1]):
            expected = receptive_field(children[:k + 1], ndim=len(input_size) - 2, input_size=input_size[2:])
            assert row.receptive_field == expected.size, (name, row.name)
            assert row.stride == expected.jump, (name, row.name)


def test_residual_sum_takes_the_union_of_fields():
    ours_model, _ = build_both(ZOO["residual"][0])
    ours = summary(ours_model, (1, 3, 17, 17))
    blocks = [row for row in ours.layers if row.type == "Block"]
    assert blocks[0].receptive_field == (3 + 2 * 2 + 2 * 2,) * 2     # 3, then two 3x3 at jump 2
    assert blocks[1].receptive_field == (3 + 8 + 8,) * 2


def test_memory_figures_follow_the_dtype():
    ours_model, _ = build_both(ZOO["plain"][0])
    single = summary(ours_model, (2, 3, 20, 20))
    assert single.param_bytes == 4 * single.total_params
    assert single.input_bytes == 4 * 2 * 3 * 20 * 20
    leaf_outputs = sum(math.prod(r.output_shape) for r in single.layers if r.is_leaf)
    assert single.activation_bytes == 4 * leaf_outputs
    assert single.forward_backward_bytes == 2 * single.activation_bytes
    assert single.total_bytes == single.input_bytes + single.forward_backward_bytes + single.param_bytes
    double = summary(ours_model.double(), (2, 3, 20, 20), dtypes=[npconv.float64])
    assert double.param_bytes == 2 * single.param_bytes and double.input_bytes == 2 * single.input_bytes
    inferred = summary(ours_model, (2, 3, 20, 20))          # dtypes default: the parameters' dtype
    assert inferred.input_bytes == double.input_bytes


def test_exports_and_table():
    ours_model, _ = build_both(ZOO["lenet_like"][0])
    ours = summary(ours_model, (1, 1, 28, 28), verbose=0)
    data = ours.to_dict()
    assert data["total_params"] == 431080 and len(data["layers"]) == len(ours.layers)
    assert '"total_mult_adds"' in ours.to_json()
    csv_lines = ours.to_csv().splitlines()
    assert csv_lines[0].startswith("name,var_name,type,depth") and len(csv_lines) == len(ours.layers) + 1
    assert "| Conv2d: 1-1 |" in ours.to_markdown().replace("&nbsp;", "")
    table = str(ours)
    assert "├─Conv2d: 1-1" in table and "Total params: 431,080" in table and "[1, 20, 24, 24]" in table
    assert "Total mult-adds (M): 2.29" in table
    with pytest.raises(ValueError, match=r"unknown format 'yml' \(did you mean 'html'\?\)|unknown format 'yml'"):
        ours.format("yml")


def test_summary_leaves_the_model_as_it_was():
    ours_model, _ = build_both(ZOO["batchnorm"][0])
    before = {k: v.numpy().copy() for k, v in ours_model.state_dict().items()}
    summary(ours_model, (2, 3, 12, 12))
    after = ours_model.state_dict()
    assert before.keys() == after.keys()
    for key, value in before.items():
        assert not after[key].is_meta and (after[key].numpy() == value).all(), key
    assert "forward" not in vars(ours_model)


def test_errors_of_the_model_come_through():
    ours_model, _ = build_both(ZOO["plain"][0])
    with pytest.raises(RuntimeError):
        summary(ours_model, (2, 4, 20, 20))      # 4 channels into a 3-channel convolution
    assert "forward" not in vars(ours_model[0])


@pytest.mark.parametrize("name, params", [pytest.param("vgg16", 138357544, marks=pytest.mark.slow),
                                          ("resnet18", 11689512),
                                          ("mobilenet_v2", 3504872), ("dcgan_generator", 3576704)])
def test_builtin_models_summary(name, params):
    from npconv import models
    model = models.get_model(name)
    start = time.perf_counter()
    result = summary(model, models.default_input_size(name))
    elapsed = time.perf_counter() - start
    assert result.total_params == params
    if name == "vgg16":
        assert elapsed < 1.0, f"VGG-16 summary took {elapsed:.2f}s"
        assert result.layers[-1].output_shape == (1, 1000)
        assert result.total_mult_adds == 15470264320     # 15.47 GMACs, the figure papers quote


def test_concatenated_branches_take_the_union_of_fields():
    ours_model, _ = build_both("""
import npconv as torch
import npconv.nn as nn
class Branches(nn.Module):
    def __init__(self):
        super().__init__()
        self.narrow = nn.Conv2d(1, 2, 3, padding=1)
        self.wide = nn.Conv2d(1, 2, 5, padding=2)
        self.mix = nn.Conv2d(4, 1, 1)
    def forward(self, x):
        return self.mix(torch.cat([self.narrow(x), self.wide(x)], dim=1))
def build():
    return Branches()
""")
    rows = {row.name: row for row in summary(ours_model, (1, 1, 8, 8)).layers}
    assert rows["narrow"].receptive_field == (3, 3) and rows["wide"].receptive_field == (5, 5)
    assert rows["mix"].receptive_field == (5, 5) and rows["mix"].stride == (1, 1)


@pytest.mark.parametrize("name", ["grouped_depthwise", "batchnorm", "module_list", "pool_upsample", "three_d"])
def test_table_reads_like_torchinfo(name):
    """Layer names, tree, depth-idx, output shapes and Param # columns print as torchinfo prints them."""
    source, input_size = ZOO[name]
    ours_model, torch_model = build_both(source)
    ours = str(summary(ours_model, input_size)).splitlines()
    theirs = str(torchinfo.summary(torch_model, input_size=input_size, verbose=0,
                                   col_names=("output_size", "num_params"))).splitlines()
    param_column_end = theirs[1].index("Param #") + 12
    their_rows = theirs[3:theirs.index(theirs[0], 3)]     # between the second and third divider
    our_rows = ours[3:3 + len(their_rows)]
    assert len(their_rows) > 1 and set(ours[3 + len(their_rows)]) == {"="}
    for our_line, their_line in zip(our_rows, their_rows):
        assert our_line[:param_column_end].rstrip() == their_line[:param_column_end].rstrip()
    assert [line for line in ours if line.startswith(("Total params", "Trainable", "Non-trainable"))] == \
           [line for line in theirs if line.startswith(("Total params", "Trainable", "Non-trainable"))]


def test_summary_computes_no_convolution():
    """5.5 GMACs of convolution: computing them would take seconds; the shape-only run takes milliseconds."""
    import npconv.nn as nn
    model = nn.Sequential(*[nn.Conv2d(64, 64, 3, padding=1) for _ in range(3)])
    summary(model, (1, 64, 224, 224))            # warm-up (imports, first calls)
    start = time.perf_counter()
    result = summary(model, (1, 64, 224, 224))
    assert time.perf_counter() - start < 0.5
    assert result.total_mult_adds == 3 * 64 * 224 * 224 * 64 * 9
