"""The receptor history behind a drug conflict (``pitfalls.history_variant``), the sample list it cites
(``describe_samples``) and P9 for a local recurrence never biopsied.

Rules and their sources:
- a receptor lost only on tissue taken after systemic therapy began is a treatment effect and does not reclassify
  the tumour; post-neoadjuvant treatment is chosen on the pre-treatment status (clinical-knowledge b.3; KATHERINE,
  CREATE-X, OlympiA): the critical "no target" conflict becomes a warning citing those trials;
- negative on the governing sample of a relapse but positive on an earlier one: a conversion ESMO ABC 5 asks to
  confirm, still considering targeted therapy when the receptor was positive on at least one biopsy (warning,
  ESMO ABC 5);
- a local recurrence negative with the earlier tumour positive: the same ESMO ABC 5 warning; a new primary is
  tested on its own (ASCO/CAP 2018 HER2, ASCO/CAP 2020 ER/PR): a warning that cites those, not ESMO;
- negative before treatment, positive only on tissue taken after it began: a warning citing ASCO/CAP (2023 for
  HER2, 2020 for ER/PR);
- nothing positive elsewhere and a pre-treatment result: no variant, the conflict stays critical;
- P9 (ESMO ABC 5; b.3): a local/regional recurrence whose receptors were not tested on it asks for a biopsy of the
  recurrence, citing ESMO ABC 5, offering the recurrence retest, with the earlier results and the recurrence as
  evidence.
"""
from __future__ import annotations

from datetime import date

import pytest

from cds_hooks.decision import DecisionConfig
from cds_hooks.decision.model import EpisodeFinding, Her2Finding, ReceptorFinding, SampleCall, SettingFinding
from cds_hooks.decision.pitfalls import MISSING_TESTS, describe_samples, find_pitfalls, medication_alerts
from cds_hooks.knowledge.pitfalls import PITFALLS

from test_options import make_assessment  # same directory (pytest rootdir-relative import)
from test_pitfalls_medication import DRAFT, draft, source_ids

CFG = DecisionConfig(today=date(2026, 11, 1))
TRIALS = {"katherine-2019", "create-x", "olympia-2021"}


def call(receptor, status, refs, *, phase="pre-treatment", governs=False, when="2025-01-12", site=None,
         specimen="primary", label=None):
    return SampleCall(receptor, status, label or f"{receptor} {status}", when, specimen=specimen, specimen_site=site,
                      phase=phase, governs=governs, evidence=list(refs))


def her2_case(rule, positive_phase="pre-treatment", *, kind=None, positive=True, current="metastatic"):
    """HER2 negative on the governing sample (Observation/h-now), positive on another (Observation/h-old)."""
    a = make_assessment("HR+/HER2-", "metastatic")
    a.her2 = Her2Finding("negative", "null", evidence=["Observation/h-now"], rule=rule,
                         positive_elsewhere=["Observation/h-old"] if positive else [])
    a.samples = [call("HER2", "positive", ["Observation/h-old", "Observation/h-old-ish"], phase=positive_phase),
                 call("HER2", "negative", ["Observation/h-now", "Observation/h-now-ish"], governs=True,
                      phase="metastatic" if rule == "metastatic-sample" else "pre-treatment")]
    if kind:
        a.episode = EpisodeFinding(current=current, new_tumour="2025-06-01", new_tumour_kind=kind)
    return a


def hr_case(er_rule, pr_rule, *, positive_phase=None, kind=None):
    """ER and PR negative on the governing samples; optionally ER positive on another sample."""
    a = make_assessment("triple-negative", "metastatic")
    a.er = ReceptorFinding("ER", "negative", 0.0, "percent", evidence=["Observation/er"], rule=er_rule,
                           positive_elsewhere=["Observation/er-old"] if positive_phase else [])
    a.pr = ReceptorFinding("PR", "negative", 0.0, "percent", evidence=["Observation/pr"], rule=pr_rule)
    a.samples = [call("ER", "negative", ["Observation/er", "Observation/er-pct"], governs=True,
                      phase="post-treatment" if er_rule == "post-treatment-only" else "pre-treatment"),
                 call("PR", "negative", ["Observation/pr", "Observation/pr-pct"], governs=True,
                      phase="post-treatment" if pr_rule == "post-treatment-only" else "pre-treatment")]
    if positive_phase:
        a.samples.append(call("ER", "positive", ["Observation/er-old"], phase=positive_phase))
    if kind:
        a.episode = EpisodeFinding(current="early", new_tumour="2025-06-01", new_tumour_kind=kind)
    return a


