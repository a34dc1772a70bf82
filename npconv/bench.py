"""``npconv bench``: npconv's convolutions timed beside torch (and other NumPy libraries) in one process.

Every library runs the same float32 case with the same thread count; a time is the median of repetitions,
npconv and torch in blocks (``--interleave``: call by call, for a machine shared with other jobs).
For each case of the fixed suite (the shapes of issue 12) the table gives npconv's time, GFLOP/s, the
ratio to torch's time, the max relative error against torch, npconv's peak extra memory (tracemalloc
sees NumPy's allocations), and the ratio of each other installed library; the geometric means close it.
``--models`` adds a LeNet training epoch and a ResNet-18 forward.

Usage: ``npconv bench [--quick] [--backward] [--cases 3x3,1x1] [--algorithm winograd] [--markdown FILE]``.
"""
import dataclasses
import math
import os
import platform
import statistics
import time
import tracemalloc

import numpy as np

__all__ = ["Case", "SUITE", "time_median", "time_pair", "run_case", "run_suite", "format_table", "add_arguments", "run",
           "profile_split", "makespan", "simulate_split", "scaling_rows", "format_scaling"]


@dataclasses.dataclass(frozen=True)
class Case:
    """One benchmark shape: ``conv`` or ``conv_transpose`` with torch's keyword arguments."""
    name: str
    op: str
    input_shape: tuple
    weight_shape: tuple
    options: dict = dataclasses.field(default_factory=dict)

    @property
    def dims(self):
        return len(self.input_shape) - 2

    def macs(self, out_shape):
        """Multiply-accumulates of the forward pass (the same count for a transposed conv's scatter)."""
        weight_per_output = math.prod(self.weight_shape[1:])
        if self.op == "conv":
            return math.prod(out_shape) * weight_per_output
        return math.prod(self.input_shape) * weight_per_output


SUITE = (
    Case("3x3 mid-channel", "conv", (8, 64, 56, 56), (64, 64, 3, 3), dict(padding=1)),
    Case("5x5 few-channel", "conv", (32, 6, 32, 32), (16, 6, 5, 5), dict(padding=2)),
    Case("7x7 stride-2 stem", "conv", (4, 3, 224, 224), (64, 3, 7, 7), dict(stride=2, padding=3)),
    Case("3x3 stride-2", "conv", (8, 128, 28, 28), (256, 128, 3, 3), dict(stride=2, padding=1)),
    Case("depthwise 3x3", "conv", (8, 128, 56, 56), (128, 1, 3, 3), dict(padding=1, groups=128)),
    Case("grouped 3x3 g=4", "conv", (8, 128, 28, 28), (128, 32, 3, 3), dict(padding=1, groups=4)),
    Case("dilated 3x3 d=2", "conv", (8, 64, 56, 56), (64, 64, 3, 3), dict(padding=2, dilation=2)),
    Case("1x1", "conv", (8, 256, 28, 28), (128, 256, 1, 1), {}),
    Case("1-d audio k=9", "conv", (4, 16, 16000), (32, 16, 9), dict(padding=4)),
    Case("3-d video 3x3x3", "conv", (2, 16, 8, 32, 32), (32, 16, 3, 3, 3), dict(padding=1)),
    Case("transposed 2x up", "conv_transpose", (8, 64, 28, 28), (64, 32, 4, 4), dict(stride=2, padding=1)),
    Case("LeNet conv1", "conv", (64, 1, 28, 28), (20, 1, 5, 5), {}),
)


# "wall": elapsed time (what a user waits for); "cpu": this process's CPU time, steadier on a machine
# shared with other jobs but only comparable between single-threaded runs.
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
_clock = [time.perf_counter]


def time_median(fn, repeat=7, min_seconds=0.0):
    """Median time of ``fn()`` over ``repeat`` runs after one warm-up (more runs if under min_seconds)."""
    clock = _clock[0]
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
    clock = _clock[0]
    first()
    second()
    times = ([], [])
    for _ in range(repeat):
        for fn, bucket in zip((first, second), times):
            begin = clock()
            fn()
            bucket.append(clock() - begin)
    return statistics.median(times[0]), statistics.median(times[1])


