"""Benchmark: a U-Net on an image whose whole-array forward does not fit in memory, tiled with dask.

The bundled U-Net (npconv.models.UNet: skip connections joined with cat, two poolings, transposed
convolutions) runs over a 1 x 3 x 8192 x 8192 image with ``npconv.parallel.apply_tiled`` on a
``dask.distributed.LocalCluster`` of worker processes, each with a memory cap, first with one worker and then
with two. Reported: wall time, tiles per second, the speed-up from one to two workers and the peak resident
memory of each worker, beside the memory the whole-array forward would need (from a shape-only trace).

    python benchmarks/tiled_inference.py                      # the full run (minutes; needs a quiet machine)
    python benchmarks/tiled_inference.py --size 1024 --chunk 256 --no-write   # a quick smoke run

The input is generated chunk by chunk on the workers (``dask.array.random``), so no process ever holds
the whole image; the output is reduced to per-channel means, so none holds the whole output either. dask's
progress bar shows the tiles as they finish. Results go to benchmarks/TILED_RESULTS.md unless ``--no-write``.
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
from npconv.arithmetic.trace import meta_inputs, trace  # noqa: E402
from npconv.parallel import tiling_plan  # noqa: E402

RESULTS = Path(__file__).with_name("TILED_RESULTS.md")


def unet():
    npconv.manual_seed(0)
    return npconv.models.UNet(in_channels=3, out_channels=2, base=16).eval()


def whole_array_bytes(model, shape):
    """Bytes a plain forward holds at its peak, at least: the largest input + output of one layer call
    (activations only, from a shape-only trace), and the largest skip connection kept beside it."""
    calls = [call for call in trace(model, meta_inputs(shape))[1:] if call.output_shape and call.input_shapes]
    per_call = [4 * (np.prod(call.input_shapes[0]) + np.prod(call.output_shape)) for call in calls]
    return int(max(per_call))


def peak_rss_mb():
    """This process's peak resident memory since the last reset_peak_rss (Linux's VmHWM; getrusage's
    ru_maxrss would include what a forked worker inherited from its parent)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak_rss():
    """Start the peak over from the current resident memory (writing 5 to clear_refs, Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:
        pass
    return peak_rss_mb()


def run_on_cluster(model, image, workers, memory_limit):
    """(seconds, per-channel means, {worker: (idle MB, peak MB)}) of one tiled forward on ``workers``."""
    from distributed import Client, LocalCluster, progress
    from npconv.parallel import apply_tiled
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, memory_limit=memory_limit,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        idle = client.run(reset_peak_rss)
        means = apply_tiled(model, image).mean(axis=(0, 2, 3))
        start = time.perf_counter()
        future = client.compute(means)
        progress(future)
        result = future.result()
        seconds = time.perf_counter() - start
        peaks = client.run(peak_rss_mb)
    print()
    return seconds, result, {worker: (idle[worker], peaks[worker]) for worker in peaks}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=8192, help="image height and width (default 8192)")
    parser.add_argument("--chunk", type=int, default=1024, help="tile edge in input pixels (default 1024)")
    parser.add_argument("--workers", default="1,2", help="worker counts to run, comma-separated (default 1,2)")
    parser.add_argument("--memory-limit", default="2GB", help="memory cap per worker (default 2GB)")
    parser.add_argument("--no-write", action="store_true", help="print only; do not write TILED_RESULTS.md")
    args = parser.parse_args()

    import dask.array as da
    model = unet()
    shape = (1, 3, args.size, args.size)
    plan = tiling_plan(model, input_shape=shape)
    image = da.random.default_rng(0).standard_normal(shape, dtype=np.float32, chunks=(1, 3, args.chunk, args.chunk))
    tiles = len(image.chunks[2]) * len(image.chunks[3])
    whole_gb = whole_array_bytes(model, shape) / 1e9
    print(f"whole-array forward needs >= {whole_gb:.2f} GB of activations; receptive field {plan.field.size}, "
          f"alignment {plan.alignment}; {tiles} tiles")

    runs = {}
    for workers in (int(n) for n in args.workers.split(",")):
        runs[workers] = run_on_cluster(model, image, workers, args.memory_limit)
        print(f"{workers} worker(s): {runs[workers][0]:.1f} s")
    first = runs[min(runs)][0]
    rows = []
    for workers, (seconds, _, memory) in runs.items():
        rss = ", ".join(f"{peak:.0f} (idle {idle:.0f})" for idle, peak in memory.values())
        rows.append(f"| {workers} | {seconds:.1f} | {tiles / seconds:.2f} | {first / seconds:.2f}x | {rss} |")
    means = runs[max(runs)][1]
    lines = [
        "# Tiled inference benchmark (`benchmarks/tiled_inference.py`)",
        "",
        f"- image: 1 x 3 x {args.size} x {args.size} float32 ({np.prod(shape) * 4 / 1e9:.2f} GB), "
        f"tiles of {args.chunk} x {args.chunk} input pixels ({tiles} tiles)",
        f"- model: npconv.models.UNet(3, 2, base=16), {sum(p.numel() for p in model.parameters())} parameters, "
        f"receptive field {plan.field.size[0]} px, alignment {plan.alignment[0]} px (two 2x2 poolings)",
        f"- whole-array forward: at least {whole_gb:.2f} GB for the activations of its largest layer call",
        f"- cluster: LocalCluster, worker processes x 1 thread, memory_limit={args.memory_limit} each",
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"NumPy {np.__version__}; load average when done {' '.join(f'{v:.2f}' for v in os.getloadavg())}",
        "",
        "| workers | wall time (s) | tiles/s | speed-up | peak RSS per worker, MB |",
        "|---|---|---|---|---|",
        *rows,
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
