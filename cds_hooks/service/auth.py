"""Verifying the EHR's bearer JWT on every CDS Hooks call (CH §Trusting CDS Clients, checklist 1I).

Order of checks follows CHBP §JWT: header shape and algorithm first (so the token can
never pick its own verification method, checklist 1I.53), then ``iss`` on the allowlist,
``jku`` (if any) equal to that issuer's configured ``jwks_url``, the signature with the key named by
``kid`` (from the issuer's inline ``jwks`` when it has them, else fetched from ``jwks_url``),
then ``aud``/``exp``/``nbf``/``iat`` and finally the ``jti`` replay cache (only tokens
that passed everything else are remembered, so forged tokens cannot fill it).

Any failure is an ``AuthError``; the caller answers 401 with no detail and logs only
iss/jti/reason, never the token.
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

import requests
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from cds_hooks.outbound import OutboundLimitError, bounded_session
from cds_hooks.state import StateStore

from .issuers import TrustedIssuer

log = logging.getLogger(__name__)

# CH §JWT Signing Algorithm: never `none`, never HMAC; ES384/RS384 recommended.
ALLOWED_ALGORITHMS = ("ES384", "RS384", "ES256", "RS256")
# Real clients round `iat`; a minute of skew is the usual allowance (RFC 7519 "a few minutes").
LEEWAY_SECONDS = 60
# CHBP §JWT: lifetimes should be no more than an hour; longer tokens are refused so the
# replay cache only ever needs to hold an hour's worth of jti values.
MAX_LIFETIME_SECONDS = 3600
JWKS_CACHE_SECONDS = 3600
JWKS_MIN_REFETCH_SECONDS = 10


class AuthError(Exception):
    """The token is not acceptable; ``reason`` is for the log only, never the response."""

    def __init__(self, reason: str, *, iss: str | None = None, jti: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.iss = iss
        self.jti = jti


@dataclass(frozen=True)
class VerifiedClient:
    iss: str
    jti: str
    claims: dict[str, Any]


class ReplayCache:
    """Seen ``(iss, jti)`` pairs until their token expires, in the shared state store.

    One atomic set-if-absent per token: of two workers or instances receiving the same token at once,
    exactly one accepts it. Keys are a hash of ``(iss, jti)`` (both come from the caller: fixed length,
    nothing to inject). When the store cannot be reached the token is refused (fail closed).
    """

    PREFIX = "cds:jti:"

    def __init__(self, state: StateStore, clock: Callable[[], float] = time.time) -> None:
        self._state = state
        self._clock = clock

    def check_and_add(self, iss: str, jti: str, expires_at: float) -> bool:
        """Record the pair; False if it was already seen (a replay)."""
        digest = hashlib.sha256(json.dumps([iss, jti]).encode("utf-8")).hexdigest()
        keep_for = max(1.0, expires_at + LEEWAY_SECONDS - self._clock())
        return self._state.add(self.PREFIX + digest, 1, keep_for)


class JwksCache:
    """JWK Sets fetched from allowlisted ``jwks_url``s, cached, refetched once on an unknown kid or when the cached
    key under a kid no longer verifies (a key rotated under the same kid).

    Never a fetch storm (checklist 1L): an unknown-kid refetch happens at most once per
    ``JWKS_MIN_REFETCH_SECONDS`` per URL, and after a failed fetch the URL is not tried again for
    the same interval (calls are refused at once instead of each waiting on a dead endpoint). When
    the hourly refresh fails, the keys already held keep being used until the endpoint answers again.
    One lock per URL, so a slow key endpoint of one EHR never holds up another EHR's calls; each fetch ends
    within ``fetch_seconds`` in all (a key endpoint dripping one byte a second is cut off, and the calls queued
    behind it wait no longer), reads at most ``max_bytes`` decoded bytes and accepts at most ``max_keys`` keys.
    """

    def __init__(self, session: requests.Session | None = None, timeout: tuple[float, float] = (3.05, 5.0),
                 clock: Callable[[], float] = time.monotonic, *, fetch_seconds: float = 5.0,
                 max_bytes: int = 256 * 1024, max_keys: int = 100) -> None:
        self._session = session or bounded_session(max_response_bytes=max_bytes, request_seconds=fetch_seconds,
                                                   what="JWK Set endpoint")
        self._max_keys = max_keys
        self._timeout = timeout
        self._clock = clock
        self._cache: dict[str, tuple[KeySet, float]] = {}
        self._last_refetch: dict[str, float] = {}
        self._failed_at: dict[str, float] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, url: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(url, threading.Lock())

    def _fetch(self, url: str) -> KeySet:
        if self._clock() - self._failed_at.get(url, float("-inf")) < JWKS_MIN_REFETCH_SECONDS:
            raise AuthError("JWKS endpoint failed moments ago; not retried yet")
        try:
            try:
                response = self._session.get(url, timeout=self._timeout, headers={"Accept": "application/json"},
                                             allow_redirects=False)
            except OutboundLimitError as exc:
                raise AuthError(f"JWKS fetch stopped: {exc}") from exc
            except requests.RequestException as exc:
                raise AuthError(f"JWKS fetch failed: {type(exc).__name__}") from exc
            if response.status_code != 200:
                raise AuthError(f"JWKS fetch returned HTTP {response.status_code}")
            try:
                document = response.json()
                count = len(document["keys"]) if isinstance(document, dict) and isinstance(document.get("keys"), list) else 0
                if count > self._max_keys:
                    raise AuthError(f"JWKS holds {count} keys, more than the cap of {self._max_keys}")
                keys = KeySet.import_key_set(document)
            except (ValueError, TypeError, KeyError, AttributeError, JoseError) as exc:
                raise AuthError("JWKS response is not a JWK Set") from exc
        except AuthError:
            self._failed_at[url] = self._clock()
            raise
        self._failed_at.pop(url, None)
        self._cache[url] = (keys, self._clock())
        return keys

    def key_for(self, url: str, kid: str) -> Any:
        with self._lock(url):
            cached = self._cache.get(url)
            if cached is None:
                return _find(self._fetch(url), kid)
            if self._clock() - cached[1] >= JWKS_CACHE_SECONDS:
                try:
                    return _find(self._fetch(url), kid)
                except AuthError as exc:
                    log.warning("JWKS refresh from %s failed (%s); using the keys fetched earlier", url, exc.reason)
            key = _find(cached[0], kid)
            if key is None and self._clock() - self._last_refetch.get(url, float("-inf")) >= JWKS_MIN_REFETCH_SECONDS:
                # Key rotation (checklist 1L): one refetch on an unknown kid, rate-limited so a
                # stream of made-up kids cannot make us hammer the EHR's key endpoint.
                self._last_refetch[url] = self._clock()
                try:
                    key = _find(self._fetch(url), kid)
                except AuthError:
                    key = None
            return key


    def refetched_key(self, url: str, kid: str) -> Any:
        """After a signature failure: the key under ``kid`` from a fresh fetch, or None. An EHR may rotate its key
        and keep the kid, so the cached key no longer verifies its tokens (issue 8). Shares the unknown-kid
        rate limit: at most one refetch per ``JWKS_MIN_REFETCH_SECONDS`` per URL, so forged tokens cannot make
        us hammer the EHR's key endpoint."""
        with self._lock(url):
            if self._clock() - self._last_refetch.get(url, float("-inf")) < JWKS_MIN_REFETCH_SECONDS:
                return None
            self._last_refetch[url] = self._clock()
            try:
                return _find(self._fetch(url), kid)
            except AuthError:
                return None


