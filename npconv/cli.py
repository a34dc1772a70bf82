"""The ``npconv`` command: ``demo`` trains LeNet on the bundled digits; ``summary``, ``explain`` and
``bench`` come from their own modules, imported only when asked for so that ``npconv demo`` starts fast.

Each of those modules exposes ``add_arguments(parser)`` and ``run(args) -> int``.
"""
import argparse
import importlib
import sys
import time
from pathlib import Path

__all__ = ["main", "build_parser"]

# subcommand -> (module providing add_arguments/run, one-line help)
EXTERNAL_COMMANDS = {
    "summary": ("npconv.arithmetic.cli", "layer table of a model: output shapes, parameters, MACs, memory"),
    "explain": ("npconv.explain.cli", "one convolution step by step, in numbers and pictures"),
    "bench": ("npconv.bench", "time npconv's convolution algorithms (beside torch when installed)"),
    "run": ("npconv.run", "run a PyTorch script unchanged: its 'import torch' / 'import torchvision' is npconv"),
    "explore": ("npconv.explore.cli", "an interactive page in your browser: one layer, or a model on an image"),
}

# Chosen on the bundled digits: first with torch as a stand-in (seeds 0-9: 97.8-99.2% after 6 epochs;
# Adam(1e-3) was less steady, 96.1% at epoch 7 for one seed), then checked with npconv itself (seeds
# 0-5 after 6 epochs: 98.1-99.2%). The learning rate decays by 0.7 per epoch to settle the last epochs.
DEMO_DEFAULTS = dict(epochs=6, mnist_epochs=1, batch_size=32, lr=0.05, momentum=0.9, lr_decay=0.7, seed=0)


def main(argv=None):
    """Entry point of the ``npconv`` console script; returns the exit status.

    Output to a reader that closes early (``npconv summary resnet18 | head -1``) ends quietly with status
    141 (128 + SIGPIPE), as a command killed by SIGPIPE reports in a shell; a terminal that cannot encode
    some character gets a replacement instead of a UnicodeEncodeError."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not _stdout_encodes("├─│└…×→≤"):
        _reconfigure(sys.stdout, errors="replace")
    try:
        status = _dispatch(argv)
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        return 141
    return status


def _dispatch(argv):
    command = chosen_command(argv)
    parser = build_parser(command)
    args, extras = parser.parse_known_args(argv)
    if extras:     # the unknown words are the subcommand's: its usage, not the top-level one
        owner = parser.subcommand_parsers.get(args.command, parser)
        owner.error(f"unrecognized arguments: {' '.join(extras)}")
    if args.command is None:
        parser.print_help()
        return 2
    return args.run(args)


def _stdout_encodes(text):
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _reconfigure(stream, **options):
    try:
        stream.reconfigure(**options)
    except (AttributeError, ValueError):   # not a text stream of io (a test's capture)
        pass


def _silence_stdout():
    """After a broken pipe: point stdout at devnull so that the interpreter's final flush stays quiet."""
    import os
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):
        pass


class Parser(argparse.ArgumentParser):
    """argparse with "did you mean" for a mistyped subcommand, choice or option (difflib)."""

    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}{self._suggestions(message)}\n")

    def _suggestions(self, message):
        import difflib
        import re
        if "invalid choice:" in message:
            match = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
            if match:
                choices = [c.strip().strip("'") for c in match.group(2).split(",")]
                close = difflib.get_close_matches(match.group(1), choices, n=1)
                return f"; did you mean {close[0]!r}?" if close else ""
        if message.startswith("unrecognized arguments:"):
            options = [o for o in self._option_string_actions if o.startswith("--")]
            hints = []
            for word in message.split(":", 1)[1].split():
                close = difflib.get_close_matches(word.split("=")[0], options, n=1) if word.startswith("-") else []
                hints.extend(close)
            return f" (did you mean {' '.join(hints)}?)" if hints else ""
        return ""


