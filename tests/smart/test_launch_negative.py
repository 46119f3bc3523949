"""Launch failure paths an integrator meets: replayed or hostile callbacks, a broken token endpoint,
unexpected errors and unknown URLs. Each ends on a clear page with the security headers, never a
traceback, and no token ever reaches the logs."""
from __future__ import annotations

import logging

import pytest
from flask import Flask, Response, jsonify, request

from tests.infra.loopback import listening_socket

from .conftest import SYM_SECRET, ServedApp, query_of
from .patients import CONVERSION_PATIENT_ID

pytestmark = pytest.mark.fhir_server


def _launch_to_callback(dev_ehr, app, browser):
    """Run an EHR launch up to the redirect back to the app; return the callback URL (not yet visited)."""
    launch = dev_ehr.auth.create_launch(CONVERSION_PATIENT_ID)
    hop = browser.get(f"{app.launch_url}?iss={dev_ehr.fhir_base}&launch={launch}",
                      stop_at=lambda url: "/smart/callback" in url)
    return hop.headers["Location"]


def test_replayed_callback_is_refused(dev_ehr, product_app, browser):
    """The same callback (code + state) a second time in the same browser is refused: state is single-use."""
    app = product_app()
    callback = _launch_to_callback(dev_ehr, app, browser)
    first = browser.get(callback)
    assert first.status_code == 200, first.text[:300]
    again = browser.get(callback)
    assert again.status_code == 400 and "Launch state mismatch" in again.text


def test_error_description_from_the_ehr_is_escaped(dev_ehr, product_app, browser):
    """error=access_denied with markup in error_description is shown as text, never as markup."""
    app = product_app()
    callback = _launch_to_callback(dev_ehr, app, browser)
    state = query_of(callback)["state"]
    hostile = "<script>alert(1)</script>"
    resp = browser.session.get(f"{app.base}/smart/callback", timeout=10, allow_redirects=False,
                               params={"state": state, "error": "access_denied", "error_description": hostile})
    assert resp.status_code == 403 and "Access was not granted" in resp.text
    assert "<script>" not in resp.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in resp.text
    assert "script-src 'none'" in resp.headers["Content-Security-Policy"]


def test_error_without_a_known_state_names_the_error_code_only(product_app, browser):
    """An error answer that matches no launch is refused, naming the code but not trusting its description."""
    app = product_app()
    resp = browser.get(f"{app.base}/smart/callback?error=invalid_scope&error_description=%3Cb%3Ex%3C%2Fb%3E")
    assert resp.status_code == 400 and "invalid_scope" in resp.text and "<b>x" not in resp.text


