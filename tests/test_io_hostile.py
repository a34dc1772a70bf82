"""npconv.load on hostile and damaged checkpoints: torch's refusals, bounded time and memory.

Files are built here byte by byte (a tiny pickle assembler) so that every slot a checkpoint's pickle fills
(persistent id, storage type, location, size, offset, metadata, device) can hold an attack: a 400-byte
list of shared references whose full repr has 2**40 parts, a wrong type, an unknown device.
"""
import io
import pickle
import signal
import struct
import tracemalloc
import zipfile
from contextlib import contextmanager

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import npconv
from npconv.io.torch_format import CheckpointError

# ------------------------------------------------------------------------------ building pickles


def glob(module, name):
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def plain(value):
    """The opcodes of a plain value, without the protocol header and STOP (memo indices are local)."""
    return pickle.dumps(value, protocol=2)[2:-1]


def tup(*items):
    return b"(" + b"".join(items) + b"t"


def shared_lists(depth=40):
    """[a, a] where a = [b, b] ... : 2**depth leaves through shared references, a few hundred bytes."""
    nested = []
    for _ in range(depth):
        nested = [nested, nested]
    return plain(nested)


def storage_pid(kind=None, key=None, location=None, numel=None):
    return tup(plain("storage"), kind or glob("torch", "FloatStorage"), key or plain("0"),
               location or plain("cpu"), numel or plain(6)) + b"Q"


def rebuild_tensor(storage=None, offset=None, size=None, stride=None, metadata=None):
    args = [storage or storage_pid(), offset or plain(0), size or plain((2, 3)), stride or plain((3, 1)),
            plain(False), glob("collections", "OrderedDict") + b")R"]
    if metadata is not None:
        args.append(metadata)
    return glob("torch._utils", "_rebuild_tensor_v2") + tup(*args) + b"R"


def pickled(body):
    return b"\x80\x02" + body + b"."


def torch_checkpoint(obj, **kwargs):
    buffer = io.BytesIO()
    torch.save(obj, buffer, **kwargs)
    return buffer.getvalue()


BASE = torch_checkpoint({"w": torch.arange(6.0).reshape(2, 3)})


def with_records(base=BASE, replace=None, drop=(), extra=()):
    """``base`` re-zipped with some records replaced ({suffix: bytes}), dropped or added."""
    source = zipfile.ZipFile(io.BytesIO(base))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for name in source.namelist():
            if any(name.endswith(suffix) for suffix in drop):
                continue
            data = next((v for k, v in (replace or {}).items() if name.endswith(k)), source.read(name))
            archive.writestr(name, data)
        for name, data in extra:
            archive.writestr(name, data)
    return out.getvalue()


def with_pickle(body):
    return with_records(replace={"/data.pkl": pickled(body)})


# ------------------------------------------------------------------------------ comparing with torch

class TimeLimit(Exception):
    pass


@contextmanager
def time_limit(seconds):
    """Fail instead of hanging the suite (not a speed test: torch answers these in milliseconds)."""
    def expire(signum, frame):
        raise TimeLimit(f"npconv.load took more than {seconds} s")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def outcome(library, data, **kwargs):
    try:
        with time_limit(20):
            return "ok", library.load(io.BytesIO(data), **kwargs)
    except TimeLimit:
        raise
    except Exception as error:  # noqa: BLE001 - the type and text are what we compare
        return "error", error


def builtin_type(error):
    return next(c for c in type(error).__mro__ if c.__module__ == "builtins")


def assert_refused_like_torch(data, same_text=True, **kwargs):
    (torch_kind, torch_error), (kind, error) = outcome(torch, data, **kwargs), outcome(npconv, data, **kwargs)
    assert torch_kind == "error", "torch loaded this file"
    assert kind == "error", f"npconv loaded what torch refused with {torch_error!r}"
    if not isinstance(torch_error, pickle.UnpicklingError):   # torch's own class, named the same as ours
        assert builtin_type(error) is builtin_type(torch_error), (error, torch_error)
    if same_text:
        assert str(error) == str(torch_error)
    return error


