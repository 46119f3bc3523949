"""Synchronous bilateral cancer (cds_hooks.decision.bilateral): each breast's tumour called on its own samples.

Rules under test, from the sources the module cites: the tumours of the left and the right breast are separate
primaries (SEER Solid Tumor Rules, breast), each tested for ER, PR and HER2 on its own tissue (ASCO/CAP ER/PR 2020,
HER2 2018: ER >= 1 % positive; HER2 IHC 0/1+ negative, 3+ positive); tissue of a distant metastasis or of no recorded
side belongs to neither breast's primary; no guideline merges two primaries' receptors, so differing subtypes are
both stated, and the options are those of both tumours, each saying which tumour it is for, an option both bring
appearing once with the more settled status.
"""
from __future__ import annotations

from dataclasses import replace

import pytest

from cds_hooks.decision.bilateral import describe, differing, options_for_tumours, tumour_calls
from cds_hooks.decision.config import DecisionConfig
from cds_hooks.decision.model import (
    Assessment, Her2Finding, Option, ReceptorFinding, ReceptorResult, SettingFinding, TumourCall,
)


def result(rid, analyte, side, specimen="primary", **kw) -> ReceptorResult:
    return ReceptorResult(f"Observation/{rid}", analyte, "http://loinc.org|x", "2026-01-10", "final", False,
                          specimen=specimen, side=side, **kw)


def er(rid, side, percent, analyte="ER", **kw):
    return result(rid, analyte, side, percent=percent, status="positive" if percent >= 1 else "negative", **kw)


def her2(rid, side, score, **kw):
    return result(rid, "HER2-IHC", side, ihc_score=score, status="positive" if score == "3+" else "negative", **kw)


LEFT_LUMINAL = [er("e1", "left", 90.0), er("p1", "left", 50.0, "PR"), her2("h1", "left", "1+")]
RIGHT_TRIPLE_NEGATIVE = [er("e2", "right", 0.0), er("p2", "right", 0.0, "PR"), her2("h2", "right", "0")]


def calls(results):
    kinds = {r.resource: "percent" for r in results if r.analyte in ("ER", "PR")}
    return tumour_calls(results, kinds, False, lambda r: "pre-treatment", None)


def test_each_breast_is_called_on_its_own_samples_only():
    left, right = calls([*RIGHT_TRIPLE_NEGATIVE, *LEFT_LUMINAL])
    assert (left.side, left.subtype, left.hr) == ("left", "HR+/HER2-", "positive")
    assert (left.er.status, left.pr.status, left.her2.status) == ("positive", "positive", "negative")
    assert (left.er.evidence, left.pr.evidence, left.her2.evidence) == (["Observation/e1"], ["Observation/p1"],
                                                                        ["Observation/h1"])
    assert (right.side, right.subtype, right.hr) == ("right", "triple-negative", "negative")
    assert (right.er.evidence, right.her2.evidence) == (["Observation/e2"], ["Observation/h2"])


def test_a_metastasis_sample_belongs_to_neither_breast_tumour():
    """A HER2 3+ metastasis recorded on the left side does not make the left primary HER2-positive."""
    left, right = calls([*LEFT_LUMINAL, *RIGHT_TRIPLE_NEGATIVE, her2("m1", "left", "3+", specimen="metastasis"),
                         er("m2", "right", 95.0, specimen="metastasis")])
    assert left.her2.status == "negative" and "Observation/m1" not in left.her2.evidence
    assert left.subtype == "HR+/HER2-"
    assert right.er.status == "negative" and right.subtype == "triple-negative"


def test_unsided_and_both_sided_samples_are_left_out():
    left, right = calls([*LEFT_LUMINAL, *RIGHT_TRIPLE_NEGATIVE, er("u1", None, 95.0), er("b1", "both", 95.0),
                         her2("u2", None, "3+")])
    assert right.er.status == "negative" and right.er.evidence == ["Observation/e2"]
    assert left.her2.status == "negative"