def extra(alert):
    """The sources a variant adds to its table row's."""
    return source_ids(alert) - set(PITFALLS[alert.code].sources)


def conflict(a, ingredient, cls, code):
    med = draft(ingredient, cls)
    got = [x for x in medication_alerts(a, med, [med]) if x.code == code]
    assert len(got) == 1
    return got[0]


def trastuzumab(a):
    return conflict(a, "trastuzumab", "anti-her2-antibody", "anti-her2-for-her2-negative")


def letrozole(a):
    return conflict(a, "letrozole", "aromatase-inhibitor", "endocrine-for-hr-negative")


# ---- only residual disease after treatment -----------------------------------------------------------------

def test_negative_only_after_treatment_is_a_warning_citing_the_post_neoadjuvant_trials():
    got = letrozole(hr_case("post-treatment-only", "post-treatment-only"))
    assert (got.severity, got.order) == ("warning", DRAFT)
    assert TRIALS <= source_ids(got)
    assert got.evidence == [DRAFT, "Observation/er", "Observation/pr", "Observation/er-pct", "Observation/pr-pct"]
    assert got.title.startswith("letrozole") and got.title != PITFALLS["endocrine-for-hr-negative"].title
    assert "ER/PR" in got.title and "ER/PR" in got.action


def test_one_receptor_negative_before_treatment_keeps_the_conflict_critical():
    got = letrozole(hr_case("post-treatment-only", "pre-treatment-samples"))
    assert got.severity == "critical" and not TRIALS & source_ids(got)
    assert got.evidence == [DRAFT, "Observation/er", "Observation/pr"]


def test_her2_negative_only_after_treatment_is_a_warning_for_any_her2_drug():
    a = her2_case("post-treatment-only", positive=False)
    a.samples[1].phase = "post-treatment"
    for got in (trastuzumab(a), conflict(a, "trastuzumab deruxtecan", "tdxd", "tdxd-for-her2-zero")):
        assert (got.severity, got.order) == ("warning", DRAFT)
        assert TRIALS <= source_ids(got)
        assert "Observation/h-now-ish" in got.evidence and "HER2" in got.title


# ---- nothing positive elsewhere -------------------------------------------------------------------------------

@pytest.mark.parametrize("rule", ["metastatic-sample", "pre-treatment-samples"])
def test_no_positive_sample_anywhere_keeps_the_conflict_critical(rule):
    got = trastuzumab(her2_case(rule, positive=False))
    assert got.severity == "critical"
    assert got.evidence == [DRAFT, "Observation/h-now"]
    assert "esmo-abc5-2020" not in source_ids(got) and "asco-cap-2023-her2" not in source_ids(got)


# ---- conversion at relapse ------------------------------------------------------------------------------------

def test_conversion_at_relapse_is_a_warning_citing_esmo_abc5():
    a = her2_case("metastatic-sample")
    for got in (trastuzumab(a), conflict(a, "trastuzumab deruxtecan", "tdxd", "tdxd-for-her2-zero")):
        assert (got.severity, got.order) == ("warning", DRAFT)
        assert "esmo-abc5-2020" in source_ids(got) and "asco-cap-2023-her2" not in extra(got)
        # The positive sample is the evidence that the drug may have a target.
        assert got.evidence[:2] == [DRAFT, "Observation/h-now"]
        assert {"Observation/h-old", "Observation/h-old-ish"} <= set(got.evidence)
        assert "Observation/h-now-ish" not in got.evidence
        assert "HER2" in got.title and got.title.startswith(("trastuzumab:", "trastuzumab deruxtecan:"))


def test_a_governing_positive_is_not_cited_as_positive_elsewhere():
    a = her2_case("metastatic-sample")
    a.samples[0].governs = True
    got = trastuzumab(a)
    assert "Observation/h-old-ish" not in got.evidence


