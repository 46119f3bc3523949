"""P9 in metastatic disease (conversion between primary and metastasis; retest when no sample of the metastatic
episode exists or a relapse came after the newest one) and P13 (results that predate the current disease state), at
the edge of the first presentation's work-up window.

Sources: ESMO ABC 5 and clinical-knowledge d/P9 (biopsy a relapse and retest ER, PR, HER2; treat by the metastasis
when they differ), b.3 (residual disease after neoadjuvant therapy is a treatment effect, compared only when nothing
from before treatment exists; a preliminary result is not yet a conversion), the SEER staging time rule (four months,
``knowledge.thresholds`` DE_NOVO_WINDOW_MONTHS: evidence recorded within it belongs to the presentation, not to a
later relapse), d/P13 (a receptor or ESR1 result older than the latest metastasis, recurrence or progression, or an
ESR1 result older than aromatase-inhibitor exposure, is stale: EMERALD/ESR1 is acquired under endocrine therapy).
"""
from __future__ import annotations

from datetime import date

import pytest

from cds_hooks.decision import DecisionConfig
from cds_hooks.decision.episodes import DE_NOVO_MONTHS
from cds_hooks.decision.model import (
    Biomarker, ClinicalEvent, EpisodeFinding, Her2Finding, ReceptorFinding, ReceptorResult,
)
from cds_hooks.decision.pitfalls import MISSING_TESTS, find_pitfalls

from test_options import make_assessment  # same directory (pytest rootdir-relative import)
from test_pitfalls_medication import drug

CFG = DecisionConfig(today=date(2026, 11, 1))
MET_START = "2026-01-10"       # first metastatic evidence; the presentation window ends 2026-05-10 (4 months)


def test_the_window_is_four_months():
    assert DE_NOVO_MONTHS == 4


def result(ref, analyte, status, effective, specimen="primary", **kw):
    return ReceptorResult(f"Observation/{ref}", analyte, "x|y", effective, "final", kw.pop("provisional", False),
                          specimen=specimen, status=status, **kw)


def metastatic(history=(), events=(), *, episode=None, **kw):
    a = make_assessment("HR+/HER2-", "metastatic", history=list(history), events=list(events),
                        setting_kw={"evidence": ["Condition/stage-iv"]}, **kw)
    a.episode = episode or EpisodeFinding(current="metastatic", diagnosis="2020-01-01", metastatic_start=MET_START)
    return a


def event(kind, when, ref="Condition/m"):
    return ClinicalEvent(kind, when, kind, [ref])


def p9(a):
    return [x for x in find_pitfalls(a, CFG) if x.code == "P9"]


# ---- P9 retest --------------------------------------------------------------------------------------------

def test_p9_only_primary_results_asks_for_a_metastasis_biopsy_with_its_evidence():
    a = metastatic([result("er1", "ER", "positive", "2020-01-05")], [event("metastasis", MET_START)])
    got = p9(a)
    assert len(got) == 1
    assert got[0].missing_test == MISSING_TESTS["receptor-retest"]
    assert got[0].evidence == ["Observation/er", "Observation/pr", "Observation/her2", "Condition/m",
                               "Condition/stage-iv"]


def test_p9_needs_some_receptor_history():
    assert p9(metastatic([], [event("metastasis", MET_START)])) == []


def test_p9_non_receptor_history_does_not_count():
    assert p9(metastatic([result("k", "Ki67", "unknown", "2020-01-05")], [event("metastasis", MET_START)])) == []


def test_p9_silent_with_a_sample_of_the_metastatic_episode():
    a = metastatic([result("er1", "ER", "positive", "2020-01-05"),
                    result("er2", "ER", "positive", "2026-01-20", "metastasis")], [event("metastasis", MET_START)])
    assert p9(a) == []