def test_only_the_breasts_with_sided_samples_get_a_call():
    (only,) = calls([*LEFT_LUMINAL, er("u1", None, 0.0)])
    assert only.side == "left"
    (right,) = calls(RIGHT_TRIPLE_NEGATIVE)
    assert right.side == "right"
    assert calls([er("u1", None, 50.0), her2("m", "left", "3+", specimen="metastasis")]) == []


def test_her2_positive_breast_and_luminal_breast():
    left, right = calls([*LEFT_LUMINAL, er("e2", "right", 0.0), er("p2", "right", 0.0, "PR"), her2("h2", "right", "3+")])
    assert left.subtype == "HR+/HER2-" and right.subtype == "HR-/HER2+"
    assert differing([left, right])


def call(side, subtype, modifiers=()):
    return TumourCall(side=side, subtype=subtype, hr="positive", er=ReceptorFinding("ER", "positive"),
                      pr=ReceptorFinding("PR", "positive"), her2=Her2Finding("negative"), modifiers=list(modifiers))


@pytest.mark.parametrize("subtypes, expected", [
    ((), False), (("HR+/HER2-",), False), (("HR+/HER2-", "HR+/HER2-"), False),
    (("HR+/HER2-", "triple-negative"), True), (("HR+/HER2-", "indeterminate"), True),
    (("indeterminate", "indeterminate"), False),
])
def test_differing(subtypes, expected):
    """Two tumours differ when their subtypes are not the same; one tumour (or none) never differs."""
    assert differing([call(side, s) for side, s in zip(("left", "right"), subtypes)]) is expected


def test_describe_names_the_breast_the_subtype_and_its_modifiers():
    plain = describe(call("right", "triple-negative"))
    assert "right breast" in plain and "triple-negative" in plain and "(" not in plain
    low = describe(call("left", "HR+/HER2-", ["ER-low", "ER-/PR+"]))
    assert "left breast" in low and "HR+/HER2-" in low and "ER-low" in low and "ER-/PR+" in low


# ---- options of both tumours ---------------------------------------------------------------------------------

def option(oid, status, *notes):
    return Option(oid, oid, "class", [], "early", "condition", status=status, notes=list(notes))


def base() -> Assessment:
    return Assessment(patient="p", subtype="indeterminate", hr="unknown", er=ReceptorFinding("ER", "unknown"),
                      pr=ReceptorFinding("PR", "unknown"), her2=Her2Finding(), setting=SettingFinding("early"),
                      knowledge_version="test")


def merged(table, calls_):
    """options_for_tumours with an options_for that returns fresh options by the view's subtype, recording views."""
    seen = []

    def options_for(view, config):
        seen.append(view)
        return [option(oid, status, *notes) for oid, status, *notes in table.get(view.subtype, [])]

    out = options_for_tumours(base(), calls_, DecisionConfig(), options_for)
    return {o.id: o for o in out}, seen


STATUSES = ["applicable", "depends-on-prior-therapy", "needs-test", "needs-review"]


@pytest.mark.parametrize("left_status", STATUSES)
@pytest.mark.parametrize("right_status", STATUSES)
def test_an_option_both_tumours_bring_appears_once_with_the_more_settled_status(left_status, right_status):
    table = {"HR+/HER2-": [("shared", left_status, "left note", "common")],
             "triple-negative": [("shared", right_status, "right note", "common")]}
    got, _ = merged(table, [call("left", "HR+/HER2-"), call("right", "triple-negative")])
    assert list(got) == ["shared"]
    best = STATUSES[min(STATUSES.index(left_status), STATUSES.index(right_status))]
    assert got["shared"].status == best
    notes = got["shared"].notes
    assert "both tumours" in notes[0] and "left breast" not in notes[0]
    assert sorted(notes[1:]) == ["common", "left note", "right note"]         # each note once, none lost


def option_with_needs(oid, status, needs, *notes):
    made = option(oid, status, *notes)
    made.needs = list(needs)
    return made