def test_er_conversion_at_relapse_on_the_endocrine_conflict():
    got = letrozole(hr_case("metastatic-sample", "metastatic-sample", positive_phase="pre-treatment"))
    assert got.severity == "warning" and "esmo-abc5-2020" in source_ids(got)
    assert "Observation/er-old" in got.evidence and "ER/PR" in got.title


# ---- a local recurrence or a new primary ----------------------------------------------------------------------

def test_recurrence_negative_with_the_earlier_tumour_positive_cites_esmo_abc5():
    got = trastuzumab(her2_case("pre-treatment-samples", "earlier-tumour", kind="recurrence", current="early"))
    assert (got.severity, got.order) == ("warning", DRAFT)
    assert "esmo-abc5-2020" in source_ids(got) and "asco-cap-2023-her2" not in source_ids(got)
    assert {"Observation/h-old", "Observation/h-old-ish"} <= set(got.evidence)
    assert "recurrence" in got.title


def test_new_primary_is_tested_on_its_own_and_cites_asco_cap_not_esmo():
    her2 = trastuzumab(her2_case("pre-treatment-samples", "earlier-tumour", kind="new-primary", current="early"))
    assert her2.severity == "warning"
    ids = source_ids(her2)
    assert "asco-cap-2018-her2" in ids and "esmo-abc5-2020" not in ids and "asco-cap-2020-er-pr" not in ids
    assert "new primary" in her2.title
    recurrence = trastuzumab(her2_case("pre-treatment-samples", "earlier-tumour", kind="recurrence", current="early"))
    assert her2.title != recurrence.title and her2.message != recurrence.message and her2.action != recurrence.action
    er = letrozole(hr_case("pre-treatment-samples", "pre-treatment-samples", positive_phase="earlier-tumour",
                           kind="new-primary"))
    ids = source_ids(er)
    assert "asco-cap-2020-er-pr" in ids and "asco-cap-2018-her2" not in ids and "esmo-abc5-2020" not in ids
    assert "Observation/er-old" in er.evidence


@pytest.mark.parametrize("kind,positive_phases,rule", [
    (None, ["earlier-tumour"], "pre-treatment-samples"),                       # no new tumour recorded
    ("recurrence", ["earlier-tumour", "post-treatment"], "pre-treatment-samples"),   # not all from the earlier tumour
    ("recurrence", ["earlier-tumour"], "early-results-only"),                  # the recurrence has no sample of its own
])
def test_the_recurrence_variant_needs_all_of_its_conditions(kind, positive_phases, rule):
    a = her2_case(rule, positive_phases[0], kind=kind, current="early")
    for i, phase in enumerate(positive_phases[1:]):
        ref = f"Observation/h-extra{i}"
        a.her2.positive_elsewhere.append(ref)
        a.samples.append(call("HER2", "positive", [ref], phase=phase))
    got = trastuzumab(a)
    assert "esmo-abc5-2020" not in source_ids(got)
    assert "recurrence" not in got.title and "new primary" not in got.title


# ---- positive only after treatment began ----------------------------------------------------------------------

def test_positive_only_after_treatment_began_cites_asco_cap():
    her2 = trastuzumab(her2_case("pre-treatment-samples", "post-treatment"))
    assert her2.severity == "warning"
    ids = source_ids(her2)
    assert "asco-cap-2023-her2" in ids and "esmo-abc5-2020" not in ids and not TRIALS & ids
    assert {"Observation/h-old", "Observation/h-old-ish"} <= set(her2.evidence)
    er = letrozole(hr_case("pre-treatment-samples", "pre-treatment-samples", positive_phase="post-treatment"))
    ids = source_ids(er)
    assert er.severity == "warning" and "asco-cap-2020-er-pr" in ids and "asco-cap-2023-her2" not in ids
    assert "esmo-abc5-2020" not in ids
    assert er.action != PITFALLS["endocrine-for-hr-negative"].action


# ---- describe_samples ----------------------------------------------------------------------------------------

def test_describe_samples_names_label_site_and_collection_day():
    text = describe_samples([call("HER2", "positive", [], label="HER2 IHC 3+", site="Left breast structure",
                                  when="2025-01-12T10:30:00Z")])
    assert "HER2 IHC 3+" in text and "left breast" in text and "2025-01-12" in text and "10:30" not in text


