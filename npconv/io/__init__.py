"""Weights in and out: ``npconv.load`` / ``npconv.save``.

The format follows the file name, as in torch:

* ``.pt``, ``.pth``, ``.bin``, anything else: PyTorch's zip checkpoint, read **without torch** and
  written so that ``torch.load(path, weights_only=True)`` returns the same object (see
  :mod:`npconv.io.torch_format`); the legacy format before torch 1.6 is read too. Loading never runs code from the file: the unpickler resolves only
  the few globals a state dict needs and refuses any other with ``pickle.UnpicklingError``.
* ``.safetensors``: a flat ``{name: tensor}`` dict (needs the optional extra ``npconv[safetensors]``).
* ``.npz``: a flat ``{name: tensor}`` dict in NumPy's archive (no pickles: ``allow_pickle=False``).

A file object (no name) is recognised by its first bytes. Tensors come back as ``npconv.Tensor``
(parameters as ``npconv.nn.Parameter`` when that exists), sharing memory where torch's did.
"""
import collections
import os
import pickle
import tempfile
import zipfile

import numpy as np

from ._unpickler import weights_only_message
from .classes import object_class_finder
from .torch_format import (CheckpointError, is_zip_checkpoint, read_checkpoint, read_legacy_checkpoint,
                           write_checkpoint)

__all__ = ["load", "save", "CheckpointError"]

_SAFETENSORS_HINT = ("reading or writing .safetensors needs the optional 'safetensors' package: "
                     "pip install 'npconv[safetensors]'")


# ------------------------------------------------------------------------------- npconv.Tensor glue

def _as_tensor(array, requires_grad):
    from .._tensor import from_numpy
    try:
        tensor = from_numpy(array)
    except TypeError:
        raise CheckpointError(f"the checkpoint holds a tensor of dtype {array.dtype}, which npconv does "
                              "not have") from None
    if requires_grad and array.dtype.kind == "f":
        tensor.requires_grad_(True)
    return tensor


def _parameter_class():
    try:
        from .. import nn
        return getattr(nn, "Parameter", None)
    except ImportError:
        return None


def _as_parameter(tensor, requires_grad):
    parameter = _parameter_class()
    if parameter is None:
        if requires_grad and tensor.dtype.is_floating_point:
            tensor.requires_grad_(True)
        return tensor
    return parameter(tensor, requires_grad)


def _tensor_info(obj):
    """(array, requires_grad, is_parameter) for what ``save`` writes as a tensor, else None."""
    from .._tensor import Tensor
    if isinstance(obj, Tensor):
        if getattr(obj, "is_meta", False):
            raise ValueError("cannot save a tensor on the 'meta' device: it has no data")
        parameter = _parameter_class()
        return obj.detach().numpy(), obj.requires_grad, parameter is not None and isinstance(obj, parameter)
    if isinstance(obj, np.ndarray):
        return obj, False, False
    return None


# ----------------------------------------------------------------------------------------- dispatch

def _kind_of_name(name):
    lower = os.fspath(name).lower()
    if isinstance(lower, bytes):
        lower = lower.decode(errors="replace")
    if lower.endswith(".safetensors"):
        return "safetensors"
    if lower.endswith(".npz"):
        return "npz"
    return "torch"


def _kind_of_content(file):
    start = file.tell()
    head = file.read(16)
    file.seek(start)
    if head.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(file).namelist()
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
            return "torch"  # let the checkpoint reader give its error
        finally:
            file.seek(start)
        if names and all(n.endswith(".npy") for n in names):
            return "npz"
        return "torch"
    if len(head) >= 9 and head[8:9] == b"{" and not head.startswith(b"\x80"):
        return "safetensors"
    return "torch"


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None, **pickle_load_args):
    """Load what ``torch.save`` (or :func:`save`) wrote: nested dicts/lists of tensors, numbers, strings.

    ``f`` is a path or a binary file object. ``map_location`` may be None, ``'cpu'`` (npconv has no
    other device), a dict of such, or a ``(storage, location)`` callable. npconv never runs code from a
    file: a whole pickled model is rebuilt only from classes npconv or the program already has, those
    allowed by ``torch.serialization.safe_globals``, or, with ``weights_only=False``, any layer class
    (see npconv/io/classes.py).
    ``mmap`` and ``pickle_load_args`` are accepted for torch's signature and ignored (storages are read
    into memory).

    Raises ``pickle.UnpicklingError`` naming any global beyond those a state dict needs, and for a
    truncated, corrupt or unsupported file the error of the builtin type torch.load raises (checked in
    its order): a ``CheckpointError`` (a RuntimeError) or an UnpicklingError that is also an EOFError,
    KeyError, ValueError...; nothing is returned partially loaded.
    """
    if pickle_module is not None:
        raise RuntimeError("npconv.load reads checkpoints with its own restricted unpickler; "
                           "pickle_module cannot be given")
    if isinstance(f, (str, bytes, os.PathLike)):
        kind = _kind_of_name(f)
        if kind == "safetensors":
            return _load_safetensors(f)
        with open(f, "rb") as file:
            return _load_file(file, kind, map_location, weights_only)
    if not all(hasattr(f, a) for a in ("read", "seek", "tell")):
        raise TypeError(f"load() expects a path or a seekable binary file, got {type(f).__name__}")
    return _load_file(f, _kind_of_content(f), map_location, weights_only)


