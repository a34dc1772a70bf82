"""explain(): stated shapes equal the real forward, the traced element equals the forward's value, the
SVG is well-formed with one output cell per output position, the GIF has one frame per position.

The oracle is torch: each case also runs the same layer in torch (weights 1, bias 0, arange input).
``NPCONV_EXPLAIN_BACKEND=torch`` runs explain itself over torch's layers (to check explain's own logic
while npconv's layers are missing).
"""
import os
import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from npconv.explain import ExplainError, explain
from tests.strategies import conv_arguments, conv_transpose_arguments

BACKEND = torch if os.environ.get("NPCONV_EXPLAIN_BACKEND") == "torch" else None
SVG = "{http://www.w3.org/2000/svg}"


def run_explain(layer, input_size, at=None):
    return explain(layer, input_size, at=at, _backend=BACKEND)


def torch_reference(text, input_shape):
    """The layer built by torch from the same text, weights 1, bias 0, on arange: the oracle output."""
    from npconv.explain import parse_layer
    call = parse_layer(text)
    module = getattr(torch.nn, call.name)(**call.arguments)
    with torch.no_grad():
        if hasattr(module, "weight") and module.weight is not None:
            module.weight.fill_(1.0)
            if module.bias is not None:
                module.bias.zero_()
        x = torch.arange(int(np.prod(input_shape)), dtype=torch.float64).reshape(input_shape)
        return module.double()(x).numpy()


def layer_text(name, arguments, keys):
    shown = [repr(arguments["in_channels"]), repr(arguments["out_channels"])]
    shown += [f"{key}={arguments[key]!r}" for key in keys]
    return f"{name}{arguments['dims']}d({', '.join(shown)})"


def check_against_torch(text, input_shape, at=None):
    explanation = run_explain(text, input_shape, at=at)
    expected = torch_reference(text, input_shape)
    assert tuple(explanation.output_shape) == expected.shape
    spatial = tuple(a.out for a in explanation.axes)
    assert spatial == expected.shape[-len(spatial):]
    assert np.isclose(explanation.traced_value, expected[explanation.at], rtol=1e-6)
    assert np.isclose(explanation.forward_value, expected[explanation.at], rtol=1e-6)
    shape_line = f"output ({', '.join(map(str, expected.shape))})"
    assert shape_line in explanation.text
    assert "(matches)" in explanation.text
    return explanation


def check_svg(explanation):
    try:
        svg = explanation.svg()
    except ExplainError as error:   # a random case too large to draw: refused clearly, checked elsewhere
        assert "at most" in str(error)
        return None
    root = ElementTree.fromstring(svg)
    cells = [r for r in root.iter(f"{SVG}rect") if "out-cell" in r.get("class", "").split()]
    assert len(cells) == int(np.prod([a.out for a in explanation.axes]))
    assert sum("current" in r.get("class", "") for r in cells) == 1
    return root


@settings(max_examples=25)
@given(conv_arguments(max_extra=4), st.data())
def test_conv_shapes_and_trace_match_the_forward(arguments, data):
    text = layer_text("Conv", arguments, ["kernel_size", "stride", "padding", "dilation", "groups", "bias"])
    explanation = check_against_torch(text, arguments["input_shape"])
    spatial = [a.out for a in explanation.axes]
    position = tuple(data.draw(st.integers(0, n - 1)) for n in spatial)
    check_against_torch(text, arguments["input_shape"], at=position)
    check_svg(explanation)


@settings(max_examples=25)
@given(conv_transpose_arguments(max_extra=3))
def test_conv_transpose_shapes_and_trace_match_the_forward(arguments):
    text = layer_text("ConvTranspose", arguments,
                      ["kernel_size", "stride", "padding", "output_padding", "groups", "bias", "dilation"])
    explanation = check_against_torch(text, arguments["input_shape"])
    root = check_svg(explanation)
    full_cells = [] if root is None else [r for r in root.iter(f"{SVG}rect") if "full-cell" in r.get("class", "")]
    if full_cells:   # the scatter view: the output before padding crops it
        assert len(full_cells) == int(np.prod([a.out + 2 * a.pad_left for a in explanation.axes]))


