"""Image transforms, as ``torchvision.transforms``: on PIL images (through Pillow, as torchvision does) and on
tensors ``(..., C, H, W)``. Random transforms draw from npconv's global generator (``npconv.manual_seed``)."""
import enum
import numbers

import numpy as np

__all__ = ["Compose", "ToTensor", "PILToTensor", "Normalize", "Resize", "CenterCrop", "RandomCrop",
           "RandomHorizontalFlip", "RandomVerticalFlip", "Grayscale", "Lambda", "InterpolationMode"]


class InterpolationMode(enum.Enum):
    """Resampling filters, named as torchvision names them."""
    NEAREST = "nearest"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"


def _is_pil(image):
    return type(image).__module__.startswith("PIL.")


def _pil():
    """Pillow's Image module, or an ImportError saying how to install it."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("npconv.vision needs Pillow for images: pip install 'npconv[images]'") from None
    return Image


def _size_pair(size, what="size"):
    """(h, w) from an int or a 1- or 2-sequence, as torchvision's crops take it."""
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, (list, tuple)) and len(size) == 1:
        return int(size[0]), int(size[0])
    if not isinstance(size, (list, tuple)) or len(size) != 2:
        raise ValueError("Please provide only two dimensions (h, w) for size.")
    return int(size[0]), int(size[1])


def _image_size(image):
    """(height, width) of a PIL image or a tensor."""
    if _is_pil(image):
        return image.size[1], image.size[0]
    return tuple(image.shape[-2:])


class Compose:
    """Apply ``transforms`` one after the other."""

    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, image):
        for transform in self.transforms:
            image = transform(image)
        return image

    def __repr__(self):
        lines = "".join(f"\n    {transform}" for transform in self.transforms)
        return f"{type(self).__name__}({lines}\n)"


