"""Real torch models through npconv's summary, complexity and receptive fields: the same rows and rules as
npconv models, torchinfo and ptflops as oracles, the user's model untouched."""
import io
import math
import subprocess
import sys

import ptflops
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as tF
import torchinfo

import npconv
from npconv.arithmetic import get_model_complexity_info, receptive_field, summary
from npconv.arithmetic.torch_trace import is_torch_object

from .twins import build_both
from .zoo import ZOO


class Branched(tnn.Module):
    """Branches joined by torch.cat, F.* calls, a transposed conv, a bare Parameter and tied weights."""

    def __init__(self):
        super().__init__()
        self.stem = tnn.Conv2d(3, 8, 3, padding=1)
        self.left = tnn.Sequential(tnn.Conv2d(8, 8, 3, padding=1), tnn.BatchNorm2d(8), tnn.ReLU())
        self.right = tnn.Conv2d(8, 8, 5, padding=2, bias=False)
        self.up = tnn.ConvTranspose2d(16, 4, 4, stride=2, padding=1)
        self.scale = tnn.Parameter(torch.ones(1, 4, 1, 1))     # bare: torchinfo does not count it
        self.head = tnn.Linear(4, 10)
        self.again = tnn.Linear(4, 10)
        self.again.weight = self.head.weight                   # tied: torchinfo counts it twice

    def forward(self, x):
        x = tF.relu(self.stem(x))
        x = tF.max_pool2d(x, 2)
        y = torch.cat([self.left(x), self.right(x)], dim=1)
        y = self.up(y) * self.scale
        features = tF.adaptive_avg_pool2d(y, 1).flatten(1)
        return self.head(features) + self.again(features).matmul(torch.eye(10, device=features.device))


def test_branched_torch_model_against_torchinfo():
    model = Branched()
    ours = summary(model, (2, 3, 16, 16))
    theirs = torchinfo.summary(model, input_size=(2, 3, 16, 16), verbose=0)
    assert ours.total_params == sum(p.numel() for p in model.parameters()) == 3516
    # torchinfo counts the tied weight twice and leaves the bare Parameter out
    assert theirs.total_params == ours.total_params + model.head.weight.numel() - model.scale.numel()
    modules = [row for row in ours.layers if row.kind == "module"]
    assert [(r.type, r.depth, list(r.output_shape)) for r in modules] == \
           [(info.class_name, info.depth, list(info.output_size)) for info in theirs.summary_list]
    for row, info in zip(modules, theirs.summary_list):
        if info.is_leaf_layer:
            assert row.params == info.num_params, row.name
    rows = {row.name: row for row in ours.layers}
    assert rows["up"].mult_adds == 2 * 16 * 8 * 8 * 4 * 16            # input elements x C_out x kernel
    assert theirs.summary_list[[i.var_name for i in theirs.summary_list].index("up")].macs == \
        2 * 16 * 4 * 16 * 16 * 16 + 2 * 4 * 16 * 16                    # torchinfo: output size x kernel, + bias
    assert [r.type for r in ours.layers if r.kind == "function"] == ["F.relu", "F.max_pool2d", "F.adaptive_avg_pool2d"]
    assert rows["F.max_pool2d:1"].output_shape == (2, 8, 8, 8)
    # the field through both branches: the 5x5 branch after the stem and the pool, then the transposed conv
    assert rows["right"].receptive_field == (3 + 1 + 4 * 2,) * 2 and rows["right"].stride == (2, 2)
    assert rows["up"].receptive_field == (15, 15) and rows["up"].stride == (1, 1)


def test_the_users_model_is_neither_moved_nor_changed():
    model = Branched().train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    summary(model, (2, 3, 16, 16))
    get_model_complexity_info(model, (3, 16, 16), ost=io.StringIO(), print_per_layer_stat=False)
    receptive_field(model.left, ndim=2)
    after = model.state_dict()
    for key, value in before.items():
        assert after[key].device.type == "cpu" and torch.equal(after[key], value), key
    assert model.training and model.again.weight is model.head.weight
    for module in model.modules():
        assert not module._forward_hooks and not module._forward_pre_hooks


