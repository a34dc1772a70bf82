"""``npconv summary MODEL --input 1x3x224x224 [--depth N] [--format table|json|csv|markdown|html]``.

MODEL is a built-in model name (``npconv.models.REGISTRY``: lenet, vgg11, vgg16, resnet18, mobilenet_v2,
unet, dcgan_generator) or ``path/to/file.py:ClassName`` (the class is built without arguments). A file
written for PyTorch runs unchanged: with torch installed its model is a torch model, and where torch cannot
be imported its ``import torch`` is npconv (:func:`npconv.run.torch_resolves_to_npconv`).
The summary runs on shape-only tensors: no convolution is computed. The table is narrowed to the terminal's
width (``COLUMNS``) and drawn in ASCII when the output cannot encode the box characters.
"""
import contextlib
import importlib.util
import inspect
import os
import sys
from pathlib import Path

from .summary_table import COLUMNS, ascii_terminal, suggestion

__all__ = ["add_arguments", "run", "load_model", "open_model", "parse_input_size", "terminal_width"]

FORMATS = ("table", "json", "csv", "markdown", "html")


def add_arguments(parser):
    """Add the ``summary`` options to an argparse (sub)parser."""
    parser.add_argument("model", metavar="MODEL",
                        help="a built-in model (lenet, vgg11, vgg16, resnet18, mobilenet_v2, unet, "
                             "dcgan_generator) or path/to/file.py:ClassName (a PyTorch file works unchanged)")
    parser.add_argument("--input", metavar="SIZE", default=None,
                        help="input size N,C,... as 1x3x224x224 or 1,3,224,224 (default: the built-in model's "
                             "usual input; required for a model from a file)")
    parser.add_argument("--depth", metavar="N", type=int, default=3,
                        help="show layers down to this depth; deeper ones are folded into their parent, as "
                             "torchinfo does (default: %(default)s)")
    parser.add_argument("--columns", metavar="NAMES", default=None,
                        help=f"comma-separated columns, any of {', '.join(COLUMNS)} (default: output_size, "
                             "num_params, mult_adds, receptive_field, jump)")
    parser.add_argument("--var-names", action="store_true", help="show each layer's attribute name")
    parser.add_argument("--ascii", action="store_true", help="draw the layer tree in ASCII")
    parser.add_argument("--mode", choices=("eval", "train", "same"), default="eval",
                        help="the model's mode during the run (default: %(default)s)")
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
    parser.add_argument("--dtype", choices=("float32", "float64"), default=None,
                        help="dtype of the input and the parameters (default: float32)")
    parser.set_defaults(run=run)
    return parser


def parse_input_size(text):
    """``'1,3,224,224'`` (or ``'1x3x224x224'``) -> ``(1, 3, 224, 224)``; ValueError with the reason."""
    parts = [p for p in text.lower().replace("x", ",").replace(" ", "").split(",") if p]
    try:
        size = tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(f"--input must be integers such as 1x3x224x224 or 1,3,224,224, got {text!r}") from None
    if len(size) < 2 or any(n <= 0 for n in size):
        raise ValueError(f"--input needs at least (N, C) and positive sizes, got {text!r}")
    return size


def _torch_unavailable(error):
    """Whether an ImportError is torch or torchvision missing (or blocked), not another module."""
    name = getattr(error, "name", None) or ""
    return name.split(".")[0] in ("torch", "torchvision")


def _exec_file(path, module_name):
    module_spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_spec.name] = module
    try:
        module_spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_spec.name, None)
        raise
    return module


def load_model(spec):
    """Build the model named by ``spec``: a registry name or ``path/to/file.py:ClassName``.

    Returns ``(model, default_input_size or None)``.
    """
    model, size, _ = open_model(spec)
    return model, size


def open_model(spec):
    """:func:`load_model`, and the context the model must run in: ``(model, size, context)``, ``context()``
    making torch resolve to npconv when the file's ``import torch`` could only be npconv."""
    from .. import models
    if ":" not in spec:
        return models.get_model(spec), models.default_input_size(spec), contextlib.nullcontext
    path_text, _, class_name = spec.rpartition(":")
    path = Path(path_text)
    if not path.is_file():
        raise ValueError(f"no such file: {path_text}")
    module_name = f"npconv_user_model_{path.stem}"
    context = contextlib.nullcontext
    try:
        module = _exec_file(path, module_name)
    except ImportError as error:
        if not _torch_unavailable(error):
            raise
        from ..run import torch_resolves_to_npconv
        context = torch_resolves_to_npconv     # torch cannot be imported here: the file runs on npconv
        with context():
            module = _exec_file(path, module_name)
    if not hasattr(module, class_name):
        classes = [name for name, value in vars(module).items() if inspect.isclass(value)
                   and getattr(value, "__module__", None) == module_name]
        raise ValueError(f"{path_text} defines no {class_name!r}{suggestion(class_name, classes)}"
                         + (f" (classes there: {', '.join(classes)})" if classes else ""))
    with context():
        return getattr(module, class_name)(), None, context


def terminal_width(stream=None):
    """The width to fit a table in: ``COLUMNS`` when set, else the terminal's; None when the output is not
    a terminal (a file or a pipe gets the whole table)."""
    stream = stream or sys.stdout
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        return os.get_terminal_size(stream.fileno()).columns if stream.isatty() else None
    except (AttributeError, OSError, ValueError):
        return None


def _options(args):
    """``summary``'s keyword arguments from the command line; ValueError for a bad column name."""
    columns = None
    if args.columns:
        columns = tuple(c.strip() for c in args.columns.split(",") if c.strip())
        for name in columns:
            if name not in COLUMNS:
                raise ValueError(f"unknown column {name!r}{suggestion(name, COLUMNS)}; columns: {', '.join(COLUMNS)}")
    if args.depth < 0:
        raise ValueError(f"--depth must be 0 or more, got {args.depth}")
    rows = ("depth",) + ("var_names",) * args.var_names + ("ascii_only",) * args.ascii
    return dict(depth=args.depth, col_names=columns, row_settings=rows, mode=args.mode, verbose=0)


def run(args):
    """Print the summary of ``args.model``; 0 on success, 2 for a usage error, 1 if the model fails."""
    from .summary import summary
    try:
        options = _options(args)
        model, default_size, context = open_model(args.model)
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
            raise ValueError("give --input N,C,... (e.g. --input 1x3x224x224) for a model loaded from a file")
    except ValueError as error:
        print(f"npconv summary: {error}", file=sys.stderr)
        return 2
    dtypes = None
    if args.dtype is not None:
        import npconv
        dtypes = [getattr(npconv, args.dtype)]
        model = model.to(dtypes[0])      # parameters in the same dtype as the input, as torch requires
    try:
        with context():
            result = summary(model, input_size, dtypes=dtypes, **options)
    except (RuntimeError, ValueError, TypeError, NotImplementedError) as error:
        print(f"npconv summary: {args.model} fails on input "
              f"{list(input_size)}: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print(result.format(args.format, width=terminal_width(), ascii_only=ascii_terminal(sys.stdout)))
    return 0
