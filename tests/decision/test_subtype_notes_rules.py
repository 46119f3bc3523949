"""The subtype card's information lines (cds_hooks.decision.subtype_notes), rule by rule, from assessment facts.

Rules and their sources:
- ASCO/CAP HER2 2018: dual-probe ISH group 2 (ratio >= 2.0, < 4 copies) and group 4 (ratio < 2.0, 4-6 copies) are
  negative with concurrent IHC 0, 1+ or 2+; group 3 (ratio < 2.0, >= 6 copies) is negative with IHC 0 or 1+ (with
  2+ it is decided by the recount). A settled atypical group is information, not a warning.
- A result the lab marked entered-in-error or cancelled is not used (FHIR Observation.status), and is said so.
- Clinical knowledge b.3: results on residual disease after treatment began do not reclassify the tumour, whose
  pre-treatment call stands; an equivocal sample settled by a later one on the same phase is information; at a
  recurrence the earlier tumour's results stand in until the recurrence is biopsied; a change between the earlier
  tumour and the current one is named.
- ESMO ABC 5: at a first diagnosis of metastatic disease, a metastasis is biopsied where feasible.
"""
from __future__ import annotations

import pytest

from cds_hooks.decision.model import (
    Assessment, DataQualityNote, EpisodeFinding, Her2Finding, ReceptorFinding, SampleCall, SettingFinding,
)
from cds_hooks.decision.subtype_notes import subtype_notes


def make(*, her2=None, er=None, pr=None, samples=(), quality=(), episode=None, history=()) -> Assessment:
    return Assessment(patient="p", subtype="HR+/HER2-", hr="positive",
                      er=er or ReceptorFinding("ER", "positive", evidence=["Observation/er"]),
                      pr=pr or ReceptorFinding("PR", "positive", evidence=["Observation/pr"]),
                      her2=her2 or Her2Finding("negative", evidence=["Observation/her2"]),
                      setting=SettingFinding("early"), knowledge_version="test", samples=list(samples),
                      data_quality=list(quality), episode=episode or EpisodeFinding(), history=list(history))


def kinds(a: Assessment) -> list[str]:
    return [n.kind for n in subtype_notes(a)]


# ---- atypical ISH groups settled by the IHC ---------------------------------------------------------------------

NEGATIVE_BY_ALGORITHM = [(2, "0"), (2, "0-ultralow"), (2, "0-null"), (2, "1+"), (2, "2+"),
                         (3, "0"), (3, "0-ultralow"), (3, "1+"),
                         (4, "0"), (4, "0-null"), (4, "1+"), (4, "2+")]


@pytest.mark.parametrize("group, score", NEGATIVE_BY_ALGORITHM)
def test_atypical_ish_group_read_negative_with_the_concurrent_ihc(group, score):
    her2 = Her2Finding("negative", ihc_score=score, ish_group=group, evidence=["Observation/ihc", "Observation/ish"])
    (note,) = subtype_notes(make(her2=her2))
    assert note.kind == "resolved-ish-group" and note.evidence == ["Observation/ihc", "Observation/ish"]
    assert f"ISH group {group}" in note.message


@pytest.mark.parametrize("group, score, status", [
    (3, "2+", "negative"),                         # group 3 with 2+ is not settled by the IHC alone
    (2, "3+", "positive"), (4, "3+", "positive"), (3, "3+", "positive"),
    (1, "1+", "negative"), (5, "1+", "negative"), (None, "1+", "negative"),
    (2, None, "negative"),
    (2, "1+", "positive"), (4, "2+", "equivocal"), (2, "0", "unknown"),   # only a negative call is settled
])
def test_no_ish_note_otherwise(group, score, status):
    her2 = Her2Finding(status, ihc_score=score, ish_group=group, evidence=["Observation/x"])
    assert "resolved-ish-group" not in kinds(make(her2=her2))


# ---- withdrawn results -----------------------------------------------------------------------------------------

