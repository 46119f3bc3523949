"""ER and PR readings and the status of one sample (er_pr.read_er_pr, basis_of, decide_receptor, hr_status).

Source: ASCO/CAP 2020 ER/PR guideline (Allison KH et al., J Clin Oncol 2020; clinical-knowledge b.2): <1 % of
tumour nuclei negative, 1-10 % "ER low positive" (a subcategory of positive), >10 % positive; the percent is the
result, so it wins over a qualitative statement of the same sample, which wins over an overall interpretation
(b.2 evidence precedence); ligand-binding assays and staining intensity are not IHC percents. HR is positive when
ER or PR is positive (low included) and negative when both are negative.
"""
from __future__ import annotations

from datetime import date

import pytest

from cds_hooks.decision import DecisionConfig, assess
from cds_hooks.knowledge import codes

LNC = codes.LNC
CONFIG = DecisionConfig(today=date(2026, 11, 1))
_ids = iter(range(100_000))
ER_PERCENT, ER_QUALITATIVE, ER_INTERPRETATION = "85329-1", "85337-4", "16112-5"
PR_PERCENT = "85325-9"


def obs(code, when="2026-09-01", status="final", rid=None, **value):
    return {"resourceType": "Observation", "id": rid or f"e{next(_ids)}", "status": status,
            "code": {"coding": [{"system": LNC, "code": code}]}, "effectiveDateTime": when, **value}


def percent(code, value, comparator=None, **kw):
    quantity = {"value": value, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"}
    if comparator:
        quantity["comparator"] = comparator
    return obs(code, valueQuantity=quantity, **kw)


def words(code, text, **kw):
    return obs(code, valueString=text, **kw)


PATIENT = {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1960-01-01"}
HER2_1 = obs("85319-2", valueCodeableConcept={"coding": [{"system": LNC, "code": "LA11841-6"}]})


def notes_of(a):
    return {n.code for n in a.data_quality}


def er_of(*items):
    return assess([PATIENT, *items, percent(PR_PERCENT, 50), HER2_1], CONFIG)


# ---- thresholds -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, status", [
    (0, "negative"), (0.9, "negative"), (1, "low-positive"), (1.1, "low-positive"), (9.9, "low-positive"),
    (10, "low-positive"), (10.1, "positive"), (100, "positive"),
])
def test_er_percent_categories(value, status):
    """<1 % negative, 1-10 % low positive (10 % included by default), >10 % positive."""
    a = er_of(percent(ER_PERCENT, value))
    assert (a.er.status, a.er.percent, a.er.basis) == (status, value, "percent")


@pytest.mark.parametrize("comparator, value, status", [
    ("<", 1, "negative"), ("<=", 0.5, "negative"), ("<", 5, None), (">", 10, "positive"), (">=", 10.5, "positive"),
    (">", 5, None), ("<=", 1, None),
])
def test_er_percent_with_a_comparator_is_used_only_inside_one_category(comparator, value, status):
    """'<1 %' is negative and '>10 %' positive; a bound spanning two categories ('<5 %', '>5 %', '<=1 %') says no
    status and is flagged."""
    a = er_of(percent(ER_PERCENT, value, comparator))
    assert a.er.status == (status or "unknown")
    assert ("percent-range-ambiguous" in notes_of(a)) == (status is None)


@pytest.mark.parametrize("value", [-1, 101, 150])
def test_a_percent_outside_0_to_100_is_not_used(value):
    a = er_of(percent(ER_PERCENT, value))
    assert a.er.status == "unknown" and "value-out-of-range" in notes_of(a)


# ---- precedence within a sample ------------------------------------------------------------------------------

@pytest.mark.parametrize("code, basis", [(ER_PERCENT, "percent"), (ER_QUALITATIVE, "qualitative"),
                                         (ER_INTERPRETATION, "interpretation")])
def test_the_basis_says_which_kind_of_result_the_status_rests_on(code, basis):
    item = percent(code, 80) if basis == "percent" else words(code, "positive")
    a = er_of(item)
    assert (a.er.status, a.er.basis) == ("positive", basis)


