"""``npconv summary MODEL --input 1,3,224,224 [--format table|json|csv|markdown]``.

MODEL is a built-in model name (``npconv.models.REGISTRY``: lenet, vgg11, vgg16, resnet18, mobilenet_v2,
unet, dcgan_generator) or ``path/to/file.py:ClassName`` (the class is built without arguments).
The summary runs on shape-only tensors: no convolution is computed.
"""
import importlib.util
import sys
from pathlib import Path

__all__ = ["add_arguments", "run", "load_model", "parse_input_size"]

FORMATS = ("table", "json", "csv", "markdown")


def add_arguments(parser):
    """Add the ``summary`` options to an argparse (sub)parser."""
    parser.add_argument("model", metavar="MODEL",
                        help="a built-in model (lenet, vgg11, vgg16, resnet18, mobilenet_v2, unet, "
                             "dcgan_generator) or path/to/file.py:ClassName")
    parser.add_argument("--input", metavar="N,C,...", default=None,
                        help="input size, comma separated (default: the model's usual input)")
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
    parser.add_argument("--dtype", choices=("float32", "float64"), default=None,
                        help="dtype of the input and the parameters (default: float32)")
    parser.set_defaults(run=run)
    return parser


def parse_input_size(text):
    """``'1,3,224,224'`` (or ``'1x3x224x224'``) -> ``(1, 3, 224, 224)``; ValueError with the reason."""
    parts = [p for p in text.replace("x", ",").replace(" ", "").split(",") if p]
    try:
        size = tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(f"--input must be comma-separated integers such as 1,3,224,224, got {text!r}") from None
    if len(size) < 2 or any(n <= 0 for n in size):
        raise ValueError(f"--input needs at least (N, C) and positive sizes, got {text!r}")
    return size


def load_model(spec):
    """Build the model named by ``spec``: a registry name or ``path/to/file.py:ClassName``.

    Returns ``(model, default_input_size or None)``.
    """
    from .. import models
    if ":" not in spec:
        return models.get_model(spec), models.default_input_size(spec)
    path_text, _, class_name = spec.rpartition(":")
    path = Path(path_text)
    if not path.is_file():
        raise ValueError(f"no such file: {path_text}")
    module_spec = importlib.util.spec_from_file_location(f"npconv_user_model_{path.stem}", path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_spec.name] = module
    module_spec.loader.exec_module(module)
    if not hasattr(module, class_name):
        raise ValueError(f"{path_text} defines no {class_name!r}")
    return getattr(module, class_name)(), None


def run(args):
    """Print the summary of ``args.model``; 0 on success, 2 for a usage error, 1 if the model fails."""
    from .summary import summary
    try:
        model, default_size = load_model(args.model)
    except ValueError as error:
        print(f"npconv summary: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # the model's own code failed: say so in one line
        print(f"npconv summary: cannot build {args.model}: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    try:
        if args.input is not None:
            input_size = parse_input_size(args.input)
        elif default_size is not None:
            input_size = default_size
        else:
            raise ValueError("give --input N,C,... for a model loaded from a file")
    except ValueError as error:
        print(f"npconv summary: {error}", file=sys.stderr)
        return 2
    dtypes = None
    if args.dtype is not None:
        import npconv
        dtypes = [getattr(npconv, args.dtype)]
        model = model.to(dtypes[0])      # parameters in the same dtype as the input, as torch requires
    try:
        result = summary(model, input_size, dtypes=dtypes)
    except (RuntimeError, ValueError, TypeError) as error:
        print(f"npconv summary: {args.model} fails on input "
              f"{list(input_size)}: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print(result.format(args.format))
    return 0
