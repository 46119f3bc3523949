"""What the audit asks the server for, and which patients it reports on.

``EXPORT_TYPES`` is the Bulk Data ``_type``: every resource type the decision core reads, from the core's one
declaration (``cds_hooks.decision.reads.RESOURCE_TYPES``), so the audit cannot ask for less than ``assess()``
uses. Unlike a patient search, an export can include ``Medication``.

``SHARED_TYPES`` are the types the core reads only by following a reference (``reads.REFERENCED_TYPES``: a
``Medication`` named by a ``MedicationRequest.medicationReference``). They belong to no patient, so the pipeline
hands them to every patient whose resources reference them.

``in_scope``: the audit reports on breast-cancer patients. A patient is one when the core found a breast cancer
diagnosis (a breast primary or receptor-status Condition), any ER/PR/HER2 result, or a receptor status carried
by a Condition. Everyone else in the export is counted, not listed: a row for a patient without breast cancer
would only say "indeterminate".
"""
from __future__ import annotations

from cds_hooks.decision import Assessment
from cds_hooks.decision.reads import REFERENCED_TYPES, RESOURCE_TYPES

EXPORT_TYPES: tuple[str, ...] = RESOURCE_TYPES
SHARED_TYPES: frozenset[str] = frozenset(REFERENCED_TYPES)


def in_scope(assessment: Assessment) -> bool:
    """True when the assessment shows breast cancer (a diagnosis, a receptor result or a receptor condition)."""
    if assessment.history:
        return True
    if any(event.kind == "diagnosis" for event in assessment.events):
        return True
    return "condition" in (assessment.er.basis, assessment.pr.basis, assessment.her2.basis)