@pytest.mark.parametrize("name", sorted(ZOO))
def test_torch_twin_gives_the_npconv_twins_summary(name):
    """One set of rules: the torch model's rows, table and exports equal those of its npconv twin."""
    source, input_size = ZOO[name]
    ours_model, torch_model = build_both(source)
    from_npconv, from_torch = summary(ours_model, input_size), summary(torch_model, input_size)
    assert from_torch.to_dict() == from_npconv.to_dict()
    assert str(from_torch) == str(from_npconv)
    theirs = torchinfo.summary(torch_model, input_size=input_size, verbose=0)
    assert [list(row.output_shape or []) for row in from_torch.layers if row.kind == "module"] == \
           [list(info.output_size) for info in theirs.summary_list]


@pytest.mark.parametrize("name", sorted(ZOO))
def test_torch_model_complexity_equals_ptflops(name):
    source, input_size = ZOO[name]
    _, torch_model = build_both(source)
    res = tuple(input_size[1:])
    ours_report, their_report = io.StringIO(), io.StringIO()
    ours = get_model_complexity_info(torch_model, res, as_strings=False, ost=ours_report)
    theirs = ptflops.get_model_complexity_info(torch_model, res, as_strings=False, ost=their_report)
    assert ours == theirs
    assert ours_report.getvalue() == their_report.getvalue()


def test_receptive_field_of_torch_models():
    chain = tnn.Sequential(tnn.Conv2d(1, 2, 3), tnn.MaxPool2d(2), tnn.Conv2d(2, 2, 3, dilation=2))
    assert receptive_field(chain).size == (3 + 1 + 2 * 4,) * 2
    model = Branched()
    with pytest.raises(ValueError, match="mixes all positions"):
        receptive_field(model, input_size=(1, 3, 16, 16))
    with pytest.raises(ValueError, match="input_size="):
        receptive_field(model)

    class Features(tnn.Module):
        def __init__(self):
            super().__init__()
            self.inner = model

        def forward(self, x):
            x = tF.max_pool2d(tF.relu(self.inner.stem(x)), 2)
            return torch.cat([self.inner.left(x), self.inner.right(x)], dim=1)
    field = receptive_field(Features(), input_size=(1, 3, 16, 16))
    assert field.size == (12, 12) and field.jump == (2, 2)


def test_torch_dtypes_and_input_data():
    model = tnn.Sequential(tnn.Conv2d(3, 4, 3)).double()
    result = summary(model, (1, 3, 8, 8))
    assert result.input_bytes == 8 * 3 * 64 and result.param_bytes == 8 * 112
    assert summary(model, (1, 3, 8, 8), dtypes=[npconv.float64]).to_dict() == result.to_dict()
    embed = tnn.Embedding(10, 4)
    rows = summary(embed, (2, 5), dtypes=[torch.long]).layers
    assert rows[0].output_shape == (2, 5, 4)


def test_torch_is_not_imported_for_npconv_models():
    code = ("import sys, npconv\n"
            "m = npconv.nn.Sequential(npconv.nn.Conv2d(1, 2, 3))\n"
            "npconv.summary(m, (1, 1, 8, 8), verbose=0); npconv.arithmetic.receptive_field(m)\n"
            "npconv.arithmetic.get_model_complexity_info(m, (1, 8, 8), print_per_layer_stat=False)\n"
            "print('torch' in sys.modules, npconv.arithmetic.torch_trace.is_torch_object(m))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
    assert is_torch_object(tnn.Conv2d(1, 1, 1)) and is_torch_object(Branched()) and is_torch_object(torch.float32)
    assert not is_torch_object(npconv.nn.Conv2d(1, 1, 1)) and not is_torch_object(math)
