"""Every resource the core reads reaches it over HTTP (issue 13 §2): the oophorectomy that makes a woman
under 60 postmenopausal travels from a real FHIR server to the rules, by prefetch and by our own fetch.

Before the declaration (cds_hooks.decision.reads) the service never asked for Procedure, so this woman on
letrozole got a critical "aromatase inhibitor without ovarian suppression" card.
"""
from __future__ import annotations

import datetime
import json
import uuid
from pathlib import Path

import pytest

from cds_hooks.decision import DecisionConfig

from .conftest import REPO
from .test_cases_through_http import prefetch_like_a_client

pytestmark = pytest.mark.fhir_server

ASSESS = "/cds-services/receptor-assessment"
CASE = REPO / "fixtures" / "cases" / "oophorectomy-letrozole-no-ofs-alert.json"
AI_TOPIC = "ai-without-ovarian-suppression"


def _case() -> dict:
    return json.loads(Path(CASE).read_text(encoding="utf-8"))


def _body(prefetch: dict | None, fhir_server: str | None = None) -> dict:
    case = _case()
    patient = case["bundle"]["entry"][0]["resource"]["id"]
    body = {"hook": "patient-view", "hookInstance": str(uuid.uuid4()),
            "context": {"userId": "Practitioner/case-runner", "patientId": patient}}
    if prefetch is not None:
        body["prefetch"] = prefetch
    if fhir_server:
        body["fhirServer"] = fhir_server
    return body


def _config() -> DecisionConfig:
    return DecisionConfig(today=datetime.date.fromisoformat(_case()["today"]))


def _topics(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [c["source"]["topic"]["code"] for c in response.get_json()["cards"]]


def test_prefetched_oophorectomy_reaches_the_rules(fhir_server, make_cds):
    """The discovery templates ask for the Procedure; with it the AI-without-suppression card is not raised."""
    patient = _case()["bundle"]["entry"][0]["resource"]["id"]
    prefetch = prefetch_like_a_client(fhir_server.base_url, patient)
    procedures = [e["resource"] for e in prefetch["procedures"].get("entry", [])]
    assert [p["code"]["coding"][0]["code"] for p in procedures] == ["29827000"]
    topics = _topics(make_cds(config=_config()).post(ASSESS, _body(prefetch)))
    assert "receptor-subtype" in topics and AI_TOPIC not in topics


def test_oophorectomy_fetched_from_fhir_server_when_not_prefetched(fhir_server, make_cds):
    """Without prefetch the service fetches every declared read itself, Procedure included."""
    cds = make_cds([fhir_server.base_url], config=_config())
    topics = _topics(cds.post(ASSESS, _body(None, fhir_server.base_url)))
    assert "receptor-subtype" in topics and AI_TOPIC not in topics
    assert "data-quality" not in topics


def test_missing_procedures_are_named_not_silently_assumed(fhir_server, make_cds):
    """If the EHR leaves the procedures out and no FHIR server is given, the card says what was not read;
    the alert then rests on the missing data and says so rather than the service pretending it looked."""
    patient = _case()["bundle"]["entry"][0]["resource"]["id"]
    prefetch = prefetch_like_a_client(fhir_server.base_url, patient)
    del prefetch["procedures"]
    response = make_cds(config=_config()).post(ASSESS, _body(prefetch))
    topics = _topics(response)
    assert AI_TOPIC in topics
    text = json.dumps(response.get_json())
    assert "bilateral oophorectomy and breast surgery or biopsy" in text