def build_parser(command=None):
    """The argument parser; only ``command``'s external module is imported to add its arguments (all of
    them for ``command="*"``, as shell completion needs)."""
    parser = Parser(
        prog="npconv",
        description="PyTorch's convolution toolbox rebuilt on NumPy: exact, fast, explained.",
        epilog="Run 'npconv COMMAND --help' for the options of a command.")
    parser.add_argument("--version", action="version", version=f"npconv {package_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    parser.subcommand_parsers = {"demo": add_demo_command(commands)}
    for name, (module_name, help_text) in EXTERNAL_COMMANDS.items():
        sub = commands.add_parser(name, help=help_text, description=help_text)
        parser.subcommand_parsers[name] = sub
        if name == command or command == "*":
            sub.set_defaults(run=attach_external_command(sub, name, module_name))
    parser.subcommand_parsers["completion"] = add_completion_command(commands)
    return parser


def chosen_command(argv):
    """The subcommand named on the command line (the first word that is not an option), if any."""
    words = [word for word in argv if not word.startswith("-")]
    return words[0] if words else None


def attach_external_command(sub, name, module_name):
    """Import ``module_name``, let it add its arguments to ``sub``, return its ``run``; if the import
    fails, return a ``run`` that explains why instead of a traceback."""
    try:
        module = importlib.import_module(module_name)
        module.add_arguments(sub)
        return module.run
    except ImportError as error:
        if getattr(error, "name", None) and module_name.startswith(error.name):
            reason = f"{module_name} is not part of this installation of npconv"
        else:
            reason = f"importing {module_name} failed: {error}"
    except AttributeError as error:
        reason = f"{module_name} does not provide add_arguments(parser) and run(args): {error}"
    sub.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)

    def unavailable(args):
        print(f"npconv {name}: unavailable: {reason}", file=sys.stderr)
        return 1
    return unavailable


def add_completion_command(commands):
    completion = commands.add_parser(
        "completion", help="print a shell completion script (needs shtab: pip install 'npconv[completion]')",
        description="Print the completion script of the npconv command for your shell, e.g. "
                    "'npconv completion bash > ~/.local/share/bash-completion/completions/npconv' or, for zsh, "
                    "'npconv completion zsh > ~/.zfunc/_npconv'. Needs shtab: pip install 'npconv[completion]'.")
    completion.add_argument("shell", choices=("bash", "zsh", "tcsh"), help="the shell to complete in")
    completion.set_defaults(run=run_completion)
    return completion


def run_completion(args):
    """Print shtab's completion script of the whole command (every subcommand's options)."""
    try:
        import shtab
    except ImportError:
        print("npconv completion: needs shtab, the completion library: pip install 'npconv[completion]'",
              file=sys.stderr)
        return 1
    print(shtab.complete(build_parser("*"), shell=args.shell))
    return 0


def package_version():
    from importlib import metadata
    try:
        return metadata.version("npconv")
    except metadata.PackageNotFoundError:  # running from a source tree that was never installed
        import npconv
        return getattr(npconv, "__version__", "unknown")


# ----------------------------------------------------------------------------------------- demo

def add_demo_command(commands):
    demo = commands.add_parser(
        "demo", help="train LeNet on the bundled handwritten digits and report the test accuracy",
        description="Train the classic LeNet on the bundled UCI handwritten digits (resized to 28x28) or "
                    "on MNIST (--data DIR), show the layer table and the held-out test accuracy.")
    demo.add_argument("--epochs", metavar="N", type=positive_int,
                      help=f"passes over the training images (default: {DEMO_DEFAULTS['epochs']} on the "
                           f"bundled digits, {DEMO_DEFAULTS['mnist_epochs']} on MNIST, 42 times larger)")
    demo.add_argument("--batch-size", metavar="N", type=positive_int, default=DEMO_DEFAULTS["batch_size"],
                      help="images per optimisation step (default: %(default)s)")
    demo.add_argument("--lr", type=positive_float, default=DEMO_DEFAULTS["lr"],
                      help="initial learning rate of SGD with momentum 0.9; it is multiplied by 0.7 after every "
                           "epoch (default: %(default)s)")
    demo.add_argument("--seed", metavar="N", type=int, default=DEMO_DEFAULTS["seed"],
                      help="seed of the weight initialisation and the shuffling; same seed, same result "
                           "(default: %(default)s)")
    demo.add_argument("--data", metavar="DIR", type=Path,
                      help="train on MNIST: a folder holding its four IDX files (plain or .gz, also "
                           "torchvision's DIR/MNIST/raw) instead of the bundled digits")
    demo.add_argument("--save", metavar="PATH", type=Path,
                      help="write the trained weights: PATH.npz, PATH.safetensors, PATH.pt (torch can "
                           "load it); without one of these suffixes, safetensors when installed, else npz")
    demo.add_argument("--train-size", metavar="N", type=positive_int,
                      help="train on the first N training images only (a quick look)")
    demo.set_defaults(run=run_demo)
    return demo


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def positive_float(text):
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def run_demo(args):
    """Train LeNet, print progress, the layer table and ``test accuracy: 98.1%``; returns 0."""
    import npconv
    from npconv.data import DataLoader
    from npconv.models import LeNet

    problem = save_path_problem(args.save)
    if problem:  # refuse now rather than after the training
        print(f"npconv demo: cannot save to {args.save}: {problem}", file=sys.stderr)
        return 1
    npconv.manual_seed(args.seed)
    try:
        train_set, test_set, source = load_demo_data(args.data, args.train_size)
    except (OSError, ValueError) as error:
        print(f"npconv demo: cannot read the data: {error}", file=sys.stderr)
        return 1
    if args.epochs is None:
        args.epochs = DEMO_DEFAULTS["epochs" if args.data is None else "mnist_epochs"]
    model = LeNet()
    optimizer = npconv.optim.SGD(model.parameters(), lr=args.lr, momentum=DEMO_DEFAULTS["momentum"])
    scheduler = npconv.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=DEMO_DEFAULTS["lr_decay"])
    loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, seed=args.seed)
    epochs = f"{args.epochs} epoch{'s' * (args.epochs != 1)}"
    print(f"LeNet on {source}: {len(train_set):,} training / {len(test_set):,} test images, {epochs}, "
          f"SGD lr={args.lr:g} momentum {DEMO_DEFAULTS['momentum']}, batch {args.batch_size}, seed {args.seed}")

    start = time.perf_counter()
    with make_progress() as progress:
        for epoch in range(1, args.epochs + 1):
            progress.start_epoch(epoch, args.epochs, len(loader))
            train_one_epoch(model, optimizer, loader, progress.advance)
            scheduler.step()
    train_seconds = time.perf_counter() - start

    print(layer_table(model, (1,) + tuple(train_set.tensors[0].shape[1:])))
    accuracy = evaluate(model, test_set)
    print(f"trained in {train_seconds:.1f} s")
    print(f"test accuracy: {accuracy:.1%}")
    if args.save is not None:
        print(f"weights saved to {save_weights(model, args.save)}")
    return 0


