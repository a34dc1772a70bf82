"""Each library timed in a process of its own, the default of ``npconv bench``.

torch's OpenMP threads keep spinning for a while after a call and slow whatever runs next in the same
process, and one library's thread pools and BLAS settings leak into the other's: timings taken side by side
in one process favour whichever runs first.  Here a worker process per library (``python -m
npconv.bench.processes JOB``) times every case with the thread count set before anything runs, prints one
JSON line per case (wall and CPU time, output shape, npconv's peak memory) and saves each output for the
parent to compare.  The libraries run one after the other, never at once, in ``rounds`` alternating rounds;
each case keeps its best median over the rounds.
"""
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

from .models import model_rows, model_timings_of
from .suite import RUNNERS, Case, arrays, installed, peak_extra_bytes
from .timing import time_calls

__all__ = ["set_threads", "run_in_processes", "models_in_processes", "speedups_in_processes", "thread_medians",
           "worker"]

_PACKAGE_PARENT = str(pathlib.Path(__file__).resolve().parents[2])


def set_threads(count, library):
    """``count`` threads for ``library`` and the BLAS it calls (torch: also its OpenMP pool)."""
    try:
        import threadpoolctl
        threadpoolctl.threadpool_limits(count)
    except ImportError:
        pass
    if library == "npconv":
        import npconv
        npconv.set_num_threads(count)  # npconv's kernel pieces; BLAS at one thread inside each (after the above)
    elif library == "torch":
        import torch
        torch.set_num_threads(count)


def _case_fields(case):
    return dict(name=case.name, op=case.op, input_shape=case.input_shape, weight_shape=case.weight_shape,
                options=case.options)


def _case_from(fields):
    return Case(fields["name"], fields["op"], tuple(fields["input_shape"]), tuple(fields["weight_shape"]),
                fields["options"])


def worker(job):
    """The child's side: time what ``job`` asks for one library and print a JSON line per result."""
    library = job["library"]
    if job.get("threads"):
        set_threads(job["threads"], library)
    if job.get("algorithm"):
        from npconv import backends
        backends.conv_algorithm = job["algorithm"]
    if job["kind"] == "models":
        print(json.dumps(model_timings_of(library, job["repeat"])), flush=True)
        return
    if job["kind"] == "speedups":
        for fields in job["cases"]:
            medians = thread_medians(library, _case_from(fields), job["counts"], job["backward"], job["repeat"])
            print(json.dumps(dict(case=fields["name"], library=library, medians=medians)), flush=True)
        return
    for index, fields in enumerate(job["cases"]):
        print(json.dumps(_time_case(library, _case_from(fields), index, job)), flush=True)


def thread_medians(library, case, counts, backward, repeat, rounds=3):
    """Median seconds of one case at each thread count, in this process: ``rounds`` rounds, each timing
    ``repeat`` calls at every count in turn after an untimed call, after a first untimed round (torch's
    first calls of a shape in a process take 2-4x its later time).  A change of the machine's speed during
    the run reaches every count alike; switching counts call by call would restart torch's OpenMP team at
    each call."""
    call = RUNNERS[library](case, *arrays(case))
    times = {count: [] for count in counts}
    for number in range(rounds + 1):
        for count in counts:
            set_threads(count, library)
            call(backward)
            for _ in range(repeat):
                begin = time.perf_counter()
                call(backward)
                if number:
                    times[count].append(time.perf_counter() - begin)
    return [statistics.median(times[count]) for count in counts]


def speedups_in_processes(cases, counts=(1, 2), backward=False, repeat=5):
    """Rows ``{case, <library>: [median seconds per count]}``: npconv and torch each in its own process, each
    alternating its thread counts in rounds of ``repeat`` calls (``thread_medians``)."""
    names = ("npconv",) + (("torch",) if installed("torch") else ())
    rows = {case.name: dict(case=case.name) for case in cases}
    job = dict(kind="speedups", cases=[_case_fields(case) for case in cases], counts=list(counts),
               backward=backward, repeat=repeat)
    for name in names:
        for record in _records(dict(job, library=name), None):
            rows[record["case"]][name] = record["medians"]
    return list(rows.values())


def _time_case(library, case, index, job):
    record = dict(case=case.name, library=library)
    try:
        call = RUNNERS[library](case, *arrays(case))
        if call is None:  # the library has no such convolution
            return record
        output = call(job["backward"])
    except Exception as error:  # another library that cannot run a case leaves its cell blank
        return dict(record, error=f"{type(error).__name__}: {error}")
    np.save(os.path.join(job["out"], f"{library}-{index}.npy"), output)
    record["wall"], record["cpu"] = time_calls(lambda: call(job["backward"]), job["repeat"])
    record["out_shape"] = list(output.shape)
    if library == "npconv":
        record["memory"] = peak_extra_bytes(lambda: call(job["backward"]))
    return record