def test_a_qualitative_result_outranks_an_interpretation_of_the_same_sample():
    """ER IHC 'negative' (qualitative) and an ER interpretation 'positive' of the same sample: the IHC result
    decides, and the disagreement is noted."""
    a = er_of(words(ER_QUALITATIVE, "negative"), words(ER_INTERPRETATION, "positive"))
    assert (a.er.status, a.er.basis) == ("negative", "qualitative")
    assert "conflicting-results" in notes_of(a)


def test_a_percent_outranks_a_qualitative_statement_that_disagrees():
    a = er_of(percent(ER_PERCENT, 0), words(ER_QUALITATIVE, "positive"))
    assert (a.er.status, a.er.basis) == ("negative", "percent")
    assert "conflicting-results" in notes_of(a)


@pytest.mark.parametrize("statement", ["positive", "low positive"])
def test_a_qualitative_positive_beside_an_er_low_percent_is_no_disagreement(statement):
    """ER 5 % with a same-sample 'positive' or 'low positive': ER low positive is a subcategory of positive, so
    nothing disagrees; the percent gives the status."""
    a = er_of(percent(ER_PERCENT, 5), words(ER_QUALITATIVE, statement))
    assert (a.er.status, a.er.basis, a.er.percent) == ("low-positive", "percent", 5)
    assert "conflicting-results" not in notes_of(a)


def test_a_qualitative_positive_and_low_positive_of_one_sample_give_low_positive():
    """Two qualitative ER results of one sample, 'positive' and 'low positive': the more specific one is used."""
    a = er_of(words(ER_QUALITATIVE, "positive"), words("40556-3", "low positive"))
    assert a.er.status == "low-positive" and "conflicting-results" not in notes_of(a)


@pytest.mark.parametrize("first, second", [(0, 50), (5, 50)])
def test_two_percents_of_one_sample_in_different_categories_leave_er_unresolved(first, second):
    a = er_of(percent(ER_PERCENT, first), percent("14228-1", second))
    assert (a.er.status, a.er.basis) == ("unknown", "conflicting")
    assert a.subtype == "indeterminate" and "conflicting-results" in notes_of(a)


def test_two_qualitative_results_of_one_sample_that_disagree_leave_er_unresolved():
    a = er_of(words(ER_QUALITATIVE, "positive"), words("40556-3", "negative"))
    assert (a.er.status, a.er.basis) == ("unknown", "conflicting")


# ---- shapes that are not a status ------------------------------------------------------------------------------

def test_a_ligand_binding_assay_is_not_used_and_said():
    a = er_of(obs("14130-9", valueQuantity={"value": 25, "unit": "fmol/mg"}))
    assert a.er.status == "unknown" and "legacy-ligand-binding" in notes_of(a)


def test_staining_intensity_alone_gives_no_status():
    a = er_of(words("85310-1", "strong"))
    assert a.er.status == "unknown"


def test_a_percent_sent_under_a_qualitative_code_is_read_as_a_percent():
    a = er_of(obs(ER_QUALITATIVE, valueQuantity={"value": 40, "unit": "%"}))
    assert (a.er.status, a.er.percent, a.er.basis) == ("positive", 40, "percent")
    assert "percent-under-qualitative-code" in notes_of(a)


def test_borderline_is_not_an_asco_cap_category():
    a = er_of(words(ER_QUALITATIVE, "borderline"))
    assert a.er.status == "unknown" and "borderline-not-asco-cap" in notes_of(a)


def test_ki67_is_not_a_receptor_status():
    a = er_of(obs("85330-9", valueQuantity={"value": 30, "unit": "%"}), percent(ER_PERCENT, 80))
    assert a.er.status == "positive"