@pytest.mark.parametrize("kind,when,fires", [
    ("metastasis", "2026-03-01", False),       # recorded during the presentation's work-up
    ("metastasis", "2026-05-10", False),       # the window's last day
    ("metastasis", "2026-05-11", True),        # a later relapse, after the newest metastatic sample
    ("recurrence", "2026-09-01", True),
    ("progression", "2026-09-01", False),      # progression is P13's, not P9's
])
def test_p9_relapse_after_the_newest_sample_and_after_the_presentation(kind, when, fires):
    a = metastatic([result("er2", "ER", "positive", "2026-01-20", "metastasis")],
                   [event("metastasis", MET_START, "Condition/first"), event(kind, when, "Condition/later")])
    got = p9(a)
    assert bool(got) is fires
    if fires:
        assert "Condition/later" in got[0].evidence and "Condition/first" in got[0].evidence


@pytest.mark.parametrize("sampled", ["2026-10-01", "2026-09-01"])
def test_p9_relapse_before_or_on_the_day_of_the_newest_sample_needs_no_retest(sampled):
    a = metastatic([result("er2", "ER", "positive", sampled, "metastasis")],
                   [event("metastasis", MET_START), event("metastasis", "2026-09-01")])
    assert p9(a) == []


def test_p9_in_a_relapse_a_breast_sample_is_not_the_retest():
    a = metastatic([result("er2", "ER", "positive", "2026-02-01", "primary")], [event("metastasis", MET_START)])
    assert len(p9(a)) == 1


def test_p9_in_de_novo_stage_iv_the_diagnostic_breast_biopsy_is_the_sample():
    episode = EpisodeFinding(current="metastatic", diagnosis="2026-01-01", metastatic_start=MET_START,
                             de_novo_metastatic=True)
    a = metastatic([result("er1", "ER", "positive", "2026-01-05", "primary")], [event("metastasis", MET_START)],
                   episode=episode)
    assert p9(a) == []


@pytest.mark.parametrize("when,fires", [("2026-05-31", False), ("2026-06-01", False), ("2026-06-02", True)])
def test_p9_de_novo_window_counts_from_the_later_of_diagnosis_and_first_metastasis(when, fires):
    """De novo: the presentation runs 4 months from the first metastatic evidence or from the diagnosis, whichever
    ends later (here diagnosis 2026-02-01: the window ends on 2026-06-01, that day included)."""
    episode = EpisodeFinding(current="metastatic", diagnosis="2026-02-01", metastatic_start="2026-01-10",
                             de_novo_metastatic=True)
    a = metastatic([result("er1", "ER", "positive", "2026-01-20", "metastasis")],
                   [event("metastasis", "2026-01-10"), event("metastasis", when)], episode=episode)
    assert bool(p9(a)) is fires


# ---- P9 conversion ---------------------------------------------------------------------------------------

def conversion(a):
    return [x for x in p9(a) if "conversion" in x.title.lower()]


@pytest.mark.parametrize("analyte", ["ER", "PR", "HER2-IHC", "HER2-ISH", "HER2-status"])
def test_p9_conversion_for_each_receptor_analyte(analyte):
    a = metastatic([result("p", analyte, "positive", "2020-01-05"),
                    result("m", analyte, "negative", "2026-01-20", "metastasis"),
                    result("o", "Ki67", "unknown", "2026-01-20", "metastasis")])
    # A combined HR result that did not change is not evidence of this conversion.
    a.history += [result("s1", "HR", "positive", "2020-01-05"), result("s2", "HR", "positive", "2026-01-20", "metastasis")]
    got = conversion(a)
    assert len(got) == 1
    assert got[0].evidence == ["Observation/p", "Observation/m"]
    assert analyte in got[0].message
    assert got[0].action != got[0].message and got[0].missing_test is None
    # The metastasis has been sampled already: the action is to treat by it and review the discordance with
    # pathology (ESMO ABC 5), not the retest request of a relapse that nobody biopsied.
    assert "pathology" in got[0].action and "take a biopsy" not in got[0].action.lower()


def test_p9_conversion_needs_a_different_family():
    a = metastatic([result("p", "ER", "positive", "2020-01-05"),
                    result("m", "ER", "low-positive", "2026-01-20", "metastasis")])
    assert conversion(a) == []


def test_p9_a_preliminary_metastasis_result_is_not_a_conversion():
    a = metastatic([result("p", "ER", "positive", "2020-01-05"),
                    result("m", "ER", "negative", "2026-01-20", "metastasis", provisional=True)])
    assert conversion(a) == []


