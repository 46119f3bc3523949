"""Every order conflict end to end through HTTP: order-sign/order-select with draftOrders for curated
case patients, chart data fetched by the service from the real FHIR server (no prefetch)."""
from __future__ import annotations

import datetime
import json
import uuid

import pytest

from cds_hooks.decision import DecisionConfig

ORDER_SELECT = "/cds-services/receptor-order-select"
ORDER_SIGN = "/cds-services/receptor-order-sign"
RXN = "http://www.nlm.nih.gov/research/umls/rxnorm"
CONFIG = DecisionConfig(today=datetime.date(2026, 11, 1))


def draft(patient: str, rid: str, rxcui: str, display: str) -> dict:
    return {"resourceType": "MedicationRequest", "id": f"{patient}-{rid}", "status": "draft", "intent": "order",
            "subject": {"reference": f"Patient/{patient}"},
            "medicationCodeableConcept": {"coding": [{"system": RXN, "code": rxcui, "display": display}]}}


def call(hook: str, patient: str, drafts: list[dict], fhir_base: str, selections: list[str] | None = None) -> dict:
    context = {"userId": "Practitioner/order-runner", "patientId": patient,
               # No Bundle.type, no fullUrl: as real clients send it (checklist 1D.17).
               "draftOrders": {"resourceType": "Bundle", "entry": [{"resource": d} for d in drafts]}}
    if hook == "order-select":
        context["selections"] = selections or [f"MedicationRequest/{drafts[0]['id']}"]
    return {"hook": hook, "hookInstance": str(uuid.uuid4()), "fhirServer": fhir_base, "context": context}


# (case patient, drafts as (id, rxcui, display), the topic the first draft must raise, its exact indicator by the
# written severity policy: critical only for a drug that cannot work for this tumour or patient)
CONFLICTS = {
    "endocrine-for-hr-negative": ("er-0-5pct", [("tam", "198240", "tamoxifen 10 MG Oral Tablet")], "critical"),
    "anti-her2-for-her2-negative": ("pitfall-p2-er-low", [("her", "101306", "Herceptin")], "critical"),
    # IHC 0 without a null/ultralow annotation: re-score first, not a drug known not to work -> warning.
    "tdxd-for-her2-zero": ("her2-ihc-0-unspecified", [("tdxd", "2267582", "trastuzumab deruxtecan")], "warning"),
    "ai-without-ovarian-suppression": ("option-hrpos-metastatic-premenopausal",
                                       [("ana", "199224", "anastrozole 1 MG Oral Tablet")], "critical"),
    "endocrine-concurrent-chemo": ("er-10pct", [("tam", "198240", "tamoxifen 10 MG Oral Tablet"),
                                                ("pac", "583214", "paclitaxel 100 MG Injection")], "warning"),
    "brca-germline-unconfirmed": ("er-0-5pct", [("ola", "1597582", "olaparib")], "warning"),
    "targeted-drug-without-alteration": ("metastatic-m1", [("alp", "2169285", "alpelisib")], "warning"),
}


@pytest.fixture(scope="module")
def cases_fhir(fhir_server):
    """The session's open FHIR server, loaded with every curated case."""
    return fhir_server


@pytest.mark.parametrize("hook", ["order-sign", "order-select"])
@pytest.mark.parametrize("topic", sorted(CONFLICTS))
def test_order_conflict_card_through_http(make_cds, cases_fhir, hook, topic):
    """The draft raises its conflict card with a delete suggestion for that draft and override reasons with display."""
    patient, specs, indicator = CONFLICTS[topic]
    drafts = [draft(patient, rid, rxcui, display) for rid, rxcui, display in specs]
    response = make_cds([cases_fhir.base_url], config=CONFIG).post(
        f"/cds-services/receptor-{hook}", call(hook, patient, drafts, cases_fhir.base_url))
    assert response.status_code == 200, response.get_json()
    cards = [c for c in response.get_json()["cards"] if c["source"]["topic"]["code"] == topic]
    assert cards, [c["source"]["topic"]["code"] for c in response.get_json()["cards"]]
    card = cards[0]
    assert card["indicator"] == indicator
    deletes = [a for s in card["suggestions"] for a in s["actions"] if a["type"] == "delete"]
    assert deletes and deletes[0]["resourceId"] == f"MedicationRequest/{drafts[0]['id']}"
    assert card["selectionBehavior"] == ("any" if len(card["suggestions"]) > 1 else "at-most-one")
    assert card["overrideReasons"] and all(r["display"] for r in card["overrideReasons"])
    assert json.loads(card["links"][0]["appContext"]) == {"patient": patient, "focus": topic}


