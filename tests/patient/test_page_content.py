"""The patient page says what the clinician's assessment says, in plain words, and nothing else.

Built for every fixture patient (fixtures/real, synthea and cases) with the same ``assess()`` the
subtype card comes from. Readability is measured with textstat 0.7.8 (syllables from the bundled
CMU dictionary and pyphen: no download at run time; later releases fetch NLTK data).
"""
from __future__ import annotations

import re
from collections import defaultdict

import pytest
import textstat

from cds_hooks.knowledge.patient_content import PATIENT_STATEMENTS, PATIENT_STATEMENTS_TABLE, shown_sources
from cds_hooks.knowledge.sources import FEMALE_ONLY_SOURCES, MALE_ONLY_SOURCES, SOURCES
from tests.decision.test_sources import CONFIRMED

from .fixture_pages import fixture_pages, readable_text

# Addresses of the sources only the patient page cites, and how each was confirmed with the search tool (the
# clinician sources are confirmed in tests/decision/test_sources.py).
PATIENT_CONFIRMED: dict[str, str] = {
    "https://seer.cancer.gov/statfacts/html/breast-subtypes.html": "pages: the SEER page itself (female cases, 2017-2021)",
    "https://www.cancer.org/cancer/types/breast-cancer/understanding-a-breast-cancer-diagnosis/"
    "breast-cancer-hormone-receptor-status.html": "find_string: 6 independent links to the ACS page",
    "https://www.cancer.org/cancer/types/breast-cancer/understanding-a-breast-cancer-diagnosis/"
    "breast-cancer-her2-status.html": "find_string: 7 links to the ACS page under /cancer/types/",
    "https://www.lbbc.org/learn/treatments-and-research": "pages: the LBBC page itself (local and systemic therapy)",
    "https://www.breastcancer.org/research-news/20120620": "pages: the Breastcancer.org article itself",
    "https://cancer.ca/en/cancer-information/resources/glossary/t/targeted-therapy": "pages: the glossary page itself",
    "https://www.cancer.gov/about-cancer/treatment/clinical-trials": "pages: the NCI page itself",
    "https://doi.org/10.1016/S0140-6736(13)62422-8": "pages: PubMed-derived record PMID 24529560 with the title; "
    "find_string: bibliography 'Lancet 384(9938):164-172, PMID 24529560, doi'",
    "https://doi.org/10.3390/curroncol29120761": "pages: the MDPI article page (Curr Oncol 2022;29(12):9695-9710, "
    "DOI shown) and PMC9776827",
}

PAGES = fixture_pages()
IDS = [p.name for p in PAGES]
MAX_GRADE = 8.0
SUBTYPE_STATEMENT = {"HR+/HER2-": "subtype.hr-pos-her2-neg", "HR+/HER2+": "subtype.hr-pos-her2-pos",
                     "HR-/HER2+": "subtype.hr-neg-her2-pos", "triple-negative": "subtype.triple-negative"}
# What each HER2 expression of the card may be said as on the page (or "needs checking").
HER2_STATEMENTS = {
    "positive": {"result.her2.positive-ihc", "result.her2.positive-fish", "result.her2.positive"},
    "low": {"result.her2.low"}, "ultralow": {"result.her2.ultralow"}, "null": {"result.her2.null"},
    "zero-unspecified": {"result.her2.zero"},
    "unknown": {"result.her2.negative-no-score", "result.her2.equivocal", "result.her2.unknown"},
}
RECEPTOR_STATEMENTS = {"positive": {"positive", "positive-no-percent"}, "low-positive": {"low", "low-no-percent"},
                       "negative": {"negative", "negative-no-percent"}, "unknown": {"unknown"}}


def statements_on(html: str) -> list[str]:
    return re.findall(r'data-statement="([^"]+)"', html)


def test_every_fixture_patient_is_rendered():
    """The sweep covers the real, Synthea and curated patients, so an empty list cannot pass."""
    assert len(PAGES) >= 100
    assert {p.assessment.subtype for p in PAGES} == {"HR+/HER2-", "HR+/HER2+", "HR-/HER2+", "triple-negative",
                                                      "indeterminate"}


