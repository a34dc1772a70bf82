"""A restricted unpickler for PyTorch checkpoints: it resolves only the few globals a state dict needs.

``pickle`` runs whatever callable a file names, so a checkpoint from the internet could run
``os.system``. This unpickler is its own loop over the opcodes torch's weights-only unpickler knows (so a
damaged pickle fails as torch's does); its ``find_class`` is the single door through which a pickle
reaches Python objects, and hands out stand-ins instead of torch's objects: frozen callables that rebuild
NumPy arrays, storage-type markers, and a handful of harmless builtins. Anything else is refused with
``pickle.UnpicklingError`` naming the global, before it is ever imported; REDUCE calls only what
``find_class`` handed out.

The stand-ins are instances of classes without ``__dict__`` that refuse ``setattr``, so a pickle's BUILD
opcode cannot rewrite them (or any module state) either.
"""
import _compat_pickle
import collections
import pickle
import re
import reprlib
import struct

import numpy as np

from .. import _dtype

__all__ = ["RestrictedUnpickler", "StorageType", "ALLOWED_GLOBALS", "short_repr", "refusal", "ascii_text",
           "weights_only_message"]


class _BoundedRepr(reprlib.Repr):
    """reprlib's depth and length limits, extended to the containers a pickle can build."""

    def repr_OrderedDict(self, value, level):
        return self.repr_dict(value, level)

    def repr_bytearray(self, value, level):
        return self.repr_bytes(bytes(value[:self.maxstring]), level)


_BOUNDED_REPR = _BoundedRepr()
_BOUNDED_REPR.maxlevel = 3


def short_repr(value):
    """A repr of something read from a file, for an error message, in bounded time.

    A 400-byte pickle can hold a list of two references to a list of two references ... 40 levels deep:
    its full repr has 2**40 parts, so ``f"{value!r:.80}"`` (which builds the whole repr, then cuts it)
    never returns. This one looks at a few levels and a few items only.
    """
    return _BOUNDED_REPR.repr(value)

# Bytes are pickled (protocol 2) as _codecs.encode(text, 'latin1'); only plain text codecs are allowed,
# so a file cannot reach the zlib/bz2 codecs and decompress a bomb.
_SAFE_CODECS = {"latin1", "latin-1", "iso-8859-1", "ascii", "utf-8", "utf8"}


class _Frozen:
    """Base of every stand-in: no instance dict, no attribute writes."""

    __slots__ = ()

    def __setattr__(self, name, value):
        raise pickle.UnpicklingError(f"checkpoint tried to set attribute {name!r} on {self!r}")

    __delattr__ = __setattr__


class StorageType(_Frozen):
    """Stand-in for ``torch.FloatStorage`` and friends: the NumPy dtype the raw bytes hold."""

    __slots__ = ("name", "dtype")

    def __init__(self, name, dtype):
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "dtype", dtype)

    def __repr__(self):
        return f"torch.{self.name}"


class DtypeMarker(_Frozen):
    """Stand-in for a pickled ``torch.float32`` etc. (used by ``_rebuild_tensor_v3``)."""

    __slots__ = ("name", "numpy_dtype")

    def __init__(self, name, numpy_dtype):
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "numpy_dtype", numpy_dtype)

    def __repr__(self):
        return f"torch.{self.name}"


class TypeMarker(_Frozen):
    """Stand-in for the classes torch.Tensor and torch.nn.Parameter (``_rebuild_from_type_v2``)."""

    __slots__ = ("name",)

    def __init__(self, name):
        object.__setattr__(self, "name", name)

    def __repr__(self):
        return self.name


class SafeCallable(_Frozen):
    """A frozen wrapper around one of our rebuild functions, called by the REDUCE opcode."""

    __slots__ = ("qualified_name", "function")

    def __init__(self, qualified_name, function):
        object.__setattr__(self, "qualified_name", qualified_name)
        object.__setattr__(self, "function", function)

    def __call__(self, *args):
        return self.function(*args)

    def __repr__(self):
        return self.qualified_name


