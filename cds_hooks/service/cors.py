"""CORS for browser-based CDS clients (the sandbox calls from the browser, checklist 1J.56 and 1L).

Origins come from the trusted-issuers file (the union of every issuer's ``cors_origins``), never
a wildcard: the routes take bearer tokens. Headers go on every response of the blueprint,
errors included, and ``OPTIONS`` preflight is answered without authentication.
"""
from __future__ import annotations

from flask import Response

ALLOWED_METHODS = "GET, POST, OPTIONS"
ALLOWED_HEADERS = "Authorization, Content-Type"
MAX_AGE = "600"


def apply_cors(response: Response, origin: str | None, allowed_origins: frozenset[str], *,
               preflight: bool = False) -> Response:
    response.vary.add("Origin")
    if origin and origin.rstrip("/").lower() in allowed_origins:
        response.headers["Access-Control-Allow-Origin"] = origin
        if preflight:
            response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
            response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            response.headers["Access-Control-Max-Age"] = MAX_AGE
    return response
