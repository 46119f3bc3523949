"""What the audit asks the server for, and which patients it reports on.

``EXPORT_TYPES`` is the Bulk Data ``_type``: the resource types the decision core reads. It is taken from the
core's own declaration (``cds_hooks.decision.intake.VALIDATED_TYPES``) rather than listed here, so the audit
cannot ask for less than ``assess()`` uses.

``SHARED_TYPES`` are read by the core but belong to no patient (a ``Medication`` named by a
``MedicationRequest.medicationReference``): the pipeline hands them to every patient that references them.

``in_scope``: the audit reports on breast-cancer patients. A patient is one when the core found a breast cancer
diagnosis (a breast primary or receptor-status Condition), any ER/PR/HER2 result, or a receptor status carried
by a Condition. Everyone else in the export is counted, not listed: a row for a patient without breast cancer
would only say "indeterminate".
"""
from __future__ import annotations

from cds_hooks.decision import Assessment
from cds_hooks.decision.intake import VALIDATED_TYPES

EXPORT_TYPES: tuple[str, ...] = tuple(VALIDATED_TYPES)
SHARED_TYPES: frozenset[str] = frozenset({"Medication"}) & frozenset(EXPORT_TYPES)


def in_scope(assessment: Assessment) -> bool:
    """True when the assessment shows breast cancer (a diagnosis, a receptor result or a receptor condition)."""
    if assessment.history:
        return True
    if any(event.kind == "diagnosis" for event in assessment.events):
        return True
    return "condition" in (assessment.er.basis, assessment.pr.basis, assessment.her2.basis)
