"""The development EHR's SMART authorization server (development and test infrastructure only).

This is NOT part of the product. It exists so the demo (`receptor-cds demo`) and the end-to-end
tests can perform a real SMART App Launch 2.2 against a real FHIR server (sekmet) without an
external EHR. It is built from authlib's authorization-server components so that the protocol
rules are enforced by a maintained library rather than by hand:

- authorization code grant with PKCE, where S256 is required for every client and ``plain`` is
  refused (SMART "SHALL NOT support the plain method");
- refresh token grant with rotation: each refresh token works once; presenting a used one
  revokes the whole chain (OAuth security BCP, reuse detection);
- client authentication ``client_secret_basic`` (symmetric) and ``private_key_jwt``
  (RS384/ES384 client assertions verified against the client's registered JWKS or JWKS URL);
- a launch-context registry the EHR UI fills (``create_launch``), and a patient picker for
  standalone ``launch/patient``;
- access tokens are HS256 JWTs signed with the sekmet server's smart secret, audience
  ``{ehr}/fhir``, so the real FHIR server enforces expiry (401) and scopes (403);
- an OpenID Connect ``id_token`` (RS256) with ``fhirUser``, published keys and discovery.

Everything lives in memory: a restart forgets codes, tokens and launches, which is what a
demo needs and what keeps tests independent.
"""
from __future__ import annotations

import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable
from urllib.parse import urlencode

import requests
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import ClientMixin, InvalidRequestError, grants
from authlib.oauth2.rfc6749.util import scope_to_list
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from flask import Blueprint, Flask, jsonify, render_template, request
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey

__all__ = [
    "AuthServerConfig", "ClientRegistration", "LaunchContext", "DevAuthServer",
    "create_auth_blueprint", "init_auth_server", "SMART_CAPABILITIES",
]

# What the dev EHR offers (SMART App Launch 2.2 §Capabilities). Advertised verbatim in
# .well-known/smart-configuration.
SMART_CAPABILITIES: tuple[str, ...] = (
    "launch-ehr", "launch-standalone", "authorize-post",
    "client-confidential-symmetric", "client-confidential-asymmetric",
    "context-ehr-patient", "context-standalone-patient", "context-banner",
    "sso-openid-connect",
    "permission-patient", "permission-user", "permission-offline", "permission-online",
    "permission-v1", "permission-v2",
)
ASSERTION_ALGS = ["RS384", "ES384"]     # SMART asymmetric client auth: RS384 or ES384
# authlib's grants log the whole issued token (access, refresh and id token) at DEBUG
# ("Issue token %r to %r"); tokens never go to logs, so those arguments are redacted.
_TOKEN_LOGGERS = ("authlib.oauth2.rfc6749.grants.authorization_code", "authlib.oauth2.rfc6749.grants.refresh_token",
                  "authlib.oauth2.rfc6749.grants.implicit", "authlib.oauth2.rfc6749.grants.client_credentials",
                  "authlib.oauth2.rfc7523.jwt_bearer")


class _RedactIssuedTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith(("Issue token", "Grant token")):
            record.msg, record.args = "Issued a token to %r", (record.args[-1],) if record.args else ("?",)
        return True


_REDACT = _RedactIssuedTokens()
for _name in _TOKEN_LOGGERS:
    logging.getLogger(_name).addFilter(_REDACT)


@dataclass(frozen=True)
class ClientRegistration:
    """One registered SMART app. Give ``client_secret`` for a symmetric client, or ``jwks`` /
    ``jwks_url`` for an asymmetric one (``private_key_jwt``)."""

    client_id: str
    redirect_uris: tuple[str, ...]
    client_secret: str | None = field(default=None, repr=False)   # never in a log line or repr
    jwks: dict | None = None
    jwks_url: str | None = None
    # Scopes this client may be granted; requested scopes outside it are silently dropped
    # (SMART: the granted scope "can be different from the scopes requested"). None = any.
    allowed_scopes: tuple[str, ...] | None = None
    launch_urls: tuple[str, ...] = ()

    @property
    def auth_method(self) -> str:
        return "client_secret_basic" if self.client_secret else "private_key_jwt"