def test_withdrawn_results_are_named_with_their_resource():
    quality = [DataQualityNote("dropped-entered-in-error", "m", "Observation/a"),
               DataQualityNote("dropped-cancelled", "m", "Observation/b"),
               DataQualityNote("dropped-entered-in-error", "m", None),
               DataQualityNote("unparseable-value", "m", "Observation/c")]
    notes = [n for n in subtype_notes(make(quality=quality))]
    assert [n.kind for n in notes] == ["ignored-entered-in-error"] * 3
    assert [n.evidence for n in notes] == [["Observation/a"], ["Observation/b"], []]
    assert "Observation/a" in notes[0].message and "entered in error" in notes[0].message
    assert "Observation/b" in notes[1].message and "cancelled" in notes[1].message


# ---- residual disease ------------------------------------------------------------------------------------------

def sample(receptor, status, phase, ref, *, date="2026-07-02", governs=False, **kw):
    return SampleCall(receptor, status, f"{receptor} {status}", date, phase=phase, governs=governs,
                      evidence=[ref], **kw)


def test_residual_disease_results_are_information_when_pre_treatment_samples_govern():
    er = ReceptorFinding("ER", "positive", rule="pre-treatment-samples", evidence=["Observation/e0"])
    samples = [sample("ER", "positive", "pre-treatment", "Observation/e0", date="2026-01-10", governs=True),
               sample("ER", "negative", "post-treatment", "Observation/e1", specimen="primary"),
               sample("PR", "negative", "post-treatment", "Observation/p1")]   # PR's own rule is not pre-treatment
    (note,) = subtype_notes(make(er=er, samples=samples))
    assert note.kind == "residual-disease-result" and note.evidence == ["Observation/e1"]
    assert "ER negative" in note.message and "ER positive" in note.message and "PR" not in note.message


def test_residual_disease_note_lists_three_samples_and_keeps_all_evidence():
    her2 = Her2Finding("positive", rule="pre-treatment-samples", evidence=["Observation/h0"])
    after = [sample("HER2", "negative", "post-treatment", f"Observation/h{i}", date=f"2026-07-0{i}") for i in range(1, 5)]
    (note,) = subtype_notes(make(her2=her2, samples=after))
    assert note.evidence == ["Observation/h1", "Observation/h2", "Observation/h3", "Observation/h4"]
    assert "2026-07-03" in note.message and "2026-07-04" not in note.message


@pytest.mark.parametrize("rule, phase, governs, unplaced", [
    ("latest-sample", "post-treatment", False, False),
    ("pre-treatment-samples", "pre-treatment", False, False),
    ("pre-treatment-samples", "post-treatment", True, False),
    ("pre-treatment-samples", "post-treatment", False, True),
])
def test_no_residual_disease_note_otherwise(rule, phase, governs, unplaced):
    er = ReceptorFinding("ER", "positive", rule=rule)
    episode = EpisodeFinding(unplaced_samples=["Observation/e1"] if unplaced else [])
    a = make(er=er, samples=[sample("ER", "negative", phase, "Observation/e1", governs=governs)], episode=episode)
    assert "residual-disease-result" not in kinds(a)


# ---- an unfinished sample settled by a later one ----------------------------------------------------------------

@pytest.mark.parametrize("earlier_status", ["equivocal", "unknown"])
def test_earlier_unfinished_her2_settled_by_a_later_negative(earlier_status):
    governing = sample("HER2", "negative", "pre-treatment", "Observation/late", date="2026-02-01", governs=True)
    earlier = sample("HER2", earlier_status, "pre-treatment", "Observation/early", date="2026-01-10")
    same_day = sample("HER2", "equivocal", "pre-treatment", "Observation/same", date="2026-02-01")
    notes = subtype_notes(make(samples=[governing, earlier, same_day]))
    assert [n.kind for n in notes] == ["resolved-by-later-sample"] * 2
    assert notes[0].evidence == ["Observation/early", "Observation/late"]
    assert notes[1].evidence == ["Observation/same", "Observation/late"]