@pytest.mark.parametrize("text, shape, at", [
    ("Conv2d(1, 1, kernel_size=3, stride=2, padding=1)", (1, 1, 5, 5), (1, 1)),
    ("Conv2d(2, 4, 3, groups=2, dilation=2, padding=2, padding_mode='reflect')", (1, 2, 6, 6), (0, 3, 2, 5)),
    ("Conv2d(1, 1, 4, padding='same', padding_mode='circular')", (1, 1, 5, 5), (0, 4)),
    ("Conv1d(2, 4, 3, groups=2, padding='same')", (1, 2, 8), None),
    ("Conv1d(2, 4, 3, padding_mode='replicate', padding=2)", (2, 7), (1, 0)),
    ("Conv3d(1, 2, (2, 3, 1), stride=(1, 2, 1), padding=(1, 0, 0))", (1, 1, 3, 4, 4), None),
    ("ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1)", (1, 16, 3, 3), (2, 3)),
    ("ConvTranspose3d(2, 2, 2, stride=2)", (1, 2, 2, 2, 2), None),
    ("ConvTranspose1d(2, 2, 3, stride=3, padding=4, dilation=2, groups=2)", (1, 2, 4), None),
    ("MaxPool2d(2)", (1, 1, 5, 5), None),
    ("MaxPool2d(3, stride=2, padding=1, ceil_mode=True)", (1, 2, 6, 6), (3, 3)),
    ("MaxPool1d(2, dilation=2)", (1, 1, 7), (1,)),
    ("MaxPool3d(2)", (1, 1, 4, 4, 4), None),
    ("AvgPool2d(3, stride=2, padding=1, count_include_pad=False)", (1, 1, 6, 6), (0, 0)),
    ("AvgPool2d(2, ceil_mode=True, divisor_override=3)", (1, 1, 5, 5), (2, 2)),
    ("AvgPool1d(3, stride=2, padding=1)", (1, 2, 5), (0, 1, 0)),
    ("Upsample(scale_factor=2, mode='bilinear')", (1, 1, 3, 3), (1, 2)),
    ("Upsample(scale_factor=2, mode='bilinear', align_corners=True)", (1, 1, 3, 3), (3, 2)),
    ("Upsample(size=(5, 7), mode='nearest')", (1, 1, 3, 3), (4, 6)),
    ("Upsample(scale_factor=1.5, mode='linear')", (1, 1, 4), (4,)),
    ("Upsample(scale_factor=2, mode='trilinear')", (1, 1, 2, 2, 2), (1, 1, 1)),
    ("UpsamplingBilinear2d(scale_factor=2)", (1, 1, 3, 3), (1, 1)),
    ("UpsamplingNearest2d(size=4)", (1, 1, 2, 2), (3, 0)),
])
def test_worked_layers(text, shape, at):
    explanation = check_against_torch(text, shape, at=at)
    check_svg(explanation)


def test_worked_conv_text():
    text = str(run_explain("Conv2d(1, 1, kernel_size=3, stride=2, padding=1)", (1, 1, 5, 5), at=(1, 1)))
    assert "H: floor((5 + 2*1 - 1*(3 - 1) - 1) / 2) + 1 = floor(4 / 2) + 1 = 3" in text
    assert "output (1, 1, 3, 3)  i.e. torch.Size([1, 1, 3, 3])" in text
    assert "parameters 1 * 1 * 3 * 3 = 9 weights + 1 bias = 10" in text
    assert "MACs 9 output values * (1/1 channels * 9 kernel cells) = 81" in text
    # output[1, 1] sums the 3x3 block at rows/cols 1..3 of arange(25).reshape(5, 5)
    assert "sum of 9 products + bias 0 = 108" in text
    assert "x[0, 0, 1, 1] * w[0, 0, 0, 0] = 6 * 1 = 6" in text