# ---- HR --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("er_value, pr_value, hr", [
    (0, 0, "negative"), (0, 5, "positive"), (5, 0, "positive"), (80, 0, "positive"), (0.5, 0.9, "negative"),
])
def test_hr_from_er_and_pr(er_value, pr_value, hr):
    a = assess([PATIENT, percent(ER_PERCENT, er_value), percent(PR_PERCENT, pr_value), HER2_1], CONFIG)
    assert a.hr == hr


@pytest.mark.parametrize("text, hr", [("positive", "positive"), ("negative", "negative")])
def test_a_combined_er_pr_result_gives_hr_but_never_er(text, hr):
    """10480-2 (ER+PR combined) says the HR status only; ER stays unknown and no subtype is stated (P17)."""
    a = assess([PATIENT, words("10480-2", text), HER2_1], CONFIG)
    assert (a.hr, a.er.status, a.subtype) == (hr, "unknown", "indeterminate")
    assert "combined-hr-only" in notes_of(a)


def test_each_reading_is_labelled_with_its_own_receptor():
    """The label a clinician reads names the receptor measured: ER and PR by name, and the combined ER+PR result
    (10480-2) as the combined hormone-receptor result, never as ER or PR."""
    a = assess([PATIENT, percent(ER_PERCENT, 80, rid="er"), words(ER_QUALITATIVE, "positive", rid="erq"),
                percent(PR_PERCENT, 0, rid="pr"), words("10480-2", "positive", rid="hr"), HER2_1], CONFIG)
    labels = {r.resource: r.label for r in a.history}
    assert labels["Observation/er"].startswith("ER 80%")
    assert labels["Observation/erq"].startswith("ER ")
    assert labels["Observation/pr"].startswith("PR 0%")
    assert labels["Observation/hr"].startswith("HR (ER+PR combined)")


def test_the_newest_combined_result_gives_hr():
    a = assess([PATIENT, words("10480-2", "positive", when="2020-01-01"), words("10480-2", "negative"), HER2_1], CONFIG)
    assert a.hr == "negative"


def test_er_pr_results_outrank_a_combined_result():
    a = assess([PATIENT, percent(ER_PERCENT, 0), percent(PR_PERCENT, 0), words("10480-2", "positive"), HER2_1], CONFIG)
    assert (a.hr, a.subtype) == ("negative", "triple-negative")
    assert "combined-hr-only" not in notes_of(a)


def test_er_negative_with_pr_unknown_leaves_hr_unknown():
    """HR negative needs both ER and PR negative (b.2): ER 0 % without any PR result settles nothing."""
    a = assess([PATIENT, percent(ER_PERCENT, 0), HER2_1], CONFIG)
    assert (a.hr, a.subtype) == ("unknown", "indeterminate")
    b = assess([PATIENT, percent(PR_PERCENT, 0), HER2_1], CONFIG)
    assert b.hr == "unknown"


def test_intensity_and_ki67_readings_carry_no_receptor_status():
    """Staining intensity is not a result of its own (no reading kept); Ki-67 is kept with its percent but has
    no receptor status (ASCO/CAP categories are for ER and PR only)."""
    a = er_of(words("85310-1", "positive", rid="intensity"), obs("85330-9", rid="ki", valueQuantity={"value": 30, "unit": "%"}))
    kept = {r.resource: r for r in a.history}
    assert "Observation/intensity" not in kept
    assert (kept["Observation/ki"].status, kept["Observation/ki"].percent) == ("unknown", 30)


@pytest.mark.parametrize("pr_value", [5, 50])
def test_er_negative_with_pr_positive_or_low_is_marked(pr_value):
    """ER <1 % with PR >=1 % (PR low counts: ASCO/CAP 2020 positive is >=1 %): hormone-receptor positive, marked
    ER-/PR+ (rare, often a testing problem)."""
    a = assess([PATIENT, percent(ER_PERCENT, 0), percent(PR_PERCENT, pr_value), HER2_1], CONFIG)
    assert (a.hr, a.subtype) == ("positive", "HR+/HER2-")
    assert "ER-/PR+" in a.modifiers
