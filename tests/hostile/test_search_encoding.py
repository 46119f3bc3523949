"""Search values are percent-encoded, and an empty search is never stated as a clinical absence (issue 8).

The SMART App Launcher's FHIR proxy collapses ``//`` in the request target: a literal
``code=http://loinc.org|85337-4`` reached the server as ``http:/loinc.org|...``, matched nothing, and the service
answered "No ER, PR or HER2 result was found in the chart". Values are now encoded as an HTTP library's params
encoding does (``http%3A%2F%2Floinc.org%7C85337-4``); servers decode before parsing, so the meaning is unchanged.
"""
from __future__ import annotations

import json
import uuid
from datetime import date
from urllib.parse import urlsplit

from cds_hooks.decision import DecisionConfig
from cds_hooks.fhir_client import FhirClient
from tests.service.conftest import REPO
from tests.infra.hostile import HostileServer, json_reply, relay

from .conftest import *  # noqa: F403  (fixtures)

ASSESS = "/cds-services/receptor-assessment"
EMPTY = {"resourceType": "Bundle", "type": "searchset", "total": 0, "entry": []}


def _patient_view(patient: str, fhir_server: str) -> dict:
    return {"hook": "patient-view", "hookInstance": str(uuid.uuid4()), "fhirServer": fhir_server,
            "context": {"userId": "Practitioner/p1", "patientId": patient}}


def test_a_template_query_string_is_sent_with_its_values_percent_encoded():
    """'code=http://loinc.org|85337-4,...' goes out as code=http%3A%2F%2Floinc.org%7C85337-4%2C... (names and
    '=' and '&' stay as they are)."""
    with HostileServer() as server:
        server.routes["/fhir/Observation"] = json_reply(EMPTY)
        with FhirClient(server.url("/fhir")) as client:
            client.search("Observation", "patient=p-1&code=http://loinc.org|85337-4,http://snomed.info/sct|1&_count=100")
        target = server.requests[0][0]
    assert target == ("/fhir/Observation?patient=p-1&code=http%3A%2F%2Floinc.org%7C85337-4%2C"
                      "http%3A%2F%2Fsnomed.info%2Fsct%7C1&_count=100")


def test_receptor_results_are_found_through_a_proxy_that_collapses_double_slashes(make_cds, fhir_server):
    """No prefetch, fhirServer behind a '//'-collapsing proxy (as the SMART launcher's): the case's ER 11 %
    is found and the subtype stated, instead of an indeterminate card built on an empty search."""
    case = json.loads((REPO / "fixtures" / "cases" / "er-11pct.json").read_text())
    upstream = urlsplit(fhir_server.base_url)
    with HostileServer() as proxy:
        proxy.default = relay(f"{upstream.scheme}://{upstream.netloc}", collapse_slashes=True)
        base = proxy.origin + upstream.path
        client = make_cds([base], config=DecisionConfig(today=date.fromisoformat(case["today"])))
        response = client.post(ASSESS, _patient_view("er-11pct", base))
    assert response.status_code == 200, response.get_json()
    block = response.get_json()["cards"][0]["extension"]["receptor-cds"]
    assert (block["subtype"], block["er"]) == (case["expected"]["subtype"], case["expected"]["er"])


def test_an_empty_search_says_what_was_searched_where_and_that_nothing_came_back(make_cds):
    """A FHIR server that answers every search with an empty Bundle: the subtype card names the search and the
    server and says nothing came back; it never says no result exists in the chart."""
    with HostileServer() as server:
        server.routes["/fhir/Patient/p-9"] = json_reply({"resourceType": "Patient", "id": "p-9", "gender": "female"})
        server.default = json_reply(EMPTY)
        response = make_cds([server.url("/fhir")]).post(ASSESS, _patient_view("p-9", server.url("/fhir")))
    assert response.status_code == 200, response.get_json()
    detail = response.get_json()["cards"][0]["detail"]
    assert "found in the chart" not in detail
    shown = detail.replace("\\", "")      # markdown escapes (the URL's '://' is escaped so it is not a link)
    assert server.url("/fhir") in shown and "nothing came back" in shown
    assert "ER, PR and HER2" in detail
