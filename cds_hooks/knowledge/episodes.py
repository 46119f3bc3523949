"""Fixed numbers of the episode model (the patient over time), each with its source.

Kept here until ``cds_hooks.knowledge.thresholds`` (the one declaration of every numeric threshold)
exists; then declared there and read from there.

- ``DE_NOVO_WINDOW_MONTHS``: metastatic disease found within this many months of the diagnosis is
  disease that was metastatic at diagnosis (de novo stage IV), not a relapse. The receptor results of
  the diagnostic biopsy then describe the metastatic disease, so no "retest at recurrence" applies
  (clinical-knowledge.md d, P9 revised). The number is the SEER Summary Staging Manual 2000 time rule:
  the stage at diagnosis includes what is found "within four months of diagnosis in the absence of
  disease progression" (source id ``seer-staging-time-rule``). Comparison: metastasis date <= diagnosis
  date + 4 calendar months counts as de novo.
"""
from __future__ import annotations

DE_NOVO_WINDOW_MONTHS = 4
DE_NOVO_WINDOW_SOURCE = "seer-staging-time-rule"

__all__ = ["DE_NOVO_WINDOW_MONTHS", "DE_NOVO_WINDOW_SOURCE"]
