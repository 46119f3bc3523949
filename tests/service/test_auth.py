"""JWT verification of the calling EHR (CH §Trusting CDS Clients; checklist 1I)."""
from __future__ import annotations

import base64
import json
import logging
import time

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey

from cds_hooks.service.auth import ReplayCache
from cds_hooks.state import SqliteStateStore

from .conftest import EPIC_ISS, PUBLIC_URL, SANDBOX_ISS, make_token

DISCOVERY = "/cds-services"
SERVICE = "/cds-services/receptor-assessment"
FEEDBACK = "/cds-services/receptor-assessment/feedback"


FEEDBACK_BODY = {"feedback": [{"card": "9b4d7e2a-0c1f-4a5e-8d3b-1f2e3a4b5c6d", "outcome": "overridden",
                                 "outcomeTimestamp": "2026-11-01T10:15:00Z"}]}


@pytest.mark.parametrize("path, expected", [(DISCOVERY, 200), (SERVICE, 400), (FEEDBACK, 200)])
def test_sandbox_like_es384_token_with_jku_is_accepted_on_every_endpoint(cds, signer, path, expected):
    """An ES384 token with kid+jku, exact aud and 5-minute exp passes on discovery, service and feedback: each
    answers exactly as for an authenticated caller (the service refuses the order-sign body itself, 400)."""
    token = signer.sandbox(path)
    if path == DISCOVERY:
        response = cds.get(path, token=token)
    elif path == SERVICE:
        response = cds.post(path, {"hook": "order-sign"}, token=token)   # authenticated, then refused as 400
        assert "authentication" not in response.get_json()["issue"][0]["diagnostics"]
    else:
        response = cds.post(path, FEEDBACK_BODY, token=token)
    assert response.status_code == expected, response.get_data(as_text=True)[:300]


def test_epic_like_rs384_token_with_nbf_and_inline_keys_is_accepted(cds, signer):
    """An RS384 token with nbf, aud as a one-element array and keys from the file (no jku) passes."""
    assert cds.get(DISCOVERY, token=signer.epic(DISCOVERY)).status_code == 200


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["iss"] = claims["iss"]   # same issuer, different audience: a re-targeted token
    claims["aud"] = PUBLIC_URL + "/cds-services/other"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return ".".join([header, forged, signature])


def _unsigned(path: str) -> str:
    now = int(time.time())
    enc = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()
    return f"{enc({'alg': 'none', 'typ': 'JWT', 'kid': 'sandbox-key-1'})}." \
           f"{enc({'iss': SANDBOX_ISS, 'aud': PUBLIC_URL + path, 'iat': now, 'exp': now + 300, 'jti': 'x'})}."


