"""Histories an independent review found still wrong (issue 13 section 1), at the edges of the rules the case files
(fixtures/cases/history2-*.json) rest on.

Expectations come from the rule and its source, written before the code ran: b.3 "Multiple samples" (the early episode
ends at the first recurrence; residual disease never decides), P9 (ESMO ABC 5: biopsy a recurrence and retest), FHIR R4
MedicationAdministration status (in-progress: an administration under way).
"""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from cds_hooks.decision import DecisionConfig, assess

CASES = Path(__file__).resolve().parents[2] / "fixtures" / "cases"


def assessed(name: str, drop: tuple[str, ...] = ()):
    case = json.loads((CASES / f"{name}.json").read_text(encoding="utf-8"))
    resources = [e["resource"] for e in case["bundle"]["entry"] if e["resource"]["id"] not in drop]
    return assess(resources, DecisionConfig(today=date.fromisoformat(case["today"])))


def test_a_recurrence_with_its_own_biopsy_asks_for_no_retest():
    """The recurrence was biopsied and its receptors govern: nothing for P9 to ask."""
    a = assessed("review-local-recurrence-her2-gained")
    assert a.her2.rule == "pre-treatment-samples" and a.episode.new_tumour_kind == "recurrence"
    assert a.alert("P9") is None
    assert "earlier-tumour-stands-in" not in {n.kind for n in a.subtype_notes}


def test_the_recurrence_retest_names_the_recurrence_and_the_earlier_results():
    a = assessed("history2-local-recurrence-unbiopsied-retest")
    p9 = a.alert("P9")
    assert p9 is not None and p9.missing_test["code"] == "receptor-retest-recurrence"
    assert "(2024-03-01)" in p9.message and "earlier tumour's (2015-03-05)" in p9.message
    assert "Condition/history2-local-recurrence-unbiopsied-retest-cond-9" in p9.evidence


def test_a_new_primary_without_a_result_is_not_asked_to_be_retested_as_a_recurrence():
    """P9's early variant is about a recurrence; a new primary in the other breast is another cancer (see item 3)."""
    a = assessed("review-contralateral-new-primary-tnbc")
    assert a.alert("P9") is None


def test_drug_aimed_at_a_residual_only_positive_is_a_warning_about_tissue_after_treatment():
    """The recurrence has no result: the warning is about the earlier tumour's residual disease, never a 'conversion
    at the recurrence'."""
    a = assessed("history2-recurrence-unbiopsied-residual-pos-trastuzumab")
    (conflict,) = [x for x in a.alerts if x.code == "anti-her2-for-her2-negative"]
    assert conflict.severity == "warning"
    assert conflict.title == "trastuzumab: HER2 positive only on tissue taken after treatment began"
    assert "biopsy of the recurrence that now governs" not in conflict.message


def test_without_the_residual_specimen_the_stand_in_is_unchanged_and_no_discordance():
    """Removing the residual HER2 3+ leaves the same stand-in (the pre-treatment core) and nothing to reconcile."""
    a = assessed("history2-local-recurrence-unbiopsied-residual-positive",
                 drop=tuple(f"history2-local-recurrence-unbiopsied-residual-positive-obse-{n}" for n in (12, 13, 14)))
    assert a.subtype == "triple-negative" and a.her2.rule == "early-results-only"
    assert a.alert("receptor-sample-discordance") is None


def test_an_infusion_not_done_or_entered_in_error_is_no_treatment():
    """Only 'in-progress' joins the given statuses: 'not-done' gave nothing (FHIR R4 medication-admin-status)."""
    case = json.loads((CASES / "history2-trastuzumab-infusion-in-progress-her2-negative.json").read_text())
    resources = [e["resource"] for e in case["bundle"]["entry"]]
    for resource in resources:
        if resource["resourceType"] == "MedicationAdministration":
            resource["status"] = "not-done"
    a = assess(resources, DecisionConfig(today=date.fromisoformat(case["today"])))
    assert a.alert("anti-her2-for-her2-negative") is None
    assert a.episode.first_systemic_therapy is None


# ---- Item 3: laterality and time tell a new primary in the other breast ------------------------------------------

LNC, SCT = "http://loinc.org", "http://snomed.info/sct"
SIDES = {"left": "80248007", "right": "73056007"}


