"""Shared pytest set-up: hypothesis profiles.

CI runs the bounded ``ci`` profile (the default), derandomized: every run draws the same cases, so a red
CI run is reproducible and a green one is not luck. ``pytest --hypothesis-profile=thorough`` (or
``HYPOTHESIS_PROFILE=dev`` for 10 quick examples) draws random cases for a run started by hand. Tests
should not pin ``max_examples`` themselves, so that the profile decides.
"""
import os
import sys

import pytest
from hypothesis import HealthCheck, settings

_common = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
               print_blob=True)
settings.register_profile("ci", max_examples=30, derandomize=True, **_common)
settings.register_profile("thorough", max_examples=1000, **_common)
settings.register_profile("dev", max_examples=10, **_common)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# A test of random arguments that torch may refuse (assert_matches_torch(..., expect_errors=True)) compares
# only the exception type when torch refuses: its strategies must draw valid arguments most of the time.
# Judged from this many such calls on (one test function, all its examples).
MIN_CALLS_TO_JUDGE = 20


@pytest.fixture(autouse=True)
def most_examples_compare_values():
    """Fails a test whose expect_errors calls compared values in half of them or fewer."""
    compare = sys.modules.get("tests.torch_compare")
    if compare is not None:
        compare.EXPECT_ERRORS_TALLY.update(raised=0, compared=0)
    yield
    compare = sys.modules.get("tests.torch_compare")
    if compare is None:
        return
    raised, compared = compare.EXPECT_ERRORS_TALLY["raised"], compare.EXPECT_ERRORS_TALLY["compared"]
    assert raised + compared < MIN_CALLS_TO_JUDGE or compared > raised, (
        f"torch refused {raised} of {raised + compared} random cases: only the exception type was compared "
        f"there; bias the strategy toward valid arguments")
