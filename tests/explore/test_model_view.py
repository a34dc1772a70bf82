"""Model mode's answers (npconv/explore/model_view.py): the table is npconv.summary's, the activations are
the real forward's (checked against torch with the same weights), weights saved by ``npconv demo --save``
load, a click explains a layer with its real weights, and only files the user named are read."""
import base64
import sys

import numpy as np
import pytest
import torch

import npconv
from npconv.cli import save_weights
from npconv.explain import ExplainError
from npconv.explore.model_view import ModelView, activation_maps
from npconv.models import LeNet


def torch_lenet_conv1(model):
    conv = torch.nn.Conv2d(1, 20, 5)
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(model.conv1.weight.detach().numpy()))
        conv.bias.copy_(torch.from_numpy(model.conv1.bias.detach().numpy()))
    return conv


@pytest.fixture(scope="module")
def trained_weights(tmp_path_factory):
    """A LeNet's weights written as ``npconv demo --save lenet.npz`` writes them."""
    npconv.manual_seed(3)
    model = LeNet()
    path = save_weights(model, tmp_path_factory.mktemp("weights") / "lenet.npz")
    return model, path


def test_table_activations_and_prediction_of_lenet(trained_weights):
    model, path = trained_weights
    view = ModelView("lenet", weights=str(path))
    answer = view.overview("digit:5")
    assert [row["name"] for row in answer["rows"]] == [row.name for row in npconv.summary(model, (1, 1, 28, 28)).layers]
    image, about, label = view.input_array("digit:5")
    assert image.shape == (1, 1, 28, 28) and "digit #5" in about and label == answer["image"]["label"]
    conv1 = next(row for row in answer["rows"] if row["name"] == "conv1")["activation"]
    expected = torch_lenet_conv1(model)(torch.from_numpy(image)).detach().numpy()[0]
    assert (conv1["channels"], conv1["height"], conv1["width"], len(conv1["maps"])) == (20, 24, 24, 8)
    assert np.isclose(conv1["min"], expected[:8].min(), rtol=1e-4)
    assert np.isclose(conv1["max"], expected[:8].max(), rtol=1e-4)
    first = np.frombuffer(base64.b64decode(conv1["maps"][0]), np.uint8).reshape(24, 24)
    scaled = np.round((expected[0] - expected[:8].min()) / (expected[:8].max() - expected[:8].min()) * 255)
    assert np.abs(first.astype(int) - scaled).max() <= 1
    with npconv.no_grad():
        logits = model(npconv.from_numpy(image)).numpy()[0]
    fc2 = next(row for row in answer["rows"] if row["name"] == "fc2")
    assert fc2["activation"]["values"] == pytest.approx(logits, rel=1e-5)
    assert answer["prediction"][0]["class"] == int(np.argmax(logits))
    assert answer["weights"] == f"weights from {path}" and answer["total_params"] == 431_080


def test_a_click_explains_the_layer_with_its_real_weights(trained_weights):
    model, path = trained_weights
    view = ModelView("lenet", weights=str(path))
    answer = view.explain_row("conv1", "digit:0", "3,4")
    assert answer["layer"] == repr(model.conv1) and answer["at"] == [3, 4]
    assert "the module's weights" in answer["trace"] and "(matches)" in answer["trace"]
    x = torch.arange(28 * 28, dtype=torch.float32).reshape(1, 1, 28, 28)
    expected = torch_lenet_conv1(model)(x)[0, 0, 3, 4].item()
    assert answer["forward_value"] == pytest.approx(expected, rel=1e-5)
    pool = view.explain_row("F.max_pool2d:1", "digit:0")
    assert pool["layer"] == "MaxPool2d(kernel_size=2)" and pool["output_shape"] == [1, 20, 12, 12]
    with pytest.raises(ExplainError, match="not a layer explain draws"):
        view.explain_row("fc1", "digit:0")


def test_the_page_may_choose_built_in_models_only():
    with pytest.raises(ValueError, match="unknown model"):
        ModelView.for_page("/etc/passwd:Secret")
    view = ModelView.for_page("unet")
    assert view.input_shape == (1, 1, 64, 64)
    assert view.input_array("digit:1")[0].shape == (1, 1, 64, 64)
    with pytest.raises(ValueError, match="digit:N"):
        view.input_array("../../etc/passwd")