def test_p9_unknown_statuses_are_not_compared():
    a = metastatic([result("p", "ER", "unknown", "2020-01-05"),
                    result("m", "ER", "negative", "2026-01-20", "metastasis")])
    assert conversion(a) == []


def neoadjuvant_episode():
    return EpisodeFinding(current="metastatic", diagnosis="2020-01-01", metastatic_start=MET_START,
                          first_systemic_therapy="2020-02-01", surgery="2020-07-01")


def test_p9_residual_disease_is_compared_only_without_a_pre_treatment_result():
    """b.3: receptor loss in residual disease is a treatment effect; the pre-treatment primary is compared."""
    rows = [result("pre", "ER", "positive", "2020-01-05"), result("res", "ER", "negative", "2020-07-01"),
            result("m", "ER", "positive", "2026-01-20", "metastasis")]
    assert conversion(metastatic(rows, episode=neoadjuvant_episode())) == []
    rows = [result("res", "ER", "negative", "2020-07-01"), result("m", "ER", "positive", "2026-01-20", "metastasis")]
    assert len(conversion(metastatic(rows, episode=neoadjuvant_episode()))) == 1


# ---- P13 -----------------------------------------------------------------------------------------------------

def p13(a):
    return [x for x in find_pitfalls(a, CFG) if x.code == "P13"]


def with_er(a, effective, phase):
    a.er = ReceptorFinding("ER", "positive", 80.0, "percent", effective=effective, evidence=["Observation/er"],
                           phase=phase)
    return a


@pytest.mark.parametrize("kind,when,fires", [
    ("metastasis", "2026-03-01", False),       # the presentation's own metastasis evidence
    ("metastasis", "2026-05-10", False),
    ("metastasis", "2026-05-11", True),
    ("recurrence", "2026-06-01", True),
    ("progression", "2026-03-01", True),       # progression always moves the disease state on
])
def test_p13_metastatic_sample_is_outdated_only_by_later_disease(kind, when, fires):
    a = with_er(metastatic([], [event("metastasis", MET_START), event(kind, when, "Condition/later")]),
                "2026-01-20", "metastatic")
    got = p13(a)
    assert bool(got) is fires
    if fires:
        assert got[0].evidence == ["Observation/er"] and "2026-01-20" in got[0].message and when in got[0].message


@pytest.mark.parametrize("effective,fires", [("2026-01-09", True), ("2026-01-10", False)])
def test_p13_primary_result_before_the_metastasis_is_stale(effective, fires):
    a = with_er(metastatic([], [event("metastasis", MET_START)]), effective, "pre-treatment")
    assert bool(p13(a)) is fires


def test_p13_marker_only_progression_and_undated_results_do_not_count():
    marker = ClinicalEvent("progression", "2026-09-01", "worsened", ["Observation/ds"],
                           {"status": "worsened", "evidence_types": ["tumor-marker"]})
    assert p13(with_er(metastatic([], [marker]), "2026-01-20", "metastatic")) == []
    assert p13(with_er(metastatic([], [event("progression", "2026-09-01")]), None, "metastatic")) == []


def test_p13_new_tumour_samples_are_outdated_only_after_its_presentation():
    """A local recurrence's own sample is not outdated by the recurrence record written days later."""
    episode = EpisodeFinding(current="early", new_tumour="2026-01-10", new_tumour_kind="recurrence")
    a = make_assessment("HR+/HER2-", "early", events=[event("recurrence", "2026-02-01")])
    a.episode = episode
    assert p13(with_er(a, "2026-01-15", "pre-treatment")) == []
    assert len(p13(with_er(a, "2026-01-15", "earlier-tumour"))) == 1


