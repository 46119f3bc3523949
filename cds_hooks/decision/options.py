"""Treatment options by subtype and setting (clinical-knowledge.md b.6, table c)."""
from __future__ import annotations

from .config import DEFAULT_CONFIG, DecisionConfig
from .model import Assessment, Option


def options_for(assessment: Assessment, config: DecisionConfig = DEFAULT_CONFIG) -> list[Option]:
    """Options for the assessed subtype and setting; none while the subtype is indeterminate."""
    if assessment.subtype == "indeterminate":
        return []
    return []