@pytest.mark.parametrize("governing_status, earlier", [
    ("positive", {}),                                   # a positive governing sample: nothing is "settled" negative
    ("negative", {"status": "negative"}), ("negative", {"status": "positive"}),
    ("negative", {"conflicted": True}),
    ("negative", {"date": "2026-03-01"}),               # after the governing sample
    ("negative", {"phase": "post-treatment"}),          # another phase
    ("negative", {"receptor": "ER"}),
])
def test_no_later_sample_note_otherwise(governing_status, earlier):
    governing = sample("HER2", governing_status, "pre-treatment", "Observation/late", date="2026-02-01", governs=True)
    fields = {"receptor": "HER2", "status": "equivocal", "phase": "pre-treatment", "date": "2026-01-10", **earlier}
    other = SampleCall(fields["receptor"], fields["status"], "x", fields["date"], phase=fields["phase"],
                       conflicted=fields.get("conflicted", False), evidence=["Observation/early"])
    assert "resolved-by-later-sample" not in kinds(make(samples=[governing, other]))


def test_no_later_sample_note_without_a_governing_her2_sample():
    assert kinds(make(samples=[sample("HER2", "equivocal", "pre-treatment", "Observation/e")])) == []


def test_at_most_three_settled_samples_are_named():
    governing = sample("HER2", "negative", "pre-treatment", "Observation/g", date="2026-02-01", governs=True)
    earlier = [sample("HER2", "equivocal", "pre-treatment", f"Observation/e{i}", date=f"2026-01-0{i}") for i in range(1, 6)]
    assert kinds(make(samples=[governing, *earlier])) == ["resolved-by-later-sample"] * 3


# ---- de novo metastatic disease without a metastasis biopsy ----------------------------------------------------

@pytest.mark.parametrize("de_novo, specimens, expected", [
    (True, ["primary"], True), (True, ["unknown", "primary"], True),
    (True, ["primary", "metastasis"], False), (True, [], False), (False, ["primary"], False),
])
def test_metastasis_not_biopsied(de_novo, specimens, expected):
    episode = EpisodeFinding(current="metastatic", de_novo_metastatic=de_novo, evidence=["Condition/met"])
    samples = [sample("ER", "positive", "metastatic", f"Observation/{i}", specimen=s) for i, s in enumerate(specimens)]
    notes = [n for n in subtype_notes(make(samples=samples, episode=episode)) if n.kind == "metastasis-not-biopsied"]
    assert bool(notes) is expected
    if notes:
        assert notes[0].evidence == ["Condition/met"]


# ---- the earlier tumour at a recurrence or a new primary --------------------------------------------------------

def recurrence(**kw):
    return EpisodeFinding(current="early", new_tumour="2026-03-01", new_tumour_kind="recurrence", **kw)


def test_earlier_tumour_results_stand_in_for_an_untested_recurrence():
    er = ReceptorFinding("ER", "positive", rule="early-results-only", effective="2020-01-10T09:00:00Z",
                         evidence=["Observation/e0"])
    her2 = Her2Finding("negative", rule="early-results-only", effective="2020-01-12", evidence=["Observation/h0"])
    pr = ReceptorFinding("PR", "positive", rule="pre-treatment-samples", evidence=["Observation/p9"])
    (note,) = subtype_notes(make(er=er, pr=pr, her2=her2, episode=recurrence()))
    assert note.kind == "earlier-tumour-stands-in" and note.evidence == ["Observation/e0", "Observation/h0"]
    assert "ER/HER2" in note.message and "2020-01-10" in note.message and "2020-01-12" in note.message
    assert "2020-01-10T" not in note.message     # a dateTime is shown as its calendar date
    assert "2026-03-01" in note.message


@pytest.mark.parametrize("episode", [
    EpisodeFinding(current="metastatic", new_tumour="2026-03-01", new_tumour_kind="recurrence"),
    EpisodeFinding(current="early", new_tumour="2026-03-01", new_tumour_kind="new-primary"),
    EpisodeFinding(current="early", new_tumour=None, new_tumour_kind="recurrence"),
])
def test_no_stand_in_note_otherwise(episode):
    er = ReceptorFinding("ER", "positive", rule="early-results-only", evidence=["Observation/e0"])
    assert "earlier-tumour-stands-in" not in kinds(make(er=er, episode=episode))