def test_patient_page_and_subtype_card_agree_for_every_fixture_patient():
    """The page shows the card's subtype or none at all; ER, PR and HER2 are worded as the card states them."""
    for page in PAGES:
        card = page.card["extension"]["receptor-cds"]
        said = statements_on(page.html)
        shown = [s for s in said if s.startswith("subtype.")]
        tumours = card.get("tumours", [])
        if page.explanation.needs_review:
            assert shown == [] and "review.intro" in said, page.name
            assert not any(s.startswith(("frequency.", "kind.")) for s in said), page.name
        elif len({t["subtype"] for t in tumours}) > 1:
            # Cancer in both breasts of different kinds: the card states both, and so does the page, per breast.
            assert card["subtype"] == "indeterminate" and page.explanation.subtype is None, page.name
            assert shown == ["subtype.two-kinds", *(SUBTYPE_STATEMENT[t["subtype"]] for t in tumours)], page.name
            assert [v.side for v in page.explanation.tumours] == [t["side"] for t in tumours], page.name
        else:
            assert card["subtype"] != "indeterminate", page.name
            assert shown == [SUBTYPE_STATEMENT[card["subtype"]]] + (["subtype.both-breasts"] if tumours else []), \
                page.name
            assert page.explanation.subtype == card["subtype"], page.name
        if tumours:
            # Each breast's results are worded as the card states that tumour's.
            for t, view in zip(tumours, page.explanation.tumours):
                lines = [line.statement for line in view.results]
                for receptor in ("er", "pr"):
                    line = next(s for s in lines if s.startswith(f"result.{receptor}.") or s == "result.needs-review")
                    if line != "result.needs-review":
                        assert line.split(".", 2)[2] in RECEPTOR_STATEMENTS[t[receptor]], (page.name, line, t)
                her2 = [s for s in lines if s.startswith("result.her2.")]
                assert not her2 or her2[0] in HER2_STATEMENTS[t["her2Expression"]], (page.name, her2, t)
            continue
        for receptor in ("er", "pr"):
            line = next(s for s in said if s.startswith(f"result.{receptor}.") or s == "result.needs-review")
            if line != "result.needs-review":
                assert line.split(".", 2)[2] in RECEPTOR_STATEMENTS[card[receptor]], (page.name, line, card[receptor])
        her2_lines = [s for s in said if s.startswith("result.her2.")]
        if her2_lines:
            assert her2_lines[0] in HER2_STATEMENTS[card["her2Expression"]], (page.name, her2_lines, card)
        else:
            assert page.explanation.needs_review, page.name


@pytest.mark.parametrize("name, review", [
    ("her2-ihc-3plus", False),                 # clean HR+/HER2+
    ("pitfall-p1-er-neg-pr-pos", True),        # ER-/PR+: results questioned
    ("pitfall-p4-her2-2plus-no-ish", True),    # indeterminate: HER2 2+ waits for FISH
    ("pitfall-p18-conflicting-er", True),      # two ER results on one sample disagree
    ("preliminary-provisional", True),         # rests on a preliminary result
    ("pitfall-p7-her2-negative-no-score", False),   # HER2-negative stands; the score becomes a question
])
def test_review_is_said_plainly_and_shows_no_subtype(name, review):
    """Indeterminate, conflicting or preliminary results: 'your care team needs to look again', no subtype guess."""
    page = next(p for p in PAGES if p.name == name)
    assert page.explanation.needs_review is review
    text = readable_text(page.html)
    assert ("Your care team needs to look at your results again" in text) is review
    assert ("Your cancer is" in text) is not review


def test_results_under_review_are_not_stated_as_values():
    """With conflicting ER results on one sample, the page does not pick one: ER 'needs checking'."""
    page = next(p for p in PAGES if p.name == "pitfall-p18-conflicting-er")
    said = statements_on(page.html)
    assert "result.needs-review" in said and not any(s.startswith("result.er.") for s in said)


def test_readability_grade_at_most_8_for_every_fixture_page():
    """Flesch-Kincaid grade of every rendered page is at most 8 (aim 6); prints the figures per subtype."""
    grades: dict[str, list[float]] = defaultdict(list)
    for page in PAGES:
        grade = textstat.flesch_kincaid_grade(readable_text(page.html))
        grades[page.assessment.subtype if not page.explanation.needs_review else "needs review"].append(grade)
        assert grade <= MAX_GRADE, f"{page.name}: grade {grade:.1f}"
    for kind, values in sorted(grades.items()):
        print(f"readability {kind}: n={len(values)} min {min(values):.1f} max {max(values):.1f}")


