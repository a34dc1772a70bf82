"""make_grid / save_image: torchvision's layout, worked out by hand."""
import numpy as np
import pytest
from PIL import Image

import npconv
from npconv.vision.utils import make_grid, save_image


def test_grid_layout_worked_example():
    images = npconv.arange(2 * 1 * 3 * 4.0).reshape(2, 1, 3, 4)
    grid = make_grid(images, nrow=1, padding=1, pad_value=-1.0)
    assert tuple(grid.shape) == (3, 1 + 2 * (3 + 1), 1 + (4 + 1))  # grey becomes 3 channels
    expected = np.full((9, 6), -1.0, np.float32)
    expected[1:4, 1:5] = images.numpy()[0, 0]
    expected[5:8, 1:5] = images.numpy()[1, 0]
    for channel in range(3):
        np.testing.assert_array_equal(grid.numpy()[channel], expected)


@pytest.mark.parametrize("count, nrow, shape", [(5, 2, (3, 2 + 3 * 5, 2 + 2 * 6)), (5, 8, (3, 2 + 5, 2 + 5 * 6)),
                                                (3, 3, (3, 7, 20))])
def test_grid_shapes(count, nrow, shape):
    assert tuple(make_grid(npconv.zeros(count, 3, 3, 4), nrow=nrow).shape) == shape


def test_single_image_and_normalize():
    image = npconv.arange(12.0).reshape(1, 3, 4)
    single = make_grid(image)
    assert tuple(single.shape) == (3, 3, 4)  # one image: itself, grey made RGB, no padding
    normalized = make_grid(npconv.stack([image, image * 2]), normalize=True, padding=0)
    np.testing.assert_allclose(normalized.numpy()[0, :, :4], np.arange(12.0).reshape(3, 4) / 22, rtol=1e-6)
    each = make_grid(npconv.stack([image, image * 2]), normalize=True, scale_each=True, padding=0)
    np.testing.assert_allclose(each.numpy()[0, :, 4:], np.arange(12.0).reshape(3, 4) / 11, rtol=1e-6)
    ranged = make_grid(npconv.stack([image, image]), normalize=True, value_range=(2, 6), padding=0)
    np.testing.assert_allclose(ranged.numpy()[0, :, :4], np.clip((np.arange(12.0).reshape(3, 4) - 2) / 4, 0, 1))


def test_save_image_writes_the_grid(tmp_path):
    images = npconv.rand(3, 3, 5, 6)
    save_image(images, tmp_path / "grid.png", nrow=2)
    saved = np.asarray(Image.open(tmp_path / "grid.png"))
    grid = make_grid(images, nrow=2)
    expected = np.clip(grid.numpy() * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    np.testing.assert_array_equal(saved, expected)