# ------------------------------------------------------------------------------ worked cases

DEEP = shared_lists()
DEEP_SLOTS = {
    "persistent id": DEEP + b"Q",
    "storage type": rebuild_tensor(storage=storage_pid(kind=DEEP)),
    "location": rebuild_tensor(storage=storage_pid(location=DEEP)),
    "numel": rebuild_tensor(storage=storage_pid(numel=DEEP)),
    "size": rebuild_tensor(size=DEEP),
    "offset": rebuild_tensor(offset=DEEP),
    "stride": rebuild_tensor(stride=DEEP),
    "metadata": rebuild_tensor(metadata=DEEP),
    "device argument": glob("torch", "device") + tup(DEEP) + b"R",
}


@pytest.mark.parametrize("slot", sorted(DEEP_SLOTS))
def test_shared_reference_bomb_is_refused_at_once(slot):
    data = with_pickle(DEEP_SLOTS[slot])
    assert len(data) < 4000
    error = assert_refused_like_torch(data, same_text=False)
    assert len(str(error)) < 1000   # (torch's advice around an unpickler's message is some 600 characters)


def test_valid_hand_built_pickle_loads_like_torch():
    data = with_pickle(rebuild_tensor())
    assert torch.equal(torch.load(io.BytesIO(data)), torch.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(npconv.load(io.BytesIO(data)).numpy(), np.arange(6.0).reshape(2, 3))


@pytest.mark.parametrize("version", [b"0", b"-1", b"11", b"99", b"abc", b"", b"0x3", b"99999999999999999999"])
def test_unreadable_version_record_refused_as_torch(version):
    assert_refused_like_torch(with_records(replace={"/version": version}))


@pytest.mark.parametrize("version", [b"1", b"3", b"3\n", b" 3", b"+3", b"3.5", b"10"])
def test_readable_version_records_load(version):
    loaded = npconv.load(io.BytesIO(with_records(replace={"/version": version})))
    np.testing.assert_array_equal(loaded["w"].numpy(), np.arange(6.0).reshape(2, 3))


def test_missing_version_record_refused_as_torch():
    assert_refused_like_torch(with_records(drop=("/version",)))


@pytest.mark.parametrize("stray", ["other/data.pkl", "zzz"])
def test_records_outside_the_archive_folder_refused_as_torch(stray):
    assert_refused_like_torch(with_records(extra=[(stray, b"x")]))


@pytest.mark.parametrize("location", ["bogus", "cuda", "cuda:0", "mps", "xpu:0", "hpu", "cpu:1", "meta:0", "CPU",
                                      "privateuseone", "xla:0"])
def test_storage_location_tags_restored_or_refused_as_torch(location):
    assert_refused_like_torch(with_pickle(rebuild_tensor(storage=storage_pid(location=plain(location)))))


@pytest.mark.parametrize("map_location", ["bogus", "cuda", "cuda:0", "cpu:0", {"cpu": "cuda"}, {"cpu": "bogus"}])
def test_map_location_refused_as_torch(map_location):
    assert_refused_like_torch(BASE, map_location=map_location)


@pytest.mark.parametrize("map_location", ["cpu", "meta", {"cuda": "cpu"}, torch.device("cpu"),
                                          lambda storage, location: None])
def test_map_location_accepted_as_torch(map_location):
    if isinstance(map_location, torch.device):
        map_location = npconv.device(str(map_location))
    assert outcome(npconv, BASE, map_location=map_location)[0] == "ok"


def test_cuda_tagged_storage_loads_with_map_location_cpu():
    data = with_pickle(rebuild_tensor(storage=storage_pid(location=plain("cuda:0"))))
    np.testing.assert_array_equal(npconv.load(io.BytesIO(data), map_location="cpu").numpy(),
                                  torch.load(io.BytesIO(data), map_location="cpu").numpy())


@pytest.mark.parametrize("device", ["bogus", "cpu:x", "", "CUDA"])
def test_pickled_device_string_refused_as_torch(device):
    assert_refused_like_torch(with_pickle(glob("torch", "device") + tup(plain(device)) + b"R"))


def test_pickled_device_loads():
    data = with_pickle(glob("torch", "device") + tup(plain("cpu")) + b"R")
    assert str(npconv.load(io.BytesIO(data))) == str(torch.load(io.BytesIO(data))) == "cpu"


def deflate_bomb(inflated, declared=None):
    """BASE with its data.pkl record replaced by a deflated stream of ``inflated`` bytes (the real pickle,
    then zeros) whose directory entries declare only ``declared`` bytes (default: the pickle's own size,
    with its CRC), as a writer lying about the record would."""
    source = zipfile.ZipFile(io.BytesIO(BASE))
    pickle_name = next(n for n in source.namelist() if n.endswith("/data.pkl"))
    payload = source.read(pickle_name)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in source.namelist():
            content = payload + bytes(inflated - len(payload)) if name == pickle_name else source.read(name)
            archive.writestr(name, content, zipfile.ZIP_DEFLATED if name == pickle_name else zipfile.ZIP_STORED)
    data = bytearray(out.getvalue())
    for header, crc_at, name_at in ((b"PK\x03\x04", 14, 26), (b"PK\x01\x02", 16, 28)):
        start = data.find(header)
        while start >= 0:
            length = struct.unpack_from("<H", data, start + name_at)[0]
            name_start = start + name_at + (4 if header == b"PK\x03\x04" else 18)
            if bytes(data[name_start:name_start + length]).decode() == pickle_name:
                struct.pack_into("<I", data, start + crc_at, zipfile.crc32(payload))
                struct.pack_into("<I", data, start + crc_at + 8, declared or len(payload))
            start = data.find(header, start + 4)
    return bytes(data)


def test_deflated_record_is_read_only_to_its_declared_size():
    data = deflate_bomb(inflated=300 * 2 ** 20)
    assert len(data) < 2 ** 20
    tracemalloc.start()
    try:
        loaded = npconv.load(io.BytesIO(data))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    np.testing.assert_array_equal(loaded["w"].numpy(), np.arange(6.0).reshape(2, 3))
    assert peak < 32 * 2 ** 20, f"loading a {len(data)}-byte file peaked at {peak} bytes"


def test_deflated_record_claiming_more_than_deflate_can_hold_is_refused():
    data = deflate_bomb(inflated=4096, declared=2 ** 31)
    with pytest.raises(RuntimeError, match="claims"):
        npconv.load(io.BytesIO(data))


def test_legacy_file_with_huge_element_count_refused_before_allocating():
    data = bytearray(torch_checkpoint({"w": torch.arange(6.0)}, _use_new_zipfile_serialization=False))
    count = data.rindex(struct.pack("<q", 6))
    struct.pack_into("<q", data, count, 2 ** 60)
    assert_refused_like_torch(bytes(data), same_text=False)


def test_zip_version_needed_flip_loads_as_torch():
    # torch's reader (miniz) ignores the field; zipfile would refuse it (NotImplementedError)
    data = bytearray(BASE)
    central = data.index(b"PK\x01\x02")
    data[central + 6] = 0xFF
    (torch_kind, theirs), (kind, mine) = outcome(torch, bytes(data)), outcome(npconv, bytes(data))
    assert torch_kind == kind == "ok"
    np.testing.assert_array_equal(mine["w"].numpy(), theirs["w"].numpy())


# ------------------------------------------------------------------------------ damaged pickles: torch's errors

# data.pkl bodies that torch's weights-only unpickler refuses, each with the error its opcode loop raises
DAMAGED_PICKLES = {
    "ends before STOP (EOFError)": b"\x80\x02}q\x00",
    "ends inside an operand (IndexError)": b"\x80\x02K",
    "short 4-byte operand (struct.error)": b"\x80\x02J\x01\x00",
    "APPEND on an empty stack (IndexError)": b"\x80\x02a.",
    "persistent id from an empty stack (IndexError)": b"\x80\x02Q.",
    "TUPLE2 of one item (IndexError)": b"\x80\x02K\x01\x86.",
    "memo entry never stored (KeyError)": b"\x80\x02h\x06.",
    "text that does not decode (UnicodeDecodeError)": b"\x80\x02X\x02\x00\x00\x00\xff\xfe.",
    "APPENDS without MARK (IndexError)": b"\x80\x02]e.",
    "persistent id that is no tuple (AssertionError)": b"\x80\x02K\x05Q.",
    "storage id of 3 fields (ValueError)": pickled(tup(plain("storage"), glob("torch", "FloatStorage"),
                                                      plain("0")) + b"Q")[2:],
    "storage id whose type is no storage (AttributeError)": pickled(storage_pid(kind=plain("x")))[2:],
    "storage id naming no record (RuntimeError)": pickled(rebuild_tensor(storage_pid(key=plain("9"))))[2:],
    "storage id with the wrong size (RuntimeError)": pickled(rebuild_tensor(storage_pid(numel=plain(5))))[2:],
}


@pytest.mark.parametrize("case", sorted(DAMAGED_PICKLES))
def test_damaged_pickle_refused_with_torchs_error(case):
    assert_refused_like_torch(with_records(replace={"/data.pkl": DAMAGED_PICKLES[case]}))


@pytest.mark.parametrize("body", [b"\x80\x02I1\n.", b"\x80\x02K\x05(K\x01tQ."],
                         ids=["opcode torch does not know", "pid not storage"])
def test_damaged_pickle_refused_with_an_unpickling_error(body):
    # torch's advice around its unpickler's message, the same
    assert type(assert_refused_like_torch(with_records(replace={"/data.pkl": body}))) is pickle.UnpicklingError


def _rebuild_v2(requires_grad=plain(False), kind=None, numel=None, **slots):
    """rebuild_tensor with its requires_grad slot filled too."""
    body = rebuild_tensor(storage=storage_pid(kind=kind, numel=numel), **slots)
    return body.replace(plain(False) + glob("collections", "OrderedDict"), requires_grad + glob("collections", "OrderedDict"))


# tensor arguments torch's Tensor.set_ and requires_grad refuse, each with its error type and text
BAD_TENSOR_ARGUMENTS = {
    "stride that is no tuple": _rebuild_v2(stride=plain(5)),
    "offset that is no int": _rebuild_v2(offset=plain(1.0)),
    "fewer strides than sizes": _rebuild_v2(stride=plain((3,))),
    "negative offset": _rebuild_v2(offset=plain(-1)),
    "negative size": _rebuild_v2(size=plain((-2, 3))),
    "negative stride": _rebuild_v2(stride=plain((-3, 1))),
    "view past the storage's end": _rebuild_v2(size=plain((2, 4))),
    "offset past the storage's end": _rebuild_v2(offset=plain(4)),
    "requires_grad that is no bool": _rebuild_v2(requires_grad=plain(1)),
    "requires_grad on integers": _rebuild_v2(requires_grad=plain(True), kind=glob("torch", "LongStorage"),
                                             numel=plain(3), size=plain((3,)), stride=plain((1,))),
    "metadata that is no dict": _rebuild_v2(metadata=plain([1])),
}


@pytest.mark.parametrize("case", sorted(BAD_TENSOR_ARGUMENTS))
def test_bad_tensor_arguments_refused_as_torchs_set(case):
    same_text = not case.endswith(("no tuple", "no int"))   # there torch lists set_'s signatures after
    assert_refused_like_torch(with_pickle(BAD_TENSOR_ARGUMENTS[case]), same_text=same_text)


def _renamed(data, old, new):
    """The archive with a record's name changed in place (local header and directory), bytes as given."""
    assert len(old) == len(new) and data.count(old) == 2
    return data.replace(old, new)


def _first_record(name):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(name, b"x")
        for record in zipfile.ZipFile(io.BytesIO(BASE)).namelist():
            archive.writestr(record, zipfile.ZipFile(io.BytesIO(BASE)).read(record))
    return out.getvalue()


# archives torch refuses on opening or in torch.load/_load before the pickle, each with its error
DAMAGED_ARCHIVES = {
    "byteorder that is no text (UnicodeDecodeError)": with_records(replace={"/byteorder": b"l\xfftle"}),
    "byteorder unknown (ValueError)": with_records(replace={"/byteorder": b"littl\x19"}),
    "storage alignment that is no number (ValueError)": with_records(replace={"/.storage_alignment": b"6x"}),
    "version that is no text (UnicodeDecodeError)": with_records(replace={"/version": b"\xce\n"}),
    "record name that is no UTF-8 (UnicodeDecodeError)": _renamed(BASE, b"archive/byteorder", b"archive/byte\xffrder"),
    "first record outside a folder (RuntimeError)": _first_record("zzz"),
    "serialization id that is no text (UnicodeDecodeError)": with_records(
        replace={"/.data/serialization_id": b"1234\xb3" * 8}),
    "no data.pkl (RuntimeError)": with_records(drop=("/data.pkl",)),
    "not a zip, empty (EOFError)": b"",
    "not a zip, no pickle (UnpicklingError)": b"garbage",
    "legacy file of another protocol version (RuntimeError)": (
        pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2) + pickle.dumps(1002, protocol=2)),
}


