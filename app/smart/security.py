"""Response headers for every SMART page: strict CSP, framing only by configured EHR origins.

The page uses no script at all (appContext focus works with a URL fragment and ``:target``),
so the CSP can forbid scripts outright. ``frame-ancestors`` lists the EHR origins that may embed
the app in an iframe; without any, framing is refused (and ``X-Frame-Options: DENY`` is added
for old browsers). With origins configured, X-Frame-Options is left out: it cannot express an
allowlist and would block the EHR.
"""
from __future__ import annotations

from flask import Response

from app.config import Settings


def content_security_policy(settings: Settings) -> str:
    ancestors = " ".join(settings.smart_frame_ancestors) or "'none'"
    return ("default-src 'none'; style-src 'self'; img-src 'self'; script-src 'none'; base-uri 'none'; "
            f"form-action 'self'; frame-ancestors {ancestors}")


def apply_security_headers(resp: Response, settings: Settings) -> Response:
    resp.headers["Content-Security-Policy"] = content_security_policy(settings)
    if not settings.smart_frame_ancestors:
        resp.headers["X-Frame-Options"] = "DENY"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    # The callback URL carries the authorization code: never send it on as a Referer.
    resp.headers["Referrer-Policy"] = "no-referrer"
    resp.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if settings.public_url.startswith("https://"):
        # Deployed over TLS: browsers must never fall back to plain http for the app (tokens' session).
        resp.headers["Strict-Transport-Security"] = "max-age=31536000"
    if resp.mimetype == "text/html":
        resp.headers["Cache-Control"] = "no-store"   # patient data and launch state
    return resp
