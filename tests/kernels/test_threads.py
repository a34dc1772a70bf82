"""The kernel threads: npconv's thread setting (as torch's), BLAS's limit taken once (never per call), the
thread count read once, the forced algorithm per thread, pooling and interpolation split by planes."""
import ast
import os
import subprocess
import sys
import threading

import numpy as np
import pytest
import threadpoolctl

import npconv
from npconv import kernels
from npconv.kernels import chooser, threads
from npconv.nn import functional as F
from tests.torch_compare import assert_same_error

# large enough (about 15 M multiply-adds) for the tiled GEMM to split it over the kernel threads
LAYER = ((4, 16, 32, 32), (32, 16, 3, 3))


def _blas_thread_counts():
    return [lib["num_threads"] for lib in threadpoolctl.threadpool_info() if lib["user_api"] == "blas"]


def _layer_tensors(seed=0):
    rng = np.random.default_rng(seed)
    return [npconv.from_numpy(rng.standard_normal(shape).astype(np.float32)) for shape in LAYER]


def _convolve(times=5):
    x, w = _layer_tensors()
    for _ in range(times):
        F.conv2d(x, w, padding=1, stride=(1, 2))


def test_concurrent_callers_leave_blas_threads_unchanged():
    """Four user threads and dask's threaded scheduler convolving at once: BLAS's thread counts are what
    they were after the first convolution (per-call limits raced and left BLAS at 1 thread for good)."""
    import dask
    _convolve(1)  # the kernel threads start here: the one place BLAS's limit is taken
    before = _blas_thread_counts()
    users = [threading.Thread(target=_convolve) for _ in range(4)]
    for user in users:
        user.start()
    dask.compute(*[dask.delayed(_convolve)() for _ in range(6)], scheduler="threads", num_workers=4)
    for user in users:
        user.join()
    assert _blas_thread_counts() == before


def test_blas_limit_is_never_taken_per_call(monkeypatch, restore_threads):
    threads.set_num_threads(2)
    _convolve(1)
    calls = []
    monkeypatch.setattr(threadpoolctl.ThreadpoolController, "limit", lambda *a, **k: calls.append(a))
    _convolve(3)
    assert calls == []


def test_thread_count_is_read_once_and_blas_loaded_later_does_not_change_it():
    """A user's threadpool_limits(1) before the first convolution holds after scipy's own OpenBLAS (2
    threads by default) loads: the kernels keep one thread, and NumPy's BLAS stays at one."""
    code = """if True:
        import numpy as np
        import threadpoolctl
        threadpoolctl.threadpool_limits(1)
        import npconv
        from npconv.kernels import threads
        x = npconv.from_numpy(np.ones((1, 2, 8, 8), np.float32))
        npconv.nn.functional.conv2d(x, npconv.from_numpy(np.ones((2, 2, 3, 3), np.float32)))
        import scipy.linalg  # loads scipy's own OpenBLAS
        threadpoolctl.threadpool_limits(2, user_api="blas")  # e.g. a library raising BLAS later
        print(threads.workers())
    """
    env = dict(os.environ, OMP_NUM_THREADS="2", OPENBLAS_NUM_THREADS="2")
    env.pop("NPCONV_NUM_THREADS", None)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "1"


def test_forced_algorithm_is_per_thread():
    """use() in one thread leaves another thread's choice alone (like grad mode)."""
    layer = ((2, 64, 20, 20), (64, 64, 3, 3), (20, 20), (1, 1), 1, (1, 1))
    seen = {}
    entered, checked = threading.Event(), threading.Event()

    def forcing():
        with kernels.use("im2col"):
            seen["forcing"] = chooser.choose("forward", *layer)
            entered.set()
            checked.wait(10)

    thread = threading.Thread(target=forcing)
    thread.start()
    entered.wait(10)
    seen["other"] = chooser.choose("forward", *layer)
    checked.set()
    thread.join()
    assert seen == {"forcing": "im2col", "other": "winograd"}
    assert chooser.forced() is None


def test_split_gives_contiguous_near_equal_ranges():
    assert threads.split(10, 3) == [(0, 3), (3, 6), (6, 10)]
    assert threads.split(2, 5) == [(0, 1), (1, 2)]
    assert threads.split(0, 4) == []


