"""Which sample governs a receptor over the patient's history (selection.govern), through assess().

Sources: ASCO/CAP 2018 HER2 and 2020 ER/PR guidelines (clinical-knowledge b.3 "Multiple samples", revised):
in the early episode a positive on any valid pre-treatment sample governs; ESMO ABC 5 (Cardoso F et al., Ann
Oncol 2020): at relapse the metastasis biopsy is retested and treatment follows it. FHIR R4 Observation.status:
"preliminary" results are not final, so a final result is preferred and a newer preliminary one that disagrees
is told, never silently used or ignored (b.1). Where the data cannot say which of two same-day specimens counts,
the receptor is left unresolved rather than picked by input order (P18).
"""
from __future__ import annotations

from datetime import date

import pytest

from cds_hooks.decision import DecisionConfig, assess
from cds_hooks.knowledge import codes

LNC, SCT, ICD = codes.LNC, codes.SCT, codes.ICD10CM
CONFIG = DecisionConfig(today=date(2026, 11, 1))
_ids = iter(range(100_000))
LIVER, BONE, LUNG, BREAST = "10200004", "3138006", "39607008", "80248007"
IHC_ANSWERS = {"0": "LA6111-4", "1+": "LA11841-6", "2+": "LA11842-4", "3+": "LA11843-2"}


def obs(code, when="2026-09-01", status="final", on=None, rid=None, **value):
    o = {"resourceType": "Observation", "id": rid or f"g{next(_ids)}", "status": status,
         "code": {"coding": [{"system": LNC, "code": code}]}, "effectiveDateTime": when, **value}
    if on:
        o["specimen"] = {"reference": f"Specimen/{on}"}
    return o


def er(value, **kw):
    return obs("85329-1", valueQuantity={"value": value, "unit": "%"}, **kw)


def pr(value, **kw):
    return obs("85325-9", valueQuantity={"value": value, "unit": "%"}, **kw)


def ihc(score, **kw):
    return obs("85319-2", valueCodeableConcept={"coding": [{"system": LNC, "code": IHC_ANSWERS[score]}]}, **kw)


def specimen(sid, site, collected=None):
    s = {"resourceType": "Specimen", "id": sid, "collection": {"bodySite": {"coding": [{"system": SCT, "code": site}]}}}
    if collected:
        s["collection"]["collectedDateTime"] = collected
    return s


