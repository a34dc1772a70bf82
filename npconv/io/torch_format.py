"""PyTorch's checkpoint format (``torch.save``/``torch.load``) on plain NumPy arrays, without torch.

A checkpoint is a zip archive whose records all sit under one folder (``archive/`` or the file's stem):

    archive/data.pkl              the object, pickled (protocol 2); each tensor is
                                  _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)
                                  and each storage a persistent id ('storage', torch.FloatStorage, key,
                                  'cpu', numel)
    archive/data/<key>            the raw bytes of storage <key>, little-endian, 64-byte aligned
    archive/byteorder             'little' or 'big'
    archive/.format_version       '1';  archive/.storage_alignment  '64';  archive/version  '3\\n'

Tensors come back as views of their storage (offset and strides kept, so tensors that shared memory in
torch share it here). Everything is read and checked before anything is returned: a truncated or
corrupt file raises and never yields a half-loaded object.

The functions here know nothing of ``npconv.Tensor``: the caller passes ``make_tensor(array,
requires_grad)`` / ``make_parameter(tensor, requires_grad)`` to load, and ``tensor_info(obj)`` to save.
"""
import io
import pickle
import re
import struct
import zipfile

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ._pickler import CheckpointPickler
from ._zip import Archive, ZipFault
from ._unpickler import (BFLOAT16, DtypeMarker, RestrictedUnpickler, StorageType, TypeMarker, ascii_text,
                         refusal, refusal_like, short_repr)

__all__ = ["read_checkpoint", "read_legacy_checkpoint", "write_checkpoint", "is_zip_checkpoint",
           "CheckpointError"]

STORAGE_ALIGNMENT = 64
FILE_FORMAT_VERSION = "3\n"          # the 'version' record torch 2.x writes
MIN_READ_VERSION, MAX_READ_VERSION = 1, 10   # the versions torch 2.13's reader accepts
_ZIP_MAGIC = b"PK\x03\x04"
_ALIGN_EXTRA_ID = 0x4246             # 'FB': the padding field miniz (torch's writer) uses too
_FIXED_DATE = (1980, 1, 1, 0, 0, 0)  # reproducible archives: the same object gives the same bytes


class CheckpointError(RuntimeError):
    """The file is not a readable checkpoint (truncated, corrupt, or an unsupported kind)."""


def miniz_error(what, reason):
    """The RuntimeError torch's archive reader (miniz) raises, e.g. ("locating file data/0", "file not found")."""
    return CheckpointError(f"PytorchStreamReader failed {what}: {reason}. This is an internal miniz error. If you "
                           "are seeing this error, there is a high likelihood that your checkpoint file is "
                           "corrupted. This can happen if the checkpoint was not saved properly, was transferred "
                           "incorrectly, or the file was modified after saving.")


def cpp_error(message):
    """The RuntimeError of a C++ check in torch, whose message (bytes) Python reads as UTF-8: a name or
    record with other bytes in it makes that reading, and so the error, a UnicodeDecodeError."""
    return CheckpointError(message.decode("utf-8"))


def is_zip_checkpoint(file):
    """Whether a seekable binary file starts with a zip record (torch's format since 1.6)."""
    start = file.tell()
    magic = file.read(4)
    file.seek(start)
    return magic == _ZIP_MAGIC


# ----------------------------------------------------------------------------------------- reading

def read_checkpoint(file, make_tensor=None, make_parameter=None, map_location=None, size_type=tuple,
                    find_object_class=None):
    """Load the object of a torch zip checkpoint from a seekable binary file.

    Raises ``pickle.UnpicklingError`` when the pickle asks for a global a state dict does not need (and
    ``find_object_class(module, name)`` does not allow as a class to rebuild), and
    ``CheckpointError`` (a RuntimeError) when the archive is damaged or not a torch checkpoint.
    """
    return _refused_as_torch(lambda: _read_archive(file, make_tensor, make_parameter, map_location, size_type,
                                                   find_object_class))


def _read_archive(file, *options):
    try:
        archive = Archive(file)
    except ZipFault as fault:
        raise miniz_error("reading zip archive", fault.reason) from None
    return _ArchiveReader(archive, *options).load()