BAD_TOKENS = {
    "alg none": lambda s: _unsigned(DISCOVERY),
    "HS256 with a shared secret": lambda s: make_token(OctKey.generate_key(256), iss=SANDBOX_ISS,
                                                       aud=PUBLIC_URL + DISCOVERY, alg="HS256", kid="sandbox-key-1"),
    "expired": lambda s: s.sandbox(DISCOVERY, lifetime=-120),
    "wrong aud (service URL on discovery)": lambda s: s.sandbox(DISCOVERY, aud=PUBLIC_URL + SERVICE),
    "aud with a trailing slash": lambda s: s.sandbox(DISCOVERY, aud=PUBLIC_URL + DISCOVERY + "/"),
    "two audiences": lambda s: s.sandbox(DISCOVERY, aud=[PUBLIC_URL + DISCOVERY, "https://other"]),
    "unknown iss": lambda s: s.sandbox(DISCOVERY, iss="https://evil.test"),
    "jku not the issuer's jwks_url": lambda s: s.sandbox(DISCOVERY, jku="http://127.0.0.1:9/jwks.json"),
    "jku on an inline-keys issuer": lambda s: s.epic(DISCOVERY, jku="https://epic.ehr.test/jwks"),
    "tampered payload": lambda s: _tamper(s.sandbox(DISCOVERY)),
    "missing typ": lambda s: s.sandbox(DISCOVERY, typ=None),
    "wrong typ": lambda s: s.sandbox(DISCOVERY, typ="at+jwt"),
    "missing kid": lambda s: s.sandbox(DISCOVERY, kid=None),
    "missing jti": lambda s: s.sandbox(DISCOVERY, jti=None),
    "missing iat": lambda s: s.sandbox(DISCOVERY, iat=None),
    "nbf in the future": lambda s: s.epic(DISCOVERY, nbf=int(time.time()) + 600),
    "lifetime over an hour": lambda s: s.sandbox(DISCOVERY, lifetime=3 * 3600),
    "signed by another key with a known kid": lambda s: make_token(
        ECKey.generate_key("P-384"), iss=SANDBOX_ISS, aud=PUBLIC_URL + DISCOVERY, alg="ES384",
        kid="sandbox-key-1", jku=s.jwks_url),
    "not a JWT": lambda s: "not-a-jwt",
    "RS384 header naming the EC key": lambda s: make_token(
        s.epic_key, iss=SANDBOX_ISS, aud=PUBLIC_URL + DISCOVERY, alg="RS384", kid="sandbox-key-1", jku=s.jwks_url),
    "alg other than the JWK's alg": lambda s: make_token(
        _without_alg(s.epic_key), iss=EPIC_ISS, aud=[PUBLIC_URL + DISCOVERY], alg="RS256", kid="epic-key-1"),
    "ES256 on the P-384 key": lambda s: make_token(
        ECKey.generate_key("P-256"), iss=SANDBOX_ISS, aud=PUBLIC_URL + DISCOVERY, alg="ES256", kid="sandbox-key-1",
        jku=s.jwks_url),
    "PS384 (not on the allowlist)": lambda s: make_token(
        _without_alg(s.epic_key), iss=EPIC_ISS, aud=[PUBLIC_URL + DISCOVERY], alg="PS384", kid="epic-key-1"),
    "aud without the path": lambda s: s.sandbox(DISCOVERY, aud=PUBLIC_URL),
    "aud over http": lambda s: s.sandbox(DISCOVERY, aud=PUBLIC_URL.replace("https:", "http:") + DISCOVERY),
    "iss with a trailing slash": lambda s: s.sandbox(DISCOVERY, iss=SANDBOX_ISS + "/"),
    "exp as a string": lambda s: s.sandbox(DISCOVERY, exp=str(int(time.time()) + 300)),
}


def _without_alg(key):
    """The same RSA key without its JWK alg, so the test can sign with an algorithm the JWK does not name."""
    from joserfc.jwk import RSAKey
    return RSAKey.import_key({k: v for k, v in key.as_dict(private=True).items() if k != "alg"})


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
def test_bad_token_is_refused_with_401_and_no_detail(cds, signer, case, caplog):
    """Each kind of forged, stale or misdirected token gets a 401 that does not say why, and is logged without the token."""
    token = BAD_TOKENS[case](signer)
    with caplog.at_level(logging.WARNING, logger="cds_hooks.service"):
        response = cds.get(DISCOVERY, token=token)
    assert response.status_code == 401
    assert response.get_json()["issue"][0]["diagnostics"] == "authentication failed"
    assert "CDS client rejected" in caplog.text
    assert token not in caplog.text


def test_missing_authorization_header_is_401(cds):
    """A call without a bearer token is refused."""
    assert cds.get(DISCOVERY, token=None).status_code == 401


def test_replayed_jti_is_refused(cds, signer):
    """The same token presented twice is refused the second time (jti replay cache)."""
    token = signer.sandbox(DISCOVERY)
    assert cds.get(DISCOVERY, token=token).status_code == 200
    assert cds.get(DISCOVERY, token=token).status_code == 401


def test_unknown_kid_refetches_the_jwks_once_then_401(cds, signer, jwks_server):
    """An unknown kid makes one JWKS refetch (key rotation), then 401; a second unknown kid soon after does not refetch."""
    assert cds.get(DISCOVERY, token=signer.sandbox(DISCOVERY)).status_code == 200
    assert jwks_server.fetches == 1
    assert cds.get(DISCOVERY, token=signer.sandbox(DISCOVERY, kid="rotated-away")).status_code == 401
    assert jwks_server.fetches == 2
    assert cds.get(DISCOVERY, token=signer.sandbox(DISCOVERY, kid="another")).status_code == 401
    assert jwks_server.fetches == 2


def test_rotated_key_is_picked_up_by_the_refetch(cds, signer, jwks_server):
    """After the EHR rotates its key, the first token with the new kid is accepted thanks to the refetch."""
    assert cds.get(DISCOVERY, token=signer.sandbox(DISCOVERY)).status_code == 200
    new_key = ECKey.generate_key("P-384", parameters={"kid": "sandbox-key-2"})
    jwks_server.keyset = {"keys": [new_key.as_dict(private=False)]}
    token = make_token(new_key, iss=SANDBOX_ISS, aud=PUBLIC_URL + DISCOVERY, alg="ES384", kid="sandbox-key-2",
                       jku=signer.jwks_url)
    assert cds.get(DISCOVERY, token=token).status_code == 200


