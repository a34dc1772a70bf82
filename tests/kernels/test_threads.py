"""The kernel threads: BLAS's limit taken once (never per call), the thread count read once, the forced
algorithm per thread."""
import os
import subprocess
import sys
import threading

import numpy as np
import threadpoolctl

import npconv
from npconv import kernels
from npconv.kernels import chooser, threads
from npconv.nn import functional as F

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


def test_blas_limit_is_never_taken_per_call(monkeypatch):
    _convolve(1)
    calls = []
    monkeypatch.setattr(threadpoolctl.ThreadpoolController, "limit", lambda *a, **k: calls.append(a))
    monkeypatch.setenv("NPCONV_NUM_THREADS", "2")
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