def test_a_drug_named_by_a_urn_uuid_medication_entry_is_checked(make_cds, cases_fhir):
    """A draft whose drug is a Medication entry referenced by its fullUrl (urn:uuid, FHIR R4 Bundle references):
    tamoxifen for an ER 0-5 % patient raises the same critical card as a drug coded in the order itself."""
    url = f"urn:uuid:{uuid.uuid4()}"
    order = {"resourceType": "MedicationRequest", "id": "er-0-5pct-tam-ref", "status": "draft", "intent": "order",
             "subject": {"reference": "Patient/er-0-5pct"}, "medicationReference": {"reference": url}}
    medication = {"resourceType": "Medication", "code": {"coding": [{"system": RXN, "code": "198240"}]}}
    body = call("order-sign", "er-0-5pct", [order], cases_fhir.base_url)
    body["context"]["draftOrders"]["entry"].append({"fullUrl": url, "resource": medication})
    response = make_cds([cases_fhir.base_url], config=CONFIG).post(ORDER_SIGN, body)
    assert response.status_code == 200, response.get_json()
    cards = [c for c in response.get_json()["cards"] if c["source"]["topic"]["code"] == "endocrine-for-hr-negative"]
    assert [c["indicator"] for c in cards] == ["critical"]


def test_order_select_judges_only_the_selected_order(make_cds, cases_fhir):
    """With two drafts, order-select about the fitting one raises nothing about the unselected conflicting one."""
    patient = "pitfall-p2-er-low"
    herceptin = draft(patient, "her", "101306", "Herceptin")
    letrozole = draft(patient, "let", "200064", "letrozole 2.5 MG Oral Tablet")
    body = call("order-select", patient, [herceptin, letrozole], cases_fhir.base_url,
                selections=[f"MedicationRequest/{letrozole['id']}"])
    response = make_cds([cases_fhir.base_url], config=CONFIG).post(ORDER_SELECT, body)
    assert response.status_code == 200
    assert "anti-her2-for-her2-negative" not in {c["source"]["topic"]["code"] for c in response.get_json()["cards"]}
    body["context"]["selections"] = [f"MedicationRequest/{herceptin['id']}"]
    response = make_cds([cases_fhir.base_url], config=CONFIG).post(ORDER_SELECT, body)
    assert "anti-her2-for-her2-negative" in {c["source"]["topic"]["code"] for c in response.get_json()["cards"]}


def test_fitting_order_gives_an_empty_card_list(make_cds, cases_fhir):
    """Letrozole for a 66-year-old (postmenopausal by age) HR+ patient: {"cards": []} (CH: no guidance)."""
    patient = "metastatic-m1"
    body = call("order-sign", patient, [draft(patient, "let", "200064", "letrozole 2.5 MG Oral Tablet")],
                cases_fhir.base_url)
    response = make_cds([cases_fhir.base_url], config=CONFIG).post(ORDER_SIGN, body)
    assert response.status_code == 200
    assert response.get_json() == {"cards": []}


def test_missing_test_becomes_a_create_service_request_suggestion(make_cds, cases_fhir):
    """An alert naming a missing test offers to propose that test as a draft ServiceRequest for the patient."""
    patient, specs, _ = CONFLICTS["brca-germline-unconfirmed"]
    drafts = [draft(patient, rid, rxcui, display) for rid, rxcui, display in specs]
    response = make_cds([cases_fhir.base_url], config=CONFIG).post(
        ORDER_SIGN, call("order-sign", patient, drafts, cases_fhir.base_url))
    creates = [a for c in response.get_json()["cards"] for s in c.get("suggestions", []) for a in s["actions"]
               if a["type"] == "create"]
    assert creates, "no create suggestion"
    resource = creates[0]["resource"]
    assert resource["resourceType"] == "ServiceRequest" and resource["subject"] == {"reference": f"Patient/{patient}"}
    assert resource["code"]["coding"][0]["code"]
