"""npconv.io: torch checkpoints in and out (differential against torch), safety, corruption, npz/safetensors."""
import collections
import io
import os
import pickle
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

from npconv.io.torch_format import CheckpointError, read_checkpoint, write_checkpoint

DTYPES = [torch.float16, torch.float32, torch.float64, torch.int8, torch.int16, torch.int32, torch.int64,
          torch.uint8, torch.bool]


def torch_bytes(obj):
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def npconv_read(data, **kwargs):
    return read_checkpoint(io.BytesIO(data), **kwargs)


def npconv_bytes(obj):
    buffer = io.BytesIO()
    write_checkpoint(obj, buffer)
    return buffer.getvalue()


def torch_read(data):
    return torch.load(io.BytesIO(data), weights_only=True)


def to_numpy_tree(obj):
    """A torch object with every tensor replaced by its ndarray (the ndarray-level reader's view)."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().float().numpy() if obj.dtype == torch.bfloat16 else obj.detach().numpy()
    if isinstance(obj, dict):
        return type(obj)((k, to_numpy_tree(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_numpy_tree(v) for v in obj)
    return obj


def assert_same_tree(got, expected):
    """Same structure, container types, values, dtypes and shapes (tensors vs ndarrays compared as arrays)."""
    if isinstance(expected, (np.ndarray, torch.Tensor)):
        expected_array = expected.numpy() if isinstance(expected, torch.Tensor) else expected
        got_array = got.numpy() if isinstance(got, torch.Tensor) else np.asarray(got)
        assert got_array.dtype == expected_array.dtype and got_array.shape == expected_array.shape
        np.testing.assert_array_equal(got_array, expected_array)
    elif isinstance(expected, dict):
        assert type(got) is type(expected) and list(got) == list(expected)
        for key in expected:
            assert_same_tree(got[key], expected[key])
    elif isinstance(expected, (list, tuple)):
        assert type(got) is type(expected) and len(got) == len(expected)
        for g, e in zip(got, expected):
            assert_same_tree(g, e)
    else:
        assert type(got) is type(expected) and got == expected


def small_conv_net():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.BatchNorm2d(8), torch.nn.ReLU(),
                              torch.nn.MaxPool2d(2), torch.nn.Conv2d(8, 4, 3, stride=2, bias=False),
                              torch.nn.BatchNorm2d(4), torch.nn.Flatten(), torch.nn.LazyLinear(5))
    net(torch.randn(2, 3, 16, 16))          # BatchNorm running stats and num_batches_tracked move
    return net


# ----------------------------------------------------------------------------------- torch -> npconv

def test_torch_state_dict_reads_with_metadata_and_batchnorm_counter():
    state = small_conv_net().state_dict()
    loaded = npconv_read(torch_bytes(state))
    assert_same_tree(loaded, to_numpy_tree(state))
    assert loaded._metadata == state._metadata
    counter = loaded["1.num_batches_tracked"]
    assert counter.dtype == np.int64 and counter.shape == () and counter == 1


def test_views_keep_offset_stride_and_shared_memory():
    base = torch.arange(60, dtype=torch.float64).reshape(5, 12)
    obj = {"base": base, "cols": base[:, 3:9:2], "t": base.t(), "row": base[3], "scalar": base[2, 5],
           "expanded": torch.arange(3.0).expand(4, 3)}
    loaded = npconv_read(torch_bytes(obj))
    assert_same_tree(loaded, to_numpy_tree(obj))
    assert all(np.shares_memory(loaded["base"], loaded[k]) for k in ("cols", "t", "row", "scalar"))
    assert loaded["expanded"].strides[0] == 0
    loaded["base"][3, 4] = -1.0           # writable, and the views see the write as in torch
    assert loaded["row"][4] == -1.0


def test_every_dtype_and_nested_containers():
    obj = {"tensors": [torch.tensor([1, 0, 3]).to(d) for d in DTYPES],
           "bfloat16": torch.tensor([1.5, -2.25, 3e38], dtype=torch.bfloat16),
           "nested": {"list": [1, -2 ** 40, 2 ** 70, 2.5, "text", None, True, b"\x00\xff"],
                      "tuple": (1, (2, 3), ()), "empty": torch.zeros(0, 3), "set": {1, 2}},
           "parameter": torch.nn.Parameter(torch.ones(2, 2))}
    loaded = npconv_read(torch_bytes(obj))
    assert_same_tree(loaded, to_numpy_tree(obj))
    assert loaded["bfloat16"].dtype == np.float32      # NumPy has no bfloat16: widened exactly


def test_parameters_and_requires_grad_reach_the_tensor_factory():
    made = []
    obj = {"p": torch.nn.Parameter(torch.ones(2)), "g": torch.ones(3, requires_grad=True), "t": torch.ones(1)}
    npconv_read(torch_bytes(obj), make_tensor=lambda a, rg: made.append(("tensor", rg)) or a,
                make_parameter=lambda t, rg: made.append(("parameter", rg)) or t)
    assert made == [("tensor", False), ("parameter", True), ("tensor", True), ("tensor", False)]


# ----------------------------------------------------------------------------------- npconv -> torch

def test_arrays_written_by_npconv_read_back_equal_in_torch():
    base = np.arange(24, dtype=np.float32).reshape(4, 6)
    obj = collections.OrderedDict(
        base=base, cols=base[:, 1::2], transposed=base.T, flipped=base[::-1], scalar=np.array(3.5),
        empty=np.zeros((0, 2)), broadcast=np.broadcast_to(np.arange(3), (2, 3)), big_endian=base.astype(">f8"),
        half=np.ones(3, np.float16), flags=np.array([True, False]), numbers=[1, 2.5, np.float32(0.5), np.int64(7)],
        nested={"a": (1, "b", None, b"bytes"), "huge": -2 ** 80})
    obj._metadata = {"": {"version": 1}}
    back = torch_read(npconv_bytes(obj))
    expected = collections.OrderedDict(
        (k, torch.from_numpy(np.array(v, dtype=v.dtype.newbyteorder("="), order="C"))
         if isinstance(v, np.ndarray) else v) for k, v in obj.items())
    expected["numbers"] = [1, 2.5, 0.5, 7]      # NumPy scalars are written as Python numbers
    assert_same_tree(back, expected)
    assert back._metadata == {"": {"version": 1}}
    storage = back["base"].untyped_storage().data_ptr()
    assert back["cols"].untyped_storage().data_ptr() == storage       # one storage, as in torch
    assert back["transposed"].untyped_storage().data_ptr() == storage


def test_torch_to_npconv_to_torch_round_trip_of_a_trained_net():
    state = small_conv_net().state_dict()
    again = torch_read(npconv_bytes(npconv_read(torch_bytes(state))))
    assert list(again) == list(state) and again._metadata == state._metadata
    for key in state:
        assert again[key].dtype == state[key].dtype and torch.equal(again[key], state[key])


def test_checkpoint_written_without_crc_is_read(tmp_path):
    torch.serialization.set_crc32_options(False)
    try:
        data = torch_bytes({"a": torch.arange(5.0)})
    finally:
        torch.serialization.set_crc32_options(True)
    assert all(info.CRC == 0 for info in zipfile.ZipFile(io.BytesIO(data)).infolist())
    np.testing.assert_array_equal(npconv_read(data)["a"], np.arange(5.0, dtype=np.float32))


def test_tutorial_checkpoint_with_optimizer_round_trips_both_ways(tmp_path):
    tnet = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2))
    optimizer = torch.optim.Adam(tnet.parameters())
    tnet(torch.randn(2, 1, 5, 5)).sum().backward()
    optimizer.step()
    checkpoint = {"epoch": 3, "model_state_dict": tnet.state_dict(),
                  "optimizer_state_dict": optimizer.state_dict(), "loss": torch.tensor(0.5)}
    again = torch_read(npconv_bytes(npconv_read(torch_bytes(checkpoint))))
    assert_same_tree(to_numpy_tree(again), to_numpy_tree(checkpoint))
    optimizer.load_state_dict(again["optimizer_state_dict"])     # torch accepts what npconv wrote


def test_written_archive_is_aligned_and_mmap_loadable(tmp_path):
    path = tmp_path / "w.pt"
    write_checkpoint({"a": np.arange(5.0), "b": np.ones((3, 3), np.float32)}, str(path))
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if "/data/" in info.filename:
                header = open(path, "rb").read()[info.header_offset:info.header_offset + 30]
                start = info.header_offset + 30 + int.from_bytes(header[26:28], "little") \
                    + int.from_bytes(header[28:30], "little")
                assert start % 64 == 0
    back = torch.load(path, weights_only=True, mmap=True)
    assert torch.equal(back["b"], torch.ones(3, 3))


def test_same_object_saved_twice_is_one_object_in_torch():
    shared = np.ones(4)
    back = torch_read(npconv_bytes({"a": shared, "b": shared, "l": [shared]}))
    assert back["a"] is back["b"] is back["l"][0]


def test_unwritable_objects_are_refused_with_type_name():
    with pytest.raises(TypeError, match="Path"):
        npconv_bytes({"x": __import__("pathlib").Path(".")})
    with pytest.raises(TypeError, match="uint16"):
        npconv_bytes({"x": np.ones(2, np.uint16)})


# views both torch and NumPy express the same way (torch has no negative steps: see the test above)
views = st.sampled_from([lambda a: a, lambda a: a.transpose(0, 1) if isinstance(a, torch.Tensor) else a.swapaxes(0, 1),
                         lambda a: a[1:], lambda a: a[:, ::2], lambda a: a.reshape(-1)[3:], lambda a: a[-1],
                         lambda a: a[..., 1:2]])


@given(shape=st.lists(st.integers(1, 5), min_size=2, max_size=4), dtype=st.sampled_from(DTYPES), view=views,
       seed=st.integers(0, 2 ** 31))
def test_random_views_round_trip_both_ways(shape, dtype, view, seed):
    values = torch.from_numpy(np.random.default_rng(seed).integers(0, 100, size=shape)).to(dtype)
    from_torch = npconv_read(torch_bytes({"base": values, "view": view(values)}))
    np.testing.assert_array_equal(from_torch["view"], view(values).numpy())
    assert from_torch["view"].dtype == view(values).numpy().dtype
    back = torch_read(npconv_bytes({"base": values.numpy(), "view": view(values.numpy())}))
    assert back["view"].dtype == dtype and torch.equal(back["view"], view(values))


# ----------------------------------------------------------------------------------- options

def test_map_location_forms():
    data = torch_bytes({"a": torch.ones(2)})
    for location in (None, "cpu", {"cpu": "cpu"}, lambda storage, where: storage):
        np.testing.assert_array_equal(npconv_read(data, map_location=location)["a"], np.ones(2))
    with pytest.raises(RuntimeError, match="torch.cuda.is_available"):
        npconv_read(data, map_location="cuda:0")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_torchscript_archive_is_refused_clearly():
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(torch.nn.ReLU()), buffer)
    with pytest.raises(CheckpointError, match="TorchScript"):
        npconv_read(buffer.getvalue())


# ----------------------------------------------------------------------------------- safety

class _RunsCommand:
    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


def zip_with_pickle(pickled, prefix="archive"):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{prefix}/data.pkl", pickled)
        archive.writestr(f"{prefix}/byteorder", "little")
        archive.writestr(f"{prefix}/version", "3\n")
    return buffer.getvalue()


def test_malicious_reduce_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    payload = {"weight": [1.0, 2.0], "evil": _RunsCommand(f"touch {marker}")}
    pickled = pickle.dumps(payload, protocol=2)
    blocked = r"GLOBAL (posix|os|nt)\.system whose module (posix|os|nt) is blocked"
    with pytest.raises(pickle.UnpicklingError, match=blocked):
        npconv_read(zip_with_pickle(pickled))
    with pytest.raises(pickle.UnpicklingError, match=blocked):   # torch refuses it so too
        torch_read(zip_with_pickle(pickled))
    assert not marker.exists()


@pytest.mark.parametrize("module, name", [("builtins", "eval"), ("builtins", "getattr"), ("os", "system"),
                                          ("subprocess", "Popen"), ("numpy", "load"), ("torch", "load"),
                                          ("torch._utils", "_import_dotted_name"), ("copyreg", "_reconstructor")])
def test_every_other_global_is_refused_by_name(module, name):
    data = zip_with_pickle(b"\x80\x02c" + f"{module}\n{name}\n".encode() + b"X\x01\x00\x00\x001\x85R.")
    with pytest.raises(pickle.UnpicklingError) as theirs:
        torch.load(io.BytesIO(data))
    with pytest.raises(pickle.UnpicklingError, match=f"GLOBAL ({module}.)?{name} (was not an allowed global|whose)"):
        npconv_read(data)
    with pytest.raises(pickle.UnpicklingError) as mine:
        npconv.load(io.BytesIO(data))
    assert str(mine.value) == str(theirs.value)


def test_whole_pickled_model_is_refused_by_default_with_the_ways_to_load_it():
    data = torch_bytes(torch.nn.Sequential(torch.nn.Conv2d(1, 1, 1)))
    with pytest.raises(pickle.UnpicklingError, match=r"(?s)^Weights only load failed\..*weights_only.*False.*"
                                                     r"GLOBAL torch\.nn\.modules\..*safe_globals") as mine:
        npconv.load(io.BytesIO(data))
    with pytest.raises(pickle.UnpicklingError) as theirs:
        torch.load(io.BytesIO(data))
    assert str(mine.value) == str(theirs.value)


def test_build_cannot_rewrite_the_allowed_callables():
    # GLOBAL _rebuild_tensor_v2, then BUILD with slot state {'function': print}: must fail, and leave
    # the reader intact for the next file.
    pickled = (b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n" + b"N}X\x08\x00\x00\x00function" + b"K\x01s\x86b.")
    with pytest.raises(pickle.UnpicklingError):
        npconv_read(zip_with_pickle(pickled))
    np.testing.assert_array_equal(npconv_read(torch_bytes({"a": torch.ones(2)}))["a"], np.ones(2))


@pytest.mark.parametrize("protocol", [2, 4])
def test_raw_pickle_that_is_not_a_checkpoint_is_refused(tmp_path, protocol):
    # not a zip: read as the legacy format, as torch does, whose unpickler refuses the global (protocol 2)
    # or the FRAME opcode (4) before anything runs
    marker = tmp_path / "pwned"
    from npconv.io import _load_file
    with pytest.raises(pickle.UnpicklingError):
        _load_file(io.BytesIO(pickle.dumps(_RunsCommand(f"touch {marker}"), protocol=protocol)), "torch", None)
    assert not marker.exists()


def test_pickle_ending_early_returns_what_torch_returns():
    # torch's unpickler stops at the first STOP and ignores the rest of data.pkl; so does npconv's
    data = torch_bytes({"a": [1, 2, 3], "b": torch.ones(2)})
    name = next(n for n in zipfile.ZipFile(io.BytesIO(data)).namelist() if n.endswith("data.pkl"))
    pickled = zipfile.ZipFile(io.BytesIO(data)).read(name)
    early = _replace_record(data, name, pickled.replace(b"K\x03", b"K\x03.", 1))   # STOP right after the 3
    assert npconv_read(early) == torch.load(io.BytesIO(early)) == 3


def test_tensor_pointing_outside_its_storage_is_refused():
    data = torch_bytes({"a": torch.arange(4.0)})
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        pickled = archive.read(names[0])
    # size (4,) -> (9,): the view would read past the 4-element storage
    forged = pickled.replace(b"K\x04\x85", b"K\x09\x85", 1)
    assert forged != pickled
    forged = _replace_record(data, names[0], forged)
    with pytest.raises(RuntimeError, match="^Trying to resize storage that is not resizable$"):   # torch's error
        torch.load(io.BytesIO(forged))
    with pytest.raises(RuntimeError, match="^Trying to resize storage that is not resizable$"):
        npconv_read(forged)


def _replace_record(data, name, payload):
    source, buffer = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            target.writestr(info.filename, payload if info.filename == name else source.read(info))
    return buffer.getvalue()


def test_storage_size_disagreeing_with_pickle_is_refused():
    data = torch_bytes({"a": torch.arange(4.0)})
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    storage = next(n for n in names if n.endswith("/data/0"))
    with pytest.raises(CheckpointError, match="does not match expected size"):
        npconv_read(_replace_record(data, storage, b"\x00" * 12))


# ----------------------------------------------------------------------------------- corrupt files

REFERENCE = {"w": torch.arange(12.0).reshape(3, 4), "n": torch.tensor(7), "meta": {"epoch": 3, "name": "net"}}
REFERENCE_BYTES = torch_bytes(REFERENCE)


def _load_or_error(data):
    try:
        return npconv_read(data)
    except (CheckpointError, pickle.UnpicklingError) as error:
        assert str(error)
        return None


@given(cut=st.integers(0, len(REFERENCE_BYTES) - 1))
def test_truncated_files_raise_a_clear_error(cut):
    assert _load_or_error(REFERENCE_BYTES[:cut]) is None


def _builtin_type(error):
    return next(c for c in type(error).__mro__ if c.__module__ == "builtins")


@given(flips=st.lists(st.tuples(st.integers(0, len(REFERENCE_BYTES) - 1), st.integers(1, 255)),
                      min_size=1, max_size=4))
def test_fuzzed_files_load_or_fail_as_torch(flips):
    # torch reads records without checking their CRC (its miniz is built without), so a flipped byte inside a
    # record may load changed values: npconv refuses with torch's error type, or loads what torch loads
    data = bytearray(REFERENCE_BYTES)
    for position, mask in flips:
        data[position] ^= mask
    try:
        expected = to_numpy_tree(torch.load(io.BytesIO(bytes(data))))
    except Exception as error:  # noqa: BLE001 - the type is what we compare
        with pytest.raises(Exception) as refused:
            npconv.load(io.BytesIO(bytes(data)))
        assert _builtin_type(refused.value) is _builtin_type(error), (refused.value, error)
        return
    assert_same_tree(_arrays(npconv.load(io.BytesIO(bytes(data)))), expected)


def _arrays(obj):
    """npconv.load's result with every tensor replaced by its ndarray."""
    if isinstance(obj, npconv.Tensor):
        return obj.detach().numpy()
    if isinstance(obj, dict):
        return type(obj)((k, _arrays(v)) for k, v in obj.items())
    return obj


