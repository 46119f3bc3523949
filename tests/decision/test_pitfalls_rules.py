"""Patient-fact pitfall rules of ``pitfalls.find_pitfalls`` at their conditions: which alert appears or not, its
evidence list and the test it offers (clinical-knowledge.md d, P1-P19; the seeds' endocrine-not-withheld).

Sources per rule (cds_hooks/knowledge/pitfalls.py): P1-P3 ASCO/CAP 2020 ER/PR (ER-/PR+ needs review; ER 1-10 % is
ER-low; the % of positive nuclei is to be reported); P4/P5/P7 ASCO/CAP 2018/2023 HER2 (IHC 2+ needs reflex ISH;
ISH groups 2-4 are read with concurrent IHC; a HER2-negative result needs its IHC score for HER2-low); P8
DESTINY-Breast06 (re-score an IHC 0 for ultralow in HR+/HER2- metastatic disease after endocrine therapy); P10
ASCO/CAP 2023 (HER2-low on any valid sample counts); P12 (tumour markers alone do not define progression); P15
KEYNOTE-355 (PD-L1 CPS by 22C3); P16 germline BRCA (OlympiA/OlympiAD); P17 data quality; P18 same-day
conflicting results; P19 locally advanced disease needs confirmation; endocrine-not-withheld (seed 002: any
hormone receptor expression calls for endocrine therapy; after chemotherapy in early disease, SWOG-8814).
"""
from __future__ import annotations

from datetime import date

import pytest

from cds_hooks.decision import DecisionConfig
from cds_hooks.decision.model import (
    Biomarker, ClinicalEvent, DataQualityNote, Her2Finding, ReceptorFinding, ReceptorResult, SettingFinding,
)
from cds_hooks.decision.pitfalls import MISSING_TESTS, find_pitfalls
from cds_hooks.knowledge.data_quality import words_for
from cds_hooks.knowledge.pitfalls import PITFALLS

from test_options import make_assessment  # same directory (pytest rootdir-relative import)
from test_pitfalls_medication import drug

CFG = DecisionConfig(today=date(2026, 11, 1))


def alerts_of(a, code):
    return [x for x in find_pitfalls(a, CFG) if x.code == code]


def one(a, code):
    got = alerts_of(a, code)
    assert len(got) == 1, [(x.code, x.title) for x in find_pitfalls(a, CFG)]
    return got[0]


def result(ref, analyte, status, effective="2026-06-01", specimen="primary", **kw):
    return ReceptorResult(f"Observation/{ref}", analyte, "x|y", effective, "final", False, specimen=specimen,
                          status=status, **kw)


def her2_case(her2, subtype="HR+/HER2-", setting="early", **kw):
    a = make_assessment(subtype, setting, **kw)
    a.her2 = her2
    return a


# ---- ER / PR -------------------------------------------------------------------------------------------------

def test_p1_from_the_modifier_or_the_statuses_with_both_receptors_as_evidence():
    a = make_assessment("HR+/HER2-", "early", modifiers=["ER-/PR+"])
    got = one(a, "P1")
    assert got.evidence == ["Observation/er", "Observation/pr"] and got.severity == PITFALLS["P1"].severity
    a = make_assessment("HR+/HER2-", "early", er=ReceptorFinding("ER", "negative", 0.0, "percent",
                                                                  evidence=["Observation/er"]),
                        pr=ReceptorFinding("PR", "positive", 30.0, "percent", evidence=["Observation/pr"]))
    assert one(a, "P1").evidence == ["Observation/er", "Observation/pr"]
    a.pr.status, a.pr.percent = "low-positive", 5.0          # PR-low counts as PR expressed (>= 1 %)
    assert one(a, "P1").evidence == ["Observation/er", "Observation/pr"]
    a = make_assessment("HR+/HER2-", "early", er=ReceptorFinding("ER", "low-positive", 5.0, "percent"),
                        pr=ReceptorFinding("PR", "positive", 30.0, "percent"))
    assert alerts_of(a, "P1") == []


