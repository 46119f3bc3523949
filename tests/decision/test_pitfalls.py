"""Pitfall rules P1-P20 and the seeds' own, from assessment facts built directly."""
from __future__ import annotations

from datetime import date

import pytest

from cds_hooks.decision import DecisionConfig
from cds_hooks.decision.model import (
    OPTION_STATUSES,
    Biomarker, ClinicalEvent, DataQualityNote, Her2Finding, MedicationUse, ReceptorFinding, ReceptorResult,
)
from cds_hooks.decision.pitfalls import find_pitfalls
from cds_hooks.decision.subtype_notes import subtype_notes
from cds_hooks.knowledge.pitfalls import PITFALLS, PITFALLS_TABLE
from cds_hooks.knowledge.sources import SOURCES

from test_options import make_assessment  # same directory (pytest rootdir-relative import)

CFG = DecisionConfig(today=date(2026, 11, 1))


def codes(assessment, config=CFG):
    return {a.code for a in find_pitfalls(assessment, config)}


def alert(assessment, code, config=CFG):
    return next(a for a in find_pitfalls(assessment, config) if a.code == code)


def med(ref, ingredient, cls, status="active", start=None, end=None, draft=False):
    return MedicationUse(f"MedicationRequest/{ref}", ingredient, None, cls, status, start=start, end=end, draft=draft)


def result(ref, analyte, status, effective="2026-06-01", specimen="primary", **kw):
    return ReceptorResult(f"Observation/{ref}", analyte, "x|y", effective, "final", False, specimen=specimen,
                          status=status, **kw)


def test_pitfall_table_is_complete_and_sourced():
    """P1-P20 and the seed pitfalls are all in the table, each with known sources and a valid severity."""
    assert {f"P{i}" for i in range(1, 21)} <= PITFALLS.keys()
    assert {"endocrine-not-withheld", "endocrine-for-hr-negative", "anti-her2-for-her2-negative",
            "tdxd-for-her2-zero"} <= PITFALLS.keys()
    for spec in PITFALLS_TABLE:
        assert spec.severity in ("warning", "critical"), "issue 3: pitfall cards are warning or critical"
        assert spec.sources and all(s in SOURCES for s in spec.sources)
        assert spec.message and spec.action


def test_clean_hr_positive_case_raises_nothing():
    """A well-documented HR+/HER2- early case on endocrine therapy raises no pitfall."""
    a = make_assessment("HR+/HER2-", "early", er=ReceptorFinding("ER", "positive", 90.0, "percent",
                                                                  effective="2026-06-01", evidence=["Observation/er"]),
                        her2_expression="low", medications=[med("1", "letrozole", "aromatase-inhibitor")])
    a.her2.ihc_score = "1+"
    assert codes(a) == set()


@pytest.mark.parametrize("er,pr,fires", [
    (("negative", 0.0), ("positive", 40.0), True),
    (("negative", 0.0), ("low-positive", 5.0), True),
    (("negative", 0.0), ("negative", 0.0), False),
    (("positive", 50.0), ("positive", 40.0), False),
])
def test_p1_er_negative_pr_positive(er, pr, fires):
    """P1 fires for ER-negative with PR positive or low, and only then."""
    a = make_assessment("HR+/HER2-", "early", er=ReceptorFinding("ER", er[0], er[1], "percent"),
                        pr=ReceptorFinding("PR", pr[0], pr[1], "percent"))
    assert ("P1" in codes(a)) is fires


@pytest.mark.parametrize("status,percent,p2,p3", [
    ("low-positive", 5.0, True, False),
    ("positive", 50.0, False, False),
    ("positive", None, False, True),
    ("negative", 0.0, False, False),
])
def test_p2_er_low_and_p3_percent_missing(status, percent, p2, p3):
    """P2 fires for ER-low; P3 for ER positive with no percentage."""
    a = make_assessment("HR+/HER2-", "early", er=ReceptorFinding("ER", status, percent, "percent"))
    got = codes(a)
    assert ("P2" in got) is p2 and ("P3" in got) is p3


