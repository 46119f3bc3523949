"""The patient page over a patient's history: several samples, treatment before surgery, relapse.

Each case is one of the curated histories of ``fixtures/cases`` (history-*, history2-*, review-*), assessed on the
case's own ``today`` as the decision tests do. The expectations come from each case's description and
``expected`` block (which sample governs, residual disease, a conversion, a relapse not biopsied), turned
into what a patient must read: the cancer described by its pre-treatment results after neoadjuvant
therapy, the new biopsy at relapse, "your care team needs to review" when results disagree, and never the
withdrawn "older than two years" line.
"""
from __future__ import annotations

import datetime
import json
import re
from functools import lru_cache
from pathlib import Path

import pytest

from app.patient.explain import explain
from app.patient.render import render_page
from cds_hooks.decision import DecisionConfig, assess

from .fixture_pages import readable_text

CASES = Path(__file__).resolve().parents[2] / "fixtures" / "cases"


@lru_cache(maxsize=None)
def page(name: str) -> tuple[dict, object, str]:
    case = json.loads((CASES / f"{name}.json").read_text())
    ex = explain(_assessment(name), "Test Patient")
    return case["expected"], ex, render_page(ex, handout=True, today=datetime.date(2026, 1, 1))


def said(html: str) -> list[str]:
    return re.findall(r'data-statement="([^"]+)"', html)


SUBTYPE = {"HR+/HER2-": "subtype.hr-pos-her2-neg", "HR+/HER2+": "subtype.hr-pos-her2-pos",
           "HR-/HER2+": "subtype.hr-neg-her2-pos", "triple-negative": "subtype.triple-negative"}


@pytest.mark.parametrize("name", [
    "history-her2pos-neoadjuvant-residual-her2-0-tdm1",     # HER2 3+ core, residual HER2 0 at surgery
    "review-neoadjuvant-statements-only",                   # the same, therapy known from statements only
    "review-male-er-residual-loss-tamoxifen",               # ER 90 % core, residual ER 0 %
])
def test_after_neoadjuvant_therapy_the_page_goes_by_the_pre_treatment_biopsy(name):
    """The case's subtype (pre-treatment samples govern) is shown; the page says the tissue taken at surgery was
    tested too and that the results from before treatment count, and that some cancer was left at surgery. It
    never asks 'will I get medicine before surgery?' of a patient who already had it."""
    expected, ex, html = page(name)
    statements = said(html)
    assert "pre-treatment-samples" in expected["governing"].values() and "residual-disease-result" in \
        expected["subtypeNotes"]
    assert SUBTYPE[expected["subtype"]] in statements and not ex.needs_review
    assert "sample.after-treatment" in statements
    assert "treatment.residual-after-medicine" in statements
    assert "question.before-surgery" not in statements and "treatment.before-surgery" not in statements
    text = readable_text(html)
    assert "Tissue taken out later, after the medicine, was tested too." in text
    if expected.get("her2Status") == "positive":
        # The residual HER2 0 is not stated as the result: the pre-treatment 3+ is.
        assert "result.her2.positive-ihc" in statements and not any(
            s in statements for s in ("result.her2.null", "result.her2.zero"))


def test_only_tissue_taken_after_treatment_is_a_review_not_a_subtype():
    """history-residual-only-her2-0-tdm1: only residual results (HER2 0) after neoadjuvant anti-HER2 therapy.
    The card calls it triple-negative on treated tissue with a warning; the page shows no subtype, says the results
    from before treatment are needed, and states no value for the treated results."""
    expected, ex, html = page("history-residual-only-her2-0-tdm1")
    statements = said(html)
    assert expected["governing"]["HER2"] == "post-treatment-only"
    assert ex.needs_review and not any(s.startswith(("subtype.", "frequency.", "kind.")) for s in statements)
    assert "review.after-treatment-only" in statements
    assert not any(s.startswith(("result.er.", "result.pr.", "result.her2.")) for s in statements)
    assert statements.count("result.needs-review") == 3