@pytest.mark.parametrize("percent,shown", [(5.0, "5%"), (1.5, "1.5%"), (None, None)])
def test_p2_er_low_names_its_percent(percent, shown):
    a = make_assessment("HR+/HER2-", "early", er=ReceptorFinding("ER", "low-positive", percent, "percent",
                                                                  evidence=["Observation/er"]))
    got = one(a, "P2")
    assert got.evidence == ["Observation/er"]
    assert (shown in got.title) if shown else ("%" not in got.title)
    assert "ER" in got.title


def test_p3_er_positive_without_percent_offers_the_er_percent_test():
    a = make_assessment("HR+/HER2-", "early", er=ReceptorFinding("ER", "positive", None, "qualitative",
                                                                  evidence=["Observation/er"]))
    got = one(a, "P3")
    assert (got.evidence, got.missing_test) == (["Observation/er"], MISSING_TESTS["er-percent"])
    a.er.status = "low-positive"
    assert alerts_of(a, "P3") == []


# ---- HER2 ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("her2,fires", [
    (Her2Finding("equivocal", "unknown"), True),
    (Her2Finding("unknown", "unknown", ish="equivocal"), True),
    (Her2Finding("unknown", "unknown", ihc_score="2+"), True),
    (Her2Finding("negative", "low", ihc_score="2+", ish="not-amplified"), False),
    (Her2Finding("positive", "positive", ihc_score="2+", ish="amplified"), False),
    (Her2Finding("positive", "positive", ihc_score="3+"), False),
    (Her2Finding("negative", "low", ihc_score="1+"), False),
])
def test_p4_ihc_2plus_without_ish_offers_reflex_ish(her2, fires):
    her2.evidence = ["Observation/her2"]
    got = alerts_of(her2_case(her2), "P4")
    assert bool(got) is fires
    if fires:
        assert (got[0].evidence, got[0].missing_test) == (["Observation/her2"], MISSING_TESTS["her2-ish"])


@pytest.mark.parametrize("her2,fires,group", [
    (Her2Finding("unknown", "unknown", ish="needs-ihc"), True, None),
    (Her2Finding("unknown", "unknown", ish="needs-ihc", ish_group=2), True, 2),
    (Her2Finding("unknown", "unknown", ish_group=2), True, 2),
    (Her2Finding("unknown", "unknown", ish_group=3), True, 3),
    (Her2Finding("unknown", "unknown", ish_group=4), True, 4),
    (Her2Finding("positive", "positive", ish_group=1), False, None),
    (Her2Finding("negative", "unknown", ish_group=5), False, None),
    (Her2Finding("negative", "low", ihc_score="1+", ish_group=2), False, None),
])
def test_p5_ish_groups_2_to_4_need_concurrent_ihc(her2, fires, group):
    her2.evidence = ["Observation/her2"]
    got = alerts_of(her2_case(her2), "P5")
    assert bool(got) is fires
    if fires:
        assert (got[0].evidence, got[0].missing_test) == (["Observation/her2"], MISSING_TESTS["her2-ihc"])
        if group:
            assert f"group {group}" in got[0].title
        else:
            assert "group" not in got[0].title.lower() and "2.0" in got[0].title
            assert got[0].message != PITFALLS["P5"].message


@pytest.mark.parametrize("her2,fires", [
    (Her2Finding("negative", "unknown"), True),
    (Her2Finding("negative", "unknown", ihc_score="0"), False),
    (Her2Finding("negative", "null"), False),
    (Her2Finding("unknown", "unknown"), False),
    (Her2Finding("positive", "unknown"), False),
])
def test_p7_her2_negative_without_ihc_score(her2, fires):
    her2.evidence = ["Observation/her2"]
    got = alerts_of(her2_case(her2), "P7")
    assert bool(got) is fires
    if fires:
        assert (got[0].evidence, got[0].missing_test) == (["Observation/her2"], MISSING_TESTS["her2-ihc"])


