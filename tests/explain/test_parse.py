"""The layer-string parser: torch's printed forms are read back; code and invalid text are refused."""
import pytest
import torch

from npconv.explain import LayerSyntaxError, layer_spec, parse_layer
from npconv.explain.layer import ExplainError

TORCH_LAYERS = [
    torch.nn.Conv2d(1, 20, 5),
    torch.nn.Conv2d(1, 1, 3, padding_mode="reflect", bias=False, padding=1),
    torch.nn.Conv1d(2, 4, 3, groups=2, padding="same"),
    torch.nn.Conv2d(2, 2, 3, padding="valid", dilation=2),
    torch.nn.Conv3d(2, 4, (1, 2, 3), stride=(1, 2, 1), padding=(0, 1, 1)),
    torch.nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1),
    torch.nn.ConvTranspose1d(4, 2, 3, dilation=2, groups=2),
    torch.nn.MaxPool2d(2),
    torch.nn.MaxPool2d((2, 3), ceil_mode=True, padding=1),
    torch.nn.AvgPool2d(2),
    torch.nn.AvgPool1d(3, stride=2),
    torch.nn.Upsample(scale_factor=2, mode="bilinear"),
    torch.nn.Upsample(size=(4, 5)),
    torch.nn.UpsamplingBilinear2d(scale_factor=2),
    torch.nn.UpsamplingNearest2d(scale_factor=3),
]
SPEC_FIELDS = ("name", "kind", "dims", "kernel_size", "stride", "padding", "dilation", "output_padding",
               "in_channels", "out_channels", "groups", "has_bias", "padding_mode", "ceil_mode", "size",
               "scale_factor", "mode", "align_corners")


@pytest.mark.parametrize("module", TORCH_LAYERS, ids=repr)
def test_torch_repr_reads_back_as_the_same_layer(module):
    from_text = layer_spec(repr(module))
    from_module = layer_spec(module)
    for name in SPEC_FIELDS:
        assert getattr(from_text, name) == getattr(from_module, name), name


@pytest.mark.parametrize("text", [
    "nn.Conv2d(1, 1, 3)", "torch.nn.Conv2d(1, 1, 3)", "npconv.nn.Conv2d(1, 1, 3)",
    "(conv1): Conv2d(1, 1, kernel_size=(3, 3), stride=(1, 1))", "  Conv2d(1, 1, [3, 3])  ",
    "Conv2d(in_channels=1, out_channels=1, kernel_size=3)"])
def test_accepted_forms(text):
    call = parse_layer(text)
    assert call.name == "Conv2d"
    assert call.arguments["in_channels"] == 1 and call.arguments["kernel_size"] in (3, (3, 3))


def test_arguments_are_bound_to_torch_names():
    call = parse_layer("ConvTranspose2d(16, 8, 3, 2, 1, 1)")
    assert call.arguments == dict(in_channels=16, out_channels=8, kernel_size=3, stride=2, padding=1,
                                  output_padding=1)
    assert parse_layer("Conv1d(1, 1, 3, padding=same)").arguments["padding"] == "same"
    assert parse_layer("Conv1d(1, 1, 3, padding=-1)").arguments["padding"] == -1


@pytest.mark.parametrize("text, words", [
    ("__import__('os')", "unknown layer"),
    ("__import__('os').system('echo hacked')", "expected a layer name"),
    ("os.system('ls')", "unknown layer"),
    ("Conv2d(1, 1, __import__('os'))", "only literal"),
    ("Conv2d(1, 1, open('/etc/passwd'))", "only literal"),
    ("Conv2d(1, 1, kernel_size=x)", "only literal"),
    ("Conv2d(1, 1, 3 + 1)", "only literal"),
    ("Conv2d(1, 1, (lambda: 3)())", "only literal"),
    ("Conv2d(1, 1, [i for i in range(3)])", "only literal"),
    ("Conv2d(1, 1, *sizes)", "only literal"),
    ("Conv2d(1, 1, **kwargs)", "'**'"),
    ("Bilinear(3, 4, 5)", "unknown layer"),
    ("LSTM(3, 4)", "unknown layer"),
    ("os.path.Conv2d(1, 1, 3)", "unknown layer"),
    ("Conv2d(1, 1, 3, foo=2)", "unexpected argument 'foo'"),
    ("Conv2d(1, 1, 3, kernel_size=3)", "two values"),
    ("Conv2d(1)", "missing required"),
    ("Conv2d(1, 1, 3, 1, 0, 1, 1, True, 'zeros', 7)", "at most 9 positional"),
    ("Conv2d(1, 1, 3", "cannot read"),
    ("Conv2d(1, 1, 3); import os", "cannot read"),
    ("3", "expected one layer call"),
    ("", "empty"),
    ("Conv2d(1, 1, 3)(x)", "expected a layer name"),
    ("x" * 5000, "characters long"),
])
def test_rejected_text_gives_one_clear_line(text, words):
    with pytest.raises(LayerSyntaxError) as info:
        parse_layer(text)
    message = str(info.value)
    assert words in message
    assert "\n" not in message
    assert isinstance(info.value, ValueError)


def test_code_in_the_string_is_never_run(tmp_path):
    marker = tmp_path / "ran"
    for text in (f"Conv2d(1, 1, __import__('pathlib').Path({str(marker)!r}).touch())",
                 f"__import__('pathlib').Path({str(marker)!r}).touch()"):
        with pytest.raises(LayerSyntaxError):
            parse_layer(text)
    assert not marker.exists()


def test_parser_needs_text():
    with pytest.raises(LayerSyntaxError, match="expected the text"):
        parse_layer(3)


@pytest.mark.parametrize("text, words", [
    ("Conv2d(1, 1, kernel_size=(3, 3, 3))", "tuple of 2 ints"),
    ("Conv2d(1, 1, kernel_size='big')", "must be an int"),
    ("Conv2d(1, 1, 3, padding='full')", "invalid padding string"),
    ("Conv2d(1, 1, 3, padding_mode='mirror')", "padding_mode"),
    ("Conv2d(1.5, 1, 3)", "in_channels must be an int"),
    ("Upsample(scale_factor=2, size=3)", "exactly one of size and scale_factor"),
    ("Upsample(mode='bilinear')", "exactly one of size and scale_factor"),
    ("Upsample(scale_factor='x')", "scale_factor must be a number"),
])
def test_invalid_argument_forms(text, words):
    with pytest.raises(ExplainError) as info:
        layer_spec(text)
    assert words in str(info.value) and "\n" not in str(info.value)


def test_modules_that_cannot_be_explained():
    with pytest.raises(ExplainError, match="cannot explain a Linear"):
        layer_spec(torch.nn.Linear(2, 3))


# ---- robustness: any text either parses or is refused with LayerSyntaxError, never anything else ----------
from hypothesis import given, strategies as st  # noqa: E402

_pieces = st.sampled_from(["Conv2d", "MaxPool2d", "nn.", "(", ")", ",", "1", "-2", "3.5", "'same'", "=",
                           "kernel_size", "stride", "padding", "[", "]", "__import__", "'os'", " ", "*",
                           "lambda", ":", "None", "True", ".", "x", "{", "}", "\n", "#"])


@given(st.one_of(st.text(max_size=60), st.lists(_pieces, max_size=20).map("".join)))
def test_any_text_parses_or_is_refused_cleanly(text):
    try:
        call = parse_layer(text)
    except LayerSyntaxError as error:
        assert "\n" not in str(error)
    else:
        assert call.name in LAYER_NAMES


from npconv.explain import LAYER_NAMES  # noqa: E402