def _records(job, threads):
    """Run one worker process and yield its JSON lines as they come."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [_PACKAGE_PARENT, os.environ.get("PYTHONPATH")])))
    if threads:
        env.update(OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    command = [sys.executable, "-m", "npconv.bench.processes", json.dumps(dict(job, threads=threads))]
    with tempfile.TemporaryFile("w+") as errors:  # a file, not a pipe: a chatty child cannot block on it
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True, env=env) as child:
            for line in child.stdout:
                yield json.loads(line)
        if child.returncode:
            errors.seek(0)
            raise RuntimeError(f"the {job['library']} benchmark process failed:\n{errors.read()[-2000:]}")


def run_in_processes(cases, backward=False, repeat=7, libraries=(), threads=None, clock="wall", algorithm=None,
                     rounds=2, progress=None):
    """Report rows (as ``run_suite``'s, plus ``<library>_cores``: CPU time over wall time) with every library in its own process."""
    names = ("npconv",) + (("torch",) if installed("torch") else ()) + tuple(libraries)
    best = {name: {} for name in names}
    per_round = {name: {} for name in names}  # every round's time of every case: the spread between rounds
    with tempfile.TemporaryDirectory() as out:
        job = dict(kind="cases", cases=[_case_fields(case) for case in cases], backward=backward, repeat=repeat,
                   out=out, algorithm=algorithm)
        for _ in range(rounds):
            for name in names:
                for record in _records(dict(job, library=name, algorithm=algorithm if name == "npconv" else None),
                                       threads):
                    if "wall" not in record:
                        continue
                    per_round[name].setdefault(record["case"], []).append(record[clock])
                    kept = best[name].get(record["case"])
                    if kept is None or record[clock] < kept[clock]:
                        best[name][record["case"]] = record
                        if progress:
                            progress(name, record)
        rows = [_row(case, index, backward, best, clock, out) for index, case in enumerate(cases)]
    for row in rows:
        if row.get("torch"):
            mine, theirs = (per_round[name][row["case"].name] for name in ("npconv", "torch"))
            row["round_ratios"] = [a / b for a, b in zip(mine, theirs)]
    return rows


def _row(case, index, backward, best, clock, out):
    mine = best["npconv"][case.name]
    x, w = arrays(case)
    y = np.load(os.path.join(out, f"npconv-{index}.npy"))
    row = dict(case=case, backward=backward, out_shape=tuple(mine["out_shape"]), memory=mine["memory"],
               io_bytes=x.nbytes + w.nbytes + y.nbytes)
    for name, records in best.items():
        record = records.get(case.name)
        row[name] = record[clock] if record else None
        row[f"{name}_cores"] = record["cpu"] / record["wall"] if record else None
    if row.get("torch"):
        expected = np.load(os.path.join(out, f"torch-{index}.npy"))
        row["error"] = float(np.abs(y - expected).max() / max(1e-30, np.abs(expected).max()))
    row["gflops"] = 2 * case.macs(y.shape) * (3 if backward else 1) / row["npconv"] / 1e9
    return row


def models_in_processes(repeat=5, threads=None, rounds=1):
    """The whole-model rows, npconv and torch each in its own process, in ``rounds`` alternating rounds: each
    model keeps its best time, and (with torch) each round's ratio in ``round_ratios``."""
    names = ("npconv",) + (("torch",) if installed("torch") else ())
    per_round = []
    for _ in range(rounds):
        per_library = {}
        for name in names:
            (timings,) = _records(dict(kind="models", library=name, repeat=repeat), threads)
            per_library[name] = {model: tuple(result) for model, result in timings.items()}
        per_round.append(model_rows(per_library))
    rows = {name: dict(row) for name, row in per_round[0].items()}  # the first round's errors, the best times
    for name, row in rows.items():
        for library in names:
            times = [r[name][library] for r in per_round if r[name].get(library)]
            row[library] = min(times) if times else None
        ratios = [r[name]["npconv"] / r[name]["torch"] for r in per_round
                  if r[name].get("npconv") and r[name].get("torch")]
        if rounds > 1 and len(ratios) == rounds:
            row["round_ratios"] = ratios
    return rows


if __name__ == "__main__":
    worker(json.loads(sys.argv[1]))