@pytest.mark.parametrize("subtype,low,ultralow,fires", [
    ("HR+/HER2-", False, False, True),
    ("HR+/HER2-", True, False, False),
    ("HR+/HER2-", False, True, False),
    ("triple-negative", False, False, False),     # the ultralow indication is for HR+ disease only
])
def test_p8_rescore_only_where_the_ultralow_indication_exists(subtype, low, ultralow, fires):
    meds = [drug("e", "letrozole", "aromatase-inhibitor", status="completed"), drug("c", "paclitaxel", "taxane")]
    a = her2_case(Her2Finding("negative", "zero-unspecified", ihc_score="0", evidence=["Observation/her2"],
                              low_on_any_sample=low, ultralow_on_any_sample=ultralow),
                  subtype=subtype, setting="metastatic", medications=meds)
    got = alerts_of(a, "P8")
    assert bool(got) is fires
    if fires:
        assert got[0].evidence == ["Observation/her2", "MedicationRequest/e"]
        assert got[0].missing_test == MISSING_TESTS["her2-ultralow-rescore"]


# ---- P10: HER2-low on one sample, 0 on another ----------------------------------------------------------

def test_p10_zero_and_low_on_different_samples_cites_both():
    rows = [result("z", "HER2-IHC", "negative", "2026-09-01", "metastasis", ihc_score="0"),
            result("l", "HER2-IHC", "negative", "2022-01-01", ihc_score="1+")]
    a = make_assessment("HR+/HER2-", "metastatic", her2_expression="zero-unspecified", history=rows)
    assert one(a, "P10").evidence == ["Observation/z", "Observation/l"]
    a.setting = SettingFinding("early")
    assert alerts_of(a, "P10") == []


@pytest.mark.parametrize("same_day,same_kind,fires", [(True, True, True), (False, True, False), (True, False, False)])
def test_p10_ihc_2plus_is_low_with_a_non_amplified_ish_on_the_same_sample(same_day, same_kind, fires):
    """Without Specimen references, the same sample is the same day and the same specimen kind."""
    rows = [result("z", "HER2-IHC", "negative", "2026-09-01", "metastasis", ihc_score="0"),
            result("e", "HER2-IHC", "equivocal", "2022-01-01", ihc_score="2+"),
            result("i", "HER2-ISH", "negative", "2022-01-01" if same_day else "2022-03-01",
                   "primary" if same_kind else "metastasis", ish="not-amplified")]
    a = make_assessment("HR+/HER2-", "metastatic", her2_expression="zero-unspecified", history=rows)
    assert bool(alerts_of(a, "P10")) is fires


@pytest.mark.parametrize("expression,low,fires", [("null", True, True), ("zero-unspecified", True, True),
                                                  ("ultralow", True, True), ("low", True, False),
                                                  ("null", False, False)])
def test_p10_from_the_her2_finding_when_the_history_has_no_scores(expression, low, fires):
    a = make_assessment("HR+/HER2-", "metastatic")
    a.her2 = Her2Finding("negative", expression, evidence=["Observation/her2"], low_on_any_sample=low)
    got = alerts_of(a, "P10")
    assert bool(got) is fires
    if fires:
        assert got[0].evidence == ["Observation/her2"]


# ---- P12, P15, P16, P19 -------------------------------------------------------------------------------------

def test_p12_each_marker_only_progression_with_its_evidence():
    events = [ClinicalEvent("progression", "2026-05-01", "worsened", ["Observation/ds1"],
                            {"status": "worsened", "evidence_types": ["tumor-marker"]}),
              ClinicalEvent("progression", "2026-06-01", "worsened", ["Observation/ds2"],
                            {"status": "worsened", "evidence_types": ["tumor-marker"]}),
              ClinicalEvent("progression", "2026-07-01", "worsened", ["Observation/ds3"],
                            {"status": "worsened", "evidence_types": ["imaging"]})]
    a = make_assessment("HR+/HER2-", "metastatic", events=events)
    assert [x.evidence for x in alerts_of(a, "P12")] == [["Observation/ds1"], ["Observation/ds2"]]


