"""The patient page in a real browser: opened through the demo's patient portal, and printed.

Headless Debian Chromium. Portal sign-in -> "Explain my receptor results" -> SMART EHR launch of
the patient page (authorization code + PKCE, Patient fhirUser) -> the page at desktop and phone
width, at 200 % text size, by keyboard. The printed handout of the longest fixture pages is
printed to PDF on A4 and Letter and must fit two pages. Screenshots go to
``test-output/browser/patient-*.png`` (or ``$RECEPTOR_TEST_OUTPUT/browser``); the paths are printed.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from app.patient.render import render_page
from tests.patient.fixture_pages import TODAY, fixture_pages, readable_text

pytestmark = [pytest.mark.browser, pytest.mark.fhir_server]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-quic"]
OUTPUT_DIR = Path(os.environ.get("RECEPTOR_TEST_OUTPUT", Path(__file__).resolve().parents[2] / "test-output")) / "browser"
# Five patients of different subtypes (demo fixtures): patient id, display name, what the page must say.
FIVE = [
    ("cancer-patient-jenny-m", "Jenny M", "subtype.hr-pos-her2-neg"),
    ("839d7383-b6bc-420a-8854-90a4b86cf1c5", "Emiko Jones", "review.intro"),
    ("her2-ihc-3plus", "her2-ihc-3plus", "subtype.hr-pos-her2-pos"),
    ("option-her2pos-early", "option-her2pos-early", "subtype.hr-neg-her2-pos"),
    ("option-tnbc-metastatic-cps-gbrca", "option-tnbc-metastatic-cps-gbrca", "subtype.triple-negative"),
]

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing and CI is set: install Debian's chromium package", pytrace=False)
    pytest.skip(f"{CHROMIUM} is not installed (Debian package 'chromium')", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser_context():
    profile = tempfile.mkdtemp(prefix="receptor-cds-chromium-")
    with sync_api.sync_playwright() as playwright:
        # bypass_csp only so the test can set the text size from outside; the page itself runs no script.
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS, bypass_csp=True,
            viewport={"width": 1280, "height": 900})
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


def _shot(page, name: str) -> Path:
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUTPUT_DIR / f"patient-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    return path


def _overflows(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth + 1")


def _open_through_portal(page, demo, patient: str, name: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{demo.url}/portal")
    sign_in = page.get_by_role("link", name=f"Sign in as {name}", exact=True)
    if sign_in.count():
        sign_in.click()
        page.wait_for_url(f"**/portal/{patient}")
    else:                                   # curated cases are listed under their own display names
        page.goto(f"{demo.url}/portal/{patient}")
    page.locator("#explain-my-results").click()
    page.wait_for_url("**/patient/app/**", timeout=30_000)
    sync_api.expect(page.locator("h1")).to_have_text("Your breast cancer test results", timeout=30_000)


@pytest.mark.parametrize("patient, name, statement", FIVE, ids=[f[0][:24] for f in FIVE])
def test_portal_launch_at_desktop_and_phone_width(demo, browser_context, patient, name, statement):
    """Each of five patients opens their page from the portal; it reads at 1280 and 360 px without sideways scroll."""
    page = browser_context.new_page()
    try:
        _open_through_portal(page, demo, patient, name)
        assert page.locator(f'[data-statement="{statement}"]').count() == 1
        assert page.locator("svg.results-picture[role=img] desc").count() == 1
        _shot(page, f"{patient[:24]}-desktop")
        page.set_viewport_size({"width": 360, "height": 780})
        assert not _overflows(page), "sideways scrolling at 360 px"
        _shot(page, f"{patient[:24]}-phone")
    finally:
        page.close()


def test_200_percent_text_and_keyboard(demo, browser_context):
    """At 360 px with the text at 200 % nothing overflows sideways; Tab reaches the skip link first and it works."""
    page = browser_context.new_page()
    try:
        patient, name, _ = FIVE[0]
        _open_through_portal(page, demo, patient, name)
        page.set_viewport_size({"width": 360, "height": 780})
        page.evaluate("document.documentElement.style.fontSize = '200%'")
        assert page.evaluate("getComputedStyle(document.body).fontSize") == "34px"
        assert not _overflows(page), "sideways scrolling at 200 % text size"
        _shot(page, f"{patient[:24]}-phone-200pct")
        page.evaluate("document.documentElement.style.fontSize = ''")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip"
        page.keyboard.press("Enter")
        assert page.url.endswith("#main")
        links = page.locator("footer.sources a").count()
        for _ in range(links):
            page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.closest('footer') !== null")
    finally:
        page.close()


def _pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


def test_handout_prints_on_two_pages_a4_and_letter(browser_context):
    """The handouts with the most text (and one per subtype) print on at most two A4 and two Letter pages."""
    pages = fixture_pages()
    longest = sorted(pages, key=lambda p: len(readable_text(p.html)), reverse=True)[:6]
    per_kind = {}
    for p in pages:
        per_kind.setdefault("review" if p.explanation.needs_review else p.assessment.subtype, p)
    chosen = {p.name: p for p in [*longest, *per_kind.values()]}
    tab = browser_context.new_page()
    counts = {}
    try:
        for name, p in chosen.items():
            tab.set_content(render_page(p.explanation, handout=True, today=TODAY))
            for fmt in ("A4", "Letter"):
                counts[(name, fmt)] = _pdf_pages(tab.pdf(format=fmt, print_background=True))
        OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
        (OUTPUT_DIR / "patient-handout-longest-A4.pdf").write_bytes(
            (tab.set_content(render_page(longest[0].explanation, handout=True, today=TODAY)) or tab).pdf(format="A4"))
    finally:
        tab.close()
    print("printed pages:", counts)
    assert all(1 <= n <= 2 for n in counts.values()), counts


def test_sign_out_by_keyboard(demo, browser_context):
    """After the skip link, Tab reaches the Sign out button; Enter ends the session: the signed-out page shows, and
    the page's address then answers 'Session ended' instead of the results."""
    page = browser_context.new_page()
    try:
        patient, name, _ = FIVE[1]
        _open_through_portal(page, demo, patient, name)
        address = page.url
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.closest('form.sign-out') !== null")
        page.keyboard.press("Enter")
        sync_api.expect(page.locator("h1")).to_have_text("You have signed out", timeout=30_000)
        page.goto(address)
        sync_api.expect(page.locator("h1")).to_have_text("Session ended")
    finally:
        page.close()
