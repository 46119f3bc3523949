"""FhirClient against a real sekmet FHIR server, plus scripted loopback servers for the failure modes."""
from __future__ import annotations

import logging
import secrets
import time

import pytest

from app.fhir_server import SekmetServer
from cds_hooks.fhir_client import (redact, FhirAuthError, FhirClient, FhirResponseError, FhirUnavailable,
                                   InvalidFhirRequest, sort_by_effective_desc)
from tests.infra.loopback import Gate, LoopbackServer, Reply, refused_port

PATIENT = "paging-patient"
N_OBSERVATIONS = 7


def _observation(i: int) -> dict:
    return {"resourceType": "Observation", "id": f"paging-obs-{i}", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "85337-4"}]},
            "subject": {"reference": f"Patient/{PATIENT}"},
            "effectiveDateTime": f"2024-0{i + 1}-15", "valueString": f"result {i}"}


def _paging_bundle() -> dict:
    entries = [{"resource": {"resourceType": "Patient", "id": PATIENT, "gender": "female"}}]
    entries += [{"resource": _observation(i)} for i in range(N_OBSERVATIONS)]
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


@pytest.fixture(scope="module")
def paging_server(tmp_path_factory) -> SekmetServer:
    """A secured real server holding one patient with seven Observations."""
    with SekmetServer(tmp_path_factory.mktemp("client-sekmet"), bearer_tokens=("client-test-token",),
                      smart_secret=secrets.token_urlsafe(40)) as server:
        server.load_bundle(_paging_bundle(), name="paging")
        yield server


@pytest.fixture
def client(paging_server) -> FhirClient:
    with FhirClient(paging_server.base_url, token=paging_server.token) as c:
        yield c


def _searchset(entries: list[dict], next_url: str | None = None) -> dict:
    bundle = {"resourceType": "Bundle", "type": "searchset", "entry": entries}
    if next_url:
        bundle["link"] = [{"relation": "next", "url": next_url}]
    return bundle


def test_search_follows_next_links_across_pages(client):
    """A search with _count=2 returns all seven Observations from four server pages."""
    found = client.search("Observation", {"patient": PATIENT, "_count": 2})
    assert sorted(r["id"] for r in found) == sorted(f"paging-obs-{i}" for i in range(N_OBSERVATIONS))
    assert found.pages == 4 and not found.truncated


def test_search_accepts_an_encoded_query_string(client):
    """A prefetch-style query string with system|code is sent as given."""
    found = client.search("Observation", f"patient={PATIENT}&code=http://loinc.org|85337-4&_count=3")
    assert len(found) == N_OBSERVATIONS


def test_search_stops_at_max_pages_and_says_so(paging_server):
    """Paging capped at max_pages returns what it has and marks the result truncated."""
    with FhirClient(paging_server.base_url, token=paging_server.token, max_pages=2) as c:
        found = c.search("Observation", {"patient": PATIENT, "_count": 2})
    assert len(found) == 4 and found.truncated


def test_search_keeps_only_match_entries(client):
    """_include'd resources (search.mode=include) are not returned as matches."""
    found = client.search("Observation", {"patient": PATIENT, "_include": "Observation:patient"})
    assert {r["resourceType"] for r in found} == {"Observation"}


def test_read_returns_resource(client):
    """read() returns the resource the server holds."""
    assert client.read("Patient", PATIENT)["id"] == PATIENT


def test_read_missing_resource_is_none(client):
    """A 404 on read is None, not an error."""
    assert client.read("Patient", "no-such-patient") is None


def test_get_resolves_base_relative_url(client):
    """get() accepts a URL relative to the base."""
    assert client.get(f"Observation/paging-obs-3")["id"] == "paging-obs-3"


@pytest.mark.parametrize("rtype, rid", [("Patient", "../metadata"), ("Patient", "a/b"), ("patient", "x"),
                                        ("Patient", "x" * 65)])
def test_read_refuses_ids_that_are_not_fhir_ids(client, rtype, rid):
    """An id or type that could steer the path is refused before anything is sent."""
    with pytest.raises(InvalidFhirRequest):
        client.read(rtype, rid)


