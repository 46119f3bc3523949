"""What counts as disease progression: one rule read by the lines of therapy, the options and the pitfalls.

Why a module of its own: lines of therapy (which progression ends a line), the options (the latest relapse) and
the pitfalls (P12) must agree on it, and the lines sit below the options, so the rule cannot live in either.
"""
from __future__ import annotations

from typing import Any

# Evidence types of an mCODE disease-status observation that are tumour-marker measurement only.
TUMOR_MARKER_EVIDENCE = frozenset({"tumor-marker", "250724005"})


def marker_only(event: Any) -> bool:
    """A disease-status event whose only evidence is tumour-marker measurement (P12)."""
    types = {str(t).lower() for t in event.detail.get("evidence_types", [])}
    return bool(types) and types <= TUMOR_MARKER_EVIDENCE


def is_worsening(event: Any) -> bool:
    """A disease-status event counts as progression only when it says "worsened" (mCODE 271299001) and
    rests on more than tumour markers: markers alone must not define progression (ASCO 2016, P12)."""
    return event.kind != "progression" or not marker_only(event)


__all__ = ["TUMOR_MARKER_EVIDENCE", "is_worsening", "marker_only"]
