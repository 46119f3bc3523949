"""Every hop of a FHIR read stays under the allowlisted base, path included (issue 8).

The attack run saw same-origin redirects and ``next`` links outside the allowed path prefix followed with the
bearer token, and ``%2e``-style double-encoded dot segments and ``;`` path parameters (``..;/`` climbs a
directory on Tomcat) not refused. Each hop (a redirect's Location, a page's next link) is now checked like the
``fhirServer`` itself; the token is never sent to a refused hop.
"""
from __future__ import annotations

import pytest

from cds_hooks.fhir_client import FhirClient, FhirResponseError
from cds_hooks.service.issuers import fhir_server_matches
from tests.infra.hostile import HostileServer, json_reply, redirect

EMPTY = {"resourceType": "Bundle", "type": "searchset", "entry": []}


def _page(next_url: str) -> dict:
    return {**EMPTY, "link": [{"relation": "next", "url": next_url}]}


@pytest.mark.parametrize("where", [
    "/admin/Observation",                       # same origin, outside /fhir
    "/fhir-other/Observation",                  # a sibling that only shares the prefix's characters
    "/fhir/%252e%252e/admin/Observation",       # double-encoded '..'
    "/fhir/..;/admin/Observation",              # '..;' (a path parameter Tomcat strips, then climbs)
    "/fhir/r4;jsessionid=1/Observation",        # any path parameter
    "/fhir/%2e%2e/admin/Observation",           # encoded '..'
])
@pytest.mark.parametrize("hop", ["redirect", "next"])
def test_a_hop_outside_the_base_is_refused_and_gets_no_token(where, hop):
    """A redirect or next link to ``where`` (same origin) is refused with FhirResponseError; nothing is sent
    there with the bearer token."""
    with HostileServer() as server:
        target = server.url(where)
        server.routes["/fhir/Observation"] = redirect(target) if hop == "redirect" else json_reply(_page(target))
        server.default = json_reply(EMPTY)
        with FhirClient(server.url("/fhir"), "secret-token") as client:
            with pytest.raises(FhirResponseError, match="refusing"):
                client.search("Observation", {"patient": "p1"})
        sent = [(path, auth) for path, auth in server.requests if not path.startswith("/fhir/Observation?")]
    assert all(auth is None for _, auth in sent), sent
    assert not sent, f"the refused hop was requested: {sent}"


def test_hops_under_the_base_are_still_followed():
    """A redirect and a next link that stay under /fhir are followed, with the token."""
    with HostileServer() as server:
        server.routes["/fhir/Observation"] = redirect(server.url("/fhir/r4/Observation?patient=p1"))
        server.routes["/fhir/r4/Observation"] = json_reply(_page("/fhir/r4/Observation?page=2"))
        server.routes["/fhir/r4/Observation?page=2"] = json_reply(EMPTY)
        with FhirClient(server.url("/fhir"), "secret-token") as client:
            client.search("Observation", {"patient": "p1"})
        assert [auth for _, auth in server.requests] == ["Bearer secret-token"] * 3


@pytest.mark.parametrize("url", [
    "https://ehr.test/fhir/%252e%252e/admin",
    "https://ehr.test/fhir/%25252e%25252e",
    "https://ehr.test/fhir/..;/admin",
    "https://ehr.test/fhir/r4;x=1",
    "https://ehr.test/fhir/r4%3bx=1",
    "https://ehr.test/fhir;/r4",
])
def test_double_encoded_dots_and_path_parameters_never_match_an_allowlist_entry(url):
    """As a fhirServer too: double-encoded dot segments and ';' path parameters never match."""
    assert fhir_server_matches("https://ehr.test/fhir", url) is False


def test_the_token_endpoint_cannot_redirect_the_code_exchange():
    """A token endpoint answering 307 to another path: the exchange fails (502) and the code and client
    credentials are not posted again to the redirect's target."""
    from app.config import Settings
    from app.smart import tokens
    from app.smart.errors import SmartError

    settings = Settings(smart_client_id="app", smart_client_secret="s3cret", database_url="sqlite://")
    with HostileServer() as server:
        server.routes["/token"] = redirect(server.url("/elsewhere/token"), status=307)
        server.routes["/elsewhere/token"] = json_reply({"access_token": "a", "token_type": "Bearer"},
                                                       content_type="application/json")
        meta = {"token_endpoint": server.url("/token"), "authorization_endpoint": server.url("/authorize")}
        with pytest.raises(SmartError):
            tokens.exchange_code(settings, meta, auth_method="client_secret_basic", code="c",
                                 redirect_uri="https://app.test/cb", code_verifier="v" * 50)
        assert [path for path, _ in server.requests] == ["/token"]


@pytest.mark.parametrize("fhir_server", ["https://ehr.test[/fhir", "https://[::1/fhir", "https://\u008ac`T1\\\u00ee[",
                                         "http://]/fhir"])
def test_an_unparseable_fhir_server_is_refused_never_a_500(cds, fhir_server):
    """A fhirServer that Python's URL parser rejects ('Invalid IPv6 URL', found by schemathesis) is simply not on
    the allowlist: the call is answered from prefetch (here none: 412), never with a 500."""
    import uuid
    body = {"hook": "patient-view", "hookInstance": str(uuid.uuid4()), "fhirServer": fhir_server,
            "context": {"userId": "Practitioner/x", "patientId": "p1"}}
    response = cds.post("/cds-services/receptor-assessment", body)
    assert response.status_code == 412
    assert fhir_server_matches("https://ehr.test/fhir", fhir_server) is False


def test_an_unparseable_next_link_is_refused():
    """A next link Python cannot parse is refused like any other bad hop."""
    with HostileServer() as server:
        server.routes["/fhir/Observation"] = json_reply(_page("http://[::1/fhir/Observation?page=2"))
        with FhirClient(server.url("/fhir"), "secret-token") as client:
            with pytest.raises(FhirResponseError, match="refusing"):
                client.search("Observation", {"patient": "p1"})
