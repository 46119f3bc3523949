"""The fixture population's ``report.html`` in headless Debian Chromium: it renders without any script, its
numbers are the worklist's, and it prints. The screenshot and the PDF go to ``test-output/audit/`` (or
``$RECEPTOR_TEST_OUTPUT/audit``); their paths are printed."""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections import Counter
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.fhir_server]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-quic"]
OUTPUT_DIR = Path(os.environ.get("RECEPTOR_TEST_OUTPUT", Path(__file__).resolve().parents[2] / "test-output")) / "audit"

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing and CI is set: install Debian's chromium package", pytrace=False)
    pytest.skip(f"{CHROMIUM} is not installed (Debian package 'chromium'); the report test needs it",
                allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")


def test_the_report_opens_in_chromium_shows_the_worklists_numbers_and_prints(fixture_audit: Path):
    rows = [json.loads(line) for line in (fixture_audit / "worklist.ndjson").read_text().splitlines()]
    subtypes = Counter(r["subtype"] for r in rows)
    her2 = Counter(r["her2Expression"] for r in rows)
    topics = Counter(t for r in rows for t in r["topics"] if t not in ("receptor-subtype", "treatment-options"))
    low_metastatic = sorted(r["patient"] for r in rows
                            if r["setting"] == "metastatic" and r["her2Expression"] in ("low", "ultralow"))
    profile = tempfile.mkdtemp(prefix="receptor-cds-chromium-")
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    try:
        with sync_api.sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS,
                viewport={"width": 1100, "height": 900}, java_script_enabled=False)
            page = context.pages[0] if context.pages else context.new_page()
            page.goto((fixture_audit / "report.html").as_uri())
            sync_api.expect(page.get_by_role("heading", name="Receptor CDS population audit")).to_be_visible()
            assert page.locator("script").count() == 0
            assert page.locator("svg").count() >= 3
            section = page.locator("section", has=page.get_by_role("heading", name="Receptor subtype"))
            for subtype, n in subtypes.items():
                assert section.locator("tr", has_text=subtype).first.locator("td").nth(1).inner_text() == str(n)
            section = page.locator("section", has=page.get_by_role("heading", name="HER2 expression"))
            for expression, n in her2.items():
                cells = section.locator("table").first.locator("tr", has=page.locator(f"td:text-is('{expression}')"))
                assert cells.locator("td").nth(1).inner_text() == str(n)
            section = page.locator("section", has=page.get_by_role("heading", name="Open pitfalls by topic"))
            for topic, n in topics.items():
                row = section.locator("tr", has=page.locator(f"code:text-is('{topic}')"))
                assert row.locator("td").nth(2).inner_text() == str(n), topic
            section = page.locator("section", has=page.get_by_role("heading", name="HER2-low and HER2-ultralow, "
                                                                                     "metastatic disease"))
            assert section.locator("td.ids").all_inner_texts() == low_metastatic
            shot = OUTPUT_DIR / "report.png"
            page.screenshot(path=str(shot), full_page=True)
            pdf = OUTPUT_DIR / "report.pdf"
            page.pdf(path=str(pdf), format="A4")
            context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    print(f"screenshot: {shot}\nprinted: {pdf}")
    assert shot.stat().st_size > 10_000
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf.read_bytes())) >= 2, "the report prints on pages"
