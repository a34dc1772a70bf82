"""Run independent pieces of a convolution on npconv's own threads, BLAS single-threaded inside each.

BLAS parallelises only the GEMMs; the copies and additions around them (column tiles, phase splits,
Winograd transforms) are single-threaded NumPy.  NumPy releases the GIL in both, so splitting a kernel's
tiles over a few Python threads, each running single-threaded BLAS, uses every core for all of the work.

The thread count is read once, at the first kernel call: ``NPCONV_NUM_THREADS`` if set (read on every
call, for tests and benchmarks), else the thread count of the BLAS that NumPy calls at that moment
(``OMP_NUM_THREADS``, threadpoolctl's ``threadpool_limits`` before the first convolution).  A BLAS library
that loads later (scipy's own OpenBLAS) does not change it.

BLAS's thread limit is taken once, when the kernel threads start (the first kernel call, which also
reads the thread count, before any pool exists): the BLAS libraries loaded then run
one thread per call from then on, as the pieces need (a multi-threaded GEMM on each of several threads
would contend for BLAS's own pool).  It is never taken and restored per call: a process-wide setting
changed by every call races between user threads (dask workers, a web server) and can leave BLAS at a
count nobody asked for.  Without threadpoolctl (an optional dependency) the pieces run one after the other
and BLAS keeps its threads.
"""
import concurrent.futures
import contextvars
import os
import threading

__all__ = ["start", "workers", "run_parallel", "pieces", "split", "PARALLEL_MIN_MACS"]

_THREAD_PREFIX = "npconv-kernel"
_state = {"controller": None, "default": None, "pool": None, "pool_size": 0, "limited": False}
_lock = threading.Lock()


def _controller():
    if _state["controller"] is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            _state["controller"] = False
        else:
            _state["controller"] = ThreadpoolController()
    return _state["controller"]


def _numpy_blas(controller):
    """The BLAS controllers of the libraries NumPy calls (those shipped inside NumPy, else every BLAS)."""
    blas = [lib for lib in controller.lib_controllers if lib.user_api == "blas"]
    numpy_libraries = [lib for lib in blas if "numpy" in os.path.basename(os.path.dirname(lib.filepath))]
    return numpy_libraries or blas


def start():
    """Start the kernel threads, once: read the default thread count (that of NumPy's BLAS, 1 without
    threadpoolctl) and take BLAS's one-thread limit.  Returns the default count; cheap after the first call."""
    if _state["default"] is None:
        with _lock:
            if _state["default"] is None:
                controller = _controller()
                counts = [lib.get_num_threads() or 1 for lib in _numpy_blas(controller)] if controller else []
                if controller:
                    _limit_blas_once(controller)
                _state["default"] = max(1, min(counts, default=1))
    return _state["default"]


def workers():
    """Threads a kernel may use: NPCONV_NUM_THREADS, else the count taken at the first call."""
    default = start()
    override = os.environ.get("NPCONV_NUM_THREADS", "").strip()
    return max(1, int(override)) if override else default


# Below this many multiply-adds a kernel runs on one thread: dispatching pieces would cost more.
PARALLEL_MIN_MACS = 4 * 2**20


def pieces(count, macs):
    """``count`` units of work as contiguous ranges, one per worker thread, or one range when the work
    (``macs`` multiply-adds) is too small to pay for the dispatch."""
    return split(count, workers() if macs >= PARALLEL_MIN_MACS else 1)


def split(count, parts):
    """``count`` items as at most ``parts`` contiguous (start, stop) ranges of near-equal size."""
    parts = max(1, min(parts, count))
    bounds = [count * i // parts for i in range(parts + 1)]
    return [(bounds[i], bounds[i + 1]) for i in range(parts) if bounds[i] < bounds[i + 1]]


def _limit_blas_once(controller):
    """Take BLAS's one-thread limit for good, when the kernel threads start (see the module docstring)."""
    if not _state["limited"]:
        controller.limit(limits=1, user_api="blas")  # kept: the returned context is never exited
        _state["limited"] = True


def _pool(size):
    """The kernel thread pool, at least ``size`` threads (started on first use, grown when asked for more)."""
    with _lock:
        if _state["pool_size"] < size:
            previous = _state["pool"]
            _state["pool"] = concurrent.futures.ThreadPoolExecutor(size, thread_name_prefix=_THREAD_PREFIX)
            _state["pool_size"] = size
            if previous is not None:
                previous.shutdown(wait=False)
        return _state["pool"]


def run_parallel(task, pieces):
    """``[task(piece) for piece in pieces]``, the pieces on separate threads when there are several.

    Nested calls (from inside a piece) run serially; exceptions propagate; each piece runs in a copy of the
    caller's context (its NumPy errstate included).
    """
    pieces = list(pieces)
    if len(pieces) < 2 or not _controller() or threading.current_thread().name.startswith(_THREAD_PREFIX):
        return [task(piece) for piece in pieces]
    caller = contextvars.copy_context()  # NumPy's errstate lives in context variables

    def in_caller_context(piece):
        return caller.copy().run(task, piece)
    return list(_pool(len(pieces)).map(in_caller_context, pieces))
