"""SMART Backend Services: a system access token for a FHIR server, without a user.

The flow (SMART App Launch 2.x, Backend Services): discover the token endpoint from
``{fhir base}/.well-known/smart-configuration``; sign a short-lived JWT client assertion with the client's
private key (``iss`` = ``sub`` = client id, ``aud`` = token endpoint, ``exp`` at most five minutes ahead, a
fresh ``jti``; header ``alg``, ``kid``, ``typ: JWT``); post it with ``grant_type=client_credentials`` and the
scopes wanted; keep the access token until shortly before ``expires_in`` runs out, then get a new one (there
are no refresh tokens in this flow).

The key is RSA (signed RS384) or EC P-384 (ES384), the two algorithms SMART requires servers to support; the
``kid`` is the key's RFC 7638 thumbprint unless one is given (it must match the JWK Set registered with the
server). Credentials come from the environment only (``BackendCredentials.from_env``). Neither the key, the
assertion nor the access token is ever logged or put in an error message.
"""
from __future__ import annotations

import ipaddress
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping
from urllib.parse import urljoin, urlsplit

import requests
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from cds_hooks.fhir_client import FhirAuthError, redact

ENV_CLIENT_ID = "RECEPTOR_CDS_BULK_CLIENT_ID"
ENV_PRIVATE_KEY = "RECEPTOR_CDS_BULK_PRIVATE_KEY"
ENV_KEY_ID = "RECEPTOR_CDS_BULK_KEY_ID"
ENV_SCOPE = "RECEPTOR_CDS_BULK_SCOPE"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME = 240          # seconds; SMART: no more than five minutes
RENEW_BEFORE = 60                 # seconds before expiry a token is renewed
DEFAULT_TOKEN_LIFETIME = 300      # when the server does not say (expires_in is RECOMMENDED, not required)


class BackendServicesError(FhirAuthError):
    """No access token could be had: bad credentials configuration, discovery failed, or the server refused."""

    def __init__(self, message: str, status: int = 0):
        super().__init__(message, status)


def system_read_scope(types: Iterable[str]) -> str:
    """SMART v2 read and search scopes for exactly these resource types (least privilege), e.g.
    ``system/Patient.rs system/Observation.rs``."""
    return " ".join(f"system/{rtype}.rs" for rtype in types)


def _printable(text: object, limit: int = 200) -> str:
    """Server-supplied text made safe to show on a terminal (no control characters), and short."""
    return "".join(ch if ch.isprintable() else " " for ch in str(text))[:limit]


def _load_key(value: str) -> RSAKey | ECKey:
    """A PEM private key given as the PEM text itself or as the path of a PEM file."""
    text = value.strip()
    if "-----BEGIN" not in text:
        try:
            text = Path(text).expanduser().read_text(encoding="utf-8")
        except OSError as exc:
            raise BackendServicesError(f"{ENV_PRIVATE_KEY}: cannot read the key file ({exc.strerror or exc})") from None
    for cls in (RSAKey, ECKey):
        try:
            key = cls.import_key(text)
        except Exception:     # joserfc raises several types for "not this kind of key"
            continue
        if not key.is_private:
            raise BackendServicesError(f"{ENV_PRIVATE_KEY} holds a public key; the private key is needed")
        if isinstance(key, ECKey) and key.as_dict(private=False).get("crv") != "P-384":
            raise BackendServicesError(f"{ENV_PRIVATE_KEY}: an EC key must be on curve P-384 (ES384)")
        return key
    raise BackendServicesError(f"{ENV_PRIVATE_KEY} is not a PEM RSA or EC P-384 private key")


@dataclass(frozen=True)
class BackendCredentials:
    """A registered Backend Services client: its id and signing key (``alg`` follows the key type)."""

    client_id: str
    key: RSAKey | ECKey = field(repr=False)
    kid: str

    @property
    def alg(self) -> str:
        return "RS384" if isinstance(self.key, RSAKey) else "ES384"

    @classmethod
    def from_values(cls, client_id: str, private_key: str, kid: str | None = None) -> "BackendCredentials":
        if not client_id.strip():
            raise BackendServicesError(f"{ENV_CLIENT_ID} is empty")
        key = _load_key(private_key)
        key.ensure_kid()
        return cls(client_id=client_id.strip(), key=key, kid=(kid or "").strip() or key.kid)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "BackendCredentials | None":
        """Credentials from ``RECEPTOR_CDS_BULK_*``; None when neither variable is set (an open server)."""
        env = os.environ if environ is None else environ
        client_id, private_key = env.get(ENV_CLIENT_ID, ""), env.get(ENV_PRIVATE_KEY, "")
        if not client_id and not private_key:
            return None
        if not client_id or not private_key:
            missing = ENV_CLIENT_ID if not client_id else ENV_PRIVATE_KEY
            raise BackendServicesError(f"{missing} is not set: Backend Services needs both {ENV_CLIENT_ID} and "
                                       f"{ENV_PRIVATE_KEY} (or neither, for a server without authorization)")
        return cls.from_values(client_id, private_key, env.get(ENV_KEY_ID))

    def public_jwks(self) -> dict:
        """The JWK Set to register with the server (public part only)."""
        public = self.key.as_dict(private=False)
        public.update({"alg": self.alg, "use": "sig", "kid": self.kid})
        return {"keys": [public]}


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _require_tls(url: str, what: str) -> None:
    scheme = urlsplit(url).scheme
    if scheme == "https" or (scheme == "http" and _is_loopback(url)):
        return
    raise BackendServicesError(f"{what} {redact(url)} must use https (plain http only on loopback)")


