"""How a time is taken: a clock (wall or process CPU time) and the median of repetitions, two functions in
blocks or call by call."""
import statistics
import time

__all__ = ["CLOCKS", "set_clock", "clock", "time_median", "time_pair", "time_calls"]

# "wall": elapsed time (what a user waits for); "cpu": this process's CPU time, steadier on a machine
# shared with other jobs but only comparable between single-threaded runs.
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
_clock = [time.perf_counter]


def set_clock(name):
    """Time with ``CLOCKS[name]`` from now on."""
    _clock[0] = CLOCKS[name]


def clock():
    """The current reading of the chosen clock."""
    return _clock[0]()


def time_median(fn, repeat=7, min_seconds=0.0, warmup=1):
    """Median time of ``fn()`` over ``repeat`` runs after ``warmup`` untimed ones (more runs if under
    min_seconds)."""
    for _ in range(warmup):
        fn()
    times = []
    start = clock()
    while len(times) < repeat or clock() - start < min_seconds:
        begin = clock()
        fn()
        times.append(clock() - begin)
        if len(times) >= 10 * repeat:
            break
    return statistics.median(times)


def time_pair(first, second, repeat=7, interleave=False):
    """Median times of two functions, each after a warm-up.

    By default in blocks: all runs of ``first``, then all runs of ``second``. When calls alternate one by
    one, the worker threads a library leaves spinning after its call (OpenMP, OpenBLAS) steal a core from
    the other library's next call, which on an idle machine penalises whichever runs second.
    ``interleave=True`` alternates call by call instead, so that both see the same conditions when other
    jobs load the machine."""
    if not interleave:
        return time_median(first, repeat), time_median(second, repeat)
    first()
    second()
    times = ([], [])
    for _ in range(repeat):
        for fn, bucket in zip((first, second), times):
            begin = clock()
            fn()
            bucket.append(clock() - begin)
    return statistics.median(times[0]), statistics.median(times[1])




# Untimed calls before a case's timed ones, for every library alike: torch's first calls of a shape in a
# process take 2-4x its later time (grouped 3x3 at 2 threads: 7.1, then 3.7, ..., 2.8 ms), and with one
# warm-up the slow ones reached the median of 7.
WARMUP_CALLS = 3


def time_calls(fn, repeat=7, warmup=WARMUP_CALLS):
    """Median wall time and median process CPU time of ``fn()`` over ``repeat`` runs after ``warmup``
    untimed ones: CPU time over wall time shows how many cores a call really kept busy."""
    for _ in range(warmup):
        fn()
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)
