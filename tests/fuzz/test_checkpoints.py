"""Damaged checkpoints, each loaded by npconv.load in a child process with a wall-clock limit and a memory
limit (resource.setrlimit): it must refuse the file with an exception, or load what torch.load loads; it
may never hang, die, or grow beyond the limit. Damage: byte flips, truncation, a data.pkl whose bytes are
flipped inside an intact zip (its CRC recomputed, so the archive itself reads fine), a version record
rewritten, a record dropped, a record added outside the archive folder."""
import io
import pickle
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import torch
from hypothesis import given, settings, strategies as st

TIME_LIMIT_SECONDS = 20
MEMORY_LIMIT_BYTES = 2 * 2**30

# the child: limits itself, loads the file from stdin, prints a pickled verdict on stdout
CHILD = textwrap.dedent(f"""
    import io, pickle, resource, sys
    resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_LIMIT_BYTES}, {MEMORY_LIMIT_BYTES}))
    import numpy as np
    import npconv
    data = sys.stdin.buffer.read()
    try:
        loaded = npconv.load(io.BytesIO(data))
        verdict = ("ok", {{k: (v.numpy().copy() if isinstance(v, npconv.Tensor) else v) for k, v in loaded.items()}}
                   if isinstance(loaded, dict) else repr(loaded))
    except MemoryError as error:
        verdict = ("memory", repr(error))
    except Exception as error:
        verdict = ("error", type(error).__name__ + ": " + str(error)[:300])
    sys.stdout.buffer.write(pickle.dumps(verdict))
""")

OBJECTS = st.fixed_dictionaries({
    "w": st.integers(1, 4).map(lambda n: torch.linspace(-1, 1, n * 3).reshape(n, 3)),
    "i": st.sampled_from([torch.arange(4), torch.tensor([True, False])]),
    "step": st.integers(0, 100),
})


def _saved(obj, legacy):
    buffer = io.BytesIO()
    torch.save(obj, buffer, _use_new_zipfile_serialization=not legacy)
    return buffer.getvalue()


def _rezipped(data, change):
    """The archive rewritten record by record (CRCs recomputed) after ``change(name, bytes) -> bytes|None``."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        folder = source.namelist()[0].split("/")[0]
        for name in source.namelist():
            record = change(name, source.read(name))
            if record is not None:
                archive.writestr(name, record)
        extra = change(f"{folder}/../stray", None)
        if extra is not None:
            archive.writestr("stray/data.pkl", extra)
    return out.getvalue()


def _flip(data, spots):
    data = bytearray(data)
    for where, mask in spots:
        if data:
            data[int(where * len(data))] ^= mask
    return bytes(data)


SPOTS = st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(1, 255)), min_size=1, max_size=4)
DAMAGE = st.one_of(
    st.tuples(st.just("flip"), SPOTS),
    st.tuples(st.just("truncate"), st.floats(0, 1, exclude_max=True)),
    st.tuples(st.just("pickle flip"), SPOTS),
    st.tuples(st.just("version"), st.sampled_from([b"", b"99\n", b"x", b"1\n", b"3\n", b"-1\n"])),
    st.tuples(st.just("drop"), st.sampled_from(["version", "data.pkl", "data/0", "byteorder"])),
    st.tuples(st.just("stray"), st.just(b"\x80\x02}q\x00.")),
)


def damaged(data, damage, legacy):
    kind, detail = damage
    if kind == "flip" or (legacy and kind != "truncate"):
        return _flip(data, detail if kind in ("flip", "pickle flip") else [(0.5, 1)])
    if kind == "truncate":
        return data[:int(detail * len(data))]
    if kind == "pickle flip":
        return _rezipped(data, lambda name, b: _flip(b, detail) if b is not None and name.endswith("data.pkl") else b)
    if kind == "version":
        return _rezipped(data, lambda name, b: detail if b is not None and name.endswith("/version") else b)
    if kind == "drop":
        return _rezipped(data, lambda name, b: None if b is None or name.endswith("/" + detail) else b)
    return _rezipped(data, lambda name, b: detail if b is None else b)


def load_in_child(data):
    """npconv.load's verdict on ``data`` from a limited child process: ("ok", value) / ("error", text) /
    ("memory", text) / ("died", code) / ("hang", seconds)."""
    try:
        done = subprocess.run([sys.executable, "-c", CHILD], input=data, capture_output=True,
                              timeout=TIME_LIMIT_SECONDS)
    except subprocess.TimeoutExpired:
        return "hang", TIME_LIMIT_SECONDS
    if done.returncode != 0 or not done.stdout:
        return "died", (done.returncode, done.stderr[-500:])
    return pickle.loads(done.stdout)


def torch_verdict(data):
    try:
        return "ok", torch.load(io.BytesIO(data))
    except Exception as error:  # noqa: BLE001 - any refusal
        return "error", error


def _examples():
    return max(3, settings().max_examples // 6)


def test_damaged_checkpoints_refused_or_loaded_as_torch_within_limits():
    @settings(max_examples=_examples())
    @given(OBJECTS, st.booleans(), DAMAGE)
    def check(obj, legacy, damage):
        data = damaged(_saved(obj, legacy), damage, legacy)
        kind, mine = load_in_child(data)
        assert kind in ("ok", "error"), f"npconv.load: {kind} {mine}"
        torch_kind, theirs = torch_verdict(data)
        if kind == "ok":
            assert torch_kind == "ok", f"npconv loaded what torch refuses ({theirs!r})"
            assert isinstance(mine, dict) and sorted(mine) == sorted(theirs)
            for key, value in theirs.items():
                if isinstance(value, torch.Tensor):
                    np.testing.assert_array_equal(mine[key], value.numpy())
                else:
                    assert mine[key] == value
    check()


def _refusals(data):
    import npconv
    errors = []
    for load in (torch.load, npconv.load):
        try:
            load(io.BytesIO(data))
        except Exception as error:  # noqa: BLE001 - the exception is the result compared
            errors.append(error)
    return errors


def test_bad_pickle_bytes_are_refused_with_torchs_type():
    """A pickle string that does not decode: npconv raises the type torch's unpickler raises
    (UnicodeDecodeError), which is also a pickle.UnpicklingError."""
    zipped = _rezipped(_saved({"weight": torch.ones(2)}, False),
                       lambda name, b: b.replace(b"weight", b"w\xffight") if b is not None else b)
    theirs, mine = _refusals(zipped)
    assert type(mine).__mro__[1] is type(theirs) is UnicodeDecodeError, (mine, theirs)
    assert isinstance(mine, pickle.UnpicklingError)