@pytest.mark.parametrize("case", sorted(DAMAGED_ARCHIVES))
def test_damaged_archive_refused_with_torchs_error(case):
    error = assert_refused_like_torch(DAMAGED_ARCHIVES[case])
    assert isinstance(error, (pickle.UnpicklingError, CheckpointError))


def _patched(field_at, value, fmt="<H", record="archive/byteorder", header=b"PK\x01\x02", data=BASE):
    """BASE with one field of a record's directory entry (or local header) set, e.g. its disk number."""
    data = bytearray(data)
    name = record.encode()
    at = data.index(header)
    while not data[at + (46 if header == b"PK\x01\x02" else 30):].startswith(name):
        at = data.index(header, at + 4)
    struct.pack_into(fmt, data, at + field_at, value)
    return bytes(data)


def _zip64_end_record_patched(field_at, value, fmt="<Q"):
    """BASE with a field of its zip64 end record set (torch's writer always adds one; its reader uses it)."""
    data = bytearray(BASE)
    struct.pack_into(fmt, data, data.rindex(b"PK\x06\x06") + field_at, value)
    return bytes(data)


# archives whose zip structure torch's reader (miniz) refuses, each with its message
MINIZ_REFUSALS = {
    "entry on another disk": _patched(34, 7),
    "entry with masked local headers": _patched(8, 0x2808),
    "entry encrypted": _patched(8, 0x0809),
    "entry of an unknown method": _patched(10, 99),
    "entry reaching past the file": _patched(42, 2 ** 31, "<I"),
    "directory offset past the file": _zip64_end_record_patched(48, 2 ** 30),
    "directory on another disk": _zip64_end_record_patched(16, 1, "<I"),
    "no end record": BASE.replace(b"PK\x05\x06", b"PK\x05\x07"),
    "local header signature broken": _patched(0, 0x0505, header=b"PK\x03\x04"),
}