class Lambda:
    """Apply a user function."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {repr(type(lambd).__name__)}")
        self.lambd = lambd

    def __call__(self, image):
        return self.lambd(image)

    def __repr__(self):
        return f"{type(self).__name__}()"


class ToTensor:
    """A PIL image or an ``(H, W[, C])`` ndarray as a ``(C, H, W)`` tensor; uint8 pixels scaled to [0, 1]
    as float32, other dtypes kept."""

    def __call__(self, picture):
        import npconv
        if not _is_pil(picture) and not isinstance(picture, np.ndarray):
            raise TypeError(f"pic should be PIL Image or ndarray. Got {type(picture)}")
        array = _pil_array(picture) if _is_pil(picture) else picture
        if array.ndim == 2:
            array = array[:, :, None]
        elif array.ndim != 3:
            raise ValueError(f"pic should be 2/3 dimensional. Got {array.ndim} dimensions.")
        chw = np.ascontiguousarray(array.transpose(2, 0, 1))
        if chw.dtype == np.uint8:
            return npconv.from_numpy(chw.astype(np.float32) / np.float32(255))
        return npconv.from_numpy(chw)

    def __repr__(self):
        return f"{type(self).__name__}()"


class PILToTensor:
    """A PIL image as a ``(C, H, W)`` tensor of its own dtype (no scaling)."""

    def __call__(self, picture):
        import npconv
        array = _pil_array(picture)
        array = array[:, :, None] if array.ndim == 2 else array
        return npconv.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1)))

    def __repr__(self):
        return f"{type(self).__name__}()"


def _pil_array(picture):
    """The pixels of a PIL image (mode '1' as uint8 0/255... as torchvision reads it: bool -> 0/255)."""
    array = np.array(picture, copy=True)
    if picture.mode == "1":
        array = array.astype(np.uint8) * 255
    return array


class Normalize:
    """``(x - mean[c]) / std[c]`` per channel of a float tensor ``(..., C, H, W)``."""

    def __init__(self, mean, std, inplace=False):
        self.mean, self.std, self.inplace = mean, std, inplace

    def __call__(self, tensor):
        import npconv
        if not isinstance(tensor, npconv.Tensor):
            raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
        if not tensor.is_floating_point():
            raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
        if tensor.ndim < 3:
            raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got "
                             f"tensor.size() = {tensor.size()}")
        mean = npconv.as_tensor(self.mean, dtype=tensor.dtype)
        std = npconv.as_tensor(self.std, dtype=tensor.dtype)
        if (std == 0).any():
            raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading to division by zero.")
        if mean.ndim == 1:
            mean = mean.view(-1, 1, 1)
        if std.ndim == 1:
            std = std.view(-1, 1, 1)
        if self.inplace:
            return tensor.sub_(mean).div_(std)
        return (tensor - mean) / std

    def __repr__(self):
        return f"{type(self).__name__}(mean={self.mean}, std={self.std})"


class Resize:
    """Resize to ``size``: (h, w), or an int for the shorter side (the longer keeps the aspect ratio,
    capped by ``max_size``). PIL images through Pillow's filter; tensors through F.interpolate as
    torchvision (antialiased bilinear or bicubic, or nearest)."""

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
        if not isinstance(size, (int, list, tuple)) or (isinstance(size, (list, tuple)) and len(size) not in (1, 2)):
            raise TypeError(f"Size should be int or sequence. Got {type(size)}")
        self.size, self.interpolation, self.max_size, self.antialias = size, InterpolationMode(interpolation), \
            max_size, antialias

    def __call__(self, image):
        height, width = _image_size(image)
        out_h, out_w = self._output_size(height, width)
        if _is_pil(image):
            if (out_h, out_w) == (height, width):
                return image
            filters = {"nearest": 0, "bilinear": 2, "bicubic": 3}
            return image.resize((out_w, out_h), filters[self.interpolation.value])
        return _resize_tensor(image, out_h, out_w, self.interpolation, self.antialias)

    def _output_size(self, height, width):
        if isinstance(self.size, (list, tuple)) and len(self.size) == 2:
            return int(self.size[0]), int(self.size[1])
        requested = self.size if isinstance(self.size, int) else self.size[0]
        short, long = min(height, width), max(height, width)
        new_short, new_long = requested, int(requested * long / short)
        if self.max_size is not None and new_long > self.max_size:
            new_short, new_long = int(self.max_size * new_short / new_long), self.max_size
        return (new_short, new_long) if height <= width else (new_long, new_short)

    def __repr__(self):
        return (f"{type(self).__name__}(size={self.size}, interpolation={self.interpolation.value}, "
                f"max_size={self.max_size}, antialias={self.antialias})")


def _resize_tensor(image, out_h, out_w, interpolation, antialias):
    """A tensor ``(..., C, H, W)`` resized as torchvision does: F.interpolate on the images as one batch,
    antialiased in the bilinear and bicubic modes; 8-bit images directly (torch resizes them in integers),
    other integer images in float, rounded back."""
    import npconv
    import npconv.nn.functional as F
    mode = interpolation.value
    smooth = mode in ("bilinear", "bicubic")
    *lead, channels, height, width = image.shape
    batch = image.reshape(-1, channels, height, width)
    exact = image.is_floating_point() or image.dtype == npconv.uint8 or mode == "nearest"
    work = batch if exact else batch.to(npconv.float32)
    resized = F.interpolate(work, size=[out_h, out_w], mode=mode, align_corners=False if smooth else None,
                            antialias=bool(antialias) and smooth)
    if not exact:
        info = np.iinfo(image.detach().numpy().dtype)
        resized = resized.round().clamp(info.min, info.max).to(image.dtype)
    return resized.reshape(*lead, channels, out_h, out_w)


def _crop(image, top, left, height, width):
    """The (height, width) window at (top, left); parts outside the image are zeros, as torchvision pads."""
    if _is_pil(image):
        return image.crop((left, top, left + width, top + height))
    import npconv.nn.functional as F
    img_h, img_w = image.shape[-2:]
    pads = [max(-left, 0), max(left + width - img_w, 0), max(-top, 0), max(top + height - img_h, 0)]
    if any(pads):
        image = F.pad(image, pads)
        top, left = top + pads[2], left + pads[0]
    return image[..., top:top + height, left:left + width]


class CenterCrop:
    """The central ``size`` window (zero-padded when the image is smaller)."""

    def __init__(self, size):
        self.size = _size_pair(size)

    def __call__(self, image):
        height, width = _image_size(image)
        crop_h, crop_w = self.size
        top = int(round((height - crop_h) / 2.0))
        left = int(round((width - crop_w) / 2.0))
        return _crop(image, top, left, crop_h, crop_w)

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size})"


class RandomCrop:
    """A random ``size`` window, after optional ``padding`` (int, (lr, tb) or (l, t, r, b)) and, with
    ``pad_if_needed``, padding up to ``size``."""

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size = _size_pair(size)
        self.padding, self.pad_if_needed, self.fill, self.padding_mode = padding, pad_if_needed, fill, padding_mode

    def __call__(self, image):
        if self.padding is not None:
            image = _pad(image, _ltrb(self.padding), self.fill, self.padding_mode)
        height, width = _image_size(image)
        crop_h, crop_w = self.size
        if self.pad_if_needed and (width < crop_w or height < crop_h):
            extra_w, extra_h = max(crop_w - width, 0), max(crop_h - height, 0)
            image = _pad(image, [extra_w, extra_h, extra_w, extra_h], self.fill, self.padding_mode)
            height, width = _image_size(image)
        if height < crop_h or width < crop_w:
            raise ValueError(f"Required crop size {(crop_h, crop_w)} is larger than input image size {(height, width)}")
        from npconv.random import generator
        top = int(generator().integers(0, height - crop_h + 1))
        left = int(generator().integers(0, width - crop_w + 1))
        return _crop(image, top, left, crop_h, crop_w)

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"


def _ltrb(padding):
    if isinstance(padding, numbers.Number):
        return [int(padding)] * 4
    if len(padding) == 1:
        return [int(padding[0])] * 4
    if len(padding) == 2:
        return [int(padding[0]), int(padding[1])] * 2
    return [int(p) for p in padding]


def _pad(image, ltrb, fill, mode):
    """Pad left, top, right, bottom (PIL images come back as PIL images)."""
    left, top, right, bottom = ltrb
    if _is_pil(image):
        array = np.array(image)
        widths = [(top, bottom), (left, right)] + [(0, 0)] * (array.ndim - 2)
        numpy_mode = {"constant": "constant", "edge": "edge", "reflect": "reflect", "symmetric": "symmetric"}[mode]
        extra = {"constant_values": fill} if mode == "constant" else {}
        return _pil().fromarray(np.pad(array, widths, mode=numpy_mode, **extra), mode=image.mode)
    import npconv.nn.functional as F
    torch_mode = {"edge": "replicate"}.get(mode, mode)
    if torch_mode == "constant":
        return F.pad(image, [left, right, top, bottom], value=float(fill))
    return F.pad(image, [left, right, top, bottom], mode=torch_mode)


class _RandomFlip:
    """Flip with probability ``p`` along one image axis."""

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, image):
        from npconv.random import generator
        if generator().random() >= self.p:
            return image
        if _is_pil(image):
            return image.transpose(self._pil_method)
        return image.flip(self._tensor_dim)

    def __repr__(self):
        return f"{type(self).__name__}(p={self.p})"


class RandomHorizontalFlip(_RandomFlip):
    """Mirror left-right with probability ``p``."""
    _pil_method, _tensor_dim = 0, -1  # PIL's Image.FLIP_LEFT_RIGHT


class RandomVerticalFlip(_RandomFlip):
    """Mirror top-bottom with probability ``p``."""
    _pil_method, _tensor_dim = 1, -2  # PIL's Image.FLIP_TOP_BOTTOM


class Grayscale:
    """Luma ``0.2989 R + 0.587 G + 0.114 B`` in 1 or 3 (equal) channels; PIL images through ``convert('L')``."""

    def __init__(self, num_output_channels=1):
        self.num_output_channels = num_output_channels

    def __call__(self, image):
        if _is_pil(image):
            gray = image.convert("L")
            return gray if self.num_output_channels == 1 else _pil().merge("RGB", [gray] * 3)
        import npconv
        if image.shape[-3] not in (1, 3):
            raise TypeError(f"Input image tensor permitted channel values are [1, 3], but found {image.shape[-3]}")
        if image.shape[-3] == 1:
            gray = image
        else:
            red, green, blue = image.unbind(dim=-3)
            gray = (0.2989 * red + 0.587 * green + 0.114 * blue).to(image.dtype).unsqueeze(dim=-3)
        return gray.expand(*gray.shape[:-3], self.num_output_channels, *gray.shape[-2:]) \
            if self.num_output_channels == 3 else gray

    def __repr__(self):
        return f"{type(self).__name__}(num_output_channels={self.num_output_channels})"