def read_legacy_checkpoint(file, make_tensor=None, make_parameter=None, map_location=None, size_type=tuple,
                           find_object_class=None):
    """Load a checkpoint in torch's format before 1.6 (``_use_new_zipfile_serialization=False``), with
    the same restricted unpickler and the same errors as :func:`read_checkpoint`."""
    return _refused_as_torch(_LegacyReader(file, make_tensor, make_parameter, map_location, size_type,
                                           find_object_class).load)


def _refused_as_torch(read):
    """``read()``, whose errors have the builtin types of torch's for the same file (EOFError, KeyError,
    ValueError...). Each is raised as a refusal of that type, which is also an UnpicklingError unless it is a
    CheckpointError, so that code catching those two sees every refusal."""
    try:
        return read()
    except (pickle.UnpicklingError, CheckpointError, ImportError):
        raise  # ImportError: npconv itself is broken (find_class never imports), do not hide it
    except (MemoryError, RecursionError) as error:
        raise CheckpointError(f"the checkpoint is malformed ({type(error).__name__})") from None
    except Exception as error:
        raise refusal_like(error) from None


class _Reader:
    """What both formats share: unpickling with our rebuild functions, tensor views, map_location."""

    def __init__(self, make_tensor, make_parameter, map_location, size_type, find_object_class=None):
        self.make_tensor = make_tensor or (lambda array, requires_grad: array)
        self.make_parameter = make_parameter or (lambda tensor, requires_grad: tensor)
        self.map_location = map_location
        self.size_type = size_type
        self.find_object_class = find_object_class   # classes a whole-object checkpoint may rebuild
        self.storages = {}            # key -> 1-d ndarray, so views of one storage share memory
        self.storage_ids = set()

    def unpickle(self, file, persistent_load=None):
        """One pickle of the file; ``persistent_load(pid)`` answers its storages (None: it may have none)."""
        return RestrictedUnpickler(file, self._rebuilders(), persistent_load, self.size_type,
                                   self.find_object_class).load()

    def _keep_storage(self, key, storage, location):
        storage = _restore(storage, location, self.map_location)
        self.storages[key] = storage
        self.storage_ids.add(id(storage))
        return storage

    def _check_storage(self, storage):
        if not isinstance(storage, np.ndarray) or id(storage) not in self.storage_ids:   # torch asks its .dtype
            raise refusal(AttributeError, f"'{type(storage).__name__}' object has no attribute 'dtype'")

    # -- rebuild functions named by the pickle ----------------------------------------------------

    def _rebuilders(self):
        return {
            "torch._utils._rebuild_tensor": self._rebuild_tensor,
            "torch._utils._rebuild_tensor_v2": self._rebuild_tensor_v2,
            "torch._utils._rebuild_tensor_v3": self._rebuild_tensor_v3,
            "torch._utils._rebuild_parameter": self._rebuild_parameter,
            "torch._utils._rebuild_parameter_with_state": self._rebuild_parameter_with_state,
            "torch._tensor._rebuild_from_type_v2": self._rebuild_from_type_v2,
        }

    def _view(self, storage, offset, size, stride):
        self._check_storage(storage)
        return strided_view(storage, offset, size, stride)

    def _rebuild_tensor(self, storage, storage_offset, size, stride):
        return self.make_tensor(self._view(storage, storage_offset, size, stride), False)

    def _rebuild_tensor_v2(self, storage, storage_offset, size, stride, requires_grad=False,
                           backward_hooks=None, metadata=None):
        view = self._view(storage, storage_offset, size, stride)
        _check_requires_grad(requires_grad, view.dtype)
        _refuse_metadata(metadata)
        return self.make_tensor(view, requires_grad)

    def _rebuild_tensor_v3(self, storage, storage_offset, size, stride, requires_grad, backward_hooks,
                           dtype, metadata=None):
        self._check_storage(storage)
        _refuse_metadata(metadata)
        if not isinstance(dtype, DtypeMarker) or dtype.numpy_dtype == BFLOAT16:
            raise pickle.UnpicklingError(f"_rebuild_tensor_v3 with unsupported dtype {short_repr(dtype)}")
        if storage.dtype != np.uint8 or storage.size % dtype.numpy_dtype.itemsize:
            raise pickle.UnpicklingError("_rebuild_tensor_v3 needs an untyped storage of whole elements")
        view = strided_view(storage.view(dtype.numpy_dtype), storage_offset, size, stride)
        _check_requires_grad(requires_grad, view.dtype)
        return self.make_tensor(view, requires_grad)

    def _rebuild_parameter(self, data, requires_grad, backward_hooks=None):
        return self.make_parameter(data, bool(requires_grad))

    def _rebuild_parameter_with_state(self, data, requires_grad, backward_hooks, state):
        return self.make_parameter(data, bool(requires_grad))

    def _rebuild_from_type_v2(self, function, new_type, args, state):
        if not callable(function) or not isinstance(new_type, TypeMarker) or not isinstance(args, tuple):
            raise pickle.UnpicklingError("malformed _rebuild_from_type_v2 in checkpoint")
        result = function(*args)
        if new_type.name == "torch.nn.Parameter":
            result = self.make_parameter(result, True)
        return result