def test_malloc_thresholds_are_set_at_start_unless_the_environment_opts_out():
    calls = []

    def mallopt(option, value):
        calls.append((option, value))
        return 1
    applied = threads._tune_malloc(mallopt, environ={})
    assert calls == list(threads.MALLOC_SETTINGS.values())
    assert applied == {name: value for name, (_, value) in threads.MALLOC_SETTINGS.items()}
    calls.clear()
    assert threads._tune_malloc(mallopt, environ={"NPCONV_MALLOC": "default"}) == {} and calls == []
    assert threads._tune_malloc(None, environ={}) == {}  # no glibc: nothing to set


@pytest.mark.parametrize("environment, expected", [({}, "tuned"), ({"NPCONV_MALLOC": "Default "}, {})])
def test_kernel_start_applies_the_malloc_settings_in_a_fresh_process(environment, expected):
    code = "from npconv.kernels import threads; print(repr(threads.malloc_settings()))"
    env = {key: value for key, value in os.environ.items() if key != "NPCONV_MALLOC"}
    result = subprocess.run([sys.executable, "-c", code], env={**env, **environment}, capture_output=True,
                            text=True, check=True)
    settings = ast.literal_eval(result.stdout)
    if expected == "tuned":
        on_glibc = threads._glibc_mallopt() is not None
        assert settings == ({name: value for name, (_, value) in threads.MALLOC_SETTINGS.items()} if on_glibc else {})
    else:
        assert settings == expected


def test_blocks_give_every_thread_as_many_blocks_and_cover_the_batch():
    blocks = threads.blocks(8, 32, parts=2, max_images=3)  # 3 blocks of at most 3 would load one thread twice
    assert [images for images, _ in blocks] == [(0, 2), (2, 4), (4, 6), (6, 8)]
    assert all(channels == (0, 32) for _, channels in blocks)
    assert len(threads.blocks(3, 32, parts=2, max_images=1)) == 3  # no more blocks than images
    assert [images for images, _ in threads.blocks(1, 4, parts=2)] == [(0, 1), (0, 1)]  # channels split instead


@pytest.mark.parametrize("count", [1, 3])
def test_set_num_threads_governs_the_pieces(count, restore_threads):
    npconv.set_num_threads(count)
    assert npconv.get_num_threads() == count
    assert len(threads.pieces(1000, 2**40)) == count
    assert len(threads.pieces(1000, 1)) == 1  # too little work to split


def test_set_num_threads_takes_blas_back_to_one_thread(restore_threads):
    """A library that raised BLAS's threads after npconv started: npconv.set_num_threads limits it again."""
    _convolve(1)
    threadpoolctl.threadpool_limits(2, user_api="blas")
    npconv.set_num_threads(2)
    assert set(_blas_thread_counts()) == {1}


@pytest.mark.parametrize("setter", ["set_num_threads", "set_num_interop_threads"])
@pytest.mark.parametrize("value", [0, -2, 2.5, "2", True])
def test_thread_setters_refuse_what_torch_refuses(setter, value):
    _, torch_error = assert_same_error(lambda m: getattr(m, setter)(value))
    with pytest.raises(RuntimeError) as ours:
        getattr(npconv, setter)(value)
    assert str(ours.value) == str(torch_error)


def test_interop_threads_are_accepted_once_as_in_torch():
    code = """if True:
        import npconv
        assert npconv.get_num_interop_threads() >= 1
        npconv.set_num_interop_threads(3)
        assert npconv.get_num_interop_threads() == 3
        try:
            npconv.set_num_interop_threads(2)
        except RuntimeError as error:
            print(error)
    """
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    import torch
    torch_out = subprocess.run([sys.executable, "-c", code.replace("npconv", "torch")], capture_output=True,
                               text=True, check=True)
    assert out.stdout == torch_out.stdout != ""


