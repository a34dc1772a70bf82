"""How npconv's kernel split scales: per shape of the benchmark suite and per thread count (1 to 16), the
parallel regions the kernels open, the pieces per thread, the serial fraction (time outside the regions)
and the wall time simulated from timed pieces (see ``npconv.bench.simulate_split``).

Run it on an idle machine (it times the pieces one by one on one core, so the machine's core count does not
matter; memory bandwidth shared between cores is not modelled, so the speedups are upper bounds):

    python benchmarks/scaling.py --markdown benchmarks/SCALING.md
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
    parser.add_argument("--markdown", help="also write the table to this file")
    args = parser.parse_args(argv)
    counts = tuple(int(n) for n in args.threads.split(","))
    names = set(args.cases.split(",")) if args.cases else None
    cases = [case for case in bench.SUITE if names is None or case.name in names]
    title = "Forward + backward" if args.backward else "Forward"
    table = bench.format_scaling(bench.scaling_rows(cases, counts, args.backward, args.repeat))
    text = f"## {title}: the kernel split simulated for {', '.join(map(str, counts))} threads\n\n{table}\n"
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as out:
            out.write(f"Machine: {bench.machine_description()}\n\n{text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
