"""How npconv's kernel split scales (benchmarks/scaling.py): every parallel region of one run timed piece by
piece on one core, and the wall time at more threads simulated from those pieces."""
import time

from .suite import SUITE, arrays, npconv_runner

__all__ = ["format_speedups", "profile_split", "makespan", "simulate_split", "scaling_rows", "format_scaling"]


def profile_split(case, threads_count, backward=False, repeat=3):
    """One run of ``case`` with npconv's thread setting at ``threads_count``, every parallel region of the
    kernels (``threads.run_parallel``) run piece by piece on this thread with each piece timed.

    Returns ``(total seconds, [piece seconds of each region])`` of the fastest of ``repeat`` runs."""
    import npconv
    from npconv.kernels import threads
    previous, run_parallel = npconv.get_num_threads(), threads.run_parallel
    regions = []
    inside = [False]  # a region opened inside a piece runs serially there, as threads.run_parallel runs it

    def timed_serially(task, pieces):
        if inside[0]:
            return [task(piece) for piece in pieces]
        times, results = [], []
        inside[0] = True
        try:
            for piece in pieces:
                begin = time.perf_counter()
                results.append(task(piece))
                times.append(time.perf_counter() - begin)
        finally:
            inside[0] = False
        regions.append(times)
        return results
    call = npconv_runner(case, *arrays(case))
    npconv.set_num_threads(threads_count)
    threads.run_parallel = timed_serially
    try:
        call(backward)
        best = None
        for _ in range(repeat):
            regions.clear()
            begin = time.perf_counter()
            call(backward)
            total = time.perf_counter() - begin
            if best is None or total < best[0]:
                best = (total, [list(r) for r in regions])
    finally:
        threads.run_parallel = run_parallel
        npconv.set_num_threads(previous)
    return best


def makespan(piece_times, threads_count):
    """Time of independent pieces on ``threads_count`` threads, longest first to the least loaded thread."""
    loads = [0.0] * threads_count
    for piece in sorted(piece_times, reverse=True):
        loads[loads.index(min(loads))] += piece
    return max(loads)


def simulate_split(total, regions, threads_count):
    """Simulated wall time at ``threads_count`` threads, the serial fraction and the pieces per thread of
    one profiled run: the time outside the regions stays, each region takes its pieces' makespan (memory
    bandwidth shared between cores is not modelled: an upper bound on the speedup)."""
    parallel = sum(sum(times) for times in regions)
    serial = max(0.0, total - parallel)
    simulated = serial + sum(makespan(times, threads_count) for times in regions)
    pieces = sum(len(times) for times in regions) / max(1, len(regions)) / threads_count
    return simulated, serial / total if total else 0.0, pieces


def scaling_rows(cases=SUITE, counts=(1, 2, 4, 8, 16), backward=False, repeat=3):
    """Per case and thread count: the kernels split for that count, profiled, and simulated."""
    rows = []
    for case in cases:
        base = None
        for count in counts:
            total, regions = profile_split(case, count, backward, repeat)
            simulated, serial_fraction, pieces = simulate_split(total, regions, count)
            base = base or simulated
            rows.append(dict(case=case.name, threads=count, regions=len(regions), pieces_per_thread=pieces,
                             serial_fraction=serial_fraction, simulated=simulated, speedup=base / simulated))
    return rows


def format_scaling(rows):
    lines = ["| shape | threads | regions | pieces per thread | serial fraction | simulated ms | speedup |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        lines.append(f"| {row['case']} | {row['threads']} | {row['regions']} | {row['pieces_per_thread']:.2f} | "
                     f"{row['serial_fraction']:.2f} | {row['simulated'] * 1e3:.2f} | {row['speedup']:.2f}x |")
    return "\n".join(lines)


def format_speedups(rows, counts=(1, 2)):
    """The measured speed-ups (``processes.speedups_in_processes``) as a Markdown table: per library the
    median at each thread count and the speed-up from the first count to the last."""
    libraries = [name for name in ("npconv", "torch") if any(name in row for row in rows)]
    head = ["shape"]
    for name in libraries:
        head += [f"{name} {count} thr ms" for count in counts] + [f"{name} speed-up"]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
    for row in rows:
        cells = [row["case"]]
        for name in libraries:
            medians = row.get(name)
            if medians:
                cells += [f"{m * 1e3:.2f}" for m in medians] + [f"{medians[0] / medians[-1]:.2f}x"]
            else:
                cells += ["-"] * (len(counts) + 1)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