def test_no_stand_in_note_when_the_recurrence_has_its_own_results():
    assert "earlier-tumour-stands-in" not in kinds(make(episode=recurrence()))


@pytest.mark.parametrize("kind", ["recurrence", "new-primary"])
@pytest.mark.parametrize("now, earlier, named", [
    ("negative", ["positive"], True), ("negative", ["low-positive"], True), ("negative", ["negative"], False),
    ("positive", ["negative"], True), ("low-positive", ["negative"], True),
    ("positive", ["negative", "positive"], False),     # a positive on any earlier sample was that tumour's call
    ("unknown", ["negative"], False),
])
def test_earlier_tumour_result_that_differs_is_named(kind, now, earlier, named):
    er = ReceptorFinding("ER", now, rule="pre-treatment-samples", evidence=["Observation/now"])
    samples = [sample("ER", s, "earlier-tumour", f"Observation/old{i}", date=f"2020-01-1{i}")
               for i, s in enumerate(earlier)]
    episode = EpisodeFinding(current="early", new_tumour="2026-03-01T00:00:00Z", new_tumour_kind=kind)
    notes = [n for n in subtype_notes(make(er=er, samples=samples, episode=episode)) if n.kind == "earlier-tumour-result"]
    assert bool(notes) is named
    if named:
        differ = [f"Observation/old{i}" for i, s in enumerate(earlier) if s != now]
        assert notes[0].evidence == differ and "2026-03-01" in notes[0].message
        assert ("recurrence" in notes[0].message) is (kind == "recurrence")


@pytest.mark.parametrize("rule", ["post-treatment-only"])
def test_earlier_tumour_result_also_when_only_treated_tissue_governs(rule):
    er = ReceptorFinding("ER", "negative", rule=rule)
    episode = EpisodeFinding(current="early", new_tumour="2026-03-01", new_tumour_kind="recurrence")
    a = make(er=er, samples=[sample("ER", "positive", "earlier-tumour", "Observation/old")], episode=episode)
    assert "earlier-tumour-result" in kinds(a)


@pytest.mark.parametrize("changes", [
    {"rule": "latest-sample"},                          # the governing call is not the current tumour's own
    {"conflicted": True}, {"phase": "pre-treatment"}, {"new_tumour": None},
])
def test_no_earlier_tumour_note_otherwise(changes):
    er = ReceptorFinding("ER", "negative", rule=changes.get("rule", "pre-treatment-samples"))
    old = SampleCall("ER", "positive", "ER 80%", "2020-01-10", phase=changes.get("phase", "earlier-tumour"),
                     conflicted=changes.get("conflicted", False), evidence=["Observation/old"])
    episode = EpisodeFinding(current="early", new_tumour=changes.get("new_tumour", "2026-03-01"),
                             new_tumour_kind="recurrence")
    assert "earlier-tumour-result" not in kinds(make(er=er, samples=[old], episode=episode))


# ---- order ----------------------------------------------------------------------------------------------------

def test_notes_come_in_a_stable_order():
    her2 = Her2Finding("negative", ihc_score="1+", ish_group=2, rule="pre-treatment-samples", evidence=["Observation/h"])
    samples = [sample("HER2", "negative", "pre-treatment", "Observation/g", date="2026-02-01", governs=True),
               sample("HER2", "equivocal", "pre-treatment", "Observation/e", date="2026-01-01"),
               sample("HER2", "positive", "post-treatment", "Observation/r", date="2026-08-01")]
    quality = [DataQualityNote("dropped-cancelled", "m", "Observation/c")]
    assert kinds(make(her2=her2, samples=samples, quality=quality)) == [
        "resolved-ish-group", "resolved-by-later-sample", "residual-disease-result", "ignored-entered-in-error"]