@pytest.mark.parametrize("her2,code,fires", [
    (Her2Finding("equivocal", "unknown", ihc_score="2+"), "P4", True),
    (Her2Finding("negative", "low", ihc_score="2+", ish="not-amplified"), "P4", False),
    (Her2Finding("unknown", "unknown", ish="equivocal"), "P4", True),
    (Her2Finding("unknown", "unknown", ish="needs-ihc", ish_group=3), "P5", True),
    (Her2Finding("negative", "unknown", ish="not-amplified", ish_group=5), "P5", False),
    (Her2Finding("negative", "unknown", basis="qualitative"), "P7", True),
    (Her2Finding("negative", "low", ihc_score="1+"), "P7", False),
])
def test_her2_pitfalls(her2, code, fires):
    """P4, P5 and P7 fire on the HER2 finding's IHC/ISH combination as section d describes."""
    a = make_assessment("HR+/HER2-", "early")
    a.her2 = her2
    assert (code in codes(a)) is fires


@pytest.mark.parametrize("her2,line", [
    (Her2Finding("negative", "low", ihc_score="1+", ish="not-amplified", ish_group=3), True),
    (Her2Finding("negative", "low", ihc_score="2+", ish="not-amplified", ish_group=2), True),
    (Her2Finding("negative", "low", ihc_score="1+", ish="not-amplified", ish_group=5), False),
])
def test_atypical_ish_group_read_by_the_algorithm_is_a_subtype_line_not_a_warning(her2, line):
    """An ISH group 2-4 the ASCO/CAP 2018 algorithm settled with the concurrent IHC (former P6) needs no action:
    it is a line on the subtype card, never an alert (issue 13 section 5)."""
    a = make_assessment("HR+/HER2-", "early")
    a.her2 = her2
    assert "P6" not in codes(a)
    assert ("resolved-ish-group" in {n.kind for n in subtype_notes(a)}) is line


@pytest.mark.parametrize("expression,setting,endocrine,fires", [
    ("zero-unspecified", "metastatic", True, True),
    ("zero-unspecified", "metastatic", False, False),
    ("zero-unspecified", "early", True, False),
    ("null", "metastatic", True, False),
    ("ultralow", "metastatic", True, False),
])
def test_p8_rescore_zero_for_ultralow(expression, setting, endocrine, fires):
    """P8 asks for ultralow re-scoring of unspecified IHC 0 in metastatic HR+/HER2- after endocrine therapy."""
    meds = [med("1", "letrozole", "aromatase-inhibitor", status="completed")] if endocrine else []
    a = make_assessment("HR+/HER2-", setting, her2_expression=expression, medications=meds)
    assert ("P8" in codes(a)) is fires


def test_p9_primary_only_results_in_metastatic_disease():
    """P9 asks for a metastasis biopsy when all receptor results come from the primary."""
    a = make_assessment("HR+/HER2-", "metastatic", history=[result("er1", "ER", "positive")],
                        events=[ClinicalEvent("metastasis", "2026-09-01", "liver", ["Condition/m"])])
    got = alert(a, "P9")
    assert "Condition/m" in got.evidence and got.missing_test


def test_p9_conversion_detected():
    """P9 reports conversion when a metastasis result differs from the primary."""
    a = make_assessment("HR+/HER2-", "metastatic", history=[
        result("er1", "ER", "positive", "2022-01-01", "primary"),
        result("er2", "ER", "negative", "2026-09-01", "metastasis")])
    got = alert(a, "P9")
    assert "conversion" in got.title.lower() and {"Observation/er1", "Observation/er2"} <= set(got.evidence)


def test_p9_silent_with_recent_concordant_metastasis_biopsy():
    """No P9 when a metastasis was biopsied after the event and agrees with the primary."""
    a = make_assessment("HR+/HER2-", "metastatic", history=[
        result("er1", "ER", "positive", "2022-01-01", "primary"),
        result("er2", "ER", "positive", "2026-09-15", "metastasis")],
        events=[ClinicalEvent("metastasis", "2026-09-01", "liver")])
    assert "P9" not in codes(a)


def test_p10_her2_low_changes_between_samples():
    """P10 fires in metastatic disease when HER2 IHC is 0 on one sample and 1+ on another."""
    a = make_assessment("HR+/HER2-", "metastatic", her2_expression="zero-unspecified", history=[
        result("h1", "HER2-IHC", "negative", "2022-01-01", ihc_score="1+"),
        result("h2", "HER2-IHC", "negative", "2026-09-01", "metastasis", ihc_score="0")])
    assert "P10" in codes(a)


