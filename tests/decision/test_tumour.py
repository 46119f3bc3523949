"""The tumour facts the early-disease options rest on (cds_hooks.decision.tumour): what is read, and how."""
from __future__ import annotations

import pytest

from cds_hooks.decision.intake import take_in
from cds_hooks.decision.model import EpisodeFinding, TreatmentWindow
from cds_hooks.decision.tumour import read_tumour

LNC, SCT = "http://loinc.org", "http://snomed.info/sct"


def obs(oid, system, code, when="2026-06-10", **value):
    return {"resourceType": "Observation", "id": oid, "status": "final", "subject": {"reference": "Patient/p"},
            "code": {"coding": [{"system": system, "code": code}]}, "effectiveDateTime": when, **value}


def read(*resources, episode=None):
    patient = {"resourceType": "Patient", "id": "p", "birthDate": "1970-03-01"}
    return read_tumour(take_in([patient, *resources]), [], episode or EpisodeFinding(diagnosis="2026-06-01"), [])


@pytest.mark.parametrize("quantity,mm", [({"value": 2.5, "code": "cm"}, 25.0), ({"value": 14, "unit": "mm"}, 14.0),
                                         ({"value": 3, "code": "[in_i]"}, None)])
def test_size_in_cm_or_mm_from_the_longest_dimension(quantity, mm):
    size = obs("s", LNC, "21889-1", component=[{"code": {"coding": [{"system": LNC, "code": "33728-7"}]},
                                                "valueQuantity": quantity}])
    assert read(size).size_mm == mm


@pytest.mark.parametrize("value,category", [
    ({"coding": [{"system": SCT, "code": "1228899006"}]}, "T1c"),       # AJCC SNOMED value
    ({"text": "pT2"}, "T2"), ({"coding": [{"system": "http://example.org/ajcc", "code": "cT1b"}]}, "T1b"),
    ({"text": "T4d"}, "T4d"), ({"text": "large"}, None),
])
def test_t_category_from_codes_or_ajcc_text(value, category):
    assert read(obs("t", LNC, "21899-0", valueCodeableConcept=value)).t_category == category


@pytest.mark.parametrize("value,category,node_positive", [
    ({"coding": [{"system": SCT, "code": "1229967007"}]}, "N0", False), ({"text": "pN1a"}, "N1", True),
    ({"text": "cN3"}, "N3", True),
])
def test_n_category(value, category, node_positive):
    finding = read(obs("n", SCT, "399534004", valueCodeableConcept=value))
    assert finding.n_category == category and finding.node_positive is node_positive


@pytest.mark.parametrize("value,grade", [({"valueCodeableConcept": {"text": "Grade II"}}, 2),
                                         ({"valueCodeableConcept": {"coding": [{"code": "G3"}]}}, 3),
                                         ({"valueInteger": 1}, 1), ({"valueString": "high"}, None)])
def test_grade(value, grade):
    assert read(obs("g", LNC, "33732-9", **value)).grade == grade


def test_positive_nodes_count_and_age_at_diagnosis():
    finding = read(obs("n", LNC, "21893-3", valueInteger=2))
    assert finding.positive_nodes == 2 and finding.node_positive is True and finding.age_at_diagnosis == 56


def test_nothing_recorded_is_none_not_a_guess():
    finding = read()
    assert finding.size_mm is None and finding.node_positive is None and finding.grade is None


def test_results_after_neoadjuvant_therapy_are_not_the_tumour_the_decision_was_made_on():
    episode = EpisodeFinding(current="early", diagnosis="2026-01-10", first_systemic_therapy="2026-02-01",
                             surgery="2026-07-01", neoadjuvant=TreatmentWindow("2026-02-01", "2026-07-01", []))
    before = obs("s1", LNC, "21889-1", when="2026-01-15", valueQuantity={"value": 32, "code": "mm"})
    residual = obs("s2", LNC, "21889-1", when="2026-07-02", valueQuantity={"value": 4, "code": "mm"})
    assert read(before, residual, episode=episode).size_mm == 32


def test_a_same_day_treatment_and_surgery_is_no_neoadjuvant_window():
    """Therapy ordered on the surgery day did not shrink the tumour measured in that specimen (mCODE Jenny M)."""
    episode = EpisodeFinding(current="early", diagnosis="2026-01-10", first_systemic_therapy="2026-02-01",
                             surgery="2026-02-01", neoadjuvant=TreatmentWindow("2026-02-01", "2026-02-01", []))
    assert read(obs("s", LNC, "21889-1", when="2026-02-01", valueQuantity={"value": 25, "code": "mm"}),
                episode=episode).size_mm == 25
