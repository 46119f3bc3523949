"""Tunable points of the decision rules.

Only values that a source leaves open, or that sources disagree on, live here; every
other threshold is fixed knowledge in ``cds_hooks.knowledge``. Defaults are the values
declared in ``cds_hooks.knowledge.thresholds`` (with their sources), never a second copy.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..knowledge.thresholds import ER_PR_LOW_POSITIVE_MAX_PERCENT


@dataclass(frozen=True)
class DecisionConfig:
    # ASCO/CAP 2020 (clinical-knowledge.md b.2): 1-10% is "ER low positive"; some papers use
    # 1-9%. With the default, exactly 10% is low; set False to make 10% positive.
    low_positive_includes_upper_bound: bool = True
    low_positive_upper_percent: float = ER_PR_LOW_POSITIVE_MAX_PERCENT.value
    # The date "now" for age and staleness rules; None means today's date (UTC).
    today: date | None = None
    # Where the product is used, for labels that differ by regulator: "US" leaves out options with no US
    # indication (atezolizumab for TNBC); "" means not stated, and such options carry their regional note.
    region: str = ""


DEFAULT_CONFIG = DecisionConfig()
