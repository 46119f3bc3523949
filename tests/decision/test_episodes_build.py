"""The episode model built from a record (``episodes.build_episode`` and its helpers), through ``assess()``: the
diagnosis, the start of the metastatic episode, the first systemic therapy, the surgery and the neoadjuvant window,
the first presentation's sides and a later tumour, each at its date boundaries.

Rules (clinical-knowledge.md b.3 "Multiple samples", revised; issue 13 section 1; episodes.py module docstring):
- the diagnosis is the first breast cancer Condition, or the first breast sample when it is older (the biopsy makes
  the diagnosis; problem lists are often written later);
- the metastatic episode starts at the first metastasis, metastasis biopsy or recurrence after the presentation
  window; within the SEER four-month window of the diagnosis it is metastatic at diagnosis (de novo stage IV), and
  then no early-episode treatment is modelled;
- only anticancer drugs given (not drafts, plans, GnRH agonists alone, unknown drugs, or courses ended a window
  before the diagnosis) start systemic therapy; only early-episode drugs and surgeries count for the early episode;
- a completed or in-progress breast cancer surgery (coded, or an mCODE cancer-related surgical procedure on the
  breast) closes a neoadjuvant window when the first dose came at least one day before it
  (NEOADJUVANT_MIN_DAYS_BEFORE_SURGERY); a surgery before any drug makes the drugs adjuvant;
- cancer in both breasts at the first presentation is bilateral; a cancer in the other breast later is a new primary
  (SEER Solid Tumor Rules), a recurrence status later is a local recurrence.
Expectations come from these rules, never from running the code.
"""
from __future__ import annotations

from datetime import date

import pytest

from cds_hooks.decision import DecisionConfig, assess
from cds_hooks.knowledge import codes

LNC, SCT, ICD = codes.LNC, codes.SCT, codes.ICD10CM
RXN = "http://www.nlm.nih.gov/research/umls/rxnorm"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
MCODE_SURGERY = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-cancer-related-surgical-procedure"
CONFIG = DecisionConfig(today=date(2026, 11, 1))
PACLITAXEL, LETROZOLE, GOSERELIN, TRASTUZUMAB = "56946", "72965", "50610", "224905"
LEFT, RIGHT, BREAST, AXILLA, LIVER = "80248007", "73056007", "76752008", "68171009", "10200004"


def coded(system, code):
    return {"coding": [{"system": system, "code": code}]}