@pytest.mark.parametrize("name", [
    "history-conversion-her2-liver-trastuzumab",        # HER2 3+ primary, liver biopsy HER2 0
    "history-conversion-er-liver-fulvestrant",          # ER 90 % primary, liver biopsy ER 0 %
    "review-conversion-her2-gained-at-relapse",         # HER2 1+ primary, liver biopsy HER2 3+
])
def test_at_relapse_the_page_describes_the_new_biopsy_and_asks_for_review_of_the_change(name):
    """The metastasis biopsy governs (the case's expectation); the page says the results come from the new biopsy
    of the cancer that spread, that some differ from the earlier tests and the care team needs to review both, and
    it does not claim the results predate the relapse or ask for a biopsy that was done."""
    expected, ex, html = page(name)
    statements = said(html)
    assert "metastatic-sample" in expected["governing"].values() and "P9" in expected.get("alertsPresent", ["P9"])
    assert SUBTYPE[expected["subtype"]] in statements
    assert {"sample.metastasis", "sample.differs-from-first", "question.review"} <= set(statements)
    assert "change.relapse-not-retested" not in statements and "question.retest" not in statements
    assert "Your care team needs to review both results." in readable_text(html)


def test_a_relapse_without_a_new_biopsy_says_the_tests_are_from_before_it():
    """review-relapse-unbiopsied-fulvestrant: bone metastases never biopsied, primary results stand in (P9 asks for
    a biopsy, P13 marks them as predating the relapse): one line says so and one question asks about a new test;
    the two pitfalls do not make two lines saying the same thing."""
    expected, _ex, html = page("review-relapse-unbiopsied-fulvestrant")
    statements = said(html)
    assert expected["governing"]["ER"] == "early-results-only" and "P9" in expected["alertsPresent"]
    assert "change.relapse-not-retested" in statements and "question.retest" in statements
    assert "change.since-tests" not in statements and "question.up-to-date" not in statements
    assert "sample.metastasis" not in statements


def test_results_older_than_the_current_disease_state_are_said_to_be_so():
    """review-relapse-metastasis-result-preliminary: the liver biopsy's ER 0 % is still preliminary, so the final
    2016 primary result stands in and predates the relapse (P13 as revised); the page says the cancer spread since
    those tests and that a newer result is not final yet; there is no retest line (P9 absent in the case)."""
    expected, _ex, html = page("review-relapse-metastasis-result-preliminary")
    statements = said(html)
    assert "P9" in expected["alertsAbsent"] and "newer-provisional-differs" in expected["dataQuality"]
    assert {"change.since-tests", "question.up-to-date", "sample.newer-not-final"} <= set(statements)
    assert "change.relapse-not-retested" not in statements


def test_an_esr1_result_before_progression_is_not_said_to_be_an_old_receptor_result():
    """pitfall-p13-esr1-before-progression: P13 is about the ESR1 result only; the page (which does not explain
    ESR1) says nothing about outdated receptor results."""
    expected, _ex, html = page("pitfall-p13-esr1-before-progression")
    assert "P13" in expected["alertsPresent"]
    assert not {"change.since-tests", "question.up-to-date"} & set(said(html))


@pytest.mark.parametrize("name, relapse", [
    ("history-de-novo-window-just-below-4-months", False),
    ("history-de-novo-window-at-4-months", False),
    ("history-de-novo-window-just-above-4-months", True),
])
def test_de_novo_stage_iv_window(name, relapse):
    """The SEER four-month window at its threshold: metastases found within it are the same presentation as the
    breast biopsy (nothing said about a relapse); one day beyond, the page says the tests predate the spread."""
    expected, _ex, html = page(name)
    assert expected["episode"]["de_novo_metastatic"] is (not relapse)
    statements = said(html)
    assert ("change.relapse-not-retested" in statements) is relapse
    assert ("question.retest" in statements) is relapse
    assert "sample.metastasis" not in statements


@pytest.mark.parametrize("name", ["history-core-her2-3plus-excision-1plus", "history-core-er30-excision-er0",
                                  "review-tamoxifen-before-diagnosis"])
