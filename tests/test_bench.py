"""npconv.bench: the benchmark suite's plumbing on tiny cases (timings themselves are not tested)."""
import argparse

import numpy as np
import pytest

from npconv import bench

TINY = (bench.Case("tiny 3x3", "conv", (2, 4, 8, 8), (4, 4, 3, 3), dict(padding=1)),
        bench.Case("tiny transposed", "conv_transpose", (1, 4, 5, 5), (4, 2, 4, 4), dict(stride=2, padding=1)))


@pytest.mark.parametrize("backward", [False, True])
def test_rows_have_times_error_and_memory(backward):
    rows = bench.run_suite(TINY, backward=backward, repeat=1)
    for row in rows:
        assert row["npconv"] > 0 and row["torch"] > 0 and row["gflops"] > 0
        assert row["error"] < 1e-5  # float32 against torch
        assert row["memory"] > 0 and row["io_bytes"] > 0
    table = bench.format_table(rows)
    assert "tiny 3x3" in table and "geometric mean" in table and "worst case" in table


def test_flops_count_multiply_adds_of_the_forward():
    conv, transposed = TINY
    assert conv.macs((2, 4, 8, 8)) == 2 * 4 * 64 * 4 * 9
    assert transposed.macs((1, 2, 10, 10)) == 4 * 25 * 2 * 16  # every input pixel scatters the kernel


def test_suite_covers_the_issue_shapes():
    names = " ".join(case.name for case in bench.SUITE)
    for word in ("3x3", "5x5", "stem", "stride-2", "depthwise", "grouped", "dilated", "1x1", "1-d", "3-d",
                 "transposed", "LeNet"):
        assert word in names


def test_interleaved_timing_runs_both_alternately():
    calls = []
    first, second = bench.time_pair(lambda: calls.append("a"), lambda: calls.append("b"), repeat=3, interleave=True)
    assert calls == ["a", "b"] * 4 and first >= 0 and second >= 0


def test_block_timing_runs_each_in_turn():
    calls = []
    first, second = bench.time_pair(lambda: calls.append("a"), lambda: calls.append("b"), repeat=3)
    assert calls == ["a"] * 4 + ["b"] * 4 and first >= 0 and second >= 0


def run_cli(*words, suite=bench.SUITE):
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    return bench.run(parser.parse_args(list(words)), suite=suite)


def test_command_line_errors_are_one_line(capsys):
    assert run_cli("--cases", "no such case") == 2
    assert run_cli("--algorithm", "nope") == 2
    assert "unknown convolution algorithm 'nope'" in capsys.readouterr().out
    from npconv import backends
    assert backends.conv_algorithm == "auto"


def test_command_line_writes_markdown(tmp_path):
    out = tmp_path / "results.md"
    assert run_cli("--quick", "--same-process", "--libraries", "none", "--markdown", str(out), suite=TINY) == 0
    text = out.read_text()
    assert text.startswith("Machine:") and "## Forward" in text and "tiny transposed" in text
    assert "every library in this process, in blocks" in text
    assert np.isfinite(float(text.split("**geometric mean**")[1].split("**")[1]))


def test_median_wall_and_cpu_time_of_calls():
    wall, cpu = bench.time_calls(lambda: sum(range(20000)), repeat=3)
    assert wall > 0 and cpu > 0


@pytest.mark.slow  # four interpreter starts (torch's import takes seconds)
def test_each_library_in_its_own_process(tmp_path):
    out = tmp_path / "results.md"
    assert run_cli("--repeat", "1", "--rounds", "1", "--threads", "1", "--libraries", "none", "--markdown",
                   str(out), suite=TINY) == 0
    text = out.read_text()
    assert "threads: 1 for every library" in text and "each library in its own process" in text
    assert "## Forward (float32)" in text and "## Forward + backward (float32)" in text
    assert "npconv cores" in text and "load average when started" in text
    rows = bench.run_in_processes(TINY[:1], backward=True, repeat=1, threads=1, rounds=2)
    (row,) = rows
    assert row["npconv"] > 0 and row["torch"] > 0 and row["error"] < 1e-5 and row["memory"] > 0
    assert 0 < row["npconv_cores"] < 1.5 and 0 < row["torch_cores"] < 1.5  # one thread each
    # each round's own ratio, and the best times' ratio within their range
    assert len(row["round_ratios"]) == 2 and all(ratio > 0 for ratio in row["round_ratios"])
    table = bench.format_table(rows)
    assert "ratio per round" in table.splitlines()[0]
    assert table.splitlines()[-3].count(",") == 1  # the geometric mean of each round


def test_models_in_alternating_processes_keep_the_best_and_each_rounds_ratio(monkeypatch):
    """Each round runs every library's process once: a model keeps its best time per library and the
    ratio of every round (fake processes: the rounds' times are given)."""
    from npconv.bench import processes
    times = iter([{"npconv": 2.0, "torch": 1.0}, {"npconv": 1.5, "torch": 1.25}])
    monkeypatch.setattr(processes, "installed", lambda module: True)

    def fake_records(job, threads):
        if job["library"] == "npconv":
            fake_records.round = next(times)
        seconds = fake_records.round[job["library"]]
        yield {name: (seconds, None) for name in processes.model_rows({}).keys()}
    monkeypatch.setattr(processes, "_records", fake_records)
    rows = processes.models_in_processes(rounds=2)
    row = next(iter(rows.values()))
    assert row["npconv"] == 1.5 and row["torch"] == 1.0 and row["round_ratios"] == [2.0, 1.2]
    table = bench.format_models(rows)
    assert "ratio per round" in table and "| 1.500 | 1.000 | 1.50 | 2.00, 1.20 |" in table
