"""npconv's thread setting, and the kernel threads that run independent pieces of a kernel at once.

BLAS parallelises only the GEMMs; the copies and additions around them (column tiles, phase splits,
Winograd transforms, pooling windows, interpolation taps) are single-threaded NumPy.  NumPy releases the GIL
in both, so splitting a kernel's work over a few Python threads, each running single-threaded BLAS, uses
every core for all of the work.

One setting, as torch has: ``set_num_threads(n)`` / ``get_num_threads()`` (re-exported as
``npconv.set_num_threads``...).  Its initial value is read once, when the kernel threads start (the first
kernel call): ``NPCONV_NUM_THREADS`` if set, else the thread count of the BLAS that NumPy calls at that
moment (``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``, a ``threadpoolctl.threadpool_limits`` taken before
the first convolution).  A BLAS library that loads later (scipy's own OpenBLAS) changes nothing.

BLAS's thread limit is taken once, when the kernel threads start: the BLAS libraries loaded then run one
thread per call from then on, since npconv splits the work itself (several multi-threaded GEMMs at once
would contend for BLAS's own pool).  It is never taken and restored per call: a process-wide setting
changed by every call races between user threads (dask workers, a web server) and can leave BLAS at a count
nobody asked for.  Without threadpoolctl (an optional dependency) npconv cannot take BLAS's limit: the
pieces then run one after the other and BLAS keeps its own threads.
"""
import concurrent.futures
import contextvars
import ctypes
import functools
import math
import numbers
import os
import platform
import threading

import numpy as np

__all__ = ["set_num_threads", "get_num_threads", "set_num_interop_threads", "get_num_interop_threads",
           "start", "workers", "malloc_settings", "run_parallel", "pieces", "split", "blocks", "over_blocks",
           "assign", "zeros", "scratch", "over_planes", "PARALLEL_MIN_MACS", "PARALLEL_MIN_COPY"]

_THREAD_PREFIX = "npconv-kernel"
_state = {"controller": None, "count": None, "interop": None, "pool": None, "pool_size": 0, "malloc": None}
_lock = threading.Lock()

# Below this many multiply-adds (or element operations) a kernel runs on one thread: a piece must be long
# enough for NumPy/BLAS to hold the GIL released for most of its time, and dispatching costs ~50 us.
PARALLEL_MIN_MACS = 4 * 2**20
# Copies (and other one-pass element work) split only from this many elements: a call of two pieces costs
# 60-70 us here, the time of copying a million floats.  Measured, wall, idle, 1 -> 2 threads, ``assign`` /
# ``zeros``: 2**18 elements 26 -> 83 / 22 -> 77 us, 2**19 49 -> 102 / 41 -> 110, 2**20 94 -> 120 / 78 -> 110,
# 2**21 252 -> 172 / 152 -> 146; bias_grad at 2**21 330-390 -> 245-290 (at 2**18, the 3-d layer's forward +
# backward spent 0.84 ms in eight split copies of this size or less).
PARALLEL_MIN_COPY = 2**21


