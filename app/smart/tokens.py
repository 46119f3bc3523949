"""The OAuth side of the launch: authorize URL, code exchange, refresh, id_token checks.

authlib's requests client does the protocol work (PKCE S256, client authentication);
this module adds what SMART asks on top: ``aud``/``launch`` on the authorize request,
``private_key_jwt`` with RS384/ES384 and a five-minute assertion, and OpenID Connect id_token
validation (signature via the issuer's ``jwks_uri``, ``aud`` = client_id, ``exp``, ``iss``, nonce).
"""
from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlsplit

import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from authlib.oauth2.rfc7523.assertion import private_key_jwt_sign
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from app.config import Settings
from cds_hooks.outbound import OutboundLimitError, bounded_session

from .client_keys import load_signing_key
from .errors import SmartError


class _SmartPrivateKeyJWT(PrivateKeyJWT):
    """SMART's assertion: header ``kid`` and ``typ=JWT``, ``exp`` at most five minutes ahead,
    a fresh ``jti`` per request (authlib's default lifetime is an hour)."""

    def __init__(self, token_endpoint: str, alg: str, kid: str):
        super().__init__(token_endpoint=token_endpoint, alg=alg)
        self.kid = kid

    def sign(self, auth, token_endpoint):
        return private_key_jwt_sign(auth.client_secret, client_id=auth.client_id, token_endpoint=token_endpoint,
                                    alg=self.alg, header={"kid": self.kid, "typ": "JWT"}, expires_in=240)


def choose_auth_method(settings: Settings, meta: dict[str, Any]) -> str:
    caps = set(meta.get("capabilities") or [])
    methods = set(meta.get("token_endpoint_auth_methods_supported") or [])
    wanted = settings.smart_client_auth
    if wanted == "auto":
        asymmetric_ok = "client-confidential-asymmetric" in caps or "private_key_jwt" in methods
        if settings.smart_private_key_path and asymmetric_ok:
            return "private_key_jwt"
        if settings.smart_client_secret:
            return "client_secret_basic"
        if settings.smart_private_key_path:
            return "private_key_jwt"
        raise SmartError(500, "App not configured",
                         "No client secret or private key is configured for this app (see README, SMART settings).")
    if wanted == "private_key_jwt" and not settings.smart_private_key_path:
        raise SmartError(500, "App not configured", "private_key_jwt is configured but no private key path is set.")
    if wanted == "client_secret_basic" and not settings.smart_client_secret:
        raise SmartError(500, "App not configured", "client_secret_basic is configured but no client secret is set.")
    return wanted


def oauth_session(settings: Settings, token_endpoint: str, auth_method: str, redirect_uri: str | None = None,
                  scope: str | None = None) -> OAuth2Session:
    """authlib's session for the token endpoint, with every request through it bounded (``smart_http_seconds``
    in all, ``smart_max_response_bytes`` decoded: issue 8). Callers never follow a redirect from the token
    endpoint: the client credentials and the code would be posted again to wherever it points."""
    session = _oauth_session(settings, token_endpoint, auth_method, redirect_uri, scope)
    bounded_session(max_response_bytes=settings.smart_max_response_bytes, request_seconds=settings.smart_http_seconds,
                    what="EHR's token endpoint", session=session)
    return session


def _oauth_session(settings: Settings, token_endpoint: str, auth_method: str, redirect_uri: str | None,
                   scope: str | None) -> OAuth2Session:
    if not settings.smart_client_id:
        raise SmartError(500, "App not configured", "No SMART client id is configured for this app.")
    if auth_method == "private_key_jwt":
        key = load_signing_key(settings.smart_private_key_path, settings.smart_private_key_alg)
        session = OAuth2Session(settings.smart_client_id, key, token_endpoint_auth_method="private_key_jwt",
                                redirect_uri=redirect_uri, scope=scope, code_challenge_method="S256")
        session.register_client_auth_method(
            _SmartPrivateKeyJWT(token_endpoint, settings.smart_private_key_alg, key.kid))
    else:
        session = OAuth2Session(settings.smart_client_id, settings.smart_client_secret,
                                token_endpoint_auth_method="client_secret_basic",
                                redirect_uri=redirect_uri, scope=scope, code_challenge_method="S256")
    return session


def authorize_url(settings: Settings, meta: dict[str, Any], *, auth_method: str, redirect_uri: str, scope: str,
                  state: str, code_verifier: str, aud: str, launch: str | None, nonce: str | None) -> str:
    session = oauth_session(settings, meta["token_endpoint"], auth_method, redirect_uri=redirect_uri, scope=scope)
    extra: dict[str, str] = {"aud": aud}
    if launch:
        extra["launch"] = launch
    if nonce:
        extra["nonce"] = nonce
    url, _ = session.create_authorization_url(meta["authorization_endpoint"], state=state,
                                              code_verifier=code_verifier, **extra)
    return url


def _timeout(settings: Settings) -> tuple[float, float]:
    return settings.fhir_connect_timeout, settings.fhir_read_timeout