def _find(keys: KeySet, kid: str) -> Any:
    return next((k for k in keys if k.kid == kid), None)


def _b64json(segment: str) -> dict[str, Any]:
    padded = segment + "=" * (-len(segment) % 4)
    value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    if not isinstance(value, dict):
        raise ValueError("not an object")
    return value


class JwtVerifier:
    """Checks CDS client JWTs against the trusted issuers; one instance per blueprint."""

    def __init__(self, issuers: dict[str, TrustedIssuer], *, replay_cache: ReplayCache,
                 jwks_cache: JwksCache | None = None, clock: Callable[[], float] = time.time) -> None:
        self.issuers = issuers
        self.jwks = jwks_cache or JwksCache()
        self.replays = replay_cache
        self.clock = clock
        self._inline = {iss: KeySet.import_key_set(i.jwks) for iss, i in issuers.items() if i.jwks}

    @staticmethod
    def _decode(token: str, key: Any, alg: str) -> Any:
        try:
            return jwt.decode(token, key, algorithms=[alg])
        except JoseError as exc:
            raise AuthError(f"signature rejected ({exc.error})")
        except (ValueError, TypeError) as exc:
            raise AuthError(f"token rejected ({type(exc).__name__})")

    def verify(self, authorization: str | None, audience: str) -> VerifiedClient:
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():   # RFC 6750/7235: the scheme is case-insensitive
            raise AuthError("no bearer token")
        token = token.strip()
        segments = token.split(".")
        if len(segments) != 3:
            raise AuthError("not a compact JWS")
        try:
            header, unverified = _b64json(segments[0]), _b64json(segments[1])
        except (ValueError, UnicodeDecodeError):
            raise AuthError("undecodable header or payload")
        iss = unverified.get("iss") if isinstance(unverified.get("iss"), str) else None
        jti = unverified.get("jti") if isinstance(unverified.get("jti"), str) else None
        try:
            return self._verify(token, header, audience, iss, jti)
        except AuthError as exc:
            exc.iss, exc.jti = exc.iss or iss, exc.jti or jti
            raise

    def _verify(self, token: str, header: dict[str, Any], audience: str, iss: str | None,
                jti: str | None) -> VerifiedClient:
        alg = header.get("alg")
        if alg not in ALLOWED_ALGORITHMS:
            raise AuthError(f"algorithm {alg!r} not allowed")
        if not isinstance(header.get("typ"), str) or header["typ"].upper() != "JWT":
            raise AuthError("typ must be JWT")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise AuthError("kid missing")
        if iss is None or iss not in self.issuers:
            raise AuthError("issuer not trusted")
        issuer = self.issuers[iss]
        jku = header.get("jku")
        if jku is not None and jku != issuer.jwks_url:
            raise AuthError("jku does not match the issuer's jwks_url" if issuer.jwks_url
                            else "jku given but keys for this issuer are configured inline")
        if issuer.jwks:
            # Inline keys win and are never fetched; a jwks_url beside them only names the accepted jku.
            key = _find(self._inline[iss], kid)
        else:
            key = self.jwks.key_for(issuer.jwks_url, kid)
        if key is None:
            raise AuthError("unknown kid")
        try:
            decoded = self._decode(token, key, alg)
        except AuthError:
            fresh = self.jwks.refetched_key(issuer.jwks_url, kid) if not issuer.jwks else None
            if fresh is None:
                raise
            decoded = self._decode(token, fresh, alg)    # the EHR rotated its key under the same kid
        claims = decoded.claims
        now = int(self.clock())
        registry = jwt.JWTClaimsRegistry(
            now=now, leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": iss}, exp={"essential": True}, iat={"essential": True},
            jti={"essential": True}, aud={"essential": True},
        )
        try:
            registry.validate(claims)
        except JoseError as exc:
            raise AuthError(f"claims rejected ({exc.error}: {exc.description or ''})".strip())
        aud = claims["aud"]
        # CH: aud MUST be the URL of the endpoint invoked; a string or a single-element array.
        if isinstance(aud, list):
            if len(aud) != 1:
                raise AuthError("aud array must hold exactly one value")
            aud = aud[0]
        if aud != audience:
            # Both URLs go to the log (not the response): the usual cause is RECEPTOR_CDS_PUBLIC_URL not being
            # the URL the EHR calls (proxy, http/https, trailing slash), and this line says so at once.
            raise AuthError(f"aud {str(aud)[:200]!r} is not this endpoint's URL {audience!r}")
        if claims["exp"] - now > MAX_LIFETIME_SECONDS + LEEWAY_SECONDS:
            raise AuthError("token lifetime longer than one hour")
        if not self.replays.check_and_add(iss, claims["jti"], float(claims["exp"])):
            raise AuthError("jti replayed")
        return VerifiedClient(iss=iss, jti=claims["jti"], claims=dict(claims))