class _ArchiveReader(_Reader):
    """The zip format (torch >= 1.6): storages are records of the archive, read when first named."""

    def __init__(self, archive, *options):
        super().__init__(*options)
        self.archive = archive
        self.folder = b""             # the archive's folder and a slash, as bytes
        self.byteorder = "little"

    def load(self):
        """The checks torch makes, in its order: its archive reader's on opening (folder, serialization id,
        version), torch.load's (record names, TorchScript), _load's (byteorder, alignment), then the pickle
        and the serialization id, which torch logs as text after loading."""
        self.folder = self._first_folder()
        serialization_id = self._record(".data/serialization_id") if self._has(".data/serialization_id") else b""
        self._check_version()
        self._check_names()
        if self._has("constants.pkl"):
            raise CheckpointError("this is a TorchScript archive (torch.jit.save), not a checkpoint; "
                                  "save a state_dict() with torch.save to load it in npconv")
        if self._has(".format_version"):
            self._record(".format_version")
        self.byteorder = self._byteorder()
        if self._has(".storage_alignment"):
            int(self._record(".storage_alignment"))   # torch's ValueError for a record that is no number
        result = self.unpickle(io.BytesIO(self._record("data.pkl")), self._persistent_load)
        serialization_id.decode("utf-8")
        return result

    def _first_folder(self):
        """The folder of the first record, which torch's reader takes as the archive's."""
        if not self.archive.records:
            raise CheckpointError("archive does not contain any files")
        first = self.archive.records[0].name
        if b"/" not in first:
            raise cpp_error(b"[enforce fail at inline_container.cc:180] . file in archive is not in a "
                            b"subdirectory: " + first)
        return first.split(b"/", 1)[0] + b"/"

    def _check_names(self):
        """torch lists the records (all in the folder) and reads their names, after it, as UTF-8 text."""
        names = [record.name.split(b"\0")[0] for record in self.archive.records]   # (C strings)
        for name in names:
            if not name.startswith(self.folder):
                raise cpp_error(b"[enforce fail at inline_container.cc:340] . file in archive is not in a "
                                b"subdirectory " + self.folder + b": " + name)
        for name in names:
            name[len(self.folder):].decode("utf-8")

    def _has(self, name):
        try:
            self.archive.find(self.folder + name.encode())
            return True
        except ZipFault:
            return False

    def _record(self, name, expected_size=None):
        """A record's bytes as torch's getRecord reads them: located, its entry checked, then extracted (no
        CRC check, so a flipped byte loads as torch loads it)."""
        try:
            record = self.archive.find(self.folder + name.encode())
        except ZipFault as fault:
            raise miniz_error(f"locating file {name}", fault.reason) from None
        try:
            self.archive.stat(record)
        except ZipFault as fault:
            raise miniz_error(f"retrieving file meta-data for {name}", fault.reason) from None
        if expected_size is not None and record.size != expected_size:
            raise CheckpointError(f"record size ({record.size} bytes) does not match expected size "
                                  f"({expected_size} bytes = {expected_size} elements * 1 bytes/element) for dtype Byte")
        try:
            return self.archive.read(record, _MAX_DEFLATE_RATIO)
        except ZipFault as fault:
            raise miniz_error(f"reading file {name}", fault.reason) from None

    def _check_version(self):
        """The 'version' record as torch reads it (C++ stoll: leading digits after blanks and a sign)."""
        if not self._has("version"):
            raise CheckpointError('Expected hasRecord("version") to be true, but got false.  (Could this error '
                                  'message be improved?  If so, please report an enhancement request to PyTorch.)')
        raw = self._record("version")
        text = raw.decode("latin-1")
        digits = re.match(r"\s*[+-]?\d+", text)
        if digits is None:
            raise cpp_error(b"[enforce fail at inline_container.cc:215] . Couldn't parse the version " + raw +
                            b" as Long Long.")
        version = int(digits.group())
        if not -2 ** 63 <= version < 2 ** 63:
            raise IndexError("stoull")
        if version < MIN_READ_VERSION:
            raise CheckpointError(
                f"[enforce fail at inline_container.cc:219] . Attempted to read a PyTorch file with version "
                f"{version}, but the minimum supported version for reading is {MIN_READ_VERSION}. Your PyTorch "
                "script module file is too old. Please regenerate it with latest version of PyTorch to mitigate "
                "this issue.")
        if version > MAX_READ_VERSION:
            raise CheckpointError(
                f"[enforce fail at inline_container.cc:230] . Attempted to read a PyTorch file with version "
                f"{version}, but the maximum supported version for reading is {MAX_READ_VERSION}. The version of "
                "your PyTorch installation may be too old, please upgrade PyTorch to latest version to mitigate "
                "this issue.")

    def _byteorder(self):
        if not self._has("byteorder"):
            return "little"                      # torch's default for files without the record
        order = self._record("byteorder")
        if order not in (b"little", b"big"):
            raise ValueError("Unknown endianness type: " + order.decode())   # (torch's decode may fail first)
        return order.decode()

    def _persistent_load(self, pid):
        """torch's zip persistent_load: ('storage', storage type, key, location, numel), checked in its order."""
        storage_type, key, location, numel = _storage_fields(pid)
        if key in self.storages:
            return self.storages[key]
        raw_dtype = _raw_dtype(storage_type, self.byteorder)
        if not isinstance(numel, int) or numel < 0:   # torch hands numel * itemsize to a C++ size_t
            raise refusal(TypeError, "get_storage_from_record(): incompatible function arguments")
        location = ascii_text(location)
        raw = np.frombuffer(self._record(f"data/{key}", expected_size=numel * raw_dtype.itemsize),
                            dtype=raw_dtype)
        return self._keep_storage(key, _native_copy(raw, storage_type), location)


