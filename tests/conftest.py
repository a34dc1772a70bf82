"""Shared pytest set-up: hypothesis profiles.

CI runs the bounded ``ci`` profile (the default), derandomized: every run draws the same cases, so a red
CI run is reproducible and a green one is not luck. ``pytest --hypothesis-profile=thorough`` (or
``HYPOTHESIS_PROFILE=dev`` for 10 quick examples) draws random cases for a run started by hand. Tests
should not pin ``max_examples`` themselves, so that the profile decides.
"""
import os

from hypothesis import HealthCheck, settings

_common = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
               print_blob=True)
settings.register_profile("ci", max_examples=30, derandomize=True, **_common)
settings.register_profile("thorough", max_examples=1000, **_common)
settings.register_profile("dev", max_examples=10, **_common)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