# Storage names torch pickles -> dtype of the bytes in archive/data/<key>. bfloat16 is read as raw
# uint16 and widened to float32 later (NumPy has no bfloat16).
BFLOAT16 = "bfloat16"
# The dtypes npconv has (torch's scalar name + "Storage"; as ``torch.float32`` and its aliases), then the ones
# torch can store that npconv reads without having them.
_STORAGE_DTYPES = {d.scalar_name + "Storage": d.numpy_dtype for d in _dtype.ALL}
_STORAGE_DTYPES.update({"BFloat16Storage": BFLOAT16, "ComplexFloatStorage": np.dtype(np.complex64),
                        "ComplexDoubleStorage": np.dtype(np.complex128), "UntypedStorage": np.dtype(np.uint8)})
_DTYPE_NAMES = {name: d.numpy_dtype for name, d in vars(_dtype).items()
                if isinstance(d, _dtype.dtype) and not name.startswith("_")}
_DTYPE_NAMES.update({"bfloat16": BFLOAT16, "complex64": np.dtype(np.complex64), "cfloat": np.dtype(np.complex64),
                     "complex128": np.dtype(np.complex128), "cdouble": np.dtype(np.complex128)})


def _safe_encode(text, encoding="utf-8"):
    if not isinstance(text, str) or encoding not in _SAFE_CODECS:
        raise pickle.UnpicklingError("_codecs.encode is allowed only on text with a plain text codec")
    return text.encode(encoding)


def _safe_bytearray(*args):
    # bytearray(n) would allocate n bytes from a 10-byte file; only bytearray(text, codec) is allowed.
    if not args:
        return bytearray()
    if len(args) == 2 and isinstance(args[0], str) and args[1] in _SAFE_CODECS:
        return bytearray(args[0], args[1])
    if len(args) == 1 and isinstance(args[0], (bytes, bytearray, list)):
        return bytearray(args[0])
    raise pickle.UnpicklingError("bytearray is allowed only from text, bytes or a list of byte values")


def _device_text(*args):
    """A pickled ``torch.device(...)`` as its text, e.g. ``"cpu"``, checked as torch checks it (where it
    may restore to is checked with the storages' locations)."""
    from .._tensor import device
    if not args or not isinstance(args[0], str) or len(args) > 2 or (len(args) == 2 and type(args[1]) is not int):
        raise refusal(TypeError, f"device() received an invalid combination of arguments - got "
                                 f"{short_repr(args)} in checkpoint")
    try:
        return str(device(*args))
    except (RuntimeError, TypeError) as error:
        raise refusal(type(error), str(error)) from None


_REFUSAL_TYPES = {}


def refusal(torch_type, message):
    """An error of the type torch raises for the same file (TypeError, AttributeError, ...), which is also
    a ``pickle.UnpicklingError``, so that code catching either sees it and the loader passes it on."""
    return _refusal_type(torch_type)(message)


def refusal_like(error):
    """``error`` (raised by the unpickler reading bad bytes, as torch's raises it: EOFError,
    UnicodeDecodeError, KeyError...) as such a refusal: its type and arguments, also an UnpicklingError."""
    if isinstance(error, pickle.UnpicklingError):
        return error
    return _refusal_type(type(error))(*error.args)


def _refusal_type(torch_type):
    if torch_type not in _REFUSAL_TYPES:
        _REFUSAL_TYPES[torch_type] = type(torch_type.__name__, (torch_type, pickle.UnpicklingError),
                                          {"__module__": __name__})
    return _REFUSAL_TYPES[torch_type]


def _static_globals():
    rc = {
        ("collections", "OrderedDict"): collections.OrderedDict,   # immutable C type
        ("builtins", "set"): set, ("builtins", "frozenset"): frozenset,
        ("builtins", "complex"): complex,
        ("builtins", "bytearray"): SafeCallable("builtins.bytearray", _safe_bytearray),
        ("_codecs", "encode"): SafeCallable("_codecs.encode", _safe_encode),
        ("torch", "device"): SafeCallable("torch.device", _device_text),
        ("torch", "Tensor"): TypeMarker("torch.Tensor"),
        ("torch._tensor", "Tensor"): TypeMarker("torch.Tensor"),
        ("torch.nn.parameter", "Parameter"): TypeMarker("torch.nn.Parameter"),
    }
    for name, dtype in _STORAGE_DTYPES.items():
        rc[("torch", name)] = StorageType(name, dtype)
        rc[("torch.storage", name)] = rc[("torch", name)]
    for name, dtype in _DTYPE_NAMES.items():
        rc[("torch", name)] = DtypeMarker(name, dtype)
    return rc


