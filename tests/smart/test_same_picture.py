"""patient-view through HTTP and the SMART page show the same receptor picture, for every curated case.

Issue 13 asks for one test: for every case in ``fixtures/cases``, loaded into a real FHIR server, the
CDS service called over HTTP (prefetch filled from that server the way an EHR fills it) and the SMART
page reached by a real EHR launch must agree on the subtype, ER, PR and HER2 status, HER2 expression,
setting and the pitfalls shown (a card's own topic and the other pitfalls it answers; the page's
sections and their anchors). Both run with their default decision settings and today's date, so the
comparison is between the two paths, not against the case's expectations (the case table tests those).
The page text a clinician reads is also held to the clinician-text check (no internal reference, enum
value, file name or raw timestamp), as the cards are in tests/service/test_clinician_text.py.
"""
from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest
import requests

from cds_hooks.service.discovery import PREFETCH
from cds_hooks.service.prefetch import fill_template
from tests.clinician_text import page_text, problems

pytestmark = pytest.mark.fhir_server

CASES = sorted((Path(__file__).resolve().parents[2] / "fixtures" / "cases").glob("*.json"))
DESCRIPTIVE = {"receptor-subtype", "treatment-options"}


def _patient_id(case: dict) -> str:
    return next(e["resource"]["id"] for e in case["bundle"]["entry"] if e["resource"]["resourceType"] == "Patient")


def _cds_picture(app_base: str, fhir: str, token: str, patient: str) -> dict:
    """The receptor picture of patient-view over HTTP, prefetch filled as an EHR fills it."""
    context = {"userId": "Practitioner/same-picture", "patientId": patient}
    prefetch = {}
    for key, template in PREFETCH.items():
        query = fill_template(template, context)
        answer = requests.get(f"{fhir}/{query}", headers={"Authorization": f"Bearer {token}",
                                                          "Accept": "application/fhir+json"}, timeout=30)
        prefetch[key] = answer.json() if answer.status_code == 200 else None
    body = {"hook": "patient-view", "hookInstance": str(uuid.uuid4()), "context": context, "prefetch": prefetch}
    response = requests.post(f"{app_base}/cds-services/receptor-assessment", json=body, timeout=60)
    assert response.status_code == 200, response.text[:300]
    cards = response.json()["cards"]
    block = next(c for c in cards if c["source"]["topic"]["code"] == "receptor-subtype")["extension"]["receptor-cds"]
    topics = {c["source"]["topic"]["code"] for c in cards} - DESCRIPTIVE
    topics |= {t for c in cards for t in c.get("extension", {}).get("receptor-cds", {}).get("coveredTopics", [])}
    return {"subtype": block["subtype"], "er": block["er"], "pr": block["pr"], "her2": block["her2"],
            "her2Expression": block["her2Expression"], "setting": block["setting"], "topics": topics}


def _page_picture(html: str) -> dict:
    """The same picture as the SMART page states it (the summary's data attributes, the pitfall sections)."""
    summary = re.search(r'<section id="receptor-subtype"[^>]*>', html, re.S).group(0)
    attr = dict(re.findall(r'data-([a-z0-9-]+)="([^"]*)"', summary))
    pitfalls = re.search(r'<section id="pitfalls".*?</section>', html, re.S).group(0)
    topics = set(re.findall(r'<(?:article|span) id="([a-z0-9-]+)"', pitfalls))
    return {"subtype": attr["subtype"].replace("&#43;", "+"), "er": attr["er"], "pr": attr["pr"],
            "her2": attr["her2"], "her2Expression": attr["her2-expression"], "setting": attr["setting"],
            "topics": topics}


def test_patient_view_over_http_and_the_smart_page_show_the_same_receptor_picture(dev_ehr, product_app, browser):
    """For every case: same subtype, ER/PR/HER2 status, HER2 expression, setting and pitfalls; page text clean."""
    app = product_app(cds_auth_disabled=True)
    token = dev_ehr.sekmet.mint_access_token("user/*.rs", lifetime=3600)
    differences, unclean = {}, {}
    for path in CASES:
        case = json.loads(path.read_text(encoding="utf-8"))
        patient = _patient_id(case)
        dev_ehr.sekmet.load_bundle(case["bundle"], f"same-picture-{path.stem}")
        cards = _cds_picture(app.base, dev_ehr.sekmet.base_url, token, patient)
        launch = dev_ehr.auth.create_launch(patient)
        page = browser.get(f"{app.launch_url}?iss={dev_ehr.fhir_base}&launch={launch}")
        assert page.status_code == 200, (path.stem, page.text[:300])
        shown = _page_picture(page.text)
        if cards != shown:
            differences[path.stem] = {k: (cards[k], shown[k]) for k in cards if cards[k] != shown[k]}
        found = problems(page_text(page.text).replace(patient, "the patient"))
        if found:
            unclean[path.stem] = found
    assert len(CASES) > 100
    assert not differences, differences
    assert not unclean, unclean
