"""Run independent pieces of a convolution on several threads, BLAS single-threaded inside each.

BLAS parallelises only the GEMMs; the copies and additions around them (column tiles, phase splits,
Winograd transforms) are single-threaded NumPy.  NumPy releases the GIL in both, so splitting a kernel's
tiles over a few Python threads, each running single-threaded BLAS, uses every core for all of the work.
The thread count follows BLAS's own setting (``OMP_NUM_THREADS``, threadpoolctl, ``npconv bench
--threads``); ``NPCONV_NUM_THREADS`` overrides it.  Without threadpoolctl (an optional dependency) the
pieces run one after the other and BLAS keeps its threads.
"""
import concurrent.futures
import os
import threading

__all__ = ["workers", "run_parallel", "split"]

_state = {"controller": None, "pool": None, "pool_size": 0}
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


def workers():
    """Threads a kernel may use: NPCONV_NUM_THREADS, else BLAS's thread count; 1 without threadpoolctl."""
    controller = _controller()
    if not controller:
        return 1
    override = os.environ.get("NPCONV_NUM_THREADS", "").strip()
    if override:
        return max(1, int(override))
    blas = [lib for lib in controller.lib_controllers if lib.user_api == "blas"]
    return max([1] + [lib.get_num_threads() or 1 for lib in blas])


def split(count, parts):
    """``count`` items as at most ``parts`` contiguous (start, stop) ranges of near-equal size."""
    parts = max(1, min(parts, count))
    bounds = [count * i // parts for i in range(parts + 1)]
    return [(bounds[i], bounds[i + 1]) for i in range(parts) if bounds[i] < bounds[i + 1]]


def _pool(size):
    with _lock:
        if _state["pool_size"] < size:
            _state["pool"] = concurrent.futures.ThreadPoolExecutor(size, thread_name_prefix="npconv")
            _state["pool_size"] = size
        return _state["pool"]


def run_parallel(task, pieces):
    """``[task(piece) for piece in pieces]``, the pieces on separate threads when there are several.

    Nested calls (from inside a piece) run serially; exceptions propagate.
    """
    pieces = list(pieces)
    if threading.current_thread().name.startswith("npconv"):
        return [task(piece) for piece in pieces]
    controller = _controller()
    if not controller:
        return [task(piece) for piece in pieces]
    # BLAS single-threaded even for one piece: small GEMMs gain little from BLAS threads, and on a machine
    # shared with other jobs spinning BLAS threads can be many times slower than one thread
    with controller.limit(limits=1, user_api="blas"):
        if len(pieces) < 2:
            return [task(piece) for piece in pieces]
        return list(_pool(len(pieces)).map(task, pieces))