def test_samples_before_treatment_that_disagree_ask_for_review(name):
    """Core and excision disagree before any treatment (receptor-sample-discordance in the case): the page shows the
    case's subtype (a positive on any pre-treatment sample counts) and says the care team needs to review both
    samples."""
    expected, ex, html = page(name)
    statements = said(html)
    assert "receptor-sample-discordance" in expected["alertsPresent"]
    assert SUBTYPE[expected["subtype"]] in statements and not ex.needs_review
    assert {"sample.samples-differ", "question.review"} <= set(statements)
    assert "Your care team needs to review both samples." in readable_text(html)


@pytest.mark.parametrize("name, statement, differs", [
    ("review-local-recurrence-her2-lost", "sample.recurrence", True),         # HER2 3+ in 2016, 0 at recurrence
    ("review-local-recurrence-her2-gained", "sample.recurrence", True),       # HER2 1+ in 2015, 3+ at recurrence
    ("review-contralateral-new-primary-tnbc", "sample.new-primary", False),   # another cancer, tested on its own
])
def test_a_recurrence_or_a_new_cancer_is_described_by_its_own_biopsy(name, statement, differs):
    """A local recurrence or a new primary in the other breast: its own biopsy governs (the case's subtype); the
    page says so, and for a recurrence whose results differ from the first cancer asks for review; a new primary
    is not a conflict with the first cancer."""
    expected, _ex, html = page(name)
    statements = said(html)
    assert SUBTYPE[expected["subtype"]] in statements and statement in statements
    assert ("sample.differs-from-first" in statements) is differs


def test_a_man_gets_no_figures_for_women_and_no_womens_sources():
    """review-male-er-residual-loss-tamoxifen (a man): no 'how common' line (SEER's figures are for women), no
    SEER or ovarian-suppression trial among the sources."""
    _expected, ex, html = page("review-male-er-residual-loss-tamoxifen")
    assert ex.sex == "male"
    statements = said(html)
    assert not any(s.startswith("frequency.") for s in statements)
    for source_id in ("seer-breast-subtypes", "soft-text-domain", "soft-2015"):
        assert f'id="src-{source_id}"' not in html


HISTORY_CASES = sorted(p.stem for p in CASES.glob("*.json") if re.match(r"(history|history2|review)-", p.name))

# The status a result statement states, per receptor (the page's words mapped back to the core's vocabulary).
_STATED = {"positive": "positive", "positive-no-percent": "positive", "low": "low-positive",
           "low-no-percent": "low-positive", "negative": "negative", "negative-no-percent": "negative",
           "unknown": "unknown"}
_HER2_STATED = {"positive-ihc": "positive", "positive-fish": "positive", "positive": "positive", "low": "negative",
                "ultralow": "negative", "null": "negative", "zero": "negative", "negative-no-score": "negative",
                "equivocal": "equivocal", "unknown": "unknown"}


def test_the_sweep_covers_every_history_case():
    """The sweep below is over the curated histories themselves (a renamed or emptied folder cannot pass it)."""
    assert len(HISTORY_CASES) >= 40
    assert {n.split("-")[0] for n in HISTORY_CASES} == {"history", "history2", "review"}


