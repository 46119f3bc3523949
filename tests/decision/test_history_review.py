"""Independent review of the receptor history over time (issue 13 section 1): the rules at their edges.

Expectations come from clinical-knowledge.md b.3 "Multiple samples" (revised) and the sources named in each
test, never from running the code. The patient-level histories are case files (fixtures/cases/review-*.json);
these tests pin the edges of the rules those cases rest on.
"""
from __future__ import annotations

from datetime import date

import pytest

from cds_hooks.decision import DecisionConfig, assess
from cds_hooks.knowledge import codes
from cds_hooks.knowledge.thresholds import DE_NOVO_WINDOW_MONTHS

LNC, SCT = codes.LNC, codes.SCT
RXN = "http://www.nlm.nih.gov/research/umls/rxnorm"
CONFIG = DecisionConfig(today=date(2026, 11, 1))
TAMOXIFEN, PACLITAXEL = "10324", "56946"


def coded(system, code):
    return {"coding": [{"system": system, "code": code}]}


def patient():
    return {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1970-01-01"}


def breast_cancer(cid, onset=None, recorded=None):
    body = {"resourceType": "Condition", "id": cid, "code": coded(SCT, "254837009"), "subject": {"reference": "Patient/p1"}}
    if onset:
        body["onsetDateTime"] = onset
    if recorded:
        body["recordedDate"] = recorded
    return body


def drug(mid, rxcui, start, end=None, status="completed"):
    return {"resourceType": "MedicationRequest", "id": mid, "status": status, "intent": "order",
            "subject": {"reference": "Patient/p1"}, "medicationCodeableConcept": coded(RXN, rxcui),
            "dispenseRequest": {"validityPeriod": {"start": start, **({"end": end} if end else {})}}}


def er(oid, when, percent, site="80248007"):
    return {"resourceType": "Observation", "id": oid, "status": "final", "code": coded(LNC, "85329-1"),
            "subject": {"reference": "Patient/p1"}, "effectiveDateTime": when, "bodySite": coded(SCT, site),
            "valueQuantity": {"value": percent, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"}}


def test_the_window_is_the_declared_presentation_window():
    assert DE_NOVO_WINDOW_MONTHS.value == 4


@pytest.mark.parametrize("end, counts", [("2024-01-09", False), ("2024-01-10", True), ("2024-01-11", True)])
def test_a_course_that_ended_a_presentation_window_before_the_diagnosis_treated_something_else(end, counts):
    """Tamoxifen that ended more than four months (the presentation window) before this cancer's diagnosis does not
    open its treatment window; at four months or less it still might (a neoadjuvant course recorded before a
    diagnosis written late), so it does. Diagnosis 2024-05-10; four months before is 2024-01-10."""
    a = assess([patient(), breast_cancer("dx", "2024-05-10"), drug("m1", TAMOXIFEN, "2019-01-10", end),
                er("o1", "2024-05-10", 90)], CONFIG)
    assert (a.episode.first_systemic_therapy == "2019-01-10") is counts
    assert (a.er.rule == "post-treatment-only") is counts
    if not counts:
        assert a.er.rule == "pre-treatment-samples" and a.er.phase == "pre-treatment"


def test_an_ongoing_course_started_before_the_diagnosis_still_counts():
    """No end date: whether it was still running cannot be told, so the conservative reading keeps it."""
    a = assess([patient(), breast_cancer("dx", "2024-05-10"), drug("m1", PACLITAXEL, "2024-03-01", status="active"),
                er("o1", "2024-05-12", 90)], CONFIG)
    assert a.episode.first_systemic_therapy == "2024-03-01"


def test_a_biopsy_older_than_the_recorded_diagnosis_dates_it():
    """A problem-list entry written at relapse must not make a ten-year-old cancer 'metastatic at diagnosis'."""
    liver = {"resourceType": "Condition", "id": "met", "code": coded(SCT, "94381002"), "onsetDateTime": "2025-02-10",
             "subject": {"reference": "Patient/p1"}}
    a = assess([patient(), breast_cancer("dx", recorded="2025-01-20"), liver, er("o1", "2015-03-02", 90)], CONFIG)
    assert a.episode.diagnosis == "2015-03-02" and a.episode.de_novo_metastatic is False
    assert "Observation/o1" in a.episode.evidence