@pytest.mark.parametrize("subtype,setting,markers,fires", [
    ("triple-negative", "metastatic", [Biomarker("PD-L1", "present", value=5.0, measure="IC", assay="SP142",
                                                 evidence=["Observation/p"])], True),
    ("triple-negative", "unknown", [Biomarker("PD-L1", "present", value=5.0, measure="IC", assay="SP142",
                                              evidence=["Observation/p"])], True),
    ("triple-negative", "early", [Biomarker("PD-L1", "present", value=5.0, measure="IC", assay="SP142",
                                            evidence=["Observation/p"])], False),
    ("HR+/HER2-", "metastatic", [Biomarker("PD-L1", "present", value=5.0, measure="IC", assay="SP142",
                                           evidence=["Observation/p"])], False),
    ("triple-negative", "metastatic", [Biomarker("PD-L1", "present", value=12.0, measure="CPS", assay="22C3",
                                                 evidence=["Observation/p"])], False),
    ("triple-negative", "metastatic", [], False),
])
def test_p15_pdl1_on_another_assay_asks_for_cps_by_22c3(subtype, setting, markers, fires):
    got = alerts_of(make_assessment(subtype, setting, biomarkers=markers), "P15")
    assert bool(got) is fires
    if fires:
        assert (got[0].evidence, got[0].missing_test) == (["Observation/p"], MISSING_TESTS["pdl1-cps-22c3"])


@pytest.mark.parametrize("markers,fires", [
    ([Biomarker("BRCA1", "present", "somatic", evidence=["Observation/b"])], True),
    ([Biomarker("BRCA2", "present", "unknown", evidence=["Observation/b"])], True),
    ([Biomarker("BRCA1", "present", "germline", evidence=["Observation/b"])], False),
    ([Biomarker("BRCA1", "absent", "germline", evidence=["Observation/b"])], False),
    ([], False),
])
def test_p16_variant_not_confirmed_germline_without_any_drug(markers, fires):
    got = alerts_of(make_assessment("triple-negative", "metastatic", biomarkers=markers), "P16")
    assert bool(got) is fires
    if fires:
        assert (got[0].evidence, got[0].missing_test, got[0].order) == (["Observation/b"],
                                                                         MISSING_TESTS["germline-brca"], None)


@pytest.mark.parametrize("setting,locally_advanced,fires", [("early", True, True), ("unknown", True, True),
                                                            ("metastatic", True, False), ("early", False, False)])
def test_p19_locally_advanced_without_distant_disease(setting, locally_advanced, fires):
    a = make_assessment("HR+/HER2-", setting, setting_kw={"locally_advanced": locally_advanced,
                                                          "evidence": ["Condition/stage"]})
    got = alerts_of(a, "P19")
    assert bool(got) is fires
    if fires:
        assert got[0].evidence == ["Condition/stage"]


# ---- P17 / P18 -----------------------------------------------------------------------------------------------

def test_p17_one_note_takes_its_words():
    a = make_assessment(data_quality=[DataQualityNote("invalid-code-for-system", "tech", "Observation/x")])
    got = one(a, "P17")
    problem, action = words_for("invalid-code-for-system")
    assert got.title == problem.rstrip(".") and got.evidence == ["Observation/x"]
    assert problem in got.message and action in got.action


def test_p17_several_notes_are_counted_once_per_code_in_one_alert():
    notes = [DataQualityNote("invalid-code-for-system", "a", "Observation/x"),
             DataQualityNote("invalid-code-for-system", "b", "Observation/y"),
             DataQualityNote("unknown-unit", "c", None),
             DataQualityNote("dropped-entered-in-error", "d", "Observation/z"),
             DataQualityNote("dropped-cancelled", "e", "Observation/w")]
    got = one(make_assessment(data_quality=notes), "P17")
    assert got.title.startswith("2 ")
    assert got.evidence == ["Observation/x", "Observation/y"]


