"""Write ``data.pkl`` of a torch checkpoint without importing torch.

The standard ``pickle.Pickler`` cannot name ``torch._utils._rebuild_tensor_v2`` unless torch is
importable, so this module emits the protocol-2 opcodes itself, exactly as torch's pickler lays them out
for a state dict: tensors as ``_rebuild_tensor_v2(storage, offset, size, stride, requires_grad,
OrderedDict())`` with the storage as a persistent id, parameters wrapped in ``_rebuild_parameter``.
Plain data (None, bool, int, float, str, bytes, tuple, list, set, dict, OrderedDict, tensors, dtypes) gives a
checkpoint ``torch.load(..., weights_only=True)`` reads; an object of a class (a whole model) is written
by class and attributes, as pickle writes it (see npconv.serialization for loading it back).
"""
import collections
import struct
import sys

import numpy as np

from .. import _dtype

__all__ = ["CheckpointPickler"]

_BATCH = 1000  # items per SETITEMS/APPENDS, as pickle does

# NumPy dtype -> the storage class torch pickles for it (torch's scalar name + "Storage"); complex arrays
# are written too, though npconv has no complex dtype.
_STORAGE_NAMES = {d.numpy_dtype: d.scalar_name + "Storage" for d in _dtype.ALL}
_STORAGE_NAMES.update({np.dtype(np.complex64): "ComplexFloatStorage",
                       np.dtype(np.complex128): "ComplexDoubleStorage"})


def _ndarray_info(obj):
    return (obj, False, False) if isinstance(obj, np.ndarray) else None


def contiguous_strides(shape):
    """torch's strides for a contiguous tensor of ``shape`` (a size-0 or size-1 dim counts as 1)."""
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= max(n, 1)
    return tuple(reversed(strides))


