"""The demo in a real browser: headless Debian Chromium drives ``receptor-cds demo`` (a real subprocess).

Chart -> cards -> the subtype card's SMART link -> EHR launch (authorization code + PKCE) -> the
SMART app page with the subtype, the receptor chart and a pitfall. Screenshots go to
``test-output/browser/`` (or ``$RECEPTOR_TEST_OUTPUT/browser``); the paths are printed.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.fhir_server]

CHROMIUM = "/usr/bin/chromium"
# Flags for running as root in a container, with no background traffic (the house network rule).
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-quic"]
OUTPUT_DIR = Path(os.environ.get("RECEPTOR_TEST_OUTPUT", Path(__file__).resolve().parents[2] / "test-output")) / "browser"
# mCODE's Jenny M: ER+ PR- HER2 negative reported without an IHC score (a pitfall the app shows).
JENNY = "cancer-patient-jenny-m"

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing and CI is set: install Debian's chromium package", pytrace=False)
    pytest.skip(f"{CHROMIUM} is not installed (Debian package 'chromium'); the browser test needs it",
                allow_module_level=True)

try:
    from playwright import sync_api
except ImportError:
    # The test extra declares playwright; missing it in CI is a broken install, not a reason to skip.
    if os.environ.get("CI"):
        pytest.fail("playwright is not installed and CI is set: install the test extra (pip install -e '.[test]')",
                    pytrace=False)
    pytest.skip("playwright is not installed (pip install -e '.[test]'); the browser test needs it",
                allow_module_level=True)


@pytest.fixture
def page():
    profile = tempfile.mkdtemp(prefix="receptor-cds-chromium-")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS,  # the fresh --user-data-dir is `profile`
            viewport={"width": 1280, "height": 1000})
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


def screenshot(page, name: str) -> Path:
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUTPUT_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    return path


def test_chart_cards_then_smart_link_opens_the_app(demo, page):
    """Open Jenny M's chart, see the CDS cards, follow the subtype card's SMART link into the app page."""
    page.goto(demo.url + "/")
    screenshot(page, "00-ehr-patient-list")
    page.get_by_role("link", name="Open chart of Jenny M").click()
    page.wait_for_url(f"**/chart/{JENNY}")
    cards = page.locator("article.card")
    sync_api.expect(cards.first).to_be_visible(timeout=30_000)
    subtype_card = page.locator('article.card[data-topic="receptor-subtype"]')
    sync_api.expect(subtype_card).to_have_count(1)
    sync_api.expect(page.locator("#ehr-subtype")).to_have_text("HR+/HER2-")
    assert page.locator("article.card.indicator-warning, article.card.indicator-critical").count() >= 1
    screenshot(page, "01-ehr-chart-jenny-m")

    subtype_card.locator("button.smart-link").first.click()
    page.wait_for_url("**/smart/**", timeout=30_000)
    page.wait_for_load_state("networkidle")
    sync_api.expect(page.locator("#receptor-subtype .subtype")).to_have_text("HR+/HER2-", timeout=30_000)
    sync_api.expect(page.locator("svg.receptor-chart")).to_be_visible()
    pitfalls = page.locator("#pitfalls article.alert")
    assert pitfalls.count() >= 1, "no pitfall on the app page"
    sync_api.expect(pitfalls.first).to_be_visible()
    screenshot(page, "02-smart-app-jenny-m")


def test_open_app_button_launches_for_the_open_patient(demo, page):
    """The chart's "Open Receptor app" button performs an EHR launch for the patient whose chart is open."""
    page.goto(f"{demo.url}/chart/{JENNY}")
    page.locator("#open-app").click()
    page.wait_for_url("**/smart/**", timeout=30_000)
    sync_api.expect(page).to_have_title(re.compile(r"Jenny M"), timeout=30_000)
    sync_api.expect(page.locator("#receptor-subtype .subtype")).to_have_text("HR+/HER2-")
    screenshot(page, "03-smart-app-open-button")


@pytest.mark.parametrize("patient, name, subtype, topic", [
    (JENNY, "Jenny M", "HR+/HER2-", "her2-ihc-score-missing"),
    ("839d7383-b6bc-420a-8854-90a4b86cf1c5", "Emiko Jones", "HR+/HER2-", "er-neg-pr-pos-discordance"),
    ("her2-ihc-2plus-no-ish", "her2-ihc-2plus-no-ish", "indeterminate", "her2-equivocal-needs-ish"),
], ids=["jenny-m-mcode", "emiko-jones-synthea", "case-her2-2plus-no-ish"])
def test_pitfall_card_link_opens_the_app_at_that_pitfall(demo, page, patient, name, subtype, topic):
    """For each demo patient: the chart shows the subtype and the pitfall card; its SMART link lands on that pitfall."""
    page.goto(f"{demo.url}/chart/{patient}")
    sync_api.expect(page.locator("#ehr-subtype")).to_have_text(subtype, timeout=30_000)
    card = page.locator(f'article.card[data-topic="{topic}"]')
    sync_api.expect(card).to_have_count(1)
    assert "indicator-info" not in (card.get_attribute("class") or "")
    screenshot(page, f"10-ehr-chart-{patient}")
    card.locator("button.smart-link").first.click()
    page.wait_for_url(f"**/smart/**#{topic}", timeout=30_000)
    sync_api.expect(page).to_have_title(re.compile(re.escape(name)))
    sync_api.expect(page.locator("#receptor-subtype .subtype")).to_have_text(subtype)
    sync_api.expect(page.locator(f'[id="{topic}"]')).to_be_visible()
    screenshot(page, f"11-smart-app-{patient}")