@pytest.mark.parametrize("meds,fires", [
    ([med("1", "tamoxifen", "serm"), med("2", "doxorubicin", "anthracycline")], True),
    ([med("1", "letrozole", "aromatase-inhibitor", start="2026-01-01"),
      med("2", "paclitaxel", "taxane", status="completed", start="2025-06-01", end="2025-10-01")], False),
    ([med("1", "goserelin", "gnrh-agonist"), med("2", "cyclophosphamide", "alkylator")], False),
    ([med("1", "trastuzumab", "anti-her2-antibody"), med("2", "docetaxel", "taxane")], False),
    ([med("1", "palbociclib", "cdk46-inhibitor"), med("2", "capecitabine", "fluoropyrimidine")], True),
    # Dates decide, not only status: both still "active", but the periods do not overlap (either order) ...
    ([med("1", "tamoxifen", "serm", start="2026-01-01", end="2026-05-31"),
      med("2", "paclitaxel", "taxane", start="2026-06-01")], False),
    ([med("1", "letrozole", "aromatase-inhibitor", start="2026-06-01"),
      med("2", "paclitaxel", "taxane", start="2026-01-01", end="2026-05-31")], False),
    # ... and a period's end day is part of it (FHIR Period.end is inclusive): ending the day the other starts overlaps.
    ([med("1", "tamoxifen", "serm", start="2026-01-01", end="2026-06-01"),
      med("2", "paclitaxel", "taxane", start="2026-06-01")], True),
    ([med("1", "letrozole", "aromatase-inhibitor", start="2026-06-01"),
      med("2", "paclitaxel", "taxane", start="2026-01-01", end="2026-06-01")], True),
])
def test_p11_endocrine_with_chemotherapy(meds, fires):
    """P11 fires for overlapping endocrine therapy (or CDK4/6i) and chemotherapy, not for GnRH or anti-HER2 + chemo."""
    a = make_assessment("HR+/HER2+", "early", medications=meds)
    assert ("P11" in codes(a)) is fires


@pytest.mark.parametrize("types,fires", [
    (["tumor-marker"], True), (["250724005"], True), (["tumor-marker", "imaging"], False), ([], False),
])
def test_p12_progression_on_tumour_markers_alone(types, fires):
    """P12 fires when a progression's only evidence is tumour markers."""
    a = make_assessment(events=[ClinicalEvent("progression", "2026-09-01", "worsened", ["Observation/ds"],
                                              {"evidence_types": types})])
    assert ("P12" in codes(a)) is fires


@pytest.mark.parametrize("er_date,events,biomarkers,fires", [
    ("2026-06-01", [], [], False),
    ("2016-06-01", [], [], False),       # (c) withdrawn: age alone is no reason (no guideline number)
    ("2026-01-01", [ClinicalEvent("progression", "2026-06-01", "p")], [], True),   # (a)
    ("2026-06-01", [ClinicalEvent("progression", "2026-06-01", "p")], [], False),  # (a) same day: not before it
    ("2026-05-31", [ClinicalEvent("progression", "2026-06-01", "p")], [], True),   # (a) the day before
    ("2026-08-01", [ClinicalEvent("progression", "2026-06-01", "p")],
     [Biomarker("ESR1", "absent", effective="2025-01-01")], True),                 # (b)
    ("2026-08-01", [], [Biomarker("PIK3CA", "present", effective="2019-01-01")], False),  # archival PIK3CA ok
])
def test_p13_stale_results(er_date, events, biomarkers, fires):
    """P13 flags results that predate the current disease state (a, b); an old result alone is not stale."""
    a = make_assessment("HR+/HER2-", "metastatic", events=events, biomarkers=biomarkers,
                        er=ReceptorFinding("ER", "positive", 80.0, "percent", effective=er_date))
    assert ("P13" in codes(a, DecisionConfig(today=date(2026, 11, 1)))) is fires