def patient():
    return {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1970-01-01"}


def cancer(cid="dx", onset="2025-01-15", code="254837009", system=SCT, **extra):
    body = {"resourceType": "Condition", "id": cid, "code": coded(system, code), "subject": {"reference": "Patient/p1"},
            **extra}
    if onset:
        body["onsetDateTime"] = onset
    return body


def liver_metastasis(onset, cid="met"):
    return cancer(cid, onset, "94381002")


def drug(mid, rxcui, start, status="completed", end=None, intent="order"):
    return {"resourceType": "MedicationRequest", "id": mid, "status": status, "intent": intent,
            "subject": {"reference": "Patient/p1"}, "medicationCodeableConcept": coded(RXN, rxcui),
            "dispenseRequest": {"validityPeriod": {"start": start, **({"end": end} if end else {})}}}


def surgery(pid, when, code="64368001", status="completed", **extra):
    body = {"resourceType": "Procedure", "id": pid, "status": status, "code": coded(SCT, code),
            "subject": {"reference": "Patient/p1"}, **extra}
    if when:
        body["performedDateTime"] = when
    return body


def er(oid, when, percent=80, site=LEFT):
    return {"resourceType": "Observation", "id": oid, "status": "final", "code": coded(LNC, "85329-1"),
            "subject": {"reference": "Patient/p1"}, "effectiveDateTime": when, "bodySite": coded(SCT, site),
            "valueQuantity": {"value": percent, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"}}


def episode(*resources):
    return assess([patient(), *resources], CONFIG).episode


# ---- diagnosis ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("taken, diagnosis, ref", [
    ("2025-01-14", "2025-01-14", "Observation/core"),    # the biopsy the day before the recorded diagnosis dates it
    ("2025-01-15", "2025-01-15", "Condition/dx"),        # same day: the Condition stands
    ("2025-01-16", "2025-01-15", "Condition/dx")])
def test_the_diagnosis_is_the_condition_or_an_older_breast_sample(taken, diagnosis, ref):
    e = episode(cancer(), er("core", taken))
    assert e.diagnosis == diagnosis and ref in e.evidence
    other = "Condition/dx" if ref != "Condition/dx" else "Observation/core"
    assert other not in e.evidence
    assert any(diagnosis in line for line in e.basis)


def test_the_earliest_of_two_diagnosis_conditions_and_no_diagnosis_without_any():
    e = episode(cancer("late", "2025-06-01"), cancer("early", "2025-01-15"))
    assert e.diagnosis == "2025-01-15" and "Condition/early" in e.evidence and "Condition/late" not in e.evidence
    assert episode(cancer(onset=None)).diagnosis is None
    assert episode().diagnosis is None and episode().current == "unknown"


def test_a_metastasis_sample_does_not_date_the_diagnosis():
    liver = er("liv", "2024-01-01", site=LIVER)
    e = episode(cancer(), liver)
    assert e.diagnosis == "2025-01-15"


# ---- the metastatic episode -----------------------------------------------------------------------------------

@pytest.mark.parametrize("metastasis, de_novo", [("2025-05-14", True), ("2025-05-15", True), ("2025-05-16", False)])
def test_de_novo_is_metastasis_within_four_months_of_the_diagnosis(metastasis, de_novo):
    """SEER time rule: metastasis on or before diagnosis + 4 months is metastatic at diagnosis; then no early
    treatment is modelled (the drugs are a metastatic line)."""
    e = episode(cancer(), liver_metastasis(metastasis), drug("m", PACLITAXEL, "2025-02-01"), surgery("s", "2025-03-01"))
    assert (e.current, e.metastatic_start, e.de_novo_metastatic) == ("metastatic", metastasis, de_novo)
    assert "Condition/met" in e.evidence
    if de_novo:
        assert (e.first_systemic_therapy, e.surgery, e.neoadjuvant) == (None, None, None)
    else:
        assert (e.first_systemic_therapy, e.surgery) == ("2025-02-01", "2025-03-01") and e.neoadjuvant is not None


def test_the_first_of_several_metastasis_records_starts_the_episode():
    e = episode(cancer(), liver_metastasis("2029-06-01", "late"), liver_metastasis("2028-03-03", "first"),
                er("liv", "2028-05-05", 0, site=LIVER))
    assert e.metastatic_start == "2028-03-03" and "Condition/first" in e.evidence and "Condition/late" not in e.evidence


def test_a_metastasis_biopsy_before_the_records_starts_the_episode():
    e = episode(cancer(), liver_metastasis("2028-03-03"), er("liv", "2028-02-02", 0, site=LIVER))
    assert e.metastatic_start == "2028-02-02" and "Observation/liv" in e.evidence


@pytest.mark.parametrize("recorded, start", [("2025-05-15", "2030-01-01"), ("2025-05-16", "2025-05-16")])
def test_a_recurrence_status_dates_the_metastatic_episode_only_after_the_presentation_window(recorded, start):
    """A recurrence status recorded within the first presentation (diagnosis + 4 months) is the primary's own
    Condition, not a relapse; recorded later it dates the relapse."""
    dx = cancer(recordedDate=recorded, clinicalStatus=coded(CLINICAL, "recurrence"))
    e = episode(dx, liver_metastasis("2030-01-01"))
    assert e.metastatic_start == start and not e.de_novo_metastatic


def test_metastatic_without_any_date():
    e = episode(cancer(), liver_metastasis(None))
    assert (e.current, e.metastatic_start, e.de_novo_metastatic) == ("metastatic", None, False)
    assert any("without a date" in line for line in e.basis)


@pytest.mark.parametrize("start, early", [("2028-05-31", True), ("2028-06-01", False)])
def test_only_drugs_and_surgeries_before_the_metastasis_belong_to_the_early_episode(start, early):
    e = episode(cancer(), liver_metastasis("2028-06-01"), drug("m", LETROZOLE, start), surgery("s", start))
    assert e.first_systemic_therapy == (start if early else None)
    assert e.surgery == (start if early else None)


# ---- systemic therapy -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("status, intent, counts", [
    ("active", "order", True), ("on-hold", "order", True), ("completed", "order", True), ("stopped", "order", True),
    ("draft", "order", False), ("active", "plan", False), ("active", "proposal", False), ("unknown", "order", False)])
