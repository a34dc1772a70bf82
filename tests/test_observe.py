"""npconv._observe: summaries watch a forward through per-thread hooks, never by replacing attributes."""
import sys
import threading
import warnings

import pytest

import npconv
import npconv.autograd as autograd
import npconv.nn as nn
import npconv.nn.functional as F
from npconv import _observe


class Meeting(nn.Module):
    """Holds every thread inside the forward until all have arrived, so that their traces overlap."""

    def __init__(self, barrier):
        super().__init__()
        self.barrier = barrier

    def forward(self, x):
        self.barrier.wait(timeout=30)
        return x


class Branchy(nn.Module):
    def __init__(self, channels, barrier=None):
        super().__init__()
        self.meet = Meeting(barrier) if barrier is not None else nn.Identity()
        self.conv = nn.Conv2d(3, channels, 3, stride=2)
        self.fc_weight = nn.Parameter(npconv.zeros(5, channels))

    def forward(self, x):
        x = F.relu(self.conv(self.meet(x)))
        x = npconv.add(x, x).mul(2) + x       # counted: torch.add, Tensor.mul; not counted: +
        x = F.adaptive_avg_pool2d(self.meet(x), 1).flatten(1)
        return F.linear(x, self.fc_weight)


def describe(summary):
    return str(summary), [(r.name, r.type, r.output_shape, r.receptive_field, r.mult_adds) for r in summary.layers]


def test_two_threads_summarising_at_once_get_what_each_gets_alone():
    sizes = {4: (1, 3, 17, 17), 6: (2, 3, 12, 9)}
    alone = {c: describe(npconv.summary(Branchy(c), size)) for c, size in sizes.items()}
    barrier = threading.Barrier(len(sizes))
    results, errors = {}, []

    def run(channels):
        try:
            results[channels] = describe(npconv.summary(Branchy(channels, barrier), sizes[channels]))
        except Exception as error:   # reported below: a thread's exception would otherwise vanish
            errors.append(error)
    threads = [threading.Thread(target=run, args=(c,)) for c in sizes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for channels in sizes:
        text, rows = results[channels]
        # the meeting module is an extra row; everything else is what the summary gives alone
        rows = [row for row in rows if row[1] != "Meeting"]
        assert rows == [row for row in alone[channels][1] if row[1] != "Identity"]
        assert [r[1] for r in rows] == ["Branchy", "Conv2d", "F.relu", "F.adaptive_avg_pool2d", "F.linear"]
    assert results[4][1] != results[6][1]


def test_a_summary_replaces_no_attribute_of_any_module_or_class():
    watched = [(F, "relu"), (F, "conv2d"), (npconv, "matmul"), (npconv, "add"), (npconv.Tensor, "add"),
               (npconv.Tensor, "mul"), (autograd, "_apply_meta"), (autograd.Function, "apply"),
               (nn.Module, "__call__")]
    before = [getattr(owner, name) for owner, name in watched]
    seen = []

    class Spy(nn.Module):
        def forward(self, x):
            seen.append([getattr(owner, name) for owner, name in watched])
            seen.append("forward" in vars(self))
            return F.relu(x)
    profiler = sys.getprofile()
    npconv.summary(Spy(), (1, 1, 4, 4))
    assert seen == [before, False]
    assert sys.getprofile() is profiler
    assert not _observe.state.observers


def test_tensor_methods_are_observable_apart_from_the_operators():
    assert npconv.Tensor.add is not npconv.Tensor.__add__
    assert npconv.Tensor.matmul is not npconv.Tensor.__matmul__
    calls = npconv.arithmetic.trace.trace(Branchy(4), [npconv.zeros(1, 3, 9, 9, device="meta")])
    assert [c.type for c in calls if c.kind == "function" and not c.internal] == [
        "F.relu", "torch.add", "Tensor.mul", "F.adaptive_avg_pool2d", "F.linear"]


def test_entry_points_add_no_frame_warnings_point_at_the_caller():
    x = npconv.zeros(2, 3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        F.softmax(x)
        npconv.summary(nn.Softmax(), (2, 3))
    assert caught and caught[0].filename == __file__


def test_an_observer_error_leaves_the_thread_unobserved():
    class Broken(nn.Module):
        def forward(self, x):
            raise ValueError("broken forward")
    with pytest.raises(ValueError, match="broken forward"):
        npconv.summary(Broken(), (1, 1, 4, 4))
    assert not _observe.state.observers and sys.getprofile() is None
