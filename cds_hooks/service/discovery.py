"""The three services we offer (one per hook) and their prefetch templates (CH §Discovery, checklist 1B/1E).

Templates stay inside the spec's restricted subset (CH §Prefetch query restrictions):
type-level search, ``patient={{context.patientId}}``, token parameters with equality and a
system, ``_sort=-date``, ``_count``, and one instance read. One key per resource family.

Several codes on one ``code`` parameter, comma-joined, are an OR of token *equality* tests
(R4S §Composite/OR); the subset forbids token modifiers other than ``:in``, not value lists,
so this stays within "token equality". Support for value lists is not guaranteed everywhere
(checklist 3A.9), which is why each key is also complete on its own when we fetch it
ourselves from ``fhirServer`` with the same query. Conditions are searched by patient only:
metastasis is a code hierarchy (SNOMED descendants of 128462008, ICD-10-CM C77-C79) that the
subset cannot express without ``:below``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cds_hooks.knowledge import codes as _kc

# The code lists come from the knowledge tables (cds_hooks.knowledge.codes, clinical-knowledge.md a.1-a.6),
# so the readers and the prefetch can never disagree about which codes matter.
RECEPTOR_CODES = tuple(
    (e.system, e.code) for e in (*_kc.RECEPTOR_CODES, *_kc.SERUM_HER2_CODES, *_kc.HER2_TEST_PROCEDURES,
                                 _kc.GENERIC_TUMOR_MARKER)
) + tuple(_kc.KNOWN_WRONG_SYSTEM)   # so the readers can flag them (P17) rather than never see them
STAGE_CODES = tuple((e.system, e.code) for e in (*_kc.STAGE_GROUP_CODES, *_kc.M_CATEGORY_CODES, _kc.METASTASIS_SITE))
# Companion biomarkers, disease status, tumour markers, menopausal status: the inputs of P12, P14-P16, P20.
CONTEXT_CODES = tuple(sorted(set(_kc.OBSERVATION_CODES) - set(RECEPTOR_CODES) - set(STAGE_CODES)))


def _codes(codes: tuple[tuple[str, str], ...]) -> str:
    return ",".join(f"{system}|{code}" for system, code in codes)


PATIENT = "{{context.patientId}}"
PREFETCH: dict[str, str] = {
    "patient": f"Patient/{PATIENT}",
    "receptorObservations": f"Observation?patient={PATIENT}&code={_codes(RECEPTOR_CODES)}&_sort=-date&_count=100",
    "conditions": f"Condition?patient={PATIENT}&_count=100",
    "stageObservations": f"Observation?patient={PATIENT}&code={_codes(STAGE_CODES)}&_sort=-date&_count=50",
    "contextObservations": f"Observation?patient={PATIENT}&code={_codes(CONTEXT_CODES)}&_sort=-date&_count=100",
    # All statuses, not only active: prior endocrine therapy or chemotherapy changes the pitfalls (P8, P9, P11).
    "medicationRequests": f"MedicationRequest?patient={PATIENT}&_count=100",
    "medicationStatements": f"MedicationStatement?patient={PATIENT}&_count=100",
    # Specimens tell a primary from a metastasis biopsy (P9 retest at recurrence, conversion).
    "specimens": f"Specimen?patient={PATIENT}&_count=100",
}
# Without these a subtype cannot be stated; everything else degrades to a card naming the gap.
REQUIRED_KEYS = ("patient", "receptorObservations")

PREFETCH_LABELS: dict[str, str] = {
    "patient": "the Patient record",
    "receptorObservations": "ER, PR and HER2 results",
    "conditions": "breast cancer and metastasis diagnoses (Conditions)",
    "stageObservations": "stage and M-category observations",
    "contextObservations": "biomarker, tumour-marker and menopausal-status observations",
    "medicationRequests": "medication orders (current and past)",
    "medicationStatements": "medication statements (current and past)",
    "specimens": "specimen records (primary or metastasis)",
}

USAGE = (
    "Send a JWT signed with a key from the trusted-issuers file (aud = the URL called). "
    "Prefetch what the templates ask for, or send fhirServer (on your allowlist) with fhirAuthorization "
    "granting patient/Patient.read, patient/Observation.read, patient/Condition.read and "
    "patient/MedicationRequest.read, patient/MedicationStatement.read and patient/Specimen.read."
)


@dataclass(frozen=True)
class ServiceDefinition:
    """One service: one id, one hook. Real clients key services by id (the CDS Hooks sandbox stores them under
    ``{discovery}/{id}``), so an id listed for two hooks makes the second entry replace the first."""

    id: str
    hook: str
    title: str
    description: str

    def discovery_entry(self) -> dict[str, Any]:
        return {"hook": self.hook, "id": self.id, "title": self.title, "description": self.description,
                "prefetch": dict(PREFETCH), "usageRequirements": USAGE}


_ORDER_DESCRIPTION = (
    "Checks draft medication orders against the patient's receptor picture and flags drugs that cannot "
    "work or need a missing test first (e.g. endocrine therapy for HR-negative disease)."
)

SERVICES: dict[str, ServiceDefinition] = {
    "receptor-assessment": ServiceDefinition(
        id="receptor-assessment",
        hook="patient-view",
        title="Breast cancer receptor subtype and pitfalls",
        description=(
            "Reads the patient's ER, PR and HER2 results and answers with the receptor subtype and its evidence, "
            "drug-class treatment options, and one card per testing or treatment pitfall found in the chart."
        ),
    ),
    "receptor-order-select": ServiceDefinition(
        id="receptor-order-select",
        hook="order-select",
        title="Receptor check of selected cancer drug orders",
        description=_ORDER_DESCRIPTION + " Called when an order is selected.",
    ),
    "receptor-order-sign": ServiceDefinition(
        id="receptor-order-sign",
        hook="order-sign",
        title="Receptor check of cancer drug orders before signing",
        description=_ORDER_DESCRIPTION + " Called when orders are about to be signed.",
    ),
}


def discovery_document() -> dict[str, Any]:
    """The discovery response; never empty (the sandbox treats an empty list as failure, checklist 1K)."""
    return {"services": [service.discovery_entry() for service in SERVICES.values()]}
