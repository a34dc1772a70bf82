"""The explain pictures stay readable: label colours, tall 3-d layers, large values, channel naming, GIF
timing, nothing written for a refused diagram, and a clear message for --at with the wrong index count."""
import pytest

from npconv.cli import main
from npconv.explain import ExplainError, explain
from npconv.explain.core import frame_duration
from npconv.explain.diagram import cell_label
from npconv.explain.drawing import Rect

LAYERS = [("Conv2d(2, 4, 3, padding=1, groups=2)", "1,2,6,6"),
          ("ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1)", "1,16,4,4"),
          ("Conv2d(8, 8, 3, groups=8)", "1,8,5,5"), ("MaxPool2d(2)", "1,1,6,6"),
          ("Upsample(scale_factor=2, mode='bilinear')", "1,1,3,3"), ("Conv3d(1, 2, 3, padding=1)", "1,1,5,5,5")]


def contrast(first, second):
    """WCAG contrast ratio of two #rrggbb colours, written out here independently of drawing.py."""
    def luminance(color):
        values = [int(color[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        values = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in values]
        return 0.2126 * values[0] + 0.7152 * values[1] + 0.0722 * values[2]
    high, low = sorted([luminance(first), luminance(second)], reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("layer, size", LAYERS)
def test_every_label_contrasts_with_its_fill(layer, size):
    labelled = [item for item in explain(layer, size).scene().items if isinstance(item, Rect) and item.label]
    assert labelled
    for rect in labelled:
        best = max(contrast(rect.fill, "#222222"), contrast(rect.fill, "#ffffff"))
        assert contrast(rect.fill, rect.label_color) == best >= 3.0, (rect.fill, rect.label_color, rect.label)


def test_a_deep_3d_layer_is_laid_out_side_by_side_not_as_a_tower():
    scene = explain("Conv3d(1, 1, 3, padding=1)", "1,1,8,6,6").scene()
    assert scene.height < scene.width
    tall = explain("Conv3d(1, 1, 3, padding=1)", "1,1,2,6,6").scene()     # few slices: one column
    assert tall.height > scene.height / 2


def test_five_digit_values_keep_a_legible_label_in_every_cell():
    explanation = explain("Conv2d(1, 1, 3)", "1,1,40,40")                # outputs up to 14,346
    cells = [item for item in explanation.scene().items if isinstance(item, Rect) and "out-cell" in item.kind]
    assert len(cells) == 38 * 38 and max(len(c.label) for c in cells) == 5
    assert all(c.label and c.font_size >= 9 for c in cells)


def test_cell_labels_shorten_long_numbers_only():
    assert [cell_label(v) for v in (12345, -1234, 123456, 2.5e6, -1234567, 0.5, 1e-5)] == \
           ["12345", "-1234", "123k", "2.5M", "-1.2M", "0.5", "1e-05"]


def test_transposed_diagram_names_its_channel_and_says_the_value_sums_every_input_channel():
    explanation = explain("ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1)", "1,16,4,4")
    svg = explanation.svg()
    assert "input ch 0 of 16, as a convolution" in svg and "output ch 0 of 8," in svg
    assert "as a scatter: input ch 0 of 16, cell [2, 2]" in svg
    assert "the output value sums all 16 input channels" in svg
    grouped = explain("Conv2d(4, 4, 3, groups=2, padding=1)", "1,4,5,5", at=(0, 3, 2, 2)).svg()
    assert "sums input channels 2-3 (its group)" in grouped


def test_gif_frame_time_follows_the_frame_count(tmp_path):
    image = pytest.importorskip("PIL.Image")
    assert frame_duration(4) == 800 and frame_duration(64) == 160 and frame_duration(1000) == 120
    for size, frames in (("1,1,4,4", 4), ("1,1,10,10", 64)):
        path = tmp_path / f"{frames}.gif"
        assert explain("Conv2d(1, 1, 3)", size).save_gif(path) == frames
        with image.open(path) as gif:
            assert gif.n_frames == frames and gif.info["duration"] == frame_duration(frames)


@pytest.mark.parametrize("option", ["--svg", "--png", "--gif"])
def test_a_refused_diagram_leaves_no_file(option, tmp_path, capsys):
    path = tmp_path / "picture"
    status = main(["explain", "Conv2d(1, 1, 3)", "--input", "1,1,80,80", option, str(path)])
    assert status == 2 and "at most 64" in capsys.readouterr().err
    assert not path.exists()
    with pytest.raises(ExplainError):
        explain("Conv2d(1, 1, 3)", "1,1,80,80").save_svg(path)
    assert not path.exists()


@pytest.mark.parametrize("at, message", [
    ("1,1,1", "--at has 3 indices but the output (1, 1, 3, 3) has 2 spatial dimensions: give 2 (i, j) or 4 "
              "(n, c, i, j)"),
    ("1", "--at has 1 index but the output (1, 1, 3, 3) has 2 spatial dimensions"),
    ("5,5", "--at 0, 0, 5, 5 is outside the output of shape (1, 1, 3, 3)"),
])
def test_at_with_the_wrong_number_of_indices_says_so(at, message, capsys):
    assert main(["explain", "Conv2d(1, 1, 3)", "--input", "1,1,5,5", "--at", at]) == 2
    assert message in capsys.readouterr().err
