"""Test patients for the SMART end-to-end tests (ids prefixed "smart-" so they never clash with fixtures).

``conversion``: ER 90% / PR 40% / HER2 IHC 1+ on the primary (2019), liver metastasis in 2023 with
ER 0% / PR 20% / HER2 IHC 0 on the metastasis biopsy: a receptor change at relapse and an
ER-negative/PR-positive result, the shape the chart and the pitfall section must show. It is a curated
case (``fixtures/cases/smart-conversion.json``), so the page tests take their expectations from its file.
``plain``: one primary with ER 95%, PR 80%, HER2 IHC 3+.
``specimen``: results whose site is only on the Specimen they name (no Observation.bodySite): a liver
biopsy, and a letrozole order after a bilateral oophorectomy (the page must read Specimen and Procedure).
"""
from __future__ import annotations

import json
from pathlib import Path

CONVERSION_PATIENT_ID = "smart-conversion"
CASES_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "cases"
PLAIN_PATIENT_ID = "smart-plain"
SPECIMEN_PATIENT_ID = "smart-specimen"
LOINC = "http://loinc.org"
SCT = "http://snomed.info/sct"
LIVER = {"coding": [{"system": SCT, "code": "10200004", "display": "Liver structure"}]}
BREAST = {"coding": [{"system": SCT, "code": "76752008", "display": "Breast structure"}]}


def _obs(pid: str, oid: str, code: str, display: str, when: str, site: dict, **value) -> dict:
    return {"resourceType": "Observation", "id": f"{pid}-{oid}", "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                      "code": "laboratory"}]}],
            "code": {"coding": [{"system": LOINC, "code": code, "display": display}]},
            "subject": {"reference": f"Patient/{pid}"}, "effectiveDateTime": when, "bodySite": site, **value}


def _pct(v: float) -> dict:
    return {"valueQuantity": {"value": v, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"}}


def _patient(pid: str, family: str, given: str) -> dict:
    return {"resourceType": "Patient", "id": pid, "gender": "female", "birthDate": "1968-04-02",
            "name": [{"use": "official", "family": family, "given": [given]}]}


def _condition(pid: str, cid: str, code: str, display: str, onset: str, site: dict) -> dict:
    return {"resourceType": "Condition", "id": f"{pid}-{cid}", "subject": {"reference": f"Patient/{pid}"},
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                           "code": "active"}]},
            "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                               "code": "confirmed"}]},
            "code": {"coding": [{"system": SCT, "code": code, "display": display}]},
            "bodySite": [site], "onsetDateTime": onset}


def _bundle(resources: list[dict]) -> dict:
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}


def conversion_case() -> dict:
    """The curated case file of the conversion patient: its bundle and what a clinician would conclude."""
    return json.loads((CASES_DIR / f"{CONVERSION_PATIENT_ID}.json").read_text(encoding="utf-8"))


def conversion_bundle() -> dict:
    return conversion_case()["bundle"]


def plain_bundle() -> dict:
    p = PLAIN_PATIENT_ID
    return _bundle([
        _patient(p, "Plain", "Bea"),
        _condition(p, "primary", "254837009", "Malignant neoplasm of breast", "2025-09-01", BREAST),
        _obs(p, "er", "85329-1", "ER cells/100 cells", "2025-09-10", BREAST, **_pct(95)),
        _obs(p, "pr", "85325-9", "PR cells/100 cells", "2025-09-10", BREAST, **_pct(80)),
        _obs(p, "her2", "85319-2", "HER2 IHC", "2025-09-10", BREAST, valueString="3+"),
    ])


def specimen_bundle() -> dict:
    p = SPECIMEN_PATIENT_ID
    spec = {"resourceType": "Specimen", "id": f"{p}-liver-biopsy", "subject": {"reference": f"Patient/{p}"},
            "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0487", "code": "TISS"}]},
            "collection": {"collectedDateTime": "2024-02-01", "bodySite": LIVER}}

    def on_spec(obs: dict) -> dict:
        obs = {k: v for k, v in obs.items() if k != "bodySite"}
        return {**obs, "specimen": {"reference": f"Specimen/{spec['id']}"}}

    patient = {**_patient(p, "Specimen", "Cleo"), "birthDate": "1976-05-01"}
    return _bundle([
        patient, spec,
        _condition(p, "primary", "254837009", "Malignant neoplasm of breast", "2019-03-01", BREAST),
        _condition(p, "liver-met", "94381002", "Secondary malignant neoplasm of liver", "2024-01-20", LIVER),
        on_spec(_obs(p, "er", "85329-1", "ER cells/100 cells", "2024-02-01", LIVER, **_pct(85))),
        on_spec(_obs(p, "pr", "85325-9", "PR cells/100 cells", "2024-02-01", LIVER, **_pct(30))),
        on_spec(_obs(p, "her2", "85319-2", "HER2 IHC", "2024-02-01", LIVER, valueString="1+")),
        {"resourceType": "Procedure", "id": f"{p}-oophorectomy", "status": "completed",
         "subject": {"reference": f"Patient/{p}"}, "performedDateTime": "2023-05-01",
         "code": {"coding": [{"system": SCT, "code": "29827000",
                              "display": "Bilateral salpingectomy with oophorectomy"}]}},
        {"resourceType": "MedicationRequest", "id": f"{p}-letrozole", "status": "active", "intent": "order",
         "subject": {"reference": f"Patient/{p}"}, "authoredOn": "2024-03-01",
         "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                                   "code": "72965", "display": "letrozole"}]}},
    ])