def _patient():
    return {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1960-01-01"}


def _cancer(onset):
    """A breast cancer diagnosis with no side recorded (the samples carry the sides)."""
    return {"resourceType": "Condition", "id": "dx", "subject": {"reference": "Patient/p1"}, "onsetDateTime": onset,
            "code": {"coding": [{"system": SCT, "code": "254837009"}]}}


def _er(oid, taken, percent, side):
    specimen = {"resourceType": "Specimen", "id": f"s-{oid}", "subject": {"reference": "Patient/p1"},
                "collection": {"collectedDateTime": taken,
                               "bodySite": {"coding": [{"system": SCT, "code": SIDES[side]}]}}}
    observation = {"resourceType": "Observation", "id": oid, "status": "final", "subject": {"reference": "Patient/p1"},
                   "code": {"coding": [{"system": LNC, "code": "85329-1"}]}, "effectiveDateTime": taken,
                   "specimen": {"reference": f"Specimen/s-{oid}"},
                   "valueQuantity": {"value": percent, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"}}
    return [specimen, observation]


@pytest.mark.parametrize("taken, new_primary", [("2025-05-09", False), ("2025-05-10", False), ("2025-05-11", True)])
def test_the_other_breast_within_the_presentation_window_is_synchronous_after_it_a_new_primary(taken, new_primary):
    """Diagnosis 2025-01-10 (left core); the presentation window (DE_NOVO_WINDOW_MONTHS, 4 months) ends 2025-05-10. A
    right breast sample up to then is a synchronous bilateral cancer; after it, a new (metachronous) primary."""
    a = assess([_patient(), _cancer("2025-01-10"), *_er("o1", "2025-01-10", 90, "left"), *_er("o2", taken, 0, "right")],
               DecisionConfig(today=date(2025, 6, 1)))
    assert (a.episode.new_tumour == taken) is new_primary
    assert a.episode.bilateral is (not new_primary)
    assert a.alert("receptor-sample-discordance") is None


def test_a_later_sample_of_the_same_breast_without_a_record_is_said_to_be_unplaced():
    """Same side, years after surgery, nothing recorded: recurrence or not cannot be told; the card says so."""
    surgery = {"resourceType": "Procedure", "id": "pr1", "status": "completed", "subject": {"reference": "Patient/p1"},
               "code": {"coding": [{"system": SCT, "code": "64368001"}]}, "performedDateTime": "2016-05-02"}
    a = assess([_patient(), _cancer("2016-04-04"), *_er("o1", "2016-04-04", 90, "left"), surgery,
                *_er("o2", "2025-02-03", 0, "left")],
               DecisionConfig(today=date(2025, 3, 1)))
    assert a.episode.new_tumour is None and a.episode.unplaced_samples == ["Observation/o2"]
    (note,) = [n for n in a.subtype_notes if n.kind == "tumour-of-sample-unclear"]
    assert "the breast of the first tumour (left)" in note.message and "Observation/o2" in note.evidence


# ---- Item 1: synchronous bilateral cancers -------------------------------------------------------------------------

def test_bilateral_cancers_keep_their_own_subtypes_and_the_options_cover_both():
    a = assessed("history2-bilateral-synchronous-different-subtypes")
    assert [(t.side, t.subtype) for t in a.tumours] == [("left", "HR+/HER2-"), ("right", "triple-negative")]
    assert a.subtype == "indeterminate" and a.subtype_reasons[0].startswith(
        "two primary breast cancers with different subtypes (left breast tumour HR+/HER2-; right breast tumour "
        "triple-negative)")
    offered = {o.id: o for o in a.options}
    assert offered["early-endocrine"].notes[0] == "For the left breast tumour HR+/HER2-."
    assert offered["early-tnbc-chemotherapy"].notes[0] == "For the right breast tumour triple-negative."
    (card,) = [x for x in a.alerts if x.code == "bilateral-subtypes-differ"]
    assert card.message.startswith("Left breast tumour: HR+/HER2- (ER positive, PR positive, HER2 negative). Right "
                                   "breast tumour: triple-negative (ER negative, PR negative, HER2 negative).")


def test_bilateral_cancers_of_one_subtype_are_stated_once_without_a_card():
    a = assessed("history2-bilateral-synchronous-same-subtype")
    assert [t.subtype for t in a.tumours] == ["HR+/HER2-", "HR+/HER2-"]
    assert a.subtype == "HR+/HER2-" and a.alert("bilateral-subtypes-differ") is None
    assert not any(o.notes and o.notes[0].startswith("For ") for o in a.options)


def test_a_disagreement_within_one_breast_is_still_a_discordance_of_that_tumour():
    """Left core HER2 3+ and left excision HER2 1+ before any therapy: the left tumour's discordance (ASCO/CAP 2018),
    named for the left breast; the right tumour is not compared with it."""
    resources = [_patient(), _cancer("2025-01-10"), *_er("o1", "2025-01-10", 90, "left"),
                 *_er("o2", "2025-01-10", 0, "right"), *_er("o3", "2025-02-01", 0, "left")]
    a = assess(resources, DecisionConfig(today=date(2025, 3, 1)))
    (alert,) = [x for x in a.alerts if x.code == "receptor-sample-discordance"]
    assert alert.message.startswith("Left breast tumour: ER positive:")
    assert "Observation/o2" not in alert.evidence