@pytest.mark.parametrize("path, method, status", [
    ("/smart/no-such-page", "GET", 404),
    ("/smart/launch", "POST", 405),
    ("/smart/app/unknown-view", "GET", 401),
    ("/smart/callback", "GET", 400),
])
def test_error_pages_carry_the_security_headers(product_app, path, method, status):
    """Every SMART response, errors and unrouted URLs included, has CSP, nosniff, no-referrer and no-store."""
    import requests
    app = product_app()
    resp = requests.request(method, app.base + path, timeout=10, allow_redirects=False)
    assert resp.status_code == status
    assert "Traceback" not in resp.text and "Receptor CDS" in resp.text
    assert "default-src 'none'" in resp.headers["Content-Security-Policy"]
    assert "frame-ancestors" in resp.headers["Content-Security-Policy"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    assert resp.headers["Cache-Control"] == "no-store"


def test_unexpected_error_gives_a_plain_500_page(dev_ehr, product_app, browser, monkeypatch):
    """A bug while building the page ends on a 500 page with the headers, not Flask's default or a traceback."""
    app = product_app()
    callback = _launch_to_callback(dev_ehr, app, browser)

    def broken_chart(*args, **kwargs):
        raise RuntimeError("chart bug")

    monkeypatch.setattr("app.smart.views.build_chart", broken_chart)
    resp = browser.get(callback)
    assert resp.status_code == 500
    assert "Something went wrong" in resp.text and "chart bug" not in resp.text and "Traceback" not in resp.text
    assert "default-src 'none'" in resp.headers["Content-Security-Policy"]


def test_paths_outside_the_app_keep_their_own_404(product_app):
    """The app's 404 page is only for /smart URLs; other paths keep the default answer."""
    import requests
    app = product_app()
    resp = requests.get(app.base + "/no-such-thing", timeout=10)
    assert resp.status_code == 404 and "Receptor CDS SMART app" not in resp.text


def test_no_token_reaches_the_logs(dev_ehr, product_app, browser, caplog, monkeypatch):
    """A full launch, a page load and a forced refresh log no token or client secret at any level (EHR side too)."""
    from app.smart import tokens
    seen: list[str] = []
    real_exchange, real_refresh = tokens.exchange_code, tokens.refresh

    def record(token):
        seen.extend(v for k, v in token.items() if k in ("access_token", "refresh_token", "id_token") and v)
        return token

    monkeypatch.setattr(tokens, "exchange_code", lambda *a, **k: record(real_exchange(*a, **k)))
    monkeypatch.setattr(tokens, "refresh", lambda *a, **k: record(real_refresh(*a, **k)))
    caplog.set_level(logging.DEBUG)
    app = product_app()
    page = browser.get(_launch_to_callback(dev_ehr, app, browser))
    assert page.status_code == 200
    dev_ehr.auth.config.advertised_lifetime, saved = 1, dev_ehr.auth.config.advertised_lifetime
    try:
        page = browser.get(_launch_to_callback(dev_ehr, app, browser))
        import time
        time.sleep(1.2)
        assert browser.get(page.url).status_code == 200        # refreshed before use
    finally:
        dev_ehr.auth.config.advertised_lifetime = saved
    assert len(seen) >= 5, seen                                 # two launches (3 tokens each) and a refresh
    logged = "\n".join(r.getMessage() + " " + repr(r.args) for r in caplog.records)
    assert caplog.records
    for token in seen:
        assert token not in logged
    assert SYM_SECRET not in logged                             # nor the client secret


# ---- a token endpoint that misbehaves (an EHR's network cannot run here; shapes as real servers send them)

@pytest.fixture
def broken_ehr():
    """Discovery and authorize like an EHR; the token endpoint answers whatever the test sets."""
    app = Flask("broken-ehr")
    answer: dict = {}

    @app.get("/fhir/.well-known/smart-configuration")
    def meta():
        return jsonify({"authorization_endpoint": "../oauth/authorize", "token_endpoint": "../oauth/token",
                        "capabilities": ["launch-ehr", "permission-v2", "client-confidential-symmetric"],
                        "code_challenge_methods_supported": ["S256"]})

    @app.post("/oauth/token")
    def token():
        answer["seen"] = dict(request.form)
        return Response(answer["body"], status=answer["status"], content_type=answer["type"])

    served = ServedApp(app, listening_socket())
    yield served.base + "/fhir", answer
    served.stop()


@pytest.mark.parametrize("status, ctype, body, page_status, says", [
    (500, "text/html", "<html><body>Internal Server Error</body></html>", 502, "Token request failed"),
    (400, "application/json", '{"error": "invalid_grant", "error_description": "<i>code expired</i>"}', 502,
     "invalid_grant"),
    (200, "application/json", '{"access_token": "at-1", "token_type": "mac", "scope": "launch"}', 502,
     "not a Bearer token"),
    (200, "application/json", '{"access_token": "at-2", "token_type": "bearer", "expires_in": 300, '
                              '"scope": "launch patient/Observation.rs"}', 409, "No patient in context"),
], ids=["http-500-html", "invalid-grant", "not-bearer", "lowercase-bearer-without-patient"])
def test_token_endpoint_failures_get_a_clear_page(product_app, browser, broken_ehr, status, ctype, body,
                                                   page_status, says):
    """A 500, an OAuth error, a non-Bearer token or a token without patient each end on their own page."""
    base, answer = broken_ehr
    answer.update(status=status, type=ctype, body=body)
    app = product_app(smart_allowed_issuers=(base,))
    first = browser.get(f"{app.launch_url}?iss={base}&launch=opaque-launch", follow=False)
    assert first.status_code == 302
    state = query_of(first.headers["Location"])["state"]
    resp = browser.get(f"{app.base}/smart/callback?code=the-code&state={state}")
    assert resp.status_code == page_status and says in resp.text, resp.text[:400]
    assert "Traceback" not in resp.text and "<i>" not in resp.text
    assert answer["seen"]["code_verifier"] and answer["seen"]["grant_type"] == "authorization_code"
    assert "client_id" not in answer["seen"] and "client_secret" not in answer["seen"]   # confidential: Basic only
