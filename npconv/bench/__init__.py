"""``npconv bench``: npconv's convolutions timed beside torch (and other NumPy libraries).

Every library runs the same float32 case with the same thread count, by default each in a process of its
own (``processes``; ``--same-process`` keeps them in one); a time is the median of repetitions. For each
case of the fixed suite (the shapes of issue 12, ``suite``) the table gives npconv's time, GFLOP/s, the
ratio to torch's time, the max relative error against torch, npconv's peak extra memory (tracemalloc sees
NumPy's allocations), the cores each library kept busy (CPU time over wall time) and the ratio of each other
installed library; the geometric means close it. ``--models`` adds a LeNet training epoch and a ResNet-18
forward (``models``); ``scaling`` simulates the kernels' split at more threads than the machine has, and
``speedups_in_processes`` measures each library's own 1 -> 2 thread speed-up, the counts alternating.

Usage: ``npconv bench [--quick] [--backward] [--threads N] [--cases 3x3,1x1] [--algorithm winograd]
[--markdown FILE]``.
"""
from .command import add_arguments, run
from .models import lenet_epoch, model_timings
from .processes import run_in_processes, speedups_in_processes
from .report import format_models, format_table, geomean, machine_description
from .scaling import format_scaling, format_speedups, makespan, profile_split, scaling_rows, simulate_split
from .suite import SUITE, Case, run_case, run_suite
from .timing import time_calls, time_median, time_pair

__all__ = ["Case", "SUITE", "time_median", "time_pair", "time_calls", "run_case", "run_suite", "run_in_processes",
           "format_table", "format_models", "geomean", "machine_description", "lenet_epoch", "model_timings",
           "add_arguments", "run", "profile_split", "makespan", "simulate_split", "scaling_rows", "format_scaling",
           "speedups_in_processes", "format_speedups"]