@pytest.mark.parametrize("case", sorted(MINIZ_REFUSALS))
def test_damaged_zip_structure_refused_as_torchs_reader(case):
    assert_refused_like_torch(MINIZ_REFUSALS[case])


@pytest.mark.parametrize("data", [_patched(30, 0x41, "<B", header=b"PK\x03\x04"),          # local name differs
                                  BASE.replace(b"archive/version", b"archive/VERSION"),     # names found case-blind
                                  _patched(12, 0x1234, record="archive/data/0"),            # a time: ignored
                                  _patched(38, 0x10, "<I", record="archive/.format_version")],   # read as a folder
                         ids=["local header name", "name case", "time", "folder attribute"])
def test_zip_fields_torchs_reader_ignores_load_as_torch(data):
    (torch_kind, theirs), (kind, mine) = outcome(torch, data), outcome(npconv, data)
    assert torch_kind == kind == "ok", (theirs, mine)
    np.testing.assert_array_equal(mine["w"].numpy(), theirs["w"].numpy())


def _legacy_storage_count_at():
    data = torch_checkpoint({"w": torch.arange(6.0)}, _use_new_zipfile_serialization=False)
    return data, data.rindex(struct.pack("<q", 6))


def test_legacy_view_past_its_storage_grows_it_and_fails_as_torch():
    # torch's legacy storages are resizable: set_ grows one, and its bytes in the file then do not fit it
    data, _ = _legacy_storage_count_at()
    assert data.count(b"K\x06\x85") == 1
    assert_refused_like_torch(data.replace(b"K\x06\x85", b"K\x09\x85"))


