"""The dev EHR's authorization server refuses what SMART and the OAuth BCP say it must, and the app
checks the id_token it gets (real HTTP against the dev EHR)."""
from __future__ import annotations

import time

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import RSAKey

from app.smart import tokens
from app.smart.client_keys import load_signing_key
from app.smart.errors import SmartError

from .conftest import ASYM_CLIENT, NO_REFRESH_CLIENT, SYM_CLIENT, SYM_SECRET, query_of
from .patients import CONVERSION_PATIENT_ID

pytestmark = pytest.mark.fhir_server


def _code_for(dev_ehr, app, browser):
    launch = dev_ehr.auth.create_launch(CONVERSION_PATIENT_ID)
    browser.get(f"{app.launch_url}?iss={dev_ehr.fhir_base}&launch={launch}", follow=False)
    authorize = browser.hops[-1].headers["Location"]
    q = query_of(authorize)
    # Redeem the code ourselves with our own verifier: authorize again with a known challenge.
    from authlib.oauth2.rfc7636 import create_s256_code_challenge
    verifier = "v" * 64
    q.update(code_challenge=create_s256_code_challenge(verifier), launch=dev_ehr.auth.create_launch(CONVERSION_PATIENT_ID))
    resp = requests.get(dev_ehr.base + "/oauth/authorize", params=q, allow_redirects=False, timeout=10)
    back = query_of(resp.headers["Location"])
    return back["code"], verifier, q


def _redeem(dev_ehr, app, code, verifier):
    return requests.post(dev_ehr.base + "/oauth/token", auth=(SYM_CLIENT, SYM_SECRET), timeout=10, data={
        "grant_type": "authorization_code", "code": code, "code_verifier": verifier,
        "redirect_uri": app.base + "/smart/callback"})


def test_token_response_carries_smart_context_and_no_store(dev_ehr, product_app, browser):
    """The token response has patient, scope, expires_in, need_patient_banner and no-store/no-cache headers."""
    app = product_app()
    code, verifier, _ = _code_for(dev_ehr, app, browser)
    resp = _redeem(dev_ehr, app, code, verifier)
    body = resp.json()
    assert resp.status_code == 200 and body["token_type"] == "Bearer"
    assert body["patient"] == CONVERSION_PATIENT_ID and body["expires_in"] > 0 and "need_patient_banner" in body
    assert "patient/Observation.rs" in body["scope"].split() and body.get("refresh_token") and body.get("id_token")
    assert resp.headers["Cache-Control"] == "no-store" and resp.headers["Pragma"] == "no-cache"
    claims = jwt.decode(body["access_token"], _oct(dev_ehr.sekmet.smart_secret)).claims
    assert claims["aud"] == dev_ehr.fhir_base and claims["patient"] == CONVERSION_PATIENT_ID
    assert claims["client_id"] == SYM_CLIENT and claims["exp"] > time.time()


def test_code_cannot_be_redeemed_twice(dev_ehr, product_app, browser):
    """An authorization code works once."""
    app = product_app()
    code, verifier, _ = _code_for(dev_ehr, app, browser)
    assert _redeem(dev_ehr, app, code, verifier).status_code == 200
    again = _redeem(dev_ehr, app, code, verifier)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_refresh_tokens_rotate_and_reuse_ends_the_chain(dev_ehr, product_app, browser):
    """Each refresh returns a new refresh token; replaying an old one fails and revokes the newer one too."""
    app = product_app()
    code, verifier, _ = _code_for(dev_ehr, app, browser)
    first = _redeem(dev_ehr, app, code, verifier).json()["refresh_token"]

    def refresh(token):
        return requests.post(dev_ehr.base + "/oauth/token", auth=(SYM_CLIENT, SYM_SECRET), timeout=10,
                             data={"grant_type": "refresh_token", "refresh_token": token})

    second = refresh(first)
    assert second.status_code == 200 and second.json()["refresh_token"] != first
    assert refresh(first).status_code == 400                    # reuse refused ...
    assert refresh(second.json()["refresh_token"]).status_code == 400   # ... and the chain is ended


def test_refresh_token_is_bound_to_its_client(dev_ehr, product_app, browser):
    """Another client cannot use the refresh token."""
    app = product_app()
    product_app(NO_REFRESH_CLIENT)      # registers a second symmetric client with the same secret
    code, verifier, _ = _code_for(dev_ehr, app, browser)
    rt = _redeem(dev_ehr, app, code, verifier).json()["refresh_token"]
    resp = requests.post(dev_ehr.base + "/oauth/token", auth=(NO_REFRESH_CLIENT, SYM_SECRET), timeout=10,
                         data={"grant_type": "refresh_token", "refresh_token": rt})
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_grant"


def test_wrong_client_secret_is_invalid_client(dev_ehr, product_app, browser):
    """client_secret_basic with a wrong secret is refused as invalid_client."""
    app = product_app()
    code, verifier, _ = _code_for(dev_ehr, app, browser)
    resp = requests.post(dev_ehr.base + "/oauth/token", auth=(SYM_CLIENT, "wrong"), timeout=10, data={
        "grant_type": "authorization_code", "code": code, "code_verifier": verifier,
        "redirect_uri": app.base + "/smart/callback"})
    assert resp.status_code == 401 and resp.json()["error"] == "invalid_client"