ALLOWED_GLOBALS = sorted(f"{m}.{n}" for m, n in _static_globals()) + ["torch.Size",
    "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor_v3",
    "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state",
    "torch._tensor._rebuild_from_type_v2"]


class RestrictedUnpickler:
    """Unpickle ``data.pkl`` of a torch checkpoint (or a legacy file's header pickles).

    A loop over the opcodes torch's weights-only unpickler knows (protocol 2 and a few more), doing what
    it does in its order, so that a damaged pickle fails with torch's error: EOFError at the end of the
    bytes, IndexError for a pop from an empty stack, KeyError for a missing memo entry, struct.error for a
    short operand, UnicodeDecodeError for text that does not decode, ``pickle.UnpicklingError`` for any
    other opcode. Nothing is imported or called but what ``find_class`` hands out.

    ``rebuilders`` maps ``"torch._utils._rebuild_tensor_v2"`` etc. to functions supplied by the format
    reader (they need the storages); ``persistent_load(pid)`` answers the persistent ids torch writes for
    storages (None: a header pickle, which may have none).
    """

    def __init__(self, file, rebuilders, persistent_load=None, size_type=tuple, find_object_class=None):
        self.read, self.readline = file.read, file.readline
        self._find_object_class = find_object_class   # (module, name) -> an allowed class or None
        self._globals = _static_globals()
        self._globals[("torch", "Size")] = SafeCallable("torch.Size", lambda dims=(): size_type(dims))
        for qualified, function in rebuilders.items():
            module, _, name = qualified.rpartition(".")
            self._globals[(module, name)] = SafeCallable(qualified, function)
        self._persistent_load = persistent_load
        self._handed_out = {}        # id -> a global this pickle named: the only callables REDUCE may call
        self._opcodes = {getattr(pickle, name)[0]: getattr(self, "_" + name.lower()) for name in _OPCODES}

    def load(self):
        self.memo, self.metastack, self.stack = {}, [], []
        while True:
            key = self.read(1)
            if not key:
                raise EOFError
            if key[0] == pickle.STOP[0]:
                return self.stack.pop()
            opcode = self._opcodes.get(key[0])
            if opcode is None:
                raise pickle.UnpicklingError(f"Unsupported operand {key[0]}")
            opcode()

    def _pop_mark(self):
        items, self.stack = self.stack, self.metastack.pop()
        return items

    def _unpack(self, form):
        return struct.unpack(form, self.read(struct.calcsize(form)))[0]

    # -- globals and the objects they make ------------------------------------------------------

    def _global(self):
        module = self.readline()[:-1].decode("utf-8")
        name = self.readline()[:-1].decode("utf-8")
        found = self.find_class(module, name)
        self._handed_out[id(found)] = found
        self.stack.append(found)

    def _reduce(self):
        args = self.stack.pop()
        function = self.stack[-1]
        if self._handed_out.get(id(function)) is not function:
            raise pickle.UnpicklingError(f"Trying to call reduce for unrecognized function {short_repr(function)}")
        self.stack[-1] = function(*args)

    def _newobj(self):
        args = self.stack.pop()
        cls = self.stack.pop()
        if not isinstance(cls, type) or self._handed_out.get(id(cls)) is not cls:
            raise pickle.UnpicklingError("Can only create new object for nn.Parameter or classes allowlisted "
                                         f"via `add_safe_globals` but got {short_repr(cls)}")
        self.stack.append(cls.__new__(cls, *args))

    def _build(self):
        state = self.stack.pop()
        inst = self.stack[-1]
        if type(inst) is collections.OrderedDict:        # a state dict's _metadata
            inst.__dict__.update(state)
        elif self._handed_out.get(id(type(inst))) is type(inst):
            _set_state(inst, state)
        else:
            raise pickle.UnpicklingError("Can only build Tensor, Parameter, OrderedDict or types allowlisted "
                                         f"via `add_safe_globals`, but got {type(inst)}")

    def _binpersid(self):
        pid = self.stack.pop()
        if type(pid) is not tuple and type(pid) is not int:
            raise pickle.UnpicklingError(f"persistent_load id must be tuple or int, but got {type(pid)}")
        if type(pid) is tuple and len(pid) > 0 and ascii_text(pid[0]) != "storage":
            raise pickle.UnpicklingError(f"Only persistent_load of storage is allowed, but got {type(pid[0])}")
        if self._persistent_load is None:
            raise pickle.UnpicklingError("unsupported persistent id encountered")
        self.stack.append(self._persistent_load(pid))

    # -- containers -----------------------------------------------------------------------------

    def _append(self):
        item = self.stack.pop()
        self._list_target("append to lists").append(item)

    def _appends(self):
        items = self._pop_mark()
        self._list_target("extend lists").extend(items)

    def _list_target(self, what):
        if type(self.stack[-1]) is not list:
            raise pickle.UnpicklingError(f"Can only {what}, but got {type(self.stack[-1])}")
        return self.stack[-1]

    def _setitem(self):
        value, key = self.stack.pop(), self.stack.pop()
        self._dict_target("SETITEM")[key] = value

    def _setitems(self):
        items = self._pop_mark()
        target = self._dict_target("SETITEMS")
        for i in range(0, len(items), 2):
            target[items[i]] = items[i + 1]

    def _dict_target(self, opcode):
        if type(self.stack[-1]) not in (dict, collections.OrderedDict, collections.Counter):
            raise pickle.UnpicklingError(f"Can only {opcode} for dict, collections.OrderedDict, "
                                         f"collections.Counter, but got {type(self.stack[-1])}")
        return self.stack[-1]

    def _mark(self):
        self.metastack.append(self.stack)
        self.stack = []

    def _tuple(self):
        items = self._pop_mark()
        self.stack.append(tuple(items))

    def _tuple1(self):
        self.stack[-1] = (self.stack[-1],)

    def _tuple2(self):
        self.stack[-2:] = [(self.stack[-2], self.stack[-1])]

    def _tuple3(self):
        self.stack[-3:] = [(self.stack[-3], self.stack[-2], self.stack[-1])]

    # -- plain values ---------------------------------------------------------------------------

    def _none(self):
        self.stack.append(None)

    def _newfalse(self):
        self.stack.append(False)

    def _newtrue(self):
        self.stack.append(True)

    def _empty_tuple(self):
        self.stack.append(())

    def _empty_list(self):
        self.stack.append([])

    def _empty_dict(self):
        self.stack.append({})

    def _empty_set(self):
        self.stack.append(set())

    def _binint(self):
        self.stack.append(self._unpack("<i"))

    def _binint1(self):
        self.stack.append(self.read(1)[0])

    def _binint2(self):
        self.stack.append(self._unpack("<H"))

    def _long1(self):
        self.stack.append(pickle.decode_long(self.read(self.read(1)[0])))

    def _binfloat(self):
        self.stack.append(self._unpack(">d"))

    def _binunicode(self):
        length = self._unpack("<I")   # read() returns what is there: a lying length costs no memory
        self.stack.append(str(self.read(length), "utf-8", "surrogatepass"))

    def _short_binstring(self):
        self.stack.append(self.read(self.read(1)[0]).decode("utf-8", "strict"))

    def _binget(self):
        self.stack.append(self.memo[self.read(1)[0]])

    def _long_binget(self):
        self.stack.append(self.memo[self._unpack("<I")])

    def _binput(self):
        self.memo[self.read(1)[0]] = self.stack[-1]

    def _long_binput(self):
        self.memo[self._unpack("<I")] = self.stack[-1]

    def _proto(self):
        self.read(1)[0]   # any protocol: an opcode beyond the ones above is refused when it comes

    # -- the door to Python objects -------------------------------------------------------------

    def find_class(self, module, name):
        # Protocol-2 pickles name Python 2 modules (__builtin__.set); map them as pickle itself would.
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        elif module in _compat_pickle.IMPORT_MAPPING:
            module = _compat_pickle.IMPORT_MAPPING[module]
        if module in _BLOCKED_MODULES:   # refused first, whatever the user allowed (torch's order)
            raise pickle.UnpicklingError(f"Trying to load unsupported GLOBAL {module}.{name} whose module "
                                         f"{module} is blocked.")
        found = self._globals.get((module, name))
        if found is None and self._find_object_class is not None:
            found = self._find_object_class(module, name)
        if found is None:
            path = name if module == "builtins" else f"{module}.{name}"   # torch names builtins bare
            raise pickle.UnpicklingError(
                f"Unsupported global: GLOBAL {path} was not an allowed global by default. Please use "
                f"`torch.serialization.add_safe_globals([{path}])` or the `torch.serialization.safe_globals("
                f"[{path}])` context manager to allowlist this global if you trust this class/function.")
        return found