@dataclass
class AuthServerConfig:
    """Configuration of the dev authorization server.

    ``ehr_base_url`` is the dev EHR's public root (e.g. ``http://127.0.0.1:8001``); the FHIR
    endpoint is ``{ehr_base_url}/fhir`` and is the token audience. ``smart_secret`` is the
    HS256 key shared with ``SekmetServer(smart_secret=...)``.
    """

    ehr_base_url: str
    smart_secret: str
    clients: tuple[ClientRegistration, ...] = ()
    access_token_lifetime: int = 300        # seconds; SMART: SHOULD be no more than one hour
    # Tests only: the expires_in reported to the app when it should differ from the token's real
    # lifetime, to imitate a token that dies early (revoked, clock skew) so the app meets a 401.
    advertised_lifetime: int | None = None
    refresh_token_lifetime: int = 8 * 3600
    code_lifetime: int = 60                 # SMART: codes expire "within around one minute"
    launch_lifetime: int = 300
    id_token_lifetime: int = 300
    default_user: str = "Practitioner/dev-clinician"   # the dev EHR's signed-in user (fhirUser)
    default_user_name: str = "Dev Clinician"
    # Patients the standalone picker offers: a callable so the list can come from the FHIR
    # server at request time. Returns (patient id, display name) pairs.
    patient_lister: Callable[[], Iterable[tuple[str, str]]] | None = None
    id_token_key: RSAKey | None = None      # generated when absent
    # Advertised capabilities; tests narrow them (e.g. drop permission-v2 to see the app use v1 scopes).
    capabilities: tuple[str, ...] = SMART_CAPABILITIES

    @property
    def fhir_base_url(self) -> str:
        return self.ehr_base_url.rstrip("/") + "/fhir"

    @property
    def issuer(self) -> str:
        return self.ehr_base_url.rstrip("/")

    @property
    def authorization_endpoint(self) -> str:
        return self.issuer + "/oauth/authorize"

    @property
    def token_endpoint(self) -> str:
        return self.issuer + "/oauth/token"

    @property
    def jwks_uri(self) -> str:
        return self.issuer + "/oauth/jwks"


@dataclass
class LaunchContext:
    """What the EHR knows at launch time: who is signed in and which patient is open."""

    patient: str | None
    user: str
    app_context: str | None = None
    need_patient_banner: bool = False
    created: float = field(default_factory=time.time)


@dataclass
class _Grant:
    """The resource owner as authlib sees it: the user plus the launch context they chose."""

    user: str
    patient: str | None
    app_context: str | None
    need_patient_banner: bool

    def get_user_id(self) -> str:
        return self.user


@dataclass
class _Client(ClientMixin):
    reg: ClientRegistration

    def get_client_id(self) -> str:
        return self.reg.client_id

    def get_default_redirect_uri(self) -> str:
        return self.reg.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        wanted = scope_to_list(scope) or []
        if self.reg.allowed_scopes is not None:
            wanted = [s for s in wanted if s in self.reg.allowed_scopes]
        return " ".join(wanted)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.reg.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return bool(self.reg.client_secret) and secrets.compare_digest(self.reg.client_secret, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.reg.auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in ("authorization_code", "refresh_token")


@dataclass
class _Code:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    code_challenge: str
    code_challenge_method: str
    nonce: str | None
    grant: _Grant
    auth_time: int
    expires_at: float

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None


@dataclass
class _RefreshToken:
    token: str
    client_id: str
    scope: str
    grant: _Grant
    family: str
    expires_at: float
    used: bool = False

    def check_client(self, client: _Client) -> bool:
        return client.get_client_id() == self.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return max(0, int(self.expires_at - time.time()))

    def is_expired(self) -> bool:
        return time.time() >= self.expires_at

    def is_revoked(self) -> bool:
        return self.used

    def get_user(self) -> _Grant:
        return self.grant


class _S256Challenge(CodeChallenge):
    """PKCE with S256 for every client (confidential ones too) and no ``plain``.

    authlib's CodeChallenge only insists on PKCE for public clients and accepts ``plain``;
    SMART 2.2 requires S256 from all apps and forbids servers to support ``plain``.
    """

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: missing 'code_challenge'", redirect_uri=redirect_uri)
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("PKCE 'code_challenge_method' must be S256", redirect_uri=redirect_uri)
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant, result):
        if not grant.request.form.get("code_verifier"):
            raise InvalidRequestError("Missing 'code_verifier'")
        super().validate_code_verifier(grant, result)


