"""The realistic record of the performance benchmark (issue 9), built deterministically (no randomness).

One patient with twelve years of metastatic HR-positive breast cancer, as an EHR's FHIR API sends it:
receptor Observations (ER %, PR %, HER2 IHC, HER2/CEP17 ratio, HER2 and CEP17 copy numbers) on 8 Specimens
(primary core, excision, sentinel node, local recurrence, two liver, bone, lung) with repeat stains; 2 stage
and 9 context Observations (menopausal status, Ki-67); 18 Conditions; 40 MedicationRequests; the 8
Specimens. Every resource carries what real EHR data carries around the values the rules read: ``meta``,
``identifier``, ``category``, ``encounter``, ``performer``, ``issued``, ``method`` and a ``note`` where its
type has them. With the default 200 receptor Observations: 278 resources, about 330 KB as prefetch.

``prefetch_body(...)`` puts the resources into the service's own prefetch keys by reading its templates
(resource type, patient, ``code`` list, ``_sort=-date``), so the request follows the templates as they
change. Also importable by the tests (the fast-path agreement test runs over this record).
"""
from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qsl

LNC = "http://loinc.org"
SCT = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
RXN = "http://www.nlm.nih.gov/research/umls/rxnorm"
ICD = "http://hl7.org/fhir/sid/icd-10-cm"
PATIENT_ID = "bench-patient-1"
SUBJECT = {"reference": f"Patient/{PATIENT_ID}"}
TODAY = date(2026, 11, 1)
_NOTE = "Transcribed from the signed pathology report; controls stained as expected."

# (id, label, collected, body site coding, ER %, PR %, HER2 IHC answer, ratio, HER2 copies, CEP17 copies)
SPECIMENS = (
    ("core", "Primary core biopsy, left breast", date(2014, 3, 10), (SCT, "80248007", "Left breast structure"),
     95, 60, ("LA11841-6", "1+"), 1.3, 2.4, 1.9),
    ("excision", "Wide local excision, left breast", date(2014, 4, 22), (SCT, "80248007", "Left breast structure"),
     90, 55, ("LA11841-6", "1+"), 1.2, 2.3, 1.9),
    ("sentinel", "Sentinel lymph node, left axilla", date(2014, 4, 22),
     (SCT, "68171009", "Axillary lymph node structure"), 85, 40, ("LA11841-6", "1+"), 1.4, 2.6, 1.9),
    ("recurrence", "Local recurrence, left chest wall", date(2019, 6, 5), (SCT, "80248007", "Left breast structure"),
     80, 20, ("LA11842-4", "2+"), 1.5, 3.0, 2.0),
    ("liver-1", "Liver biopsy, segment VI", date(2022, 2, 14), (SCT, "10200004", "Liver structure"),
     70, 5, ("LA11842-4", "2+"), 1.6, 3.2, 2.0),
    ("liver-2", "Liver biopsy, segment II", date(2024, 1, 9), (SCT, "10200004", "Liver structure"),
     60, 2, ("LA11841-6", "1+"), 1.4, 2.9, 2.1),
    ("bone", "Bone biopsy, iliac crest", date(2025, 3, 18), (SCT, "3138006", "Bone structure"),
     55, 0, ("LA11841-6", "1+"), 1.3, 2.7, 2.1),
    ("lung", "Lung biopsy, right lower lobe", date(2026, 2, 2), (SCT, "39607008", "Lung structure"),
     50, 0, ("LA11841-6", "1+"), 1.4, 2.8, 2.0),
)
# One set of stains on a specimen, in the order they are repeated (25 per round of 8 specimens = 200).
STAIN_ROUND = ("ER", "PR", "HER2", "ratio", "ER", "PR", "HER2", "copies", "cep17", "ratio", "ER", "PR", "HER2",
               "copies", "cep17", "ratio", "ER", "PR", "HER2", "copies", "cep17", "ratio", "ER", "PR", "HER2")


def _meta(rtype: str, n: int, when: str) -> dict[str, Any]:
    return {"versionId": str(1 + n % 3), "lastUpdated": f"{when}T09:30:00Z", "source": f"#ehr-{rtype.lower()}"}