def _arrays(case, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(case.input_shape, dtype=np.float32)
    fan_in = math.prod(case.weight_shape[1:])
    w = (rng.standard_normal(case.weight_shape, dtype=np.float32) / math.sqrt(fan_in)).astype(np.float32)
    return x, w


# ---------------------------------------------------------------------------------------------------
# Library runners: each returns fn(backward) -> output ndarray, or None when the library cannot run it


def _npconv_runner(case, x, w):
    import npconv
    import npconv.nn.functional as F
    op = getattr(F, f"{case.op}{case.dims}d")

    def call(backward):
        xt, wt = npconv.from_numpy(x), npconv.from_numpy(w)
        if not backward:
            with npconv.no_grad():
                return op(xt, wt, **case.options).numpy()
        xt.requires_grad = wt.requires_grad = True
        y = op(xt, wt, **case.options)
        y.sum().backward()
        return y.detach().numpy() if hasattr(y, "detach") else y.numpy()
    return call


def _torch_runner(case, x, w):
    import torch
    import torch.nn.functional as TF
    op = getattr(TF, f"{case.op}{case.dims}d")

    def call(backward):
        xt, wt = torch.from_numpy(x), torch.from_numpy(w)
        if not backward:
            with torch.no_grad():
                return op(xt, wt, **case.options).numpy()
        xt.requires_grad_()
        wt.requires_grad_()
        y = op(xt, wt, **case.options)
        y.sum().backward()
        return y.detach().numpy()
    return call


def _mygrad_runner(case, x, w):
    import mygrad
    from mygrad.nnet.layers import conv_nd
    opts = case.options
    if case.op != "conv" or opts.get("groups", 1) != 1:
        return None
    dims = case.dims
    stride, padding, dilation = (opts.get(k, default) for k, default in (("stride", 1), ("padding", 0),
                                                                          ("dilation", 1)))

    def call(backward):
        xt, wt = mygrad.tensor(x), mygrad.tensor(w)
        y = conv_nd(xt, wt, stride=stride, padding=(padding,) * dims, dilation=dilation)
        if backward:
            y.sum().backward()
        return np.asarray(y.data)
    return call


def _tinygrad_runner(case, x, w):
    from tinygrad import Tensor
    opts = case.options

    def call(backward):
        xt, wt = Tensor(x), Tensor(w)
        if backward:
            xt.requires_grad = wt.requires_grad = True
        if case.op == "conv":
            y = xt.conv2d(wt, groups=opts.get("groups", 1), stride=opts.get("stride", 1),
                          dilation=opts.get("dilation", 1), padding=opts.get("padding", 0))
        else:
            y = xt.conv_transpose2d(wt, stride=opts.get("stride", 1), padding=opts.get("padding", 0))
        if backward:
            y.sum().backward()
            xt.grad.realize()
            wt.grad.realize()
        return y.numpy()
    return call


OTHER_LIBRARIES = {"mygrad": _mygrad_runner, "tinygrad": _tinygrad_runner}


def _installed(module):
    import importlib.util
    return importlib.util.find_spec(module) is not None


# ---------------------------------------------------------------------------------------------------


def _peak_extra_bytes(fn):
    """Peak bytes NumPy allocates during ``fn()`` (tracemalloc sees NumPy's data buffers)."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def run_case(case, backward=False, repeat=7, libraries=(), measure_memory=True, interleave=False):
    """Time one case; returns a dict of the row's figures (seconds, GFLOP/s, ratios, error, memory)."""
    x, w = _arrays(case)
    npconv_call = _npconv_runner(case, x, w)
    y = npconv_call(backward)
    row = dict(case=case, backward=backward, out_shape=y.shape)
    flops = 2 * case.macs(y.shape) * (3 if backward else 1)
    row["memory"] = _peak_extra_bytes(lambda: npconv_call(backward)) if measure_memory else None
    row["io_bytes"] = x.nbytes + w.nbytes + y.nbytes
    if _installed("torch"):
        torch_call = _torch_runner(case, x, w)
        expected = torch_call(backward)
        row["npconv"], row["torch"] = time_pair(lambda: npconv_call(backward), lambda: torch_call(backward),
                                                repeat, interleave)
        row["error"] = float(np.abs(y - expected).max() / max(1e-30, np.abs(expected).max()))
    else:
        row["npconv"] = time_median(lambda: npconv_call(backward), repeat)
    row["gflops"] = flops / row["npconv"] / 1e9
    for name in libraries:
        row[name] = _time_other(name, case, x, w, backward, repeat)
    return row


def _time_other(name, case, x, w, backward, repeat):
    try:
        call = OTHER_LIBRARIES[name](case, x, w)
        if call is None:
            return None
        return time_median(lambda: call(backward), max(3, repeat // 2))
    except Exception:  # a library that cannot run a case is left blank, not fatal
        return None


def run_suite(cases=SUITE, backward=False, repeat=7, libraries=(), progress=None, interleave=False):
    rows = []
    for case in cases:
        rows.append(run_case(case, backward, repeat, libraries, interleave=interleave))
        if progress:
            progress(rows[-1])
    return rows


# ---------------------------------------------------------------------------------------------------
# Scaling of the kernel split (benchmarks/scaling.py): how the work divides, simulated for many threads


def profile_split(case, threads_count, backward=False, repeat=3):
    """One run of ``case`` with npconv's thread setting at ``threads_count``, every parallel region of the
    kernels (``threads.run_parallel``) run piece by piece on this thread with each piece timed.

    Returns ``(total seconds, [piece seconds of each region])`` of the fastest of ``repeat`` runs."""
    import npconv
    from npconv.kernels import threads
    previous, run_parallel = npconv.get_num_threads(), threads.run_parallel
    regions = []

    def timed_serially(task, pieces):
        times, results = [], []
        for piece in pieces:
            begin = time.perf_counter()
            results.append(task(piece))
            times.append(time.perf_counter() - begin)
        regions.append(times)
        return results
    call = _npconv_runner(case, *_arrays(case))
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


def _geomean(values):
    values = [v for v in values if v]
    return math.exp(sum(map(math.log, values)) / len(values)) if values else float("nan")


def format_table(rows, libraries=()):
    """The rows as a Markdown table, ratios as library time / torch time, then the geometric means."""
    has_torch = all("torch" in row for row in rows)
    head = ["case", "npconv ms", "GFLOP/s", "peak extra MB", "x+w+y MB"]
    if has_torch:
        head += ["torch ms", "npconv/torch", "max rel err"]
    head += [f"{name}/torch" for name in libraries]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        cells = [row["case"].name, f"{row['npconv'] * 1e3:.2f}", f"{row['gflops']:.1f}",
                 "-" if row["memory"] is None else f"{row['memory'] / 2**20:.1f}", f"{row['io_bytes'] / 2**20:.1f}"]
        if has_torch:
            cells += [f"{row['torch'] * 1e3:.2f}", f"{row['npconv'] / row['torch']:.2f}", f"{row['error']:.1e}"]
        cells += [_ratio(row.get(name), row.get("torch")) for name in libraries]
        lines.append("| " + " | ".join(cells) + " |")
    if has_torch:
        means = ["**geometric mean**", "", "", "", "", "",
                 f"**{_geomean([r['npconv'] / r['torch'] for r in rows]):.2f}**", ""]
        means += [f"{_geomean([r[n] / r['torch'] for r in rows if r.get(n)]):.2f}" for n in libraries]
        lines.append("| " + " | ".join(means) + " |")
        worst = max(rows, key=lambda r: r["npconv"] / r["torch"])
        lines.append("")
        lines.append(f"worst case: {worst['case'].name} at {worst['npconv'] / worst['torch']:.2f}x torch")
    return "\n".join(lines)


def _ratio(value, reference):
    return "-" if value is None or not reference else f"{value / reference:.2f}"


# ---------------------------------------------------------------------------------------------------
# Whole models


def lenet_epoch(library, images=2048, batch=64, seed=0):
    """Seconds for one SGD training epoch of LeNet on ``images`` random 28x28 images."""
    rng = np.random.default_rng(seed)
    data = rng.standard_normal((images, 1, 28, 28), dtype=np.float32)
    labels = rng.integers(0, 10, images)
    if library == "torch":
        import torch as lib
        model = _torch_lenet()
    else:
        import npconv as lib
        from npconv.models import LeNet
        model = LeNet()
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = lib.nn.functional.cross_entropy
    clock = _clock[0]
    begin = clock()
    for start in range(0, images, batch):
        x = lib.from_numpy(data[start:start + batch])
        t = lib.from_numpy(labels[start:start + batch])
        optimizer.zero_grad()
        loss = loss_fn(model(x), t)
        loss.backward()
        optimizer.step()
    return clock() - begin


def _torch_lenet():
    import torch.nn as tnn
    import torch.nn.functional as TF

    class LeNet(tnn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.conv2 = tnn.Conv2d(1, 20, 5), tnn.Conv2d(20, 50, 5)
            self.fc1, self.fc2 = tnn.Linear(800, 500), tnn.Linear(500, 10)

        def forward(self, x):
            x = TF.max_pool2d(TF.relu(self.conv1(x)), 2)
            x = TF.max_pool2d(TF.relu(self.conv2(x)), 2)
            return self.fc2(TF.relu(self.fc1(x.flatten(1))))
    return LeNet()


def model_timings(repeat=3):
    """LeNet epoch and ResNet-18 forward, npconv and torch; entries are None when a model is missing."""
    results = {}
    for name, fn in (("LeNet epoch (2048 images, batch 64)", lambda lib: lenet_epoch(lib)),
                     ("ResNet-18 forward 1x3x224x224", lambda lib: _resnet18_time(lib, repeat))):
        row = {}
        for library in ("npconv", "torch"):
            try:
                row[library] = fn(library)
            except Exception as error:  # a model not written yet is reported, not fatal
                row[library] = None
                row[f"{library}_error"] = f"{type(error).__name__}: {error}"
        results[name] = row
    return results


def _resnet18_time(library, repeat):
    x = np.random.default_rng(0).standard_normal((1, 3, 224, 224), dtype=np.float32)
    if library == "torch":
        import torch as lib
        model = _torch_resnet18()
    else:
        import npconv as lib
        from npconv.models import resnet18
        model = resnet18()
    model.eval()
    with lib.no_grad():
        return time_median(lambda: model(lib.from_numpy(x)), repeat)


def _torch_resnet18():
    """ResNet-18 in plain torch (no torchvision needed): the same layers as torchvision's."""
    import torch.nn as tnn

    class Block(tnn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = tnn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = tnn.BatchNorm2d(cout)
            self.conv2 = tnn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = tnn.BatchNorm2d(cout)
            self.relu = tnn.ReLU()
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = tnn.Sequential(tnn.Conv2d(cin, cout, 1, stride, bias=False),
                                                 tnn.BatchNorm2d(cout))

        def forward(self, x):
            identity = x if self.downsample is None else self.downsample(x)
            out = self.relu(self.bn1(self.conv1(x)))
            return self.relu(self.bn2(self.conv2(out)) + identity)

    layers = [tnn.Conv2d(3, 64, 7, 2, 3, bias=False), tnn.BatchNorm2d(64), tnn.ReLU(), tnn.MaxPool2d(3, 2, 1)]
    cin = 64
    for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        layers += [Block(cin, cout, stride), Block(cout, cout, 1)]
        cin = cout
    layers += [tnn.AdaptiveAvgPool2d(1), tnn.Flatten(), tnn.Linear(512, 1000)]
    return tnn.Sequential(*layers)


def format_models(results):
    lines = ["| model | npconv s | torch s | npconv/torch |", "|---|---|---|---|"]
    for name, row in results.items():
        n, t = row.get("npconv"), row.get("torch")
        ratio = f"{n / t:.2f}" if n and t else "-"
        lines.append(f"| {name} | {_seconds(n)} | {_seconds(t)} | {ratio} |")
        for library in ("npconv", "torch"):
            if row.get(f"{library}_error"):
                lines.append(f"|  ({library}: {row[f'{library}_error'][:80]}) | | | |")
    return "\n".join(lines)


def _seconds(value):
    return "-" if value is None else f"{value:.3f}"


# ---------------------------------------------------------------------------------------------------
# Command line


def machine_description():
    import numpy
    threads = os.environ.get("OMP_NUM_THREADS", "default")
    text = (f"{platform.machine()} {_cpu_name()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"NumPy {numpy.__version__}, OMP_NUM_THREADS={threads}, npconv {_npconv_threads()} threads")
    if _installed("torch"):
        import torch
        text += f", torch {torch.__version__} ({torch.get_num_threads()} threads)"
    return text


def _load_average():
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def _cpu_name():
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def add_arguments(parser):
    parser.add_argument("--cases", help="comma-separated substrings of case names to run (default: all)")
    parser.add_argument("--repeat", type=int, default=7, help="repetitions per timing (median; default 7)")
    parser.add_argument("--quick", action="store_true", help="3 repetitions, forward only")
    parser.add_argument("--backward", action="store_true", help="time forward+backward only")
    parser.add_argument("--forward", action="store_true", help="time forward only")
    parser.add_argument("--algorithm", help="force one npconv convolution algorithm (default: auto)")
    parser.add_argument("--libraries", default="auto",
                        help="other libraries to compare: comma list of mygrad,tinygrad, 'auto' (installed) "
                             "or 'none'")
    parser.add_argument("--models", action="store_true", help="also time a LeNet epoch and a ResNet-18 forward")
    parser.add_argument("--threads", type=int, help="thread count for torch and BLAS (default: unchanged)")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                        help="wall time (default) or process CPU time (steadier on a busy machine; use with "
                             "--threads 1)")
    parser.add_argument("--interleave", action="store_true",
                        help="alternate npconv and torch call by call (fairer on a machine shared with other "
                             "jobs; on an idle one each library's spinning threads slow the other)")
    parser.add_argument("--markdown", help="also write the report to this Markdown file")


def _selected_cases(spec):
    if not spec:
        return SUITE
    words = [word.strip().lower() for word in spec.split(",") if word.strip()]
    return tuple(case for case in SUITE if any(word in case.name.lower() for word in words))


def _libraries(spec):
    if spec == "none":
        return ()
    if spec == "auto":
        return tuple(name for name in OTHER_LIBRARIES if _installed(name))
    return tuple(name.strip() for name in spec.split(",") if name.strip() in OTHER_LIBRARIES)


def run(args):
    """Run the benchmark as ``args`` asks; print (and optionally write) the Markdown report."""
    if args.threads:
        _set_threads(args.threads)
    if args.algorithm:
        from npconv import backends
        try:
            backends.conv_algorithm = args.algorithm
        except ValueError as error:
            print(f"npconv bench: {error}")
            return 2
    _clock[0] = CLOCKS[args.clock]
    cases = _selected_cases(args.cases)
    if not cases:
        print(f"npconv bench: no case matches {args.cases!r}")
        return 2
    repeat = 3 if args.quick else args.repeat
    libraries = _libraries(args.libraries)
    directions = [False] if args.quick or args.forward else [True] if args.backward else [False, True]
    report = [f"Machine: {machine_description()}", f"Clock: {args.clock}, "
              f"{'interleaved' if args.interleave else 'in blocks'}; load average when started: {_load_average()}", ""]
    print("\n".join(report[:2]), flush=True)
    for backward in directions:
        title = "Forward + backward" if backward else "Forward"
        rows = run_suite(cases, backward, repeat, libraries,
                         progress=lambda row: print(f"  {row['case'].name}: {row['npconv'] * 1e3:.2f} ms",
                                                    flush=True), interleave=args.interleave)
        section = [f"## {title} (float32, median of {repeat})", "", format_table(rows, libraries), ""]
        print("\n".join(section), flush=True)
        report += section
    if args.models:
        section = ["## Whole models", "", format_models(model_timings()), ""]
        print("\n".join(section), flush=True)
        report += section
    if args.markdown:
        with open(args.markdown, "w") as out:
            out.write("\n".join(report) + "\n")
    return 0


def _npconv_threads():
    import npconv
    return npconv.get_num_threads()


def _set_threads(count):
    try:
        import threadpoolctl
        threadpoolctl.threadpool_limits(count)
    except ImportError:
        pass
    import npconv
    npconv.set_num_threads(count)  # npconv's kernel pieces, BLAS at one thread inside each (after the above)
    if _installed("torch"):
        import torch
        torch.set_num_threads(count)
