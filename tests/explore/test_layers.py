"""Layer mode's answers (npconv/explore/layers.py): the PyTorch code it writes runs in torch and prints
the shape it states, the numbers equal torch's, invalid combinations carry torch's own error text, the
controls' defaults are torch's, and the size limits refuse before anything large is allocated.
"""
import contextlib
import inspect
import io

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from npconv.explain import ExplainError, LayerSyntaxError, parse_layer
from npconv.explore.layers import EXPLORED_LAYERS, LIMITS, call_text, explain_layer, layer_schema
from tests.strategies import conv_arguments, conv_transpose_arguments


def run_code_in_torch(code):
    """Execute the page's PyTorch code with real torch; return (the layer, what it printed)."""
    printed = io.StringIO()
    namespace = {}
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "<explore code>", "exec"), namespace)
    return namespace["layer"], printed.getvalue().strip()


def check_answer(text, input_shape):
    answer = explain_layer(text, ",".join(map(str, input_shape)))
    layer, printed = run_code_in_torch(answer["code"])
    torch_shape = list(layer(torch.zeros(input_shape)).shape)
    assert answer["output_shape"] == torch_shape
    assert printed == f"torch.Size({torch_shape})"
    assert answer["code"].splitlines()[-1] == f"print(y.shape)  # torch.Size({torch_shape})"
    assert answer["numbers"]["params"] == sum(p.numel() for p in layer.parameters())
    assert answer["svg"] is None or answer["svg"].count('class="out-cell') == np.prod(answer["output_spatial"])
    assert "(matches)" in answer["trace"]
    assert parse_layer(answer["layer"]) == parse_layer(text)   # the canonical text means the same layer
    return answer


def conv_text(name, arguments, keys):
    shown = [repr(arguments["in_channels"]), repr(arguments["out_channels"])]
    shown += [f"{key}={arguments[key]!r}" for key in keys]
    return f"{name}{arguments['dims']}d({', '.join(shown)})"


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths")   # torch's own note
@given(conv_arguments(max_extra=3, batched=True))
def test_conv_code_runs_in_torch_and_states_its_shape(arguments):
    check_answer(conv_text("Conv", arguments, ["kernel_size", "stride", "padding", "dilation", "groups", "bias"]),
                 arguments["input_shape"])


@given(conv_transpose_arguments(max_extra=3, batched=True))
def test_conv_transpose_code_runs_in_torch_and_states_its_shape(arguments):
    check_answer(conv_text("ConvTranspose", arguments,
                           ["kernel_size", "stride", "padding", "output_padding", "groups", "bias", "dilation"]),
                 arguments["input_shape"])


@pytest.mark.parametrize("text, shape, macs, field, jump", [
    ("Conv2d(1, 1, kernel_size=3, stride=2, padding=1)", (1, 1, 5, 5), 81, "3x3", "2x2"),
    ("Conv2d(3, 8, 3, dilation=2)", (1, 3, 9, 9), 8 * 25 * 27, "5x5", "1x1"),
    ("ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1)", (1, 16, 4, 4), 16 * 16 * 8 * 9,
     "2x2", "0.5x0.5"),
    ("MaxPool2d(2)", (1, 1, 6, 6), 0, "2x2", "2x2"),
    ("AvgPool1d(3, stride=2, padding=1)", (1, 2, 5), 0, "3", "2"),
    ("Upsample(scale_factor=2)", (1, 1, 3, 3), 0, "2x2", "0.5x0.5"),   # arithmetic: over every output phase
])
def test_worked_numbers(text, shape, macs, field, jump):
    numbers = check_answer(text, shape)["numbers"]
    assert (numbers["macs"], numbers["receptive_field"], numbers["jump"]) == (macs, field, jump)