def _checked_count(value, name):
    """torch's checks of a thread count: an int (not a bool), positive."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise RuntimeError(f"{name} expects an int, but got {type(value).__name__}")
    if value <= 0:
        raise RuntimeError(f"{name} expects a positive integer")
    return int(value)


def set_num_threads(count):
    """Set the number of threads npconv's kernels use (as ``torch.set_num_threads``): the pieces of every
    convolution, pooling and interpolation kernel run on up to ``count`` threads, BLAS on one thread each
    (this call takes BLAS's one-thread limit again, in case something raised it since)."""
    count = _checked_count(count, "set_num_threads")
    start()
    with _lock:
        _state["count"] = count
        _limit_blas(_controller(refresh=True))  # BLAS libraries loaded since the start included


def get_num_threads():
    """The number of threads npconv's kernels use (as ``torch.get_num_threads``)."""
    return workers()


def set_num_interop_threads(count):
    """Accepted as ``torch.set_num_interop_threads`` (npconv runs no inter-op parallelism): checked, kept
    for ``get_num_interop_threads``, and refused a second time as torch refuses it."""
    count = _checked_count(count, "set_num_interop_threads")
    with _lock:
        if _state["interop"] is not None:
            raise RuntimeError("Error: cannot set number of interop threads after parallel work has started or "
                               "set_num_interop_threads called")
        _state["interop"] = count


def get_num_interop_threads():
    """The inter-op thread count (as ``torch.get_num_interop_threads``): the value set, else the CPU count."""
    return _state["interop"] or os.cpu_count() or 1


def _controller(refresh=False):
    """threadpoolctl's controller of the libraries loaded (``refresh``: now), or False without threadpoolctl."""
    if _state["controller"] is None or (refresh and _state["controller"]):
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


def _initial_count(controller):
    override = os.environ.get("NPCONV_NUM_THREADS", "").strip()
    if override:
        return max(1, int(override))
    counts = [lib.get_num_threads() or 1 for lib in _numpy_blas(controller)] if controller else []
    return max(1, min(counts, default=1))


# glibc's malloc hands freed blocks of more than M_MMAP_THRESHOLD (128 KB at start) back to the system and
# trims the top of its heap past M_TRIM_THRESHOLD, so the next kernel call's arrays of that size are fresh
# pages, each first touch a page fault (about a microsecond apiece on this VM: 1,000-5,000 a call in
# forward+backward).  glibc raises both limits itself after the first large free, up to 32 MB / 64 MB;
# npconv sets those maxima from the start (and keeps them fixed).  Measured, one thread, CPU time, each
# case in its own process as the benchmark runs them: 3x3 mid-channel forward (a process's first case)
# 16.5-17.2 -> 12.7-13.6 ms, depthwise 3x3 forward+backward 28.5-39 -> 26-27.5 ms (after other cases or
# not), the rest within the noise.  ``NPCONV_MALLOC=default`` keeps glibc's own behaviour.
MALLOC_SETTINGS = {"M_MMAP_THRESHOLD": (-3, 32 * 2**20), "M_TRIM_THRESHOLD": (-1, 64 * 2**20)}
MALLOC_ENVIRONMENT_VARIABLE = "NPCONV_MALLOC"


def _glibc_mallopt():
    """glibc's ``mallopt``, or None on another C library (musl, macOS, Windows)."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return None


def _tune_malloc(mallopt, environ=os.environ):
    """Apply MALLOC_SETTINGS through ``mallopt`` unless the environment opts out or there is no glibc;
    returns the names of the settings applied (as ``malloc_settings`` reports them)."""
    if mallopt is None or environ.get(MALLOC_ENVIRONMENT_VARIABLE, "").strip().lower() == "default":
        return {}
    return {name: value for name, (option, value) in MALLOC_SETTINGS.items() if mallopt(option, value) == 1}


def malloc_settings():
    """The malloc settings npconv applied when its kernels started ({} if none: opted out, or no glibc)."""
    start()
    return dict(_state["malloc"])


def start():
    """Start the kernel threads, once: read the initial thread count, take BLAS's one-thread limit (see
    the module docstring) and set malloc's thresholds (MALLOC_SETTINGS).  Cheap after the first call."""
    if _state["count"] is None:
        with _lock:
            if _state["count"] is None:
                _state["malloc"] = _tune_malloc(_glibc_mallopt())
                controller = _controller()
                count = _initial_count(controller)
                _limit_blas(controller)
                _state["count"] = count


def _limit_blas(controller):
    """BLAS at one thread from now on (the returned context is never exited); nothing without threadpoolctl."""
    if controller:
        controller.limit(limits=1, user_api="blas")


def workers():
    """Threads a kernel may use: npconv's thread setting (1 without threadpoolctl, which would leave every
    piece's GEMMs contending for BLAS's own threads)."""
    start()
    return _state["count"] if _controller() else 1


