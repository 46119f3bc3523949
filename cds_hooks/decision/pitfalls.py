"""Pitfall rules P1-P20 and the seeds' own (clinical-knowledge.md d)."""
from __future__ import annotations

from .config import DEFAULT_CONFIG, DecisionConfig
from .model import Alert, Assessment


def find_pitfalls(assessment: Assessment, config: DecisionConfig = DEFAULT_CONFIG) -> list[Alert]:
    """Every pitfall the assessment's facts show."""
    return []
