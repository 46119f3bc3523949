"""CORS for browser-based EHRs (checklist 1J.56, 1L)."""
from __future__ import annotations

import pytest

from .conftest import EPIC_ORIGIN, SANDBOX_ORIGIN

PATHS = ["/cds-services", "/cds-services/receptor-assessment", "/cds-services/receptor-order-sign/feedback"]


@pytest.mark.parametrize("path", PATHS)
def test_preflight_is_answered_without_authentication(cds, path):
    """OPTIONS from an allowed origin gets 204 with the allowed methods and headers, no token needed."""
    response = cds.request("OPTIONS", path, token=None, headers={
        "Origin": SANDBOX_ORIGIN, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == SANDBOX_ORIGIN
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert {"authorization", "content-type"} <= {h.strip().lower() for h in
                                                response.headers["Access-Control-Allow-Headers"].split(",")}


@pytest.mark.parametrize("origin", [SANDBOX_ORIGIN, EPIC_ORIGIN])
def test_cors_headers_are_on_success_and_on_errors(cds, origin):
    """The allow-origin header is on a 200, a 401, a 400 and a 405 alike, for every configured origin."""
    headers = {"Origin": origin}
    responses = [
        cds.get("/cds-services", headers=headers),
        cds.get("/cds-services", token=None, headers=headers),
        cds.post("/cds-services/receptor-assessment", data="{", headers=headers),
        cds.get("/cds-services/receptor-assessment", headers=headers),
    ]
    assert [r.status_code for r in responses] == [200, 401, 400, 405]
    assert all(r.headers.get("Access-Control-Allow-Origin") == origin for r in responses)
    assert all("Origin" in r.headers.get("Vary", "") for r in responses)


def test_unlisted_origin_gets_no_cors_grant(cds):
    """An origin not in any issuer's cors_origins gets no Access-Control-Allow-Origin (and never a wildcard)."""
    response = cds.request("OPTIONS", "/cds-services", token=None, headers={
        "Origin": "https://evil.test", "Access-Control-Request-Method": "GET"})
    assert "Access-Control-Allow-Origin" not in response.headers


def _bug(*args, **kwargs):
    raise RuntimeError("a bug")


ERRORS = {
    "routing 404 (trailing slash)": ("GET", "/cds-services/", 404),
    "routing 404 (too deep)": ("POST", "/cds-services/receptor-assessment/feedback/extra", 404),
    "unknown service 404": ("POST", "/cds-services/nope", 404),
    "routing 405 (PATCH)": ("PATCH", "/cds-services/receptor-assessment", 405),
    "405 (GET on a service)": ("GET", "/cds-services/receptor-assessment", 405),
    "401": ("GET", "/cds-services", 401),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_every_error_is_an_operation_outcome_with_cors(cds, case):
    """Errors raised by routing (which never reach the blueprint's handlers) get the same JSON body and CORS grant."""
    method, path, status = ERRORS[case]
    response = cds.request(method, path, token=None if status == 401 else True, data="{}",
                           headers={"Origin": SANDBOX_ORIGIN})
    assert response.status_code == status
    assert response.headers["Access-Control-Allow-Origin"] == SANDBOX_ORIGIN
    if status == 405:
        assert response.headers["Allow"] == "POST, OPTIONS"


def test_a_bug_is_a_500_operation_outcome_with_cors(cds, monkeypatch):
    """Even an unexpected error carries the CORS grant, so the browser shows the EHR the 500 instead of a CORS error."""
    import cds_hooks.decision as decision
    monkeypatch.setattr(decision, "assess", _bug)
    from .conftest import hook_fixture
    response = cds.post("/cds-services/receptor-assessment", hook_fixture("patient-view-full-prefetch"),
                        headers={"Origin": EPIC_ORIGIN})
    assert response.status_code == 500
    assert response.headers["Access-Control-Allow-Origin"] == EPIC_ORIGIN


def test_oversized_body_is_413_with_cors_even_when_chunked(make_cds):
    """A body over the limit is refused with 413, whether it declares its length or streams it chunked."""
    import io

    cds = make_cds(max_body_bytes=1000)
    path = "/cds-services/receptor-assessment"
    token = cds.signer.sandbox(path)
    declared = cds.client.post(path, data="x" * 5000, content_type="application/json",
                               headers={"Authorization": f"Bearer {token}", "Origin": SANDBOX_ORIGIN})
    token = cds.signer.sandbox(path)
    chunked = cds.client.post(path, input_stream=io.BytesIO(b"x" * 5000), content_type="application/json",
                              headers={"Authorization": f"Bearer {token}", "Origin": SANDBOX_ORIGIN,
                                       "Transfer-Encoding": "chunked"},
                              environ_overrides={"wsgi.input_terminated": True})
    for response in (declared, chunked):
        assert response.status_code == 413
        assert response.get_json()["resourceType"] == "OperationOutcome"
        assert response.headers["Access-Control-Allow-Origin"] == SANDBOX_ORIGIN


def test_preflight_for_any_cds_path_needs_no_token(cds):
    """OPTIONS on discovery, an unknown service id or feedback is answered 204 with CORS, without a token."""
    for path in ("/cds-services", "/cds-services/not-yet-deployed", "/cds-services/receptor-assessment/feedback"):
        response = cds.request("OPTIONS", path, token=None, headers={
            "Origin": EPIC_ORIGIN, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization"})
        assert response.status_code == 204 and response.headers["Access-Control-Allow-Origin"] == EPIC_ORIGIN


def test_head_on_discovery_is_answered_like_get(cds):
    """HEAD (which Flask adds to every GET route) on discovery is a 200, not a 405."""
    response = cds.client.head("/cds-services", headers={
        "Authorization": f"Bearer {cds.signer.sandbox('/cds-services')}"})
    assert response.status_code == 200


def test_routes_outside_the_cds_namespace_keep_the_app_defaults(cds):
    """The CDS Hooks error handlers and CORS stay on /cds-services: other paths of the app are untouched."""
    response = cds.client.get("/elsewhere", headers={"Origin": SANDBOX_ORIGIN})
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "Access-Control-Allow-Origin" not in response.headers


def test_answers_are_never_cached_or_sniffed(cds):
    """Service answers (they describe a patient) and errors carry Cache-Control: no-store and nosniff."""
    from .conftest import hook_fixture
    for response in (cds.post("/cds-services/receptor-assessment", hook_fixture("patient-view-full-prefetch")),
                     cds.get("/cds-services", token=None), cds.get("/cds-services/")):
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