def test_secured_server_without_token_is_auth_error(paging_server):
    """No token on a secured server raises FhirAuthError with status 401."""
    with FhirClient(paging_server.base_url) as c, pytest.raises(FhirAuthError) as err:
        c.search("Observation", {"patient": PATIENT})
    assert err.value.status == 401


def test_token_without_scope_is_403(paging_server):
    """A SMART token whose scope does not cover the type raises FhirAuthError with status 403."""
    token = paging_server.mint_access_token("patient/Condition.rs")
    with FhirClient(paging_server.base_url, token=token) as c, pytest.raises(FhirAuthError) as err:
        c.read("Patient", PATIENT)
    assert err.value.status == 403


def test_smart_token_with_scope_reads(paging_server):
    """A SMART token with the right scope is honoured by the real server."""
    token = paging_server.mint_access_token("patient/Observation.rs", patient=PATIENT)
    with FhirClient(paging_server.base_url, token=token) as c:
        assert len(c.search("Observation", {"patient": PATIENT})) == N_OBSERVATIONS


def test_expired_smart_token_is_401(paging_server):
    """An expired SMART token is refused with 401."""
    token = paging_server.mint_access_token("patient/Observation.rs", lifetime=-60)
    with FhirClient(paging_server.base_url, token=token) as c, pytest.raises(FhirAuthError) as err:
        c.search("Observation", {"patient": PATIENT})
    assert err.value.status == 401


def test_error_message_never_contains_token_or_query(paging_server):
    """Error messages carry the path but neither the token nor the query string."""
    with FhirClient(paging_server.base_url, token="wrong-secret-token") as c, pytest.raises(FhirAuthError) as err:
        c.search("Observation", {"patient": PATIENT})
    assert "wrong-secret-token" not in str(err.value) and PATIENT not in str(err.value)
    assert "/Observation" in str(err.value)


def test_debug_log_has_no_token_and_no_query(client, caplog):
    """Debug logging names URLs without query strings and never the token."""
    with caplog.at_level(logging.DEBUG, logger="cds_hooks.fhir_client"):
        client.search("Observation", {"patient": PATIENT, "_count": 3})
    text = caplog.text
    assert "/Observation" in text
    assert "client-test-token" not in text and PATIENT not in text


def test_token_not_sent_to_other_origin_next_link():
    """A next link to another origin is refused; the other server never sees a request or the token."""
    with LoopbackServer() as base, LoopbackServer() as other:
        other.routes["/fhir/Observation"] = Reply(200, _searchset([]))
        base.routes["/fhir/Observation"] = Reply(200, _searchset(
            [{"resource": _observation(0)}], next_url=f"{other.origin}/fhir/Observation?page=2"))
        with FhirClient(f"{base.origin}/fhir", token="secret-token") as c, pytest.raises(FhirResponseError) as err:
            c.search("Observation", {"patient": PATIENT})
        assert base.requests[0][1] == "Bearer secret-token"
        assert other.requests == []
        assert "origin" in str(err.value) and "secret-token" not in str(err.value)


def test_relative_next_link_resolved_against_base_with_token():
    """A relative next link is resolved against the base and gets the token (same origin)."""
    with LoopbackServer() as base:
        base.routes["/fhir/Observation?patient=p"] = Reply(200, _searchset(
            [{"resource": _observation(0)}], next_url="Observation?page=2&opaque=xyz"))
        base.routes["/fhir/Observation?page=2&opaque=xyz"] = Reply(200, _searchset([{"resource": _observation(1)}]))
        with FhirClient(f"{base.origin}/fhir", token="t0k") as c:
            found = c.search("Observation", {"patient": "p"})
        assert [r["id"] for r in found] == ["paging-obs-0", "paging-obs-1"]
        assert base.requests == [("/fhir/Observation?patient=p", "Bearer t0k"),
                                 ("/fhir/Observation?page=2&opaque=xyz", "Bearer t0k")]