def _load_file(file, kind, map_location, weights_only=True):
    if kind == "npz":
        return _load_npz(file)
    if kind == "safetensors":
        return _load_safetensors_bytes(file.read())
    from .._tensor import Size
    # as torch: a file that does not start as a zip archive is read as the legacy format, whose first
    # pickle (the magic number) refuses anything else with torch's error
    reader = read_checkpoint if is_zip_checkpoint(file) else read_legacy_checkpoint
    try:
        return reader(file, _as_tensor, _as_parameter, map_location, size_type=Size,
                      find_object_class=object_class_finder(weights_only))
    except pickle.UnpicklingError as error:
        if weights_only and type(error) is pickle.UnpicklingError:   # (not the refusals of torch's other types)
            raise pickle.UnpicklingError(weights_only_message(str(error))) from None
        raise


def save(obj, f, pickle_module=None, pickle_protocol=2, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False):
    """Save ``obj`` to a path or binary file; the path's extension picks the format (see module doc).

    For a torch checkpoint ``obj`` may nest dicts, OrderedDicts (their ``_metadata`` kept), lists and
    tuples of tensors, ndarrays, numbers, strings, bytes and None; tensors sharing memory keep sharing
    it. ``.npz`` and ``.safetensors`` take a flat ``{str: tensor}`` mapping. Writing to a path goes to a
    temporary file first, so a failure never leaves a truncated file behind.
    """
    if pickle_module is not None:
        raise RuntimeError("npconv.save writes its own protocol-2 pickle; pickle_module cannot be given")
    kind = _kind_of_name(f) if isinstance(f, (str, bytes, os.PathLike)) else "torch"
    writer = {"torch": lambda file: write_checkpoint(obj, file, _tensor_info),
              "npz": lambda file: np.savez(file, **_flat_arrays(obj, ".npz")),
              "safetensors": lambda file: file.write(_safetensors_bytes(obj))}[kind]
    if not isinstance(f, (str, bytes, os.PathLike)):
        writer(f)
        return
    path = os.fspath(f)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".npconv-save-")
    try:
        with os.fdopen(handle, "wb") as file:
            writer(file)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


# --------------------------------------------------------------------------------- npz, safetensors

def _flat_arrays(obj, what):
    if not isinstance(obj, dict):
        raise TypeError(f"{what} holds a flat {{name: tensor}} dict, got {type(obj).__name__}")
    arrays = {}
    for name, value in obj.items():
        info = _tensor_info(value)
        if not isinstance(name, str) or info is None:
            raise TypeError(f"{what} holds a flat {{name: tensor}} dict; entry {name!r} is a "
                            f"{type(value).__name__}")
        arrays[name] = info[0]
    return arrays


def _tensors(arrays):
    return collections.OrderedDict((name, _as_tensor(np.array(a), False)) for name, a in arrays)


def _load_npz(file):
    try:
        with np.load(file, allow_pickle=False) as archive:
            return _tensors((name, archive[name]) for name in archive.files)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as error:
        raise CheckpointError(f"cannot read the .npz archive ({error})") from None


def _safetensors_numpy():
    try:
        import safetensors.numpy
    except ImportError:
        raise ImportError(_SAFETENSORS_HINT) from None
    return safetensors.numpy


def _load_safetensors(path):
    with open(path, "rb") as file:
        return _load_safetensors_bytes(file.read())


def _load_safetensors_bytes(data):
    reader = _safetensors_numpy()
    try:
        arrays = reader.load(data)
    except Exception as error:  # safetensors raises its own SafetensorError (and others) on bad bytes
        raise CheckpointError(f"cannot read the .safetensors data ({type(error).__name__}: {error})") \
            from None
    return _tensors(arrays.items())


def _safetensors_bytes(obj):
    writer = _safetensors_numpy()
    arrays = {name: a if a.flags.c_contiguous else a.copy(order="C")   # (ascontiguousarray makes 0-d 1-d)
              for name, a in _flat_arrays(obj, ".safetensors").items()}
    return writer.save(arrays)
