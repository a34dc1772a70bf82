"""Every fuzz target by name (a hypothesis strategy of ``(label, run)`` cases) and a driver that runs N cases
of one target and tallies the outcomes; tests/fuzz/test_differential.py and tools/fuzz_report.py use it."""
import collections
import warnings

from hypothesis import HealthCheck, Phase, given, seed as fixed_seed, settings

from . import engine
from .layers import LAYER_TARGETS
from .functional import FUNCTIONAL_TARGETS
from .functional_calls import FUNCTIONAL_CALL_TARGETS
from .autograd_cases import AUTOGRAD_TARGETS

TARGETS = {**LAYER_TARGETS, **FUNCTIONAL_TARGETS, **FUNCTIONAL_CALL_TARGETS, **AUTOGRAD_TARGETS}


def tally(target, examples, derandomize=False, seed=None, keep=3):
    """Run ``examples`` cases of ``target``: (Counter of outcome kinds, {kind: [(label, detail)...]})."""
    counts, samples = collections.Counter(), collections.defaultdict(list)

    @settings(max_examples=examples, derandomize=derandomize, database=None, deadline=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(TARGETS[target])
    def one(case):
        label, run = case
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            outcome = engine.compare(run)
        counts[outcome.kind] += 1
        if outcome.kind != "same" and len(samples[outcome.kind]) < keep:
            samples[outcome.kind].append((label, outcome.detail))

    if seed is not None and not derandomize:
        one = fixed_seed(seed)(one)
    one()
    return counts, samples