def exchange_code(settings: Settings, meta: dict[str, Any], *, auth_method: str, code: str, redirect_uri: str,
                  code_verifier: str) -> dict[str, Any]:
    session = oauth_session(settings, meta["token_endpoint"], auth_method, redirect_uri=redirect_uri)
    try:
        token = session.fetch_token(meta["token_endpoint"], grant_type="authorization_code", code=code,
                                    code_verifier=code_verifier, redirect_uri=redirect_uri,
                                    timeout=_timeout(settings), allow_redirects=False)
    except OAuthError as e:
        raise SmartError(502, "Token request refused",
                         f"The EHR refused to issue a token ({e.error}: {e.description or 'no description'}).",
                         hint="Start the app again from the EHR.") from None
    except OutboundLimitError as exc:
        raise SmartError(502, "Token request failed", f"The EHR's token endpoint was not read: {exc}.") from None
    except (requests.RequestException, ValueError):
        raise SmartError(502, "Token request failed", "The EHR's token endpoint did not give a usable answer.") from None
    return _checked(dict(token))


def refresh(settings: Settings, meta: dict[str, Any], *, auth_method: str, refresh_token: str) -> dict[str, Any]:
    session = oauth_session(settings, meta["token_endpoint"], auth_method)
    try:
        token = session.refresh_token(meta["token_endpoint"], refresh_token=refresh_token, timeout=_timeout(settings),
                                      allow_redirects=False)
    except OAuthError as e:
        raise SmartError(401, "Session expired",
                         f"The EHR would not renew access ({e.error}).",
                         hint="Open the app again from the EHR.") from None
    except OutboundLimitError as exc:
        raise SmartError(502, "Token refresh failed", f"The EHR's token endpoint was not read: {exc}.") from None
    except (requests.RequestException, ValueError):
        raise SmartError(502, "Token refresh failed", "The EHR's token endpoint did not answer the refresh request.") from None
    return _checked(dict(token))


def _checked(token: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(token.get("access_token"), str) or not token["access_token"]:
        raise SmartError(502, "Token response unusable", "The EHR's token response holds no access token.")
    if str(token.get("token_type", "")).lower() != "bearer":   # SMART: compare case-insensitively
        raise SmartError(502, "Token response unusable", "The EHR issued a token that is not a Bearer token.")
    expires_in = token.get("expires_in")
    # SMART: expires_in is recommended; without it assume a short lifetime.
    lifetime = expires_in if isinstance(expires_in, (int, float)) and expires_in > 0 else 60
    token["expires_at"] = time.time() + float(lifetime)
    token["lifetime"] = float(lifetime)
    return token


def validate_id_token(id_token: str, *, meta: dict[str, Any], iss: str, client_id: str, nonce: str | None,
                      timeout: tuple[float, float], seconds: float = 10.0,
                      max_bytes: int = 256 * 1024) -> dict[str, Any]:
    """OIDC Core §3.1.3.7 as SMART asks: issuer's keys, signature, iss, aud, exp (and our nonce).

    The issuer is trusted only if it is the one the EHR's SMART configuration names (or, without
    one, on the FHIR server's origin): fetching keys from an issuer chosen by the token would let
    a forged token pick its own keys.
    """
    def fail(why: str) -> SmartError:
        return SmartError(401, "Sign-in could not be verified", f"The EHR's identity token was rejected: {why}.")

    try:
        claims = json.loads(jws.extract_compact(id_token.encode()).payload)
    except (JoseError, ValueError):
        raise fail("it is not a well-formed JWT") from None
    token_iss = claims.get("iss") if isinstance(claims, dict) else None
    expected_iss = meta.get("issuer")
    if expected_iss:
        if token_iss != expected_iss:
            raise fail("its issuer is not the EHR's")
    elif not isinstance(token_iss, str) or _origin(token_iss) != _origin(iss):
        raise fail("its issuer is not on the FHIR server's origin")
    http = bounded_session(max_response_bytes=max_bytes, request_seconds=seconds, what="identity provider")
    try:
        oidc = http.get(token_iss.rstrip("/") + "/.well-known/openid-configuration", timeout=timeout,
                        allow_redirects=False).json()
        jwks = http.get(oidc["jwks_uri"], timeout=timeout, allow_redirects=False).json()
        keys = KeySet.import_key_set(jwks)
    except (requests.RequestException, ValueError, KeyError, TypeError, JoseError):
        raise fail("the issuer's signing keys could not be fetched") from None
    try:
        token = jwt.decode(id_token, keys, algorithms=["RS256", "RS384", "ES256", "ES384"])
    except JoseError:
        raise fail("its signature does not verify") from None
    registry = jwt.JWTClaimsRegistry(iss={"essential": True, "value": token_iss},
                                     aud={"essential": True, "value": client_id},
                                     exp={"essential": True}, leeway=60)
    try:
        registry.validate(token.claims)
    except JoseError as e:
        raise fail(f"claim check failed ({e.error})") from None
    if nonce is not None and token.claims.get("nonce") != nonce:
        raise fail("its nonce does not match this launch")
    return dict(token.claims)


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or ""), parts.port
