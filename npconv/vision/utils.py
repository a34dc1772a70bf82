"""``make_grid`` and ``save_image``, as ``torchvision.utils``: a batch of images tiled into one picture."""
import math

__all__ = ["make_grid", "save_image"]


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False, pad_value=0.0):
    """Tile a batch ``(B, C, H, W)`` (or a list of ``(C, H, W)``) into one ``(3 or C, rows*(H+p)+p,
    min(nrow, B)*(W+p)+p)`` image, ``nrow`` per row, ``padding`` pixels of ``pad_value`` around each. Grey
    images become 3 channels; ``normalize`` maps ``value_range`` (default min..max, per image with
    ``scale_each``) to [0, 1]. A batch of one is returned as that image."""
    import npconv
    if isinstance(tensor, (list, tuple)):
        tensor = npconv.stack(list(tensor), dim=0)
    if tensor.dim() == 2:
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 3:
        if tensor.size(0) == 1:
            tensor = npconv.cat((tensor, tensor, tensor), 0)
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 4 and tensor.size(1) == 1:
        tensor = npconv.cat((tensor, tensor, tensor), 1)
    if normalize:
        tensor = _normalized(tensor.clone(), value_range, scale_each)
    if tensor.size(0) == 1:
        return tensor.squeeze(0)
    count = tensor.size(0)
    columns = min(nrow, count)
    rows = int(math.ceil(float(count) / columns))
    cell_h, cell_w = int(tensor.size(2) + padding), int(tensor.size(3) + padding)
    grid = npconv.full((tensor.size(1), cell_h * rows + padding, cell_w * columns + padding), pad_value,
                       dtype=tensor.dtype)
    for k in range(count):
        y, x = divmod(k, columns)
        top, left = y * cell_h + padding, x * cell_w + padding
        grid[:, top:top + cell_h - padding, left:left + cell_w - padding] = tensor[k]
    return grid


def _normalized(tensor, value_range, scale_each):
    """Map [low, high] to [0, 1] (clamped), over the whole batch or image by image."""
    def rescale(image, low, high):
        image.clamp_(min=low, max=high)
        image.sub_(low).div_(max(high - low, 1e-5))

    def rescale_by_range(image):
        if value_range is not None:
            rescale(image, value_range[0], value_range[1])
        else:
            rescale(image, float(image.min()), float(image.max()))

    if scale_each:
        for image in tensor:
            rescale_by_range(image)
    else:
        rescale_by_range(tensor)
    return tensor


def save_image(tensor, fp, format=None, **kwargs):  # noqa: A002 - torchvision's argument name
    """Save ``make_grid(tensor, **kwargs)`` as an image file (values in [0, 1] -> 0..255), through Pillow."""
    import npconv

    from .transforms import _pil
    image_module = _pil()
    grid = make_grid(tensor, **kwargs)
    pixels = grid.mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to(npconv.uint8).numpy()
    image_module.fromarray(pixels.squeeze(-1) if pixels.shape[-1] == 1 else pixels).save(fp, format=format)