PATIENT = {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1960-01-01"}
METASTATIC = {"resourceType": "Condition", "id": "met", "subject": {"reference": "Patient/p1"},
              "code": {"coding": [{"system": ICD, "code": "C78.7"}]}, "onsetDateTime": "2026-05-01"}


def notes_of(a):
    return {n.code for n in a.data_quality}


def calls(a, receptor):
    return [c for c in a.samples if c.receptor == receptor]


# ---- metastatic episode: same-day metastasis samples ----------------------------------------------------------

def test_two_metastasis_biopsies_of_one_day_that_disagree_leave_er_unresolved():
    """Liver ER 90 % and bone ER 0 % taken the same day: which one counts is not in the data, so ER is left
    unresolved (basis 'conflicting', both samples as evidence, neither listed as overruled) and no subtype."""
    a = assess([PATIENT, METASTATIC, specimen("liv", LIVER), specimen("bon", BONE),
                er(90, on="liv", rid="er-liv"), er(0, on="bon", rid="er-bon"), pr(0, on="liv"), ihc("1+", on="liv")],
               CONFIG)
    assert (a.er.status, a.er.basis, a.er.rule) == ("unknown", "conflicting", "metastatic-sample")
    assert set(a.er.evidence) == {"Observation/er-liv", "Observation/er-bon"}
    assert a.er.overruled == []
    assert a.subtype == "indeterminate"
    assert "conflicting-results" in notes_of(a)
    assert sum(c.governs for c in calls(a, "ER")) == 1


def test_two_metastasis_biopsies_of_one_day_that_agree_give_the_status():
    """Liver ER 90 % and bone ER 40 %, same day: both positive, ER positive, nothing unresolved or overruled."""
    a = assess([PATIENT, METASTATIC, specimen("liv", LIVER), specimen("bon", BONE),
                er(90, on="liv"), er(40, on="bon"), pr(0, on="liv"), ihc("1+", on="liv")], CONFIG)
    assert (a.er.status, a.er.basis, a.er.rule) == ("positive", "percent", "metastatic-sample")
    assert a.er.overruled == [] and a.subtype == "HR+/HER2-"
    assert "conflicting-results" not in notes_of(a)


def test_a_same_day_metastasis_sample_whose_own_results_conflict_leaves_the_receptor_unresolved():
    """Liver ER 90 % beside a bone sample whose two ER percents disagree (80 % and 0 %): the bone sample's call is
    unresolved, so the day's samples do not agree and ER is not stated."""
    a = assess([PATIENT, METASTATIC, specimen("liv", LIVER), specimen("bon", BONE),
                er(90, on="liv"), er(80, on="bon"), er(0, on="bon"), pr(0, on="liv"), ihc("1+", on="liv")], CONFIG)
    assert (a.er.status, a.er.basis) == ("unknown", "conflicting")


def test_same_day_her2_metastasis_samples_that_disagree_leave_her2_unresolved():
    """HER2 IHC 3+ on the liver, IHC 1+ on bone, same day: HER2 left unresolved, both named as evidence."""
    a = assess([PATIENT, METASTATIC, specimen("liv", LIVER), specimen("bon", BONE), er(90, on="liv"), pr(50, on="liv"),
                ihc("3+", on="liv", rid="h-liv"), ihc("1+", on="bon", rid="h-bon")], CONFIG)
    assert a.her2.status == "unknown" and a.subtype == "indeterminate"
    assert set(a.her2.evidence) == {"Observation/h-liv", "Observation/h-bon"}
    assert a.her2.rule == "metastatic-sample"
    assert "conflicting-results" in notes_of(a)


def test_same_day_her2_negative_metastasis_samples_take_the_her2_low_expression():
    """IHC 0 and IHC 1+ on two metastases of one day agree (negative); the HER2-low one gives the expression
    (ASCO/CAP 2023: HER2-low on any valid sample counts for eligibility)."""
    for order in ((0, 1), (1, 0)):
        scores = ["0", "1+"]
        items = [ihc(scores[i], on=("liv", "bon")[i]) for i in order]
        a = assess([PATIENT, METASTATIC, specimen("liv", LIVER), specimen("bon", BONE), er(90, on="liv"),
                    pr(50, on="liv"), *items], CONFIG)
        assert (a.her2.status, a.her2.expression) == ("negative", "low")
        assert "conflicting-results" not in notes_of(a)


def test_the_newest_metastasis_biopsy_governs_and_an_older_one_is_overruled():
    """Liver ER 0 % (2026-06-01) and an older bone ER 90 % (2026-05-15): the newest metastasis sample governs; the
    older positive is listed as overruled and as positive elsewhere."""
    a = assess([PATIENT, METASTATIC, specimen("liv", LIVER), specimen("bon", BONE),
                er(0, when="2026-06-01", on="liv"), er(90, when="2026-05-15", on="bon", rid="old"),
                pr(0, when="2026-06-01", on="liv"), ihc("1+", when="2026-06-01", on="liv")], CONFIG)
    assert (a.er.status, a.er.rule, a.er.effective) == ("negative", "metastatic-sample", "2026-06-01")
    assert a.er.overruled == ["Observation/old"] and a.er.positive_elsewhere == ["Observation/old"]


def test_an_undated_metastasis_result_does_not_count_as_the_newest():
    """An ER result without any date cannot be placed after a dated one: the dated liver biopsy governs."""
    undated = er(90, on="bon")
    del undated["effectiveDateTime"]
    a = assess([PATIENT, METASTATIC, specimen("liv", LIVER), specimen("bon", BONE), undated,
                er(0, when="2026-06-01", on="liv"), pr(0, when="2026-06-01", on="liv"),
                ihc("1+", when="2026-06-01", on="liv")], CONFIG)
    assert (a.er.status, a.er.effective) == ("negative", "2026-06-01")


def test_in_the_metastatic_episode_without_a_metastasis_biopsy_a_breast_sample_of_that_episode_governs():
    """Metastatic since 2026-05-01, a breast sample of 2026-06-01 (ER 0 %) and one of 2020 (ER 90 %): the sample
    of the metastatic episode governs (rule metastatic-sample), the earlier positive is overruled."""
    a = assess([PATIENT, METASTATIC, specimen("b1", BREAST), specimen("b2", BREAST),
                er(90, when="2020-01-01", on="b1", rid="early"), er(0, when="2026-06-01", on="b2"),
                pr(0, when="2026-06-01", on="b2"), ihc("1+", when="2026-06-01", on="b2")], CONFIG)
    assert (a.er.status, a.er.rule) == ("negative", "metastatic-sample")
    assert a.er.overruled == ["Observation/early"]


def test_metastatic_without_any_sample_of_that_episode_the_early_call_stands_in():
    """Metastatic, only a 2020 breast sample: its call stands in ('early-results-only'); P9 asks for a biopsy."""
    a = assess([PATIENT, METASTATIC, specimen("b1", BREAST), er(90, when="2020-01-01", on="b1"),
                pr(50, when="2020-01-01", on="b1"), ihc("1+", when="2020-01-01", on="b1")], CONFIG)
    assert (a.er.status, a.er.rule, a.her2.rule) == ("positive", "early-results-only", "early-results-only")


# ---- outside a metastatic setting ------------------------------------------------------------------------------

def test_a_metastasis_site_sample_outside_a_metastatic_setting_is_weighed_not_dropped():
    """A liver biopsy (ER 90 %) with no metastatic diagnosis recorded: the sample is still read (it is the only
    tissue), by the early rule."""
    a = assess([PATIENT, specimen("liv", LIVER), er(90, on="liv"), pr(50, on="liv"), ihc("1+", on="liv")], CONFIG)
    assert (a.er.status, a.er.rule, a.subtype) == ("positive", "pre-treatment-samples", "HR+/HER2-")


def test_outside_a_metastatic_setting_a_positive_metastasis_site_sample_beside_a_negative_breast_sample():
    """Breast ER 0 % and liver ER 90 %, no metastatic diagnosis: a positive on any untreated sample governs."""
    a = assess([PATIENT, specimen("liv", LIVER), specimen("b1", BREAST), er(90, on="liv", when="2026-08-01"),
                er(0, on="b1", rid="neg"), pr(50, on="b1"), ihc("1+", on="b1")], CONFIG)
    assert a.er.status == "positive" and a.er.overruled == ["Observation/neg"]


# ---- unresolved samples -------------------------------------------------------------------------------------

def test_an_unresolved_sample_is_neither_overruled_nor_positive_elsewhere():
    """ER 90 % on one sample, and another sample whose ER results disagree (80 % vs 0 %): ER positive by the
    clear sample; the unresolved sample is not listed as a sample that disagrees."""
    a = assess([PATIENT, specimen("b1", BREAST), specimen("b2", BREAST), er(90, on="b1", when="2026-08-01"),
                er(80, on="b2"), er(0, on="b2"), pr(50, on="b1", when="2026-08-01"),
                ihc("1+", on="b1", when="2026-08-01")], CONFIG)
    assert a.er.status == "positive"
    assert a.er.overruled == [] and a.er.positive_elsewhere == []


def test_her2_2plus_sample_beside_a_negative_sample_is_not_overruled():
    """HER2 IHC 1+ on 2026-09-01 and IHC 2+ (no ISH) on 2026-08-01: the later negative settles the equivocal
    sample; the equivocal one is not a sample that disagrees."""
    a = assess([PATIENT, specimen("b1", BREAST), specimen("b2", BREAST), er(90, on="b1"), pr(50, on="b1"),
                ihc("1+", on="b1"), ihc("2+", on="b2", when="2026-08-01")], CONFIG)
    assert (a.her2.status, a.her2.overruled, a.her2.positive_elsewhere) == ("negative", [], [])


def test_a_negative_sample_beside_a_positive_is_overruled_and_the_positive_is_not_positive_elsewhere():
    a = assess([PATIENT, specimen("b1", BREAST), specimen("b2", BREAST), er(90, on="b1"), er(0, on="b2", rid="neg",
                when="2026-08-01"), pr(50, on="b1"), ihc("1+", on="b1")], CONFIG)
    assert (a.er.status, a.er.overruled, a.er.positive_elsewhere) == ("positive", ["Observation/neg"], [])


# ---- provisional (preliminary) results -------------------------------------------------------------------

@pytest.mark.parametrize("prelim_day, prelim_value, told", [
    ("2026-09-02", 0, True),      # a day after the final one, disagrees
    ("2026-09-01", 0, False),     # the same day: not newer
    ("2026-08-31", 0, False),     # older
    ("2026-09-02", 50, False),    # newer but agrees
])
def test_a_newer_preliminary_result_that_disagrees_is_told(prelim_day, prelim_value, told):
    """Final ER 90 % of 2026-09-01 governs; a preliminary ER of another sample is told only when it is newer and
    says another family (it would govern once final), and then the subtype says to confirm."""
    a = assess([PATIENT, specimen("b1", BREAST), specimen("b2", BREAST), er(90, on="b1"), pr(50, on="b1"),
                ihc("1+", on="b1"), er(prelim_value, on="b2", when=prelim_day, status="preliminary")], CONFIG)
    assert (a.er.status, a.er.provisional) == ("positive", False)
    assert ("newer-provisional-differs" in notes_of(a)) == told
    assert any("preliminary" in r for r in a.subtype_reasons) == told
    assert a.er.overruled == [] and a.er.positive_elsewhere == []


def test_a_newer_preliminary_her2_result_that_disagrees_is_told():
    a = assess([PATIENT, specimen("b1", BREAST), specimen("b2", BREAST), er(90, on="b1"), pr(50, on="b1"),
                ihc("1+", on="b1"), ihc("3+", on="b2", when="2026-10-01", status="preliminary")], CONFIG)
    assert (a.her2.status, a.subtype) == ("negative", "HR+/HER2-")
    assert "newer-provisional-differs" in notes_of(a)


def test_a_newer_preliminary_equivocal_her2_is_not_told_as_disagreeing():
    """A preliminary IHC 2+ says nothing yet (unresolved): no disagreement to tell."""
    a = assess([PATIENT, specimen("b1", BREAST), specimen("b2", BREAST), er(90, on="b1"), pr(50, on="b1"),
                ihc("1+", on="b1"), ihc("2+", on="b2", when="2026-10-01", status="preliminary")], CONFIG)
    assert a.her2.status == "negative" and "newer-provisional-differs" not in notes_of(a)


def test_a_preliminary_metastasis_result_is_told_while_the_early_call_stands_in():
    """Metastatic, only final results from 2020 (ER 90 %), and a preliminary liver ER 0 % of 2026: the early call
    stands in (no final metastatic-episode sample), and the preliminary metastasis result that disagrees is told."""
    a = assess([PATIENT, METASTATIC, specimen("b1", BREAST), specimen("liv", LIVER),
                er(90, when="2020-01-01", on="b1"), pr(50, when="2020-01-01", on="b1"),
                ihc("1+", when="2020-01-01", on="b1"), er(0, when="2026-06-01", on="liv", status="preliminary")], CONFIG)
    assert (a.er.status, a.er.rule, a.er.provisional) == ("positive", "early-results-only", False)
    assert "newer-provisional-differs" in notes_of(a)


def test_only_preliminary_results_are_used_and_flagged():
    """Nothing final: the preliminary results decide, the finding is provisional and the subtype says so."""
    a = assess([PATIENT, er(90, status="preliminary"), pr(50, status="preliminary"), ihc("1+", status="preliminary")],
               CONFIG)
    assert (a.er.status, a.er.provisional, a.her2.provisional) == ("positive", True, True)
    assert "newer-provisional-differs" not in notes_of(a)
    assert any("provisional" in r for r in a.subtype_reasons)


def test_a_final_result_is_preferred_over_a_preliminary_positive():
    """Final ER 0 % and a newer preliminary ER 90 % of another sample: the final one governs; the preliminary
    positive is neither overruled nor positive elsewhere (not final), but told as a newer disagreeing result."""
    a = assess([PATIENT, specimen("b1", BREAST), specimen("b2", BREAST), er(0, on="b1"), pr(0, on="b1"),
                ihc("1+", on="b1"), er(90, on="b2", when="2026-10-01", status="preliminary")], CONFIG)
    assert (a.er.status, a.er.overruled, a.er.positive_elsewhere) == ("negative", [], [])
    assert "newer-provisional-differs" in notes_of(a)


def test_in_the_metastatic_episode_a_metastasis_biopsy_governs_before_a_newer_breast_sample():
    """Metastatic since 2026-05-01: liver ER 0 % of 2026-06-01 and a breast ER 90 % of 2026-07-01, both of the
    metastatic episode: the metastasis biopsy governs (ESMO ABC 5), the newer breast sample is overruled."""
    a = assess([PATIENT, METASTATIC, specimen("liv", LIVER), specimen("b1", BREAST),
                er(0, when="2026-06-01", on="liv"), er(90, when="2026-07-01", on="b1", rid="breast"),
                pr(0, when="2026-06-01", on="liv"), ihc("1+", when="2026-06-01", on="liv")], CONFIG)
    assert (a.er.status, a.er.specimen, a.er.rule) == ("negative", "metastasis", "metastatic-sample")
    assert a.er.overruled == ["Observation/breast"]


def test_the_same_day_disagreement_is_told_beside_a_sample_whose_own_results_conflict():
    """Liver ER 90 % beside a bone sample whose ER results disagree, same day: besides the bone sample's own
    conflict, the disagreement between the two specimens is told, naming the liver result."""
    a = assess([PATIENT, METASTATIC, specimen("liv", LIVER), specimen("bon", BONE),
                er(90, on="liv", rid="er-liv"), er(80, on="bon"), er(0, on="bon"), pr(0, on="liv"),
                ihc("1+", on="liv")], CONFIG)
    named = {n.resource for n in a.data_quality if n.code == "conflicting-results"}
    assert "Observation/er-liv" in named
    assert [c.governs for c in calls(a, "ER") if c.specimen_ref == "Specimen/liv"] == [True]


def test_two_positive_samples_name_no_positive_elsewhere():
    a = assess([PATIENT, specimen("b1", BREAST), specimen("b2", BREAST), er(90, on="b1"), er(30, on="b2",
                when="2026-08-01"), pr(50, on="b1"), ihc("1+", on="b1")], CONFIG)
    assert (a.er.status, a.er.overruled, a.er.positive_elsewhere) == ("positive", [], [])


def test_a_newer_final_result_that_disagrees_is_overruled_not_told_as_preliminary():
    """Final ER 90 % (2026-08-01) and a newer final ER 0 % (2026-09-01), both untreated: the positive governs, the
    negative is overruled; nothing preliminary is told."""
    a = assess([PATIENT, specimen("b1", BREAST), specimen("b2", BREAST), er(90, on="b1", when="2026-08-01"),
                er(0, on="b2", rid="neg"), pr(50, on="b1"), ihc("1+", on="b1")], CONFIG)
    assert (a.er.status, a.er.overruled) == ("positive", ["Observation/neg"])
    assert "newer-provisional-differs" not in notes_of(a)


def test_a_newer_preliminary_positive_on_a_metastasis_site_outside_a_metastatic_setting_is_told():
    """No metastatic diagnosis; final breast ER 0 % and a newer preliminary liver ER 90 %. Untreated samples of
    every site are weighed together here, and a positive on any of them governs, so once final the liver result
    would govern: the clinician is told now (b.1, b.3)."""
    a = assess([PATIENT, specimen("b1", BREAST), specimen("liv", LIVER), er(0, on="b1"), pr(0, on="b1"),
                ihc("1+", on="b1"), er(90, on="liv", when="2026-10-01", status="preliminary")], CONFIG)
    assert (a.er.status, a.er.rule) == ("negative", "pre-treatment-samples")
    assert "newer-provisional-differs" in notes_of(a)


def test_same_day_her2_negative_breast_samples_take_the_her2_low_expression():
    """Early episode, two breast specimens of one day, IHC 1+ and IHC 0: both negative; the HER2-low one gives the
    expression, whichever specimen is named first (ASCO/CAP 2023)."""
    for low_on, zero_on in (("b1", "b2"), ("b2", "b1")):
        a = assess([PATIENT, specimen("b1", BREAST), specimen("b2", BREAST), er(90, on="b1"), pr(50, on="b1"),
                    ihc("1+", on=low_on), ihc("0", on=zero_on)], CONFIG)
        assert (a.her2.status, a.her2.expression) == ("negative", "low")
