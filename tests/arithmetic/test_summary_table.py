"""npconv.summary with torchinfo's signature: depth folding, columns, row settings, verbose, mode and inputs,
checked line by line against torchinfo's own table on the same architectures."""
import io
import math
import sys

import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as tF
import torchinfo

import npconv
from npconv.arithmetic import summary
from npconv.arithmetic.summary_table import _readable

from .twins import build_both, torch_twin_module
from .zoo import ZOO

# the columns whose values follow the same rules in both (mult-adds differ by convention: see summary.py)
SHARED_COLUMNS = ("input_size", "output_size", "num_params", "params_percent", "kernel_size", "trainable")


class Branched(tnn.Module):
    """A torch model with branches, F.* calls, a transposed convolution and a frozen layer."""

    def __init__(self):
        super().__init__()
        self.stem = tnn.Conv2d(3, 8, 3, padding=1)
        self.left = tnn.Sequential(tnn.Conv2d(8, 8, 3, padding=1), tnn.BatchNorm2d(8), tnn.ReLU())
        self.right = tnn.Conv2d(8, 8, 5, padding=2, bias=False)
        self.up = tnn.ConvTranspose2d(16, 4, 4, stride=2, padding=1)
        self.head = tnn.Linear(4, 10)
        self.right.requires_grad_(False)

    def forward(self, x):
        x = tF.max_pool2d(tF.relu(self.stem(x)), 2)
        y = torch.cat([self.left(x), self.right(x)], dim=1)
        return self.head(tF.adaptive_avg_pool2d(self.up(y), 1).flatten(1))


def resnet_twins():
    import npconv.models.resnet as ours
    return ours.resnet18(), torch_twin_module(ours).resnet18()


def table_rows(text):
    """The layer lines of a table: between its second and third divider."""
    lines = text.splitlines()
    dividers = [i for i, line in enumerate(lines) if line and set(line) == {"="}]
    return lines[dividers[1] + 1:dividers[2]]


def without_functional_rows(lines):
    return [line for line in lines if "F." not in line.split()[0] + (line.split()[1] if len(line.split()) > 1 else "")]


