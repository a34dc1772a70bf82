"""The scaling simulation of npconv.bench (benchmarks/scaling.py): makespans, the split model, a profile."""
import pytest

import npconv
from npconv import bench
from npconv.kernels import threads


def test_makespan_puts_the_longest_pieces_first_on_the_least_loaded_thread():
    assert bench.makespan([3, 3, 2, 2, 2], 2) == 7
    assert bench.makespan([5, 1, 1, 1], 4) == 5
    assert bench.makespan([1, 1, 1, 1], 1) == 4


def test_simulated_split_keeps_the_serial_part():
    """2 s outside the regions, one region of four 1-second pieces: 6 s on one thread, 3 s on two, 2 + 1
    on four; serial fraction 2/6; four pieces for two threads is two per thread."""
    assert bench.simulate_split(6.0, [[1, 1, 1, 1]], 1)[0] == pytest.approx(6.0)
    simulated, serial_fraction, pieces = bench.simulate_split(6.0, [[1, 1, 1, 1]], 2)
    assert (simulated, serial_fraction, pieces) == pytest.approx((4.0, 1 / 3, 2.0))
    assert bench.simulate_split(6.0, [[1, 1, 1, 1]], 4)[0] == pytest.approx(3.0)


def test_profile_splits_the_kernels_for_the_thread_count(monkeypatch):
    monkeypatch.setattr(threads, "PARALLEL_MIN_MACS", 0)
    before = npconv.get_num_threads()
    case = bench.Case("small 3x3", "conv", (2, 8, 12, 12), (8, 8, 3, 3), dict(padding=1))
    total, regions = bench.profile_split(case, 4, backward=True, repeat=1)
    assert total > 0 and regions
    assert max(len(times) for times in regions) == 4
    assert threads.run_parallel.__name__ == "run_parallel" and npconv.get_num_threads() == before
    rows = bench.scaling_rows([case], (1, 2), repeat=1)
    assert [row["threads"] for row in rows] == [1, 2] and rows[0]["speedup"] == 1.0
    assert bench.format_scaling(rows).count("| small 3x3 |") == 2


def test_profile_counts_a_region_opened_inside_a_piece_as_part_of_that_piece(monkeypatch):
    """A kernel calling another kernel from its pieces (nested regions run serially in the piece's thread):
    one region, whose pieces hold the inner work, not an extra region counted twice."""
    from npconv.kernels import tiled_gemm

    def outer_kernel(x, w):
        def piece(images):
            return tiled_gemm.conv_forward(x[images[0]:images[1]], w, (12, 12), (1, 1), ((1, 1), (1, 1)),
                                           (1, 1), 1)
        return sum(r.sum() for r in threads.run_parallel(piece, [(0, 1), (1, 2)]))
    monkeypatch.setattr(threads, "PARALLEL_MIN_MACS", 0)
    case = bench.Case("nested", "conv", (2, 8, 12, 12), (8, 8, 3, 3), dict(padding=1))
    monkeypatch.setattr("npconv.bench.scaling.npconv_runner", lambda case, x, w: lambda backward: outer_kernel(x, w))
    total, regions = bench.profile_split(case, 4, repeat=1)
    assert len(regions) == 1 and len(regions[0]) == 2
    assert sum(regions[0]) <= total


def test_measured_speedups_alternate_the_thread_counts():
    """npconv's medians at 1 and 2 threads of one case (in this process), then the table of both libraries'
    speed-ups; the thread setting ends at the last count asked for."""
    from npconv.bench.processes import thread_medians
    before = npconv.get_num_threads()
    case = bench.Case("small 3x3", "conv", (2, 8, 12, 12), (8, 8, 3, 3), dict(padding=1))
    try:
        medians = thread_medians("npconv", case, (1, 2), backward=True, repeat=2, rounds=1)
        assert len(medians) == 2 and all(m > 0 for m in medians)
        assert npconv.get_num_threads() == 2
    finally:
        npconv.set_num_threads(before)
    table = bench.format_speedups([dict(case="small 3x3", npconv=[0.004, 0.002], torch=[0.003, 0.002]),
                                   dict(case="other", npconv=[0.001, 0.001])])
    assert "| small 3x3 | 4.00 | 2.00 | 2.00x | 3.00 | 2.00 | 1.50x |" in table
    assert "| other | 1.00 | 1.00 | 1.00x | - | - | - |" in table