def test_warnings_for_unread_rows_same_padding_and_output_padding():
    text = str(run_explain("Conv2d(1, 1, 3, stride=2)", (1, 1, 6, 6)))
    assert "input rows 5 (H) are never read" in text and "input columns 5 (W)" in text
    text = str(run_explain("Conv1d(1, 1, 4, padding='same')", (1, 1, 6)))
    assert "padding L: 1 before, 2 after (zeros, from padding='same')" in text
    assert "pads one more cell after" in text
    text = str(run_explain("ConvTranspose2d(1, 1, 3, stride=2, padding=1, output_padding=1)", (1, 1, 4, 4)))
    assert "maps every size in {7, 8} to 4; output_padding=1 picks 8" in text


def test_real_weights_of_a_module_are_used():
    torch.manual_seed(0)
    module = torch.nn.Conv2d(2, 3, 3, padding=1)
    explanation = run_explain(module, (1, 2, 4, 4), at=(0, 2, 1, 3))
    x = torch.arange(32, dtype=torch.float32).reshape(1, 2, 4, 4)
    expected = module(x).detach().numpy()[0, 2, 1, 3]
    assert np.isclose(explanation.traced_value, expected, rtol=1e-5)
    assert np.isclose(explanation.forward_value, expected, rtol=1e-5)
    assert "the module's weights" in explanation.text


def test_same_text_over_npconv_and_torch():
    layer = "ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1, groups=2)"
    assert explain(layer, (1, 4, 3, 3)).text == explain(layer, (1, 4, 3, 3), _backend=torch).text


@pytest.mark.parametrize("text, shape, words", [
    ("Conv2d(1, 1, 5)", (1, 1, 3, 3), "Conv2d on input (1, 1, 3, 3)"),
    ("Conv2d(2, 1, 3)", (1, 3, 5, 5), "Conv2d on input (1, 3, 5, 5)"),
    ("Conv2d(3, 2, 3, groups=2)", (1, 3, 5, 5), ""),
    ("Conv2d(1, 1, 3, stride=2, padding='same')", (1, 1, 5, 5), ""),
    ("Conv2d(1, 1, 3)", (5,), "expects an input (N, C, H, W)"),
    ("Conv2d(1, 1, 3)", "1,1,a,5", "input size must be integers"),
    ("Conv2d(1, 1, 3)", (1, 1, 0, 5), "positive"),
    ("MaxPool2d(2, padding=2)", (1, 1, 5, 5), ""),
])
def test_invalid_layers_and_inputs_raise_one_line(text, shape, words):
    with pytest.raises(ValueError) as info:
        run_explain(text, shape)
    assert words in str(info.value) and "\n" not in str(info.value)


def test_at_outside_the_output():
    with pytest.raises(ExplainError, match="outside the output"):
        run_explain("Conv2d(1, 1, 3)", (1, 1, 5, 5), at=(3, 0))


def test_large_inputs_explain_in_text_but_refuse_a_huge_diagram():
    explanation = run_explain("Conv2d(3, 8, 3, padding=1)", (1, 3, 100, 100))
    assert "output (1, 8, 100, 100)" in explanation.text
    with pytest.raises(ExplainError, match="cells wide"):
        explanation.svg()


def test_gif_has_one_frame_per_output_position(tmp_path):
    from PIL import Image
    explanation = run_explain("Conv2d(1, 1, 3, stride=2, padding=1)", (1, 1, 5, 5))
    path = tmp_path / "conv.gif"
    assert explanation.save_gif(path) == 9
    with Image.open(path) as gif:
        assert gif.n_frames == 9


def test_gif_frames_are_capped(tmp_path):
    from PIL import Image
    explanation = run_explain("MaxPool2d(1)", (1, 1, 10, 10))
    path = tmp_path / "pool.gif"
    assert explanation.save_gif(path, max_frames=20) == 20
    with Image.open(path) as gif:
        assert gif.n_frames == 20


def test_png_and_svg_files(tmp_path):
    from PIL import Image
    explanation = run_explain("Upsample(scale_factor=2, mode='bilinear')", (1, 1, 3, 3))
    explanation.save_png(tmp_path / "up.png")
    explanation.save_svg(tmp_path / "up.svg")
    with Image.open(tmp_path / "up.png") as image:
        assert image.size[0] > 100 and image.size[1] > 100
    ElementTree.parse(tmp_path / "up.svg")
    assert explanation._repr_svg_().startswith("<svg")
    assert "<pre>" in explanation._repr_html_()