@pytest.mark.parametrize("name", HISTORY_CASES)
def test_every_history_page_agrees_with_the_core(name):
    """Every history-*, history2-* and review-* case: the page's subtype and result statements say what the core's
    assessment says (and what the case expects, written before the code); which sample counts is said only as the
    core's rule chose it; a change from the first cancer only where the core established one (a conversion, P9
    without a test to order, or the earlier tumour's differing results after a recurrence); residual disease only
    where the core found it; and never a clinical absence or an age limit the core did not establish."""
    expected, ex, html = page(name)
    a = _assessment(name)
    statements = said(html)
    subtypes = [s for s in statements if s.startswith("subtype.")]
    # Subtype: the core's (and the case's), or none at all when the page asks for review.
    assert a.subtype == expected["subtype"]
    two_kinds = len({t.subtype for t in a.tumours}) > 1
    if ex.needs_review:
        assert subtypes == [] and not any(s.startswith(("frequency.", "kind.")) for s in statements)
        assert "review.intro" in statements
    elif two_kinds:
        # Cancer in both breasts of different kinds: the core's subtype is indeterminate (never merged) and the page
        # names each breast's kind, in the core's order, instead of one.
        assert a.subtype == "indeterminate" and a.alert("bilateral-subtypes-differ") is not None
        assert subtypes == ["subtype.two-kinds", *(SUBTYPE[t.subtype] for t in a.tumours)], subtypes
    else:
        assert subtypes[0] == SUBTYPE[a.subtype] and set(subtypes[1:]) <= {"subtype.both-breasts"}, subtypes
        assert ("subtype.both-breasts" in subtypes) == bool(a.tumours)
    # Each result in words states the core's status for that receptor (and the case's where it names one); with
    # cancer in both breasts, each breast's lines state that breast's own call.
    calls = [(t.er, t.pr, t.her2) for t in a.tumours] or [(a.er, a.pr, a.her2)]
    blocks = [view.results for view in ex.tumours] or [ex.results]
    assert len(blocks) == len(calls)
    for findings, lines in zip(calls, blocks):
        stated = {}
        for line in lines:
            m = re.fullmatch(r"result\.(er|pr|her2)\.(.+)", line.statement)
            if m:
                table = _HER2_STATED if m.group(1) == "her2" else _STATED
                stated[m.group(1)] = table[m.group(2)]
        if ex.needs_review and stated == {}:
            assert [line.statement for line in lines].count("result.needs-review") >= 1
        for key, finding in zip(("er", "pr", "her2"), findings):
            if key in stated:
                assert stated[key] == finding.status, (key, stated[key], finding.status)
        for key, field_ in (("er", "er"), ("pr", "pr"), ("her2", "her2Status")):
            if field_ in expected and key in stated and not a.tumours:
                assert stated[key] == expected[field_], (key, stated[key], expected[field_])
    # Which sample counts: as the core's rule chose it.
    rules = {a.er.rule, a.pr.rule, a.her2.rule}
    assert ("sample.metastasis" in statements) <= ("metastatic-sample" in rules)
    # A new primary: said only when the core found one; and said whenever the page states results (a new primary
    # with no result of its own sends the page to review, which says so instead).
    new_primary = a.episode.new_tumour_kind == "new-primary"
    assert ("sample.new-primary" in statements) <= new_primary
    if new_primary and not ex.needs_review:
        assert "sample.new-primary" in statements
    untested = new_primary and {a.er.rule, a.pr.rule, a.her2.rule} == {"none"}
    assert ("review.new-primary-untested" in statements) == untested
    assert ("sample.bilateral" in statements) == bool(a.tumours)
    assert ("sample.unplaced" in statements) == bool(a.episode.unplaced_samples)
    if a.episode.unplaced_samples:
        assert "sample.after-treatment" not in statements and "question.review" in statements
    assert ("sample.recurrence" in statements) <= (a.episode.new_tumour_kind == "recurrence")
    assert ("review.after-treatment-only" in statements) == ("post-treatment-only" in rules)
    p9 = a.alert("P9")
    established_change = (p9 is not None and p9.missing_test is None) or any(
        n.kind == "earlier-tumour-result" for n in a.subtype_notes)
    assert ("sample.differs-from-first" in statements) <= established_change
    assert ("treatment.residual-after-medicine" in statements) <= bool(a.setting.residual_disease)
    if "residual-disease-result" in expected.get("subtypeNotes", []) and a.episode.neoadjuvant is not None:
        assert "treatment.residual-after-medicine" in statements
    # The relapse lines: 'not tested again' only when P9 asks for a biopsy; 'since these tests' only when P13
    # found a receptor result predating the current disease state.
    assert ("change.relapse-not-retested" in statements) == (p9 is not None and p9.missing_test is not None)
    if "P9" in expected.get("alertsAbsent", []):
        assert "change.relapse-not-retested" not in statements and "sample.differs-from-first" not in statements
    assert "two years" not in readable_text(html)


@lru_cache(maxsize=None)
def _assessment(name: str):
    case = json.loads((CASES / f"{name}.json").read_text())
    config = DecisionConfig(today=datetime.date.fromisoformat(case["today"]), **case.get("config", {}))
    return assess([e["resource"] for e in case["bundle"]["entry"]], config)


