"""Clinical edge cases found in review of the decision core against clinical-knowledge.md b.1-b.5."""
from __future__ import annotations

from datetime import date

import pytest

from cds_hooks.decision import DecisionConfig, assess

LNC = "http://loinc.org"
SCT = "http://snomed.info/sct"
CONFIG = DecisionConfig(today=date(2026, 11, 1))
_ids = iter(range(100_000))


def obs(code, when="2026-09-01", status="final", **value):
    return {"resourceType": "Observation", "id": f"r{next(_ids)}", "status": status,
            "code": {"coding": [{"system": LNC, "code": code}]}, "effectiveDateTime": when, **value}


def pct(code, value, **kw):
    return obs(code, valueQuantity={"value": value, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"}, **kw)


def ihc(score, **kw):
    answer = {"0": "LA6111-4", "1+": "LA11841-6", "2+": "LA11842-4", "3+": "LA11843-2"}[score]
    return obs("85319-2", valueCodeableConcept={"coding": [{"system": LNC, "code": answer}]}, **kw)


def number(code, value, **kw):
    return obs(code, valueQuantity={"value": value}, **kw)


def patient():
    return {"resourceType": "Patient", "id": "p", "gender": "female", "birthDate": "1960-01-01"}


def hr_positive():
    return [pct("85329-1", 80), pct("85325-9", 50)]


def test_ratio_below_two_without_copy_number_and_ihc_2plus_is_not_silent():
    """IHC 2+ with only a HER2/CEP17 ratio <2.0: ISH group 3 (positive with IHC 2+) cannot be excluded, and the
    assessment says so instead of calling HER2-low silently (ASCO/CAP 2018, b.3)."""
    a = assess([patient(), *hr_positive(), ihc("2+"), number("49683-6", 1.5)], CONFIG)
    notes = [n for n in a.data_quality if n.code == "ish-copies-missing"]
    assert notes and "group 3" in notes[0].message
    assert any("group 3" in reason for reason in a.subtype_reasons)
    assert "P17" in {x.code for x in a.alerts}


@pytest.mark.parametrize("score", ["0", "1+"])
def test_ratio_below_two_without_copy_number_is_enough_with_ihc_0_or_1plus(score):
    """With IHC 0/1+, groups 3-5 are all HER2-negative, so a ratio <2.0 alone settles it without a note."""
    a = assess([patient(), *hr_positive(), ihc(score), number("49683-6", 1.5)], CONFIG)
    assert a.her2.status == "negative"
    assert "ish-copies-missing" not in {n.code for n in a.data_quality}


def test_qualitative_ish_call_beside_the_ratio_settles_ihc_2plus():
    """A pathologist's 'not amplified' ISH call beside the ratio is the final ISH result: no copy-number note."""
    a = assess([patient(), *hr_positive(), ihc("2+"), number("49683-6", 1.5),
                obs("85318-4", valueCodeableConcept={"coding": [{"system": LNC, "code": "LA6577-6"}]})], CONFIG)
    assert a.her2.status == "negative" and a.her2.expression == "low"
    assert "ish-copies-missing" not in {n.code for n in a.data_quality}


@pytest.mark.parametrize("newer_er, differs", [(0, True), (70, False)])
def test_newer_preliminary_result_that_disagrees_is_surfaced(newer_er, differs):
    """The older final ER result is used (b.1), but a newer preliminary one that says otherwise is not silent."""
    a = assess([patient(), pct("85329-1", 80, when="2025-01-01"),
                pct("85329-1", newer_er, when="2026-10-01", status="preliminary"), pct("85325-9", 50), ihc("1+")], CONFIG)
    assert a.er.status == "positive" and not a.er.provisional
    flagged = [n for n in a.data_quality if n.code == "newer-provisional-differs"]
    assert bool(flagged) is differs
    assert any("preliminary" in r for r in a.subtype_reasons) is differs


def test_newer_preliminary_her2_that_disagrees_is_surfaced():
    """A newer preliminary HER2 3+ beside an older final IHC 1+ is reported, the final result still decides."""
    a = assess([patient(), *hr_positive(), ihc("1+", when="2025-01-01"), ihc("3+", when="2026-10-01", status="preliminary")],
               CONFIG)
    assert a.her2.status == "negative"
    assert "newer-provisional-differs" in {n.code for n in a.data_quality}
