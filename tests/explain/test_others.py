"""explain for the rest of a CNN (Linear, norms, activations, adaptive pools, MaxUnpool, PixelShuffle,
Flatten): each trace is checked against npconv's forward AND against torch running the same explanation."""
import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import npconv
from npconv.explain import ExplainError, explain

CASES = [
    ("Linear(4, 3)", (2, 4)), ("Linear(5, 2, bias=False)", (3, 1, 5)),
    ("BatchNorm1d(3)", (4, 3, 5)), ("BatchNorm2d(3)", (2, 3, 4, 4)), ("BatchNorm3d(2, affine=False)", (2, 2, 2, 3, 3)),
    ("GroupNorm(2, 4)", (2, 4, 3, 3)), ("GroupNorm(3, 6, affine=False)", (1, 6, 5)),
    ("LayerNorm([3, 3])", (2, 2, 3, 3)), ("LayerNorm(4, elementwise_affine=False)", (3, 4)),
    ("ReLU()", (1, 2, 3, 3)), ("ReLU6()", (1, 1, 4, 4)), ("LeakyReLU(0.1)", (1, 2, 3, 3)), ("Sigmoid()", (2, 5)),
    ("Tanh()", (2, 5)), ("GELU()", (1, 2, 3)), ("GELU(approximate='tanh')", (1, 2, 3)), ("SiLU()", (2, 4)),
    ("ELU(alpha=0.5)", (2, 4)), ("Softmax(dim=1)", (1, 4, 2, 2)),
    ("AdaptiveAvgPool2d((2, 3))", (1, 1, 5, 7)), ("AdaptiveMaxPool1d(3)", (1, 2, 7)),
    ("AdaptiveAvgPool3d(2)", (1, 1, 3, 4, 5)), ("AdaptiveMaxPool2d((None, 2))", (1, 2, 3, 5)),
    ("MaxUnpool2d(2)", (1, 1, 3, 3)), ("MaxUnpool1d(3, stride=2, padding=1)", (1, 2, 4)),
    ("PixelShuffle(2)", (1, 8, 2, 3)), ("PixelUnshuffle(2)", (1, 2, 4, 6)),
    ("Flatten()", (2, 3, 2, 2)), ("Flatten(0, 2)", (2, 3, 2, 2)),
]