def test_readability_measure_can_fail():
    """The same measure rates a dense clinical sentence far above 8, so the bar above is not vacuous."""
    dense = ("Immunohistochemical quantification of oestrogen receptor expression demonstrated heterogeneous "
             "nuclear immunoreactivity necessitating confirmatory fluorescence in situ hybridisation analysis.")
    assert textstat.flesch_kincaid_grade(dense) > 15


def _glossary() -> set[str]:
    return {re.sub(r"<[^>]+>", "", t).lower() for s in PATIENT_STATEMENTS_TABLE
            for t in re.findall(r"<dfn>(.*?)</dfn>", s.text)}


def test_medical_terms_are_explained_where_they_first_appear():
    """Each explained term's first use on the page (in the text a patient reads) is the <dfn> explaining it."""
    terms = _glossary()
    assert {"er", "her2", "ihc", "fish", "biopsy", "stage"} <= terms
    for page in PAGES:
        main = page.html.split('<main id="main">', 1)[1].split("</main>", 1)[0]
        main = re.sub(r"<svg.*?</svg>", "", main, flags=re.S)
        for term in terms:
            pattern = re.compile(rf"(?<![\w-]){re.escape(term)}(?![\w-])", re.I)
            text_only = re.sub(r"<[^>]+>", lambda m: " " * len(m.group(0)), main)   # same offsets, tags blanked
            first = pattern.search(text_only)
            if first is None:
                continue
            before = main[:first.start()]
            assert before.rfind("<dfn>") > before.rfind("</dfn>"), f"{page.name}: '{term}' used before it is explained"


def test_clinician_pitfall_text_is_never_shown():
    """No alert title, message or action reaches the patient page verbatim."""
    for page in PAGES:
        for alert in page.assessment.alerts:
            for text in (alert.title, alert.message, alert.action):
                assert text not in page.html, (page.name, alert.code)


def test_no_statement_prescribes_or_doses():
    """Kinds of treatment only: no 'you should', no dose, no drug name from the options table."""
    from cds_hooks.knowledge.drugs import INGREDIENTS
    drugs = {i.name.lower() for i in INGREDIENTS}
    for s in PATIENT_STATEMENTS_TABLE:
        text = s.text.lower()
        assert "should" not in text and "must" not in text, s.id
        assert not re.search(r"\d\s*(mg|g|ml|mcg)\b|daily|per day|twice", text), s.id
        assert not any(re.search(rf"\b{re.escape(d)}\b", text) for d in drugs), s.id


def _footer_ids(html: str) -> list[str]:
    return re.findall(r'<li id="src-([^"]+)"', html.split('<footer class="sources"', 1)[1])


def test_every_page_shows_only_citable_sources_that_fit_the_patient():
    """Every rendered page of every fixture patient: each source listed is confirmed and citable (never a seed
    page, our own reference or a repository), fits the patient (the male guideline only for a man, and on a man's
    page whenever it lists kinds of treatment; women-only sources never for a man), appears once per address; each sentence names its sources there, and only a
    sentence about the record itself (a date, a missing or unfinished result) may name none."""
    confirmed = {**CONFIRMED, **PATIENT_CONFIRMED}
    for page in PAGES:
        male = (page.assessment.sex or "").lower() == "male"
        listed = _footer_ids(page.html)
        footer = page.html.split('<footer class="sources"', 1)[1]
        assert listed, page.name
        for source_id in listed:
            source = SOURCES[source_id]
            assert source.audience != "internal" and source.url in confirmed, (page.name, source_id)
            assert male or source_id not in MALE_ONLY_SOURCES, (page.name, source_id)
            assert not male or source_id not in FEMALE_ONLY_SOURCES, (page.name, source_id)
            assert f'href="{source.url}"' in footer, (page.name, source_id)
        assert len({SOURCES[i].url for i in listed}) == len(listed), f"{page.name}: one document listed twice"
        if male and page.explanation.kinds:
            assert "asco-male-bc" in listed, f"{page.name}: a man's treatment kinds without the male guideline"
        assert not re.search(r"(?i)seed \d|knowledge base, section|github\.com|clinical-knowledge", footer), page.name
        named: set[str] = set()
        for statement, sources in re.findall(r'data-statement="([^"]+)" data-sources="([^"]*)"', page.html):
            assert statement in PATIENT_STATEMENTS, (page.name, statement)
            assert sources or PATIENT_STATEMENTS[statement].about_record, (page.name, statement, "no citable source")
            for source_id in sources.split():
                assert source_id in listed, (page.name, statement, source_id)
                named.add(source_id)
        assert named == set(listed), (page.name, "listed but cited by no sentence", set(listed) - named)


