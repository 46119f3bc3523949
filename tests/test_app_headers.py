"""Baseline response headers of the application outside the SMART pages."""
from __future__ import annotations

from app import create_app
from app.config import Settings


def _client():
    return create_app(Settings(cds_auth_disabled=True, database_url="sqlite://")).test_client()


def test_unrouted_url_gets_locked_down_headers():
    """A 404 at the root is not a page the browser may sniff, script or frame."""
    resp = _client().get("/no-such-page")
    assert resp.status_code == 404
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"


def test_smart_pages_keep_their_own_policy():
    """The SMART blueprint's CSP (frame-ancestors from settings, style-src 'self') is not overwritten."""
    resp = _client().get("/smart/launch")
    assert "style-src 'self'" in resp.headers["Content-Security-Policy"]


def test_favicon_is_not_a_404():
    """Browsers ask for /favicon.ico on every page load; the answer is 'no content' (cacheable), never a 404
    that fills the browser console and the access log (issue 8)."""
    resp = _client().get("/favicon.ico")
    assert resp.status_code == 204 and not resp.data
    assert "max-age" in resp.headers["Cache-Control"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