@pytest.mark.parametrize("menopause,age,meds,fires", [
    ("premenopausal", 40, [med("1", "letrozole", "aromatase-inhibitor")], True),
    ("premenopausal", 40, [med("1", "letrozole", "aromatase-inhibitor"), med("2", "goserelin", "gnrh-agonist")], False),
    ("male", 60, [med("1", "anastrozole", "aromatase-inhibitor")], True),
    ("unknown", 52, [med("1", "exemestane", "aromatase-inhibitor")], True),
    ("unknown", 59, [med("1", "exemestane", "aromatase-inhibitor")], True),     # under 60: must be established (NCCN)
    ("unknown", 60, [med("1", "exemestane", "aromatase-inhibitor")], False),    # 60 or more is postmenopausal
    ("unknown", 67, [med("1", "exemestane", "aromatase-inhibitor")], False),
    ("postmenopausal", 55, [med("1", "letrozole", "aromatase-inhibitor")], False),
    ("suppressed", 40, [med("1", "letrozole", "aromatase-inhibitor")], False),
    ("premenopausal", 40, [med("1", "tamoxifen", "serm")], False),
])
def test_p14_ai_without_ovarian_suppression(menopause, age, meds, fires):
    """P14 fires for an AI with functioning ovaries/testes and no GnRH agonist."""
    a = make_assessment(menopause=menopause, age=age, medications=meds)
    got = codes(a)
    assert ("P14" in got) is fires
    if fires:
        assert alert(a, "P14").severity == "critical"


@pytest.mark.parametrize("pdl1,fires", [
    ([Biomarker("PD-L1", "present", value=5, measure="IC", assay="SP142")], True),
    ([Biomarker("PD-L1", "present", value=40, measure="TPS")], True),
    ([Biomarker("PD-L1", "present", value=12, measure="CPS", assay="28-8")], True),
    ([Biomarker("PD-L1", "present", value=12, measure="CPS", assay="22C3")], False),
    ([], False),
])
def test_p15_pdl1_assay_mismatch(pdl1, fires):
    """P15 fires for metastatic TNBC whose PD-L1 result is not CPS by 22C3."""
    a = make_assessment("triple-negative", "metastatic", biomarkers=pdl1)
    assert ("P15" in codes(a)) is fires


@pytest.mark.parametrize("brca,meds,fires", [
    ([Biomarker("BRCA1", "present", "somatic")], [], True),
    ([Biomarker("BRCA2", "present", "unknown")], [], True),
    ([Biomarker("BRCA2", "present", "germline")], [], False),
    ([], [med("1", "olaparib", "parp-inhibitor")], True),
    ([Biomarker("BRCA1", "present", "germline")], [med("1", "olaparib", "parp-inhibitor")], False),
])
def test_p16_brca_not_germline(brca, meds, fires):
    """P16 fires for somatic/unknown-origin BRCA and for a PARP inhibitor without germline BRCA."""
    a = make_assessment("triple-negative", "metastatic", biomarkers=brca, medications=meds)
    assert ("P16" in codes(a)) is fires


def test_p17_data_quality_notes_become_one_alert():
    """P17 gathers the intake's data-quality notes, with their resources as evidence."""
    a = make_assessment(data_quality=[
        DataQualityNote("invalid-code-for-system", "LOINC 417181009 is SNOMED", "Observation/bad"),
        DataQualityNote("serum-her2-ignored", "serum HER2", "Observation/serum")])
    got = alert(a, "P17")
    assert set(got.evidence) == {"Observation/bad", "Observation/serum"}
    # In words, never the codes: each problem's sentence and what to do (issue 13 §6).
    assert got.title == "2 problems with how receptor data are recorded"
    assert "serum HER2 level" in got.message and "does not exist in the coding system" in got.message
    assert "Use HER2 IHC or ISH on tumour tissue." in got.action
    assert not any(code in f"{got.title} {got.message} {got.action}"
                   for code in ("invalid-code-for-system", "serum-her2-ignored"))


@pytest.mark.parametrize("rows,fires", [
    ([result("a", "ER", "positive", qualitative="positive"), result("b", "ER", "negative", percent=0.0)], True),
    ([result("a", "ER", "positive"), result("b", "ER", "low-positive", percent=5.0)], False),
    ([result("a", "ER", "positive"), result("b", "ER", "negative", "2026-07-01")], False),
    ([result("a", "ER", "positive", specimen_site="left breast"),
      result("b", "ER", "negative", specimen_site="liver")], False),
    ([result("a", "HER2-IHC", "equivocal", ihc_score="2+"), result("b", "HER2-ISH", "negative")], False),
])
def test_p18_conflicting_same_day_results(rows, fires):
    """P18 fires for same analyte, specimen and date with different statuses (low vs positive is not a conflict)."""
    a = make_assessment(history=rows)
    assert ("P18" in codes(a)) is fires


