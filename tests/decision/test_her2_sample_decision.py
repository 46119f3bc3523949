"""How one sample's HER2 results add up (her2.decide_sample), through assess().

Source: ASCO/CAP 2018 HER2 guideline (Wolff AC et al., J Clin Oncol 2018; affirmed 2023): IHC 3+ positive,
2+ equivocal until ISH on the same specimen, 0/1+ negative; HER2-low is IHC 1+ or 2+ without amplification,
HER2-ultralow IHC 0 with faint incomplete staining (ASCO/CAP 2023 update; DESTINY-Breast04/06). Results of one
sample that disagree are never settled by input order (P18): they are left for pathology to review.
"""
from __future__ import annotations

from datetime import date

import pytest

from cds_hooks.decision import DecisionConfig, assess
from cds_hooks.knowledge import codes

LNC = codes.LNC
CONFIG = DecisionConfig(today=date(2026, 11, 1))
_ids = iter(range(100_000))
IHC_ANSWERS = {"0": "LA6111-4", "1+": "LA11841-6", "2+": "LA11842-4", "3+": "LA11843-2"}
POSITIVE, NEGATIVE = "LA6576-8", "LA6577-6"


def obs(code, when="2026-09-01", status="final", rid=None, **value):
    return {"resourceType": "Observation", "id": rid or f"s{next(_ids)}", "status": status,
            "code": {"coding": [{"system": LNC, "code": code}]}, "effectiveDateTime": when, **value}


def answer(code):
    return {"valueCodeableConcept": {"coding": [{"system": LNC, "code": code}]}}


def ihc(score, **kw):
    return obs("85319-2", **answer(IHC_ANSWERS[score]), **kw)


def interpretation(code=None, text=None, **kw):
    return obs("48676-1", **(answer(code) if code else {"valueString": text}), **kw)


def base():
    return [{"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1960-01-01"},
            obs("85329-1", valueQuantity={"value": 90, "unit": "%"}), obs("85325-9", valueQuantity={"value": 50, "unit": "%"})]


def notes_of(a):
    return {n.code for n in a.data_quality}


# ---- IHC ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("score, status, expression, subtype", [
    ("0", "negative", "zero-unspecified", "HR+/HER2-"),
    ("1+", "negative", "low", "HR+/HER2-"),
    ("2+", "equivocal", "unknown", "indeterminate"),
    ("3+", "positive", "positive", "HR+/HER2+"),
])
def test_ihc_score_alone(score, status, expression, subtype):
    """IHC 0/1+ negative (1+ is HER2-low, 0 is not told apart into null/ultralow), 2+ equivocal, 3+ positive."""
    a = assess([*base(), ihc(score)], CONFIG)
    assert (a.her2.status, a.her2.expression, a.her2.ihc_score, a.subtype) == (status, expression, score, subtype)
    assert a.her2.basis == "ihc"


@pytest.mark.parametrize("text, status", [("positive", "positive"), ("negative", "negative"), ("equivocal", "equivocal")])
def test_ihc_reported_in_words_without_a_score(text, status):
    """An IHC result stated positive/negative/equivocal without a score: used, with its limits (a positive without
    the score does not say IHC 3+ vs ISH; b.3)."""
    a = assess([*base(), obs("85319-2", valueString=text)], CONFIG)
    assert a.her2.status == status and a.her2.ihc_score is None
    assert ("her2-basis-not-recorded" in notes_of(a)) == (status == "positive")


@pytest.mark.parametrize("text", ["see report", "HER2-low", "ultralow"])
def test_ihc_without_a_score_or_a_status_is_not_negative(text):
    """An IHC result that states no status ('see report') is no HER2 result: HER2 unknown, no subtype. A bare
    'HER2-low' or 'ultralow' category on the IHC code says HER2-negative (both are negative categories, ASCO/CAP
    2023)."""
    a = assess([*base(), obs("85319-2", valueString=text)], CONFIG)
    if text == "see report":
        assert (a.her2.status, a.subtype) == ("unknown", "indeterminate")
    else:
        assert a.her2.status == "negative"


def test_ihc_0_ultralow_is_kept_as_ultralow():
    a = assess([*base(), obs("85319-2", valueString="0 ultralow")], CONFIG)
    assert (a.her2.status, a.her2.expression, a.her2.ihc_score) == ("negative", "ultralow", "0-ultralow")
    assert a.her2.ultralow_on_any_sample and not a.her2.low_on_any_sample


def test_two_ihc_scores_of_one_sample_use_the_highest_and_say_so():
    a = assess([*base(), ihc("1+"), ihc("3+")], CONFIG)
    assert (a.her2.status, a.her2.ihc_score) == ("positive", "3+")
    assert "conflicting-results" in notes_of(a)


def test_ihc_0_and_its_ultralow_refinement_do_not_conflict():
    """'0' and '0 ultralow' on one sample are the same score, one more precise: no conflict, ultralow kept."""
    a = assess([*base(), ihc("0"), obs("85319-2", valueString="0 ultralow")], CONFIG)
    assert (a.her2.status, a.her2.expression) == ("negative", "ultralow")
    assert "conflicting-results" not in notes_of(a)