def _identifier(kind: str, n: int) -> list[dict[str, Any]]:
    return [{"use": "official", "system": "urn:oid:2.16.840.1.113883.19.5", "value": f"{kind}-{n:06d}"}]


def _common(rtype: str, rid: str, n: int, when: date) -> dict[str, Any]:
    return {"resourceType": rtype, "id": rid, "meta": _meta(rtype, n, when.isoformat()),
            "identifier": _identifier(rtype.lower(), n)}


def _performer() -> list[dict[str, Any]]:
    return [{"reference": "Practitioner/pathologist-42", "display": "Dr. A. Pathologist"}]


def _lab_category() -> list[dict[str, Any]]:
    return [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                         "code": "laboratory", "display": "Laboratory"}]}]


def _quantity(value: float, unit: str, code: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": code}


def _receptor(n: int, kind: str, spec: tuple, when: date) -> dict[str, Any]:
    sid, _label, _collected, _site, er, pr, ihc, ratio, copies, cep17 = spec
    obs = _common("Observation", f"rec-{n:05d}", n, when)
    obs.update({"status": "final", "category": _lab_category()})
    if kind == "ER":
        obs["code"] = {"coding": [{"system": LNC, "code": "85329-1", "display": "Cells.estrogen receptor/100 cells "
                                   "in Breast cancer specimen by Immune stain"}], "text": "ER %"}
        obs["valueQuantity"] = _quantity(er, "%", "%")
    elif kind == "PR":
        obs["code"] = {"coding": [{"system": LNC, "code": "85325-9", "display": "Cells.progesterone receptor/100 cells "
                                   "in Breast cancer specimen by Immune stain"}], "text": "PR %"}
        obs["valueQuantity"] = _quantity(pr, "%", "%")
    elif kind == "HER2":
        obs["code"] = {"coding": [{"system": LNC, "code": "85319-2", "display": "HER2 [Presence] in Breast cancer "
                                   "specimen by Immune stain"}], "text": "HER2 IHC"}
        obs["valueCodeableConcept"] = {"coding": [{"system": LNC, "code": ihc[0], "display": ihc[1]}], "text": ihc[1]}
    elif kind == "ratio":
        obs["code"] = {"coding": [{"system": LNC, "code": "49683-6", "display": "ERBB2 gene copy number/Chromosome 17 "
                                   "copy number in Tissue by FISH"}], "text": "HER2/CEP17 ratio"}
        obs["valueQuantity"] = _quantity(ratio, "{ratio}", "{ratio}")
    elif kind == "copies":
        obs["code"] = {"coding": [{"system": LNC, "code": "74860-8", "display": "ERBB2 gene copy number/nucleus in "
                                   "Tissue by FISH"}], "text": "HER2 copies per nucleus"}
        obs["valueQuantity"] = _quantity(copies, "{copies}/{nucleus}", "{copies}/{nucleus}")
    else:
        obs["code"] = {"coding": [{"system": LNC, "code": "74861-6", "display": "Chromosome 17 copy number/nucleus in "
                                   "Tissue by FISH"}], "text": "CEP17 copies per nucleus"}
        obs["valueQuantity"] = _quantity(cep17, "{copies}/{nucleus}", "{copies}/{nucleus}")
    method = ("immunohistochemistry", "IHC") if kind in ("ER", "PR", "HER2") else ("fluorescence in situ hybridization", "FISH")
    obs.update({
        "subject": SUBJECT,
        "encounter": {"reference": f"Encounter/path-{sid}"},
        "effectiveDateTime": f"{when.isoformat()}T10:15:00Z",
        "issued": f"{(when + timedelta(days=1)).isoformat()}T16:40:12.120Z",
        "performer": _performer(),
        "method": {"coding": [{"system": SCT, "code": "117617002" if method[1] == "IHC" else "426329006",
                               "display": method[0]}], "text": method[1]},
        "specimen": {"reference": f"Specimen/spec-{sid}"},
        "note": [{"text": _NOTE}],
    })
    return obs


def _specimen(n: int, spec: tuple) -> dict[str, Any]:
    sid, label, collected, site, *_ = spec
    res = _common("Specimen", f"spec-{sid}", n, collected)
    res.update({
        "accessionIdentifier": {"system": "urn:oid:1.2.840.114350.1.13.0.1.7.5", "value": f"S{collected.year}-{n:05d}"},
        "status": "available",
        "type": {"coding": [{"system": SCT, "code": "309051001", "display": "Body tissue specimen"}], "text": label},
        "subject": SUBJECT,
        "receivedTime": f"{collected.isoformat()}T14:00:00Z",
        "collection": {"collector": {"reference": "Practitioner/surgeon-7"},
                       "collectedDateTime": f"{collected.isoformat()}T11:00:00Z",
                       "method": {"coding": [{"system": SCT, "code": "129314006", "display": "Biopsy - action"}]},
                       "bodySite": {"coding": [{"system": site[0], "code": site[1], "display": site[2]}], "text": label}},
        "note": [{"text": _NOTE}],
    })
    return res


def _simple_obs(n: int, rid: str, when: date, code: tuple, value: dict[str, Any], category: str) -> dict[str, Any]:
    obs = _common("Observation", rid, n, when)
    obs.update({
        "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                  "code": category}]}],
        "code": {"coding": [{"system": code[0], "code": code[1], "display": code[2]}]},
        "subject": SUBJECT, "encounter": {"reference": f"Encounter/clinic-{n}"},
        "effectiveDateTime": f"{when.isoformat()}T09:00:00Z", "issued": f"{when.isoformat()}T12:00:00Z",
        "performer": [{"reference": "Practitioner/oncologist-9", "display": "Dr. O. Oncologist"}],
        "method": {"text": "clinical assessment"}, "note": [{"text": _NOTE}], **value,
    })
    return obs


def _stage_and_context(start: int) -> list[dict[str, Any]]:
    cc = lambda system, code, display: {"valueCodeableConcept": {"coding": [{"system": system, "code": code, "display": display}]}}  # noqa: E731
    out = [
        _simple_obs(start, "stage-1", date(2014, 4, 30), (SCT, "399588009", "Pathologic TNM stage grouping"),
                    cc(SCT, "1222769001", "AJCC stage IIB"), "exam"),
        _simple_obs(start + 1, "stage-2", date(2022, 2, 20), (SCT, "399387003", "cM category"),
                    cc(SCT, "1229903009", "AJCC cM1"), "exam"),
    ]
    for i, (when, state) in enumerate(((date(2014, 3, 1), ("22636003", "Premenopausal state")),
                                       (date(2019, 6, 1), ("76498008", "Postmenopausal state")),
                                       (date(2022, 2, 1), ("76498008", "Postmenopausal state")),
                                       (date(2025, 3, 1), ("76498008", "Postmenopausal state")))):
        out.append(_simple_obs(start + 2 + i, f"menopause-{i + 1}", when, (SCT, "161712005", "Menopause, function"),
                               cc(SCT, *state), "social-history"))
    for i, (when, ki67) in enumerate(((date(2014, 3, 10), 12), (date(2014, 4, 22), 15), (date(2019, 6, 5), 25),
                                      (date(2022, 2, 14), 30), (date(2024, 1, 9), 35))):
        out.append(_simple_obs(start + 6 + i, f"ki67-{i + 1}", when,
                               (LNC, "85330-9", "Cells.Ki-67 nuclear Ag/100 cells in Breast cancer specimen by Immune stain"),
                               {"valueQuantity": _quantity(ki67, "%", "%")}, "laboratory"))
    return out


CONDITIONS = (
    ((SCT, "254837009", "Malignant neoplasm of breast"), date(2014, 3, 10)),
    ((ICD, "Z17.0", "Estrogen receptor positive status"), date(2014, 3, 20)),
    ((SCT, "94381002", "Secondary malignant neoplasm of liver"), date(2022, 2, 14)),
    ((SCT, "94222008", "Secondary malignant neoplasm of bone"), date(2025, 3, 18)),
    ((SCT, "94391008", "Secondary malignant neoplasm of lung"), date(2026, 2, 2)),
    ((SCT, "38341003", "Hypertensive disorder"), date(2011, 5, 2)),
    ((SCT, "55822004", "Hyperlipidemia"), date(2012, 1, 17)),
    ((SCT, "44054006", "Diabetes mellitus type 2"), date(2016, 8, 9)),
    ((SCT, "396275006", "Osteoarthritis"), date(2017, 3, 3)),
    ((SCT, "40930008", "Hypothyroidism"), date(2010, 11, 23)),
    ((SCT, "48694002", "Anxiety"), date(2014, 5, 6)),
    ((SCT, "35489007", "Depressive disorder"), date(2019, 7, 15)),
    ((SCT, "235595009", "Gastroesophageal reflux disease"), date(2015, 2, 10)),
    ((SCT, "37796009", "Migraine"), date(2005, 9, 1)),
    ((SCT, "195967001", "Asthma"), date(2001, 4, 12)),
    ((SCT, "414916001", "Obesity"), date(2013, 6, 30)),
    ((SCT, "34713006", "Vitamin D deficiency"), date(2020, 10, 5)),
    ((SCT, "193462001", "Insomnia"), date(2021, 1, 19)),
)

# (ingredient, RxNorm code, first order, number of orders, status of the last one)
MEDICATIONS = (
    ("tamoxifen", "10324", date(2014, 6, 1), 5, "completed"),
    ("goserelin", "50610", date(2019, 7, 1), 3, "stopped"),
    ("letrozole", "72965", date(2019, 7, 1), 3, "stopped"),
    ("palbociclib", "1601374", date(2022, 3, 1), 3, "stopped"),
    ("fulvestrant", "282357", date(2024, 2, 1), 4, "active"),
    ("lisinopril", "29046", date(2011, 5, 2), 3, "active"),
    ("atorvastatin", "83367", date(2012, 1, 17), 3, "active"),
    ("metformin", "6809", date(2016, 8, 9), 3, "active"),
    ("levothyroxine", "10582", date(2010, 11, 23), 3, "active"),
    ("sertraline", "36437", date(2019, 7, 15), 3, "active"),
    ("omeprazole", "7646", date(2015, 2, 10), 3, "active"),
    ("albuterol", "435", date(2001, 4, 12), 2, "active"),
    ("zoledronic acid", "77655", date(2025, 4, 1), 2, "active"),
)


def _condition(n: int, code: tuple, onset: date) -> dict[str, Any]:
    res = _common("Condition", f"cond-{n}", n, onset)
    cancer = code[1] in ("254837009", "Z17.0") or code[1].startswith("94")
    res.update({
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                       "code": "active"}]},
        "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                           "code": "confirmed"}]},
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category",
                                  "code": "problem-list-item" if not cancer else "encounter-diagnosis"}]}],
        "code": {"coding": [{"system": code[0], "code": code[1], "display": code[2]}], "text": code[2]},
        "subject": SUBJECT, "encounter": {"reference": f"Encounter/clinic-c{n}"},
        "onsetDateTime": onset.isoformat(), "recordedDate": f"{onset.isoformat()}T15:00:00Z",
        "recorder": {"reference": "Practitioner/oncologist-9"}, "asserter": {"reference": "Practitioner/oncologist-9"},
        "note": [{"text": _NOTE}],
    })
    return res


