"""The benchmark's report: Markdown tables of times, GFLOP/s and ratios to torch, and the machine it ran on."""
import math
import os
import platform

from .suite import installed

__all__ = ["geomean", "format_table", "format_models", "machine_description", "load_average"]


def geomean(values):
    """The geometric mean of the non-empty values (nan when there are none)."""
    values = [v for v in values if v]
    return math.exp(sum(map(math.log, values)) / len(values)) if values else float("nan")


def format_table(rows, libraries=()):
    """The rows as a Markdown table, ratios as library time / torch time, then the geometric means."""
    has_torch = all("torch" in row for row in rows)
    head = ["case", "npconv ms", "GFLOP/s", "peak extra MB", "x+w+y MB"]
    if has_torch:
        head += ["torch ms", "npconv/torch", "max rel err"]
    head += [f"{name}/torch" for name in libraries]
    has_cores = any("npconv_cores" in row for row in rows)  # CPU time / wall time: the cores a call kept busy
    if has_cores:
        head += ["npconv cores", "torch cores"]
    rounds = min((len(row.get("round_ratios") or ()) for row in rows), default=0) if has_torch else 0
    if rounds > 1:  # each round's own ratio: how far one run of the pair can move on this machine
        head += ["ratio per round"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        cells = [row["case"].name, f"{row['npconv'] * 1e3:.2f}", f"{row['gflops']:.1f}",
                 "-" if row["memory"] is None else f"{row['memory'] / 2**20:.1f}", f"{row['io_bytes'] / 2**20:.1f}"]
        if has_torch:
            cells += [f"{row['torch'] * 1e3:.2f}", f"{row['npconv'] / row['torch']:.2f}", f"{row['error']:.1e}"]
        cells += [_ratio(row.get(name), row.get("torch")) for name in libraries]
        if has_cores:
            cells += [_cores(row.get(f"{name}_cores")) for name in ("npconv", "torch")]
        if rounds > 1:
            cells.append(", ".join(f"{ratio:.2f}" for ratio in row["round_ratios"]))
        lines.append("| " + " | ".join(cells) + " |")
    if has_torch:
        means = ["**geometric mean**", "", "", "", "", "",
                 f"**{geomean([r['npconv'] / r['torch'] for r in rows]):.2f}**", ""]
        means += [f"{geomean([r[n] / r['torch'] for r in rows if r.get(n)]):.2f}" for n in libraries]
        means += ["", ""] if has_cores else []
        if rounds > 1:
            means.append(", ".join(f"{geomean([r['round_ratios'][i] for r in rows]):.2f}" for i in range(rounds)))
        lines.append("| " + " | ".join(means) + " |")
        worst = max(rows, key=lambda r: r["npconv"] / r["torch"])
        lines.append("")
        lines.append(f"worst case: {worst['case'].name} at {worst['npconv'] / worst['torch']:.2f}x torch")
    return "\n".join(lines)


def _ratio(value, reference):
    return "-" if value is None or not reference else f"{value / reference:.2f}"


def format_models(results):
    per_round = any(row.get("round_ratios") for row in results.values())
    head = ["model", "npconv s", "torch s", "npconv/torch"] + (["ratio per round"] if per_round else [])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, row in results.items():
        n, t = row.get("npconv"), row.get("torch")
        cells = [name, _seconds(n), _seconds(t), f"{n / t:.2f}" if n and t else "-"]
        if per_round:
            cells.append(", ".join(f"{ratio:.2f}" for ratio in row.get("round_ratios", ())) or "-")
        lines.append("| " + " | ".join(cells) + " |")
        for library in ("npconv", "torch"):
            if row.get(f"{library}_error"):
                lines.append(f"|  ({library}: {row[f'{library}_error'][:80]}) | | | |")
    return "\n".join(lines)


def _cores(value):
    return "-" if value is None else f"{value:.2f}"


def _seconds(value):
    return "-" if value is None else f"{value:.3f}"


def machine_description(threads=None):
    """The machine, the Python stack and the thread count a report was taken with (torch's version is read
    from its metadata: describing the machine does not import it)."""
    import importlib.metadata

    import numpy
    text = (f"{platform.machine()} {_cpu_name()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"NumPy {numpy.__version__}")
    if installed("torch"):
        text += f", torch {importlib.metadata.version('torch')}"
    if threads:
        return text + f"; threads: {threads} for every library and its BLAS"
    return text + f"; threads: each library's default (OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')})"


def load_average():
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