def test_p17_resolved_notes_alone_raise_nothing():
    notes = [DataQualityNote("dropped-entered-in-error", "d", "Observation/z"),
             DataQualityNote("dropped-cancelled", "e", "Observation/w")]
    assert alerts_of(make_assessment(data_quality=notes), "P17") == []


def test_p17_keeps_a_conflict_note_when_p18_does_not_report_it():
    a = make_assessment(data_quality=[DataQualityNote("conflicting-results", "ER disagree", "Observation/a")])
    assert one(a, "P17").evidence == ["Observation/a"] and alerts_of(a, "P18") == []


@pytest.mark.parametrize("rows,fires", [
    ([result("a", "ER", "positive"), result("b", "ER", "negative")], True),
    ([result("a", "PR", "positive"), result("b", "PR", "negative")], True),
    ([result("a", "HR", "positive"), result("b", "HR", "negative")], True),
    ([result("a", "HER2-IHC", "positive"), result("b", "HER2-IHC", "negative")], True),
    ([result("a", "HER2-ISH", "positive"), result("b", "HER2-ISH", "negative")], True),
    ([result("a", "HER2-status", "positive"), result("b", "HER2-status", "negative")], True),
    ([result("a", "HER2-ISH-ratio", "positive"), result("b", "HER2-ISH-ratio", "negative")], False),
    ([result("a", "ER", "positive"), result("b", "ER", "negative", "2026-06-02")], False),
    ([result("a", "ER", "positive", None), result("b", "ER", "negative", None)], False),
    ([result("a", "ER", "positive"), result("b", "ER", "unknown")], False),
    ([result("a", "ER", "positive"), result("b", "PR", "negative")], False),
    # Percents in different ASCO/CAP categories disagree; a qualitative positive beside a low percent does not.
    ([result("a", "ER", "low-positive", percent=5.0), result("b", "ER", "positive", percent=50.0)], True),
    ([result("a", "ER", "positive"), result("b", "ER", "low-positive", percent=5.0)], False),
    ([result("a", "ER", "positive", percent=60.0), result("b", "ER", "positive", percent=90.0)], False),
    # Same specimen: kinds equal or one unknown, references and sites equal where both are given.
    ([result("a", "ER", "positive", specimen="primary"), result("b", "ER", "negative", specimen="metastasis")], False),
    ([result("a", "ER", "positive", specimen="unknown"), result("b", "ER", "negative", specimen="metastasis")], True),
    ([result("a", "ER", "positive", specimen_site="left breast"),
      result("b", "ER", "negative", specimen_site="right breast")], False),
    ([result("a", "ER", "positive", specimen_site="left breast"), result("b", "ER", "negative")], True),
    ([result("a", "ER", "positive", specimen_ref="Specimen/1"), result("b", "ER", "negative")], True),
])
def test_p18_same_day_same_specimen_disagreement(rows, fires):
    got = alerts_of(make_assessment(history=rows), "P18")
    assert bool(got) is fires
    if fires:
        assert got[0].evidence == ["Observation/a", "Observation/b"]
        assert rows[0].analyte in got[0].title and "2026-06-01" in got[0].title


def test_p18_one_alert_per_analyte_and_day_with_only_the_conflicting_rows():
    rows = [result("a", "ER", "positive"), result("b", "ER", "negative"), result("c", "ER", "negative", "2026-07-01"),
            result("d", "PR", "positive", "2026-07-01"), result("e", "PR", "negative", "2026-07-01"),
            result("f", "ER", "positive", specimen="metastasis", specimen_ref="Specimen/m")]
    got = alerts_of(make_assessment(history=rows), "P18")
    assert [x.evidence for x in got] == [["Observation/a", "Observation/b"], ["Observation/d", "Observation/e"]]


# ---- endocrine therapy missing -----------------------------------------------------------------------------

