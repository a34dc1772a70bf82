"""How npconv's kernel split scales.  First, measured: each library's own speed-up from 1 to 2 threads per
shape of the benchmark suite, npconv and torch each in its own process, the thread count alternating in
rounds (see ``npconv.bench.speedups_in_processes``).  Then simulated, per thread count (1 to 16): the
parallel regions the kernels open, the pieces per thread, the serial fraction (time outside the regions)
and the wall time simulated from timed pieces (see ``npconv.bench.simulate_split``).

Run it on an idle machine with at least two cores (the measured speed-ups use them; the simulation times the
pieces one by one on one core, and does not model memory bandwidth shared between cores, so its speedups
are upper bounds):

    python benchmarks/scaling.py --markdown benchmarks/SCALING.md
    python benchmarks/scaling.py --backward --markdown benchmarks/SCALING-backward.md
"""
import argparse
import sys

from npconv import bench


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1,2,4,8,16", help="thread counts to simulate (comma-separated)")
    parser.add_argument("--cases", help="comma-separated case names (default: the whole suite)")
    parser.add_argument("--backward", action="store_true", help="forward + backward instead of forward")
    parser.add_argument("--repeat", type=int, default=3, help="runs per point (the fastest is kept)")
    parser.add_argument("--alternations", type=int, default=5,
                        help="calls at each thread count per round of the measured speed-ups (3 rounds; default 5)")
    parser.add_argument("--markdown", help="also write the tables to this file")
    args = parser.parse_args(argv)
    counts = tuple(int(n) for n in args.threads.split(","))
    names = set(args.cases.split(",")) if args.cases else None
    cases = [case for case in bench.SUITE if names is None or case.name in names]
    title = "Forward + backward" if args.backward else "Forward"
    measured = bench.format_speedups(bench.speedups_in_processes(cases, (1, 2), args.backward, args.alternations))
    sections = [f"## {title}: each library's own speed-up from 1 to 2 threads, measured (each library in its own "
                f"process; median of 3 rounds of {args.alternations} calls at each count in turn)\n\n{measured}\n"]
    print(sections[-1], flush=True)
    table = bench.format_scaling(bench.scaling_rows(cases, counts, args.backward, args.repeat))
    sections.append(f"## {title}: the kernel split simulated for {', '.join(map(str, counts))} threads\n\n{table}\n")
    print(sections[-1])
    text = "\n".join(sections)
    if args.markdown:
        with open(args.markdown, "w") as out:
            out.write(f"Machine: {bench.machine_description()}\n\n{text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
