"""HER2 ISH readings of every shape, through assess(): ratios as a FHIR Ratio, legacy strings, bounds.

Source: ASCO/CAP 2018 HER2 testing guideline (Wolff AC et al., J Clin Oncol 2018; affirmed 2023), dual-probe
ISH groups 1-5 by the HER2/CEP17 ratio (cut-off 2.0) and the mean HER2 copy number (4.0 and 6.0), and the
concurrent IHC for groups 2-4. The pre-2018 (2007) scheme called 1.8-2.2 "equivocal"; legacy reports (Synthea:
"less than 1.8", "greater than 2.2") are re-read against 2.0 only where the bound says which side of 2.0 the
ratio lies on (clinical-knowledge b.3). A bound that straddles 2.0 ("<2.5", "<=2.0", ">1.8") is not a result.
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


def obs(code, when="2026-09-01", status="final", rid=None, **value):
    return {"resourceType": "Observation", "id": rid or f"h{next(_ids)}", "status": status,
            "code": {"coding": [{"system": LNC, "code": code}]}, "effectiveDateTime": when, **value}


def ihc(score, **kw):
    return obs("85319-2", valueCodeableConcept={"coding": [{"system": LNC, "code": IHC_ANSWERS[score]}]}, **kw)


def copies(n, **kw):
    return obs("74860-8", valueQuantity={"value": n}, **kw)


def cep17(n, **kw):
    return obs("74861-6", valueQuantity={"value": n}, **kw)


def ratio_string(text, code="49683-6", **kw):
    return obs(code, valueString=text, **kw)


def base():
    return [{"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1960-01-01"},
            obs("85329-1", valueQuantity={"value": 90, "unit": "%"}), obs("85325-9", valueQuantity={"value": 50, "unit": "%"})]


def notes_of(a):
    return {n.code for n in a.data_quality}


# ---- legacy strings and bounds against the 2.0 cut-off ------------------------------------------------------

@pytest.mark.parametrize("code", ["49683-6", "85318-4"])
@pytest.mark.parametrize("text, side", [
    ("less than 1.8", "low"), ("<2.0", "low"), ("< 2.0", "low"), ("<=1.99", "low"),
    ("greater than 2.2", "high"), (">2.0", "high"), (">=2.0", "high"),
    # the bound does not say which side of 2.0 the ratio lies on
    ("<2.1", None), ("<=2.0", None), ("<2.5", None), (">1.99", None), (">=1.9", None), ("greater than 1.8", None),
])
def test_a_ratio_given_as_a_bound_is_placed_against_2_0_only_when_the_bound_says(code, text, side):
    """IHC 2+ and 4.5 HER2 copies beside a bounded ratio: below 2.0 it is group 4 (IHC 2+: negative), at or
    above 2.0 group 1 (positive); a bound on both sides of 2.0 is no ISH result, so IHC 2+ stays equivocal."""
    a = assess([*base(), ihc("2+"), ratio_string(text, code), copies(4.5)], CONFIG)
    if side == "low":
        assert (a.her2.ish_group, a.her2.ish, a.her2.status) == (4, "not-amplified", "negative")
    elif side == "high":
        assert (a.her2.ish_group, a.her2.ish, a.her2.status) == (1, "amplified", "positive")
    else:
        assert (a.her2.ish_group, a.her2.ish, a.her2.status) == (None, "equivocal", "equivocal")
        assert a.subtype == "indeterminate"
    assert ("ish-legacy-equivocal" in notes_of(a)) == (side is None)
    assert ("ish-legacy-threshold" in notes_of(a)) == (side is not None)


@pytest.mark.parametrize("code", ["49683-6", "85318-4"])
def test_the_pre_2018_equivocal_band_stays_equivocal(code):
    """'1.8-2.2' straddles 2.0: the ratio cannot be re-read (ISH equivocal, IHC 2+ stays equivocal), and the
    copy number beside it is not read as a single-probe result."""
    a = assess([*base(), ihc("2+"), ratio_string("1.8-2.2", code), copies(6.5)], CONFIG)
    assert (a.her2.ish, a.her2.status, a.her2.ratio) == ("equivocal", "equivocal", None)
    assert "ish-legacy-equivocal" in notes_of(a)


@pytest.mark.parametrize("text, status", [("less than 1.8", "negative"), ("greater than 2.2", "positive")])
def test_a_legacy_string_alone_on_the_ish_code_with_ihc_3plus_or_1plus(text, status):
    """Synthea's FISH string on 85318-4 with IHC 1+ (negative whatever ISH says below 2.0) or IHC 3+ (positive):
    the string is read as a ratio and shown with its bound."""
    score = "1+" if status == "negative" else "3+"
    a = assess([*base(), ihc(score), ratio_string(text, "85318-4")], CONFIG)
    assert a.her2.status == status
    assert a.her2.ratio == (1.8 if status == "negative" else 2.2)


def test_an_exact_ratio_string_carries_no_legacy_note():
    """'2.0' written out is an exact ratio at the cut-off: group 1 with 4.5 copies, no legacy-threshold note."""
    a = assess([*base(), ihc("1+"), ratio_string("2.0"), copies(4.5)], CONFIG)
    assert (a.her2.ish_group, a.her2.status, a.her2.ratio) == (1, "positive", 2.0)
    assert not notes_of(a) & {"ish-legacy-threshold", "ish-legacy-equivocal"}


# ---- a FHIR Ratio --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("numerator, denominator, ratio, group, status", [
    (2.4, None, 2.4, 1, "positive"),
    (4.8, 2, 2.4, 1, "positive"),      # 4.8 / 2 = 2.4: group 1 with 4.5 copies
    (3.0, 2, 1.5, 4, "negative"),      # 1.5: group 4, IHC 1+ negative
    (2.0, 1, 2.0, 1, "positive"),      # at the cut-off
    (3.9, 2, 1.95, 4, "negative"),     # just below
])
def test_a_ratio_sent_as_a_fhir_ratio_is_read(numerator, denominator, ratio, group, status):
    """valueRatio numerator/denominator is the HER2/CEP17 ratio (FHIR R4 Ratio); it places the sample in its
    ASCO/CAP 2018 group with the mean HER2 copy number (4.5) and the concurrent IHC 1+."""
    value = {"numerator": {"value": numerator}, **({"denominator": {"value": denominator}} if denominator else {})}
    a = assess([*base(), ihc("1+"), obs("49683-6", valueRatio=value), copies(4.5)], CONFIG)
    assert (a.her2.ratio, a.her2.ish_group, a.her2.status) == (pytest.approx(ratio), group, status)


# ---- the ISH call of a sample, as shown and as kept in the history ---------------------------------------------

@pytest.mark.parametrize("text, ish, result_status", [
    ("amplified", "amplified", "positive"), ("not amplified", "not-amplified", "negative"),
    ("positive", "amplified", "positive"), ("negative", "not-amplified", "negative"),
])
def test_a_qualitative_ish_result_keeps_its_status_in_the_history(text, ish, result_status):
    """An ISH result stated in words is amplified (HER2-positive) or not amplified (negative); the result in the
    history carries that status, and with IHC 2+ on the same sample it settles HER2 (ASCO/CAP 2018)."""
    a = assess([*base(), ihc("2+"), obs("85318-4", rid="ish", valueString=text)], CONFIG)
    (entry,) = [r for r in a.history if r.resource == "Observation/ish"]
    assert (entry.ish, entry.status) == (ish, result_status)
    assert a.her2.ish == ish and a.her2.status == result_status


def test_an_ish_reported_equivocal_is_an_equivocal_result():
    """'equivocal' is a pre-2018 ISH category: the result is equivocal and flagged for re-reading."""
    a = assess([*base(), ihc("2+"), obs("85318-4", rid="ish", valueString="equivocal")], CONFIG)
    (entry,) = [r for r in a.history if r.resource == "Observation/ish"]
    assert entry.status == "equivocal" and a.her2.status == "equivocal"
    assert "ish-equivocal-pre-2018" in notes_of(a)


def test_an_unreadable_ish_result_has_no_status():
    a = assess([*base(), ihc("2+"), obs("85318-4", rid="ish", valueString="see report")], CONFIG)
    (entry,) = [r for r in a.history if r.resource == "Observation/ish"]
    assert entry.status == "unknown" and a.her2.status == "equivocal"


def test_the_observation_status_is_kept_on_every_reading():
    """Each reading in the history carries its Observation.status as sent (FHIR R4 Observation.status)."""
    a = assess([*base(), ihc("2+", rid="i", status="amended"), obs("85325-9", rid="pr2", status="corrected",
                                                                     valueQuantity={"value": 40, "unit": "%"})], CONFIG)
    shown = {r.resource: r.fhir_status for r in a.history}
    assert shown["Observation/i"] == "amended" and shown["Observation/pr2"] == "corrected"


@pytest.mark.parametrize("sample, label", [
    ([ihc("2+"), obs("85318-4", valueString="amplified")], "HER2 IHC 2+, ISH amplified"),
    ([ihc("2+"), obs("85318-4", valueString="not amplified")], "HER2 IHC 2+, ISH not amplified"),
    ([ihc("1+"), ratio_string("2.5"), copies(4.5)], "HER2 IHC 1+, ISH amplified (group 1)"),
    ([ihc("2+"), ratio_string("1.5"), copies(3.0)], "HER2 IHC 2+, ISH not amplified (group 5)"),
    ([obs("85318-4", valueString="not amplified")], "HER2 ISH not amplified"),
])
def test_a_sample_is_named_by_its_ihc_score_ish_call_and_group(sample, label):
    """The sample's short name (SampleCall.label, shown in the history table) carries its IHC score, its ISH call
    and the ISH group when the numbers gave one, and no group when they did not."""
    a = assess([*base(), *sample], CONFIG)
    (call,) = [c for c in a.samples if c.receptor == "HER2"]
    assert call.label == label


# ---- thresholds at the value (ASCO/CAP 2018) -------------------------------------------------------------------

@pytest.mark.parametrize("n, status", [(6.0, "positive"), (5.9, "negative")])
def test_ratio_below_2_0_with_6_copies_and_ihc_2plus_is_group_3(n, status):
    """Ratio 1.5 with exactly 6.0 HER2 copies is group 3 (IHC 2+: positive after the recount); 5.9 is group 4
    (IHC 2+: negative)."""
    a = assess([*base(), ihc("2+"), ratio_string("1.5"), copies(n)], CONFIG)
    assert (a.her2.ish_group, a.her2.status) == ((3, "positive") if status == "positive" else (4, "negative"))


@pytest.mark.parametrize("n, ish, borderline", [(6.0, "amplified", False), (5.9, "not-amplified", True),
                                                (4.0, "not-amplified", True), (3.9, "not-amplified", False)])
def test_single_probe_copies_at_4_and_6(n, ish, borderline):
    """Single-probe ISH: >=6.0 signals/cell amplified, <4.0 not amplified, 4.0-<6.0 with IHC below 3+ read as not
    amplified and flagged (dual-probe ISH advised)."""
    a = assess([*base(), ihc("1+"), copies(n)], CONFIG)
    assert a.her2.ish == ish
    assert ("single-probe-borderline" in notes_of(a)) == borderline


def test_an_exact_ratio_is_shown_before_a_bound_on_the_same_side():
    """'<2.0' and an exact 1.5 on one sample agree (both below 2.0); the exact value is the one shown."""
    a = assess([*base(), ihc("2+"), ratio_string("<2.0"), obs("49683-6", valueQuantity={"value": 1.5}), copies(4.5)],
               CONFIG)
    assert (a.her2.ratio, a.her2.ish_group, a.her2.status) == (1.5, 4, "negative")


def test_a_laboratory_ish_call_beside_a_legacy_ratio_band_stands():
    """An ISH reported 'amplified' beside a ratio given as '1.8-2.2' (which cannot be re-read): the call stands."""
    a = assess([*base(), ihc("2+"), obs("85318-4", valueString="amplified"), ratio_string("1.8-2.2")], CONFIG)
    assert (a.her2.ish, a.her2.status) == ("amplified", "positive")