@pytest.mark.parametrize("depth", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("row_settings", [("depth",), ("depth", "var_names"), ("ascii_only",),
                                          ("var_names", "ascii_only", "depth")])
def test_resnet_table_equals_torchinfos_at_every_depth(depth, row_settings):
    ours_model, torch_model = resnet_twins()
    options = dict(depth=depth, col_names=SHARED_COLUMNS, row_settings=row_settings, verbose=0)
    ours = summary(ours_model, (1, 3, 64, 64), **options)
    theirs = torchinfo.summary(torch_model, input_size=(1, 3, 64, 64), **options)
    assert table_rows(str(ours)) == table_rows(str(theirs))
    assert str(ours).splitlines()[1] == str(theirs).splitlines()[1]           # the header
    assert (ours.total_params, ours.trainable_params) == (theirs.total_params, theirs.trainable_params)
    assert len(table_rows(str(ours))) == sum(1 for info in theirs.summary_list if info.depth <= depth)


@pytest.mark.parametrize("depth", [0, 1, 2])
def test_torch_model_with_functional_calls_folds_like_torchinfo(depth):
    """Beside torchinfo's rows npconv shows the F.* calls; without them the table is torchinfo's."""
    model = Branched()
    options = dict(depth=depth, col_names=SHARED_COLUMNS, row_settings=("depth", "var_names"), verbose=0)
    ours = summary(model, (2, 3, 16, 16), **options)
    theirs = torchinfo.summary(model, input_size=(2, 3, 16, 16), **options)
    ours_rows = table_rows(str(ours))
    functional = [line for line in ours_rows if line.lstrip("├└│ ─").startswith("F.")]
    assert len(functional) == (3 if depth >= 1 else 0)
    assert [line for line in ours_rows if line not in functional] == table_rows(str(theirs))
    assert ours.total_params == theirs.total_params == 3502
    assert ours.trainable_params == theirs.trainable_params == 3502 - 1600
    assert "Non-trainable params: 1,600" in str(ours) and ("(1,600)" in str(ours)) == (depth >= 1)
    assert ours.total_mult_adds == 2 * (3 * 16 * 16 * 8 * 9 + 8 * 8 * 8 * 8 * 9 + 8 * 8 * 8 * 8 * 25
                                        + 16 * 8 * 8 * 4 * 16 + 10 * 4)   # the transposed conv: input x C_out x k


def test_depth_one_folds_mult_adds_and_params_into_the_container():
    model = Branched()
    rows = {row.name: row for row in summary(model, (1, 3, 32, 32), verbose=0).layers}
    lines = table_rows(str(summary(model, (1, 3, 32, 32), depth=1, verbose=0)))
    left = next(line for line in lines if line.startswith("├─Sequential: 1-2"))
    assert "600" in left and f"{rows['left.0'].mult_adds:,}" in left
    assert not any("BatchNorm2d" in line for line in lines)
    shown = summary(model, (1, 3, 32, 32), depth=1, verbose=0)
    assert {row.depth for row in shown.shown_layers} == {0, 1}
    assert [layer["name"] for layer in shown.to_dict()["layers"]] == [row.name for row in shown.shown_layers]
    assert shown.total_mult_adds == summary(model, (1, 3, 32, 32), depth=4, verbose=0).total_mult_adds


def test_verbose_two_lists_weights_like_torchinfo():
    ours_model, torch_model = build_both(ZOO["batchnorm"][0])
    options = dict(depth=2, col_names=("output_size", "num_params", "kernel_size"), verbose=0)
    ours = summary(ours_model, (2, 3, 12, 12), **options)
    ours.verbose = 2
    theirs = torchinfo.summary(torch_model, input_size=(2, 3, 12, 12), **options)
    theirs.formatting.verbose = 2
    assert table_rows(str(ours)) == table_rows(str(theirs))


def test_verbose_prints_and_quiet_does_not(capsys):
    model = Branched()
    result = summary(model, (1, 3, 16, 16))            # torchinfo's default outside an interactive session
    assert capsys.readouterr().out == str(result) + "\n"
    summary(model, (1, 3, 16, 16), verbose=0)
    assert capsys.readouterr().out == ""
    summary(model, (1, 3, 16, 16), verbose=2)
    assert "└─" in capsys.readouterr().out


def test_printing_to_an_ascii_stream_draws_the_tree_in_ascii(monkeypatch):
    stream = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    monkeypatch.setattr(sys, "stdout", stream)
    result = summary(Branched(), (1, 3, 16, 16), verbose=1)
    stream.seek(0)
    printed = stream.read()
    assert printed == result.table(ascii_only=True) + "\n" and "+ Conv2d: 1-1" in printed


def test_units_follow_the_size_of_the_total():
    assert _readable(1_040_424) == (" (M)", "1.04")
    assert _readable(15_470_264_320) == (" (G)", "15.47")
    assert _readable(3_000_000_000_000) == (" (T)", "3")
    assert _readable(40_960) == (" (k)", "40.96")
    assert _readable(40) == ("", "40")
    tiny = summary(npconv.nn.Linear(4, 10), (1, 4), verbose=0)
    assert "Total mult-adds: 40" in str(tiny)
    lenet = summary(npconv.models.lenet(), (1, 1, 28, 28), verbose=0)
    assert f"Total mult-adds (M): {lenet.total_mult_adds / 1e6:.2f}" in str(lenet)


def test_hide_recursive_layers():
    shared = npconv.nn.Conv2d(2, 2, 3, padding=1)
    model = npconv.nn.Sequential(shared, npconv.nn.ReLU(), shared)
    shown = str(summary(model, (1, 2, 6, 6), verbose=0))
    assert "(recursive)" in shown
    hidden = summary(model, (1, 2, 6, 6), row_settings=("depth", "hide_recursive_layers"), verbose=0)
    assert "(recursive)" not in str(hidden) and len(table_rows(str(hidden))) == 3


@pytest.mark.parametrize("mode", ["train", "eval", "same"])
def test_mode_is_set_for_the_run_and_put_back(mode):
    seen = []

    class Probe(npconv.nn.Module):
        def forward(self, x):
            seen.append(self.training)
            return x
    model = npconv.nn.Sequential(Probe(), npconv.nn.Dropout())
    model[1].eval()                           # a mixed model comes back mixed
    summary(model, (1, 3), mode=mode, verbose=0)
    assert seen == [{"train": True, "eval": False, "same": True}[mode]]
    assert model.training and model[0].training and not model[1].training


def test_input_data_tensors_arrays_and_keywords():
    class TwoInputs(npconv.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = npconv.nn.Conv2d(3, 4, 3)

        def forward(self, x, scale=None):
            return self.conv(x) * scale.mean()
    model = TwoInputs()
    by_size = summary(model, (2, 3, 8, 8), verbose=0, scale=npconv.ones(2))
    from_tensor = summary(model, input_data=npconv.randn(2, 3, 8, 8), verbose=0, scale=npconv.ones(2))
    from_array = summary(model, input_data=[np.zeros((2, 3, 8, 8), np.float32)], verbose=0, scale=npconv.ones(2))
    as_keywords = summary(model, input_data={"x": npconv.zeros(2, 3, 8, 8), "scale": npconv.ones(2)}, verbose=0)
    for other in (from_tensor, from_array):
        assert other.to_dict() == by_size.to_dict()
    assert as_keywords.layers[1].output_shape == (2, 4, 6, 6) and as_keywords.total_params == 112
    batch = summary(npconv.nn.Conv2d(3, 4, 3), (3, 8, 8), batch_dim=0, verbose=0)
    assert batch.input_size == [(1, 3, 8, 8)]
    with pytest.raises(RuntimeError, match=r"Only one of \(input_data, input_size\)"):
        summary(model, (2, 3, 8, 8), input_data=npconv.zeros(2, 3, 8, 8), verbose=0)


def test_torch_input_data_and_dtypes():
    model = tnn.Sequential(tnn.Conv2d(3, 4, 3)).double()
    ours = summary(model, input_data=torch.randn(1, 3, 8, 8, dtype=torch.float64), verbose=0)
    theirs = torchinfo.summary(model, input_data=torch.randn(1, 3, 8, 8, dtype=torch.float64), verbose=0)
    assert ours.input_bytes == 8 * 3 * 64 and ours.total_params == theirs.total_params


@pytest.mark.parametrize("bad, message", [
    (dict(col_names=("output_sise",)), r"unknown column 'output_sise' \(did you mean 'output_size'\?\)"),
    (dict(row_settings=("var_name",)), r"did you mean 'var_names'"),
    (dict(mode="evaluate"), "mode must be one of"),
    (dict(verbose=3), r"Verbose must be either 0 \(quiet\), 1 \(default\), or 2 \(verbose\)."),
    (dict(depth=-1), "depth must be a non-negative integer"),
])
def test_bad_settings_say_what_is_valid(bad, message):
    with pytest.raises(ValueError, match=message):
        summary(npconv.nn.Conv2d(1, 1, 1), (1, 1, 2, 2), **bad)


def test_columns_have_one_name_in_table_csv_json_and_markdown():
    columns = ("input_size", "output_size", "num_params", "params_percent", "kernel_size", "mult_adds",
               "trainable", "receptive_field")
    result = summary(Branched(), (1, 3, 16, 16), col_names=columns, row_settings=("depth", "var_names"), verbose=0)
    header = result.to_csv().splitlines()[0].split(",")
    assert header[-len(columns):] == list(columns)
    layers = result.to_dict()["layers"]
    assert list(layers[1])[-len(columns):] == list(columns) and result.to_dict()["columns"] == list(columns)
    stem = next(layer for layer in layers if layer["name"] == "stem")
    assert stem["kernel_size"] == [3, 3] and stem["trainable"] == "True" and stem["input_size"] == [1, 3, 16, 16]
    assert stem["params_percent"] == round(100 * 224 / 3502, 2)
    titles = ["Input Shape", "Output Shape", "Param #", "Param %", "Kernel Shape", "Mult-Adds", "Trainable",
              "Receptive Field"]
    for text in (str(result), result.to_markdown(), result.to_html()):
        positions = [text.index(title) for title in titles]
        assert positions == sorted(positions)
    assert "Conv2d (stem): 1-1" in str(result) and "Conv2d (stem): 1-1" in result.to_markdown()


def test_html_for_notebooks():
    result = summary(Branched(), (1, 3, 16, 16), verbose=0)
    page = result._repr_html_()
    assert page.startswith('<div class="npconv-summary"><table>') and page.count("<tr>") >= len(result.layers)
    assert "Total params</td><td>3,502" in page and "├" not in page
    assert result.format("html") == page


@pytest.mark.parametrize("width", [60, 80, 100])
def test_the_table_fits_a_given_width(width):
    result = summary(npconv.models.resnet18(), (1, 3, 64, 64), verbose=0)
    text = result.table(width=width)
    assert max(len(line) for line in text.splitlines()[:-1]) <= width
    rows = table_rows(text)
    assert len(rows) == len(result.shown_layers)
    assert all(": " in row for row in rows[1:])              # every layer keeps its depth-idx
    wide = result.table(width=1000)
    assert wide == str(result)                              # room enough: torchinfo's layout, untouched
    if "left out" in text.splitlines()[-1]:
        assert "Jump" in text.splitlines()[-1]


def test_a_table_without_room_for_names_wraps_titles_before_leaving_columns_out():
    result = summary(npconv.nn.Sequential(npconv.nn.Conv2d(3, 4, 3)), (1, 3, 8, 8), verbose=0,
                     col_names=("output_size", "num_params", "receptive_field"))
    text = result.table(width=56)
    lines = text.splitlines()
    assert max(map(len, lines)) <= 56 and "left out" not in text
    assert lines[1].split()[-1] == "Receptive" and lines[2].split()[-1] == "Field"


def test_the_readme_model_sizes():
    """lenet is built like resnet18; both through the registry and the functions."""
    assert npconv.models.lenet().__class__ is npconv.models.LeNet
    assert summary(npconv.models.lenet(), (1, 1, 28, 28), verbose=0).total_params == 431080
    assert math.isclose(summary(npconv.models.get_model("lenet"), (1, 1, 28, 28), verbose=0).total_mult_adds,
                        2_293_000, rel_tol=0.01)


def test_code_written_for_torchinfos_result_reads_npconvs():
    ours_model, torch_model = resnet_twins()
    ours = summary(ours_model, (1, 3, 64, 64), verbose=0)
    theirs = torchinfo.summary(torch_model, input_size=(1, 3, 64, 64), verbose=0)
    fields = ("class_name", "depth", "num_params", "is_leaf_layer", "is_recursive", "output_size", "input_size")
    assert [tuple(getattr(row, f) for f in fields) for row in ours.summary_list] == \
           [tuple(getattr(info, f) for f in fields) for info in theirs.summary_list]
    assert ours.total_param_bytes == theirs.total_param_bytes
    for row, info in zip(ours.summary_list, theirs.summary_list):
        if info.class_name == "Conv2d":               # torchinfo adds no bias here (bias=False in ResNet)
            assert row.macs == info.macs