@pytest.mark.parametrize("subtype,setting,meds,fires", [
    ("HR+/HER2-", "metastatic", [drug("g", "goserelin", "gnrh-agonist"), drug("c", "paclitaxel", "taxane")], False),
    ("HR+/HER2-", "metastatic", [drug("c", "paclitaxel", "taxane", status="draft", draft=True)], False),
    ("HR+/HER2-", "unknown", [drug("c", "paclitaxel", "taxane")], False),
    ("triple-negative", "metastatic", [drug("c", "paclitaxel", "taxane")], False),
    ("HR+/HER2-", "metastatic", [drug("x", "mystery", None)], False),
    ("HR+/HER2-", "metastatic", [drug("c", "paclitaxel", "taxane")], True),
    ("HR+/HER2-", "early", [drug("c", "paclitaxel", "taxane", status="completed")], True),
    # HER2+ first line: anti-HER2 therapy with chemotherapy, endocrine maintenance follows (table c).
    ("HR+/HER2+", "metastatic", [drug("c", "paclitaxel", "taxane"), drug("t", "trastuzumab", "anti-her2-antibody")],
     False),
    ("HR+/HER2+", "metastatic", [drug("c", "paclitaxel", "taxane")], True),
    ("HR+/HER2+", "metastatic", [drug("c", "paclitaxel", "taxane"),
                                 drug("t", "trastuzumab", "anti-her2-antibody", status="completed")], True),
    ("HR+/HER2+", "metastatic", [drug("c", "paclitaxel", "taxane", status="completed"),
                                 drug("t", "trastuzumab", "anti-her2-antibody")], True),
    ("HR+/HER2-", "metastatic", [drug("c", "paclitaxel", "taxane"), drug("t", "trastuzumab", "anti-her2-antibody")],
     True),
])
def test_endocrine_not_withheld_conditions(subtype, setting, meds, fires):
    a = make_assessment(subtype, setting, medications=meds)
    got = alerts_of(a, "endocrine-not-withheld")
    assert bool(got) is fires
    if fires:
        assert got[0].evidence == ["Observation/er", "Observation/pr",
                                   *(m.resource for m in meds if m.drug_class and not m.draft)]


# ---- find_pitfalls ---------------------------------------------------------------------------------------------

def test_identical_alerts_are_reported_once():
    same = {"status": "worsened", "evidence_types": ["tumor-marker"]}
    events = [ClinicalEvent("progression", "2026-05-01", "worsened", ["Observation/ds"], same),
              ClinicalEvent("progression", "2026-05-01", "worsened", ["Observation/ds"], same)]
    assert len(alerts_of(make_assessment("HR+/HER2-", "metastatic", events=events), "P12")) == 1


def test_p18_a_result_without_a_status_is_not_a_statement():
    rows = [result("a", "ER", "positive"), result("b", "ER", None)]
    assert alerts_of(make_assessment(history=rows), "P18") == []


@pytest.mark.parametrize("zero_score", ["0", "0-null", "0-ultralow"])
def test_p10_every_ihc_0_reading_counts_as_zero(zero_score):
    rows = [result("z", "HER2-IHC", "negative", "2026-09-01", "metastasis", ihc_score=zero_score),
            result("l", "HER2-IHC", "negative", "2022-01-01", ihc_score="1+")]
    a = make_assessment("HR+/HER2-", "metastatic", her2_expression="zero-unspecified", history=rows)
    assert one(a, "P10").evidence == ["Observation/z", "Observation/l"]


@pytest.mark.parametrize("same_ref,fires", [(True, True), (False, False)])
def test_p10_specimen_references_decide_the_same_sample(same_ref, fires):
    rows = [result("z", "HER2-IHC", "negative", "2026-09-01", "metastasis", ihc_score="0"),
            result("e", "HER2-IHC", "equivocal", "2022-01-01", ihc_score="2+", specimen_ref="Specimen/a"),
            result("i", "HER2-ISH", "negative", "2022-01-01", ish="not-amplified",
                   specimen_ref="Specimen/a" if same_ref else "Specimen/b")]
    a = make_assessment("HR+/HER2-", "metastatic", her2_expression="zero-unspecified", history=rows)
    assert bool(alerts_of(a, "P10")) is fires