def _medication_requests(start: int) -> list[dict[str, Any]]:
    out = []
    n = start
    for name, rxcui, first, orders, last_status in MEDICATIONS:
        for k in range(orders):
            authored = first + timedelta(days=180 * k)
            res = _common("MedicationRequest", f"medreq-{n}", n, authored)
            res.update({
                "status": last_status if k == orders - 1 else "completed",
                "intent": "order",
                "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/medicationrequest-category",
                                          "code": "outpatient"}]}],
                "medicationCodeableConcept": {"coding": [{"system": RXN, "code": rxcui, "display": name}], "text": name},
                "subject": SUBJECT, "encounter": {"reference": f"Encounter/clinic-m{n}"},
                "authoredOn": f"{authored.isoformat()}T10:00:00Z",
                "requester": {"reference": "Practitioner/oncologist-9", "display": "Dr. O. Oncologist"},
                "performer": {"reference": "Organization/pharmacy-2"},
                "dosageInstruction": [{"text": f"{name} as directed", "timing": {"repeat": {"frequency": 1, "period": 1,
                                                                                        "periodUnit": "d"}}}],
                "note": [{"text": _NOTE}],
            })
            out.append(res)
            n += 1
    return out


def _patient() -> dict[str, Any]:
    res = _common("Patient", PATIENT_ID, 0, date(2014, 3, 1))
    res.update({"active": True, "name": [{"use": "official", "family": "Benchmark", "given": ["Record"]}],
                "gender": "female", "birthDate": "1968-07-14",
                "address": [{"line": ["1 Example Street"], "city": "Springfield", "postalCode": "00000", "country": "US"}]})
    return res


