"""Hypothesis profiles, and how many examples each property test tries under them.

Why: in CI a property test must give the same verdict on every run of the same code, so the ``ci`` profile
(chosen when ``CI`` is set) is derandomized and keeps no example database. On a developer's machine the
``dev`` profile stays random, and Hypothesis' local database replays any failure it found. A longer random
search is a command, not a CI step:

    HYPOTHESIS_PROFILE=long python -m pytest -q tests/decision/test_properties.py tests/decision/test_pitfalls.py tests/service/test_fuzz_requests.py

``mutation`` (used by the mutation-testing command) is derandomized with a tenth of the examples.
``long`` multiplies every test's example budget by ``LONG_SCALE`` (the budgets are written per test with
``examples(n)``, since an explicit ``max_examples`` would otherwise override any profile).
"""
from __future__ import annotations

import os

from hypothesis import settings

LONG_SCALE = 20

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("dev")
settings.register_profile("long", derandomize=False)
# Mutation testing runs the covering tests once per mutant: deterministic, and a tenth of the examples.
settings.register_profile("mutation", derandomize=True, database=None)

PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
settings.load_profile(PROFILE)


def examples(n: int) -> int:
    """The example budget of a property test whose normal budget is ``n``, under the active profile."""
    if PROFILE == "long":
        return n * LONG_SCALE
    if PROFILE == "mutation":
        return max(10, n // 10)
    return n