def test_which_drugs_start_systemic_therapy(status, intent, counts):
    e = episode(cancer(), drug("m", PACLITAXEL, "2025-02-01", status=status, intent=intent))
    assert e.first_systemic_therapy == ("2025-02-01" if counts else None)
    assert ("MedicationRequest/m" in e.evidence) is counts


def test_a_gnrh_agonist_or_an_unknown_drug_does_not_start_it():
    e = episode(cancer(), drug("g", GOSERELIN, "2025-02-01", status="active"), drug("u", "999999", "2025-02-02"),
                drug("l", LETROZOLE, "2025-03-01"))
    assert e.first_systemic_therapy == "2025-03-01" and "MedicationRequest/l" in e.evidence
    assert "MedicationRequest/g" not in e.evidence and "MedicationRequest/u" not in e.evidence


def test_an_intended_statement_is_not_a_drug_given():
    statement = {"resourceType": "MedicationStatement", "id": "s", "status": "intended", "subject": {"reference": "Patient/p1"},
                 "medicationCodeableConcept": coded(RXN, PACLITAXEL), "effectiveDateTime": "2025-02-01"}
    assert episode(cancer(), statement).first_systemic_therapy is None


def test_the_earliest_drug_starts_therapy_and_ties_are_broken_by_resource():
    e = episode(cancer(), drug("b", TRASTUZUMAB, "2025-02-01"), drug("a", PACLITAXEL, "2025-02-01"),
                drug("c", LETROZOLE, "2025-01-20"), drug("undated", PACLITAXEL, None))
    assert e.first_systemic_therapy == "2025-01-20" and "MedicationRequest/c" in e.evidence
    assert "MedicationRequest/a" not in e.evidence


@pytest.mark.parametrize("end, counts", [("2024-09-15", True), ("2024-09-14", False), (None, True)])
def test_a_course_that_ended_a_window_before_the_diagnosis_treated_something_else(end, counts):
    """Diagnosis 2025-01-15: a course ending on 2024-09-15 (exactly four months before) may be a neoadjuvant course of
    a late-recorded diagnosis and counts; one ending the day before treated something else."""
    e = episode(cancer(), drug("m", LETROZOLE, "2020-01-01", end=end))
    assert e.first_systemic_therapy == ("2020-01-01" if counts else None)


# ---- surgery and the neoadjuvant window -----------------------------------------------------------------------

@pytest.mark.parametrize("operated, window", [("2025-02-02", True), ("2025-02-01", False), ("2025-01-31", False)])
def test_the_window_needs_the_first_dose_at_least_a_day_before_surgery(operated, window):
    """First dose 2025-02-01: surgery the next day closes a neoadjuvant window; on the same day or before, the drug is
    adjuvant (no window) and the surgery is still recorded."""
    e = episode(cancer(), drug("m", PACLITAXEL, "2025-02-01"), surgery("s", operated))
    assert e.surgery == operated and "Procedure/s" in e.evidence
    assert (e.neoadjuvant is not None) is window
    if window:
        assert (e.neoadjuvant.start, e.neoadjuvant.end, e.neoadjuvant.evidence) == (
            "2025-02-01", operated, ["MedicationRequest/m", "Procedure/s"])


def test_the_surgery_closing_the_window_is_the_first_after_therapy_began():
    e = episode(cancer(), drug("m", PACLITAXEL, "2025-02-01"), surgery("late", "2025-09-01"), surgery("first", "2025-07-01"))
    assert e.surgery == "2025-07-01" and e.neoadjuvant.end == "2025-07-01" and "Procedure/late" not in e.evidence


def test_a_surgery_before_any_drug_makes_the_drugs_adjuvant_even_with_a_later_surgery():
    """Excision first (2025-01-20), drugs from 2025-02-01, re-excision 2025-07-01: no neoadjuvant window; the first
    surgery is the surgery."""
    e = episode(cancer(), surgery("excision", "2025-01-20"), drug("m", PACLITAXEL, "2025-02-01"), surgery("re", "2025-07-01"))
    assert e.surgery == "2025-01-20" and e.neoadjuvant is None


def test_without_therapy_the_first_surgery_is_the_surgery():
    e = episode(cancer(), surgery("b", "2025-03-01"), surgery("a", "2025-02-01"))
    assert e.surgery == "2025-02-01" and e.neoadjuvant is None and e.first_systemic_therapy is None


