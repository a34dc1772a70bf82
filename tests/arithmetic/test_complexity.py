"""get_model_complexity_info against ptflops itself, on the same architectures (see twins.py, zoo.py)."""
import io

import pytest
import ptflops

import npconv.nn as nn
from npconv.arithmetic.complexity import flops_to_string, get_model_complexity_info, params_to_string

from .twins import build_both
from .zoo import ZOO


def npconv_counts(model, input_res, **kwargs):
    """npconv's counts and report; like ptflops it prints the error and returns (None, None) when the model
    cannot run, which here is a failure."""
    stream = io.StringIO()
    result = get_model_complexity_info(model, input_res, ost=stream, **kwargs)
    assert result != (None, None), "npconv could not run the model (its error is printed above)"
    return result, stream.getvalue()


def theirs(model, input_res, **kwargs):
    """ptflops' counts and report for the torch twin (which must run: (None, None) == (None, None) proves
    nothing)."""
    stream = io.StringIO()
    result = ptflops.get_model_complexity_info(model, input_res, ost=stream, **kwargs)
    assert result != (None, None), "ptflops could not run the torch twin (its error is printed above)"
    return result, stream.getvalue()


class BrokenBlock(nn.Module):
    """A block with a typo in its forward, as a half-written model has."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)

    def forward(self, x):
        return self.conv(x).rleu()


def test_a_broken_model_fails_the_test_helper(capsys):
    """Like ptflops, get_model_complexity_info prints the error and returns (None, None); the tests' helper
    turns that into a failure, never a skip."""
    assert get_model_complexity_info(BrokenBlock(), (1, 8, 8), ost=io.StringIO()) == (None, None)
    printed = capsys.readouterr()
    assert "AttributeError" in printed.out + printed.err and "rleu" in printed.out + printed.err
    with pytest.raises(AssertionError, match="could not run the model"):
        npconv_counts(BrokenBlock(), (1, 8, 8))


@pytest.mark.parametrize("name", sorted(ZOO))
def test_totals_equal_ptflops(name, capsys):
    source, input_size = ZOO[name]
    ours_model, torch_model = build_both(source)
    res = tuple(input_size[1:])
    (our_macs, our_params), _ = npconv_counts(ours_model, res, as_strings=False, print_per_layer_stat=False)
    (their_macs, their_params), _ = theirs(torch_model, res, as_strings=False, print_per_layer_stat=False)
    assert (our_macs, our_params) == (their_macs, their_params)
    (our_text, _), _ = npconv_counts(ours_model, res, print_per_layer_stat=False)
    (their_text, _), _ = theirs(torch_model, res, print_per_layer_stat=False)
    assert our_text == their_text


@pytest.mark.parametrize("name", sorted(ZOO))
def test_per_layer_report_equals_ptflops(name):
    source, input_size = ZOO[name]
    ours_model, torch_model = build_both(source)
    res = tuple(input_size[1:])
    _, our_report = npconv_counts(ours_model, res)
    _, their_report = theirs(torch_model, res)
    assert our_report == their_report


def test_count_functional_off_and_ignore_modules():
    ours_model, torch_model = build_both(ZOO["lenet_like"][0])
    config = {"count_functional": False}
    (ours, _), _ = npconv_counts(ours_model, (1, 28, 28), as_strings=False, print_per_layer_stat=False,
                                backend_specific_config=config)
    (ref, _), _ = theirs(torch_model, (1, 28, 28), as_strings=False, print_per_layer_stat=False,
                         backend_specific_config=config)
    assert ours == ref
    import npconv.nn
    import torch.nn
    (ours, _), _ = npconv_counts(ours_model, (1, 28, 28), as_strings=False, print_per_layer_stat=False,
                                ignore_modules=[npconv.nn.Conv2d])
    (ref, _), _ = theirs(torch_model, (1, 28, 28), as_strings=False, print_per_layer_stat=False,
                         ignore_modules=[torch.nn.Conv2d])
    assert ours == ref


def test_failure_returns_none_like_ptflops(capsys):
    ours_model, _ = build_both(ZOO["grouped_depthwise"][0])
    assert get_model_complexity_info(ours_model, (3, 15, 12), print_per_layer_stat=False) == (None, None)
    assert "Flops estimation was not finished successfully" in capsys.readouterr().out


@pytest.mark.parametrize("value", [0, 7, 999, 1000, 123456, 999999, 10 ** 6, 15470264320, 2 * 10 ** 12])
def test_number_formatting_equals_ptflops(value):
    from ptflops.utils import flops_to_string as their_flops, params_to_string as their_params
    for units in (None, "GMac", "MMac", "KMac"):
        assert flops_to_string(value, units) == their_flops(value, units)
    for units in (None, "M", "K", "B"):
        assert params_to_string(value, units) == their_params(value, units)


@pytest.mark.parametrize("name", [pytest.param("vgg11", marks=pytest.mark.slow), "resnet18", "mobilenet_v2",
                                  "unet", "dcgan_generator"])
def test_builtin_models_equal_ptflops(name):
    from npconv import models
    from .twins import torch_twin_module
    ours_model = models.get_model(name)
    factory = models.REGISTRY[name][0]
    twin = torch_twin_module(__import__(factory.__module__, fromlist=["_"]))
    torch_model = getattr(twin, factory.__name__)()
    res = tuple(models.default_input_size(name)[1:])
    (ours, our_params), _ = npconv_counts(ours_model, res, as_strings=False, print_per_layer_stat=False)
    (ref, ref_params), _ = theirs(torch_model, res, as_strings=False, print_per_layer_stat=False)
    assert (ours, our_params) == (ref, ref_params)


@pytest.mark.parametrize("name", sorted(ZOO))
def test_aten_backend_equals_ptflops(name):
    source, input_size = ZOO[name]
    ours_model, torch_model = build_both(source)
    res = tuple(input_size[1:])
    ours, our_report = npconv_counts(ours_model, res, as_strings=False, backend="aten")
    ref, their_report = theirs(torch_model, res, as_strings=False, backend="aten")
    assert ours == ref
    assert our_report == their_report


def test_runs_in_eval_mode_and_restores_training_flags():
    ours_model, torch_model = build_both("""