def test_two_ihc_results_without_a_score_that_disagree_are_not_used():
    a = assess([*base(), obs("85319-2", valueString="positive"), obs("85319-2", valueString="negative")], CONFIG)
    assert a.her2.status == "unknown" and "conflicting-results" in notes_of(a)


# ---- the overall interpretation (48676-1) --------------------------------------------------------------------

@pytest.mark.parametrize("code, status", [(POSITIVE, "positive"), (NEGATIVE, "negative")])
def test_an_overall_interpretation_alone_decides_and_says_its_basis(code, status):
    a = assess([*base(), interpretation(code)], CONFIG)
    assert (a.her2.status, a.her2.basis) == (status, "qualitative")
    assert ("her2-basis-not-recorded" in notes_of(a)) == (status == "positive")


def test_two_overall_interpretations_that_disagree_leave_her2_unknown():
    """'Positive' and 'Negative' stated for one sample, nothing else: neither is used (P18)."""
    a = assess([*base(), interpretation(POSITIVE), interpretation(NEGATIVE)], CONFIG)
    assert (a.her2.status, a.subtype) == ("unknown", "indeterminate")
    assert "conflicting-results" in notes_of(a)


def test_an_unreadable_overall_interpretation_does_not_contradict_a_readable_one():
    """A second interpretation of the sample that states nothing ('see report') is no disagreement."""
    a = assess([*base(), interpretation(POSITIVE), interpretation(text="see report")], CONFIG)
    assert a.her2.status == "positive"
    assert "conflicting-results" not in notes_of(a)


@pytest.mark.parametrize("code, status, expression", [(NEGATIVE, "negative", "low"), (POSITIVE, "positive", "positive")])
def test_ihc_2plus_settled_by_the_overall_interpretation_rests_on_both(code, status, expression):
    """IHC 2+ with the pathologist's overall call and no ISH in the data: the call settles it, the basis says so,
    the 'IHC 2+ is equivocal' reason is dropped, and the missing ISH result is noted."""
    a = assess([*base(), ihc("2+"), interpretation(code)], CONFIG)
    assert (a.her2.status, a.her2.expression, a.her2.basis) == (status, expression, "ihc+interpretation")
    assert "her2-2plus-resolved-without-ish" in notes_of(a)
    assert not any("equivocal" in reason for reason in a.subtype_reasons)


def test_ihc_2plus_with_an_interpretation_and_an_ish_result_uses_the_ish():
    """With the ISH result on the same sample, IHC 2+ is settled by it (not by the interpretation)."""
    a = assess([*base(), ihc("2+"), obs("85318-4", valueString="not amplified"), interpretation(NEGATIVE)], CONFIG)
    assert (a.her2.status, a.her2.basis, a.her2.expression) == ("negative", "ihc+ish", "low")
    assert "her2-2plus-resolved-without-ish" not in notes_of(a)


def test_an_interpretation_that_contradicts_the_test_results_is_noted_and_not_used():
    a = assess([*base(), ihc("3+"), interpretation(NEGATIVE)], CONFIG)
    assert a.her2.status == "positive" and "conflicting-results" in notes_of(a)


def test_an_interpretation_that_agrees_raises_nothing():
    a = assess([*base(), ihc("3+"), interpretation(POSITIVE)], CONFIG)
    assert a.her2.status == "positive" and "conflicting-results" not in notes_of(a)


def test_an_interpretation_reported_with_an_ihc_score_keeps_the_score_on_the_reading():
    """48676-1 coded with the IHC answer 2+ (LOINC LL4396-9): the reading in the history keeps the score."""
    a = assess([*base(), interpretation(IHC_ANSWERS["2+"], rid="interp")], CONFIG)
    (entry,) = [r for r in a.history if r.resource == "Observation/interp"]
    assert entry.ihc_score == "2+"


def test_ihc_0_refined_to_ultralow_by_the_interpretation_of_the_same_sample():
    """IHC 0 beside an overall call 'HER2-ultralow': the score reads 0 ultralow (ASCO/CAP 2023)."""
    a = assess([*base(), ihc("0"), interpretation(text="0 ultralow")], CONFIG)
    assert (a.her2.status, a.her2.expression, a.her2.ihc_score) == ("negative", "ultralow", "0-ultralow")


def test_ihc_positive_in_words_beside_a_not_amplified_ish_is_a_conflict():
    a = assess([*base(), obs("85319-2", valueString="positive"), obs("85318-4", valueString="not amplified")], CONFIG)
    assert a.her2.status == "unknown" and "conflicting-results" in notes_of(a)


# ---- ISH numbers of one sample -----------------------------------------------------------------------------

