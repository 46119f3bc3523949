"""CORS for browser-based EHRs (checklist 1J.56, 1L)."""
from __future__ import annotations

import pytest

from .conftest import EPIC_ORIGIN, SANDBOX_ORIGIN

PATHS = ["/cds-services", "/cds-services/receptor-assessment", "/cds-services/receptor-order-check/feedback"]


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
