"""npconv.vision.transforms against torchvision's documented behaviour, computed with torch ops (torchvision
itself is not installable here) and Pillow (which torchvision uses for PIL images)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, strategies as st
from PIL import Image

import npconv
import npconv.vision.transforms as T
from tests.torch_compare import assert_matches_torch


def picture(height=37, width=50, channels=3, seed=0):
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, channels)[:2 + (channels > 1)],
                                                   dtype=np.uint8)
    return pixels


def test_to_tensor_of_pil_and_ndarray():
    for pixels in (picture(), picture(channels=1)):
        expected = torch.from_numpy(pixels.reshape(*pixels.shape[:2], -1)).permute(2, 0, 1).float() / 255
        for source in (Image.fromarray(pixels), pixels):
            ours = T.ToTensor()(source)
            assert ours.dtype == npconv.float32 and tuple(ours.shape) == tuple(expected.shape)
            np.testing.assert_allclose(ours.numpy(), expected.numpy(), rtol=1e-6)
    floats = np.random.default_rng(1).random((4, 5, 2))
    assert T.ToTensor()(floats).dtype == npconv.float64  # only uint8 is scaled
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray"):
        T.ToTensor()([1, 2])


def test_pil_to_tensor_keeps_uint8():
    pixels = picture()
    ours = T.PILToTensor()(Image.fromarray(pixels))
    assert ours.dtype == npconv.uint8 and ours.numpy().tolist() == pixels.transpose(2, 0, 1).tolist()


@given(channels=st.sampled_from([1, 3]), seed=st.integers(0, 20))
def test_normalize_like_torch_ops(channels, seed):
    x = np.random.default_rng(seed).random((2, channels, 5, 4)).astype(np.float32)
    mean, std = [0.5, 0.4, 0.3][:channels], [0.2, 0.3, 0.25][:channels]
    assert_matches_torch((lambda x: T.Normalize(mean, std)(x),
                          lambda x: (x - torch.tensor(mean).view(-1, 1, 1)) / torch.tensor(std).view(-1, 1, 1)),
                         [x])


def test_normalize_errors_and_repr():
    assert repr(T.Normalize((0.1307,), (0.3081,))) == "Normalize(mean=(0.1307,), std=(0.3081,))"
    with pytest.raises(TypeError, match="Input tensor should be a float tensor. Got torch.uint8."):
        T.Normalize([0.5], [0.5])(npconv.zeros(1, 2, 2, dtype=npconv.uint8))
    with pytest.raises(ValueError, match="std evaluated to zero after conversion to torch.float32"):
        T.Normalize([0.5], [0.0])(npconv.zeros(1, 2, 2))
    x = npconv.ones(1, 2, 2)
    assert T.Normalize([0.5], [0.5], inplace=True)(x) is x and x.tolist() == [[[1.0, 1.0], [1.0, 1.0]]]


@pytest.mark.parametrize("size, expected", [((20, 30), (20, 30)), (17, (17, 22)), ((60, 71), (60, 71)),
                                            ([25], (25, 33)), (5, (5, 6))])
def test_resize_tensor_like_antialiased_interpolate(size, expected):
    x = picture().transpose(2, 0, 1).astype(np.float32) / 255
    assert_matches_torch((lambda x: T.Resize(size)(x),
                          lambda x: TF.interpolate(x[None], size=expected, mode="bilinear", align_corners=False,
                                                   antialias=True)[0]), [x])


def test_resize_tensor_nearest_and_uint8():
    x = picture().transpose(2, 0, 1).copy()
    ours = T.Resize((19, 25))(npconv.from_numpy(x))
    theirs = TF.interpolate(torch.from_numpy(x)[None], size=(19, 25), mode="bilinear", align_corners=False,
                            antialias=True)[0]
    assert ours.dtype == npconv.uint8
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())   # torch's integer resampler, exactly
    nearest = T.Resize((11, 23), interpolation=T.InterpolationMode.NEAREST)(npconv.from_numpy(x)).numpy()
    np.testing.assert_array_equal(nearest, TF.interpolate(torch.from_numpy(x)[None], size=(11, 23))[0].numpy())


def test_resize_pil_through_pillow():
    image = Image.fromarray(picture())
    ours = T.Resize(20)(image)
    assert ours.size == (27, 20)
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(image.resize((27, 20), Image.BILINEAR)))
    assert T.Resize(16, max_size=20)(image).size == (20, 15)  # int(20 * 16 / int(16 * 50 / 37))
    assert repr(T.Resize(32)) == "Resize(size=32, interpolation=bilinear, max_size=None, antialias=True)"


@pytest.mark.parametrize("size", [16, (10, 20), (37, 50), (41, 60), (1, 1)])
def test_center_crop_tensor_and_pil(size):
    pixels = picture()
    x = torch.from_numpy(pixels).permute(2, 0, 1)
    crop_h, crop_w = (size, size) if isinstance(size, int) else size
    padded = TF.pad(x, [max(crop_w - 50, 0) // 2, (max(crop_w - 50, 0) + 1) // 2,
                        max(crop_h - 37, 0) // 2, (max(crop_h - 37, 0) + 1) // 2])
    top, left = int(round((padded.shape[1] - crop_h) / 2.0)), int(round((padded.shape[2] - crop_w) / 2.0))
    expected = padded[:, top:top + crop_h, left:left + crop_w].numpy()
    ours = T.CenterCrop(size)(npconv.from_numpy(pixels.transpose(2, 0, 1).copy()))
    np.testing.assert_array_equal(ours.numpy(), expected)
    if crop_h <= 37 and crop_w <= 50:
        pil = T.CenterCrop(size)(Image.fromarray(pixels))
        np.testing.assert_array_equal(np.asarray(pil).transpose(2, 0, 1), expected)
    assert repr(T.CenterCrop(size)) == f"CenterCrop(size={(crop_h, crop_w)})"


def test_random_crop_is_a_window_of_the_padded_image():
    x = npconv.from_numpy(picture(12, 10).transpose(2, 0, 1).copy())
    padded = TF.pad(torch.from_numpy(x.numpy()), [2, 2, 2, 2]).numpy()
    windows = {(i, j): padded[:, i:i + 8, j:j + 8] for i in range(16 - 8 + 1) for j in range(14 - 8 + 1)}
    seen = set()
    for _ in range(40):
        crop = T.RandomCrop(8, padding=2)(x).numpy()
        matches = [key for key, window in windows.items() if np.array_equal(window, crop)]
        assert matches
        seen.update(matches)
    assert len(seen) > 5
    assert T.RandomCrop((20, 12), pad_if_needed=True)(x).shape == (3, 20, 12)
    with pytest.raises(ValueError, match="Required crop size"):
        T.RandomCrop(20)(x)
    assert repr(T.RandomCrop(32, padding=4)) == "RandomCrop(size=(32, 32), padding=4)"
    pil = T.RandomCrop(8, padding=2)(Image.fromarray(picture(12, 10)))
    assert pil.size == (8, 8)


def test_random_flips():
    x = npconv.from_numpy(picture(4, 6).transpose(2, 0, 1).copy())
    flipped = x.numpy()[..., ::-1]
    outcomes = [T.RandomHorizontalFlip()(x).numpy() for _ in range(40)]
    assert all(np.array_equal(o, flipped) or np.array_equal(o, x.numpy()) for o in outcomes)
    assert 5 < sum(np.array_equal(o, flipped) for o in outcomes) < 35
    assert np.array_equal(T.RandomHorizontalFlip(p=1.0)(x).numpy(), flipped)
    assert np.array_equal(T.RandomVerticalFlip(p=1.0)(x).numpy(), x.numpy()[:, ::-1])
    image = Image.fromarray(picture(4, 6))
    assert np.array_equal(np.asarray(T.RandomHorizontalFlip(1.0)(image)), np.asarray(image)[:, ::-1])
    assert repr(T.RandomHorizontalFlip()) == "RandomHorizontalFlip(p=0.5)"


@pytest.mark.parametrize("channels", [1, 3])
def test_grayscale_like_torch_ops(channels):
    x = picture().transpose(2, 0, 1).astype(np.float32) / 255
    assert_matches_torch((lambda x: T.Grayscale(channels)(x),
                          lambda x: (0.2989 * x[0] + 0.587 * x[1] + 0.114 * x[2]).unsqueeze(0).expand(channels, -1, -1)),
                         [x])
    image = T.Grayscale(channels)(Image.fromarray(picture()))
    assert image.mode == ("L" if channels == 1 else "RGB")
    np.testing.assert_array_equal(np.asarray(image).reshape(37, 50, -1)[..., 0],
                                  np.asarray(Image.fromarray(picture()).convert("L")))


def test_compose_and_repr():
    transform = T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))])
    assert repr(transform) == "Compose(\n    ToTensor()\n    Normalize(mean=(0.5,), std=(0.5,))\n)"
    out = transform(Image.fromarray(picture(channels=1)))
    np.testing.assert_allclose(out.numpy(), (picture(channels=1)[None] / 255 - 0.5) / 0.5, rtol=1e-5, atol=1e-6)