REFERENCE_PICKLE_NAME = next(n for n in zipfile.ZipFile(io.BytesIO(REFERENCE_BYTES)).namelist()
                             if n.endswith("data.pkl"))
REFERENCE_PICKLE = zipfile.ZipFile(io.BytesIO(REFERENCE_BYTES)).read(REFERENCE_PICKLE_NAME)


@given(flips=st.lists(st.tuples(st.integers(0, len(REFERENCE_PICKLE) - 1), st.integers(0, 255)),
                      min_size=1, max_size=3))
def test_fuzzed_pickles_with_valid_crc_are_refused_or_loaded_without_crashing(flips):
    # The pickle itself is garbage (a valid CRC, though torch and npconv read records without checking it).
    pickled = bytearray(REFERENCE_PICKLE)
    for position, value in flips:
        pickled[position] = value
    try:
        npconv_read(_replace_record(REFERENCE_BYTES, REFERENCE_PICKLE_NAME, bytes(pickled)))
    except (CheckpointError, pickle.UnpicklingError) as error:
        assert str(error)


# ----------------------------------------------------------------------------------- torch-free

def test_loading_works_where_torch_cannot_be_imported(tmp_path):
    path = tmp_path / "net.pt"
    state = small_conv_net().state_dict()
    torch.save(state, path)
    expected = sum(float(v.double().sum()) for v in state.values())
    script = textwrap.dedent(f"""
        import sys
        sys.modules["torch"] = None          # any 'import torch' now raises ImportError
        from npconv.io.torch_format import read_checkpoint
        with open({str(path)!r}, "rb") as f:
            state = read_checkpoint(f)
        assert "torch" not in [m for m in sys.modules if sys.modules[m] is not None]
        print(sum(float(v.astype("float64").sum()) for v in state.values()))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert float(result.stdout) == pytest.approx(expected, rel=1e-12)


# ----------------------------------------------------------------------------------- npconv.Tensor level

import npconv  # noqa: E402
from npconv import io as npio  # noqa: E402


def _npconv_net(layers):
    return npconv.nn.Sequential(*layers)


def test_load_gives_tensors_sharing_memory_and_parameters(tmp_path):
    base = torch.arange(12.0).reshape(3, 4)
    torch.save({"base": base, "view": base[:, 1:], "p": torch.nn.Parameter(torch.ones(2)),
                "size": torch.Size([2, 3]), "half": torch.ones(2, dtype=torch.float16)}, tmp_path / "a.pt")
    loaded = npio.load(tmp_path / "a.pt")
    assert isinstance(loaded["base"], npconv.Tensor) and loaded["view"].shape == (3, 3)
    assert np.shares_memory(loaded["base"].numpy(), loaded["view"].numpy())
    assert type(loaded["p"]).__name__ == "Parameter" and loaded["p"].requires_grad
    assert loaded["size"] == (2, 3) and repr(loaded["size"]) == "torch.Size([2, 3])"
    assert loaded["half"].dtype == npconv.float16


def test_saved_tensors_parameters_sizes_and_dtypes_read_back_in_torch(tmp_path):
    net = _npconv_net([npconv.nn.Conv2d(3, 4, 3), npconv.nn.ReLU(), npconv.nn.Conv2d(4, 2, 1)])
    obj = {"state": net.state_dict(), "params": dict(net.named_parameters()),
           "shape": npconv.zeros(2, 5).shape, "dtype": npconv.float64, "grad": npconv.ones(2, requires_grad=True)}
    npio.save(obj, tmp_path / "b.pt")
    back = torch.load(tmp_path / "b.pt", weights_only=True)
    for key, value in net.state_dict().items():
        assert torch.equal(back["state"][key], torch.from_numpy(value.numpy()))
    assert isinstance(back["params"]["0.weight"], torch.nn.Parameter)
    assert back["shape"] == torch.Size([2, 5]) and isinstance(back["shape"], torch.Size)
    assert back["dtype"] is torch.float64 and back["grad"].requires_grad


def test_save_to_path_is_atomic(tmp_path):
    path = tmp_path / "c.pt"
    npio.save({"a": npconv.ones(2)}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError):
        npio.save({"a": npconv.ones(2), "bad": object()}, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["c.pt"]


@pytest.mark.parametrize("suffix", [".npz", ".safetensors"])
def test_flat_formats_round_trip_and_read_in_their_libraries(tmp_path, suffix):
    state = {"w": npconv.tensor(np.arange(6.0, dtype=np.float32).reshape(2, 3)), "n": npconv.tensor(3),
             "h": npconv.tensor(np.ones(2, np.float16)), "b": npconv.tensor([True, False])}
    path = tmp_path / f"d{suffix}"
    npio.save(state, path)
    loaded = npio.load(path)
    for key, value in state.items():
        assert loaded[key].dtype == value.dtype and np.array_equal(loaded[key].numpy(), value.numpy())
    if suffix == ".safetensors":
        assert torch.equal(torch.load(path)["w"], torch.arange(6.0).reshape(2, 3))  # torch reads it too
    else:
        assert np.array_equal(np.load(path)["w"], state["w"].numpy())
    with open(path, "rb") as file:              # recognised by content when there is no name
        assert np.array_equal(npio.load(io.BytesIO(file.read()))["w"].numpy(), state["w"].numpy())
    with pytest.raises(TypeError, match="flat"):
        npio.save({"nested": {"w": state["w"]}}, tmp_path / f"e{suffix}")


@pytest.mark.parametrize("suffix", [".npz", ".safetensors"])
def test_flat_formats_truncated_raise_clearly(tmp_path, suffix):
    path = tmp_path / f"f{suffix}"
    npio.save({"w": npconv.ones(64)}, path)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(CheckpointError):
        npio.load(path)


def test_safetensors_missing_gives_install_hint(tmp_path):
    script = textwrap.dedent(f"""
        import sys
        sys.modules["safetensors"] = None
        import npconv.io
        try:
            npconv.io.save({{}}, {str(tmp_path / 'g.safetensors')!r})
        except ImportError as error:
            print(error)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert "npconv[safetensors]" in result.stdout, result.stderr


def test_legacy_torch_format_is_read_with_views_dtypes_and_metadata(tmp_path):
    path = tmp_path / "legacy.pt"
    base = torch.arange(12.0).reshape(3, 4)
    state = small_conv_net().state_dict()
    obj = {"state": state, "view": base[:, 1:], "base": base, "bf": torch.tensor([1.5], dtype=torch.bfloat16),
           "p": torch.nn.Parameter(torch.ones(2)), "nested": [1, "a", (None, 2.5)]}
    torch.save(obj, path, _use_new_zipfile_serialization=False)
    loaded = npio.load(path)
    assert_same_tree({k: v.numpy() for k, v in loaded["state"].items()}, to_numpy_tree(dict(state)))
    assert loaded["state"]._metadata == state._metadata
    assert np.shares_memory(loaded["view"].numpy(), loaded["base"].numpy())
    np.testing.assert_array_equal(loaded["view"].numpy(), base[:, 1:].numpy())
    assert loaded["bf"].dtype == npconv.float32 and loaded["p"].requires_grad
    assert loaded["nested"] == [1, "a", (None, 2.5)]


def test_legacy_format_refuses_globals_and_truncation(tmp_path):
    path = tmp_path / "legacy.pt"
    torch.save({"a": torch.arange(100.0)}, path, _use_new_zipfile_serialization=False)
    data = path.read_bytes()
    for cut in (10, len(data) // 2, len(data) - 1):
        path.write_bytes(data[:cut])
        with pytest.raises((CheckpointError, pickle.UnpicklingError)):
            npio.load(path)
    marker = tmp_path / "pwned"
    header = b"".join(pickle.dumps(x, protocol=2) for x in (0x1950a86a20f9469cfc6c, 1001, {}))
    path.write_bytes(header + pickle.dumps(_RunsCommand(f"touch {marker}"), protocol=2))
    with pytest.raises(pickle.UnpicklingError, match="system"):
        npio.load(path)
    assert not marker.exists()


def test_legacy_storage_larger_than_the_file_is_refused_before_allocating(tmp_path):
    path = tmp_path / "legacy.pt"
    torch.save({"a": torch.arange(100.0)}, path, _use_new_zipfile_serialization=False)
    data = path.read_bytes()
    assert data.count(b"Kd\x4e") == 1                      # numel 100 then view_metadata None in the id
    path.write_bytes(data.replace(b"Kd\x4e", b"J\xff\xff\xff\x7f\x4e"))   # claim 2**31 - 1 floats
    with pytest.raises(CheckpointError, match="more than the file holds"):
        npio.load(path)


def test_load_state_dict_of_a_torch_trained_net_gives_torch_outputs(tmp_path):
    torch.manual_seed(0)
    tnet = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                               torch.nn.Conv2d(4, 3, 3, stride=2), torch.nn.Flatten(), torch.nn.Linear(27, 5))
    optimizer = torch.optim.SGD(tnet.parameters(), lr=0.1)
    for _ in range(3):                              # a few real training steps: weights not at init
        optimizer.zero_grad()
        tnet(torch.randn(8, 1, 16, 16)).square().mean().backward()
        optimizer.step()
    torch.save(tnet.state_dict(), tmp_path / "net.pt")
    nn = npconv.nn
    net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 3, 3, stride=2),
                        nn.Flatten(), nn.Linear(27, 5))
    net.load_state_dict(npio.load(tmp_path / "net.pt"))
    x = np.random.default_rng(1).standard_normal((4, 1, 16, 16)).astype(np.float32)
    with torch.no_grad():
        expected = tnet(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(net(npconv.from_numpy(x)).detach().numpy(), expected, rtol=1e-4, atol=1e-5)


def test_load_state_dict_with_batchnorm_counter(tmp_path):
    tnet = small_conv_net().eval()
    torch.save(tnet.state_dict(), tmp_path / "bn.pt")
    nn = npconv.nn
    net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(8, 4, 3, stride=2, bias=False), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(36, 5))
    net.load_state_dict(npio.load(tmp_path / "bn.pt"))
    net.eval()
    assert int(net[1].num_batches_tracked) == 1
    x = np.random.default_rng(2).standard_normal((2, 3, 16, 16)).astype(np.float32)
    with torch.no_grad():
        expected = tnet(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(net(npconv.from_numpy(x)).detach().numpy(), expected, rtol=1e-4, atol=1e-5)
