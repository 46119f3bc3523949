"""The episode model (episodes.py): diagnosis, neoadjuvant window, metastatic episode, de novo stage IV.

Expectations come from the rules in clinical-knowledge.md b.3 "Multiple samples" (revised) and the SEER
staging time rule (four months), not from running the code.
"""
from __future__ import annotations

from datetime import date

import pytest

from cds_hooks.decision import DecisionConfig, assess
from cds_hooks.decision.episodes import add_months, period_of, sample_phase
from cds_hooks.knowledge import codes

LNC, SCT, ICD = codes.LNC, codes.SCT, codes.ICD10CM
RXN = "http://www.nlm.nih.gov/research/umls/rxnorm"
CONFIG = DecisionConfig(today=date(2026, 11, 1))


def coded(system, code):
    return {"coding": [{"system": system, "code": code}]}


def patient():
    return {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1970-01-01"}


def breast_cancer(onset):
    return {"resourceType": "Condition", "id": "dx", "code": coded(SCT, "254837009"), "onsetDateTime": onset,
            "subject": {"reference": "Patient/p1"}}


def liver_metastasis(onset, cid="met"):
    return {"resourceType": "Condition", "id": cid, "code": coded(SCT, "94381002"), "onsetDateTime": onset,
            "subject": {"reference": "Patient/p1"}}


def drug(mid, rxcui, start, status="completed", end=None):
    return {"resourceType": "MedicationRequest", "id": mid, "status": status, "intent": "order",
            "subject": {"reference": "Patient/p1"}, "medicationCodeableConcept": coded(RXN, rxcui),
            "dispenseRequest": {"validityPeriod": {"start": start, **({"end": end} if end else {})}}}


def surgery(pid, when, code="64368001", status="completed"):
    return {"resourceType": "Procedure", "id": pid, "status": status, "code": coded(SCT, code),
            "subject": {"reference": "Patient/p1"}, "performedDateTime": when}


TRASTUZUMAB, PACLITAXEL, GOSERELIN, LETROZOLE = "224905", "56946", "50610", "72965"


def test_neoadjuvant_window_runs_from_first_systemic_therapy_to_surgery():
    a = assess([patient(), breast_cancer("2025-01-10"), drug("m1", PACLITAXEL, "2025-02-01"),
                drug("m2", TRASTUZUMAB, "2025-02-01"), surgery("s1", "2025-07-15")], CONFIG)
    e = a.episode
    assert (e.current, e.diagnosis, e.first_systemic_therapy, e.surgery) == ("early", "2025-01-10", "2025-02-01", "2025-07-15")
    assert e.neoadjuvant is not None and (e.neoadjuvant.start, e.neoadjuvant.end) == ("2025-02-01", "2025-07-15")
    assert "Procedure/s1" in e.evidence and "Condition/dx" in e.evidence
    assert period_of(e, "2025-01-20") == "before-treatment"
    assert period_of(e, "2025-02-01") == "neoadjuvant"          # therapy day: treatment has begun
    assert period_of(e, "2025-07-14") == "neoadjuvant"
    assert period_of(e, "2025-07-15") == "after-neoadjuvant"    # the surgical specimen: residual disease
    assert period_of(e, None) == "unknown"


def test_surgery_first_then_adjuvant_therapy_has_no_neoadjuvant_window():
    a = assess([patient(), breast_cancer("2025-01-10"), surgery("s1", "2025-02-01"),
                drug("m1", PACLITAXEL, "2025-03-01")], CONFIG)
    e = a.episode
    assert e.neoadjuvant is None and e.surgery == "2025-02-01"
    assert period_of(e, "2025-02-01") == "before-treatment"      # the excision precedes any systemic therapy
    assert period_of(e, "2025-04-01") == "adjuvant"


def test_therapy_without_recorded_surgery_is_early_on_treatment():
    a = assess([patient(), breast_cancer("2025-01-10"), drug("m1", PACLITAXEL, "2025-02-01", status="active")], CONFIG)
    assert a.episode.neoadjuvant is None and a.episode.surgery is None
    assert period_of(a.episode, "2025-03-01") == "early-on-treatment"


def test_gnrh_agonist_alone_drafts_and_plans_do_not_start_systemic_therapy():
    a = assess([patient(), breast_cancer("2025-01-10"), drug("m1", GOSERELIN, "2025-01-20", status="active"),
                drug("m2", PACLITAXEL, "2025-01-25", status="draft"), drug("m3", LETROZOLE, "2025-03-01")], CONFIG)
    assert a.episode.first_systemic_therapy == "2025-03-01"


def test_a_surgery_code_that_is_not_breast_surgery_or_not_done_is_ignored():
    a = assess([patient(), breast_cancer("2025-01-10"), drug("m1", PACLITAXEL, "2025-02-01"),
                surgery("s1", "2025-06-01", code="29827000"),          # oophorectomy: menopause, not the window
                surgery("s2", "2025-06-02", status="not-done")], CONFIG)
    assert a.episode.surgery is None and a.episode.neoadjuvant is None


def test_mcode_surgical_procedure_on_the_breast_counts_as_surgery():
    procedure = {"resourceType": "Procedure", "id": "s1", "status": "completed",
                 "meta": {"profile": ["http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-cancer-related-surgical-procedure"]},
                 "code": coded(SCT, "12345678"), "bodySite": [coded(SCT, "80248007")], "performedDateTime": "2025-06-01"}
    a = assess([patient(), breast_cancer("2025-01-10"), drug("m1", PACLITAXEL, "2025-02-01"), procedure], CONFIG)
    assert a.episode.surgery == "2025-06-01" and a.episode.neoadjuvant is not None


def test_relapse_starts_the_metastatic_episode_and_adjuvant_drugs_stay_early():
    a = assess([patient(), breast_cancer("2019-03-01"), surgery("s1", "2019-04-01"), drug("m1", LETROZOLE, "2019-05-01"),
                liver_metastasis("2024-06-01"), drug("m2", PACLITAXEL, "2024-07-01", status="active")], CONFIG)
    e = a.episode
    assert (e.current, e.metastatic_start, e.de_novo_metastatic) == ("metastatic", "2024-06-01", False)
    assert e.first_systemic_therapy == "2019-05-01"              # the metastatic line does not count
    assert period_of(e, "2019-05-01") == "adjuvant"
    assert period_of(e, "2024-05-31") == "adjuvant"
    assert period_of(e, "2024-06-01") == "metastatic"


def test_a_metastasis_biopsy_dates_the_metastatic_episode_when_it_precedes_the_condition():
    spec = {"resourceType": "Specimen", "id": "liv", "collection": {"collectedDateTime": "2024-05-20",
                                                                    "bodySite": coded(SCT, "10200004")}}
    er = {"resourceType": "Observation", "id": "er", "status": "final", "code": coded(LNC, "85329-1"),
          "effectiveDateTime": "2024-05-25", "specimen": {"reference": "Specimen/liv"},
          "valueQuantity": {"value": 0, "unit": "%"}}
    a = assess([patient(), breast_cancer("2019-03-01"), liver_metastasis("2024-06-01"), spec, er], CONFIG)
    assert a.episode.metastatic_start == "2024-05-20"
    assert sample_phase(a.episode, next(r for r in a.history if r.analyte == "ER")) == "metastatic"


@pytest.mark.parametrize("metastasis, de_novo", [
    ("2026-05-14", True),     # just below four months after the diagnosis
    ("2026-05-15", True),     # exactly four months: the SEER time rule includes it
    ("2026-05-16", False),    # just above: a relapse, not stage IV at diagnosis
])
def test_de_novo_stage_iv_is_metastasis_within_four_months_of_diagnosis(metastasis, de_novo):
    a = assess([patient(), breast_cancer("2026-01-15"), liver_metastasis(metastasis)], CONFIG)
    assert a.episode.de_novo_metastatic is de_novo
    # De novo: the diagnostic biopsy belongs to the metastatic episode; a relapse: it predates it.
    assert period_of(a.episode, "2026-01-15") == ("metastatic" if de_novo else "before-treatment")


def test_without_a_dated_diagnosis_the_first_breast_sample_stands_in():
    spec = {"resourceType": "Specimen", "id": "core", "collection": {"collectedDateTime": "2026-01-10",
                                                                     "bodySite": coded(SCT, "80248007")}}
    er = {"resourceType": "Observation", "id": "er", "status": "final", "code": coded(LNC, "85329-1"),
          "effectiveDateTime": "2026-01-14", "specimen": {"reference": "Specimen/core"},
          "valueQuantity": {"value": 80, "unit": "%"}}
    stage4 = {"resourceType": "Observation", "id": "st", "status": "final", "code": coded(LNC, "21908-9"),
              "effectiveDateTime": "2026-02-01", "valueCodeableConcept": coded(SCT, "258228008")}
    a = assess([patient(), spec, er, stage4], CONFIG)
    assert a.episode.diagnosis == "2026-01-10"                  # the collection date, not the report date
    assert a.episode.de_novo_metastatic is True


def test_metastatic_without_a_date_leaves_every_period_unknown():
    a = assess([patient(), breast_cancer("2019-03-01"), {**liver_metastasis(None), "onsetDateTime": None}], CONFIG)
    assert a.episode.current == "metastatic" and a.episode.metastatic_start is None
    assert period_of(a.episode, "2020-01-01") == "unknown"


@pytest.mark.parametrize("start, months, expected", [
    (date(2026, 1, 31), 1, date(2026, 2, 28)), (date(2024, 1, 31), 1, date(2024, 2, 29)),
    (date(2026, 11, 15), 4, date(2027, 3, 15)), (date(2026, 5, 15), -4, date(2026, 1, 15)),
])
def test_add_months_clamps_to_the_month_end(start, months, expected):
    assert add_months(start, months) == expected