# Deflate expands at most 1032:1, so a record that claims more than this per compressed byte is a bomb.
_MAX_DEFLATE_RATIO = 1032


# torch allocates whatever a legacy file's storages claim and fails only when their bytes are missing, after
# the whole pickle is read (which may fail first, with its own error). Claims beyond the file's size are
# allowed up to this much in all (np.zeros costs no memory until written), so that a slightly wrong count
# fails where torch fails; larger ones are refused before allocating.
_LEGACY_SLACK = 64 * 2 ** 20


class _LegacyReader(_Reader):
    """The format before torch 1.6: pickles of a magic number, a protocol version and system info, then
    the object (storages as persistent ids), then the list of storage keys, then for each key an int64
    element count and the raw bytes. Storages are named before their bytes come, so the object is built
    over empty storages that are filled afterwards (views share them, so they see the data)."""

    MAGIC_NUMBER, PROTOCOL_VERSION = 0x1950a86a20f9469cfc6c, 1001

    def __init__(self, file, *options):
        super().__init__(*options)
        self.file = file
        self.byteorder = "little"
        self.types = {}              # key -> storage type, for the bytes that follow the pickle
        self.budget = 0              # bytes the storages may still claim (see _LEGACY_SLACK)

    def load(self):
        start = self.file.tell()
        self.file.seek(0, io.SEEK_END)
        self.budget = self.file.tell() - start + _LEGACY_SLACK
        self.file.seek(start)
        if self.unpickle(self.file) != self.MAGIC_NUMBER:
            raise CheckpointError("Invalid magic number; corrupt file?")
        protocol_version = self.unpickle(self.file)
        if protocol_version != self.PROTOCOL_VERSION:
            raise CheckpointError(f"Invalid protocol version: {protocol_version}")
        info = self.unpickle(self.file)
        if isinstance(info, dict) and info.get("little_endian") is False:
            self.byteorder = "big"
        result = self.unpickle(self.file, self._persistent_load)
        for key in self.unpickle(self.file):   # the storage keys, in the order their bytes follow
            if key not in self.storages:
                raise AssertionError(f"storage key {key!r} not found in deserialized_objects")
            self._fill(key)
        return result

    def _persistent_load(self, pid):
        """torch's legacy persistent_load: ('storage', type, key, location, numel, view), in its order."""
        storage_type, key, location, numel, view = _storage_fields(pid, legacy=True)
        location = ascii_text(location)
        if key in self.storages:
            return self.storages[key]
        if view is not None:
            raise pickle.UnpicklingError("storage views (torch < 0.4) are not supported")
        dtype = _raw_dtype(storage_type, self.byteorder)
        if not isinstance(numel, int) or not 0 <= numel * dtype.itemsize <= self.budget:
            raise CheckpointError(f"storage {key} claims {short_repr(numel)} elements, more than the file holds")
        self.budget -= numel * dtype.itemsize
        native = np.float32 if storage_type.dtype == BFLOAT16 else storage_type.dtype
        self.types[key] = storage_type
        return self._keep_storage(key, np.zeros(numel, dtype=native), location)

    def _view(self, storage, offset, size, stride):
        try:
            return super()._view(storage, offset, size, stride)
        except StorageTooSmall as short:   # torch's legacy storages are resizable: set_ grows them
            return strided_view(self._grown(storage, short.needed), offset, size, stride)

    def _grown(self, storage, needed):
        """The storage grown to ``needed`` elements, as torch's resize, in place of the old one (so its bytes
        then disagree with the count before them in the file, and _fill fails as torch's does)."""
        key = next(key for key, kept in self.storages.items() if kept is storage)
        if (needed - storage.size) * storage.itemsize > self.budget:
            raise CheckpointError(f"storage {key} grows past what the file can hold")
        self.budget -= (needed - storage.size) * storage.itemsize
        grown = np.zeros(needed, dtype=storage.dtype)
        grown[:storage.size] = storage
        self.storages[key] = grown
        self.storage_ids.add(id(grown))
        return grown

    def _fill(self, key):
        """The storage's bytes after an int64 element count, checked as torch's ``_set_from_file``."""
        storage, storage_type = self.storages[key], self.types[key]
        count = self._read_exactly(8)
        raw_dtype = _raw_dtype(storage_type, self.byteorder)
        nbytes = storage.size * raw_dtype.itemsize
        claimed = int.from_bytes(count, self.byteorder) * raw_dtype.itemsize % 2 ** 64
        if claimed != nbytes:   # before reading: a flipped count must not size an allocation
            raise CheckpointError(f"storage has wrong byte size: expected %ld got %ld{claimed}{nbytes}")
        data = self._read_exactly(nbytes)
        storage[...] = _native_copy(np.frombuffer(data, dtype=raw_dtype), storage_type)

    def _read_exactly(self, size):
        data = self.file.read(size)
        if len(data) != size:
            raise CheckpointError(f"unexpected EOF, expected {size - len(data)} more bytes. The file might be "
                                  "corrupted.")
        return data


