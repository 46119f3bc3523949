"""Receptor results that differ between samples of one tumour (``receptor-sample-discordance``) and two primaries
with different subtypes (``bilateral-subtypes-differ``).

Sources: clinical-knowledge b.3 revised, ASCO/CAP 2018/2023 HER2 and 2020 ER/PR: among the early episode's samples
taken before systemic therapy, a positive (ER/PR >= 1 %, HER2 positive) on one and a negative on another is a
warning (the positive governs); a receptor positive only on tissue taken after systemic therapy began, negative on
every sample before it, is a warning of its own kind (never explained as "before any therapy"). A local recurrence
never biopsied is judged on the earlier tumour's samples, by that tumour's own treatment dates. SEER Solid Tumor
Rules: each breast's tumour in synchronous bilateral cancer is a primary of its own; their samples are not compared
with each other, and different subtypes are both stated.
"""
from __future__ import annotations

from datetime import date

import pytest

from cds_hooks.decision import DecisionConfig
from cds_hooks.decision.model import EpisodeFinding, Her2Finding, ReceptorFinding, SampleCall, TumourCall
from cds_hooks.decision.pitfalls import AFTER_TREATMENT_ONLY_TEXT, find_pitfalls
from cds_hooks.knowledge.pitfalls import PITFALLS

from test_options import make_assessment  # same directory (pytest rootdir-relative import)

CFG = DecisionConfig(today=date(2026, 11, 1))
SPEC = PITFALLS["receptor-sample-discordance"]


def call(receptor, status, ref, phase="pre-treatment", when="2025-01-12", side=None, **kw):
    return SampleCall(receptor, status, f"{receptor} {status}", when, phase=phase, side=side, evidence=[ref], **kw)


def case(samples, *, rule="pre-treatment-samples", receptor="ER", episode=None, setting="early"):
    a = make_assessment("HR+/HER2-", setting)
    finding = {"ER": a.er, "PR": a.pr, "HER2": a.her2}[receptor]
    finding.rule = rule
    a.samples = list(samples)
    a.episode = episode or EpisodeFinding(current="early")
    return a


def discordance(a):
    got = [x for x in find_pitfalls(a, CFG) if x.code == "receptor-sample-discordance"]
    assert len(got) <= 1
    return got[0] if got else None


@pytest.mark.parametrize("receptor,positive", [("ER", "positive"), ("ER", "low-positive"), ("PR", "positive"),
                                               ("HER2", "positive")])
def test_positive_and_negative_before_treatment(receptor, positive):
    a = case([call(receptor, "negative", "Observation/neg"), call(receptor, positive, "Observation/pos")],
             receptor=receptor)
    got = discordance(a)
    assert got is not None and got.severity == SPEC.severity
    assert got.evidence == ["Observation/pos", "Observation/neg"]
    assert SPEC.message in got.message and AFTER_TREATMENT_ONLY_TEXT not in got.message
    assert receptor in got.message


@pytest.mark.parametrize("rule", ["metastatic-sample", "post-treatment-only", "condition", "none"])
def test_only_the_early_governing_rules_are_checked(rule):
    a = case([call("ER", "negative", "Observation/neg"), call("ER", "positive", "Observation/pos")], rule=rule)
    assert discordance(a) is None


@pytest.mark.parametrize("flag", ["conflicted", "provisional"])
def test_conflicted_or_preliminary_samples_are_left_out(flag):
    a = case([call("ER", "negative", "Observation/neg", **{flag: True}), call("ER", "positive", "Observation/pos")])
    assert discordance(a) is None


def test_equivocal_is_not_negative_and_other_receptors_do_not_mix():
    assert discordance(case([call("HER2", "equivocal", "Observation/e"), call("HER2", "positive", "Observation/p")],
                            receptor="HER2")) is None
    assert discordance(case([call("PR", "negative", "Observation/n"), call("ER", "positive", "Observation/p")])) is None


def test_undated_phase_counts_as_before_treatment():
    a = case([call("ER", "negative", "Observation/neg", phase="unknown"), call("ER", "positive", "Observation/pos")])
    assert discordance(a).evidence == ["Observation/pos", "Observation/neg"]


@pytest.mark.parametrize("current,fires", [("early", True), ("metastatic", False)])
def test_metastatic_phase_samples_count_only_while_the_episode_is_early(current, fires):
    a = case([call("ER", "negative", "Observation/neg"), call("ER", "positive", "Observation/pos", phase="metastatic")],
             episode=EpisodeFinding(current=current))
    assert (discordance(a) is not None) is fires


@pytest.mark.parametrize("current", ["early", "metastatic"])
def test_pre_treatment_samples_are_compared_in_either_episode(current):
    """The early call stands in at relapse without a metastasis biopsy (rule early-results-only): its pre-treatment
    samples that disagree are still a discordance once the episode is metastatic (ASCO/CAP 2023: weigh prior
    samples), not only while it is early."""
    a = case([call("ER", "negative", "Observation/neg"), call("ER", "positive", "Observation/pos")],
             rule="early-results-only", episode=EpisodeFinding(current=current), setting=current)
    got = discordance(a)
    assert got is not None and got.evidence == ["Observation/pos", "Observation/neg"]