@pytest.mark.parametrize("status, counts", [("completed", True), ("in-progress", True), ("not-done", False),
                                            ("stopped", False), ("preparation", False)])
def test_only_a_done_or_ongoing_surgery_counts(status, counts):
    e = episode(cancer(), drug("m", PACLITAXEL, "2025-02-01"), surgery("s", "2025-07-01", status=status))
    assert e.surgery == ("2025-07-01" if counts else None)


@pytest.mark.parametrize("code", ["64368001", "392021009", "69031006", "172043006", "392023007"])
def test_each_breast_surgery_code(code):
    assert episode(cancer(), surgery("s", "2025-03-01", code=code)).surgery == "2025-03-01"


def test_an_undated_surgery_or_another_procedure_does_not_count_and_a_period_start_dates_it():
    assert episode(cancer(), surgery("s", None)).surgery is None
    assert episode(cancer(), surgery("s", "2025-03-01", code="29827000")).surgery is None
    dated = surgery("s", None, performedPeriod={"start": "2025-03-01", "end": "2025-03-02"})
    assert episode(cancer(), dated).surgery == "2025-03-01"
    assert episode(cancer(), surgery("s", None, performedPeriod={"end": "2025-03-02"})).surgery is None


@pytest.mark.parametrize("profile, site, counts", [
    (True, LEFT, True), (True, RIGHT, True), (True, BREAST, True), (True, AXILLA, False), (True, LIVER, False),
    (True, None, False), (False, LEFT, False)])
def test_an_mcode_cancer_surgery_counts_when_it_is_on_the_breast(profile, site, counts):
    """mCODE cancer-related surgical procedure with an unlisted code: a breast surgery when its body site is the
    breast (left, right or unspecified); an axillary node or liver surgery is not; without the profile an unlisted
    code is not a breast cancer surgery."""
    extra = {}
    if profile:
        extra["meta"] = {"profile": ["http://example.org/other", MCODE_SURGERY]}
    if site:
        extra["bodySite"] = [coded("http://example.org/local", "x"), coded(SCT, site)]
    e = episode(cancer(), surgery("s", "2025-03-01", code="12345678", **extra))
    assert e.surgery == ("2025-03-01" if counts else None)


# ---- sides, bilateral, new tumour -----------------------------------------------------------------------------

def test_the_side_of_the_diagnosis_condition_is_the_first_side():
    """ICD-10-CM C50.912 is the left female breast: the first presentation is on the left."""
    e = episode(cancer(code="C50.912", system=ICD))
    assert e.first_sides == ["left"] and not e.bilateral


@pytest.mark.parametrize("taken, bilateral", [("2025-05-15", True), ("2025-05-16", False)])
def test_both_breasts_within_the_presentation_window_are_bilateral(taken, bilateral):
    """Left at diagnosis (2025-01-15), right on or before diagnosis + 4 months: synchronous bilateral cancers; later,
    a new primary in the other breast."""
    e = episode(cancer(), er("l", "2025-01-15", site=LEFT), er("r", taken, site=RIGHT))
    assert e.bilateral is bilateral
    assert e.first_sides == (["left", "right"] if bilateral else ["left"])
    if not bilateral:
        assert (e.new_tumour, e.new_tumour_kind) == (taken, "new-primary") and "Observation/r" in e.evidence


def test_a_later_condition_in_the_other_breast_is_a_new_primary():
    e = episode(cancer(code="C50.912", system=ICD), cancer("right", "2029-03-03", "C50.911", ICD),
                drug("m1", LETROZOLE, "2025-02-01"), drug("m2", PACLITAXEL, "2029-04-01"), surgery("s2", "2029-08-01"))
    assert (e.new_tumour, e.new_tumour_kind) == ("2029-03-03", "new-primary")
    assert "Condition/right" in e.evidence
    # from then on the therapy and surgery dates are the new tumour's own; the earlier tumour's therapy is kept apart
    assert (e.first_systemic_therapy, e.surgery, e.earlier_first_systemic_therapy) == ("2029-04-01", "2029-08-01", "2025-02-01")
    assert e.neoadjuvant is not None