@pytest.mark.parametrize("layer, size", CASES, ids=[c[0] for c in CASES])
def test_every_output_is_traced_to_the_forward_of_npconv_and_of_torch(layer, size):
    first = explain(layer, size)
    outputs = list(itertools.product(*(range(n) for n in first.output_shape)))
    for at in outputs[:: max(1, len(outputs) // 12)]:
        ours = explain(layer, size, at=at)
        theirs = explain(layer, size, at=at, _backend=torch)
        assert np.isclose(ours.traced_value, ours.forward_value, rtol=1e-4, atol=1e-5), (at, ours.text)
        assert np.isclose(theirs.traced_value, theirs.forward_value, rtol=1e-4, atol=1e-5), (at, theirs.text)
        assert np.isclose(ours.forward_value, theirs.forward_value, rtol=1e-4, atol=1e-5), at
        assert ours.output_shape == theirs.output_shape and "(matches)" in ours.text


@pytest.mark.parametrize("layer, size, words", [
    ("BatchNorm2d(3)", (2, 3, 4, 4), "each channel over the axes (0, 2, 3)"),
    ("BatchNorm1d(3)", (4, 3, 5), "each channel over the axes (0, 2)"),
    ("GroupNorm(2, 4)", (2, 4, 3, 3), "group of 2 channels over the axes (1, 2, 3)"),
    ("LayerNorm([3, 3])", (2, 2, 3, 3), "over the last 2 axes (2, 3)"),
    ("AdaptiveAvgPool2d((2, 3))", (1, 1, 5, 7), "axis 3: 7 -> 3: windows 0-2 2-4 4-6"),
    ("PixelShuffle(2)", (1, 8, 2, 3), "output[n, c, h, w] = input[n, c*r*r + (h % r)*r + (w % r), h // r, w // r]"),
    ("Linear(4, 3)", (2, 4), "parameters 3 * 4 = 12 weights + 3 bias = 15"),
    ("MaxUnpool2d(2)", (1, 1, 3, 3), "(in - 1)*stride - 2*padding + kernel_size (or output_size): 6 x 6"),
])
def test_the_text_says_which_axes_and_what_moves_where(layer, size, words):
    assert words in explain(layer, size).text


def test_modules_are_explained_with_their_own_weights_and_mode():
    linear = npconv.nn.Linear(3, 2)
    explanation = explain(linear, (1, 3), at=(0, 1))
    with npconv.no_grad():
        expected = float(linear(npconv.arange(3.0).reshape(1, 3))[0, 1])
    assert np.isclose(explanation.forward_value, expected) and "the module's weights" in explanation.text
    norm = npconv.nn.BatchNorm2d(2).eval()
    norm.running_mean.fill_(3.0)
    text = explain(norm, (1, 2, 2, 2)).text
    assert "running_mean, running_var (eval mode)" in text and "mean = 3" in text and "(matches)" in text
    assert "(matches)" in explain(torch.nn.GELU(approximate="tanh"), (1, 4)).text


@settings(max_examples=15, deadline=None)
@given(size=st.tuples(st.integers(1, 9), st.integers(1, 9)), out=st.tuples(st.integers(1, 9), st.integers(1, 9)),
       kind=st.sampled_from(["Avg", "Max"]))
def test_adaptive_windows_on_random_sizes(size, out, kind):
    explanation = explain(f"Adaptive{kind}Pool2d({out})", (1, 1) + size)
    assert explanation.output_shape == (1, 1) + out
    assert np.isclose(explanation.traced_value, explanation.forward_value)


def test_errors_say_what_is_wrong(tmp_path):
    with pytest.raises(ExplainError, match=r"--at has 2 indices but the output \(2, 3\) has 2 dimensions|outside"):
        explain("Linear(4, 3)", (2, 4), at=(2, 0))
    with pytest.raises(ExplainError, match="has 1 index but the output"):
        explain("Linear(4, 3)", (2, 4), at=(1,))
    with pytest.raises(ExplainError, match="no diagram"):
        explain("Flatten()", (1, 2, 2)).save_svg(tmp_path / "f.svg")
    assert not (tmp_path / "f.svg").exists()
    with pytest.raises(ExplainError, match=r"unknown layer 'BatchNorm' \(did you mean 'BatchNorm\dd'\?\)"):
        explain("BatchNorm(3)", (1, 3, 2))
    with pytest.raises(ExplainError, match="Linear on input"):
        explain("Linear(4, 3)", (2, 5))


@settings(max_examples=15, deadline=None)
@given(kernel=st.integers(1, 4), dilation=st.integers(1, 3), length=st.integers(1, 12), channels=st.integers(1, 3),
       data=st.data())
def test_causal_conv1d_reads_only_the_past_and_equals_torchs_left_padding(kernel, dilation, length, channels, data):
    layer = f"Conv1d({channels}, 2, {kernel}, dilation={dilation}, padding='causal')"
    at = data.draw(st.integers(0, length - 1))
    explanation = explain(layer, (1, channels, length), at=(at,))
    left = dilation * (kernel - 1)
    x = torch.arange(channels * length, dtype=torch.float32).reshape(1, channels, length)
    conv = torch.nn.Conv1d(channels, 2, kernel, dilation=dilation)
    with torch.no_grad():
        conv.weight.fill_(1.0)
        conv.bias.zero_()
        expected = conv(torch.nn.functional.pad(x, (left, 0)))
    assert explanation.output_shape == tuple(expected.shape) == (1, 2, length)
    assert np.isclose(explanation.forward_value, float(expected[0, 0, at]))
    assert np.isclose(explanation.traced_value, explanation.forward_value)
    read = [int(term[0].split("[")[1].split("]")[0].split(", ")[-1]) for term in explanation.trace["terms"]
            if term[0].startswith("x[")]
    assert all(at - left <= t <= at for t in read)
    assert f"causal: output t reads inputs t - {left} .. t only" in explanation.text
    assert ("causal)" in explanation.svg()) == (left > 0)


def test_causal_padding_is_for_conv1d_only():
    with pytest.raises(ExplainError, match="padding='causal'.*is for Conv1d"):
        explain("Conv2d(1, 1, 3, padding='causal')", (1, 1, 5, 5))
    assert "(matches)" in explain("Conv1d(1, 1, 3, padding=causal)", (1, 1, 6)).text
