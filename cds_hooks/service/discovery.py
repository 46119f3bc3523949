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

from cds_hooks.decision.reads import CORE_READS, PATIENT_TOKEN, SEARCHED_TYPES
from cds_hooks.decision.reads import REQUIRED_KEYS as _REQUIRED
from cds_hooks.service.cards import CARD_TOPICS, TOPIC_DISPLAY, TOPIC_SYSTEM

# One key per read the decision core declares (cds_hooks.decision.reads): the templates, the labels of
# what could not be had, and the access asked for all come from that one declaration, so the core can
# never understand a resource the service does not fetch.
PATIENT = PATIENT_TOKEN
PREFETCH: dict[str, str] = {read.key: read.query(PATIENT) for read in CORE_READS}
# Without these a subtype cannot be stated; everything else degrades to a card naming the gap.
REQUIRED_KEYS = _REQUIRED

PREFETCH_LABELS: dict[str, str] = {read.key: read.label for read in CORE_READS}

USAGE = (
    "Send a JWT signed with a key from the trusted-issuers file (aud = the URL called). "
    "Prefetch what the templates ask for, or send fhirServer (on your allowlist) with fhirAuthorization "
    "granting read access to " + ", ".join(f"patient/{t}.read" for t in SEARCHED_TYPES) + "."
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
                "prefetch": dict(PREFETCH), "usageRequirements": USAGE, "extension": CARD_TOPICS_EXTENSION}


# The topic codes a card may carry (source.topic, coveredTopics), so an EHR can set up analytics and routing
# before the first card arrives; the same list as the README table and the response JSON Schema.
CARD_TOPICS_EXTENSION: dict[str, Any] = {"receptor-cds": {
    "cardTopicSystem": TOPIC_SYSTEM,
    "cardTopics": [{"code": code, "display": TOPIC_DISPLAY[code]} for code in CARD_TOPICS],
}}

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
            "drug-class treatment options, and one card per action a testing or treatment pitfall calls for (a card "
            "lists every pitfall the same action answers)."
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