class DevAuthServer:
    """The dev EHR's authorization server: in-memory stores plus the authlib server wired to them.

    Public API used by the dev EHR UI (H5): ``create_launch``, ``blueprint()``; and by tests:
    ``config`` (e.g. to shorten token lifetime), ``launches``.
    """

    def __init__(self, config: AuthServerConfig):
        self.config = config
        self._lock = threading.Lock()
        self._clients = {c.client_id: _Client(c) for c in config.clients}
        self._codes: dict[str, _Code] = {}
        self._refresh: dict[str, _RefreshToken] = {}
        self._launches: dict[str, LaunchContext] = {}
        self._jti_seen: dict[str, float] = {}
        self._jwks_cache: dict[str, tuple[float, dict]] = {}
        self.id_token_key = config.id_token_key or RSAKey.generate_key(2048, parameters={"use": "sig", "alg": "RS256"})
        self.id_token_key.ensure_kid()
        self.server = self._build_server()

    # ---- launch-context registry (the EHR UI calls this before opening the app) ----------
    def create_launch(self, patient_id: str | None, app_context: str | None = None,
                      user: str | None = None, need_patient_banner: bool = False) -> str:
        """Register what the EHR has open and return the opaque ``launch`` value for the app URL."""
        launch_id = secrets.token_urlsafe(24)
        with self._lock:
            self._purge()
            self._launches[launch_id] = LaunchContext(patient=patient_id, user=user or self.config.default_user,
                                                      app_context=app_context,
                                                      need_patient_banner=need_patient_banner)
        return launch_id

    def launch_url(self, app_launch_url: str, launch_id: str) -> str:
        """The URL the EHR opens for an EHR launch: ``{launch_url}?iss=...&launch=...``."""
        sep = "&" if "?" in app_launch_url else "?"
        return f"{app_launch_url}{sep}{urlencode({'iss': self.config.fhir_base_url, 'launch': launch_id})}"

    def register_client(self, registration: ClientRegistration) -> None:
        with self._lock:
            self._clients[registration.client_id] = _Client(registration)

    # ---- authlib wiring --------------------------------------------------------------------
    def _purge(self) -> None:
        now = time.time()
        self._codes = {k: v for k, v in self._codes.items() if v.expires_at > now}
        self._launches = {k: v for k, v in self._launches.items()
                          if v.created + self.config.launch_lifetime > now}
        self._refresh = {k: v for k, v in self._refresh.items() if v.expires_at > now}
        self._jti_seen = {k: v for k, v in self._jti_seen.items() if v > now}

    def _query_client(self, client_id: str) -> _Client | None:
        return self._clients.get(client_id)

    def _save_token(self, token: dict, oauth_request) -> None:
        refresh = token.get("refresh_token")
        if not refresh:
            return
        old = getattr(oauth_request, "refresh_token", None)
        family = old.family if isinstance(old, _RefreshToken) else secrets.token_urlsafe(8)
        with self._lock:
            self._refresh[refresh] = _RefreshToken(
                token=refresh, client_id=oauth_request.client.get_client_id(), scope=token.get("scope", ""),
                grant=oauth_request.user, family=family,
                expires_at=time.time() + self.config.refresh_token_lifetime)

    def _access_token(self, client: _Client, grant_type: str, user: _Grant, scope: str) -> str:
        """HS256 JWT the real sekmet server verifies with its smart secret (aud, exp, scope)."""
        now = int(time.time())
        claims = {
            "iss": self.config.issuer, "aud": self.config.fhir_base_url, "sub": user.user,
            "client_id": client.get_client_id(), "scope": scope or "", "iat": now,
            "exp": now + self.config.access_token_lifetime, "jti": secrets.token_urlsafe(12),
        }
        if user.patient:
            claims["patient"] = user.patient
        return jwt.encode({"alg": "HS256", "typ": "JWT"}, claims, _oct(self.config.smart_secret), algorithms=["HS256"])

    def _build_server(self) -> AuthorizationServer:
        owner = self

        class Server(AuthorizationServer):
            def generate_token(self, grant_type, client, user=None, scope=None, expires_in=None,
                               include_refresh_token=True):
                # SMART: a refresh token only for offline_access / online_access.
                wants_refresh = bool({"offline_access", "online_access"} & set(scope_to_list(scope) or []))
                token = super().generate_token(grant_type, client, user=user, scope=scope, expires_in=expires_in,
                                               include_refresh_token=include_refresh_token and wants_refresh)
                token.setdefault("scope", "")
                if user is not None and user.patient:
                    token["patient"] = user.patient
                if user is not None and user.app_context:
                    token["appContext"] = user.app_context
                if user is not None:
                    token["need_patient_banner"] = user.need_patient_banner
                return token

        server = Server()
        server._query_client = self._query_client
        server._save_token = self._save_token
        server.register_token_generator("default", BearerTokenGenerator(
            access_token_generator=lambda client, grant_type, user, scope: self._access_token(client, grant_type, user, scope),
            refresh_token_generator=lambda **kw: secrets.token_urlsafe(48),
            expires_generator=lambda client, grant_type: (self.config.advertised_lifetime
                                                          or self.config.access_token_lifetime),
        ))

        class CodeGrant(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "private_key_jwt"]

            def save_authorization_code(self, code, req):
                data = req.payload.data
                with owner._lock:
                    owner._codes[code] = _Code(
                        code=code, client_id=req.client.get_client_id(), redirect_uri=req.payload.redirect_uri,
                        scope=req.scope, code_challenge=data.get("code_challenge"),
                        code_challenge_method=data.get("code_challenge_method"), nonce=data.get("nonce"),
                        grant=req.user, auth_time=int(time.time()),
                        expires_at=time.time() + owner.config.code_lifetime)

            def query_authorization_code(self, code, client):
                with owner._lock:
                    item = owner._codes.get(code)
                if item and item.client_id == client.get_client_id() and item.expires_at > time.time():
                    return item
                return None

            def delete_authorization_code(self, authorization_code):
                with owner._lock:
                    owner._codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code):
                return authorization_code.grant

        class RefreshGrant(grants.RefreshTokenGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "private_key_jwt"]
            INCLUDE_NEW_REFRESH_TOKEN = True   # rotation: every refresh returns a new refresh token

            def authenticate_refresh_token(self, refresh_token):
                with owner._lock:
                    item = owner._refresh.get(refresh_token)
                    if item is None or item.is_expired():
                        return None
                    if item.used:
                        # Reuse of a rotated token: assume theft and end the whole chain.
                        for other in owner._refresh.values():
                            if other.family == item.family:
                                other.used = True
                        return None
                    return item

            def authenticate_user(self, refresh_token):
                return refresh_token.grant

            def revoke_old_credential(self, refresh_token):
                with owner._lock:
                    refresh_token.used = True

        class ClientAssertion(JWTBearerClientAssertion):
            CLIENT_AUTH_METHOD = "private_key_jwt"

            def get_audiences(self):
                return [owner.config.token_endpoint]

            def validate_jti(self, claims, jti):
                key = f"{claims.get('sub')}:{jti}"
                with owner._lock:
                    if key in owner._jti_seen:
                        return False
                    owner._jti_seen[key] = float(claims.get("exp", time.time() + 300)) + 60
                return True

            def resolve_client_public_key(self, client):
                return KeySet.import_key_set(owner._client_jwks(client.reg))

            def process_assertion_claims(self, assertion, resolve_key):
                from authlib.oauth2.rfc6749 import InvalidClientError
                try:
                    token = jwt.decode(assertion, resolve_key, algorithms=ASSERTION_ALGS)
                except JoseError as e:
                    raise InvalidClientError(description=f"client_assertion rejected: {e.description}") from e
                if token.header.get("typ") != "JWT" or not token.header.get("kid"):
                    raise InvalidClientError(description="client_assertion header needs typ=JWT and kid")
                exp = token.claims.get("exp")
                if isinstance(exp, (int, float)) and exp > time.time() + 300 + self.leeway:
                    raise InvalidClientError(description="client_assertion exp is more than five minutes ahead")
                self.verify_claims(token.claims)
                return token.claims

        class OidcCode(OpenIDCode):
            def exists_nonce(self, nonce, req):
                with owner._lock:
                    return any(c.nonce == nonce for c in owner._codes.values())

            def resolve_client_private_key(self, client):
                return owner.id_token_key

            def get_client_algorithm(self, client):
                return "RS256"

            def get_encode_header(self, client):
                return {"alg": "RS256", "kid": owner.id_token_key.kid, "typ": "JWT"}

            def get_client_claims(self, client):
                now = int(time.time())
                return {"iss": owner.config.issuer, "aud": [client.get_client_id()],
                        "iat": now, "exp": now + owner.config.id_token_lifetime}

            def generate_user_info(self, user, scope):
                info = UserInfo(sub=user.user)
                if "fhirUser" in scope_to_list(scope):
                    info["fhirUser"] = f"{owner.config.fhir_base_url}/{user.user}"
                return info

        server.register_grant(CodeGrant, [_S256Challenge(required=True), OidcCode(require_nonce=False)])
        server.register_grant(RefreshGrant)
        server.register_client_auth_method("private_key_jwt", ClientAssertion())
        return server

    def _client_jwks(self, reg: ClientRegistration) -> dict:
        if reg.jwks:
            return reg.jwks
        if not reg.jwks_url:
            return {"keys": []}
        cached = self._jwks_cache.get(reg.jwks_url)
        if cached and cached[0] > time.time():
            return cached[1]
        try:
            resp = requests.get(reg.jwks_url, timeout=(3.05, 5))
            resp.raise_for_status()
            data = resp.json()
        except (requests.RequestException, ValueError) as e:
            from authlib.oauth2.rfc6749 import InvalidClientError
            raise InvalidClientError(description=f"could not fetch the client's JWKS: {type(e).__name__}") from e
        self._jwks_cache[reg.jwks_url] = (time.time() + 300, data)
        return data

    # ---- metadata --------------------------------------------------------------------------
    def smart_configuration(self) -> dict[str, Any]:
        c = self.config
        return {
            "issuer": c.issuer,
            "jwks_uri": c.jwks_uri,
            "authorization_endpoint": c.authorization_endpoint,
            "token_endpoint": c.token_endpoint,
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGS,
            "scopes_supported": ["openid", "fhirUser", "launch", "launch/patient", "offline_access",
                                 "online_access", "patient/*.rs", "patient/*.read", "user/*.rs", "user/*.read"],
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
            "capabilities": list(c.capabilities),
        }

    def openid_configuration(self) -> dict[str, Any]:
        c = self.config
        return {
            "issuer": c.issuer,
            "authorization_endpoint": c.authorization_endpoint,
            "token_endpoint": c.token_endpoint,
            "jwks_uri": c.jwks_uri,
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "fhirUser"],
            "claims_supported": ["sub", "fhirUser", "iss", "aud", "exp", "iat"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "private_key_jwt"],
            "code_challenge_methods_supported": ["S256"],
        }

    # ---- the authorize endpoint ------------------------------------------------------------
    def _authorize(self):
        values = request.values
        try:
            grant = self.server.get_consent_grant(end_user=_Grant(self.config.default_user, None, None, False))
        except OAuth2Error as error:
            # No validated redirect_uri: show the error here (RFC 6749 §4.1.2.1), never redirect.
            if error.redirect_uri:
                return self.server.handle_error_response(None, error)
            return render_template("auth/error.html", error=error.error, description=error.description), 400
        redirect_uri = grant.redirect_uri
        scopes = scope_to_list(values.get("scope")) or []

        def refuse(description: str):
            err = InvalidRequestError(description, redirect_uri=redirect_uri, state=values.get("state"))
            return self.server.handle_error_response(None, err)

        # SMART: servers SHALL support `aud`; it must name this EHR's FHIR endpoint exactly.
        aud = values.get("aud") or values.get("resource")
        if aud is None or aud.rstrip("/") != self.config.fhir_base_url:
            return refuse(f"'aud' must be this EHR's FHIR base URL ({self.config.fhir_base_url})")

        launch_id = values.get("launch")
        if "launch" in scopes or launch_id:
            with self._lock:
                self._purge()
                ctx = self._launches.get(launch_id or "")
            if not launch_id or ctx is None:
                return refuse("unknown or expired 'launch' value")
            if "launch" not in scopes:
                return refuse("an EHR launch must request the 'launch' scope")
            user = _Grant(ctx.user, ctx.patient, ctx.app_context, ctx.need_patient_banner)
            # The EHR user is already signed in and chose to open the app: approve directly.
            return self.server.create_authorization_response(grant_user=user, grant=grant)

        # Standalone launch: the consent page doubles as the patient picker.
        if request.method == "POST" and values.get("decision"):
            if values.get("decision") != "approve":
                return self.server.create_authorization_response(grant_user=None, grant=grant)
            patient = values.get("patient") or None
            if patient and patient not in {pid for pid, _ in self._patients()}:
                return refuse("the chosen patient is not known to this EHR")
            signed_in = self.config.default_user
            if values.get("sign_in_as") == "patient":
                # A patient-portal sign-in: the user is the patient (fhirUser = Patient/<id>).
                if not patient:
                    return refuse("a patient sign-in needs a chosen patient")
                signed_in = f"Patient/{patient}"
            user = _Grant(signed_in, patient if "launch/patient" in scopes else None, None, True)
            return self.server.create_authorization_response(grant_user=user, grant=grant)
        hidden = [(k, v) for k, v in values.items(multi=True) if k not in {"decision", "patient", "sign_in_as"}]
        return render_template("auth/authorize.html", client_id=values.get("client_id"), scopes=scopes,
                               default_user=self.config.default_user,
                               wants_patient="launch/patient" in scopes, patients=self._patients(),
                               hidden=hidden, action=self.config.authorization_endpoint), 200

    def _patients(self) -> list[tuple[str, str]]:
        return list(self.config.patient_lister()) if self.config.patient_lister else []

    def blueprint(self) -> Blueprint:
        """Routes at the EHR root: /oauth/authorize, /oauth/token, /oauth/jwks,
        /.well-known/openid-configuration and /fhir/.well-known/smart-configuration.

        Register it before the FHIR proxy blueprint so the well-known route wins."""
        bp = Blueprint("devehr_auth", __name__, template_folder="templates")
        bp.add_url_rule("/oauth/authorize", "authorize", self._authorize, methods=["GET", "POST"])

        @bp.post("/oauth/token")
        def token():
            resp = self.server.create_token_response()
            resp.headers["Cache-Control"] = "no-store"
            resp.headers["Pragma"] = "no-cache"
            return resp

        @bp.get("/oauth/jwks")
        def jwks():
            resp = jsonify({"keys": [self.id_token_key.as_dict(private=False)]})
            resp.headers["Cache-Control"] = "public, max-age=300"
            return resp

        @bp.get("/.well-known/openid-configuration")
        def openid_configuration():
            return _cors(jsonify(self.openid_configuration()))

        @bp.get("/fhir/.well-known/smart-configuration")
        def smart_configuration():
            # SMART: "SHALL be JSON, regardless of Accept".
            return _cors(jsonify(self.smart_configuration()))

        return bp


def create_auth_blueprint(config: AuthServerConfig) -> tuple[Blueprint, DevAuthServer]:
    """Build the dev authorization server and its blueprint. Keep the ``DevAuthServer`` to call
    ``create_launch`` from the EHR UI."""
    auth = DevAuthServer(config)
    return auth.blueprint(), auth


def init_auth_server(app: Flask, config: AuthServerConfig) -> DevAuthServer:
    """Convenience for the dev EHR factory: register the blueprint and keep the server on the app
    (``app.extensions["devehr_auth"]``)."""
    bp, auth = create_auth_blueprint(config)
    app.register_blueprint(bp)
    app.extensions["devehr_auth"] = auth
    return auth


def _cors(resp):
    # Discovery documents must be readable from any origin (SMART §CORS).
    resp.headers["Access-Control-Allow-Origin"] = "*"
    return resp


def _oct(secret: str):
    from joserfc.jwk import OctKey
    return OctKey.import_key(secret)
