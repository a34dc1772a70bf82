"""``npconv explain "LAYER" --input N,C,... [--at i,j] [--svg F] [--png F] [--gif F]``."""
import sys

from .core import explain
from .layer import ExplainError

__all__ = ["add_arguments", "run"]

EXAMPLES = """examples:
  npconv explain "Conv2d(1, 1, kernel_size=3, stride=2, padding=1)" --input 1,1,5,5 --at 1,1
  npconv explain "ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1)" --input 1,16,3,3 --svg t.svg
  npconv explain "Conv1d(2, 4, 3, groups=2, padding='same')" --input 1,2,8
  npconv explain "MaxPool2d(2)" --input 1,1,6,6 --gif pool.gif
  npconv explain "Upsample(scale_factor=2, mode='bilinear')" --input 1,1,3,3 --png up.png
  npconv explain "BatchNorm2d(8)" --input 2,8,4,4 --at 0,3,1,1      (text only: which values are normalised)
  npconv explain "Linear(800, 500)" --input 1,800
  npconv explain "Conv1d(1, 1, 3, dilation=2, padding='causal')" --input 1,1,10 --at 2   (left padding only)

Drawn as diagrams: convolutions, pooling, upsampling. Explained in text: Linear, BatchNorm, GroupNorm,
LayerNorm, activations, adaptive pooling, MaxUnpool, PixelShuffle/PixelUnshuffle, Flatten."""


def add_arguments(parser):
    """Add the explain options to ``parser`` (an argparse sub-parser)."""
    import argparse
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EXAMPLES
    parser.add_argument("layer", help="the layer as torch prints it or as you write it, e.g. "
                                      "\"Conv2d(1, 1, kernel_size=3, stride=2, padding=1)\"")
    parser.add_argument("--input", required=True, metavar="SIZE",
                        help="input size, e.g. 1x1x5x5 or 1,1,5,5 (N, C, then the spatial sizes)")
    parser.add_argument("--at", metavar="i,j", help="output element to trace (spatial indices, or n,c,i,j); "
                                                    "default: the centre")
    parser.add_argument("--svg", metavar="FILE", help="write the diagram as SVG")
    parser.add_argument("--png", metavar="FILE", help="write the diagram as PNG (needs Pillow)")
    parser.add_argument("--gif", metavar="FILE", help="write an animation over the output positions (needs Pillow)")


def run(args):
    """Print the explanation and write the requested pictures; returns the exit status."""
    try:
        at = _indices(args.at) if args.at else None
        explanation = explain(args.layer, args.input, at=at)
        print(explanation.text)
        if args.svg:
            explanation.save_svg(args.svg)
            print(f"wrote {args.svg}")
        if args.png:
            explanation.save_png(args.png)
            print(f"wrote {args.png}")
        if args.gif:
            frames = explanation.save_gif(args.gif)
            print(f"wrote {args.gif} ({frames} frames)")
    except BrokenPipeError:
        raise                    # a reader that closed early: npconv.cli.main ends quietly
    except (ExplainError, ImportError, OSError) as error:
        print(f"npconv explain: error: {error}", file=sys.stderr)
        return 2
    return 0


def _indices(text):
    try:
        return tuple(int(part) for part in text.replace(" ", "").split(",") if part)
    except ValueError:
        raise ExplainError(f"--at must be integers separated by commas, e.g. 1,1; got {text!r}") from None
