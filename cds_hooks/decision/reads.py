"""What the decision core reads: the one declaration of the resource types and codes ``assess()`` uses.

Why one declaration: a rule can only be right about data that reaches it. The core understood a
bilateral oophorectomy (menopause, b.5) long before anything fetched ``Procedure``, so women after an
oophorectomy were told their aromatase inhibitor lacked ovarian suppression. Every way data reaches the
core is therefore derived from, or tested against, this module:

- the CDS Hooks discovery prefetch templates (``cds_hooks.service.discovery.PREFETCH``) and, through
  them, the service's own FHIR fallback queries (``cds_hooks.service.prefetch.gather``);
- the SMART app's scopes and searches (``app.smart``), the access the development EHR grants the
  service (``fhirAuthorization``), Bulk Data ``_type`` lists and the patient page's scopes;
- the README's scope list (a test compares them).

A test walks the decision package for every ``of_type(...)`` call, and every resource type the intake
validates, and fails if one of them is not declared here.

Each ``CoreRead`` is one query a client can run: a read of the Patient, or a patient search of one
resource type, optionally limited to a code list (token equality, several codes OR-ed with commas:
within the CDS Hooks prefetch subset). The code lists come from the knowledge tables
(``cds_hooks.knowledge.codes``), so adding a code to a table makes it fetched too.

Types the core only follows references to (``Medication`` via ``MedicationRequest.medicationReference``)
are listed in ``REFERENCED_TYPES`` with why they are not searched: they are used when the EHR sends them
(contained or in the prefetch bundle) and otherwise the medication stays unclassified ("no information").
Imports: ``cds_hooks.knowledge`` only.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..knowledge import codes as _kc

PATIENT_TOKEN = "{{context.patientId}}"


@dataclass(frozen=True)
class CoreRead:
    """One query the decision core needs answered for a patient."""

    key: str                                   # prefetch key (part of the discovery document: stable)
    resource_type: str
    label: str                                 # what it holds, in words (shown when it cannot be had)
    purpose: str                               # which rules use it
    codes: tuple[tuple[str, str], ...] = ()    # (system, code) token filter; empty = all of the patient's
    instance: bool = False                     # a read of Patient/{id} rather than a search
    sort: str | None = None                    # "-date" where the type has a date search parameter
    count: int = 100
    required: bool = False                     # without it no subtype can be stated (a 412 in CDS Hooks)

    def search_params(self, patient_id: str) -> dict[str, str]:
        """The search parameters of this read (not for the instance read)."""
        params = {"patient": patient_id}
        if self.codes:
            params["code"] = ",".join(f"{system}|{code}" for system, code in self.codes)
        if self.sort:
            params["_sort"] = self.sort
        params["_count"] = str(self.count)
        return params

    def query(self, patient_id: str = PATIENT_TOKEN) -> str:
        """The relative FHIR query (unencoded, as a CDS Hooks prefetch template writes it)."""
        if self.instance:
            return f"{self.resource_type}/{patient_id}"
        return f"{self.resource_type}?" + "&".join(f"{k}={v}" for k, v in self.search_params(patient_id).items())


def _pairs(entries) -> tuple[tuple[str, str], ...]:
    return tuple(dict.fromkeys((e.system, e.code) for e in entries))


# Receptor results (a.1-a.2), plus codes read only to be flagged (serum HER2, test-procedure codes, the
# generic tumour-marker code, SNOMED codes sent under the LOINC system: P17), so the readers see them.
RECEPTOR_OBSERVATION_CODES = _pairs((*_kc.RECEPTOR_CODES, *_kc.SERUM_HER2_CODES, *_kc.HER2_TEST_PROCEDURES,
                                     _kc.GENERIC_TUMOR_MARKER)) + tuple(_kc.KNOWN_WRONG_SYSTEM)
# Stage group, T/N/M category, site of distant metastasis (b.5 setting; option criteria).
STAGE_OBSERVATION_CODES = _pairs((*_kc.STAGE_GROUP_CODES, *_kc.M_CATEGORY_CODES, _kc.METASTASIS_SITE,
                                  *_kc.T_CATEGORY_CODES, *_kc.N_CATEGORY_CODES))
# Everything else the Observation readers know: biomarkers, PD-L1, disease status, tumour markers,
# menopausal status, tumour size/nodes/grade/genomic risk (P12, P14-P16, P20, option criteria).
CONTEXT_OBSERVATION_CODES = tuple(sorted(set(_kc.OBSERVATION_CODES) - set(RECEPTOR_OBSERVATION_CODES)
                                         - set(STAGE_OBSERVATION_CODES)))
# Bilateral oophorectomy (menopause, b.5) and breast surgery/biopsy (episodes, specimen dates).
PROCEDURE_CODES = tuple(sorted(_kc.PROCEDURE_CODES))

CORE_READS: tuple[CoreRead, ...] = (
    CoreRead("patient", "Patient", "the Patient record", "sex and age (menopause, male breast cancer)",
             instance=True, required=True),
    CoreRead("receptorObservations", "Observation", "ER, PR and HER2 results", "receptor status and subtype",
             RECEPTOR_OBSERVATION_CODES, sort="-date", required=True),
    CoreRead("conditions", "Condition", "breast cancer and metastasis diagnoses (Conditions)",
             "setting (early or metastatic), recurrence, receptor status recorded as a diagnosis; searched by "
             "patient only because metastasis is a code hierarchy the prefetch subset cannot express"),
    CoreRead("stageObservations", "Observation", "stage and M-category observations", "setting and stage",
             STAGE_OBSERVATION_CODES, sort="-date", count=50),
    CoreRead("contextObservations", "Observation", "biomarker, tumour-marker and menopausal-status observations",
             "companion biomarkers, PD-L1, disease status, menopausal status", CONTEXT_OBSERVATION_CODES,
             sort="-date"),
    # All statuses, not only active: prior lines of therapy decide several options and pitfalls.
    CoreRead("medicationRequests", "MedicationRequest", "medication orders (current and past)",
             "current drugs, prior lines of therapy, order conflicts"),
    CoreRead("medicationStatements", "MedicationStatement", "medication statements (current and past)",
             "current drugs and prior lines of therapy recorded as statements"),
    CoreRead("medicationAdministrations", "MedicationAdministration", "medication administrations (infusions given)",
             "chemotherapy and antibody infusions given, for prior lines of therapy"),
    # Specimens tell a primary from a metastasis biopsy (P9 retest at recurrence, conversion).
    CoreRead("specimens", "Specimen", "specimen records (primary or metastasis)",
             "which sample a result comes from (breast, lymph node, metastasis) and when it was taken"),
    CoreRead("procedures", "Procedure", "bilateral oophorectomy and breast surgery or biopsy",
             "menopausal status after oophorectomy; surgery and biopsy dates", PROCEDURE_CODES),
    CoreRead("diagnosticReports", "DiagnosticReport", "pathology and other reports grouping results",
             "specimen and date of results grouped under a report", sort="-date"),
)

KEYS: dict[str, CoreRead] = {r.key: r for r in CORE_READS}
if len(KEYS) != len(CORE_READS):
    raise ValueError("duplicate key in CORE_READS")

# Types the core reads only by following a reference, and why they are not searched.
REFERENCED_TYPES: dict[str, str] = {
    "Medication": "read when a MedicationRequest/Statement names it by reference and the EHR sends it "
                  "(contained or in the same bundle); Medication is not in the patient compartment, so it "
                  "cannot be searched by patient",
}

# Every type fetched for a patient, in declaration order (Patient first).
SEARCHED_TYPES: tuple[str, ...] = tuple(dict.fromkeys(r.resource_type for r in CORE_READS))
# Every type the core reads, searched or by reference: what the intake validates.
RESOURCE_TYPES: tuple[str, ...] = SEARCHED_TYPES + tuple(t for t in REFERENCED_TYPES if t not in SEARCHED_TYPES)
REQUIRED_KEYS: tuple[str, ...] = tuple(r.key for r in CORE_READS if r.required)


def reads_of_type(resource_type: str) -> tuple[CoreRead, ...]:
    """The declared reads of one resource type (several for Observation: one per code group)."""
    return tuple(r for r in CORE_READS if r.resource_type == resource_type)


def patient_scopes(suffix: str = ".rs") -> list[str]:
    """SMART patient-level read scopes for every searched type (``.rs`` for SMART v2, ``.read`` for v1)."""
    return [f"patient/{t}{suffix}" for t in SEARCHED_TYPES]


__all__ = ["CoreRead", "CORE_READS", "KEYS", "REFERENCED_TYPES", "SEARCHED_TYPES", "RESOURCE_TYPES",
           "REQUIRED_KEYS", "PROCEDURE_CODES", "reads_of_type", "patient_scopes"]