def test_jwks_is_cached_between_calls(cds, signer, jwks_server):
    """Keys fetched once serve later calls without another fetch."""
    for _ in range(3):
        assert cds.get(DISCOVERY, token=signer.sandbox(DISCOVERY)).status_code == 200
    assert jwks_server.fetches == 1


def test_iat_rounded_slightly_into_the_future_is_tolerated(cds, signer):
    """Real clients round iat; 30 s ahead is inside the leeway."""
    token = signer.sandbox(DISCOVERY, iat=int(time.time()) + 30)
    assert cds.get(DISCOVERY, token=token).status_code == 200


def test_epic_issuer_cannot_use_the_sandbox_key(tmp_path):
    """A token claiming the Epic issuer but signed with some other key fails (keys are per issuer)."""
    from cds_hooks.service.auth import AuthError, JwtVerifier
    from cds_hooks.service.issuers import parse_trusted_issuers
    epic = ECKey.generate_key("P-384", parameters={"kid": "k"})
    other = ECKey.generate_key("P-384", parameters={"kid": "k"})
    verifier = JwtVerifier(parse_trusted_issuers({EPIC_ISS: {"jwks": {"keys": [epic.as_dict(private=False)]}}}),
                           replay_cache=ReplayCache(SqliteStateStore(tmp_path / "state.sqlite")))
    token = make_token(other, iss=EPIC_ISS, aud="https://x/cds-services", alg="ES384", kid="k")
    with pytest.raises(AuthError):
        verifier.verify(f"Bearer {token}", "https://x/cds-services")
    good = make_token(epic, iss=EPIC_ISS, aud="https://x/cds-services", alg="ES384", kid="k")
    assert verifier.verify(f"Bearer {good}", "https://x/cds-services").iss == EPIC_ISS


def test_replay_cache_remembers_a_jti_until_its_token_expires_plus_leeway(tmp_path):
    """A jti is refused again until exp + the 60 s leeway has passed (the last second inside it still refuses);
    after that the token itself would be refused as expired, so the entry may go."""
    from cds_hooks.service.auth import LEEWAY_SECONDS
    now = [1000.0]
    cache = ReplayCache(SqliteStateStore(tmp_path / "state.sqlite", clock=lambda: now[0]), clock=lambda: now[0])
    assert cache.check_and_add("i", "a", 1010)
    assert not cache.check_and_add("i", "a", 1010)
    assert cache.check_and_add("j", "a", 1010)          # the same jti from another issuer is another token
    now[0] = 1010 + LEEWAY_SECONDS - 1
    assert not cache.check_and_add("i", "a", 1010)
    now[0] = 1010 + LEEWAY_SECONDS + 1
    assert cache.check_and_add("i", "a", 1010)


def test_auth_disabled_accepts_unsigned_calls_and_warns_loudly(make_cds, caplog):
    """The development switch lets calls through without a JWT and logs a warning at start and on each call."""
    with caplog.at_level(logging.WARNING, logger="cds_hooks.service"):
        client = make_cds(cds_auth_disabled=True)
        assert "DISABLED" in caplog.text
        caplog.clear()
        assert client.get(DISCOVERY, token=None).status_code == 200
    assert "DISABLED" in caplog.text


def test_unreachable_jwks_url_is_401_not_500(make_settings, signer, tmp_path, epic_key):
    """When the issuer's key endpoint is down, calls are refused (401), never an error page."""
    import json as _json

    from tests.infra.loopback import refused_port

    from .conftest import CdsClient, build_app, write_trusted_issuers
    with refused_port() as port:
        settings = make_settings()
        write_trusted_issuers(tmp_path / "trusted-issuers.json", f"http://127.0.0.1:{port}/jwks.json",
                              epic_key, [])
        down = CdsClient(build_app(settings), signer)
        issuers = _json.loads((tmp_path / "trusted-issuers.json").read_text())
        token = signer.sandbox(DISCOVERY, jku=issuers[SANDBOX_ISS]["jwks_url"])
        assert down.get(DISCOVERY, token=token).status_code == 401