_BLOCKED_MODULES = ("sys", "os", "posix", "nt")
_UNSAFE = ("In PyTorch 2.6, we changed the default value of the `weights_only` argument in `torch.load` from "
           "`False` to `True`. Re-running `torch.load` with `weights_only` set to `False` will likely succeed, "
           "but it can result in arbitrary code execution. Do it only if you got the file from a trusted source.")
_DOCS = ("\n\nCheck the documentation of torch.load to learn more about types accepted by default with "
         "weights_only https://pytorch.org/docs/stable/generated/torch.load.html.")


def weights_only_message(message):
    """torch.load's text for an UnpicklingError of its weights-only unpickler: ``message`` within advice."""
    if re.search(r"GLOBAL (\S+) was not an allowed global by default.", message):
        return ("Weights only load failed. This file can still be loaded, to do so you have two options, "
                "\033[1mdo those steps only if you trust the source of the checkpoint\033[0m. "
                f"\n\t(1) {_UNSAFE}\n\t(2) Alternatively, to load with `weights_only=True` please check the "
                "recommended steps in the following error message.\n\tWeightsUnpickler error: " + message + _DOCS)
    if re.search(r"(\S+) must be (\S+) to load", message):
        return f"Weights only load failed. {message}\n {_UNSAFE}\n"
    text = f"Weights only load failed. {_UNSAFE}\n"
    if not re.search(r"whose module (\S+) is blocked", message):
        text += ("Please file an issue with the following so that we can make `weights_only=True` compatible "
                 "with your use case: WeightsUnpickler error: ")
    return text + "\n\n" + message + _DOCS