def pieces(count, macs, minimum=None):
    """``count`` units of work as contiguous ranges, one per worker thread, or one range when the work
    (``macs`` multiply-adds) is too small to pay for the dispatch (below ``minimum``, default
    PARALLEL_MIN_MACS; PARALLEL_MIN_COPY for copies, counted in elements)."""
    return split(count, workers() if macs >= (PARALLEL_MIN_MACS if minimum is None else minimum) else 1)


def assign(target, source):
    """``target[...] = source`` for two ``(A, B, ...)`` arrays of the same shape (channels first: the
    kernels' phase copies), split over the kernel threads along A, or B when A has fewer entries."""
    def copy(part):
        target[part] = source[part]
    _split_copy(target.shape, target.size, copy)


def zeros(shape, dtype):
    """``np.zeros(shape, dtype)`` for a kernel's padded copies, written by the kernel threads: a large
    ``np.zeros`` reuses freed memory with one serial memset, the one part of a parallel copy left serial."""
    out = np.empty(shape, dtype=dtype)

    def clear(part):
        out[part] = 0
    _split_copy(out.shape, out.size, clear)
    return out


def _split_copy(shape, elements, task):
    """``task(index)`` over parts of an ``(A, B, ...)`` array: the whole array when it is small, else ranges
    of A (or of B when A has fewer entries than the threads) on the kernel threads."""
    ranges = pieces(shape[0] * shape[1], elements, PARALLEL_MIN_COPY) if len(shape) >= 2 else [(0, 1)]
    if len(ranges) < 2:
        task(Ellipsis)
        return
    axis = 0 if shape[0] >= len(ranges) else 1
    run_parallel(lambda piece: task((slice(None),) * axis + (slice(*piece),)), split(shape[axis], len(ranges)))