def test_p19_locally_advanced_needs_confirmation():
    """P19 fires for locally advanced disease without M1."""
    a = make_assessment("HR+/HER2-", "early", setting_kw={"locally_advanced": True, "evidence": ["Observation/stage"]})
    assert alert(a, "P19").evidence == ["Observation/stage"]


@pytest.mark.parametrize("drug,cls,biomarkers,fires", [
    ("elacestrant", "oral-serd", [], True),
    ("elacestrant", "oral-serd", [Biomarker("ESR1", "present")], False),
    ("alpelisib", "pi3k-inhibitor", [Biomarker("PIK3CA", "absent", specimen="tissue")], True),
    ("inavolisib", "pi3k-inhibitor", [Biomarker("PIK3CA", "present")], False),
    ("capivasertib", "akt-inhibitor", [Biomarker("PTEN", "present")], False),
    ("capivasertib", "akt-inhibitor", [], True),
])
def test_p20_targeted_drug_without_alteration(drug, cls, biomarkers, fires):
    """P20 fires for an active alteration-targeted drug without the alteration."""
    a = make_assessment(medications=[med("1", drug, cls)], biomarkers=biomarkers)
    assert ("P20" in codes(a)) is fires


@pytest.mark.parametrize("subtype,expression,drug,cls,code,severity", [
    ("triple-negative", "low", "tamoxifen", "serm", "endocrine-for-hr-negative", "critical"),
    ("HR-/HER2+", "positive", "letrozole", "aromatase-inhibitor", "endocrine-for-hr-negative", "critical"),
    ("HR+/HER2-", "low", "trastuzumab", "anti-her2-antibody", "anti-her2-for-her2-negative", "critical"),
    ("triple-negative", "null", "lapatinib", "her2-tki", "anti-her2-for-her2-negative", "critical"),
    ("triple-negative", "null", "trastuzumab deruxtecan", "tdxd", "tdxd-for-her2-zero", "critical"),
    ("HR+/HER2-", "zero-unspecified", "trastuzumab deruxtecan", "tdxd", "tdxd-for-her2-zero", "warning"),
    ("indeterminate", "unknown", "trastuzumab", "anti-her2-antibody", "anti-her2-for-her2-negative", "warning"),
])
def test_active_drug_that_cannot_work(subtype, expression, drug, cls, code, severity):
    """Active drugs that cannot work for the subtype are flagged in patient-view with the order-conflict code."""
    a = make_assessment(subtype, "metastatic", her2_expression=expression, medications=[med("7", drug, cls)])
    got = alert(a, code)
    assert got.severity == severity and "MedicationRequest/7" in got.evidence and got.order is None


@pytest.mark.parametrize("subtype,expression,drug,cls", [
    ("HR+/HER2-", "low", "trastuzumab deruxtecan", "tdxd"),
    ("HR+/HER2-", "ultralow", "trastuzumab deruxtecan", "tdxd"),
    ("HR-/HER2+", "positive", "trastuzumab", "anti-her2-antibody"),
    ("HR+/HER2-", "low", "letrozole", "aromatase-inhibitor"),
    ("triple-negative", "null", "goserelin", "gnrh-agonist"),
])
def test_drugs_that_fit_the_subtype_are_not_flagged(subtype, expression, drug, cls):
    """No conflict when the drug fits: T-DXd for HER2-low/ultralow, anti-HER2 for HER2+, AI for HR+."""
    a = make_assessment(subtype, "metastatic", her2_expression=expression, medications=[med("7", drug, cls)])
    assert not codes(a) & {"endocrine-for-hr-negative", "anti-her2-for-her2-negative", "tdxd-for-her2-zero"}