_OPCODES = ("GLOBAL", "REDUCE", "NEWOBJ", "BUILD", "BINPERSID", "APPEND", "APPENDS", "SETITEM", "SETITEMS", "MARK",
            "TUPLE", "TUPLE1", "TUPLE2", "TUPLE3", "NONE", "NEWFALSE", "NEWTRUE", "EMPTY_TUPLE", "EMPTY_LIST",
            "EMPTY_DICT", "EMPTY_SET", "BININT", "BININT1", "BININT2", "LONG1", "BINFLOAT", "BINUNICODE",
            "SHORT_BINSTRING", "BINGET", "LONG_BINGET", "BINPUT", "LONG_BINPUT", "PROTO")


def _set_state(inst, state):
    """BUILD on an allowed class, as pickle does it: ``__setstate__``, else the instance dict (and slots)."""
    if hasattr(inst, "__setstate__"):
        inst.__setstate__(state)
        return
    slotstate = None
    if isinstance(state, tuple) and len(state) == 2:
        state, slotstate = state
    if state:
        inst.__dict__.update(state)
    if slotstate:
        for name, value in slotstate.items():
            setattr(inst, name, value)


def ascii_text(value):
    """A pid's internal name (typename, location) as torch reads it: bytes are ASCII."""
    return value.decode("ascii") if isinstance(value, bytes) else value