# ---- tissue no record places (episodes.unplaced_samples) -------------------------------------------------------

def unplaced_call(receptor, ref, *, specimen_ref="Specimen/s1", site="Right breast structure", date="2026-05-01"):
    return SampleCall(receptor, "positive", f"{receptor} label-{ref[-2:]}", date, specimen_site=site,
                      specimen_ref=specimen_ref, phase="pre-treatment", evidence=[ref])


def sided(ref, side):
    from cds_hooks.decision.model import ReceptorResult
    return ReceptorResult(ref, "ER", "http://loinc.org|x", "2026-05-01", "final", False, side=side)


def unplaced_note(samples, unplaced, history=(), first_sides=()):
    episode = EpisodeFinding(current="early", unplaced_samples=list(unplaced), first_sides=list(first_sides))
    notes = [n for n in subtype_notes(make(samples=samples, episode=episode, history=history))
             if n.kind == "tumour-of-sample-unclear"]
    assert len(notes) <= 1
    return notes[0] if notes else None


def test_no_unplaced_tissue_no_note():
    assert unplaced_note([unplaced_call("ER", "Observation/u1")], []) is None
    assert unplaced_note([unplaced_call("ER", "Observation/u1")], ["Observation/other"]) is None


def test_unplaced_results_are_grouped_by_specimen_with_all_their_evidence():
    samples = [unplaced_call("ER", "Observation/u1"), unplaced_call("PR", "Observation/u2"),
               unplaced_call("HER2", "Observation/u3", specimen_ref=None, site=None, date="2026-06-01"),
               unplaced_call("ER", "Observation/placed", specimen_ref="Specimen/s9")]
    note = unplaced_note(samples, ["Observation/u1", "Observation/u2", "Observation/u3"])
    assert note.evidence == ["Observation/u1", "Observation/u2", "Observation/u3"]
    assert "ER label-u1; PR label-u2 on right breast" in note.message       # one specimen: one line, both results
    assert "HER2 label-u3 on a breast or node sample, taken 2026-06-01" in note.message
    assert "label-ed" not in note.message                                   # the placed sample is not named


def test_unplaced_results_without_a_specimen_are_grouped_by_day_and_site():
    samples = [unplaced_call("ER", "Observation/u1", specimen_ref=None),
               unplaced_call("PR", "Observation/u2", specimen_ref=None),
               unplaced_call("HER2", "Observation/u3", specimen_ref=None, date="2026-06-01")]
    note = unplaced_note(samples, ["Observation/u1", "Observation/u2", "Observation/u3"])
    assert "ER label-u1; PR label-u2 on" in note.message and "; HER2" not in note.message


@pytest.mark.parametrize("history, first_sides, expected, absent", [
    ([], ["left"], "not recorded", "(left)"),                                        # no side for the tissue
    ([sided("Observation/u1", "left"), sided("Observation/u1", "right")], ["left"], "not recorded", "(left)"),
    ([sided("Observation/u1", "right")], [], "right breast", "(right)"),              # first tumour's side unknown
    ([sided("Observation/u1", "left")], ["left"], "(left)", None),
    ([sided("Observation/u1", "left")], ["left", "right"], "(left and right)", None),
    ([sided("Observation/other", "left")], ["left"], "not recorded", "(left)"),       # another result's side
])
def test_unplaced_tissue_says_what_the_sides_allow(history, first_sides, expected, absent):
    note = unplaced_note([unplaced_call("ER", "Observation/u1", site=None)], ["Observation/u1"], history, first_sides)
    assert expected in note.message
    if absent:
        assert absent not in note.message


def test_two_specimens_of_one_day_and_site_are_two_lines():
    samples = [unplaced_call("ER", "Observation/u1", specimen_ref="Specimen/a"),
               unplaced_call("PR", "Observation/u2", specimen_ref="Specimen/b")]
    note = unplaced_note(samples, ["Observation/u1", "Observation/u2"])
    assert "ER label-u1; PR" not in note.message and "PR label-u2 on right breast" in note.message