@pytest.mark.parametrize("setting,meds,er_status,fires", [
    ("metastatic", [med("1", "capecitabine", "fluoropyrimidine")], "positive", True),
    ("metastatic", [med("1", "capecitabine", "fluoropyrimidine")], "low-positive", True),
    ("metastatic", [med("1", "capecitabine", "fluoropyrimidine"),
                    med("2", "letrozole", "aromatase-inhibitor", status="stopped")], "positive", False),
    ("early", [med("1", "doxorubicin", "anthracycline")], "positive", False),        # ET follows chemo
    ("early", [med("1", "doxorubicin", "anthracycline", status="completed")], "positive", True),
    ("metastatic", [], "positive", False),
])
def test_endocrine_not_withheld(setting, meds, er_status, fires):
    """Seed 002: HR+ (any level) with cancer drugs on record but no endocrine therapy at all is flagged."""
    a = make_assessment("HR+/HER2-", setting, medications=meds,
                        er=ReceptorFinding("ER", er_status, 50.0 if er_status == "positive" else 5.0, "percent"))
    assert ("endocrine-not-withheld" in codes(a)) is fires


def test_every_alert_has_sources_and_topic():
    """Every alert raised carries a topic code and at least one source."""
    a = make_assessment("HR+/HER2-", "metastatic", menopause="premenopausal", age=40,
                        medications=[med("1", "letrozole", "aromatase-inhibitor"), med("2", "paclitaxel", "taxane")],
                        data_quality=[DataQualityNote("x", "y", "Observation/z")])
    for got in find_pitfalls(a, CFG):
        assert got.topic and got.sources, got.code


def test_stable_disease_status_is_not_progression():
    """A 'stable' disease-status event is neither tumour-marker progression (P12) nor a staleness anchor (P13)."""
    a = make_assessment("HR+/HER2-", "metastatic",
                        er=ReceptorFinding("ER", "positive", 80.0, "percent", effective="2026-01-01"),
                        events=[ClinicalEvent("disease-status", "2026-06-01", "stable", ["Observation/ds"],
                                              {"status": "stable", "evidence_types": ["tumor-marker"]})])
    assert not codes(a) & {"P12", "P13"}


def test_marker_only_progression_is_not_a_staleness_anchor():
    """Tumour markers alone do not define progression, so they do not make receptor results stale (P12 not P13)."""
    a = make_assessment("HR+/HER2-", "metastatic",
                        er=ReceptorFinding("ER", "positive", 80.0, "percent", effective="2026-01-01"),
                        events=[ClinicalEvent("progression", "2026-06-01", "worsened", ["Observation/ds"],
                                              {"status": "worsened", "evidence_types": ["tumor-marker"]})])
    got = codes(a)
    assert "P12" in got and "P13" not in got


def test_p18_distinct_specimens_are_not_conflicting():
    """Two results from different Specimen resources on one day are not a same-specimen conflict."""
    a = make_assessment(history=[result("a", "ER", "positive", specimen_ref="Specimen/1"),
                                 result("b", "ER", "negative", specimen_ref="Specimen/2")])
    assert "P18" not in codes(a)


def test_p17_does_not_repeat_a_conflict_p18_reports():
    """A same-day conflict is one P18 card, not also a P17 data-quality card."""
    a = make_assessment(history=[result("a", "ER", "positive"), result("b", "ER", "negative", percent=0.0)],
                        data_quality=[DataQualityNote("conflicting-results", "ER disagree", "Observation/a")])
    got = codes(a)
    assert "P18" in got and "P17" not in got


@pytest.mark.parametrize("ish,fires", [("not-amplified", True), (None, False)])
def test_p10_ihc_2plus_counts_as_low_only_with_negative_ish(ish, fires):
    """An earlier IHC 2+ counts as HER2-low for P10 only when ISH on that sample was not amplified."""
    rows = [result("h1", "HER2-IHC", "equivocal", "2022-01-01", ihc_score="2+", specimen_ref="Specimen/a"),
            result("h2", "HER2-IHC", "negative", "2026-09-01", "metastasis", ihc_score="0", specimen_ref="Specimen/b")]
    if ish:
        rows.append(result("i1", "HER2-ISH", "negative", "2022-01-01", ish=ish, specimen_ref="Specimen/a"))
    a = make_assessment("HR+/HER2-", "metastatic", her2_expression="zero-unspecified", history=rows)
    assert ("P10" in codes(a)) is fires


