"""Receptor status known only from a coded diagnosis (Condition.code), through assess().

The codes say what they mean (ICD-10-CM 2025 Z17.x "Estrogen receptor status", "Progesterone receptor status",
"HER2 status", and the Z17.4x combined "hormone receptor and HER2 receptor status"; SNOMED CT 706970001
"Triple negative malignant neoplasm of breast", 417181009 "Hormone receptor positive malignant neoplasm of
breast"), catalogued in ``cds_hooks.knowledge.codes.RECEPTOR_STATUS_CONDITIONS``. Per ASCO/CAP 2020 (b.2)
hormone-receptor negative means ER and PR both negative, and triple-negative means ER, PR and HER2 all negative.
A coded diagnosis is the weakest evidence (b.2 precedence): it is used only when no test result says anything,
and the finding says so (basis and rule "condition", the Condition as its evidence, a data-quality note).
"""
from __future__ import annotations

from datetime import date

import pytest

from cds_hooks.decision import DecisionConfig, assess
from cds_hooks.knowledge import codes

LNC, SCT, ICD = codes.LNC, codes.SCT, codes.ICD10CM
CONFIG = DecisionConfig(today=date(2026, 11, 1))


def patient():
    return {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1960-01-01"}


def condition(cid, system, code, onset="2026-01-01"):
    return {"resourceType": "Condition", "id": cid, "subject": {"reference": "Patient/p1"},
            "code": {"coding": [{"system": system, "code": code}]}, "onsetDateTime": onset}


def er_percent(value):
    return {"resourceType": "Observation", "id": "er1", "status": "final",
            "code": {"coding": [{"system": LNC, "code": "85329-1"}]}, "effectiveDateTime": "2026-02-01",
            "valueQuantity": {"value": value, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"}}


def statuses(a):
    return a.er.status, a.pr.status, a.hr, a.her2.status


@pytest.mark.parametrize("system, code", [(SCT, "706970001"), (ICD, "Z17.421")])
def test_triple_negative_diagnosis_alone_gives_er_pr_and_her2_negative(system, code):
    """A triple-negative diagnosis (SNOMED 706970001) or ICD Z17.421 (HR negative, HER2 negative) says ER, PR
    and HER2 are negative: subtype triple-negative, resting on the Condition."""
    a = assess([patient(), condition("c-tn", system, code)], CONFIG)
    assert statuses(a) == ("negative", "negative", "negative", "negative")
    assert a.subtype == "triple-negative"
    for finding in (a.er, a.pr, a.her2):
        assert (finding.basis, finding.rule, finding.evidence, finding.effective) == (
            "condition", "condition", ["Condition/c-tn"], "2026-01-01")
    assert "receptor-status-from-condition" in {n.code for n in a.data_quality}


@pytest.mark.parametrize("code, hr, her2", [
    ("Z17.410", "positive", "positive"),
    ("Z17.411", "positive", "negative"),
    ("Z17.420", "negative", "positive"),
])
def test_combined_hr_her2_diagnosis_gives_hr_and_her2(code, hr, her2):
    """ICD Z17.41x/Z17.420 state the hormone-receptor and HER2 status together. HR positive does not say which
    of ER and PR is positive, so ER and PR stay unknown and no subtype is stated (ER must be known, b.4);
    HR negative means both ER and PR are negative (b.2), so HR-/HER2+ is stated."""
    a = assess([patient(), condition("c-z", ICD, code)], CONFIG)
    assert (a.hr, a.her2.status) == (hr, her2)
    assert a.her2.basis == "condition" and a.her2.evidence == ["Condition/c-z"]
    if hr == "positive":
        assert (a.er.status, a.pr.status) == ("unknown", "unknown")
        assert a.subtype == "indeterminate"
    else:
        assert (a.er.status, a.pr.status) == ("negative", "negative")
        assert a.er.evidence == ["Condition/c-z"] and a.pr.evidence == ["Condition/c-z"]
        assert a.subtype == "HR-/HER2+"


def test_hormone_receptor_positive_diagnosis_gives_hr_only():
    """SNOMED 417181009 (hormone receptor positive) sets HR positive but neither ER nor PR: no subtype (b.4)."""
    a = assess([patient(), condition("c-hr", SCT, "417181009")], CONFIG)
    assert (a.er.status, a.pr.status, a.hr, a.her2.status) == ("unknown", "unknown", "positive", "unknown")
    assert a.subtype == "indeterminate"


@pytest.mark.parametrize("code, receptor, status", [
    ("416053008", "er", "positive"), ("441117001", "er", "negative"),
    ("416561008", "pr", "positive"), ("441118006", "pr", "negative"),
    ("427685000", "her2", "positive"), ("431396003", "her2", "negative"),
])
def test_single_receptor_diagnosis_sets_only_that_receptor(code, receptor, status):
    """A SNOMED receptor-status disorder names one receptor; the others stay unknown."""
    a = assess([patient(), condition("c-one", SCT, code)], CONFIG)
    found = {"er": a.er.status, "pr": a.pr.status, "her2": a.her2.status}
    assert found == {k: (status if k == receptor else "unknown") for k in found}
    assert getattr(a, receptor).basis == "condition"


def test_her2_positive_diagnosis_gives_positive_expression_and_negative_gives_none():
    """HER2 positive by diagnosis is HER2-positive expression; a HER2-negative diagnosis does not say whether
    the tumour is HER2-low, ultralow or 0 (ASCO/CAP 2023), so the expression stays unknown."""
    pos = assess([patient(), condition("c", SCT, "427685000")], CONFIG)
    neg = assess([patient(), condition("c", SCT, "431396003")], CONFIG)
    assert (pos.her2.expression, neg.her2.expression) == ("positive", "unknown")


def test_a_test_result_outranks_the_diagnosis_of_the_same_receptor_only():
    """ER 90 % measured beside a triple-negative diagnosis: ER rests on the percent; PR and HER2, with no test,
    still rest on the diagnosis (b.2 precedence is per receptor)."""
    a = assess([patient(), condition("c-tn", SCT, "706970001"), er_percent(90)], CONFIG)
    assert (a.er.status, a.er.basis) == ("positive", "percent")
    assert (a.pr.status, a.pr.basis) == ("negative", "condition")
    assert (a.her2.status, a.her2.basis) == ("negative", "condition")


def test_the_newest_diagnosis_of_one_kind_is_used():
    """Two ICD Z17 codes for ER of different dates: the newer one is used (newest first within a kind)."""
    a = assess([patient(), condition("old", ICD, "Z17.0", "2020-01-01"), condition("new", ICD, "Z17.1", "2025-01-01")],
               CONFIG)
    assert (a.er.status, a.er.evidence, a.er.effective) == ("negative", ["Condition/new"], "2025-01-01")
