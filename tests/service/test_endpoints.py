"""The service endpoint matrix (sandbox-cds-services' shape; CH §Calling a CDS Service, §Prefetch Template)."""
from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.infra.loopback import Gate, LoopbackServer, Reply, refused_port

from .conftest import SMART_LAUNCH, hook_fixture, HOOK_FIXTURES

ASSESS = "/cds-services/receptor-assessment"
ORDER_SELECT = "/cds-services/receptor-order-select"
PATIENT = "hooks-er-low-her2-low"


def topics(response) -> list[str]:
    return [c["source"]["topic"]["code"] for c in response.get_json()["cards"]]


def subtype_of(response) -> dict[str, Any]:
    card = next(c for c in response.get_json()["cards"] if c["source"]["topic"]["code"] == "receptor-subtype")
    return card["extension"]["receptor-cds"]


def with_fhir(body: dict, server: Any, token: str | None = None) -> dict:
    body = copy.deepcopy(body)
    body["fhirServer"] = server.base_url
    if token:
        body["fhirAuthorization"] = {"access_token": token, "token_type": "Bearer", "expires_in": 300,
                                     "scope": "patient/*.read", "subject": "receptor-cds"}
    return body


def _hook_bundles() -> list[tuple[str, dict]]:
    return [(p.name, json.loads(p.read_text())) for p in sorted(HOOK_FIXTURES.glob("patient-*.json"))
            if json.loads(p.read_text()).get("resourceType") == "Bundle"]


@pytest.fixture(scope="module")
def open_fhir(fhir_server):
    """The session's open FHIR server, with the hook sample patients loaded."""
    fhir_server.load_fixtures(_hook_bundles())
    return fhir_server


@pytest.fixture(scope="module")
def secured_fhir(secured_fhir_server):
    """The session's token-protected FHIR server, with the hook sample patients loaded."""
    secured_fhir_server.load_fixtures(_hook_bundles())
    return secured_fhir_server


# ---------------------------------------------------------------- request validation


def test_get_on_a_service_is_405(cds):
    """Services are POST only."""
    response = cds.get(ASSESS)
    assert response.status_code == 405 and "POST" in response.headers["Allow"]


def test_unknown_service_is_404(cds):
    """A service id not in discovery is a 404 with an OperationOutcome."""
    assert cds.post("/cds-services/nope", hook_fixture("patient-view-full-prefetch")).status_code == 404


def test_malformed_json_is_400(cds):
    """A body that is not JSON is refused with a message saying where it broke."""
    response = cds.post(ASSESS, data='{"hook": "patient-view",')
    assert response.status_code == 400
    assert "not valid JSON" in response.get_json()["issue"][0]["diagnostics"]