class BackendServicesAuth:
    """Access tokens for one FHIR server and one client: ``token()`` gives a valid one, ``invalidate()`` drops it."""

    def __init__(self, fhir_base: str, credentials: BackendCredentials, scope: str, *,
                 session: requests.Session | None = None, connect_timeout: float = 3.05,
                 read_timeout: float = 10.0, token_endpoint: str | None = None):
        self.fhir_base = fhir_base.rstrip("/")
        self.credentials = credentials
        self.scope = " ".join(scope.split())
        self.session = session or requests.Session()
        self.timeout = (connect_timeout, read_timeout)
        self._token_endpoint = token_endpoint
        self._token: str | None = None
        self._expires_at = 0.0
        self._granted: str | None = None
        _require_tls(self.fhir_base, "the FHIR server")

    def __repr__(self) -> str:      # never shows the key or the token
        return f"BackendServicesAuth({self.fhir_base!r}, client_id={self.credentials.client_id!r})"

    @property
    def granted_scope(self) -> str | None:
        """The scopes the server granted with the current token, when it said."""
        return self._granted

    def token(self) -> str:
        if self._token is None or time.monotonic() >= self._expires_at - RENEW_BEFORE:
            self._fetch()
        assert self._token is not None
        return self._token

    def invalidate(self) -> None:
        self._token = None

    def token_endpoint(self) -> str:
        if self._token_endpoint is None:
            self._token_endpoint = self._discover()
        return self._token_endpoint

    def _discover(self) -> str:
        url = f"{self.fhir_base}/.well-known/smart-configuration"
        try:
            resp = self.session.get(url, headers={"Accept": "application/json"}, timeout=self.timeout)
        except requests.RequestException as exc:
            raise BackendServicesError(f"SMART configuration not reachable at {redact(url)} ({type(exc).__name__})") from None
        try:
            config = resp.json() if resp.status_code == 200 else None
        except ValueError:
            config = None
        endpoint = config.get("token_endpoint") if isinstance(config, dict) else None
        if not isinstance(endpoint, str) or not endpoint:
            raise BackendServicesError(f"no token_endpoint in {redact(url)} (HTTP {resp.status_code}): is this a "
                                       "server with SMART Backend Services?", resp.status_code)
        methods = config.get("token_endpoint_auth_methods_supported")
        if isinstance(methods, list) and methods and "private_key_jwt" not in methods:
            raise BackendServicesError(f"the server does not offer private_key_jwt client authentication "
                                       f"(it offers {_printable(', '.join(map(str, methods)))})")
        algs = config.get("token_endpoint_auth_signing_alg_values_supported")
        if isinstance(algs, list) and algs and self.credentials.alg not in algs:
            raise BackendServicesError(f"the server does not accept {self.credentials.alg} client assertions "
                                       f"(it accepts {_printable(', '.join(map(str, algs)))})")
        endpoint = urljoin(url, endpoint)
        _require_tls(endpoint, "the token endpoint")
        return endpoint

    def assertion(self, audience: str) -> str:
        """A signed client assertion for ``audience`` (the token endpoint), valid ASSERTION_LIFETIME seconds."""
        now = int(time.time())
        claims = {"iss": self.credentials.client_id, "sub": self.credentials.client_id, "aud": audience,
                  "iat": now, "exp": now + ASSERTION_LIFETIME, "jti": secrets.token_urlsafe(24)}
        header = {"alg": self.credentials.alg, "kid": self.credentials.kid, "typ": "JWT"}
        return jwt.encode(header, claims, self.credentials.key, algorithms=[self.credentials.alg])

    def _fetch(self) -> None:
        endpoint = self.token_endpoint()
        form = {"grant_type": "client_credentials", "scope": self.scope,
                "client_assertion_type": ASSERTION_TYPE, "client_assertion": self.assertion(endpoint)}
        started = time.monotonic()
        try:
            resp = self.session.post(endpoint, data=form, headers={"Accept": "application/json"},
                                     timeout=self.timeout, allow_redirects=False)
        except requests.RequestException as exc:
            raise BackendServicesError(f"token endpoint {redact(endpoint)} not reachable ({type(exc).__name__})") from None
        try:
            body = resp.json()
        except ValueError:
            body = None
        if resp.status_code != 200:
            detail = ""
            if isinstance(body, dict) and body.get("error"):
                detail = f": {_printable(body.get('error'), 60)}"
                if body.get("error_description"):
                    detail += f" ({_printable(body.get('error_description'))})"
            raise BackendServicesError(f"the token endpoint {redact(endpoint)} refused client "
                                       f"{self.credentials.client_id!r} (HTTP {resp.status_code}){detail}",
                                       resp.status_code)
        token = body.get("access_token") if isinstance(body, dict) else None
        token_type = body.get("token_type") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token or not isinstance(token_type, str) or token_type.lower() != "bearer":
            raise BackendServicesError(f"the token endpoint {redact(endpoint)} answered without a bearer access token")
        lifetime = body.get("expires_in")
        lifetime = lifetime if isinstance(lifetime, (int, float)) and lifetime > 0 else DEFAULT_TOKEN_LIFETIME
        self._token = token
        self._expires_at = started + float(lifetime)
        self._granted = body.get("scope") if isinstance(body.get("scope"), str) else None