@pytest.mark.parametrize("specimen,words", [("primary", "the breast"), ("metastasis", "a metastasis"),
                                            ("unknown", "unrecorded")])
def test_describe_samples_falls_back_to_the_specimen_kind(specimen, words):
    text = describe_samples([call("ER", "negative", [], specimen=specimen, label="ER 0%")])
    assert words in text


def test_describe_samples_says_when_undated():
    assert "undated" in describe_samples([call("ER", "negative", [], when=None)]).lower()
    assert "undated" not in describe_samples([call("ER", "negative", [], when="2025-02-02")]).lower()


@pytest.mark.parametrize("n,limit,shown,more", [(0, 3, 0, None), (1, 3, 1, None), (3, 3, 3, None), (4, 3, 3, 1),
                                                (6, 3, 3, 3), (2, 1, 1, 1)])
def test_describe_samples_shows_up_to_the_limit_then_counts_the_rest(n, limit, shown, more):
    calls = [call("ER", "negative", [], label=f"sample-{i}") for i in range(n)]
    text = describe_samples(calls, limit=limit)
    assert [f"sample-{i}" in text for i in range(n)] == [i < shown for i in range(n)]
    assert text.count("; ") == max(shown - 1, 0)
    assert (f"{more} more" in text) if more else ("more" not in text)


def test_describe_samples_default_limit_is_three():
    calls = [call("ER", "negative", [], label=f"sample-{i}") for i in range(5)]
    assert "2 more" in describe_samples(calls)


# ---- P9: a local recurrence not biopsied ---------------------------------------------------------------------

def local_recurrence(kind="recurrence", current="early", *, rules=("early-results-only",) * 3, dated=True,
                     new_tumour="2025-06-01"):
    a = make_assessment("HR+/HER2-", "early")
    a.setting = SettingFinding("early")
    when = "2020-01-05" if dated else None
    a.er = ReceptorFinding("ER", "positive", 80.0, "percent", effective=when, evidence=["Observation/er"],
                           rule=rules[0])
    a.pr = ReceptorFinding("PR", "positive", 40.0, "percent", effective=when, evidence=["Observation/pr"],
                           rule=rules[1])
    a.her2 = Her2Finding("negative", "low", ihc_score="1+", effective=when, evidence=["Observation/her2"],
                         rule=rules[2])
    a.episode = EpisodeFinding(current=current, new_tumour=new_tumour, new_tumour_kind=kind,
                               evidence=["Condition/recurrence"])
    return a


def p9(a):
    return [x for x in find_pitfalls(a, CFG) if x.code == "P9"]


def test_p9_local_recurrence_not_biopsied_asks_for_a_biopsy_of_it():
    got = p9(local_recurrence())
    assert len(got) == 1
    alert = got[0]
    assert alert.severity == PITFALLS["P9"].severity
    assert alert.missing_test == MISSING_TESTS["receptor-retest-recurrence"]
    assert "esmo-abc5-2020" in source_ids(alert)
    assert alert.evidence == ["Observation/er", "Observation/pr", "Observation/her2", "Condition/recurrence"]
    assert "2025-06-01" in alert.message and "2020-01-05" in alert.message
    assert "ER/PR/HER2" in alert.message
    assert alert.action != PITFALLS["P9"].action


def test_p9_local_recurrence_names_only_the_receptors_not_tested_on_it():
    alert = p9(local_recurrence(rules=("early-results-only", "pre-treatment-samples", "pre-treatment-samples")))[0]
    assert alert.evidence == ["Observation/er", "Condition/recurrence"]
    assert "ER/" not in alert.message and "/HER2" not in alert.message


def test_p9_local_recurrence_undated_results_leave_no_empty_brackets():
    alert = p9(local_recurrence(dated=False))[0]
    assert "()" not in alert.message and "( )" not in alert.message


@pytest.mark.parametrize("kw", [dict(kind="new-primary"), dict(current="metastatic"), dict(new_tumour=None),
                                dict(rules=("pre-treatment-samples",) * 3)])
def test_p9_local_recurrence_needs_an_untested_local_recurrence_of_the_early_episode(kw):
    assert p9(local_recurrence(**kw)) == []