def test_a_later_diagnosis_on_the_same_side_is_not_a_new_tumour():
    e = episode(cancer(code="C50.912", system=ICD), cancer("again", "2029-03-03", "C50.912", ICD))
    assert e.new_tumour is None


def test_a_recurrence_status_after_the_window_is_a_local_recurrence():
    dx = cancer(recordedDate="2029-03-03", clinicalStatus=coded(CLINICAL, "recurrence"))
    e = episode(dx, drug("m", LETROZOLE, "2025-02-01"))
    assert (e.current, e.new_tumour, e.new_tumour_kind) == ("early", "2029-03-03", "recurrence")
    assert e.earlier_first_systemic_therapy == "2025-02-01" and e.first_systemic_therapy is None


def test_on_one_day_a_new_primary_in_the_other_breast_outranks_a_recurrence_status():
    """A cancer in the other breast is a separate primary (SEER Solid Tumor Rules); recorded on the same day as a
    recurrence status, the other-breast record says what the new tumour is."""
    dx = cancer(code="C50.912", system=ICD, recordedDate="2029-03-03", clinicalStatus=coded(CLINICAL, "recurrence"))
    e = episode(dx, cancer("right", "2029-03-03", "C50.911", ICD))
    assert (e.new_tumour, e.new_tumour_kind) == ("2029-03-03", "new-primary")


def test_the_newest_of_a_recurrence_and_a_new_primary_is_the_current_tumour():
    dx = cancer(code="C50.912", system=ICD, recordedDate="2031-03-03", clinicalStatus=coded(CLINICAL, "recurrence"))
    e = episode(dx, cancer("right", "2029-03-03", "C50.911", ICD))
    assert (e.new_tumour, e.new_tumour_kind) == ("2031-03-03", "recurrence")


def test_the_recurrence_biopsy_taken_before_its_record_dates_it():
    """The biopsy usually precedes the recorded recurrence: a breast sample taken within four months before the record
    and after the first surgery dates the recurrence (and is its evidence)."""
    dx = cancer(recordedDate="2029-03-03", clinicalStatus=coded(CLINICAL, "recurrence"))
    e = episode(dx, surgery("s", "2025-03-01"), er("core", "2025-01-10"), er("rec", "2029-01-20"))
    assert (e.new_tumour, e.new_tumour_kind) == ("2029-01-20", "recurrence") and "Observation/rec" in e.evidence


def test_a_metastasis_biopsy_before_a_recorded_local_recurrence_does_not_date_it():
    """Only the recurrence's own breast or node tissue dates it: a liver biopsy within four months before the record
    is distant tissue, not the local recurrence's sample, so the record's date stands and the liver sample is not its
    evidence."""
    dx = cancer(recordedDate="2029-03-03", clinicalStatus=coded(CLINICAL, "recurrence"))
    e = episode(dx, surgery("s", "2025-03-01"), er("core", "2025-01-10"), er("met", "2029-01-20", site=LIVER))
    assert (e.new_tumour, e.new_tumour_kind) == ("2029-03-03", "recurrence")
    assert "Observation/met" not in e.evidence


def test_samples_long_after_surgery_that_no_record_places_are_unplaced():
    """A breast sample taken more than four months after the first surgery with no recurrence or other-breast record:
    the data cannot say which tumour it is (listed as unplaced); a sample within that time is not."""
    e = episode(cancer(), er("core", "2025-01-15"), surgery("s", "2025-03-01"), er("near", "2025-07-01"),
                er("late", "2028-01-01"))
    assert e.unplaced_samples == ["Observation/late"]
    assert episode(cancer(), er("core", "2025-01-15"), er("late", "2028-01-01")).unplaced_samples == []


def test_drugs_and_surgery_on_the_new_tumours_first_day_are_its_own():
    e = episode(cancer(code="C50.912", system=ICD), cancer("right", "2029-03-03", "C50.911", ICD),
                drug("m2", PACLITAXEL, "2029-03-03"), surgery("s2", "2029-03-03"))
    assert (e.first_systemic_therapy, e.surgery) == ("2029-03-03", "2029-03-03")


@pytest.mark.parametrize("onset, bilateral", [("2025-05-15", True), ("2025-05-16", False)])
def test_a_condition_in_the_other_breast_within_the_window_is_bilateral(onset, bilateral):
    e = episode(cancer(code="C50.912", system=ICD), cancer("right", onset, "C50.911", ICD))
    assert e.bilateral is bilateral
    assert e.new_tumour_kind == (None if bilateral else "new-primary")