# ---- robustness: odd facts never make the rules raise ----------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from cds_hooks.decision.options import options_for  # noqa: E402
from cds_hooks.decision.orders import check_orders  # noqa: E402
from cds_hooks.knowledge.drugs import DRUG_CLASSES  # noqa: E402
from tests.property_budget import examples  # noqa: E402

_dates = st.one_of(st.none(), st.sampled_from(["2026", "2026-02", "2026-02-30", "garbage", "2025-05-05T10:00:00Z",
                                               "2019-01-01", "2026-10-31"]))
_meds = st.builds(MedicationUse, resource=st.text(max_size=8), ingredient=st.one_of(st.none(), st.text(max_size=8)),
                  ingredient_rxcui=st.none(), drug_class=st.one_of(st.none(), st.sampled_from(sorted(DRUG_CLASSES))),
                  status=st.sampled_from(["active", "completed", "draft", "stopped", "weird"]),
                  start=_dates, end=_dates, draft=st.booleans())
_markers = st.builds(Biomarker, name=st.sampled_from(["BRCA1", "BRCA2", "PIK3CA", "AKT1", "PTEN", "ESR1", "PD-L1", "x"]),
                     result=st.sampled_from(["present", "absent", "unknown"]),
                     origin=st.sampled_from(["germline", "somatic", "unknown"]),
                     value=st.one_of(st.none(), st.floats(allow_nan=True)),
                     measure=st.one_of(st.none(), st.sampled_from(["CPS", "IC", "TPS"])),
                     assay=st.one_of(st.none(), st.sampled_from(["22C3", "SP142", "28-8"])),
                     specimen=st.one_of(st.none(), st.sampled_from(["tissue", "ctDNA"])), effective=_dates)
_events = st.builds(ClinicalEvent, kind=st.sampled_from(["diagnosis", "metastasis", "recurrence", "progression", "disease-status", "stage"]),
                    date=_dates, label=st.just("e"),
                    detail=st.fixed_dictionaries({}, optional={"status": st.sampled_from(["worsened", "stable"]),
                                                               "evidence_types": st.lists(st.sampled_from(
                                                                   ["tumor-marker", "imaging", "other"]), max_size=2)}))
_history = st.builds(result, ref=st.text(max_size=4), analyte=st.sampled_from(["ER", "PR", "HER2-IHC", "HER2-ISH", "HR"]),
                     status=st.sampled_from(["positive", "negative", "low-positive", "equivocal", "unknown"]),
                     effective=_dates, specimen=st.sampled_from(["primary", "metastasis", "unknown"]),
                     ihc_score=st.one_of(st.none(), st.sampled_from(["0", "0-null", "0-ultralow", "1+", "2+", "3+"])))


@settings(max_examples=examples(150), deadline=None)
@given(subtype=st.sampled_from(["HR+/HER2-", "HR+/HER2+", "HR-/HER2+", "triple-negative", "indeterminate"]),
       setting=st.sampled_from(["early", "metastatic", "unknown"]),
       menopause=st.sampled_from(["premenopausal", "postmenopausal", "suppressed", "male", "unknown"]),
       age=st.one_of(st.none(), st.integers(0, 110)), meds=st.lists(_meds, max_size=4),
       markers=st.lists(_markers, max_size=4), events=st.lists(_events, max_size=3),
       history=st.lists(_history, max_size=5), expression=st.sampled_from(
           ["positive", "low", "ultralow", "null", "zero-unspecified", "unknown"]))
def test_rules_never_raise_on_odd_facts(subtype, setting, menopause, age, meds, markers, events, history, expression):
    """Options, pitfalls and order checks accept any combination of facts without raising."""
    a = make_assessment(subtype, setting, menopause=menopause, age=age, medications=meds, biomarkers=markers,
                        events=events, history=history, her2_expression=expression)
    for alert_ in find_pitfalls(a, CFG):
        assert alert_.severity in ("warning", "critical") and alert_.sources
    for option in options_for(a, CFG):
        assert option.status in OPTION_STATUSES
        assert option.status != "applicable" or not option.needs
    check_orders(a, [{"resourceType": "MedicationRequest", "id": "d", "status": "draft",
                      "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                                                "code": "2267582"}]}}], ["MedicationRequest/d"], CFG)