def test_shown_sources_drop_internal_unfitting_and_repeated_ones():
    """The filter the sweep above relies on: seeds, our reference, the male guideline for a woman, SEER's
    women-only figures for a man, and a second id for one address are all dropped."""
    ids = ("seed-003", "ck-b", "von-minckwitz-2012-pcr", "asco-male-bc", "acs-her2-status", "openonco-ultralow",
           "destiny-breast06-fda-2025", "seer-breast-subtypes")
    assert shown_sources(ids, "female") == ("acs-her2-status", "openonco-ultralow", "seer-breast-subtypes")
    assert shown_sources(ids, None) == ("acs-her2-status", "openonco-ultralow", "seer-breast-subtypes")
    assert shown_sources(ids, "male") == ("asco-male-bc", "acs-her2-status", "openonco-ultralow")


def test_no_page_rests_on_the_withdrawn_age_limit():
    """'More than two years old' (the withdrawn P13c) is said nowhere; results 25 months old with no later disease
    event get no staleness line at all (cases stale-results-25-months, pitfall-p13-stale-results)."""
    for page in PAGES:
        assert "two years" not in page.html and "change.old-results" not in page.html, page.name
    for name in ("stale-results-25-months", "pitfall-p13-stale-results"):
        said = statements_on(next(p for p in PAGES if p.name == name).html)
        assert not {"change.since-tests", "change.relapse-not-retested", "question.up-to-date"} & set(said), name


def test_kinds_of_treatment_come_from_the_clinicians_options():
    """Each kind listed is the kind of at least one option the clinician sees; none without options."""
    from cds_hooks.knowledge.patient_content import TREATMENT_KINDS
    for page in PAGES:
        kinds = {line.statement for line in page.explanation.kinds}
        from_options = {TREATMENT_KINDS.get(o.drug_class) for o in page.assessment.options} - {None}
        assert kinds == (from_options if not page.explanation.needs_review else set()), page.name


def test_picture_has_a_text_alternative_with_every_result():
    """The SVG is an image with a title and a description that states each result the list states."""
    page = next(p for p in PAGES if p.name == "her2-ihc-3plus")
    svg = re.search(r"<svg.*?</svg>", page.html, re.S).group(0)
    assert 'role="img"' in svg and 'aria-labelledby="pic-title pic-desc"' in svg
    desc = re.search(r'<desc id="pic-desc">(.*?)</desc>', svg, re.S).group(1)
    assert "ER positive: 90 out of 100 cells" in desc and "HER2 positive: the IHC score was 3+" in desc
    assert "▲ yours" in svg                     # the patient's HER2 box is marked in words, not only colour


def test_headings_are_in_order():
    """One h1, then h2 sections: no level is skipped on any page."""
    assert PAGES
    for page in PAGES[:: max(1, len(PAGES) // 20)]:
        levels = [int(n) for n in re.findall(r"<h([1-6])\b", page.html)]
        assert levels[0] == 1 and levels.count(1) == 1
        assert all(b - a <= 1 for a, b in zip(levels, levels[1:])), page.name


def test_sign_out_form_only_on_the_portal_page():
    """The portal page carries the sign-out form naming its own view (tested over HTTP in
    tests/smart/test_patient_launch.py); the printed handout never does, even when asked."""
    from app.patient.render import render_page

    ex = PAGES[0].explanation
    portal = render_page(ex, stylesheet_url="/s.css", sign_out=("/patient/logout", "view-1"))
    assert re.search(r'<form class="sign-out" method="post" action="/patient/logout">\s*'
                     r'<input type="hidden" name="view" value="view-1">', portal)
    assert 'class="sign-out"' not in render_page(ex, handout=True, sign_out=("/patient/logout", "view-1"))
    assert 'class="sign-out"' not in render_page(ex, stylesheet_url="/s.css")