@pytest.mark.parametrize("esr1_date,events,ai_start,fires", [
    ("2026-01-01", [("progression", "2026-06-01")], None, True),
    ("2026-01-01", [("recurrence", "2026-06-01")], None, True),    # d/P13: a recurrence counts like a progression
    ("2026-01-01", [("metastasis", "2026-06-01")], None, True),
    ("2026-06-01", [("recurrence", "2026-06-01")], None, False),
    ("2026-06-01", [("progression", "2026-06-01")], None, False),
    ("2026-07-01", [("progression", "2026-06-01")], None, False),
    ("2026-01-01", [], "2026-02-01", True),      # before aromatase-inhibitor exposure
    ("2026-02-01", [], "2026-02-01", False),
    ("2026-01-01", [], None, False),
    (None, [("progression", "2026-06-01")], None, False),
])
def test_p13_esr1_before_progression_or_ai_exposure(esr1_date, events, ai_start, fires):
    meds = [drug("ai", "letrozole", "aromatase-inhibitor", start=ai_start)] if ai_start else []
    a = make_assessment("HR+/HER2-", "metastatic", medications=meds,
                        events=[event(k, d) for k, d in events],
                        biomarkers=[Biomarker("ESR1", "absent", effective=esr1_date, evidence=["Observation/esr1"])])
    a.er = ReceptorFinding("ER", "positive", 80.0, "percent", evidence=["Observation/er"])
    got = p13(a)
    assert bool(got) is fires
    if fires:
        assert got[0].evidence == ["Observation/esr1"] and esr1_date in got[0].message


def test_p13_esr1_uses_the_latest_ai_start():
    meds = [drug("a1", "letrozole", "aromatase-inhibitor", start="2025-01-01"),
            drug("a2", "anastrozole", "aromatase-inhibitor", start="2026-03-01"),
            drug("t", "tamoxifen", "serm", start="2026-09-01")]
    a = make_assessment("HR+/HER2-", "metastatic", medications=meds,
                        biomarkers=[Biomarker("esr1", "absent", effective="2026-02-01", evidence=["Observation/esr1"])])
    a.er = ReceptorFinding("ER", "positive", 80.0, "percent", evidence=["Observation/er"])
    assert len(p13(a)) == 1


def test_p13_reasons_are_joined_in_one_alert():
    a = with_er(metastatic([], [event("progression", "2026-09-01")],
                           biomarkers=[Biomarker("ESR1", "absent", effective="2026-01-01",
                                                 evidence=["Observation/esr1"])]), "2026-01-20", "metastatic")
    got = p13(a)
    assert len(got) == 1 and got[0].evidence == ["Observation/er", "Observation/esr1"]
    assert got[0].message.count("2026-09-01") == 2


def test_p9_without_a_recorded_metastatic_start_any_later_relapse_asks():
    """No first metastatic date, no presentation window: a relapse after the newest sample asks for a retest."""
    episode = EpisodeFinding(current="metastatic", diagnosis="2020-01-01")
    a = metastatic([result("er2", "ER", "positive", "2026-01-20", "metastasis")],
                   [event("metastasis", "2026-03-01")], episode=episode)
    assert len(p9(a)) == 1


def test_p9_retest_evidence_leaves_out_progression_records():
    a = metastatic([result("er1", "ER", "positive", "2020-01-05")],
                   [event("metastasis", MET_START), event("progression", "2026-09-01", "Observation/prog")])
    assert "Observation/prog" not in p9(a)[0].evidence


@pytest.mark.parametrize("stale", ["ER", "PR", "HER2"])
def test_p13_names_and_cites_only_the_stale_receptor(stale):
    a = metastatic([], [event("metastasis", MET_START)])
    when = {r: ("2025-06-01" if r == stale else "2026-01-20") for r in ("ER", "PR", "HER2")}
    phase = {r: ("pre-treatment" if r == stale else "metastatic") for r in ("ER", "PR", "HER2")}
    a.er = ReceptorFinding("ER", "positive", 80.0, "percent", effective=when["ER"], evidence=["Observation/er"],
                           phase=phase["ER"])
    a.pr = ReceptorFinding("PR", "positive", 40.0, "percent", effective=when["PR"], evidence=["Observation/pr"],
                           phase=phase["PR"])
    a.her2 = Her2Finding("negative", "low", ihc_score="1+", effective=when["HER2"], evidence=["Observation/her2"],
                         phase=phase["HER2"])
    [got] = p13(a)
    assert got.evidence == [f"Observation/{stale.lower()}"]
    assert got.message.split()[0] == stale and "2025-06-01" in got.message