def test_non_json_content_type_is_415(cds):
    """The service takes application/json."""
    response = cds.post(ASSESS, data="hook=patient-view", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415


@pytest.mark.parametrize("service,fixture", [
    (ASSESS, "order-sign-anti-her2-for-her2-negative"),
    (ORDER_SELECT, "patient-view-full-prefetch"),
    ("/cds-services/receptor-order-sign", "order-select-selection-focus"),
])
def test_hook_that_does_not_match_the_service_is_400(cds, service, fixture):
    """A patient-view call to the order service, or an order-sign call to the patient-view service, is a 400."""
    response = cds.post(service, hook_fixture(fixture))
    assert response.status_code == 400
    assert "not hook" in response.get_json()["issue"][0]["diagnostics"]


def _drop(body, *path):
    body = copy.deepcopy(body)
    node = body
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return body


def _set(body, value, *path):
    body = copy.deepcopy(body)
    node = body
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return body


PV = hook_fixture("patient-view-full-prefetch")
OSEL = hook_fixture("order-select-selection-focus")
BAD_REQUESTS = {
    "no hookInstance": (ASSESS, _drop(PV, "hookInstance"), "hookInstance"),
    "hookInstance not a UUID": (ASSESS, _set(PV, "12", "hookInstance"), "UUID"),
    "no context": (ASSESS, _drop(PV, "context"), "context"),
    "no patientId": (ASSESS, _drop(PV, "context", "patientId"), "patientId"),
    "no userId": (ASSESS, _drop(PV, "context", "userId"), "userId"),
    "userId not Type/id": (ASSESS, _set(PV, "dr-1", "context", "userId"), "userId"),
    "patientId with a slash": (ASSESS, _set(PV, "x/../y", "context", "patientId"), "patientId"),
    "fhirAuthorization without fhirServer": (ASSESS, _set(PV, {"access_token": "t", "token_type": "Bearer",
                                                                 "expires_in": 1, "scope": "s", "subject": "c"},
                                                          "fhirAuthorization"), "fhirServer"),
    "order-select without selections": (ORDER_SELECT, _drop(OSEL, "context", "selections"), "selections"),
    "order-select without draftOrders": (ORDER_SELECT, _drop(OSEL, "context", "draftOrders"), "draftOrders"),
    "selection not in draftOrders": (ORDER_SELECT, _set(OSEL, ["MedicationRequest/missing"], "context", "selections"),
                                     "not in draftOrders"),
    "draftOrders not a Bundle": (ORDER_SELECT, _set(OSEL, {"resourceType": "MedicationRequest"}, "context", "draftOrders"),
                                 "draftOrders"),
    "prefetch value a string": (ASSESS, _set(PV, "yes", "prefetch", "patient"), "prefetch.patient"),
    "body an array": (ASSESS, [PV], "JSON object"),
}


@pytest.mark.parametrize("case", sorted(BAD_REQUESTS))
def test_malformed_request_is_400_with_a_specific_message(cds, case):
    """Each malformed request gets a 400 whose OperationOutcome names the offending field."""
    service, body, expected = BAD_REQUESTS[case]
    response = cds.post(service, body)
    assert response.status_code == 400, response.get_json()
    assert expected in response.get_json()["issue"][0]["diagnostics"]


# ---------------------------------------------------------------- prefetch states


def test_full_prefetch_gives_subtype_options_and_pitfall_cards(cds):
    """Complete prefetch: 200 with the subtype card (structured extension, smart link) and the ER-low pitfall."""
    response = cds.post(ASSESS, hook_fixture("patient-view-full-prefetch"))
    assert response.status_code == 200
    assert subtype_of(response) | {"evidence": None, "knowledgeVersion": None, "episode": None, "governing": None} == {
        "subtype": "HR+/HER2-", "her2Expression": "low", "er": "low-positive", "pr": "negative",
        "her2": "negative", "setting": "unknown", "evidence": None, "knowledgeVersion": None, "episode": None,
        "governing": None} | {"setting": subtype_of(response)["setting"]}
    assert len(subtype_of(response)["evidence"]) == 3
    assert "er-low-positive" in topics(response)
    subtype_card = response.get_json()["cards"][0]
    link = subtype_card["links"][0]
    assert link["type"] == "smart" and link["url"] == SMART_LAUNCH
    assert json.loads(link["appContext"]) == {"patient": PATIENT, "focus": "receptor-subtype"}
    assert "2026-05-22" in subtype_card["detail"]


def test_absent_prefetch_without_fhir_server_is_412(cds):
    """No prefetch and nowhere to fetch from: 412 with an OperationOutcome naming what is missing."""
    response = cds.post(ASSESS, hook_fixture("patient-view-no-prefetch"))
    assert response.status_code == 412
    assert "ER, PR and HER2 results" in response.get_json()["issue"][0]["diagnostics"]


def test_absent_prefetch_is_fetched_from_the_secured_fhir_server_with_the_bearer_token(make_cds, secured_fhir):
    """With fhirServer and fhirAuthorization, missing keys are fetched from the real token-protected server."""
    cds = make_cds([secured_fhir.base_url])
    body = with_fhir(hook_fixture("patient-view-no-prefetch"), secured_fhir, secured_fhir.token)
    response = cds.post(ASSESS, body)
    assert response.status_code == 200, response.get_json()
    assert subtype_of(response)["subtype"] == "HR+/HER2-"
    assert "data-quality" not in topics(response)


def test_absent_prefetch_with_a_refused_token_is_412(make_cds, secured_fhir):
    """The same call with a token the FHIR server refuses cannot get the data: 412, never a 500."""
    cds = make_cds([secured_fhir.base_url])
    body = with_fhir(hook_fixture("patient-view-no-prefetch"), secured_fhir, "not-the-token")
    response = cds.post(ASSESS, body)
    assert response.status_code == 412
    assert "refused our access (HTTP 401)" in response.get_json()["issue"][0]["diagnostics"]


def test_fhir_server_not_on_the_allowlist_is_never_contacted_and_missing_receptor_data_is_412(make_cds, open_fhir):
    """A fhirServer the issuer may not send is not contacted (SSRF); without prefetch the receptor data
    cannot be had, so 412 (CH §Prefetch Template), naming the allowlist as the reason."""
    cds = make_cds(["https://ehr.example.org/fhir"])
    response = cds.post(ASSESS, with_fhir(hook_fixture("patient-view-no-prefetch"), open_fhir))
    assert response.status_code == 412
    assert "not on this CDS client's allowlist" in response.get_json()["issue"][0]["diagnostics"]


def test_fhir_server_allowlisted_for_another_issuer_is_not_used(make_cds, open_fhir, signer):
    """The Epic issuer may not name the sandbox issuer's FHIR server: it is not contacted, so 412."""
    cds = make_cds([open_fhir.base_url])
    response = cds.post(ASSESS, with_fhir(hook_fixture("patient-view-no-prefetch"), open_fhir),
                        token=signer.epic(ASSESS))
    assert response.status_code == 412
    assert "allowlist" in response.get_json()["issue"][0]["diagnostics"]


@pytest.mark.parametrize("suffix", ["/../admin", "/%2e%2e/admin", "/./Patient", "X", "//x"])
def test_fhir_server_climbing_out_of_the_allowed_prefix_is_never_contacted(make_cds, suffix):
    """fhirServer values that normalise outside the allowlisted path (dot segments, look-alike names) are not
    fetched from, even though scheme, host and port match: the counting server sees no request."""
    from .conftest import JwksServer
    with JwksServer({"resourceType": "Bundle", "type": "searchset"}) as server:
        base = server.url.replace("/.well-known/jwks.json", "/fhir")
        body = copy.deepcopy(hook_fixture("patient-view-no-prefetch"))
        body["fhirServer"] = base + suffix
        response = make_cds([base]).post(ASSESS, body)
        assert server.fetches == 0
    assert response.status_code == 412


def test_fhir_server_differing_from_the_allowlist_by_host_only_is_never_contacted(make_cds):
    """Scheme, port and path match the allowlisted prefix and only the host differs (localhost vs 127.0.0.1,
    the same machine): the server at the named host sees no request, and the answer is 412 naming the allowlist."""
    from .conftest import JwksServer
    with JwksServer({"resourceType": "Bundle", "type": "searchset"}) as server:
        base = server.url.replace("/.well-known/jwks.json", "/fhir")
        assert base.startswith("http://127.0.0.1:")
        body = copy.deepcopy(hook_fixture("patient-view-no-prefetch"))
        body["fhirServer"] = base
        response = make_cds([base.replace("127.0.0.1", "localhost")]).post(ASSESS, body)
        assert server.fetches == 0
    assert response.status_code == 412
    assert "not on this CDS client's allowlist" in response.get_json()["issue"][0]["diagnostics"]


def test_complete_prefetch_with_an_unlisted_fhir_server_is_answered_without_contacting_it(make_cds):
    """The sandbox always sends its fhirServer; when prefetch is complete the server is not needed, so the
    call is answered (200) and the unlisted server sees no request."""
    from .conftest import JwksServer
    with JwksServer({"resourceType": "Bundle", "type": "searchset"}) as server:
        body = copy.deepcopy(hook_fixture("patient-view-full-prefetch"))
        body["fhirServer"] = server.url.replace("/.well-known/jwks.json", "/fhir")
        response = make_cds(["https://ehr.example.org/fhir"]).post(ASSESS, body)
        assert server.fetches == 0
    assert response.status_code == 200
    assert subtype_of(response)["subtype"] == "HR+/HER2-"
    assert not any(c["summary"].startswith("Incomplete chart data") for c in response.get_json()["cards"])


def test_null_prefetch_means_no_data_and_gives_no_data_cards(cds):
    """Every key null: 200, an indeterminate subtype card saying the prefetch was null and nothing came back
    (not that the chart holds no result), no gap card."""
    response = cds.post(ASSESS, hook_fixture("patient-view-null-prefetch"))
    assert response.status_code == 200
    assert subtype_of(response)["subtype"] == "indeterminate"
    card = response.get_json()["cards"][0]
    assert "sent as null" in card["detail"] and "nothing came back" in card["detail"]
    assert "data-quality" not in topics(response) or all(
        "Incomplete chart data" not in c["summary"] for c in response.get_json()["cards"])


def test_operation_outcome_prefetch_for_a_required_key_without_fhir_server_is_412(cds):
    """The EHR's own fetch of the receptor results failed and we cannot fetch them: 412 citing the EHR's error."""
    response = cds.post(ASSESS, hook_fixture("patient-view-operation-outcome-prefetch"))
    assert response.status_code == 412
    assert "prefetch failed" in response.get_json()["issue"][0]["diagnostics"]


def test_operation_outcome_prefetch_is_refetched_from_the_fhir_server(make_cds, open_fhir):
    """A failed prefetch key is fetched from fhirServer instead, and the answer is complete."""
    cds = make_cds([open_fhir.base_url])
    response = cds.post(ASSESS, with_fhir(hook_fixture("patient-view-operation-outcome-prefetch"), open_fhir))
    assert response.status_code == 200
    assert subtype_of(response)["subtype"] == "HR+/HER2-"


def test_bundle_with_an_error_outcome_for_an_optional_key_degrades_with_a_gap_card(cds):
    """A Bundle carrying an error OperationOutcome for Conditions, no fhirServer: 200 with a card naming the gap."""
    response = cds.post(ASSESS, hook_fixture("patient-view-bundle-with-error-outcome-prefetch"))
    assert response.status_code == 200
    gap = next(c for c in response.get_json()["cards"] if c["summary"].startswith("Incomplete chart data"))
    assert gap["indicator"] == "warning" and "Conditions" in gap["summary"]
    assert gap["source"]["url"] == "https://cds-hooks.hl7.org/2.0/#prefetch-template"
    # The EHR's issue code, not its diagnostics text (issue 8: upstream text never reaches the caller).
    assert "issue code timeout" in gap["detail"] and "EHR search timed out" not in gap["detail"]


def test_partial_prefetch_without_fhir_server_says_what_is_missing(cds):
    """Keys the EHR did not prefetch are named on a gap card; the subtype is still given."""
    response = cds.post(ASSESS, hook_fixture("patient-view-partial-prefetch"))
    assert response.status_code == 200
    assert subtype_of(response)["subtype"] == "HR+/HER2-"
    gap = next(c for c in response.get_json()["cards"] if c["summary"].startswith("Incomplete chart data"))
    assert "medication orders (current and past)" in gap["detail"]


def test_paginated_prefetch_is_followed_through_next_links(make_cds, open_fhir):
    """A receptor prefetch Bundle of one entry per page (real server links) is followed to all three results."""
    import requests
    first_page = requests.get(f"{open_fhir.base_url}/Observation",
                              params={"patient": PATIENT, "_count": "1"}, timeout=10).json()
    assert any(l["relation"] == "next" for l in first_page["link"])
    body = copy.deepcopy(hook_fixture("patient-view-full-prefetch"))
    body["prefetch"]["receptorObservations"] = first_page
    response = make_cds([open_fhir.base_url]).post(ASSESS, with_fhir(body, open_fhir))
    assert response.status_code == 200
    assert len(subtype_of(response)["evidence"]) == 3
    assert subtype_of(response)["subtype"] == "HR+/HER2-"


def test_paginated_prefetch_without_fhir_server_is_412(cds, open_fhir):
    """Only the first page of the receptor results and no way to read the rest: 412, not a partial subtype."""
    import requests
    first_page = requests.get(f"{open_fhir.base_url}/Observation",
                              params={"patient": PATIENT, "_count": "1"}, timeout=10).json()
    body = copy.deepcopy(hook_fixture("patient-view-full-prefetch"))
    body["prefetch"]["receptorObservations"] = first_page
    response = cds.post(ASSESS, body)
    assert response.status_code == 412
    assert "first page" in response.get_json()["issue"][0]["diagnostics"]


def test_prefetched_resource_of_another_patient_is_left_out_and_said(cds):
    """An Observation naming another patient in the prefetch is not used, and a gap card says so."""
    body = copy.deepcopy(hook_fixture("patient-view-full-prefetch"))
    stray = copy.deepcopy(body["prefetch"]["receptorObservations"]["entry"][2])
    stray["resource"]["id"] = "stray"
    stray["resource"]["subject"] = {"reference": "Patient/someone-else"}
    body["prefetch"]["receptorObservations"]["entry"].append(stray)
    response = cds.post(ASSESS, body)
    assert response.status_code == 200
    assert "Observation/stray" not in subtype_of(response)["evidence"]
    assert any("another patient" in c.get("detail", "") for c in response.get_json()["cards"])


# ---------------------------------------------------------------- FHIR server down or slow


def test_fhir_server_down_with_no_prefetch_is_412_not_500(make_cds):
    """fhirServer refuses connections: 412 saying it did not answer."""
    with refused_port() as port:
        url = f"http://127.0.0.1:{port}/fhir"
        body = copy.deepcopy(hook_fixture("patient-view-no-prefetch"))
        body["fhirServer"] = url
        response = make_cds([url]).post(ASSESS, body)
    assert response.status_code == 412
    assert "did not answer" in response.get_json()["issue"][0]["diagnostics"]


def test_hung_fhir_server_is_cut_off_by_the_time_budget(make_cds):
    """A FHIR server holding every answer (read timeout 120 s) is given up on when the 1.5 s budget is spent, while
    it still holds them: the call answers 200 and the missing optional keys degrade to a gap card."""
    with LoopbackServer() as hung, Gate() as gate:
        hung.default = Reply(200, {"resourceType": "Bundle", "type": "searchset", "entry": []}, hold=gate)
        base = f"{hung.origin}/fhir"
        body = copy.deepcopy(hook_fixture("patient-view-partial-prefetch"))
        body["fhirServer"] = base
        response = make_cds([base], fhir_read_timeout=120, fhir_total_budget=1.5).post(ASSESS, body)
        assert gate.closed, "the service waited for the hung server past its budget"
        assert hung.requests, "the server was never asked (nothing was cut off)"
    assert response.status_code == 200
    gap = next(c for c in response.get_json()["cards"] if c["summary"].startswith("Incomplete chart data"))
    assert "did not answer in time" in gap["detail"]


def test_a_bug_in_the_core_is_a_plain_500_operation_outcome_without_traceback(cds, monkeypatch):
    """An unexpected exception is answered with a generic OperationOutcome, never a traceback or a success."""
    import cds_hooks.decision as decision

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(decision, "assess", broken)   # the blueprint looks it up per call
    response = cds.post(ASSESS, hook_fixture("patient-view-full-prefetch"))
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and "secret internals" not in text


@pytest.mark.parametrize("method,path,allow", [
    ("POST", "/cds-services", "GET"),
    ("DELETE", "/cds-services", "GET"),
    ("PUT", ASSESS, "POST"),
    ("GET", ASSESS + "/feedback", "POST"),
])
def test_wrong_method_is_405_with_allow_and_an_operation_outcome(cds, method, path, allow):
    """Every wrong method on our routes is a 405 naming the right one, with a JSON body and CORS like any error."""
    response = cds.request(method, path, data="{}", headers={"Origin": "http://127.0.0.1:8000"})
    assert response.status_code == 405 and allow in response.headers["Allow"]
    assert response.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:8000"


def test_next_link_to_another_origin_is_not_followed_and_the_data_is_refetched(make_cds, open_fhir):
    """A prefetch page whose next link leaves the FHIR server's origin is never requested (token and SSRF);
    the key is read from fhirServer instead, so the answer is still complete."""
    import requests

    from .conftest import JwksServer
    first_page = requests.get(f"{open_fhir.base_url}/Observation",
                              params={"patient": PATIENT, "_count": "1"}, timeout=10).json()
    with JwksServer({"resourceType": "Bundle", "type": "searchset"}) as elsewhere:
        for link in first_page["link"]:
            if link["relation"] == "next":
                link["url"] = elsewhere.url.replace("/.well-known/jwks.json", "/fhir/Observation?page=2")
        body = copy.deepcopy(hook_fixture("patient-view-full-prefetch"))
        body["prefetch"]["receptorObservations"] = first_page
        response = make_cds([open_fhir.base_url]).post(ASSESS, with_fhir(body, open_fhir, "a-token"))
        assert elsewhere.fetches == 0
    assert response.status_code == 200
    assert len(subtype_of(response)["evidence"]) == 3


def test_patient_view_flags_an_active_chart_drug_that_conflicts(cds):
    """For EHRs that only call patient-view: active tamoxifen for triple-negative disease raises its card,
    without a delete suggestion (it is not a draft)."""
    response = cds.post(ASSESS, hook_fixture("patient-view-chart-endocrine-for-hr-negative"))
    assert response.status_code == 200
    card = next(c for c in response.get_json()["cards"]
                if c["source"]["topic"]["code"] == "endocrine-for-hr-negative")
    assert card["indicator"] == "critical" and "suggestions" not in card


def test_error_outcome_on_a_later_page_is_not_taken_as_the_whole_answer(make_cds):
    """A next page carrying an error OperationOutcome (search.mode=outcome) means the search failed in part:
    the receptor results are not judged from the pages that did arrive (412 naming the server's error)."""
    from .conftest import JwksServer
    failed_page = {"resourceType": "Bundle", "type": "searchset", "entry": [{
        "search": {"mode": "outcome"},
        "resource": {"resourceType": "OperationOutcome", "issue": [
            {"severity": "error", "code": "timeout", "diagnostics": "page 2 timed out"}]}}]}
    with JwksServer(failed_page) as server:
        base = server.url.replace("/.well-known/jwks.json", "/fhir")
        body = copy.deepcopy(hook_fixture("patient-view-full-prefetch"))
        body["prefetch"]["receptorObservations"]["link"] = [{"relation": "next", "url": f"{base}/Observation?page=2"}]
        body["fhirServer"] = base
        response = make_cds([base]).post(ASSESS, body)
        assert server.fetches == 2   # page 2, then the service's own search, which failed the same way
    assert response.status_code == 412
    shown = response.get_json()["issue"][0]["diagnostics"]
    assert "issue code timeout" in shown and "page 2 timed out" not in shown


@pytest.mark.parametrize("next_url", ["/admin/export?x=1", "../admin", "https://{host}/other/Observation?page=2"])
def test_prefetch_next_link_outside_the_fhir_server_path_is_not_requested(make_cds, next_url):
    """The first next link comes from the request body: one pointing outside the allowlisted fhirServer path
    (same host) is never requested; the key is fetched from fhirServer itself instead."""
    from .conftest import JwksServer
    page = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": {"resourceType": "Observation", "id": "x", "status": "final", "code": {"text": "x"}}}]}
    with JwksServer(page) as server:
        host = server.url.split("/")[2]
        base = f"http://{host}/fhir"
        body = copy.deepcopy(hook_fixture("patient-view-full-prefetch"))
        body["prefetch"]["receptorObservations"]["link"] = [{"relation": "next", "url": next_url.format(host=host)}]
        body["fhirServer"] = base
        response = make_cds([base]).post(ASSESS, body)
        assert server.fetches == 1   # only the service's own search under /fhir
    assert response.status_code == 200