def test_a_metastasis_sample_with_a_side_is_neither_a_first_side_nor_a_new_tumour():
    """A right-lung metastasis biopsy says nothing about the breasts: it is not a cancer of the right breast at
    presentation, not a new primary, and not unplaced breast tissue."""
    lung = er("lung", "2025-02-01", 0, site="39607008")
    lung["bodySite"]["text"] = "right lung"
    late = er("lung2", "2029-01-01", 0, site="39607008")
    late["bodySite"]["text"] = "right lung"
    e = episode(cancer(), er("l", "2025-01-15", site=LEFT), surgery("s", "2025-03-01"), lung, late)
    assert e.first_sides == ["left"] and not e.bilateral
    assert e.new_tumour is None and e.unplaced_samples == []


def test_a_recurrence_status_without_a_date_of_its_own_is_dated_by_tissue_after_the_surgery():
    """The primary's own Condition turned to 'recurrence' with no date after the first presentation (recorded on the
    window's last day, or not dated at all): the recurrence is dated by the first breast sample taken more than a
    window after the first surgery; a metastasis sample does not date it."""
    for fields in ({"recordedDate": "2025-05-15"}, {}):
        dx = cancer(onset=None if not fields else "2025-01-15", clinicalStatus=coded(CLINICAL, "recurrence"), **fields)
        lung = er("lung", "2027-01-01", 0, site="39607008")
        e = episode(dx, er("core", "2025-01-15"), surgery("s", "2025-03-01"), lung, er("late", "2028-01-01"))
        assert (e.new_tumour, e.new_tumour_kind) == ("2028-01-01", "recurrence")
        assert {"Condition/dx", "Observation/late"} <= set(e.evidence) and "Observation/lung" not in e.evidence


def test_the_biopsy_before_a_recorded_new_primary_dates_it_and_both_are_evidence():
    e = episode(cancer(code="C50.912", system=ICD), surgery("s", "2025-03-01"),
                cancer("right", "2029-03-03", "C50.911", ICD), er("r", "2029-02-01", site=RIGHT))
    assert (e.new_tumour, e.new_tumour_kind) == ("2029-02-01", "new-primary")
    assert {"Condition/right", "Observation/r"} <= set(e.evidence)


def test_the_first_sample_of_the_other_breast_dates_a_new_primary():
    e = episode(cancer(code="C50.912", system=ICD), er("r1", "2029-01-01", site=RIGHT), er("r2", "2030-01-01", site=RIGHT))
    assert (e.new_tumour, e.new_tumour_kind) == ("2029-01-01", "new-primary")
    assert "Observation/r1" in e.evidence


def test_tissue_from_the_recurrence_on_is_placed_and_not_unplaced():
    """After a recorded recurrence, breast tissue taken on its day or later is the recurrence's, not unplaced."""
    dx = cancer(recordedDate="2029-03-03", clinicalStatus=coded(CLINICAL, "recurrence"))
    e = episode(dx, er("core", "2025-01-15"), surgery("s", "2025-03-01"), er("same", "2029-03-03"), er("after", "2029-06-01"))
    assert e.new_tumour == "2029-03-03" and e.unplaced_samples == []


def test_of_two_diagnoses_on_one_day_the_evidence_is_stable_whatever_the_record_order():
    e1 = episode(cancer("b"), cancer("a"))
    e2 = episode(cancer("a"), cancer("b"))
    assert "Condition/a" in e1.evidence and "Condition/a" in e2.evidence and "Condition/b" not in e1.evidence


def test_a_sample_of_both_breasts_at_presentation_is_bilateral():
    """A breast sample whose site carries the mCODE laterality qualifier 'right and left' (SNOMED 51440002) shows
    cancer in both breasts at the first presentation: each breast has its own primary; a later sample of either
    breast is then not a 'new primary in the other breast'."""
    both = er("both", "2025-01-15", site=BREAST)
    both["bodySite"]["extension"] = [{"url": "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-laterality-qualifier",
                                      "valueCodeableConcept": coded(SCT, "51440002")}]
    e = episode(cancer(), both, er("r", "2029-01-01", site=RIGHT))
    assert e.bilateral and e.first_sides == ["left", "right"]
    assert e.new_tumour is None