def _storage_fields(pid, legacy=False):
    """The fields of a storage's persistent id after 'storage', with torch's errors for a malformed one."""
    if not isinstance(pid, tuple):
        raise refusal(AssertionError, f"saved_id must be a tuple, got {type(pid).__name__}")
    typename, fields = ascii_text(pid[0]), pid[1:]
    if typename != "storage":
        raise (CheckpointError(f"Unknown saved id type: {pid[0]}") if legacy else refusal(
            AssertionError, f"Unknown typename for persistent_load, expected 'storage' but got '{typename}'"))
    expected = 5 if legacy else 4
    if len(fields) != expected:
        raise refusal(ValueError, f"not enough values to unpack (expected {expected}, got {len(fields)})"
                      if len(fields) < expected else f"too many values to unpack (expected {expected})")
    if not isinstance(fields[0], StorageType):
        raise refusal(AttributeError, f"'{type(fields[0]).__name__}' object has no attribute 'dtype'")
    return fields


def _raw_dtype(storage_type, byteorder):
    dtype = np.dtype(np.uint16) if storage_type.dtype == BFLOAT16 else storage_type.dtype
    return dtype.newbyteorder("<" if byteorder == "little" else ">")


def _native_copy(raw, storage_type):
    """A writable, native-endian copy of a storage's bytes (loaded weights may be updated in place)."""
    if storage_type.dtype == BFLOAT16:
        return _bfloat16_to_float32(raw)
    return raw.astype(raw.dtype.newbyteorder("="), copy=True)


