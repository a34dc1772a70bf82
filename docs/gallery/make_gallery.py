"""Regenerate the gallery: ``python docs/gallery/make_gallery.py`` (needs Pillow for the PNG/GIF files).

Each entry is one layer as a user would paste it, an input size and the output element traced.
``NPCONV_EXPLAIN_BACKEND=torch`` draws with torch's forward instead of npconv's (same numbers).
"""
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from npconv.explain import explain  # noqa: E402

GALLERY = [
    ("conv_stride_padding", "Conv2d(1, 1, kernel_size=3, stride=2, padding=1)", (1, 1, 5, 5), (1, 1),
     "stride 2, padding 1: the 3x3 footprint on the padded 7x7 input"),
    ("conv_dilation", "Conv2d(1, 1, kernel_size=3, dilation=2)", (1, 1, 7, 7), (1, 1),
     "dilation 2: the kernel spans 5x5 and skips the holes"),
    ("conv_groups_reflect", "Conv2d(2, 4, 3, groups=2, dilation=2, padding=1, padding_mode='reflect')",
     (1, 2, 6, 6), (0, 3, 2, 2), "groups=2, dilation 2, reflect padding: the padding cells hold reflected values"),
    ("conv_same_even", "Conv1d(2, 4, 4, groups=2, padding='same')", (1, 2, 8), (0, 2, 3),
     "1-d, groups=2, padding='same' with an even kernel (1 before, 2 after)"),
    ("conv_transpose", "ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1)", (1, 16, 3, 3), (2, 3),
     "transposed: as a convolution over the zero-inserted padded input, and as a scatter"),
    ("conv3d", "Conv3d(1, 1, 2, stride=(1, 2, 2))", (1, 1, 3, 4, 4), (1, 1, 0),
     "3-d: depth slices top to bottom"),
    ("max_pool_ceil", "MaxPool2d(3, stride=2, padding=1, ceil_mode=True)", (1, 1, 6, 6), (3, 3),
     "max pooling with ceil_mode: the last window hangs past the padding (red: the maximum)"),
    ("avg_pool", "AvgPool2d(2, stride=2)", (1, 1, 4, 4), (1, 0), "average pooling"),
    ("upsample_bilinear", "Upsample(scale_factor=2, mode='bilinear')", (1, 1, 3, 3), (1, 2),
     "bilinear upsampling: the weights of the input cells (from the forward's gradient)"),
    ("upsample_nearest", "Upsample(scale_factor=2, mode='nearest')", (1, 1, 3, 3), (3, 2),
     "nearest upsampling: one input cell, weight 1"),
]
ANIMATED = {"conv_stride_padding", "conv_transpose", "max_pool_ceil"}


def main():
    backend = None
    if os.environ.get("NPCONV_EXPLAIN_BACKEND") == "torch":
        import torch as backend
    lines = ["# explain gallery", "",
             "Diagrams drawn by `npconv explain` (regenerate with `python docs/gallery/make_gallery.py`).",
             "Each SVG is the source; the PNG is the same scene rasterised by Pillow.", ""]
    for name, layer, shape, at, caption in GALLERY:
        explanation = explain(layer, shape, at=at, _backend=backend)
        explanation.save_svg(HERE / f"{name}.svg")
        explanation.save_png(HERE / f"{name}.png")
        command = (f'npconv explain "{layer}" --input {",".join(map(str, shape))} '
                   f'--at {",".join(map(str, at))} --svg {name}.svg')
        lines += [f"## {caption}", "", f"`{command}`", "", f"![{name}]({name}.png)", ""]
        if name in ANIMATED:
            frames = explanation.save_gif(HERE / f"{name}.gif")
            lines += [f"Animation over the {frames} output positions: [{name}.gif]({name}.gif)", ""]
        print(f"{name}: {explanation.output_shape}")
    (HERE / "README.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
