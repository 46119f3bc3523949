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


# ---- A local/regional recurrence or a new primary (b.3: the early episode ends at the first recurrence) ----------

CLIN = "http://terminology.hl7.org/CodeSystem/condition-clinical"


def condition(cid, onset, *, status="active", icd=None, side=None):
    code = {"coding": [{"system": codes.ICD10CM, "code": icd}]} if icd else coded(SCT, "254837009")
    body = {"resourceType": "Condition", "id": cid, "code": code, "onsetDateTime": onset,
            "clinicalStatus": coded(CLIN, status), "subject": {"reference": "Patient/p1"}}
    if side:
        body["bodySite"] = [coded(SCT, {"left": "80248007", "right": "73056007"}[side])]
    return body


def her2(oid, when, score, site="80248007"):
    answer = {"0": "LA6111-4", "1+": "LA11841-6", "3+": "LA11843-2"}[score]
    return {"resourceType": "Observation", "id": oid, "status": "final", "code": coded(LNC, "85319-2"),
            "subject": {"reference": "Patient/p1"}, "effectiveDateTime": when, "bodySite": coded(SCT, site),
            "valueCodeableConcept": coded(LNC, answer)}


def first_tumour_her2_positive():
    """HER2 3+ core 2016-01-10 (left breast), surgery, trastuzumab a year."""
    return [patient(), condition("dx", "2016-01-10", side="left"), her2("h1", "2016-01-10", "3+"),
            {"resourceType": "Procedure", "id": "s1", "status": "completed", "code": coded(SCT, "64368001"),
             "subject": {"reference": "Patient/p1"}, "performedDateTime": "2016-02-05"},
            drug("m1", "224905", "2016-03-01", "2017-03-01")]


def test_new_primary_in_the_other_breast_by_icd_laterality_governs():
    """C50.912 is the left female breast, C50.911 the right (ICD-10-CM): a right-breast cancer nine years after a
    left one is a new primary, and its own HER2 0 governs."""
    a = assess([patient(), condition("dx", "2016-01-10", icd="C50.912"), her2("h1", "2016-01-10", "3+"),
                condition("dx2", "2025-02-03", icd="C50.911"), her2("h2", "2025-02-03", "0", site="73056007")], CONFIG)
    assert (a.episode.new_tumour, a.episode.new_tumour_kind) == ("2025-02-03", "new-primary")
    assert a.her2.status == "negative" and a.her2.evidence == ["Observation/h2"]
    assert [c.phase for c in a.samples if c.evidence == ["Observation/h1"]] == ["earlier-tumour"]


def test_a_later_breast_cancer_condition_on_the_same_side_is_not_a_new_tumour():
    """A second Condition in the same breast without a recurrence status can be a duplicate problem-list entry:
    reading it as a new tumour could let residual disease govern, so the first tumour's call stands."""
    a = assess([*first_tumour_her2_positive(), condition("dx2", "2024-03-01", side="left"),
                her2("h2", "2024-03-05", "0")], CONFIG)
    assert a.episode.new_tumour is None and a.her2.status == "positive"


@pytest.mark.parametrize("onset, new", [("2016-05-09", False), ("2016-05-10", False), ("2016-05-11", True)])
def test_a_recurrence_counts_only_after_the_first_presentation_window(onset, new):
    """Diagnosis 2016-01-10; a recurrence record up to four months later (2016-05-10) is the first presentation's
    work-up, not a new tumour; a day later it is."""
    a = assess([*first_tumour_her2_positive(), condition("rec", onset, status="recurrence", side="left"),
                her2("h2", onset, "0")], CONFIG)
    assert (a.episode.new_tumour_kind == "recurrence") is new
    assert a.her2.status == ("negative" if new else "positive")


@pytest.mark.parametrize("taken, joins", [("2023-11-04", False), ("2023-11-05", True), ("2023-11-06", True)])
def test_the_recurrence_biopsy_may_precede_its_record_by_one_window(taken, joins):
    """Recurrence recorded 2024-03-05; a biopsy up to four months before it (2023-11-05) is its own biopsy and dates
    it; an older one stays with the earlier tumour (so HER2 stays the earlier tumour's call, and P13 asks again)."""
    a = assess([*first_tumour_her2_positive(), condition("rec", "2024-03-05", status="recurrence", side="left"),
                her2("h2", taken, "0")], CONFIG)
    assert a.episode.new_tumour == (taken if joins else "2024-03-05")
    assert a.her2.status == ("negative" if joins else "positive")
    assert a.her2.rule == ("pre-treatment-samples" if joins else "early-results-only")
    assert ("P13" in {x.code for x in a.alerts}) is not joins