def _is_location_callable(location):
    return callable(location) and not isinstance(location, (str, bytes, dict))


def _restore(storage, location, map_location):
    """The storage as ``map_location`` places it, refused where torch on a CPU-only machine refuses.

    As torch: a string or device replaces every storage's location tag, a dict maps tags, a callable
    may return the storage (or None: the tag decides); the result must name the CPU (or 'meta').
    """
    if _is_location_callable(map_location):
        mapped = map_location(storage, location)
        if isinstance(mapped, np.ndarray):
            return mapped
    elif isinstance(map_location, dict):
        location = map_location.get(location, location)
    elif map_location is not None:
        location = map_location
    _check_restorable(location)
    return storage


_NOT_AVAILABLE = ("Attempting to deserialize object on a {} device but torch.{}.is_available() is False. If "
                  "you are running on a CPU-only machine, please use torch.load with "
                  "map_location=torch.device('cpu') to map your storages to the CPU.")
_NOT_REGISTERED = ("The {} device module is not registered. If you are running on a CPU-only machine, please "
                   "use torch.load with map_location=torch.device('cpu') to map your storages to the CPU.")


def _check_restorable(location):
    """torch's default_restore_location on a CPU-only build: 'cpu' and 'meta' restore, others raise its
    RuntimeError (the device families it knows by prefix, then "don't know how")."""
    if location in ("cpu", "meta"):
        return
    if not isinstance(location, str):   # torch's CUDA restorer matches it with re.match
        raise refusal(TypeError, f"expected string or bytes-like object, got '{type(location).__name__}'")
    for prefix, message in (("cuda", _NOT_AVAILABLE.format("CUDA", "cuda")),
                            ("mps", "torch.UntypedStorage(): Storage device not recognized: mps"),
                            ("hpu", _NOT_REGISTERED.format("HPU")),
                            ("xpu", _NOT_AVAILABLE.format("XPU", "xpu")),
                            ("privateuseone", _NOT_REGISTERED.format("PRIVATEUSEONE"))):
        if location.startswith(prefix):
            raise CheckpointError(message)
    raise CheckpointError("don't know how to restore data location of torch.storage.UntypedStorage "
                       f"(tagged with {location})")


def _check_requires_grad(requires_grad, dtype):
    """torch's ``tensor.requires_grad = requires_grad`` on the rebuilt tensor."""
    if type(requires_grad) is not bool:
        raise CheckpointError("requires_grad must be a bool")
    if requires_grad and dtype.kind not in "fc":
        raise CheckpointError("only Tensors of floating point and complex dtype can require gradients")


def _refuse_metadata(metadata):
    if not metadata:   # torch sets the metadata only if there is some
        return
    if not isinstance(metadata, dict):
        raise refusal(AssertionError, f"expected dict, got {type(metadata).__name__}")
    if any(metadata.values()):
        raise pickle.UnpicklingError(f"tensors with conjugate/negative bits ({short_repr(metadata)}) are not "
                                     "supported; save t.resolve_conj().resolve_neg() instead")


def _bfloat16_to_float32(raw_uint16):
    # bfloat16 is the top half of a float32: widening is exact.
    return (raw_uint16.astype(np.uint32) << 16).view(np.float32)


