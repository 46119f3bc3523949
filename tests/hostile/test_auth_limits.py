"""The EHR's key endpoint, SMART discovery and token endpoint are read within a deadline and a size cap (issue 8).

A JWK Set endpoint dripping one byte a second held a CDS Hooks call (and queued the next one behind its lock);
SMART discovery and the token endpoint had only per-read timeouts and no size cap either.
"""
from __future__ import annotations

import time
import tracemalloc

import pytest

from app.config import Settings
from app.smart import discovery, tokens
from app.smart.errors import SmartError
from cds_hooks.service.auth import AuthError, JwksCache, JwtVerifier, ReplayCache
from cds_hooks.service.issuers import parse_trusted_issuers
from cds_hooks.state.sqlite_store import SqliteStateStore
from tests.infra.hostile import HostileServer, drip, gzip_bomb, json_reply
from tests.service.conftest import PUBLIC_URL, SANDBOX_ISS, make_token

from .conftest import *  # noqa: F403  (fixtures)

MB = 1024 * 1024
AUD = PUBLIC_URL + "/cds-services"


@pytest.fixture
def make_verifier(tmp_path):
    def _make(jwks_url: str, **cache_kw) -> JwtVerifier:
        return JwtVerifier(parse_trusted_issuers({SANDBOX_ISS: {"jwks_url": jwks_url}}),
                           jwks_cache=JwksCache(**cache_kw),
                           replay_cache=ReplayCache(SqliteStateStore(tmp_path / "state.sqlite")))
    return _make


def test_a_dripping_jwks_endpoint_is_cut_off_at_the_fetch_deadline(sandbox_key, make_verifier):
    """The key endpoint drips its JWK Set: the call is refused after the 1 s fetch deadline, not when the
    server is done, and the next call (within the back-off) is refused at once instead of queueing."""
    with HostileServer() as server:
        server.routes["/jwks.json"] = drip({"keys": [sandbox_key.as_dict(private=False)]}, interval=0.25)
        verifier = make_verifier(server.url("/jwks.json"), fetch_seconds=1.0)
        token = make_token(sandbox_key, iss=SANDBOX_ISS, aud=AUD, alg="ES384", kid="sandbox-key-1",
                           jku=server.url("/jwks.json"))
        started = time.monotonic()
        with pytest.raises(AuthError, match="time budget"):
            verifier.verify(f"Bearer {token}", AUD)
        assert time.monotonic() - started < 2.5
        started = time.monotonic()
        with pytest.raises(AuthError):
            verifier.verify(f"Bearer {token}", AUD)
        assert time.monotonic() - started < 0.5


def test_a_gzip_bomb_as_jwks_is_refused_at_the_cap(sandbox_key, make_verifier):
    """A JWK Set answer that decodes to 64 MB is refused at the 256 KB cap, without decoding it."""
    with HostileServer() as server:
        server.routes["/jwks.json"] = gzip_bomb(64 * MB, content_type="application/json")
        verifier = make_verifier(server.url("/jwks.json"), max_bytes=256 * 1024)
        token = make_token(sandbox_key, iss=SANDBOX_ISS, aud=AUD, alg="ES384", kid="sandbox-key-1",
                           jku=server.url("/jwks.json"))
        tracemalloc.start()
        try:
            with pytest.raises(AuthError, match="256 KB"):
                verifier.verify(f"Bearer {token}", AUD)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 8 * MB


def test_a_jwks_with_too_many_keys_is_refused(sandbox_key, make_verifier):
    """More keys than the cap (here 3) are refused, even with the right key among them."""
    from joserfc.jwk import ECKey
    keys = [sandbox_key.as_dict(private=False)] + [
        ECKey.generate_key("P-256", parameters={"kid": f"k{i}"}).as_dict(private=False) for i in range(3)]
    with HostileServer() as server:
        server.routes["/jwks.json"] = json_reply({"keys": keys}, content_type="application/json")
        verifier = make_verifier(server.url("/jwks.json"), max_keys=3)
        token = make_token(sandbox_key, iss=SANDBOX_ISS, aud=AUD, alg="ES384", kid="sandbox-key-1",
                           jku=server.url("/jwks.json"))
        with pytest.raises(AuthError, match="cap of 3"):
            verifier.verify(f"Bearer {token}", AUD)


def test_smart_discovery_that_drips_is_cut_off():
    """An allow-listed EHR whose smart-configuration drips: a 502 naming the time budget after 1 s."""
    with HostileServer() as server:
        server.routes["/fhir/.well-known/smart-configuration"] = drip({"authorization_endpoint": "x"}, interval=0.25)
        started = time.monotonic()
        with pytest.raises(SmartError) as caught:
            discovery.discover(server.url("/fhir"), timeout=(1, 5), seconds=1.0)
        assert time.monotonic() - started < 2.5
    assert caught.value.status == 502 and "time budget" in caught.value.message


def test_smart_discovery_gzip_bomb_is_refused_at_the_cap():
    with HostileServer() as server:
        server.routes["/fhir/.well-known/smart-configuration"] = gzip_bomb(64 * MB, content_type="application/json")
        with pytest.raises(SmartError) as caught:
            discovery.discover(server.url("/fhir"), timeout=(1, 5), max_bytes=64 * 1024)
    assert caught.value.status == 502 and "64 KB" in caught.value.message


def test_a_dripping_token_endpoint_is_cut_off():
    """The code exchange against a token endpoint that drips ends after smart_http_seconds with a 502."""
    settings = Settings(smart_client_id="app", smart_client_secret="s3cret", smart_http_seconds=1.0,
                        database_url="sqlite://")
    with HostileServer() as server:
        server.routes["/token"] = drip({"access_token": "a", "token_type": "Bearer", "expires_in": 300},
                                       interval=0.25, content_type="application/json")
        meta = {"token_endpoint": server.url("/token"), "authorization_endpoint": server.url("/authorize")}
        started = time.monotonic()
        with pytest.raises(SmartError) as caught:
            tokens.exchange_code(settings, meta, auth_method="client_secret_basic", code="c",
                                 redirect_uri="https://app.test/cb", code_verifier="v" * 50)
        assert time.monotonic() - started < 2.5
    assert caught.value.status == 502
