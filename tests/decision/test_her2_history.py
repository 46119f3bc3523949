"""HER2 over several samples (her2._pair_reflex_ish, decide_her2), through assess().

Reflex ISH: ASCO/CAP 2018 settles IHC 2+ by ISH on the same specimen; EHR data rarely names the specimen, so an
ISH-only result without a Specimen is read with the closest earlier IHC-only result of the same specimen kind
when it comes 1 to 21 days later (``HER2_REFLEX_ISH_WINDOW_DAYS``, a product choice declared in
``knowledge.thresholds``: 0 < days <= 21), and this is noted. Over the history the choice follows
``selection.govern`` (b.3); HER2-low on any valid sample counts for eligibility (ASCO/CAP 2023).
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from cds_hooks.decision import DecisionConfig, assess
from cds_hooks.knowledge import codes

LNC, SCT, ICD = codes.LNC, codes.SCT, codes.ICD10CM
CONFIG = DecisionConfig(today=date(2027, 1, 1))
_ids = iter(range(100_000))
IHC_ANSWERS = {"0": "LA6111-4", "1+": "LA11841-6", "2+": "LA11842-4", "3+": "LA11843-2"}
PATIENT = {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1960-01-01"}
IHC_DAY = date(2026, 9, 1)


def obs(code, when="2026-09-01", status="final", rid=None, **value):
    return {"resourceType": "Observation", "id": rid or f"r{next(_ids)}", "status": status,
            "code": {"coding": [{"system": LNC, "code": code}]}, "effectiveDateTime": when, **value}


def ihc(score, **kw):
    return obs("85319-2", valueCodeableConcept={"coding": [{"system": LNC, "code": IHC_ANSWERS[score]}]}, **kw)


def hr_positive():
    return [obs("85329-1", valueQuantity={"value": 90, "unit": "%"}), obs("85325-9", valueQuantity={"value": 50, "unit": "%"})]


def ish_group_5(when, **kw):
    """Ratio 1.2 and 2.0 HER2 copies: ISH group 5, not amplified."""
    return [obs("49683-6", when=when, valueQuantity={"value": 1.2}, **kw),
            obs("74860-8", when=when, valueQuantity={"value": 2.0}, **kw)]


def ish_amplified(when, **kw):
    return [obs("85318-4", when=when, valueString="amplified", **kw)]


def later(days):
    return (IHC_DAY + timedelta(days=days)).isoformat()


def notes_of(a):
    return {n.code for n in a.data_quality}


@pytest.mark.parametrize("days, paired", [(0, False), (1, True), (20, True), (21, True), (22, False)])
def test_reflex_ish_is_paired_with_the_ihc_1_to_21_days_earlier(days, paired):
    """IHC 2+ on 2026-09-01 and an amplified ISH `days` later, no Specimen: paired (one sample, HER2-positive,
    IHC+ISH) from 1 to 21 days; on the same day they are one sample anyway (same day and kind) and the pairing
    note is not given; after 22 days the ISH stands alone and is the newest sample (positive, ISH only)."""
    a = assess([PATIENT, *hr_positive(), ihc("2+"), *ish_amplified(later(days))], CONFIG)
    assert a.her2.status == "positive"
    assert ("ish-paired-with-earlier-ihc" in notes_of(a)) == paired
    her2_samples = [c for c in a.samples if c.receptor == "HER2"]
    assert len(her2_samples) == (2 if days > 21 else 1)
    assert a.her2.basis == ("ish" if days > 21 else "ihc+ish")


def test_reflex_ish_is_paired_with_the_closest_earlier_ihc():
    """IHC 1+ 10 days before and IHC 2+ 3 days before an ISH without a specimen: the ISH belongs to the closest
    one (the 2+, which reflex ISH is done for); the 1+ stays a sample of its own."""
    a = assess([PATIENT, *hr_positive(), ihc("1+", when=later(-7), rid="far"), ihc("2+", rid="near"),
                *ish_group_5(later(3))], CONFIG)
    samples = [c for c in a.samples if c.receptor == "HER2"]
    assert len(samples) == 2
    (paired,) = [c for c in samples if "Observation/near" in c.evidence]
    assert len(paired.evidence) == 3 and paired.status == "negative" and paired.expression == "low"


def test_one_ihc_takes_only_one_reflex_ish():
    """Two ISH results without a specimen, 2 and 5 days after a single IHC 2+: the first pairs with it, the second
    cannot pair with the same IHC again and stands as its own sample."""
    a = assess([PATIENT, *hr_positive(), ihc("2+"), *ish_group_5(later(2)), *ish_amplified(later(5))], CONFIG)
    assert len([c for c in a.samples if c.receptor == "HER2"]) == 2


def test_reflex_ish_is_not_paired_with_an_ihc_of_another_specimen_kind():
    """IHC 2+ on a breast sample and, 5 days later, an ISH on a liver sample (Observation.bodySite, no Specimen):
    different tissue, never read as one sample."""
    liver = {"coding": [{"system": SCT, "code": "10200004"}]}
    breast = {"coding": [{"system": SCT, "code": "80248007"}]}
    a = assess([PATIENT, *hr_positive(), ihc("2+", bodySite=breast),
                *ish_amplified(later(5), bodySite=liver)], CONFIG)
    assert "ish-paired-with-earlier-ihc" not in notes_of(a)


def test_a_named_specimen_is_never_paired_by_date():
    """An ISH result on a named Specimen is a sample of that specimen: it is not paired with an earlier IHC."""
    spec = {"resourceType": "Specimen", "id": "s1", "collection": {"bodySite": {"coding": [{"system": SCT, "code": "80248007"}]}}}
    a = assess([PATIENT, spec, *hr_positive(), ihc("2+"),
                *ish_amplified(later(5), specimen={"reference": "Specimen/s1"})], CONFIG)
    assert "ish-paired-with-earlier-ihc" not in notes_of(a)


def test_an_ihc_that_already_has_ish_takes_no_reflex_ish():
    a = assess([PATIENT, *hr_positive(), ihc("2+"), *ish_group_5("2026-09-01"), *ish_amplified(later(5))], CONFIG)
    assert "ish-paired-with-earlier-ihc" not in notes_of(a)


# ---- decide_her2 over the history -----------------------------------------------------------------------------

def test_the_finding_carries_the_governing_sample_s_details():
    """ISH group 1 (ratio 2.5, 4.5 copies) with IHC 1+ of 2026-09-01 on a named breast specimen: HER2-positive,
    and the finding shows the IHC score, ISH call, group, ratio, copies, date, specimen and evidence."""
    spec = {"resourceType": "Specimen", "id": "s1", "collection": {"bodySite": {"coding": [{"system": SCT, "code": "80248007"}]}}}
    on = {"specimen": {"reference": "Specimen/s1"}}
    items = [ihc("1+", rid="i", **on), obs("49683-6", rid="r", valueQuantity={"value": 2.5}, **on),
             obs("74860-8", rid="c", valueQuantity={"value": 4.5}, **on)]
    a = assess([PATIENT, spec, *hr_positive(), *items], CONFIG)
    h = a.her2
    assert (h.status, h.expression, h.ihc_score, h.ish, h.ish_group, h.ratio, h.copies) == (
        "positive", "positive", "1+", "amplified", 1, 2.5, 4.5)
    assert (h.effective, h.specimen, h.basis, h.provisional) == ("2026-09-01", "primary", "ihc+ish", False)
    assert sorted(h.evidence) == ["Observation/c", "Observation/i", "Observation/r"]


def test_a_sample_is_dated_by_its_newest_result_and_provisional_only_when_all_its_results_are():
    """A final IHC 2+ and, 5 days later, a preliminary reflex ISH read as one sample: the sample is not provisional
    (it has a final result) and is dated by its newest result, the ISH."""
    a = assess([PATIENT, *hr_positive(), ihc("2+"), *ish_amplified(later(5), status="preliminary")], CONFIG)
    assert (a.her2.status, a.her2.provisional) == ("positive", False)
    assert a.her2.effective == later(5)


def test_her2_resting_only_on_preliminary_samples_is_provisional():
    a = assess([PATIENT, *hr_positive(), ihc("3+", status="preliminary")], CONFIG)
    assert (a.her2.status, a.her2.provisional) == ("positive", True)


def test_the_reasons_of_the_governing_sample_reach_the_subtype():
    """ISH group 4 with IHC 2+: HER2-negative with comment (ASCO/CAP 2018); the comment reaches the subtype's
    reasons."""
    a = assess([PATIENT, *hr_positive(), ihc("2+"), obs("49683-6", valueQuantity={"value": 1.5}),
                obs("74860-8", valueQuantity={"value": 4.5})], CONFIG)
    assert (a.her2.status, a.her2.ish_group, a.subtype) == ("negative", 4, "HR+/HER2-")
    assert any("group 4" in r for r in a.subtype_reasons)


def test_same_day_her2_metastasis_samples_that_disagree_give_a_reason():
    met = {"resourceType": "Condition", "id": "met", "subject": {"reference": "Patient/p1"},
           "code": {"coding": [{"system": ICD, "code": "C78.7"}]}, "onsetDateTime": "2026-05-01"}
    specs = [{"resourceType": "Specimen", "id": sid, "collection": {"bodySite": {"coding": [{"system": SCT, "code": code}]}}}
             for sid, code in (("liv", "10200004"), ("bon", "3138006"))]
    a = assess([PATIENT, met, *specs, *hr_positive(), ihc("3+", specimen={"reference": "Specimen/liv"}),
                ihc("0", specimen={"reference": "Specimen/bon"})], CONFIG)
    assert a.her2.status == "unknown" and a.subtype == "indeterminate"
    assert any("same day" in r for r in a.subtype_reasons)


def test_her2_low_on_an_earlier_valid_sample_is_remembered_but_not_on_an_unreadable_one():
    """IHC 1+ in 2022 then IHC 0 in 2026: HER2-low on a prior sample counts (ASCO/CAP 2023). An IHC 2+ waiting for
    ISH is not a HER2-low sample (its expression is not known)."""
    a = assess([PATIENT, *hr_positive(), ihc("1+", when="2022-01-01"), ihc("0", when="2026-01-01")], CONFIG)
    assert (a.her2.expression, a.her2.low_on_any_sample) == ("zero-unspecified", True)
    b = assess([PATIENT, *hr_positive(), ihc("2+", when="2022-01-01"), ihc("0", when="2026-01-01")], CONFIG)
    assert b.her2.low_on_any_sample is False


def test_an_ish_sample_waiting_for_its_ihc_still_counts_as_a_sample():
    """Ratio 2.5 without copy number or IHC (group 1 or 2 cannot be told: needs the IHC) is newer than an IHC 1+
    sample of an earlier day: both are valid samples; the IHC 1+ sample is negative and the newer one waits."""
    a = assess([PATIENT, *hr_positive(), ihc("1+", when="2026-01-01"),
                obs("49683-6", when="2026-03-01", valueQuantity={"value": 2.5})], CONFIG)
    calls = [c for c in a.samples if c.receptor == "HER2"]
    assert len(calls) == 2
    assert a.her2.status == "unknown"


@pytest.mark.parametrize("ihc_spec, ish_spec", [("sa", "sb"), ("sb", "sa")])
def test_same_day_negative_samples_take_the_expression_from_the_one_with_an_ihc_score(ihc_spec, ish_spec):
    """Two breast specimens of one day, both HER2-negative: IHC 0 on one, ISH not amplified (no IHC) on the other.
    HER2 expression (0, ultralow, low) is an IHC category (ASCO/CAP 2023); ISH alone says nothing about it, so the
    finding reads IHC 0 whichever specimen sorts first."""
    specs = [{"resourceType": "Specimen", "id": sid, "collection": {"bodySite": {"coding": [{"system": SCT, "code": "80248007"}]}}}
             for sid in ("sa", "sb")]
    a = assess([PATIENT, *specs, *hr_positive(), ihc("0", specimen={"reference": f"Specimen/{ihc_spec}"}),
                obs("85318-4", valueString="not amplified", specimen={"reference": f"Specimen/{ish_spec}"})], CONFIG)
    assert (a.her2.status, a.her2.expression, a.her2.ihc_score) == ("negative", "zero-unspecified", "0")
