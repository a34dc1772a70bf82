"""Run the differential fuzz of tests/fuzz at scale and print the mismatch rate per target.

    PYTHONPATH=. python tools/fuzz_report.py --examples 200            # every target, 200 cases each
    PYTHONPATH=. python tools/fuzz_report.py --examples 500 Conv2d MaxPool2d --show 5

Each target runs in its own process (a hang in NumPy's C code cannot be interrupted from Python), with a
wall-clock limit per target. Kinds of mismatch: see tests/fuzz/engine.py.
"""
import argparse
import json
import multiprocessing
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))


def _one_target(target, examples, seed, show, queue):
    from tests.fuzz.targets import tally
    counts, samples = tally(target, examples, seed=seed, keep=show)
    queue.put((dict(counts), {k: v for k, v in samples.items()}))


def run_target(target, examples, seed, show, limit):
    queue = multiprocessing.Queue()
    process = multiprocessing.Process(target=_one_target, args=(target, examples, seed, show, queue))
    process.start()
    process.join(limit)
    if process.is_alive():
        process.kill()
        process.join()
        return {"hang": 1}, {"hang": [("the whole target", f"did not finish in {limit} s")]}
    if queue.empty():
        return {"crash": 1}, {"crash": [("the whole target", f"worker exit code {process.exitcode}")]}
    return queue.get()


def main(argv=None):
    from tests.fuzz.engine import KINDS
    from tests.fuzz.targets import TARGETS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="*", help="target names (default: all)")
    parser.add_argument("--examples", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--show", type=int, default=2, help="sample mismatches printed per kind")
    parser.add_argument("--limit", type=float, default=600, help="seconds per target")
    parser.add_argument("--json", help="write the tallies to this file")
    options = parser.parse_args(argv)
    totals, report = {k: 0 for k in KINDS}, {}
    for target in options.targets or sorted(TARGETS):
        counts, samples = run_target(target, options.examples, options.seed, options.show, options.limit)
        report[target] = counts
        cases = sum(counts.values())
        bad = cases - counts.get("same", 0)
        kinds = " ".join(f"{k}={counts[k]}" for k in KINDS[1:] if counts.get(k))
        print(f"{target:24s} {cases:5d} cases {bad:4d} mismatches {100 * bad / max(cases, 1):5.1f}%  {kinds}",
              flush=True)
        for kind, items in samples.items():
            for label, detail in items:
                print(f"    [{kind}] {label}\n        {detail}", flush=True)
        for kind, value in counts.items():
            totals[kind] += value
    cases = sum(totals.values())
    bad = cases - totals["same"]
    print(f"TOTAL {cases} cases, {bad} mismatches ({100 * bad / max(cases, 1):.2f}%): "
          + " ".join(f"{k}={v}" for k, v in totals.items() if v and k != "same"))
    if options.json:
        pathlib.Path(options.json).write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
