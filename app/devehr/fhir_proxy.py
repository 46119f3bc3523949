"""The development EHR's FHIR endpoint: a pass-through to the real sekmet server (dev/test infrastructure).

A real EHR serves its FHIR API and its authorization server under one origin; the dev EHR
imitates that by forwarding ``{ehr}/fhir/<path>`` to the sekmet server's direct URL. sekmet is
started with its public base URL set to ``{ehr}/fhir``, so the links it writes (paging, Location)
and the token audience it checks are the EHR's, and this proxy need not rewrite bodies.

The Authorization header is forwarded untouched: sekmet itself verifies the dev authorization
server's HS256 access tokens (expiry → 401, scope → 403). When sekmet cannot be reached the
caller gets a 502 with an OperationOutcome, as a FHIR client expects from a gateway.
"""
from __future__ import annotations

from typing import Callable

import requests
from flask import Blueprint, Response, request

__all__ = ["create_fhir_proxy_blueprint"]

_FORWARD_REQUEST_HEADERS = ("Authorization", "Accept", "Content-Type", "Prefer", "If-None-Exist",
                            "If-Match", "If-None-Match", "If-Modified-Since")
_FORWARD_RESPONSE_HEADERS = ("Content-Type", "Location", "Content-Location", "ETag", "Last-Modified",
                             "WWW-Authenticate")


def create_fhir_proxy_blueprint(upstream: str | Callable[[], str], *, connect_timeout: float = 3.05,
                                read_timeout: float = 30.0, name: str = "devehr_fhir") -> Blueprint:
    """Blueprint serving ``/fhir`` and ``/fhir/<path>`` by forwarding to ``upstream``.

    ``upstream`` is the sekmet server's direct base URL (``http://127.0.0.1:<port>/fhir``) or a
    callable returning it (the demo may start sekmet after building the app). Register the auth
    server's blueprint first: its ``/fhir/.well-known/smart-configuration`` must not be proxied.
    """
    bp = Blueprint(name, __name__)
    session = requests.Session()

    def _upstream() -> str:
        return (upstream() if callable(upstream) else upstream).rstrip("/")

    @bp.route("/fhir", defaults={"path": ""}, methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
    @bp.route("/fhir/<path:path>", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
    def proxy(path: str) -> Response:
        if path == ".well-known/smart-configuration":
            # Served by the auth server; reaching here means it was not mounted.
            return _outcome(404, "not-found", "SMART configuration is served by the development auth server")
        url = f"{_upstream()}/{path}" if path else _upstream()
        headers = {h: request.headers[h] for h in _FORWARD_REQUEST_HEADERS if h in request.headers}
        try:
            upstream_resp = session.request(
                request.method, url, params=request.query_string.decode("latin-1") or None,
                data=request.get_data() if request.method in ("POST", "PUT", "PATCH") else None,
                headers=headers, timeout=(connect_timeout, read_timeout), stream=True, allow_redirects=False)
        except requests.Timeout:
            return _outcome(504, "timeout", "The FHIR server behind the development EHR did not answer in time")
        except requests.ConnectionError:
            return _outcome(502, "transient", "The FHIR server behind the development EHR is not reachable")
        out_headers = {h: upstream_resp.headers[h] for h in _FORWARD_RESPONSE_HEADERS if h in upstream_resp.headers}

        def body():
            try:
                yield from upstream_resp.iter_content(chunk_size=64 * 1024)
            finally:
                upstream_resp.close()

        return Response(body(), status=upstream_resp.status_code, headers=out_headers)

    return bp


def _outcome(status: int, code: str, text: str) -> Response:
    import json
    body = {"resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": code, "diagnostics": text}]}
    return Response(json.dumps(body), status=status, content_type="application/fhir+json")