def test_an_image_file_is_read_with_pillow(tmp_path):
    from PIL import Image
    pixels = (np.arange(40 * 30) % 256).astype(np.uint8).reshape(30, 40)
    Image.fromarray(pixels).save(tmp_path / "picture.png")
    view = ModelView("lenet", image=str(tmp_path / "picture.png"))
    array, about, label = view.input_array(view.default_image_key())
    expected = np.asarray(Image.fromarray(pixels).resize((28, 28), Image.Resampling.BILINEAR), np.float32) / 255
    assert array.shape == (1, 1, 28, 28) and np.allclose(array[0, 0], expected) and label is None


def test_missing_pillow_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r"pip install 'npconv\[images\]'"):
        ModelView("lenet", image=str(tmp_path / "x.png")).check()


def test_weights_that_do_not_fit_are_reported(tmp_path):
    np.savez(tmp_path / "wrong.npz", **{"conv1.weight": np.zeros((3, 3), np.float32)})
    with pytest.raises(ValueError, match="do not fit LeNet"):
        ModelView("lenet", weights=str(tmp_path / "wrong.npz")).check()


def test_activation_maps_of_other_ranks():
    strip = activation_maps(npconv.arange(12.0).reshape(1, 3, 4))
    assert (strip["channels"], strip["height"], strip["width"]) == (3, 1, 4)
    volume = activation_maps(npconv.zeros(1, 2, 5, 6, 7))
    assert (volume["height"], volume["width"], volume["min"], volume["max"]) == (6, 7, 0.0, 0.0)
    large = activation_maps(npconv.ones(1, 1, 300, 200))
    assert (large["height"], large["width"]) == (64, 64)


def test_a_model_from_the_users_file(tmp_path):
    (tmp_path / "net.py").write_text(
        "import npconv.nn as nn\nimport npconv.nn.functional as F\n\n"
        "class Net(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.conv = nn.Conv2d(3, 4, 3, padding=1)\n\n"
        "    def forward(self, x):\n"
        "        return F.avg_pool2d(F.relu(self.conv(x)), 2)\n")
    view = ModelView(f"{tmp_path / 'net.py'}:Net", input_size="1,3,16,16")
    answer = view.overview()
    assert [row["name"] for row in answer["rows"]] == ["", "conv", "F.relu:1", "F.avg_pool2d:1"]
    image = view.input_array("digit:0")[0]
    assert image.shape == (1, 3, 16, 16) and np.array_equal(image[0, 0], image[0, 2])   # grey in 3 channels
    pool = view.explain_row("F.avg_pool2d:1")
    assert pool["layer"] == "AvgPool2d(kernel_size=2)" and pool["output_shape"] == [1, 4, 8, 8]
    assert answer["prediction"] is None   # a (1, 4, 8, 8) output is not a classifier's


def test_a_layer_too_large_to_draw_is_drawn_on_a_smaller_input():
    view = ModelView.for_page("unet")
    answer = view.explain_row("down1.0", "digit:0", "2,3")
    assert answer["input_shape"] == [1, 1, 12, 12] and answer["svg"] is not None and answer["at"] == [2, 3]
    assert answer["note"].startswith("drawn on input [1, 1, 12, 12] instead of [1, 1, 64, 64]")
    assert answer["numbers"]["output_shape"] == "[1, 16, 64, 64]"    # the table's full-size numbers
    assert "(matches)" in answer["trace"] and "the module's weights" in answer["trace"]


@pytest.mark.parametrize("text, shape, drawn", [
    ("Conv2d(1, 1, 15)", (1, 1, 64, 64), (1, 1, 15, 15)),
    ("Conv2d(1, 1, 15, padding=7)", (1, 1, 64, 64), (1, 1, 12, 12)),
    ("Conv2d(1, 1, 5, dilation=4, padding='same')", (1, 1, 64, 64), (1, 1, 17, 17)),
    ("MaxPool1d(3, dilation=6)", (1, 2, 100), (1, 2, 13)),
    ("ConvTranspose2d(4, 4, 4, stride=2)", (1, 4, 32, 8), (1, 4, 6, 6)),
    ("Conv2d(1, 1, 3)", (1, 1, 7, 90), (1, 1, 7, 12)),
])
def test_the_smaller_input_still_gives_an_output(text, shape, drawn):
    from npconv.explain import layer_spec
    from npconv.explore.model_view import _drawable_input
    assert _drawable_input(layer_spec(text), shape) == drawn
    layer = parse_torch_layer(text)
    assert min(layer(torch.zeros(drawn)).shape[2:]) >= 1


def parse_torch_layer(text):
    from npconv.explain import parse_layer
    call = parse_layer(text)
    return getattr(torch.nn, call.name)(**call.arguments)