@pytest.mark.parametrize("text, shape", [
    ("Conv2d(1, 1, 7)", (1, 1, 5, 5)),
    ("Conv2d(2, 4, 3, groups=3)", (1, 2, 5, 5)),
    ("Conv2d(1, 1, 3, stride=2, padding='same')", (1, 1, 5, 5)),
    ("Conv2d(3, 1, 3)", (1, 1, 5, 5)),
    ("Conv2d(1, 1, 3, padding=3, padding_mode='reflect')", (1, 1, 3, 3)),
    ("ConvTranspose2d(1, 1, 3, padding_mode='reflect')", (1, 1, 5, 5)),
    ("ConvTranspose2d(1, 1, 3, stride=2, output_padding=2)", (1, 1, 4, 4)),
    ("MaxPool2d(3, padding=2)", (1, 1, 5, 5)),
    ("AvgPool2d(2, divisor_override=0)", (1, 1, 4, 4)),
    ("Upsample(scale_factor=2, mode='bilinear')", (1, 1, 4)),
])
def test_invalid_combinations_show_torchs_error(text, shape):
    call = parse_layer(text)
    with pytest.raises((RuntimeError, ValueError)) as torch_error:
        getattr(torch.nn, call.name)(**call.arguments)(torch.zeros(shape))
    with pytest.raises(ExplainError) as ours:
        explain_layer(text, ",".join(map(str, shape)))
    assert str(torch_error.value).strip().splitlines()[0] in str(ours.value)


@pytest.mark.parametrize("text", ["__import__('os').system('true')", "Conv2d(1, 1, 3, padding=10**9)",
                                  "Bilinear(3, 4, 5)", "Conv2d(1, 1, kernel_size=open('x'))"])
def test_text_that_is_not_one_literal_layer_is_refused(text):
    with pytest.raises(LayerSyntaxError):
        explain_layer(text, "1,1,5,5")


@pytest.mark.parametrize("text, shape, what", [
    ("Conv2d(1, 1, 3)", (1, 1, 2000, 2000), "input"),
    ("Conv2d(1024, 1024, 3)", (1, 1024, 5, 5), "weight"),
    ("Conv2d(1, 1, 3, padding=250, stride=250)", (64, 1, 20, 20), "intermediate"),
    ("ConvTranspose2d(1, 1, 3, stride=250)", (1, 1, 40, 40), "intermediate"),
    ("Upsample(scale_factor=60)", (1, 64, 20, 20), "intermediate"),
    ("Conv2d(1, 1, 3, dilation=1000)", (1, 1, 5, 5), "limit"),
])
def test_limits_refuse_large_work(text, shape, what):
    with pytest.raises(ExplainError, match=what):
        explain_layer(text, ",".join(map(str, shape)))


def test_a_diagram_too_large_to_draw_still_answers_with_the_text():
    answer = explain_layer("Conv2d(1, 1, 3)", "1,1,100,100")
    assert answer["svg"] is None and "at most" in answer["diagram_error"]
    assert answer["output_shape"] == [1, 1, 98, 98] and "(matches)" in answer["trace"]


def test_hover_position_is_traced():
    answer = explain_layer("Conv2d(1, 1, kernel_size=3, stride=2, padding=1)", "1,1,5,5", "0,2")
    assert answer["at"] == [0, 2]
    assert "trace of output[0, 0, 0, 2]" in answer["trace"]
    # output[0, 2] of weights 1 over arange(25).reshape(5, 5): rows -1..1, cols 3..5 (padding 0)
    assert answer["forward_value"] == sum([3, 4, 8, 9])


def test_controls_default_to_torchs_own_defaults():
    schema = layer_schema()
    assert [layer["name"] for layer in schema["layers"]] == list(EXPLORED_LAYERS)
    for layer in schema["layers"]:
        signature = inspect.signature(getattr(torch.nn, layer["name"]).__init__).parameters
        for control in layer["controls"]:
            if not control["required"]:
                assert control["default"] == signature[control["name"]].default, (layer["name"], control)
    assert schema["padding_modes"][0] == "zeros"
    assert {"nearest", "bilinear", "bicubic", "trilinear"} <= set(schema["interpolation_modes"])


@given(st.sampled_from(["Conv3d(2, 4, (1, 2, 3), stride=(1, 1, 2), bias=False)",
                        "MaxPool2d(kernel_size=(2, 3), ceil_mode=True, return_indices=True)",
                        "Upsample(size=(3,), mode='linear')", "AvgPool3d(2, divisor_override=3)"]))
def test_canonical_text_round_trips(text):
    call = parse_layer(text)
    assert parse_layer(call_text(call)) == call


def test_limits_are_small_enough_for_a_shared_machine():
    assert LIMITS["work_elements"] * 8 <= 64 * 2 ** 20   # float64 intermediates stay under 64 MB each