def build_record(receptor_observations: int = 200) -> list[dict[str, Any]]:
    """The record's resources: the patient, ``receptor_observations`` receptor results (repeat stains cycle
    over the 8 specimens, one day apart per repeat), 2 stage and 9 context Observations, 18 Conditions,
    40 MedicationRequests and the 8 Specimens. Same input, same output, byte for byte."""
    resources: list[dict[str, Any]] = [_patient()]
    for i in range(receptor_observations):
        spec = SPECIMENS[i % len(SPECIMENS)]
        repeat = i // len(SPECIMENS)
        kind = STAIN_ROUND[repeat % len(STAIN_ROUND)]
        when = spec[2] + timedelta(days=3 + repeat)       # each repeat stain a day later
        resources.append(_receptor(i + 1, kind, spec, when))
    resources.extend(_stage_and_context(receptor_observations + 1))
    resources.extend(_condition(i + 1, code, onset) for i, (code, onset) in enumerate(CONDITIONS))
    resources.extend(_medication_requests(1))
    resources.extend(_specimen(i + 1, spec) for i, spec in enumerate(SPECIMENS))
    return resources


# ---------------------------------------------------------------------- the record as a hook request

def _code_filter(params: dict[str, str]) -> set[tuple[str, str]] | None:
    value = params.get("code")
    if not value:
        return None
    return {tuple(token.split("|", 1)) for token in value.split(",") if "|" in token}  # type: ignore[misc]