def test_follow_pages_of_a_prefetch_bundle(paging_server, client):
    """follow_pages() returns a prefetched first page's resources plus every next page's."""
    first = client.session.get(f"{paging_server.base_url}/Observation?patient={PATIENT}&_count=3",
                               headers={"Authorization": f"Bearer {paging_server.token}"}).json()
    assert len(first["entry"]) == 3
    found = client.follow_pages(first)
    assert len(found) == N_OBSERVATIONS and found.pages == 3


def test_follow_pages_filters_outcome_entries():
    """Entries with search.mode outcome are kept apart from the matches."""
    outcome = {"resourceType": "OperationOutcome", "issue": [{"severity": "warning", "code": "processing"}]}
    bundle = _searchset([{"resource": _observation(0), "search": {"mode": "match"}},
                         {"resource": outcome, "search": {"mode": "outcome"}}])
    found = FhirClient("http://127.0.0.1:9/fhir").follow_pages(bundle)
    assert [r["resourceType"] for r in found] == ["Observation"] and found.outcomes == [outcome]


def test_follow_pages_rejects_non_bundle():
    """Something that is not a Bundle is a FhirResponseError."""
    with pytest.raises(FhirResponseError):
        FhirClient("http://127.0.0.1:9/fhir").follow_pages({"resourceType": "OperationOutcome"})


def test_read_timeout_is_unavailable():
    """A server slower than read_timeout raises FhirUnavailable while the server still holds its answer."""
    with LoopbackServer() as slow, Gate() as gate:
        slow.routes["/fhir/Patient/p"] = Reply(200, {"resourceType": "Patient", "id": "p"}, hold=gate)
        with FhirClient(f"{slow.origin}/fhir", read_timeout=0.3) as c, pytest.raises(FhirUnavailable):
            c.read("Patient", "p")
        assert gate.closed, "the client waited for the answer instead of timing out"


def test_connection_refused_is_unavailable():
    """Nothing listening on the port raises FhirUnavailable."""
    with refused_port() as port, FhirClient(f"http://127.0.0.1:{port}/fhir") as c, pytest.raises(FhirUnavailable):
        c.read("Patient", "p")


def test_budget_cuts_a_slow_request_short():
    """With a 0.4 s budget and a 120 s read timeout, a server holding its answer yields FhirUnavailable while
    it still holds it: the budget, not the read timeout, ended the wait."""
    with LoopbackServer() as slow, Gate() as gate:
        slow.routes["/fhir/Patient/p"] = Reply(200, {"resourceType": "Patient", "id": "p"}, hold=gate)
        with FhirClient(f"{slow.origin}/fhir", read_timeout=120, deadline=time.monotonic() + 0.4) as c:
            with pytest.raises(FhirUnavailable):
                c.read("Patient", "p")
        assert gate.closed, "the client waited for the answer past its budget"


def test_exhausted_budget_sends_nothing():
    """Once the deadline has passed, no request is sent at all."""
    with LoopbackServer() as srv:
        with FhirClient(f"{srv.origin}/fhir", deadline=time.monotonic() - 1) as c, pytest.raises(FhirUnavailable):
            c.search("Observation", {"patient": "p"})
        assert srv.requests == []


def test_budget_spans_pages():
    """The budget is shared by all pages: slow later pages end in FhirUnavailable."""
    with LoopbackServer() as srv:
        srv.routes["/fhir/Observation?patient=p"] = Reply(200, _searchset([], next_url="Observation?page=2"),
                                                          delay=0.3)
        srv.routes["/fhir/Observation?page=2"] = Reply(200, _searchset([], next_url="Observation?page=3"), delay=0.3)
        srv.routes["/fhir/Observation?page=3"] = Reply(200, _searchset([]), delay=0.3)
        with FhirClient(f"{srv.origin}/fhir", deadline=time.monotonic() + 0.5) as c, pytest.raises(FhirUnavailable):
            c.search("Observation", {"patient": "p"})