def test_the_first_tumours_surgical_specimen_never_joins_a_recurrence():
    """Neoadjuvant therapy, surgery 2024-07-10 with residual HER2 0, a recurrence recorded 2024-10-20 (within a window
    of the surgery): the residual specimen belongs to the first tumour (KATHERINE: it never reclassifies HER2)."""
    a = assess([patient(), condition("dx", "2024-01-10", side="left"), her2("h1", "2024-01-10", "3+"),
                drug("m1", "224905", "2024-02-01", "2024-06-15"),
                {"resourceType": "Procedure", "id": "s1", "status": "completed", "code": coded(SCT, "64368001"),
                 "subject": {"reference": "Patient/p1"}, "performedDateTime": "2024-07-10"},
                her2("h2", "2024-07-10", "0"), condition("rec", "2024-10-20", status="recurrence", side="left")], CONFIG)
    assert a.episode.new_tumour == "2024-10-20"
    assert a.her2.status == "positive" and a.her2.rule == "early-results-only"


@pytest.mark.parametrize("taken, joins", [("2016-06-04", False), ("2016-06-05", False), ("2016-06-06", True)])
def test_a_recurrence_status_without_a_date_is_dated_by_tissue_one_window_after_surgery(taken, joins):
    """The primary's own Condition says 'recurrence' with its 2016 dates (mCODE style). Surgery 2016-02-05; four
    months later is 2016-06-05: tissue up to then may be a re-excision of the first tumour, tissue after it is the
    recurrence's and governs."""
    tumour = first_tumour_her2_positive()
    tumour[1] = condition("dx", "2016-01-10", status="recurrence", side="left")
    a = assess([*tumour, her2("h2", taken, "0")], CONFIG)
    assert (a.episode.new_tumour == taken) is joins
    assert a.her2.status == ("negative" if joins else "positive")


def test_a_recurrence_status_without_a_date_and_without_a_surgery_infers_nothing():
    """No recorded surgery: tissue after treatment could be residual disease at an unrecorded surgery, which must
    never pass for a recurrence (KATHERINE: it never reclassifies HER2)."""
    a = assess([patient(), condition("dx", "2024-01-10", status="recurrence", side="left"), her2("h1", "2024-01-10", "3+"),
                drug("m1", "224905", "2024-02-01", "2024-06-15"), her2("h2", "2024-07-10", "0")], CONFIG)
    assert a.episode.new_tumour is None and a.her2.status == "positive"


def test_a_planned_drug_is_no_history_but_still_a_conflict():
    """intent=plan: not given (no treatment window), yet a HER2-directed plan for HER2-negative disease is exactly
    what the order check exists to catch."""
    plan = drug("m1", "224905", "2024-02-01", status="active")
    plan["intent"] = "plan"
    a = assess([patient(), condition("dx", "2024-01-10", side="left"), her2("h1", "2024-01-10", "1+"), plan], CONFIG)
    assert a.episode.first_systemic_therapy is None
    conflict = [x for x in a.alerts if x.code == "anti-her2-for-her2-negative"]
    assert conflict and conflict[0].severity == "critical"


# ---- Property: a recurrence's own biopsy governs; the first tumour's residual disease never does -------------------

from datetime import timedelta  # noqa: E402

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from cds_hooks.decision.episodes import add_months  # noqa: E402

_STATUS = {"0": "negative", "1+": "negative", "3+": "positive"}


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["0", "3+"]), st.sampled_from(["0", "3+"]), st.sampled_from(["0", "1+", "3+"]),
       st.integers(1, 60), st.integers(0, 150), st.randoms(use_true_random=False))
def test_the_recurrence_biopsy_governs_and_residual_disease_never_does(core, residual, relapse, months, days_before, rnd):
    """Core 2020-01-10, neoadjuvant trastuzumab, surgery 2020-07-10 with residual disease, a recurrence recorded
    ``months`` after the surgery with its biopsy ``days_before`` the record. b.3: the recurrence's biopsy governs when
    it is the recurrence's (within one window before the record, after the surgery); otherwise the first tumour's call
    stands, and residual disease never turns a positive core negative (KATHERINE). Input order never matters."""
    surgery = date(2020, 7, 10)
    record = add_months(surgery, months)
    taken = record - timedelta(days=days_before)
    resources = [patient(), condition("dx", "2020-01-10", side="left"), her2("h1", "2020-01-10", core),
                 drug("m1", "224905", "2020-02-01", "2020-06-15"),
                 {"resourceType": "Procedure", "id": "s1", "status": "completed", "code": coded(SCT, "64368001"),
                  "subject": {"reference": "Patient/p1"}, "performedDateTime": surgery.isoformat()},
                 her2("h2", surgery.isoformat(), residual),
                 condition("rec", record.isoformat(), status="recurrence", side="left"),
                 her2("h3", taken.isoformat(), relapse)]
    shuffled = list(resources)
    rnd.shuffle(shuffled)
    a, b = assess(resources, CONFIG), assess(shuffled, CONFIG)
    assert (a.her2.status, a.her2.evidence, a.episode.new_tumour) == (b.her2.status, b.her2.evidence, b.episode.new_tumour)
    joins = taken > surgery and taken >= add_months(record, -DE_NOVO_WINDOW_MONTHS.value)
    if joins:
        assert a.her2.evidence == ["Observation/h3"] and a.her2.status == _STATUS[relapse]
    else:
        assert a.her2.rule == "early-results-only" and a.episode.new_tumour == record.isoformat()
        if core == "3+":
            assert a.her2.status == "positive"
