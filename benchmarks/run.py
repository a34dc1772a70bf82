"""Benchmark npconv's convolutions beside torch (and MyGrad / tinygrad / Chainer where installed).

Same as ``npconv bench``; see ``python benchmarks/run.py --help``.  Each library runs in its own process
(``--same-process`` to keep them together).  The runs behind RESULTS.md, on an idle machine:

    python benchmarks/run.py --threads 1 --models --markdown benchmarks/RESULTS-1-thread.md
    python benchmarks/run.py --threads 2 --models --markdown benchmarks/RESULTS-2-threads.md
"""
import argparse
import sys

from npconv import bench


def main(argv=None):
    parser = argparse.ArgumentParser(description=bench.__doc__.splitlines()[0])
    bench.add_arguments(parser)
    return bench.run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