@pytest.mark.parametrize("name", ["review-residual-loss-then-metastasis-her2pos",
                                  "review-early-recurrence-residual-not-pulled-in"])
def test_residual_tissue_that_differs_is_not_called_a_change_from_the_first_cancer(name):
    """The HER2 0 on tissue left after treatment before surgery never counted (the core names no conversion, the
    case expects none): the new biopsy agreeing with the first biopsy is not said to differ from it."""
    expected, _ex, html = page(name)
    statements = said(html)
    assert "anti-her2-for-her2-negative" in expected["alertsAbsent"]
    assert "sample.differs-from-first" not in statements and "question.review" not in statements


@pytest.mark.parametrize("name, left, right", [
    # From each case's description (written before the code): left and right breast cores.
    ("history2-bilateral-synchronous-different-subtypes", "HR+/HER2-", "triple-negative"),
    ("history2-bilateral-synchronous-her2-right-trastuzumab", "HR+/HER2-", "HR-/HER2+"),
])
def test_cancer_in_both_breasts_of_different_kinds_is_named_per_breast(name, left, right):
    """Two primaries of different kinds: the page names both, each under its breast, with each breast's own results
    and picture; it does not ask for review as if a result were in doubt, does not say results are missing, and
    asks how treatment will cover both cancers."""
    _expected, ex, html = page(name)
    statements = said(html)
    assert not ex.needs_review and ex.subtype is None
    assert [v.side for v in ex.tumours] == ["left", "right"]
    assert [v.subtype_lines[0].statement for v in ex.tumours] == [SUBTYPE[left], SUBTYPE[right]]
    assert {"sample.bilateral", "subtype.two-kinds", "question.both-cancers"} <= set(statements)
    assert not {"review.intro", "review.missing", "review.her2-unsettled"} & set(statements)
    assert not any(s.startswith("frequency.") for s in statements)
    text = readable_text(html)
    assert text.index("The cancer in your left breast") < text.index("The cancer in your right breast")
    assert html.count('class="results-picture"') == 2
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "an element id used twice"


def test_cancer_in_both_breasts_of_one_kind_is_said_once():
    """history2-bilateral-synchronous-same-subtype: both HR+/HER2-; the kind is said once, for both breasts, and each
    breast keeps its own results (the left PR 0 % and HER2 0 are not merged into the right's PR 60 % and HER2 1+)."""
    _expected, ex, html = page("history2-bilateral-synchronous-same-subtype")
    statements = said(html)
    assert [s for s in statements if s.startswith("subtype.")] == ["subtype.hr-pos-her2-neg", "subtype.both-breasts"]
    left, right = ([line.statement for line in v.results] for v in ex.tumours)
    assert "result.pr.negative" in left and "result.her2.zero" in left
    assert "result.pr.positive" in right and "result.her2.low" in right
    # HER2-low holds for one breast only: not said of "your cancer".
    assert "qualifier.her2-low" not in statements


def test_a_new_primary_without_results_is_not_described_by_the_first_cancer():
    """history2-new-primary-condition-untested: a right breast cancer in 2025 with no result of its own; the page asks
    for review, says the new cancer has no results yet, and does not call the HER2 result 'not settled'."""
    _expected, ex, html = page("history2-new-primary-condition-untested")
    statements = said(html)
    assert ex.needs_review and "review.new-primary-untested" in statements
    assert "review.her2-unsettled" not in statements and not any(s.startswith("subtype.") for s in statements)


@pytest.mark.parametrize("name", ["history2-later-breast-sample-side-unknown",
                                  "history2-first-tumour-side-unknown-later-right-sample"])
def test_a_later_sample_the_record_cannot_place_is_not_called_treated_tissue(name):
    """A breast sample years later that no record places (the core's tumour-of-sample-unclear): the page says the
    record cannot tell which cancer it came from and asks for review, instead of calling it tissue taken after
    treatment."""
    expected, _ex, html = page(name)
    statements = said(html)
    assert "tumour-of-sample-unclear" in expected.get("subtypeNotes", ["tumour-of-sample-unclear"])
    assert "sample.unplaced" in statements and "question.review" in statements
    assert "sample.after-treatment" not in statements