def _pooling_calls(m, x):
    F_ = m.nn.functional
    return [F_.max_pool2d(x, 3, 2, 1, return_indices=True)[0], F_.max_pool2d(x, 3, 2, 1, return_indices=True)[1],
            F_.avg_pool2d(x, 3, 2, 1), F_.adaptive_avg_pool2d(x, 5), F_.adaptive_max_pool2d(x, 4),
            F_.interpolate(x, scale_factor=2, mode="bilinear"), F_.interpolate(x, size=(7, 5), mode="bicubic")]


def test_pooling_and_interpolation_split_by_planes_give_the_serial_result(monkeypatch, restore_threads):
    """Split by planes over 3 threads (forced for small work), values, indices and gradients unchanged."""
    x = np.random.default_rng(0).standard_normal((3, 5, 13, 11))

    def run():
        tensor = npconv.from_numpy(x.copy()).requires_grad_()
        outputs = _pooling_calls(npconv, tensor)
        sum(o.sum() for o in outputs if o.dtype == npconv.float64).backward()
        return [o.detach().numpy() for o in outputs] + [tensor.grad.numpy()]

    npconv.set_num_threads(1)
    serial = run()
    npconv.set_num_threads(3)
    monkeypatch.setattr(threads, "PARALLEL_MIN_MACS", 0)
    pieces = []
    original = threads.run_parallel
    monkeypatch.setattr(threads, "run_parallel", lambda task, ranges: pieces.append(len(ranges)) or
                        original(task, ranges))
    threaded = run()
    assert pieces and min(pieces) == 3
    for ours, reference in zip(threaded, serial):
        np.testing.assert_array_equal(ours, reference)


def test_scratch_arrays_are_kept_per_thread_and_slot():
    """A kernel's work array comes back from the same memory on the next call (no fresh pages to fault
    in), grows when asked for more, and is never shared between threads or slots."""
    first = threads.scratch("test", (4, 5), np.float32)
    again = threads.scratch("test", (2, 3), np.float32)
    assert again.shape == (2, 3) and np.shares_memory(first, again)
    assert not np.shares_memory(first, threads.scratch("other test", (4, 5), np.float32))
    assert threads.scratch("test", (4, 5), np.float64).dtype == np.float64
    bigger = threads.scratch("test", (100,), np.float32)
    assert bigger.size == 100 and np.shares_memory(bigger, threads.scratch("test", (10,), np.float32))
    seen = {}
    thread = threading.Thread(target=lambda: seen.setdefault("array", threads.scratch("test", (4, 5), np.float32)))
    thread.start()
    thread.join()
    assert not np.shares_memory(seen["array"], bigger)


@pytest.mark.parametrize("shape", [(6, 4, 5, 3), (1, 7, 9), (2, 5, 3, 3, 3)])
def test_bias_and_its_gradient_split_over_threads_give_the_serial_result(shape, monkeypatch, restore_threads):
    """Split by images, or by channels for a batch smaller than the threads (batch-1 inference)."""
    from npconv.kernels import bias
    rng = np.random.default_rng(1)
    y, b = rng.standard_normal(shape), rng.standard_normal(shape[1])
    expected = y + b.reshape((1, -1) + (1,) * (len(shape) - 2))
    npconv.set_num_threads(3)
    monkeypatch.setattr(threads, "PARALLEL_MIN_COPY", 0)
    pieces = []
    original = threads.run_parallel
    monkeypatch.setattr(threads, "run_parallel", lambda task, ranges: pieces.append(len(ranges)) or
                        original(task, ranges))
    np.testing.assert_allclose(bias.add_bias(y, b), expected, rtol=1e-15)
    np.testing.assert_allclose(bias.bias_grad(expected), expected.sum(axis=(0,) + tuple(range(2, len(shape)))),
                               rtol=1e-12)
    assert pieces == [3, 3]


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_more_pieces_than_threads_run_in_turn_on_at_most_the_thread_setting(workers, restore_threads):
    """64 pieces (batch norm's channel blocks) give their results in order, on at most ``workers`` threads
    at once."""
    threads.set_num_threads(workers)
    names = set()

    def piece(bounds):
        names.add(threading.current_thread().name)
        return bounds[0]
    assert threads.run_parallel(piece, threads.split(64, 64)) == list(range(64))
    assert 1 <= len(names) <= workers