class StorageTooSmall(CheckpointError):
    """A view needs ``needed`` elements of a storage that has fewer."""

    def __init__(self, needed):
        super().__init__("Trying to resize storage that is not resizable")
        self.needed = needed


def _is_int_list(values):
    return isinstance(values, (tuple, list)) and all(type(n) is int for n in values)


def strided_view(storage, offset, size, stride):
    """The tensor ``storage[offset + sum(i_k * stride_k)]`` of shape ``size``, as a view (no copy).

    Checked as torch's ``Tensor.set_`` checks it (its errors, in its order), so that a lying file cannot
    make the view reach memory it does not own: argument types, lengths, signs, then the extent.
    """
    if type(offset) is not int or not _is_int_list(size) or not _is_int_list(stride):
        raise refusal(TypeError, "set_() received an invalid combination of arguments - got (torch.storage."
                                 f"UntypedStorage, {type(offset).__name__}, {type(size).__name__}, "
                                 f"{type(stride).__name__}), but expected one of:")
    if len(size) != len(stride):
        raise CheckpointError(f"unequal size length ({len(size)}) and stride length ({len(stride)})")
    if offset < 0:
        raise CheckpointError(f"Tensor: invalid storage offset {offset}")
    if any(n < 0 for n in size):
        raise CheckpointError("numel: integer multiplication overflow")
    if 0 in size:
        return np.empty(size, dtype=storage.dtype)
    last = offset + sum((n - 1) * s for n, s in zip(size, stride))
    if any(s < 0 for s in stride) or (last + 1) * storage.itemsize >= 2 ** 63 or len(size) > 64:
        raise CheckpointError(f"Storage size calculation overflowed with sizes={short_repr(list(size))} and "
                              f"strides={short_repr(list(stride))}")
    if last >= storage.size:   # torch's storages of a zip checkpoint cannot grow
        raise StorageTooSmall(last + 1)
    item = storage.itemsize
    return as_strided(storage[offset:], shape=size, strides=tuple(s * item for s in stride))


# ----------------------------------------------------------------------------------------- writing

def write_checkpoint(obj, file, tensor_info=None):
    """Write ``obj`` (nested dicts/lists/tuples of tensors, numbers, strings) as a torch checkpoint.

    ``tensor_info(x)`` returns ``(ndarray, requires_grad, is_parameter)`` for an object to save as a
    tensor, or None; by default NumPy arrays are saved as tensors. ``torch.load(file,
    weights_only=True)`` reads the result back equal.
    """
    pickler = CheckpointPickler(tensor_info)
    pickled = pickler.dumps(obj)
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED) as archive:
        _write_record(archive, "data.pkl", pickled)
        _write_record(archive, ".format_version", b"1")
        _write_record(archive, ".storage_alignment", str(STORAGE_ALIGNMENT).encode())
        _write_record(archive, "byteorder", b"little")
        for key, storage in pickler.storages:
            _write_record(archive, f"data/{key}", storage, align=True)
        _write_record(archive, "version", FILE_FORMAT_VERSION.encode())


def _write_record(archive, name, payload, align=False):
    info = zipfile.ZipInfo(f"archive/{name}", date_time=_FIXED_DATE)
    info.compress_type = zipfile.ZIP_STORED
    if isinstance(payload, np.ndarray):
        payload = memoryview(np.ascontiguousarray(payload)).cast("B")
    info.file_size = len(payload)
    if align:
        info.extra = _alignment_padding(archive, info)
    with archive.open(info, "w") as record:
        record.write(payload)


def _alignment_padding(archive, info):
    # The data of a record starts after a 30-byte local header, the name and the extra field; pad the
    # extra field so the data lands on a multiple of 64 bytes (torch can then mmap storages).
    zip64 = info.file_size * 1.05 > zipfile.ZIP64_LIMIT
    start = archive.fp.tell() + 30 + len(info.filename.encode("utf-8")) + (20 if zip64 else 0)
    padding = -start % STORAGE_ALIGNMENT
    if padding < 4:                       # an extra field needs 4 bytes of header
        padding += STORAGE_ALIGNMENT
    return struct.pack("<HH", _ALIGN_EXTRA_ID, padding - 4) + b"Z" * (padding - 4)