def test_equally_settled_options_ask_for_what_either_tumour_needs():
    """Both tumours bring the row for review, each missing something else: both are asked for, once each."""
    table = {"HR+/HER2-": [option_with_needs("row", "needs-review", ["A", "C"], "left")],
             "triple-negative": [option_with_needs("row", "needs-review", ["B", "C"], "right")]}
    seen = []

    def options_for(view, config):
        seen.append(view)
        return [replace(o, needs=list(o.needs), notes=list(o.notes)) for o in table[view.subtype]]

    (row,) = options_for_tumours(base(), [call("left", "HR+/HER2-"), call("right", "triple-negative")],
                                 DecisionConfig(), options_for)
    assert row.status == "needs-review" and row.needs == ["A", "C", "B"]
    assert row.notes[1:] == ["left", "right"]


def test_a_more_settled_option_keeps_its_own_needs():
    table = {"HR+/HER2-": [option_with_needs("row", "needs-test", ["PD-L1"])],
             "triple-negative": [option_with_needs("row", "needs-review", ["nodes"])]}
    (row,) = options_for_tumours(base(), [call("left", "HR+/HER2-"), call("right", "triple-negative")],
                                 DecisionConfig(), lambda view, config: [replace(o, needs=list(o.needs), notes=[])
                                                                         for o in table[view.subtype]])
    assert row.status == "needs-test" and row.needs == ["PD-L1"]


def test_an_option_of_one_tumour_says_which_tumour_it_is_for():
    table = {"HR+/HER2-": [("endocrine", "applicable", "n")], "triple-negative": [("chemo", "needs-review")]}
    got, views = merged(table, [call("left", "HR+/HER2-", ["ER-low"]), call("right", "triple-negative")])
    assert set(got) == {"endocrine", "chemo"}
    assert "left breast" in got["endocrine"].notes[0] and "ER-low" in got["endocrine"].notes[0]
    assert "right breast" not in got["endocrine"].notes[0] and got["endocrine"].notes[1:] == ["n"]
    assert "right breast" in got["chemo"].notes[0] and len(got["chemo"].notes) == 1
    assert got["endocrine"].status == "applicable" and got["chemo"].status == "needs-review"
    # each tumour's options are decided on that tumour's own call
    assert [(v.subtype, v.modifiers) for v in views] == [("HR+/HER2-", ["ER-low"]), ("triple-negative", [])]


def test_a_tumour_whose_options_list_nothing_brings_none():
    got, _ = merged({"HR+/HER2-": [("endocrine", "applicable")]},
                    [call("left", "HR+/HER2-"), call("right", "indeterminate")])
    assert list(got) == ["endocrine"] and "both" not in got["endocrine"].notes[0]


def test_the_views_carry_each_tumour_s_receptors():
    left = replace(call("left", "HR+/HER2-"), er=ReceptorFinding("ER", "positive", 90.0, evidence=["Observation/e1"]))
    seen, patient_level = [], base()
    options_for_tumours(patient_level, [left], DecisionConfig(), lambda view, config: seen.append(view) or [])
    (view,) = seen
    assert view.er.evidence == ["Observation/e1"] and view.hr == "positive" and view.her2.status == "negative"
    assert patient_level.subtype == "indeterminate" and patient_level.er.status == "unknown"   # not overwritten


def test_a_combined_hormone_receptor_result_counts_for_its_own_breast_only():
    """b.2: with no ER/PR call, a combined ER+PR result (LOINC 10480-2) gives the HR status of the breast it was
    taken from; the other breast's combined result does not."""
    left_hr = result("c1", "HR", "left", status="positive")
    right_hr = result("c2", "HR", "right", status="negative")
    left, right = calls([left_hr, her2("h1", "left", "1+"), right_hr, her2("h2", "right", "1+")])
    assert (left.side, left.hr) == ("left", "positive")
    assert (right.side, right.hr) == ("right", "negative")
