"""An upstream server's error text never reaches the caller (issue 8): the 412 body and the data-gap cards give
the HTTP status and the OperationOutcome issue codes. Nor does it reach the log (the house rule: no patient data in
logs at any level; free text can name the patient): the log has the status, the redacted URL and each issue's
severity and code.
"""
from __future__ import annotations

import copy
import logging
import uuid

from tests.infra.hostile import HostileServer, json_reply
from tests.service.conftest import hook_fixture

from .conftest import *  # noqa: F403  (fixtures)

ASSESS = "/cds-services/receptor-assessment"
DIAGNOSTICS = "SECRET-DIAGNOSTIC-TEXT for Patient/p1 at https://internal.example/x?patient=p1 [click](https://evil)"
OUTCOME = {"resourceType": "OperationOutcome", "issue": [
    {"severity": "error", "code": "processing", "diagnostics": DIAGNOSTICS, "details": {"text": DIAGNOSTICS}}]}


def _everything(response) -> str:
    return response.get_data(as_text=True)


def test_a_fhir_error_answer_gives_a_412_with_status_and_issue_code_only(make_cds, caplog):
    """The receptor search answers 400 with an OperationOutcome: the 412 names HTTP 400 and 'processing', never
    the diagnostics; the log names HTTP 400 and error/processing, never the text."""
    with HostileServer() as server:
        server.routes["/fhir/Patient/p1"] = json_reply({"resourceType": "Patient", "id": "p1", "gender": "female"})
        server.routes["/fhir/Observation"] = json_reply(OUTCOME, status=400)
        server.default = json_reply({"resourceType": "Bundle", "type": "searchset", "entry": []})
        body = {"hook": "patient-view", "hookInstance": str(uuid.uuid4()), "fhirServer": server.url("/fhir"),
                "context": {"userId": "Practitioner/x", "patientId": "p1"}}
        with caplog.at_level(logging.DEBUG, logger="cds_hooks"):
            response = make_cds([server.url("/fhir")]).post(ASSESS, body)
    assert response.status_code == 412
    diagnostics = response.get_json()["issue"][0]["diagnostics"]
    assert "400" in diagnostics and "processing" in diagnostics
    assert "SECRET" not in _everything(response) and "evil" not in _everything(response)
    assert "(HTTP 400): 1 issue(s) error/processing (its text is not logged)" in caplog.text
    assert "SECRET" not in caplog.text and "internal.example" not in caplog.text and "p1" not in caplog.text


def test_a_failed_prefetch_outcome_gives_a_gap_card_with_the_issue_code_only(cds, caplog):
    """The EHR's prefetch of conditions is an OperationOutcome: the data-gap card says the prefetch failed with
    issue code 'processing', not the EHR's text."""
    body = copy.deepcopy(hook_fixture("patient-view-full-prefetch"))
    body["prefetch"]["conditions"] = OUTCOME
    with caplog.at_level(logging.DEBUG, logger="cds_hooks"):
        response = cds.post(ASSESS, body)
    assert response.status_code == 200
    assert "SECRET" not in _everything(response)
    gap = [c for c in response.get_json()["cards"] if c["source"]["topic"]["code"] == "data-quality"
           and "Incomplete" in c["summary"]]
    assert gap and "processing" in gap[0]["detail"]
    assert "error/processing" in caplog.text and "SECRET" not in caplog.text and "Patient/p1" not in caplog.text