@pytest.mark.parametrize("reply, expected", [
    (Reply(200, "<html>login</html>"), "non-FHIR-JSON"),
    (Reply(500, {"resourceType": "OperationOutcome",
                 "issue": [{"severity": "error", "code": "exception", "diagnostics": "database is down"}]}),
     "500 for"),
    (Reply(200, {"resourceType": "OperationOutcome",
                 "issue": [{"severity": "error", "code": "too-costly", "diagnostics": "too many results"}]}),
     "issue code too-costly"),
    (Reply(200, {"resourceType": "Patient", "id": "p"}), "expected a Bundle"),
])
def test_bad_search_responses_are_response_errors(reply, expected):
    """HTML, 5xx, OperationOutcome-only and non-Bundle answers raise FhirResponseError with a clear reason: the
    status and issue code, never the server's diagnostics text (issue 8: it reached callers verbatim)."""
    with LoopbackServer() as srv:
        srv.routes["/fhir/Observation"] = reply
        with FhirClient(f"{srv.origin}/fhir") as c, pytest.raises(FhirResponseError) as err:
            c.search("Observation", {"patient": "p"})
        assert expected in str(err.value)
        assert "database is down" not in str(err.value) and "too many results" not in str(err.value)


def test_paging_loop_is_refused():
    """A next link that repeats itself is a FhirResponseError, not an endless loop."""
    with LoopbackServer() as srv:
        srv.routes["/fhir/Observation?patient=p"] = Reply(200, _searchset([], next_url="Observation?page=2"))
        srv.routes["/fhir/Observation?page=2"] = Reply(200, _searchset([], next_url="Observation?page=2"))
        with FhirClient(f"{srv.origin}/fhir") as c, pytest.raises(FhirResponseError, match="loop"):
            c.search("Observation", {"patient": "p"})


def test_cross_origin_redirect_is_refused():
    """A redirect to another origin is not followed (the token would leave its server)."""
    with LoopbackServer() as srv, LoopbackServer() as other:
        srv.routes["/fhir/Patient/p"] = Reply(302, "", headers={"Location": f"{other.origin}/fhir/Patient/p"})
        with FhirClient(f"{srv.origin}/fhir", token="t") as c, pytest.raises(FhirResponseError):
            c.read("Patient", "p")
        assert other.requests == []


def _dated(rid: str, **fields) -> dict:
    return {"resourceType": "Observation", "id": rid, **fields}


@pytest.mark.parametrize("resources, expected", [
    ([_dated("a", effectiveDateTime="2020-01-01"), _dated("b", effectiveDateTime="2023-05-02")], ["b", "a"]),
    ([_dated("a", effectiveDateTime="2023"), _dated("b", effectiveDateTime="2023-06-01T00:00:00Z")], ["b", "a"]),
    ([_dated("a"), _dated("b", effectivePeriod={"start": "2021-01-01"})], ["b", "a"]),
    ([_dated("a", effectiveDateTime="2022-01-01T10:00:00+02:00"),
      _dated("b", effectiveDateTime="2022-01-01T09:00:00Z")], ["b", "a"]),
    ([_dated("a", issued="2019-01-01T00:00:00Z"), _dated("b", effectiveDateTime="not a date"),
      _dated("c", effectiveDateTime="2019-02-01")], ["c", "a", "b"]),
    ([_dated("a", effectiveDateTime="2020-01-01"), _dated("b", effectiveDateTime="2020-01-01")], ["a", "b"]),
])
def test_sort_by_effective_desc(resources, expected):
    """Newest first across precisions and time zones; undated or unparseable last, ties stable."""
    assert [r["id"] for r in sort_by_effective_desc(resources)] == expected


@pytest.mark.parametrize("url, shown", [
    ("https://u:p@ehr.example.org/fhir/Patient/123?_id=123#x", "https://ehr.example.org/fhir/Patient/{id}"),
    ("https://ehr.example.org/fhir/Observation?patient=123", "https://ehr.example.org/fhir/Observation"),
    ("https://ehr.example.org/fhir/Patient/123/_history/2", "https://ehr.example.org/fhir/Patient/{id}/_history/2"),
    ("https://ehr.example.org/fhir/Observation/_search", "https://ehr.example.org/fhir/Observation/_search"),
    ("https://ehr.example.org/fhir/Patient/$everything", "https://ehr.example.org/fhir/Patient/$everything"),
])
def test_redact_keeps_no_patient_identifier(url, shown):
    """Logged or shown URLs carry no query, userinfo or resource id (ids identify patients)."""
    assert redact(url) == shown