def test_bearer_scheme_is_case_insensitive_and_401_names_the_scheme(cds, signer):
    """RFC 6750/7235: 'bearer' works like 'Bearer'; a 401 carries WWW-Authenticate: Bearer and nothing more."""
    token = signer.sandbox(DISCOVERY)
    assert cds.get(DISCOVERY, token=None, headers={"Authorization": f"bearer {token}"}).status_code == 200
    refused = cds.get(DISCOVERY, token=None)
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"] == "Bearer"


def test_iat_just_outside_the_leeway_is_refused_and_exp_just_inside_is_accepted(cds, signer):
    """The leeway is a minute: iat 2 minutes ahead is refused; a token expired 30 s ago still passes."""
    assert cds.get(DISCOVERY, token=signer.sandbox(DISCOVERY, iat=int(time.time()) + 120)).status_code == 401
    now = int(time.time())
    assert cds.get(DISCOVERY, token=signer.sandbox(DISCOVERY, iat=now - 300, exp=now - 30)).status_code == 200


def test_no_token_of_any_kind_reaches_the_log(make_cds, signer, caplog):
    """Neither the EHR's JWT nor the fhirAuthorization access token appears in any log line, at any level,
    on success or on failure (CHBP: never log JWTs; CH: the access token is transient)."""
    from .conftest import hook_fixture
    access_token = "fhir-access-token-3f9a1c"
    cds = make_cds(["https://ehr.invalid/fhir"])
    body = hook_fixture("patient-view-full-prefetch")
    body.update(fhirServer="https://ehr.invalid/fhir", fhirAuthorization={
        "access_token": access_token, "token_type": "Bearer", "expires_in": 300, "scope": "patient/*.read",
        "subject": "receptor-cds"})
    good = signer.sandbox("/cds-services/receptor-assessment")
    bad = signer.sandbox("/cds-services/receptor-assessment", aud=PUBLIC_URL + "/elsewhere")
    with caplog.at_level(logging.DEBUG):
        assert cds.post("/cds-services/receptor-assessment", body, token=good).status_code == 200
        assert cds.post("/cds-services/receptor-assessment", body, token=good).status_code == 401   # replay
        assert cds.post("/cds-services/receptor-assessment", body, token=bad).status_code == 401
    text = caplog.text
    assert "cds call service=receptor-assessment" in text and "CDS client rejected" in text
    for secret in (good, bad, access_token, good.split(".")[2], bad.split(".")[1]):
        assert secret not in text


def test_forged_iss_cannot_inject_log_lines(cds, signer, caplog):
    """iss/jti from an unverified token are logged quoted, so a newline in them cannot fake a log line."""
    token = signer.sandbox(DISCOVERY, iss="https://evil.test\nCDS call accepted", jti="x\ny")
    with caplog.at_level(logging.WARNING, logger="cds_hooks.service"):
        assert cds.get(DISCOVERY, token=token).status_code == 401
    assert "\nCDS call accepted" not in caplog.text


def test_dead_jwks_endpoint_is_not_hammered(make_settings, signer, tmp_path, epic_key):
    """After a failed key fetch, further calls within the back-off are refused at once, without a new fetch."""
    from .conftest import CdsClient, JwksServer, build_app, write_trusted_issuers

    with JwksServer({"not": "a key set"}) as broken:
        settings = make_settings()
        write_trusted_issuers(tmp_path / "trusted-issuers.json", broken.url, epic_key, [])
        client = CdsClient(build_app(settings), signer)
        for _ in range(3):
            token = signer.sandbox(DISCOVERY, jku=broken.url)
            assert client.get(DISCOVERY, token=token).status_code == 401
        assert broken.fetches == 1


def test_keys_held_are_used_when_the_hourly_refresh_fails():
    """When the JWKS endpoint is down at refresh time, the keys fetched earlier keep verifying tokens."""
    from cds_hooks.service import auth as auth_module
    from cds_hooks.service.auth import JwksCache

    key = ECKey.generate_key("P-384", parameters={"kid": "k1"})
    now = [1000.0]

    class Session:
        def __init__(self):
            self.up, self.calls = True, 0

        def get(self, url, **kw):
            import requests
            self.calls += 1
            if not self.up:
                raise requests.ConnectionError("down")
            response = requests.Response()
            response.status_code = 200
            response._content = json.dumps({"keys": [key.as_dict(private=False)]}).encode()
            return response

    session = Session()
    cache = JwksCache(session=session, clock=lambda: now[0])
    assert cache.key_for("https://ehr.test/jwks", "k1") is not None
    session.up = False
    now[0] += auth_module.JWKS_CACHE_SECONDS + 1
    assert cache.key_for("https://ehr.test/jwks", "k1") is not None
    assert session.calls == 2