@pytest.mark.parametrize("cut", [3, 8, 20])
def test_legacy_storage_bytes_cut_short_refused_as_torch(cut):
    data, count = _legacy_storage_count_at()
    assert_refused_like_torch(data[:count + cut])


@pytest.mark.parametrize("numel", [5, 7, -1])
def test_legacy_storage_count_disagreeing_refused_as_torch(numel):
    data, count = _legacy_storage_count_at()
    assert_refused_like_torch(data[:count] + struct.pack("<q", numel) + data[count + 8:])


# ------------------------------------------------------------------------------ random damage

SMALL_OBJECTS = st.fixed_dictionaries({
    "w": st.integers(1, 4).map(lambda n: torch.linspace(-1, 1, n * 3).reshape(n, 3)),
    "b": st.sampled_from([torch.zeros(2, dtype=torch.int64), torch.tensor([True, False])]),
    "step": st.integers(0, 100),
})
DAMAGE = st.one_of(
    st.tuples(st.just("flip"), st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(1, 255)),
                                        min_size=1, max_size=4)),
    st.tuples(st.just("truncate"), st.floats(0, 1, exclude_max=True)),
    st.tuples(st.just("splice"), st.sampled_from(sorted(DEEP_SLOTS))),
)


def damaged(data, damage):
    kind, detail = damage
    if kind == "flip":
        data = bytearray(data)
        for where, mask in detail:
            data[int(where * len(data))] ^= mask
        return bytes(data)
    if kind == "truncate":
        return data[:int(detail * len(data))]
    return with_pickle(DEEP_SLOTS[detail])


@given(SMALL_OBJECTS, st.booleans(), DAMAGE)
def test_damaged_checkpoints_never_hang_crash_or_load_differently(obj, legacy, damage):
    data = damaged(torch_checkpoint(obj, _use_new_zipfile_serialization=not legacy), damage)
    (torch_kind, theirs), (kind, mine) = outcome(torch, data), outcome(npconv, data)
    if kind == "error":
        assert isinstance(mine, (RuntimeError, pickle.UnpicklingError, TypeError, ValueError, AttributeError,
                                 AssertionError, IndexError)), f"unclear {type(mine).__name__}: {mine}"
        assert not isinstance(mine, MemoryError)
    if kind == "ok" and torch_kind == "ok":
        assert sorted(mine) == sorted(theirs)
        for key, value in theirs.items():
            if isinstance(value, torch.Tensor):
                np.testing.assert_array_equal(mine[key].numpy(), value.numpy())
            else:
                assert mine[key] == value
