"""``npconv bench``'s command line: which cases, directions, libraries, threads and clock; the report."""
from .models import method as models_method, model_timings
from .processes import models_in_processes, run_in_processes, set_threads
from .report import format_models, format_table, load_average, machine_description
from .suite import OTHER_LIBRARIES, SUITE, installed, run_suite
from .timing import CLOCKS, set_clock

__all__ = ["add_arguments", "run"]


def add_arguments(parser):
    parser.add_argument("--cases", help="comma-separated substrings of case names to run (default: all)")
    parser.add_argument("--repeat", type=int, default=7, help="repetitions per timing (median; default 7)")
    parser.add_argument("--quick", action="store_true", help="3 repetitions, one round, forward only")
    parser.add_argument("--backward", action="store_true", help="time forward+backward only")
    parser.add_argument("--forward", action="store_true", help="time forward only")
    parser.add_argument("--algorithm", help="force one npconv convolution algorithm (default: auto)")
    parser.add_argument("--libraries", default="auto",
                        help="other libraries to compare: comma list of mygrad,tinygrad, 'auto' (installed) "
                             "or 'none'")
    parser.add_argument("--models", action="store_true", help="also time a LeNet epoch and a ResNet-18 forward")
    parser.add_argument("--threads", type=int, help="thread count for every library and BLAS (default: unchanged)")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                        help="wall time (default) or process CPU time (steadier on a busy machine; use with "
                             "--threads 1)")
    parser.add_argument("--same-process", action="store_true",
                        help="time every library in this process instead of one process per library (torch's "
                             "spinning OpenMP threads then slow whatever runs next)")
    parser.add_argument("--rounds", type=int, default=2,
                        help="alternating rounds of the per-library processes; each case keeps its best (default 2)")
    parser.add_argument("--interleave", action="store_true",
                        help="with --same-process: alternate npconv and torch call by call (fairer on a machine "
                             "shared with other jobs)")
    parser.add_argument("--markdown", help="also write the report to this Markdown file")


def _selected_cases(spec, suite=SUITE):
    if not spec:
        return suite
    words = [word.strip().lower() for word in spec.split(",") if word.strip()]
    return tuple(case for case in suite if any(word in case.name.lower() for word in words))


def _libraries(spec):
    if spec == "none":
        return ()
    if spec == "auto":
        return tuple(name for name in OTHER_LIBRARIES if installed(name))
    return tuple(name.strip() for name in spec.split(",") if name.strip() in OTHER_LIBRARIES)


def _check_algorithm(name):
    """The algorithm's error text, or None when npconv knows it (setting it here is undone at once)."""
    from npconv import backends
    previous = backends.conv_algorithm
    try:
        backends.conv_algorithm = name
    except ValueError as error:
        return str(error)
    backends.conv_algorithm = previous
    return None


def _rounds(args):
    """The alternating rounds of each library's process: one with --quick."""
    return 1 if args.quick else args.rounds


def _method(args, repeat):
    if args.same_process:
        order = "interleaved call by call" if args.interleave else "in blocks"
        return f"every library in this process, {order}, median of {repeat}"
    rounds = _rounds(args)
    spread = "; each round's own ratio beside" if rounds > 1 else ""
    return (f"each library in its own process, one after the other, best of {rounds} alternating rounds of a "
            f"median of {repeat}{spread}")


def run(args, suite=SUITE):
    """Run the benchmark as ``args`` asks; print (and optionally write) the Markdown report."""
    if args.algorithm and (error := _check_algorithm(args.algorithm)):
        print(f"npconv bench: {error}")
        return 2
    cases = _selected_cases(args.cases, suite)
    if not cases:
        print(f"npconv bench: no case matches {args.cases!r}")
        return 2
    if args.same_process:
        if args.threads:
            set_threads(args.threads, "npconv")
            if installed("torch"):
                set_threads(args.threads, "torch")
        if args.algorithm:
            from npconv import backends
            backends.conv_algorithm = args.algorithm
        set_clock(args.clock)
    repeat = 3 if args.quick else args.repeat
    libraries = _libraries(args.libraries)
    directions = [False] if args.quick or args.forward else [True] if args.backward else [False, True]
    report = [f"Machine: {machine_description(args.threads)}",
              f"Clock: {args.clock}; {_method(args, repeat)}; load average when started: {load_average()}", ""]
    print("\n".join(report[:2]), flush=True)
    for backward in directions:
        rows = _rows(args, cases, backward, repeat, libraries)
        title = "Forward + backward" if backward else "Forward"
        section = [f"## {title} (float32)", "", format_table(rows, libraries), ""]
        print("\n".join(section), flush=True)
        report += section
    if args.models:
        results = model_timings() if args.same_process else models_in_processes(
            threads=args.threads, rounds=_rounds(args))
        rounds = "" if args.same_process or _rounds(args) < 2 else \
            f", best of {_rounds(args)} alternating rounds of each library's process"
        section = ["## Whole models", "", f"Whole models: {models_method()}{rounds}.", "", format_models(results), ""]
        print("\n".join(section), flush=True)
        report += section
    if args.markdown:
        with open(args.markdown, "w") as out:
            out.write("\n".join(report) + "\n")
    return 0


def _rows(args, cases, backward, repeat, libraries):
    if args.same_process:
        return run_suite(cases, backward, repeat, libraries, interleave=args.interleave,
                         progress=lambda row: print(f"  {row['case'].name}: {row['npconv'] * 1e3:.2f} ms", flush=True))
    return run_in_processes(cases, backward, repeat, libraries, threads=args.threads, clock=args.clock,
                            algorithm=args.algorithm, rounds=_rounds(args),
                            progress=lambda library, record: print(
                                f"  {record['case']}: {library} {record[args.clock] * 1e3:.2f} ms", flush=True))