def test_positive_only_after_treatment_is_its_own_kind():
    a = case([call("ER", "negative", "Observation/neg"), call("ER", "positive", "Observation/gain",
                                                              phase="post-treatment")])
    got = discordance(a)
    assert got.evidence == ["Observation/neg", "Observation/gain"]
    assert AFTER_TREATMENT_ONLY_TEXT in got.message and SPEC.message not in got.message


def test_a_post_treatment_negative_is_no_discordance():
    a = case([call("ER", "positive", "Observation/pos"), call("ER", "negative", "Observation/res",
                                                              phase="post-treatment")])
    assert discordance(a) is None


def test_both_kinds_in_one_alert():
    a = case([call("ER", "negative", "Observation/er-neg"), call("ER", "positive", "Observation/er-pos"),
              call("HER2", "negative", "Observation/h-neg"),
              call("HER2", "positive", "Observation/h-gain", phase="post-treatment")])
    a.her2.rule = "pre-treatment-samples"
    got = discordance(a)
    assert SPEC.message in got.message and AFTER_TREATMENT_ONLY_TEXT in got.message
    assert got.evidence == ["Observation/er-pos", "Observation/er-neg", "Observation/h-neg", "Observation/h-gain"]


def test_bilateral_tumours_are_not_compared_with_each_other():
    both = EpisodeFinding(current="early", bilateral=True)
    samples = [call("ER", "positive", "Observation/l", side="left"), call("ER", "negative", "Observation/r",
                                                                       side="right")]
    assert discordance(case(samples, episode=both)) is None
    # Without bilateral disease the side is no reason to keep samples apart.
    assert discordance(case(samples)) is not None
    # Within one breast the samples still are compared, and the card says which breast.
    samples.append(call("ER", "negative", "Observation/l2", side="left"))
    got = discordance(case(samples, episode=both))
    assert got.evidence == ["Observation/l", "Observation/l2"] and "Left breast" in got.message


def stand_in(samples, kind="recurrence", current="early"):
    episode = EpisodeFinding(current=current, new_tumour="2025-06-01", new_tumour_kind=kind,
                             earlier_first_systemic_therapy="2020-03-01")
    return case(samples, rule="early-results-only", episode=episode)


def test_untested_recurrence_judged_on_the_earlier_tumours_own_treatment_dates():
    before = [call("ER", "negative", "Observation/a", phase="earlier-tumour", when="2020-01-01"),
              call("ER", "positive", "Observation/b", phase="earlier-tumour", when="2020-02-01")]
    got = discordance(stand_in(before))
    assert got.evidence == ["Observation/b", "Observation/a"]
    assert "Earlier tumour" in got.message and SPEC.message in got.message
    gained = [call("ER", "negative", "Observation/a", phase="earlier-tumour", when="2020-01-01"),
              call("ER", "positive", "Observation/c", phase="earlier-tumour", when="2020-06-01")]
    got = discordance(stand_in(gained))
    assert got.evidence == ["Observation/a", "Observation/c"] and AFTER_TREATMENT_ONLY_TEXT in got.message


@pytest.mark.parametrize("kw", [dict(kind="new-primary"), dict(current="metastatic")])
def test_earlier_tumour_samples_stand_in_only_for_an_untested_local_recurrence(kw):
    before = [call("ER", "negative", "Observation/a", phase="earlier-tumour", when="2020-01-01"),
              call("ER", "positive", "Observation/b", phase="earlier-tumour", when="2020-02-01")]
    assert discordance(stand_in(before, **kw)) is None


# ---- two primaries -----------------------------------------------------------------------------------------

def tumour(side, subtype, er, pr, her2, ref):
    return TumourCall(side, subtype, "positive" if "HR+" in subtype else "negative",
                      ReceptorFinding("ER", er, evidence=[f"Observation/{ref}-er"]),
                      ReceptorFinding("PR", pr, evidence=[f"Observation/{ref}-pr"]),
                      Her2Finding(her2, "unknown", evidence=[f"Observation/{ref}-her2"]))


def test_bilateral_subtypes_differ_states_both_tumours():
    a = make_assessment("indeterminate", "early")
    a.tumours = [tumour("left", "HR+/HER2-", "low-positive", "unknown", "negative", "l"),
                 tumour("right", "triple-negative", "negative", "negative", "negative", "r")]
    [got] = [x for x in find_pitfalls(a, CFG) if x.code == "bilateral-subtypes-differ"]
    assert got.evidence == ["Observation/l-er", "Observation/l-pr", "Observation/l-her2",
                            "Observation/r-er", "Observation/r-pr", "Observation/r-her2"]
    assert "HR+/HER2-" in got.message and "triple-negative" in got.message
    assert "Left" in got.message and "Right" in got.message
    assert "low positive" in got.message and "not known" in got.message
    assert PITFALLS["bilateral-subtypes-differ"].message in got.message


@pytest.mark.parametrize("tumours", [
    [("left", "HR+/HER2-"), ("right", "HR+/HER2-")],
    [("left", "HR+/HER2-")],
    [],
])
def test_bilateral_subtypes_differ_needs_two_different_subtypes(tumours):
    a = make_assessment("HR+/HER2-", "early")
    a.tumours = [tumour(side, subtype, "positive", "positive", "negative", side) for side, subtype in tumours]
    assert not [x for x in find_pitfalls(a, CFG) if x.code == "bilateral-subtypes-differ"]
