"""Benchmark: an 8192x8192 RGB image through a small fully-convolutional net, tiled with dask.

The whole-array forward needs every activation of the image at once (several GB, printed below); the
tiled one runs ``npconv.parallel.apply_tiled`` on a ``dask.distributed.LocalCluster`` whose workers each
have a memory cap, and reports the wall time and the peak resident memory of each worker.

    python benchmarks/tiled_inference.py                      # the full run (minutes; needs a quiet machine)
    python benchmarks/tiled_inference.py --size 1024 --chunk 256 --no-write   # a quick smoke run

The input is generated chunk by chunk on the workers (``dask.array.random``), so no process ever holds
the whole image; the output is reduced to per-channel means, so none holds the whole output either.
Results are written to benchmarks/TILED_RESULTS.md unless ``--no-write``.
"""
import argparse
import os
import platform
import resource
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")        # one BLAS thread per worker: the workers are the parallelism
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import npconv  # noqa: E402
from npconv.parallel import tiling_plan  # noqa: E402

RESULTS = Path(__file__).with_name("TILED_RESULTS.md")


def small_fcn():
    """A small fully-convolutional segmentation-style net: 3 -> 2 channels, same spatial size."""
    nn = npconv.nn
    npconv.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
        nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
        nn.Conv2d(32, 32, 3, padding=2, dilation=2), nn.ReLU(),
        nn.Upsample(scale_factor=2, mode="nearest"),
        nn.Conv2d(32, 16, 3, padding=1), nn.ReLU(),
        nn.Conv2d(16, 2, 1))
    return net.eval()


def whole_array_bytes(net, size, itemsize=4):
    """Peak bytes of a plain forward: the largest input+output pair of one layer (activations only)."""
    shapes, channels = [], 3
    spatial = (size, size)
    shapes.append(channels * spatial[0] * spatial[1])
    for layer in net:
        plan = tiling_plan(npconv.nn.Sequential(layer))
        spatial = plan.output_size(spatial)
        channels = getattr(layer, "out_channels", channels)
        shapes.append(channels * spatial[0] * spatial[1])
    return max(a + b for a, b in zip(shapes, shapes[1:])) * itemsize


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=8192, help="image height and width (default 8192)")
    parser.add_argument("--chunk", type=int, default=1024, help="tile edge in input pixels (default 1024)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--memory-limit", default="1.5GB", help="memory cap per worker (default 1.5GB)")
    parser.add_argument("--no-write", action="store_true", help="print only; do not write TILED_RESULTS.md")
    args = parser.parse_args()

    import dask.array as da
    from distributed import Client, LocalCluster
    from npconv.parallel import apply_tiled

    net = small_fcn()
    plan = tiling_plan(net)
    image = da.random.default_rng(0).standard_normal((1, 3, args.size, args.size), dtype=np.float32,
                                                      chunks=(1, 3, args.chunk, args.chunk))
    whole_gb = whole_array_bytes(net, args.size) / 1e9
    print(f"whole-array forward needs >= {whole_gb:.2f} GB of activations; receptive field {plan.field.size}, "
          f"alignment {plan.alignment}")

    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                      memory_limit=args.memory_limit, dashboard_address=None) as cluster, Client(cluster) as client:
        baseline = client.run(peak_rss_mb)
        output = apply_tiled(net, image)
        start = time.perf_counter()
        means = output.mean(axis=(0, 2, 3)).compute()
        seconds = time.perf_counter() - start
        peaks = client.run(peak_rss_mb)

    lines = [
        "# Tiled inference benchmark (`benchmarks/tiled_inference.py`)",
        "",
        f"- image: 1 x 3 x {args.size} x {args.size} float32 ({args.size ** 2 * 12 / 1e9:.2f} GB), "
        f"tiles of {args.chunk} x {args.chunk} input pixels ({len(output.chunks[2]) * len(output.chunks[3])} tiles)",
        f"- model: {sum(p.numel() for p in net.parameters())} parameters, receptive field {plan.field.size[0]} px, "
        f"total-stride alignment {plan.alignment[0]} px; output {tuple(output.shape)}",
        f"- whole-array forward would need at least {whole_gb:.2f} GB for the activations of one layer",
        f"- cluster: LocalCluster, {args.workers} worker processes x 1 thread, memory_limit={args.memory_limit} each",
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"NumPy {np.__version__}",
        "",
        f"| wall time (s) | {' | '.join(f'peak RSS worker {i + 1} (MB)' for i in range(len(peaks)))} |",
        f"|---|{'---|' * len(peaks)}",
        f"| {seconds:.1f} | {' | '.join(f'{p:.0f} (idle {baseline[w]:.0f})' for w, p in peaks.items())} |",
        "",
        f"per-channel output means: {np.array2string(np.asarray(means), precision=5)}",
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    if not args.no_write:
        RESULTS.write_text(report)
        print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