class CheckpointPickler:
    """Pickle one object; afterwards ``storages`` lists ``(key, 1-d little-endian array)`` to write."""

    def __init__(self, tensor_info=None):
        self.tensor_info = tensor_info or _ndarray_info
        self.out = bytearray()
        self.memo = {}              # id(obj) -> memo slot: shared objects stay shared, cycles end
        self.alive = []             # keeps memoised objects alive so their ids stay unique
        self.storages = []
        self.storage_keys = {}      # id(base array) -> key

    def dumps(self, obj):
        self.out += b"\x80\x02"     # PROTO 2, torch's default protocol
        self.save(obj)
        self.out += b"."            # STOP
        return bytes(self.out)

    # -- scalars --------------------------------------------------------------------------------

    def save(self, obj):
        if obj is None:
            self.out += b"N"
        elif obj is True or obj is False:
            self.out += b"\x88" if obj else b"\x89"
        elif type(obj) is int:
            self.save_int(obj)
        elif type(obj) is float:
            self.out += b"G" + struct.pack(">d", obj)
        elif type(obj) is str:
            self.save_str(obj)
        elif type(obj) is bytes:
            self.save_bytes(obj)
        elif isinstance(obj, np.generic) and not isinstance(obj, np.void):
            self.save(obj.item())   # NumPy scalars become Python numbers (torch refuses numpy globals)
        elif id(obj) in self.memo:
            self.get_memo(obj)
        else:
            self.save_reference(obj)

    def save_int(self, value):
        if 0 <= value < 256:
            self.out += b"K" + bytes([value])
        elif 0 <= value < 65536:
            self.out += b"M" + struct.pack("<H", value)
        elif -2 ** 31 <= value < 2 ** 31:
            self.out += b"J" + struct.pack("<i", value)
        else:
            encoded = value.to_bytes((value.bit_length() + 8) // 8, "little", signed=True)
            if len(encoded) < 256:
                self.out += b"\x8a" + bytes([len(encoded)]) + encoded
            else:
                self.out += b"\x8b" + struct.pack("<i", len(encoded)) + encoded

    def save_str(self, text):
        encoded = text.encode("utf-8", "surrogatepass")
        self.out += b"X" + struct.pack("<I", len(encoded)) + encoded

    def save_bytes(self, data):
        # protocol 2 has no bytes opcode: pickle writes _codecs.encode(text, 'latin1')
        self.save_global("_codecs", "encode")
        self.save_str(data.decode("latin1"))
        self.save_str("latin1")
        self.out += b"\x86R"        # TUPLE2 REDUCE

    def save_global(self, module, name):
        self.out += f"c{module}\n{name}\n".encode("ascii")

    # -- memo -----------------------------------------------------------------------------------

    def put_memo(self, obj):
        slot = len(self.memo)
        self.memo[id(obj)] = slot
        self.alive.append(obj)
        self.out += b"q" + bytes([slot]) if slot < 256 else b"r" + struct.pack("<I", slot)

    def get_memo(self, obj):
        slot = self.memo[id(obj)]
        self.out += b"h" + bytes([slot]) if slot < 256 else b"j" + struct.pack("<I", slot)

    # -- containers and tensors -----------------------------------------------------------------

    def save_reference(self, obj):
        info = self.tensor_info(obj)
        if info is not None:
            self.save_tensor_or_parameter(obj, *info)
        elif isinstance(obj, collections.OrderedDict):
            self.save_ordered_dict(obj)
        elif isinstance(obj, dict):       # other dict subclasses (defaultdict...) as plain dicts
            self.out += b"}"
            self.put_memo(obj)
            self.save_items(obj.items())
        elif isinstance(obj, list):
            self.out += b"]"
            self.put_memo(obj)
            self.save_list_items(obj)
        elif isinstance(obj, tuple):
            self.save_tuple(obj)
        elif _is_npconv_dtype(obj):
            self.save_global("torch", obj.name)
        elif isinstance(obj, (set, frozenset)):
            self.save_set(obj)
        elif _plain_instance(obj):
            self.save_instance(obj)
        else:
            raise TypeError(f"npconv.save cannot write an object of type {type(obj).__name__}: a "
                            "checkpoint holds tensors, numbers, strings, bytes, None and "
                            "dicts/lists/tuples of them")

    def save_set(self, obj):
        """``set([items])`` as pickle writes it in protocol 2 (the global named the Python 2 way)."""
        self.save_global("__builtin__", type(obj).__name__)
        self.out += b"]"
        self.save_list_items(sorted(obj, key=repr))
        self.out += b"\x85R"        # TUPLE1 REDUCE
        self.put_memo(obj)

    def save_instance(self, obj):
        """An object of a class (a model, a layer) as pickle's protocol 2 writes it: the class, NEWOBJ
        without arguments, then BUILD with its attributes."""
        cls = type(obj)
        self.save_global(cls.__module__, cls.__qualname__)
        self.out += b")\x81"        # EMPTY_TUPLE NEWOBJ
        self.put_memo(obj)
        state = obj.__getstate__()
        if state is not None:       # None: no attributes, nothing to BUILD
            self.save(state)
            self.out += b"b"        # BUILD

    def save_ordered_dict(self, obj):
        self.save_global("collections", "OrderedDict")
        self.out += b")R"           # EMPTY_TUPLE REDUCE: OrderedDict()
        self.put_memo(obj)
        self.save_items(obj.items())
        state = getattr(obj, "__dict__", None)
        if state:                   # e.g. the _metadata torch's state_dict() carries
            self.save(dict(state))
            self.out += b"b"        # BUILD

    def save_items(self, items):
        items = list(items)
        for start in range(0, len(items), _BATCH):
            self.out += b"("        # MARK
            for key, value in items[start:start + _BATCH]:
                self.save(key)
                self.save(value)
            self.out += b"u"        # SETITEMS

    def save_list_items(self, values):
        for start in range(0, len(values), _BATCH):
            self.out += b"("
            for value in values[start:start + _BATCH]:
                self.save(value)
            self.out += b"e"        # APPENDS

    def save_tuple(self, values):
        if type(values).__name__ == "Size" and type(values).__module__.startswith("npconv"):
            self.save_global("torch", "Size")
            self.save_tuple(tuple(values))
            self.out += b"\x85R"    # TUPLE1 REDUCE: torch.Size((...))
            return
        if len(values) <= 3:
            for value in values:
                self.save(value)
            self.out += [b")", b"\x85", b"\x86", b"\x87"][len(values)]
        else:
            self.out += b"("
            for value in values:
                self.save(value)
            self.out += b"t"

    def save_tensor_or_parameter(self, obj, array, requires_grad, is_parameter):
        if is_parameter:  # torch: Parameter.__reduce_ex__ -> _rebuild_parameter(data, requires_grad, {})
            self.save_global("torch._utils", "_rebuild_parameter")
            self.save_tensor(array, False)
            self.save(bool(requires_grad))
            self.save_empty_ordered_dict()
            self.out += b"\x87R"    # TUPLE3 REDUCE
        else:
            self.save_tensor(array, requires_grad)
        self.put_memo(obj)

    def save_tensor(self, array, requires_grad):
        storage_key, numel, storage_name, offset, strides = self.storage_of(array)
        self.save_global("torch._utils", "_rebuild_tensor_v2")
        self.out += b"(("           # MARK (args), MARK (persistent id)
        self.save_str("storage")
        self.save_global("torch", storage_name)
        self.save_str(storage_key)
        self.save_str("cpu")
        self.save_int(numel)
        self.out += b"tQ"           # TUPLE BINPERSID
        self.save_int(offset)
        self.save_tuple(tuple(int(n) for n in array.shape))
        self.save_tuple(strides)
        self.save(bool(requires_grad))
        self.save_empty_ordered_dict()   # backward hooks, always empty
        self.out += b"tR"           # TUPLE REDUCE

    def save_empty_ordered_dict(self):
        self.save_global("collections", "OrderedDict")
        self.out += b")R"

    def storage_of(self, array):
        """Key, numel, storage class, offset and strides (in elements) of ``array`` in a storage.

        A view of a C-contiguous little-endian base array keeps its offset and strides into that base
        (shared once, as torch shares a storage); anything else is written as a contiguous copy.
        """
        storage_name = _STORAGE_NAMES.get(array.dtype.newbyteorder("="))
        if storage_name is None:
            raise TypeError(f"npconv.save cannot write arrays of dtype {array.dtype}: torch checkpoints "
                            f"hold {', '.join(str(d) for d in _STORAGE_NAMES)}")
        placement = _view_of_base(array)
        if placement is None:
            base = np.array(array, dtype=array.dtype.newbyteorder("<"), order="C")
            offset, strides = 0, contiguous_strides(array.shape)
        else:
            base, offset, strides = placement
        key = self.storage_keys.get(id(base))
        if key is None:
            key = str(len(self.storages))
            self.storage_keys[id(base)] = key
            self.storages.append((key, base.reshape(-1)))
            self.alive.append(base)
        return key, base.size, storage_name, offset, strides


def _view_of_base(array):
    """(base, offset, strides) in elements when ``array`` is a view inside a contiguous base."""
    dtype = array.dtype
    little = dtype.byteorder in "<|" or (dtype.byteorder == "=" and sys.byteorder == "little")
    if not little or array.size == 0:
        return None
    base = array
    while isinstance(base.base, np.ndarray):
        base = base.base
    if base.dtype != dtype or not base.flags.c_contiguous:
        return None
    item = dtype.itemsize
    delta = array.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    if delta < 0 or delta % item or any(s < 0 or s % item for s in array.strides):
        return None
    offset, strides = delta // item, tuple(s // item for s in array.strides)
    if offset + sum((n - 1) * s for n, s in zip(array.shape, strides)) >= base.size:
        return None
    return base, offset, strides


def _plain_instance(obj):
    """An object pickle would write by class and attributes: a named class with the default reduction
    (layers and models; not functions, lambdas or classes of C extensions)."""
    cls = type(obj)
    return cls.__module__ != "builtins" and cls.__reduce_ex__ is object.__reduce_ex__ \
        and cls.__reduce__ is object.__reduce__ \
        and "<locals>" not in cls.__qualname__ and hasattr(obj, "__dict__") and not isinstance(obj, type)


def _is_npconv_dtype(obj):
    cls = type(obj)   # npconv.float32 etc., or the stand-in a loaded checkpoint holds for torch.float32
    return (cls.__name__, cls.__module__) in (("dtype", "npconv._dtype"), ("DtypeMarker", "npconv.io._unpickler"))