def test_client_assertion_cannot_be_replayed(dev_ehr, product_app, client_key_pem):
    """A private_key_jwt assertion is accepted once; the same jti again is invalid_client."""
    product_app(ASYM_CLIENT)
    token_url = dev_ehr.base + "/oauth/token"
    key = load_signing_key(str(client_key_pem), "RS384")
    now = int(time.time())
    assertion = jwt.encode({"alg": "RS384", "kid": key.kid, "typ": "JWT"},
                           {"iss": ASYM_CLIENT, "sub": ASYM_CLIENT, "aud": token_url, "exp": now + 240,
                            "jti": f"jti-{now}"}, key, algorithms=["RS384"])
    data = {"grant_type": "refresh_token", "refresh_token": "not-a-token",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion}
    first = requests.post(token_url, data=data, timeout=10)
    assert first.json()["error"] == "invalid_grant"           # client authenticated, token unknown
    second = requests.post(token_url, data=data, timeout=10)
    assert second.status_code in (400, 401) and second.json()["error"] == "invalid_client"


def test_client_assertion_signed_by_another_key_is_refused(dev_ehr, product_app):
    """A private_key_jwt assertion that does not verify against the registered JWKS is invalid_client."""
    product_app(ASYM_CLIENT)
    token_url = dev_ehr.base + "/oauth/token"
    other = RSAKey.generate_key(2048)
    other.ensure_kid()
    now = int(time.time())
    assertion = jwt.encode({"alg": "RS384", "kid": other.kid, "typ": "JWT"},
                           {"iss": ASYM_CLIENT, "sub": ASYM_CLIENT, "aud": token_url, "exp": now + 240,
                            "jti": f"other-{now}"}, other, algorithms=["RS384"])
    resp = requests.post(token_url, timeout=10, data={
        "grant_type": "refresh_token", "refresh_token": "x",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion})
    assert resp.json()["error"] == "invalid_client"


@pytest.mark.parametrize("case", ["wrong-client", "wrong-nonce", "forged-signature", "other-issuer", "expired"])
def test_id_token_checks(dev_ehr, product_app, browser, case):
    """The app rejects an id_token for another client, with another nonce or issuer, expired, or not signed by the EHR."""
    app = product_app()
    code, verifier, q = _code_for(dev_ehr, app, browser)
    id_token = _redeem(dev_ehr, app, code, verifier).json()["id_token"]
    meta = requests.get(dev_ehr.fhir_base + "/.well-known/smart-configuration", timeout=10).json()
    kwargs = dict(meta=meta, iss=dev_ehr.fhir_base, client_id=SYM_CLIENT, nonce=q.get("nonce"), timeout=(3, 5))
    assert tokens.validate_id_token(id_token, **kwargs)["fhirUser"].startswith(dev_ehr.fhir_base + "/Practitioner/")
    if case == "wrong-client":
        kwargs["client_id"] = "someone-else"
    elif case == "wrong-nonce":
        kwargs["nonce"] = "another-nonce"
    elif case == "forged-signature":
        claims = jwt.decode(id_token, dev_ehr.auth.id_token_key).claims
        forged = RSAKey.generate_key(2048)
        id_token = jwt.encode({"alg": "RS256", "kid": dev_ehr.auth.id_token_key.kid}, claims, forged)
    else:   # signed with the EHR's own key, but naming another issuer or long expired
        claims = jwt.decode(id_token, dev_ehr.auth.id_token_key).claims
        if case == "other-issuer":
            claims["iss"] = "https://attacker.example"
        else:
            claims["iat"], claims["exp"] = claims["iat"] - 3600, claims["iat"] - 1800
        id_token = jwt.encode({"alg": "RS256", "kid": dev_ehr.auth.id_token_key.kid}, claims,
                              dev_ehr.auth.id_token_key)
    with pytest.raises(SmartError) as err:
        tokens.validate_id_token(id_token, **kwargs)
    assert err.value.status == 401


def test_expired_token_without_refresh_token_asks_to_relaunch(dev_ehr, product_app, browser):
    """Without online/offline access there is no refresh token; once expired the page asks to relaunch (401)."""
    app = product_app(NO_REFRESH_CLIENT)
    cfg = dev_ehr.auth.config
    saved = cfg.access_token_lifetime
    cfg.access_token_lifetime = 2
    try:
        launch = dev_ehr.auth.create_launch(CONVERSION_PATIENT_ID)
        page = browser.get(f"{app.launch_url}?iss={dev_ehr.fhir_base}&launch={launch}")
        assert page.status_code == 200, page.text[:300]
        time.sleep(3)
        again = browser.get(page.url)
    finally:
        cfg.access_token_lifetime = saved
    assert again.status_code == 401 and "Session expired" in again.text


def test_session_id_changes_when_the_launch_completes(dev_ehr, product_app, browser):
    """The cookie set before authorization is replaced after the callback (no session fixation)."""
    app = product_app()
    launch = dev_ehr.auth.create_launch(CONVERSION_PATIENT_ID)
    first = browser.get(f"{app.launch_url}?iss={dev_ehr.fhir_base}&launch={launch}", follow=False)
    before = first.cookies["receptor_smart_session"]
    page = browser.get(first.headers["Location"])
    assert page.status_code == 200
    after = browser.session.cookies.get("receptor_smart_session")
    assert after and after != before
    stale = requests.get(page.url, cookies={"receptor_smart_session": before}, timeout=10)
    assert stale.status_code == 401


def _oct(secret):
    from joserfc.jwk import OctKey
    return OctKey.import_key(secret)