def _matches(resource: dict[str, Any], rtype: str, codes: set[tuple[str, str]] | None) -> bool:
    if resource.get("resourceType") != rtype:
        return False
    if codes is None:
        return True
    concept = resource.get("code") or resource.get("medicationCodeableConcept") or {}
    return any((c.get("system"), c.get("code")) in codes for c in concept.get("coding", []))


def _date_of(resource: dict[str, Any]) -> str:
    return str(resource.get("effectiveDateTime") or resource.get("authoredOn") or resource.get("onsetDateTime") or "")


def prefetch_for(resources: list[dict[str, Any]], templates: dict[str, str]) -> dict[str, Any]:
    """What an EHR answers to each prefetch template for this record: a searchset Bundle per search (every
    match on one page, newest first when the template sorts by date), the resource itself for a read."""
    prefetch: dict[str, Any] = {}
    for key, template in templates.items():
        path, _, query = template.partition("?")
        if "/" in path:                                    # an instance read, e.g. Patient/{{context.patientId}}
            rtype = path.split("/", 1)[0]
            prefetch[key] = next(r for r in resources if r["resourceType"] == rtype)
            continue
        params = dict(parse_qsl(query, keep_blank_values=True))
        codes = _code_filter(params)
        found = [r for r in resources if _matches(r, path, codes)]
        if params.get("_sort") == "-date":
            found.sort(key=_date_of, reverse=True)
        prefetch[key] = {"resourceType": "Bundle", "type": "searchset", "total": len(found),
                         "entry": [{"fullUrl": f"https://ehr.example.org/fhir/{r['resourceType']}/{r['id']}",
                                    "resource": r, "search": {"mode": "match"}} for r in found]}
    return prefetch


def hook_request(resources: list[dict[str, Any]], templates: dict[str, str], *, seed: int = 0) -> dict[str, Any]:
    """A ``patient-view`` request with full prefetch (deterministic hookInstance for a given ``seed``)."""
    return {"hook": "patient-view", "hookInstance": str(uuid.UUID(int=0x9000_0000_0000_4000_8000_0000_0000_0000 + seed)),
            "context": {"userId": "Practitioner/oncologist-9", "patientId": PATIENT_ID},
            "prefetch": prefetch_for(resources, templates)}


def transaction_bundle(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """The record as a FHIR transaction (PUT by id), to load it into a FHIR server for the fallback timing."""
    return {"resourceType": "Bundle", "type": "transaction",
            "entry": [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r,
                       "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}} for r in resources]}