def load_demo_data(data_dir, train_size=None):
    """(train set, test set, description): the bundled digits, or MNIST from ``data_dir``."""
    from npconv.data import TensorDataset, load_digits, load_mnist
    if data_dir is None:
        train_set, test_set = load_digits(train=True), load_digits(train=False)
        source = "the bundled UCI digits (8x8 resized to 28x28)"
    else:
        train_set, test_set = load_mnist(data_dir, train=True), load_mnist(data_dir, train=False)
        source = f"MNIST from {data_dir}"
    if train_size is not None and train_size < len(train_set):
        train_set = TensorDataset(*(t[:train_size] for t in train_set.tensors))
    return train_set, test_set, source


def train_one_epoch(model, optimizer, loader, on_batch):
    """One pass over ``loader``; ``on_batch(loss, correct, count)`` after every step."""
    import npconv.nn.functional as F
    model.train()
    for images, labels in loader:
        optimizer.zero_grad()
        logits = model(images)
        loss = F.cross_entropy(logits, labels)
        loss.backward()
        optimizer.step()
        correct = int((logits.detach().numpy().argmax(axis=1) == labels.numpy()).sum())
        on_batch(loss.item(), correct, len(labels.numpy()))


def evaluate(model, dataset, batch_size=500):
    """Fraction of ``dataset`` that ``model`` classifies correctly (eval mode, no graph)."""
    import npconv
    from npconv.data import DataLoader
    model.eval()
    correct = 0
    with npconv.no_grad():
        for images, labels in DataLoader(dataset, batch_size=batch_size):
            correct += int((model(images).numpy().argmax(axis=1) == labels.numpy()).sum())
    return correct / len(dataset)


# ------------------------------------------------------------------------------------- progress

def make_progress():
    """A rich progress bar when rich is installed, else a plain text one."""
    try:
        import rich.progress  # noqa: F401
    except ImportError:
        return PlainProgress()
    return RichProgress()


class RunningScore:
    """Mean loss and accuracy over the batches seen so far in the epoch."""

    def __init__(self):
        self.loss_sum = self.correct = self.count = 0

    def add(self, loss, correct, count):
        self.loss_sum += loss * count
        self.correct += correct
        self.count += count

    @property
    def loss(self):
        return self.loss_sum / max(self.count, 1)

    @property
    def accuracy(self):
        return self.correct / max(self.count, 1)

    def text(self):
        return f"loss {self.loss:.4f}  accuracy {self.accuracy:6.1%}"


