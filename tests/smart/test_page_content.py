"""What the receptor page shows after a real EHR launch (data read from sekmet through the dev EHR)."""
from __future__ import annotations

import json
import re

import pytest
from markupsafe import escape

from cds_hooks.decision import assess

from .patients import CONVERSION_PATIENT_ID, conversion_bundle

pytestmark = pytest.mark.fhir_server


@pytest.fixture
def conversion_assessment():
    return assess([e["resource"] for e in conversion_bundle()["entry"]])


def _launch(dev_ehr, product_app, browser, focus=None, patient=CONVERSION_PATIENT_ID):
    app = product_app()
    ctx = json.dumps({"patient": patient, "focus": focus}) if focus else None
    launch = dev_ehr.auth.create_launch(CONVERSION_PATIENT_ID, app_context=ctx)
    page = browser.get(f"{app.launch_url}?iss={dev_ehr.fhir_base}&launch={launch}")
    assert page.status_code == 200, page.text[:500]
    return page


def test_page_shows_subtype_and_her2_expression_of_the_assessment(dev_ehr, product_app, browser,
                                                                 conversion_assessment):
    """The headline is the decision core's subtype for the data behind the launch, with its qualifiers."""
    page = _launch(dev_ehr, product_app, browser)
    headline = re.search(r'<span class="subtype">(.*?)</span>', page.text).group(1)
    assert headline == str(escape(conversion_assessment.subtype))
    assert f'her2-{conversion_assessment.her2.expression}' in page.text
    assert "ER-/PR+" in page.text
    assert f'<strong class="kv">{conversion_assessment.knowledge_version}</strong>' in page.text


def test_chart_marks_every_result_and_the_metastasis_event(dev_ehr, product_app, browser, conversion_assessment):
    """The SVG has one marker per receptor result, the metastasis line, and states the ER change at relapse."""
    page = _launch(dev_ehr, product_app, browser)
    svg = re.search(r"<svg.*?</svg>", page.text, re.S).group(0)
    assert svg.count('class="mk ') == len(conversion_assessment.history) == 6
    assert 'class="event ev-metastasis"' in svg
    assert svg.count("<rect class=\"mk") == 3        # the three metastasis-biopsy results are squares
    assert "ER: positive before the relapse (2019-03-10), negative after (2023-06-15)" in page.text
    assert page.text.count('<tr class="event-row">') == 2     # text alternative lists the events too


def test_pitfall_is_shown_with_what_to_do(dev_ehr, product_app, browser, conversion_assessment):
    """Each pitfall is a section with its topic code as id, its message and its action."""
    page = _launch(dev_ehr, product_app, browser)
    assert conversion_assessment.alert("P1") is not None
    block = re.search(r'<article id="er-neg-pr-pos-discordance".*?</article>', page.text, re.S).group(0)
    assert "What to do:" in block and str(escape(conversion_assessment.alert("P1").action)) in block


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


def test_options_say_how_many_apply_now(dev_ehr, product_app, browser, conversion_assessment):
    """The options section opens with how many options apply now, and each option names its status in words."""
    page = _launch(dev_ehr, product_app, browser)
    ready = sum(1 for o in conversion_assessment.options if o.status == "applicable")
    assert f"{ready} of {len(conversion_assessment.options)} applicable now" in page.text
    assert page.text.count('<span class="opt-status">') == len(conversion_assessment.options)


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
        assert specimen_cell.startswith("metastasis") and "Liver" in specimen_cell, specimen_cell
    assert 'id="ai-without-ovarian-suppression"' not in page.text
    assert "The EHR refused access" not in page.text