import npconv.nn as nn
def build():
    return nn.Sequential(nn.Conv2d(1, 1, 1, 6), nn.BatchNorm2d(1))
""")
    # a 1x1 output: BatchNorm could not train on it, but ptflops runs the model in eval mode
    (ours, _), _ = npconv_counts(ours_model, (1, 6, 6), as_strings=False, print_per_layer_stat=False)
    (ref, _), _ = theirs(torch_model, (1, 6, 6), as_strings=False, print_per_layer_stat=False)
    assert ours == ref
    assert all(m.training for m in ours_model.modules())


def test_custom_module_hooks_like_ptflops():
    source = """
import npconv.nn as nn
class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.relu = nn.ReLU()
    def forward(self, x):
        return self.relu(self.conv(x))
def build():
    return nn.Sequential(Block(), nn.Conv2d(4, 2, 1))
"""
    ours_model, torch_model = build_both(source)

    def hook(module, inputs, output):       # ptflops' kind: add to module.__flops__
        module.__flops__ += 1000 + output.shape[1]

    (ours, our_params), our_report = npconv_counts(
        ours_model, (3, 8, 8), as_strings=False, custom_modules_hooks={type(ours_model[0]): hook})
    (ref, ref_params), their_report = theirs(
        torch_model, (3, 8, 8), as_strings=False, custom_modules_hooks={type(torch_model[0]): hook})
    assert (ours, our_params) == (ref, ref_params)
    assert our_report.replace("twin_npconv", "") == their_report.replace("twin_torch", "")


def test_verbose_warnings_like_ptflops():
    ours_model, torch_model = build_both(ZOO["residual"][0])
    _, our_report = npconv_counts(ours_model, (3, 17, 17), verbose=True, print_per_layer_stat=False)
    _, their_report = theirs(torch_model, (3, 17, 17), verbose=True, print_per_layer_stat=False)
    assert "is treated as a zero-op" in their_report
    assert our_report == their_report