def test_the_cep17_count_is_never_read_as_the_her2_copy_number():
    """CEP17 2.0 sent before HER2 4.5 copies/cell with ratio 2.25: the HER2 copy number is 4.5 (group 1,
    positive), not the CEP17 count (which would make it group 2, negative with IHC 1+)."""
    a = assess([*base(), ihc("1+"), obs("74861-6", valueQuantity={"value": 2.0}),
                obs("49683-6", valueQuantity={"value": 2.25}), obs("74860-8", valueQuantity={"value": 4.5})], CONFIG)
    assert (a.her2.copies, a.her2.ish_group, a.her2.status) == (4.5, 1, "positive")


@pytest.mark.parametrize("her2_copies, cep17, ratio, group", [
    (8.0, 4.0, 2.0, 1),      # ratio exactly 2.0 from the counts, >=4 copies: group 1
    (7.8, 4.0, 1.95, 3),     # just below 2.0 with >=6 copies: group 3
])
def test_the_ratio_is_computed_from_her2_and_cep17_counts_at_the_cut_off(her2_copies, cep17, ratio, group):
    a = assess([*base(), ihc("1+"), obs("74860-8", valueQuantity={"value": her2_copies}),
                obs("74861-6", valueQuantity={"value": cep17})], CONFIG)
    assert (a.her2.ratio, a.her2.ish_group) == (pytest.approx(ratio), group)


def test_ratios_of_one_sample_on_both_sides_of_2_0_leave_ish_unresolved():
    a = assess([*base(), ihc("2+"), obs("49683-6", valueQuantity={"value": 1.5}),
                obs("49683-6", valueQuantity={"value": 2.5}), obs("74860-8", valueQuantity={"value": 4.5})], CONFIG)
    assert (a.her2.ish, a.her2.status, a.her2.ish_group) == ("needs-review", "unknown", None)
    assert "conflicting-results" in notes_of(a)


def test_two_ratios_on_the_same_side_agree():
    a = assess([*base(), ihc("2+"), obs("49683-6", valueQuantity={"value": 1.5}),
                obs("49683-6", valueQuantity={"value": 1.7}), obs("74860-8", valueQuantity={"value": 4.5})], CONFIG)
    assert (a.her2.ish, a.her2.status, a.her2.ish_group) == ("not-amplified", "negative", 4)


@pytest.mark.parametrize("ish", [{"valueString": "equivocal"}, {"valueString": "1.8-2.2"}])
def test_an_equivocal_ish_alone_is_equivocal(ish):
    """An ISH reported 'equivocal' or as the pre-2018 band 1.8-2.2, with no IHC: HER2 equivocal (re-reading
    needed against the 2018 algorithm), no subtype."""
    code = "85318-4" if ish["valueString"] == "equivocal" else "49683-6"
    a = assess([*base(), obs(code, **ish)], CONFIG)
    assert (a.her2.status, a.subtype) == ("equivocal", "indeterminate")


def test_ihc_0_refined_to_null_by_the_interpretation_of_the_same_sample():
    """IHC 0 beside an overall call '0, no staining' (HER2-null): the score reads 0 null (ASCO/CAP 2023)."""
    a = assess([*base(), ihc("0"), interpretation(text="0 null")], CONFIG)
    assert (a.her2.status, a.her2.expression) == ("negative", "null")


@pytest.mark.parametrize("order", [("0 ultralow", "0 null"), ("0 null", "0 ultralow")])
def test_ihc_0_ultralow_and_0_null_on_one_sample_disagree(order):
    """HER2-ultralow and HER2-null are different IHC 0 categories (ASCO/CAP 2023; DESTINY-Breast06 eligibility):
    both on one sample is a disagreement that is said, in either order, and input order never picks one: the
    sample reads IHC 0 without its category (found here: the first one given used to win)."""
    a = assess([*base(), *(obs("85319-2", valueString=t) for t in order)], CONFIG)
    assert (a.her2.status, a.her2.expression, a.her2.ultralow_on_any_sample) == ("negative", "zero-unspecified", False)
    assert "conflicting-results" in notes_of(a)


# ---- seed-3 mutation sample ----------------------------------------------------------------------------------

def test_ihc_2plus_with_an_unreadable_interpretation_stays_equivocal():
    """ASCO/CAP 2018: IHC 2+ is equivocal until ISH on the same specimen. An overall interpretation that states
    nothing ('see report') settles nothing: still equivocal, and no 'resolved without ISH' note."""
    a = assess([*base(), ihc("2+"), interpretation(text="see report")], CONFIG)
    assert (a.her2.status, a.her2.basis) == ("equivocal", "ihc")
    assert "her2-2plus-resolved-without-ish" not in notes_of(a)


def test_an_ihc_score_gives_the_expression_whatever_the_interpretations_state():
    """ASCO/CAP 2023: HER2-low is IHC 1+ (or 2+ without amplification). With the IHC 1+ on the sample the
    expression is low; interpretations that differ about the expression do not make it 'not used'."""
    a = assess([*base(), ihc("1+"), interpretation(text="HER2-low"), interpretation(text="0 ultralow")], CONFIG)
    assert (a.her2.status, a.her2.expression) == ("negative", "low")
    assert not any("none is used" in n.message for n in a.data_quality)