def test_wrong_aud_is_logged_with_both_urls_for_the_integrator(cds, signer, caplog):
    """A token for another URL (typically a proxy or http/https mismatch) is logged with the aud it carried and
    the one expected, so the misconfiguration is visible; the response still says nothing."""
    wrong = "http://cds.receptor.test/cds-services"
    with caplog.at_level(logging.WARNING, logger="cds_hooks.service"):
        response = cds.get(DISCOVERY, token=signer.sandbox(DISCOVERY, aud=wrong))
    assert response.status_code == 401 and response.get_json()["issue"][0]["diagnostics"] == "authentication failed"
    assert wrong in caplog.text and PUBLIC_URL + DISCOVERY in caplog.text


def test_inline_keys_beside_a_jwks_url_verify_the_sandbox_jku_without_fetching(sandbox_key, tmp_path):
    """A self-hosted CDS Hooks sandbox always sends its public jku, which may be unreachable: an entry with both
    jwks (the keys, never fetched) and jwks_url accepts that jku without any fetch, and a token without jku;
    a jku equal to neither is refused (issue 8)."""
    from cds_hooks.service.auth import AuthError, JwtVerifier
    from cds_hooks.service.issuers import parse_trusted_issuers

    from .conftest import JwksServer

    with JwksServer({"keys": []}) as published:     # a real endpoint, to prove it is never asked
        entry = {"jwks": {"keys": [sandbox_key.as_dict(private=False)]}, "jwks_url": published.url}
        verifier = JwtVerifier(parse_trusted_issuers({SANDBOX_ISS: entry}),
                               replay_cache=ReplayCache(SqliteStateStore(tmp_path / "state.sqlite")))
        aud = PUBLIC_URL + DISCOVERY
        for jku in (published.url, None):
            token = make_token(sandbox_key, iss=SANDBOX_ISS, aud=aud, alg="ES384", kid="sandbox-key-1", jku=jku)
            assert verifier.verify(f"Bearer {token}", aud).iss == SANDBOX_ISS
        for jku in ("https://elsewhere.test/.well-known/jwks.json", published.url + "?x=1"):
            token = make_token(sandbox_key, iss=SANDBOX_ISS, aud=aud, alg="ES384", kid="sandbox-key-1", jku=jku)
            with pytest.raises(AuthError, match="jku"):
                verifier.verify(f"Bearer {token}", aud)
        unknown = make_token(sandbox_key, iss=SANDBOX_ISS, aud=aud, alg="ES384", kid="not-inline", jku=published.url)
        with pytest.raises(AuthError, match="unknown kid"):
            verifier.verify(f"Bearer {unknown}", aud)
        assert published.fetches == 0


def test_a_key_rotated_under_the_same_kid_is_picked_up_by_one_refetch(cds, signer, jwks_server):
    """The EHR replaces its key but keeps the kid: the first token signed with the new key fails against the
    cached key, which triggers one JWKS refetch, and is then accepted (issue 8: locked out for up to an hour
    before). A forged token right after causes no further fetch (rate-limited) and is refused."""
    assert cds.get(DISCOVERY, token=signer.sandbox(DISCOVERY)).status_code == 200
    assert jwks_server.fetches == 1
    rotated = ECKey.generate_key("P-384", parameters={"kid": "sandbox-key-1", "use": "sig", "alg": "ES384"})
    jwks_server.keyset = {"keys": [rotated.as_dict(private=False)]}
    token = make_token(rotated, iss=SANDBOX_ISS, aud=PUBLIC_URL + DISCOVERY, alg="ES384", kid="sandbox-key-1",
                       jku=signer.jwks_url)
    assert cds.get(DISCOVERY, token=token).status_code == 200
    assert jwks_server.fetches == 2
    forged = make_token(ECKey.generate_key("P-384"), iss=SANDBOX_ISS, aud=PUBLIC_URL + DISCOVERY, alg="ES384",
                        kid="sandbox-key-1", jku=signer.jwks_url)
    assert cds.get(DISCOVERY, token=forged).status_code == 401
    assert jwks_server.fetches == 2
