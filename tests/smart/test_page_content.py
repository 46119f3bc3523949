"""What the receptor page shows after a real EHR launch (data read from sekmet through the dev EHR).

The expectations come from the curated case file of the launched patient (``fixtures/cases/smart-conversion.json``,
written from the sources) and from the knowledge tables (pitfall wording), never from running the decision core
in the test; the product's clock is pinned to the case's ``today``, so staleness and age rules cannot drift.
"""
from __future__ import annotations

import json
import re
from datetime import date

import pytest
from markupsafe import escape

from cds_hooks.decision import DecisionConfig
from cds_hooks.knowledge import KNOWLEDGE_VERSION
from cds_hooks.knowledge.pitfalls import PITFALLS

from .patients import CONVERSION_PATIENT_ID, conversion_case

pytestmark = pytest.mark.fhir_server

CASE = conversion_case()
EXPECTED = CASE["expected"]
PINNED = DecisionConfig(today=date.fromisoformat(CASE["today"]))
RECEPTOR_CODES = {"85329-1", "85325-9", "85319-2"}     # ER %, PR %, HER2 IHC: what the case's chart plots


def _launch(dev_ehr, product_app, browser, focus=None, patient=CONVERSION_PATIENT_ID):
    app = product_app(decision_config=PINNED)
    ctx = json.dumps({"patient": patient, "focus": focus}) if focus else None
    launch = dev_ehr.auth.create_launch(CONVERSION_PATIENT_ID, app_context=ctx)
    page = browser.get(f"{app.launch_url}?iss={dev_ehr.fhir_base}&launch={launch}")
    assert page.status_code == 200, page.text[:500]
    return page


def test_case_file_states_what_the_page_tests_rely_on():
    """The case names the findings these tests check (so none of the checks below is vacuous)."""
    assert EXPECTED["subtype"] and EXPECTED["her2Expression"] and EXPECTED["modifiers"]
    assert {"P1", "P9", "P10"} <= set(EXPECTED["alertsPresent"])


def test_page_shows_subtype_and_her2_expression_of_the_case(dev_ehr, product_app, browser):
    """The headline is the case's subtype, with its HER2 expression and modifiers, and the knowledge version."""
    page = _launch(dev_ehr, product_app, browser)
    headline = re.search(r'<span class="subtype">(.*?)</span>', page.text).group(1)
    assert headline == str(escape(EXPECTED["subtype"]))
    assert f'her2-{EXPECTED["her2Expression"]}' in page.text
    for modifier in EXPECTED["modifiers"]:
        assert modifier in page.text
    assert f'<strong class="kv">{KNOWLEDGE_VERSION}</strong>' in page.text


def test_chart_marks_every_result_and_the_metastasis_event(dev_ehr, product_app, browser):
    """The SVG has one marker per receptor result of the case, the metastasis line, and states the ER change."""
    page = _launch(dev_ehr, product_app, browser)
    svg = re.search(r"<svg.*?</svg>", page.text, re.S).group(0)
    results = [e["resource"] for e in CASE["bundle"]["entry"] if e["resource"]["resourceType"] == "Observation"
               and e["resource"]["code"]["coding"][0]["code"] in RECEPTOR_CODES]
    assert len(results) == 6
    assert svg.count('class="mk ') == len(results)
    assert 'class="event ev-metastasis"' in svg
    assert svg.count("<rect class=\"mk") == 3        # the three metastasis-biopsy results are squares
    assert "ER: positive before the relapse (2019-03-10), negative after (2023-06-15)" in page.text
    assert page.text.count('<tr class="event-row">') == 2     # text alternative lists the events too


@pytest.mark.parametrize("code", EXPECTED["alertsPresent"])
def test_each_expected_pitfall_is_shown_with_what_to_do(dev_ehr, product_app, browser, code):
    """Each pitfall the case expects is a section with its topic code as id and the table's action."""
    page = _launch(dev_ehr, product_app, browser)
    spec = PITFALLS[code]
    block = re.search(rf'<article id="{re.escape(spec.topic)}".*?</article>', page.text, re.S)
    assert block, f"{code} ({spec.topic}) not on the page"
    assert "What to do:" in block.group(0)
    if code == "P1":
        assert str(escape(spec.action)) in block.group(0)


def test_app_context_focus_on_a_pitfall(dev_ehr, product_app, browser):
    """A pitfall card's appContext focus highlights that alert and the redirect lands on its anchor."""
    page = _launch(dev_ehr, product_app, browser, focus="er-neg-pr-pos-discordance")
    assert re.search(r'<article id="er-neg-pr-pos-discordance" class="alert sev-\w+ focus"', page.text)
    hop = next(h for h in browser.hops if "/smart/app/" in h.headers.get("Location", ""))
    assert hop.headers["Location"].endswith("#er-neg-pr-pos-discordance")


def test_app_context_for_another_patient_is_not_followed(dev_ehr, product_app, browser):
    """A card context naming a different patient than the launch does not steer the page."""
    page = _launch(dev_ehr, product_app, browser, focus="er-neg-pr-pos-discordance", patient="someone-else")
    assert " focus\"" not in page.text
    assert "about another patient" in page.text


def test_conversion_at_relapse_is_in_the_first_screen(dev_ehr, product_app, browser):
    """The change at relapse is stated in the subtype summary and flagged in the sticky banner, not only in the chart."""
    page = _launch(dev_ehr, product_app, browser)
    summary = re.search(r'<section id="receptor-subtype".*?</section>', page.text, re.S).group(0)
    assert "Receptor status changed at relapse" in summary
    assert "ER: positive before the relapse (2019-03-10), negative after (2023-06-15)" in summary
    banner = re.search(r'<header class="banner.*?</header>', page.text, re.S).group(0)
    assert "changed at relapse" in banner and 'href="#receptor-subtype"' in banner


def test_options_say_how_many_apply_now(dev_ehr, product_app, browser):
    """ER-negative/PR-positive keeps HR+ provisional until ER is re-checked (P1), so no option applies yet: the
    section says "0 of N applicable now" and names a status for each of the N options."""
    page = _launch(dev_ehr, product_app, browser)
    shown = re.search(r"(\d+) of (\d+) applicable now", page.text)
    assert shown, "the options section does not say how many apply"
    assert shown.group(1) == "0" and int(shown.group(2)) > 0
    assert page.text.count('<span class="opt-status">') == int(shown.group(2))
    assert "applicable now</span>" not in page.text


def test_page_reads_specimens_and_procedures(dev_ehr, product_app, browser):
    """Results whose site is only on their Specimen show that specimen (a metastasis, the liver), not
    "unknown"; the bilateral oophorectomy is read, so letrozole raises no missing-suppression pitfall
    (issue 13 §2: the page reads what the decision core reads)."""
    from .patients import SPECIMEN_PATIENT_ID

    app = product_app()
    launch = dev_ehr.auth.create_launch(SPECIMEN_PATIENT_ID)
    page = browser.get(f"{app.launch_url}?iss={dev_ehr.fhir_base}&launch={launch}")
    assert page.status_code == 200, page.text[:500]
    table = re.search(r'<table class="history">.*?</table>', page.text, re.S).group(0)
    rows = re.findall(r"<tr><td class=\"date\">.*?</tr>", table, re.S)
    assert len(rows) == 3
    for row in rows:
        specimen_cell = re.findall(r"<td>(.*?)</td>", row, re.S)[-1]
        assert specimen_cell == "liver (metastasis)", specimen_cell
    assert 'id="ai-without-ovarian-suppression"' not in page.text
    assert "The EHR refused access" not in page.text
