"""EHR and standalone SMART launches end to end: dev auth server + FHIR proxy + real sekmet + the app."""
from __future__ import annotations

import json
import time
from contextlib import contextmanager
from dataclasses import replace

import pytest
import requests

from app.devehr.auth_server import SMART_CAPABILITIES

from .conftest import ASYM_CLIENT, NARROW_CLIENT, NO_CONDITION_CLIENT, SYM_CLIENT, SYM_SECRET, query_of
from .patients import CONVERSION_PATIENT_ID, PLAIN_PATIENT_ID

pytestmark = pytest.mark.fhir_server


def _ehr_launch(dev_ehr, app, browser, patient=CONVERSION_PATIENT_ID, app_context=None, **kw):
    launch = dev_ehr.auth.create_launch(patient, app_context=app_context)
    return browser.get(f"{app.launch_url}?iss={dev_ehr.fhir_base}&launch={launch}", **kw)


@contextmanager
def _auth_config(dev_ehr, **changes):
    """Change the dev authorization server's settings for one test, and put them back."""
    cfg = dev_ehr.auth.config
    saved = {name: getattr(cfg, name) for name in changes}
    for name, value in changes.items():
        setattr(cfg, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(cfg, name, value)


def _refreshes(dev_ehr) -> int:
    """How many times refresh tokens have been used at the dev authorization server."""
    return sum(t.used for t in dev_ehr.auth._refresh.values())


def _authorize_hop(browser):
    return next(h for h in browser.hops if h.is_redirect and "/oauth/authorize" in h.headers["Location"])


def test_ehr_launch_sends_pkce_state_aud_and_v2_scopes(dev_ehr, product_app, browser):
    """The authorize request carries S256 PKCE, a >=122-bit state, aud = FHIR base, launch and least v2 scopes."""
    app = product_app()
    launch = dev_ehr.auth.create_launch(CONVERSION_PATIENT_ID)
    resp = browser.get(f"{app.launch_url}?iss={dev_ehr.fhir_base}&launch={launch}", follow=False)
    assert resp.status_code == 302
    q = query_of(resp.headers["Location"])
    assert resp.headers["Location"].startswith(dev_ehr.base + "/oauth/authorize?")
    assert q["response_type"] == "code" and q["client_id"] == SYM_CLIENT
    assert q["redirect_uri"] == app.base + "/smart/callback"
    assert q["aud"] == dev_ehr.fhir_base and q["launch"] == launch
    assert q["code_challenge_method"] == "S256" and len(q["code_challenge"]) == 43
    assert len(q["state"]) >= 21          # 21 url-safe characters carry 126 bits
    scopes = q["scope"].split()
    assert set(scopes) == {"launch", "openid", "fhirUser", "patient/Observation.rs", "patient/Condition.rs",
                           "patient/MedicationRequest.rs", "patient/Patient.rs", "patient/MedicationStatement.rs",
                           "patient/MedicationAdministration.rs", "patient/Specimen.rs", "patient/Procedure.rs",
                           "patient/DiagnosticReport.rs", "online_access"}


def test_ehr_launch_renders_page_and_keeps_tokens_server_side(dev_ehr, product_app, browser):
    """A full EHR launch ends on the receptor page; no token reaches the HTML, the URLs or the cookies."""
    app = product_app()
    page = _ehr_launch(dev_ehr, app, browser)
    assert page.status_code == 200, page.text[:500]
    assert 'id="receptor-subtype"' in page.text and "<svg" in page.text
    assert "Conversion" in page.text                       # patient banner from the FHIR Patient
    cookies = {c.name: c for c in browser.session.cookies}
    assert set(cookies) == {"receptor_smart_session"}
    assert cookies["receptor_smart_session"].has_nonstandard_attr("HttpOnly")
    for hop in browser.hops:
        assert "eyJ" not in hop.text and "eyJ" not in hop.headers.get("Location", "")
        assert "access_token" not in hop.headers.get("Location", "")
    assert "eyJ" not in cookies["receptor_smart_session"].value
    issued = [t.token for t in dev_ehr.auth._refresh.values()]
    assert issued and not any(t in page.text or t in cookies["receptor_smart_session"].value for t in issued)


def test_asymmetric_client_launches_with_private_key_jwt(dev_ehr, product_app, browser):
    """With a private key the app authenticates by private_key_jwt (RS384) against its served JWKS."""
    app = product_app(ASYM_CLIENT)
    jwks = requests.get(app.base + "/smart/.well-known/jwks.json", timeout=5).json()
    assert jwks["keys"][0]["alg"] == "RS384" and "d" not in jwks["keys"][0]
    page = _ehr_launch(dev_ehr, app, browser)
    assert page.status_code == 200, page.text[:500]
    assert 'id="receptor-subtype"' in page.text


def test_v1_scopes_when_server_advertises_no_v2(dev_ehr, product_app, browser):
    """Without permission-v2 the app asks v1 .read scopes only, and the launch still works end to end."""
    app = product_app()
    original = dev_ehr.auth.config.capabilities
    dev_ehr.auth.config.capabilities = tuple(c for c in SMART_CAPABILITIES if c != "permission-v2")
    try:
        page = _ehr_launch(dev_ehr, app, browser)
    finally:
        dev_ehr.auth.config.capabilities = original
    scopes = query_of(_authorize_hop(browser).headers["Location"])["scope"].split()
    assert "patient/Observation.read" in scopes and not any(s.endswith(".rs") for s in scopes)
    assert page.status_code == 200, page.text[:500]


def test_unknown_iss_is_refused_before_anything_is_sent(product_app, browser):
    """An iss not on the allowlist gets an error page, no redirect and no session cookie."""
    app = product_app()
    resp = browser.get(f"{app.launch_url}?iss=https://attacker.example/fhir&launch=abc")
    assert resp.status_code == 400
    assert "Unknown EHR" in resp.text and "Location" not in resp.headers
    assert not list(browser.session.cookies)


def test_state_mismatch_gets_an_error_page(dev_ehr, product_app, browser):
    """A callback whose state does not match the browser's pending launch is refused."""
    app = product_app()
    hop = _ehr_launch(dev_ehr, app, browser, stop_at=lambda url: "/smart/callback" in url)
    callback = hop.headers["Location"]
    q = query_of(callback)
    forged = callback.replace(f"state={q['state']}", "state=forged-state-value")
    resp = browser.get(forged)
    assert resp.status_code == 400 and "Launch state mismatch" in resp.text
    # The same callback from another browser (no session cookie) is refused as well.
    other = requests.get(callback, allow_redirects=False, timeout=10)
    assert other.status_code == 400 and "No launch in progress" in other.text


def test_access_denied_gets_an_error_page(dev_ehr, product_app, browser):
    """The user denying access in the EHR comes back as error=access_denied and a 403 page."""
    app = product_app()
    picker = browser.get(f"{app.launch_url}?iss={dev_ehr.fhir_base}")
    assert picker.status_code == 200 and "Choose the patient" in picker.text
    form = query_of(_authorize_hop(browser).headers["Location"])
    resp = browser.post(dev_ehr.base + "/oauth/authorize", {**form, "decision": "deny"})
    assert resp.status_code == 403
    assert "Access was not granted" in resp.text and "access_denied" in resp.text


def test_pkce_verifier_is_checked_by_the_server(dev_ehr, product_app, browser):
    """The code cannot be redeemed with a missing or wrong verifier; the app's own verifier works."""
    app = product_app()
    hop = _ehr_launch(dev_ehr, app, browser, stop_at=lambda url: "/smart/callback" in url)
    code = query_of(hop.headers["Location"])["code"]
    token_url = dev_ehr.base + "/oauth/token"
    base = {"grant_type": "authorization_code", "code": code, "redirect_uri": app.base + "/smart/callback"}
    missing = requests.post(token_url, data=base, auth=(SYM_CLIENT, SYM_SECRET), timeout=10)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    wrong = requests.post(token_url, data={**base, "code_verifier": "x" * 64}, auth=(SYM_CLIENT, SYM_SECRET),
                          timeout=10)
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    page = browser.get(hop.headers["Location"])
    assert page.status_code == 200, page.text[:500]


def test_plain_pkce_and_wrong_aud_are_refused_by_the_server(dev_ehr, product_app, browser):
    """The dev EHR refuses code_challenge_method=plain and an aud that is not its FHIR base."""
    app = product_app()
    hop = _ehr_launch(dev_ehr, app, browser, follow=False)
    q = query_of(hop.headers["Location"])
    authz = dev_ehr.base + "/oauth/authorize"
    plain = requests.get(authz, params={**q, "code_challenge_method": "plain", "code_challenge": "a" * 43,
                                        "launch": dev_ehr.auth.create_launch(CONVERSION_PATIENT_ID)},
                         allow_redirects=False, timeout=10)
    assert "error=invalid_request" in plain.headers["Location"]
    wrong_aud = requests.get(authz, params={**q, "aud": "http://127.0.0.1:1/fhir",
                                            "launch": dev_ehr.auth.create_launch(CONVERSION_PATIENT_ID)},
                             allow_redirects=False, timeout=10)
    assert "error=invalid_request" in wrong_aud.headers["Location"] and "aud" in wrong_aud.headers["Location"]


def test_expired_token_gets_401_then_refresh_then_page(dev_ehr, product_app, browser):
    """A token that dies before its advertised expiry meets 401 at sekmet; the app refreshes once and renders."""
    app = product_app()
    with _auth_config(dev_ehr, access_token_lifetime=3, advertised_lifetime=600):
        page = _ehr_launch(dev_ehr, app, browser)
        assert page.status_code == 200, page.text[:500]
        used_before = _refreshes(dev_ehr)
        time.sleep(4.5)
        again = browser.get(page.url)
        assert again.status_code == 200, again.text[:500]
        assert _refreshes(dev_ehr) == used_before + 1   # one rotation


def test_expired_token_is_refreshed_before_use(dev_ehr, product_app, browser):
    """When the advertised lifetime has passed the app refreshes before calling FHIR."""
    app = product_app()
    with _auth_config(dev_ehr, access_token_lifetime=3):
        page = _ehr_launch(dev_ehr, app, browser)
        assert page.status_code == 200, page.text[:500]
        used_before = _refreshes(dev_ehr)
        time.sleep(4)
        assert browser.get(page.url).status_code == 200
        assert _refreshes(dev_ehr) == used_before + 1


def test_observation_scope_not_granted_gives_403_page(dev_ehr, product_app, browser):
    """sekmet answers 403 when Observation access was not granted; the app's 403 page names the missing type."""
    app = product_app(NARROW_CLIENT)
    page = _ehr_launch(dev_ehr, app, browser)
    assert page.status_code == 403
    assert "results was refused" in page.text and "HTTP 403" in page.text
    assert "does not include Observation" in page.text


def test_condition_scope_not_granted_becomes_a_note(dev_ehr, product_app, browser):
    """A refused non-essential type (Condition) is named in the data-quality notes, the page still renders."""
    app = product_app(NO_CONDITION_CLIENT)
    page = _ehr_launch(dev_ehr, app, browser)
    assert page.status_code == 200, page.text[:500]
    assert "refused access to Condition" in page.text


def test_fhir_server_down_gives_a_clear_page(dev_ehr, product_app, browser):
    """With sekmet unreachable behind the EHR the page says so with 503, not a traceback."""
    app = product_app()
    page = _ehr_launch(dev_ehr, app, browser)
    assert page.status_code == 200, page.text[:500]
    dev_ehr.take_fhir_down()
    try:
        resp = browser.get(page.url)
    finally:
        dev_ehr.bring_fhir_up()
    assert resp.status_code == 503 and "not reachable" in resp.text and "Traceback" not in resp.text


def test_ehr_down_at_discovery_gives_a_clear_page(product_app, browser):
    """An allow-listed EHR that does not answer discovery gets a 502 page."""
    from tests.infra.loopback import refused_port
    with refused_port() as port:
        dead = f"http://127.0.0.1:{port}/fhir"
        app = product_app(smart_allowed_issuers=(dead,))
        resp = browser.get(f"{app.launch_url}?iss={dead}&launch=x")
    assert resp.status_code == 502 and "EHR not reachable" in resp.text


def test_standalone_launch_with_patient_picker(dev_ehr, product_app, browser):
    """Standalone: launch/patient is requested, the EHR's picker chooses the patient, the page shows them."""
    app = product_app()
    picker = browser.get(f"{app.launch_url}?iss={dev_ehr.fhir_base}")
    q = query_of(_authorize_hop(browser).headers["Location"])
    assert "launch/patient" in q["scope"].split() and "launch" not in q["scope"].split() and "launch" not in q
    assert "offline_access" in q["scope"].split()
    assert "Plain Case" in picker.text
    page = browser.post(dev_ehr.base + "/oauth/authorize", {**q, "decision": "approve", "patient": PLAIN_PATIENT_ID})
    assert page.status_code == 200, page.text[:500]
    assert "Plain" in page.text and "standalone launch" in page.text


def test_standalone_without_patient_says_so(dev_ehr, product_app, browser):
    """When the token response has no patient, the app says so and never guesses one."""
    app = product_app()
    browser.get(f"{app.launch_url}?iss={dev_ehr.fhir_base}")
    q = query_of(_authorize_hop(browser).headers["Location"])
    page = browser.post(dev_ehr.base + "/oauth/authorize", {**q, "decision": "approve", "patient": ""})
    assert page.status_code == 409
    assert "No patient selected" in page.text and "never guesses" in page.text


def test_security_headers_allow_only_configured_frame_ancestors(dev_ehr, product_app, browser):
    """CSP forbids scripts and allows framing only by the configured EHR origin; no X-Frame-Options then."""
    app = product_app(smart_frame_ancestors=("https://ehr.example.org",))
    page = _ehr_launch(dev_ehr, app, browser)
    csp = page.headers["Content-Security-Policy"]
    assert "frame-ancestors https://ehr.example.org" in csp and "script-src 'none'" in csp
    assert "X-Frame-Options" not in page.headers
    assert "<script" not in page.text and "style=" not in page.text
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"


def test_app_context_focus_on_subtype(dev_ehr, product_app, browser):
    """appContext focus=receptor-subtype lands on #receptor-subtype, highlighted."""
    app = product_app()
    ctx = json.dumps({"patient": CONVERSION_PATIENT_ID, "focus": "receptor-subtype"}, separators=(",", ":"))
    page = _ehr_launch(dev_ehr, app, browser, app_context=ctx)
    assert page.status_code == 200, page.text[:500]
    redirect_hop = next(h for h in browser.hops if "/smart/app/" in h.headers.get("Location", ""))
    assert redirect_hop.headers["Location"].endswith("#receptor-subtype")
    assert 'id="receptor-subtype" class="summary focus"' in page.text


def test_concurrent_reloads_refresh_once(dev_ehr, product_app, browser):
    """Two page loads meeting an expired token together share one refresh instead of replaying it."""
    from concurrent.futures import ThreadPoolExecutor
    app = product_app()
    with _auth_config(dev_ehr, access_token_lifetime=3):
        page = _ehr_launch(dev_ehr, app, browser)
        assert page.status_code == 200, page.text[:500]
        used_before = _refreshes(dev_ehr)
        time.sleep(4)
        cookies = browser.session.cookies.get_dict()
        with ThreadPoolExecutor(4) as pool:
            statuses = list(pool.map(lambda _: requests.get(page.url, cookies=cookies, timeout=30).status_code,
                                      range(4)))
    assert statuses == [200] * 4
    assert _refreshes(dev_ehr) == used_before + 1


def test_fhir_401_that_survives_a_refresh_gives_a_401_page(dev_ehr, product_app, browser):
    """Tokens sekmet cannot verify: 401, one refresh, 401 again, then a page asking to relaunch."""
    app = product_app()
    with _auth_config(dev_ehr, smart_secret="not-the-fhir-servers-secret-" + "x" * 16):
        used_before = _refreshes(dev_ehr)
        page = _ehr_launch(dev_ehr, app, browser)
    assert page.status_code == 401 and "did not accept" in page.text
    assert _refreshes(dev_ehr) == used_before + 1   # refreshed exactly once


def test_token_request_refused_gives_a_clear_page(dev_ehr, product_app, browser):
    """A code that has expired before the exchange ends on a page naming the EHR's refusal."""
    app = product_app()
    with _auth_config(dev_ehr, code_lifetime=-1):   # every code is already expired when redeemed
        page = _ehr_launch(dev_ehr, app, browser)
    assert page.status_code == 502
    assert "Token request refused" in page.text and "invalid_grant" in page.text