def split(count, parts):
    """``count`` items as at most ``parts`` contiguous (start, stop) ranges of near-equal size."""
    parts = max(1, min(parts, count))
    bounds = [count * i // parts for i in range(parts + 1)]
    return [(bounds[i], bounds[i + 1]) for i in range(parts) if bounds[i] < bounds[i + 1]]


def blocks(batch, channels, parts, max_images=None):
    """About ``parts`` (image range, channel range) blocks: images first (every GEMM keeps all its rows),
    the channels split too when there are fewer images than parts; and at most ``max_images`` images per
    block, so that a block's work arrays stay in cache.  The number of image ranges is a multiple of
    ``parts`` when the batch allows it, so that every thread gets as many blocks (3 blocks on 2 threads
    would leave one thread idle for a third of the time)."""
    image_parts = max(parts, -(-batch // max_images) if max_images else 1)
    image_parts = min(batch, -(-image_parts // parts) * parts)
    channel_parts = min(channels, -(-parts // image_parts))
    return [(images, rows) for images in split(batch, image_parts) for rows in split(channels, channel_parts)]


def over_blocks(task, batch, channels, macs, image_bytes, block_bytes):
    """``task(block)`` for every ``blocks`` block of a kernel of ``macs`` multiply-adds whose work arrays take
    ``image_bytes`` per image (all channels), at most ``block_bytes`` a block: each kernel thread runs an
    equal run of blocks, one after the other (the input gradients' per-block col2im)."""
    parts = len(pieces(2**30, macs))
    work = blocks(batch, channels, parts, max(1, block_bytes // max(1, image_bytes)))

    def run_blocks(piece):
        for block in work[piece[0]:piece[1]]:
            task(block)
    run_parallel(run_blocks, split(len(work), parts))


_thread_scratch = threading.local()


def scratch(slot, shape, dtype):
    """The calling thread's work array ``slot`` as an uninitialised ``shape`` array, kept between calls.

    Kernels take their per-piece temporaries (column tiles, products, transformed chunks) from here: a
    fresh NumPy array of a few hundred KB or more is fresh memory from the system (glibc hands freed blocks
    of that size back), so every call would fault its pages in again.  A slot grows to the largest request
    and stays (bounded by the kernels' tile and chunk sizes); the caller must not ask for the same slot
    again while it still uses the array.
    """
    buffers = _thread_scratch.__dict__.setdefault("buffers", {})
    count = math.prod(shape)
    key = (slot, np.dtype(dtype))
    buffer = buffers.get(key)
    if buffer is None or buffer.size < count:
        buffer = buffers[key] = np.empty(count, dtype=dtype)
    return buffer[:count].reshape(shape)


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


_in_piece = threading.local()  # .active: this thread is running a piece (nested calls then run serially)


def run_parallel(task, pieces):
    """``[task(piece) for piece in pieces]``, the pieces on separate threads when there are several.

    At most ``workers()`` threads run at once: more pieces than that (a kernel's cache-sized blocks) are
    grouped into one contiguous run per thread, each run's pieces one after the other.  (One pool thread per
    piece grew the pool to 64 threads for batch norm's channel blocks, and every later call's two pieces then
    woke two of those 64 threads: ResNet-18's batch-1 forward 45 -> 37 ms at 2 threads once fixed.)
    The calling thread runs the first run itself while the pool runs the others: one thread fewer to wake per
    call (about 15 us of the 55-150 us a call of two pieces costs on this VM, interleaved, 2**18-2**22 floats).
    Nested calls (from inside a piece) run serially; exceptions propagate; each piece runs in a copy of the
    caller's context (its NumPy errstate included).
    """
    pieces = list(pieces)
    runs = split(len(pieces), workers())
    if len(runs) < 2 or getattr(_in_piece, "active", False):
        return [task(piece) for piece in pieces]
    caller = contextvars.copy_context()  # NumPy's errstate lives in context variables

    def run_of_pieces(bounds):
        _in_piece.active = True
        try:
            return [task(piece) for piece in pieces[bounds[0]:bounds[1]]]
        finally:
            _in_piece.active = False

    def in_caller_context(bounds):
        return caller.copy().run(run_of_pieces, bounds)
    others = [_pool(len(runs) - 1).submit(in_caller_context, bounds) for bounds in runs[1:]]
    try:
        first = run_of_pieces(runs[0])
    finally:
        rest = [future.result() for future in others]  # waited for even when the first run raised
    return first + [result for results in rest for result in results]


def over_planes(cost, arrays=1):
    """Decorator for a kernel whose first ``arrays`` arguments are ``(N, C, ...)`` arrays and whose every
    output plane depends only on the same plane of the inputs (pooling, resampling): when ``cost(*args)``
    (element operations) is large, the N * C planes are split over the kernel threads, each piece a call of
    the kernel on ``(planes, 1, ...)`` slices, and the results (arrays, or tuples of arrays and None) are
    joined back into ``(N, C, ...)``."""
    def decorate(kernel):
        @functools.wraps(kernel)
        def split_by_planes(*args, **kwargs):
            lead = args[0].shape[:2]
            ranges = pieces(math.prod(lead), cost(*args, **kwargs)) if args[0].ndim >= 3 else [(0, 1)]
            if len(ranges) < 2:
                return kernel(*args, **kwargs)
            planes = [a.reshape((-1, 1) + a.shape[2:]) for a in args[:arrays]]

            def run(piece):
                return kernel(*(a[piece[0]:piece[1]] for a in planes), *args[arrays:], **kwargs)
            return _joined(run_parallel(run, ranges), lead)
        return split_by_planes
    return decorate


def _joined(results, lead):
    """The per-piece results of ``over_planes`` as one result with leading dims ``lead``."""
    def join(parts):
        if parts[0] is None:
            return None
        return np.concatenate(parts).reshape(tuple(lead) + parts[0].shape[2:])
    if isinstance(results[0], tuple):
        return tuple(join([result[i] for result in results]) for i in range(len(results[0])))
    return join(results)