class RichProgress:
    """One rich progress bar per epoch with the running loss and accuracy."""

    def __enter__(self):
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                   TimeElapsedColumn)
        self.progress = Progress(
            TextColumn("epoch {task.fields[epoch]}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[scores]}"),
            TimeElapsedColumn())
        self.progress.__enter__()
        return self

    def start_epoch(self, epoch, epochs, batches):
        self.score = RunningScore()
        self.task = self.progress.add_task("", total=batches, epoch=f"{epoch}/{epochs}", scores="")

    def advance(self, loss, correct, count):
        self.score.add(loss, correct, count)
        self.progress.update(self.task, advance=1, scores=self.score.text())

    def __exit__(self, *exc_info):
        return self.progress.__exit__(*exc_info)


class PlainProgress:
    """A one-line text progress per epoch, for installations without rich."""

    WIDTH = 30

    def __enter__(self):
        print("(for a nicer progress bar: pip install 'npconv[progress]')")
        self.interactive = sys.stdout.isatty()
        return self

    def start_epoch(self, epoch, epochs, batches):
        self.score, self.label, self.batches, self.done = RunningScore(), f"epoch {epoch}/{epochs}", batches, 0
        self.started = time.perf_counter()

    def advance(self, loss, correct, count):
        self.score.add(loss, correct, count)
        self.done += 1
        finished = self.done == self.batches
        if self.interactive or finished:
            end = "\n" if finished else ""
            print("\r" + self.line(), end=end, flush=True)

    def line(self):
        filled = self.WIDTH * self.done // max(self.batches, 1)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        return (f"{self.label} [{bar}] {self.done}/{self.batches}  {self.score.text()}  "
                f"{time.perf_counter() - self.started:.1f}s")

    def __exit__(self, *exc_info):
        return False


# ---------------------------------------------------------------------------------- layer table

def layer_table(model, input_size):
    """The model's layer table: npconv's summary (torchinfo-style) when present, else a simple one."""
    try:
        from npconv.arithmetic import summary
    except ImportError:
        return simple_layer_table(model, input_size)
    return str(summary(model, input_size=input_size, verbose=0))


def simple_layer_table(model, input_size):
    """Name, type, output shape and parameter count of each direct child, from one real forward."""
    import npconv
    rows = []
    originals = {}
    for name, child in model.named_children():
        originals[name] = child
        child.forward = record_output(child.forward, name, child, rows)
    try:
        with npconv.no_grad():
            model(npconv.zeros(*input_size))
    finally:
        for child in originals.values():
            del child.forward  # back to the class's forward
    lines = [f"{'Layer':<10}{'Type':<12}{'Output shape':<20}{'Params':>10}"]
    for name, child, shape in rows:
        params = sum(p.numel() for p in child.parameters())
        lines.append(f"{name:<10}{type(child).__name__:<12}{str(list(shape)):<20}{params:>10,}")
    total = sum(p.numel() for p in model.parameters())
    lines.append(f"Total params: {total:,}")
    return "\n".join(lines)


def record_output(forward, name, child, rows):
    def recording_forward(*inputs, **kwargs):
        output = forward(*inputs, **kwargs)
        rows.append((name, child, tuple(output.shape)))
        return output
    return recording_forward


# -------------------------------------------------------------------------------------- saving

def save_path_problem(path):
    """Why weights cannot be written to ``path`` (None when they can)."""
    if path is None:
        return None
    if path.suffix == ".safetensors" and not has_safetensors():
        return "safetensors is not installed (pip install 'npconv[safetensors]'); or use a .npz path"
    if path.suffix in (".pt", ".pth"):
        import npconv
        if not hasattr(npconv, "save"):
            return "npconv.save (torch's .pt format) is not available; use a .npz path"
    if path.is_dir():
        return "it is a folder; give a file name, e.g. lenet.npz"
    return None


def save_weights(model, path):
    """Write ``model.state_dict()`` to ``path`` by its suffix; returns the path written."""
    path = Path(path)
    weights = {name: tensor.detach().numpy() for name, tensor in model.state_dict().items()}
    if path.suffix not in (".npz", ".safetensors", ".pt", ".pth"):
        path = path.with_name(path.name + (".safetensors" if has_safetensors() else ".npz"))
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".npz":
        import numpy as np
        np.savez(path, **weights)
    elif path.suffix == ".safetensors":
        from safetensors.numpy import save_file
        save_file({name: array.copy() for name, array in weights.items()}, str(path))
    else:
        import npconv
        npconv.save(model.state_dict(), path)
    return path


def has_safetensors():
    try:
        import safetensors.numpy  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
