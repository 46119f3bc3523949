"""Runtime settings, read once from the environment (secrets never live in the repo).

Every component receives a ``Settings`` object rather than reading ``os.environ`` itself,
so tests and the demo can build an app with exactly the configuration they need.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Any

from cds_hooks.service.settings import DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_PREFETCH_RESOURCES, ServiceSettings
from cds_hooks.state.sealed import MIN_SECRET_LENGTH, SealingKeys

# Database drivers SQLAlchemy may name in RECEPTOR_CDS_DATABASE_URL -> the package that provides them.
DRIVER_PACKAGES = {"psycopg": "psycopg[binary]", "psycopg2": "psycopg2-binary", "pg8000": "pg8000",
                   "asyncpg": "asyncpg", "pymysql": "PyMySQL", "mysqldb": "mysqlclient", "oracledb": "oracledb",
                   "pyodbc": "pyodbc", "pymssql": "pymssql"}
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class ConfigError(ValueError):
    """A setting that cannot work; the message names the variable and what would."""


def _int(env: dict[str, str], name: str, *, minimum: int) -> int:
    try:
        value = int(env[name])
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {env[name]!r}") from None
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, not {value}")
    return value


@dataclass(frozen=True)
class Settings:
    # Canonical public base URL of this deployment, e.g. "https://cds.example.org".
    # JWT `aud` is checked against it (never against the URL Flask reconstructs behind a proxy).
    public_url: str = "http://127.0.0.1:8000"
    # Path to the trusted-issuers JSON file (CDS Hooks clients: keys, FHIR servers, CORS origins).
    trusted_issuers_path: str | None = None
    # Feedback store; SQLite by default.
    database_url: str = "sqlite:///receptor-cds-feedback.sqlite"
    # The SMART launch URL put on the subtype card's `smart` link.
    smart_launch_url: str | None = None
    # Local development only: accept CDS Hooks calls without a JWT. Off by default; logged loudly.
    cds_auth_disabled: bool = False
    # The key SMART session values are sealed under in the shared state store (tokens at rest, see
    # cds_hooks.state.sealed), also Flask's signing key. Every instance sharing a store needs the same value;
    # unset, a key is generated at start-up (one server on one machine only: refused with Redis).
    secret_key: str | None = None
    # The previous value during a key rotation: still opens what was sealed under it.
    secret_key_previous: str | None = None
    # Outbound FHIR access (defaults are the service's own: one declaration in cds_hooks.service.settings).
    fhir_connect_timeout: float = ServiceSettings.fhir_connect_timeout
    fhir_read_timeout: float = ServiceSettings.fhir_read_timeout
    fhir_total_budget: float = ServiceSettings.fhir_total_budget      # seconds per hook call for all FHIR fetches
    fhir_max_pages: int = ServiceSettings.fhir_max_pages
    # Caps on what a FHIR server may send (issue 8: a 60 MB Bundle, a gzip bomb): decoded bytes of one answer
    # and of all answers of one hook call or page load, Bundle entries of one answer and of all answers.
    fhir_max_response_bytes: int = ServiceSettings.fhir_max_response_bytes
    fhir_max_call_bytes: int = ServiceSettings.fhir_max_call_bytes
    fhir_max_entries_per_response: int = ServiceSettings.fhir_max_entries_per_response
    fhir_max_entries_per_call: int = ServiceSettings.fhir_max_entries_per_call
    # The EHR's JWK Set (CDS Hooks JWT keys): seconds for one fetch in all, decoded bytes, keys.
    jwks_fetch_seconds: float = ServiceSettings.jwks_fetch_seconds
    jwks_max_bytes: int = ServiceSettings.jwks_max_bytes
    jwks_max_keys: int = ServiceSettings.jwks_max_keys
    # SMART discovery, token and id_token key requests: seconds for one request in all, decoded bytes.
    smart_http_seconds: float = 10.0
    smart_max_response_bytes: int = 256 * 1024
    # SMART app client registration (see README); values come from the environment.
    smart_client_id: str | None = None
    smart_client_secret: str | None = None
    smart_private_key_path: str | None = None   # PEM for private_key_jwt
    smart_private_key_alg: str = "RS384"
    smart_allowed_issuers: tuple[str, ...] = ()  # FHIR base URLs an EHR launch may name as `iss`
    smart_frame_ancestors: tuple[str, ...] = ()  # EHR origins allowed to frame the app
    # SMART app session cookie (opaque id; tokens stay server-side). Secure may only be turned off
    # for plain-http loopback development. Inside an EHR iframe served over https the browser sends
    # the cookie only with SameSite=None (which requires Secure); Lax is the default outside iframes.
    smart_cookie_secure: bool = True
    smart_cookie_samesite: str = "Lax"           # "Lax" | "Strict" | "None"
    smart_session_ttl: int = 8 * 3600            # seconds a launched session is kept server-side, at most
    smart_session_idle: int = 30 * 60            # ... and it ends after this many seconds without use
    # Client authentication at the token endpoint: "auto" (private_key_jwt when a key is configured
    # and the EHR advertises client-confidential-asymmetric, else client_secret_basic),
    # "client_secret_basic" or "private_key_jwt".
    smart_client_auth: str = "auto"
    # Shared state (JWT replay cache, SMART sessions, refresh locks): Redis when set, for several
    # instances; otherwise the embedded SQLite store at state_db (default: in the app's instance folder),
    # shared by the worker processes of one machine.
    redis_url: str | None = None
    state_db: str | None = None
    # Largest CDS Hooks request body accepted (413 beyond), and most resources one prefetch key may hold.
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_prefetch_resources: int = DEFAULT_MAX_PREFETCH_RESOURCES
    # Operations: log format ("text" or "json") and level; /metrics on or off; the folder for the
    # metrics of several worker processes (default: a temporary folder made by `serve`).
    log_format: str = "text"
    log_level: str = "INFO"
    metrics_enabled: bool = True
    metrics_dir: str | None = None
    # Where the product is used, for options whose approval differs by regulator ("US" leaves out options with
    # no US indication, e.g. atezolizumab for TNBC); empty: not stated (such options carry their regional note).
    region: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def with_overrides(self, **changes: Any) -> "Settings":
        return replace(self, **changes)

    def service_settings(self) -> ServiceSettings:
        """The part of the configuration the CDS Hooks service (library code) is handed."""
        return ServiceSettings(
            public_url=self.public_url, trusted_issuers_path=self.trusted_issuers_path,
            database_url=self.database_url, smart_launch_url=self.smart_launch_url,
            cds_auth_disabled=self.cds_auth_disabled, fhir_connect_timeout=self.fhir_connect_timeout,
            fhir_read_timeout=self.fhir_read_timeout, fhir_total_budget=self.fhir_total_budget,
            fhir_max_pages=self.fhir_max_pages, max_body_bytes=self.max_body_bytes,
            max_prefetch_resources=self.max_prefetch_resources,
            fhir_max_response_bytes=self.fhir_max_response_bytes, fhir_max_call_bytes=self.fhir_max_call_bytes,
            fhir_max_entries_per_response=self.fhir_max_entries_per_response,
            fhir_max_entries_per_call=self.fhir_max_entries_per_call, jwks_fetch_seconds=self.jwks_fetch_seconds,
            jwks_max_bytes=self.jwks_max_bytes, jwks_max_keys=self.jwks_max_keys)

    def validate(self) -> list[str]:
        """Check what can be checked before anything starts; raise ``ConfigError`` for what cannot work,
        return warnings (printed loudly) for what works but is probably not meant."""
        from urllib.parse import urlsplit

        parts = urlsplit(self.public_url)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ConfigError(f"RECEPTOR_CDS_PUBLIC_URL must be an absolute http(s) URL such as "
                              f"https://cds.example.org, not {self.public_url!r}")
        try:
            parts.port
        except ValueError:
            raise ConfigError(f"RECEPTOR_CDS_PUBLIC_URL has an invalid port: {self.public_url!r}") from None
        _check_database_driver(self.database_url)
        self.sealing_keys()
        if self.log_format not in ("text", "json"):
            raise ConfigError(f"RECEPTOR_CDS_LOG_FORMAT must be text or json, not {self.log_format!r}")
        if self.log_level not in LOG_LEVELS:
            raise ConfigError(f"RECEPTOR_CDS_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {self.log_level!r}")
        warnings = []
        if not self.trusted_issuers_path and not self.cds_auth_disabled:
            warnings.append("NO TRUSTED ISSUERS: RECEPTOR_CDS_TRUSTED_ISSUERS is not set, so no EHR can call the CDS "
                            "Hooks service (every call is refused with 401). Point it at a trusted-issuers file.")
        if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
            warnings.append(f"RECEPTOR_CDS_PUBLIC_URL {self.public_url} is plain http on a non-loopback host: "
                            "put the service behind a TLS proxy and use its https URL.")
        return warnings

    def sealing_keys(self) -> SealingKeys:
        """The keys SMART session values are sealed under. ``ConfigError`` for a key too short to be a secret,
        and for Redis without a configured key: several instances, each with its own generated key, would each
        lose the sessions the others started (a generated key suits one server on one machine)."""
        for name, value in (("RECEPTOR_CDS_SECRET_KEY", self.secret_key),
                            ("RECEPTOR_CDS_SECRET_KEY_PREVIOUS", self.secret_key_previous)):
            if value is not None and value.startswith("CHANGE-ME"):
                raise ConfigError(f"{name} is still the placeholder from .env.example: set it to random text, e.g. "
                                  "the output of  python3 -c 'import secrets; print(secrets.token_urlsafe(32))'")
            if value is not None and len(value) < MIN_SECRET_LENGTH:
                raise ConfigError(f"{name} must be at least {MIN_SECRET_LENGTH} characters of random text (e.g. the "
                                  "output of  python3 -c 'import secrets; print(secrets.token_urlsafe(32))'), "
                                  f"not {len(value)} characters")
        if self.secret_key_previous and not self.secret_key:
            raise ConfigError("RECEPTOR_CDS_SECRET_KEY_PREVIOUS is set without RECEPTOR_CDS_SECRET_KEY: set the new "
                              "key too (the previous one only opens what was sealed under it)")
        if not self.secret_key:
            if self.redis_url:
                raise ConfigError("RECEPTOR_CDS_REDIS_URL is set (several instances share one state store) but "
                                  "RECEPTOR_CDS_SECRET_KEY is not: each instance would seal SMART sessions under its "
                                  "own generated key and lose those the others started. Set RECEPTOR_CDS_SECRET_KEY "
                                  "to the same random value on every instance")
            return SealingKeys.generate()
        return SealingKeys(self.secret_key, [self.secret_key_previous] if self.secret_key_previous else [])

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Settings":
        env = dict(os.environ if env is None else env)

        def _list(name: str) -> tuple[str, ...]:
            return tuple(v.strip() for v in env.get(name, "").split(",") if v.strip())

        kwargs: dict[str, Any] = {}
        simple = {
            "RECEPTOR_CDS_PUBLIC_URL": "public_url",
            "RECEPTOR_CDS_TRUSTED_ISSUERS": "trusted_issuers_path",
            "RECEPTOR_CDS_DATABASE_URL": "database_url",
            "RECEPTOR_CDS_SMART_LAUNCH_URL": "smart_launch_url",
            "RECEPTOR_CDS_SECRET_KEY": "secret_key",
            "RECEPTOR_CDS_SECRET_KEY_PREVIOUS": "secret_key_previous",
            "RECEPTOR_CDS_SMART_CLIENT_ID": "smart_client_id",
            "RECEPTOR_CDS_SMART_CLIENT_SECRET": "smart_client_secret",
            "RECEPTOR_CDS_SMART_PRIVATE_KEY": "smart_private_key_path",
            "RECEPTOR_CDS_SMART_PRIVATE_KEY_ALG": "smart_private_key_alg",
            "RECEPTOR_CDS_REDIS_URL": "redis_url",
            "RECEPTOR_CDS_STATE_DB": "state_db",
        }
        for var, attr in simple.items():
            if env.get(var):
                kwargs[attr] = env[var]
        if env.get("RECEPTOR_CDS_AUTH_DISABLED", "").lower() in {"1", "true", "yes"}:
            kwargs["cds_auth_disabled"] = True
        if env.get("RECEPTOR_CDS_SMART_ISSUERS"):
            kwargs["smart_allowed_issuers"] = _list("RECEPTOR_CDS_SMART_ISSUERS")
        if env.get("RECEPTOR_CDS_SMART_COOKIE_SECURE", "").lower() in {"0", "false", "no"}:
            kwargs["smart_cookie_secure"] = False
        if env.get("RECEPTOR_CDS_SMART_COOKIE_SAMESITE"):
            kwargs["smart_cookie_samesite"] = env["RECEPTOR_CDS_SMART_COOKIE_SAMESITE"]
        if env.get("RECEPTOR_CDS_SMART_CLIENT_AUTH"):
            kwargs["smart_client_auth"] = env["RECEPTOR_CDS_SMART_CLIENT_AUTH"]
        if env.get("RECEPTOR_CDS_REGION"):
            kwargs["region"] = env["RECEPTOR_CDS_REGION"].strip().upper()
        if env.get("RECEPTOR_CDS_MAX_BODY_BYTES"):
            kwargs["max_body_bytes"] = _int(env, "RECEPTOR_CDS_MAX_BODY_BYTES", minimum=1024)
        if env.get("RECEPTOR_CDS_MAX_PREFETCH_RESOURCES"):
            kwargs["max_prefetch_resources"] = _int(env, "RECEPTOR_CDS_MAX_PREFETCH_RESOURCES", minimum=1)
        if env.get("RECEPTOR_CDS_LOG_FORMAT"):
            kwargs["log_format"] = env["RECEPTOR_CDS_LOG_FORMAT"].strip().lower()
        if env.get("RECEPTOR_CDS_LOG_LEVEL"):
            kwargs["log_level"] = env["RECEPTOR_CDS_LOG_LEVEL"].strip().upper()
        if env.get("RECEPTOR_CDS_METRICS", "").lower() in {"0", "false", "no", "off"}:
            kwargs["metrics_enabled"] = False
        if env.get("RECEPTOR_CDS_METRICS_DIR"):
            kwargs["metrics_dir"] = env["RECEPTOR_CDS_METRICS_DIR"]
        if env.get("RECEPTOR_CDS_SMART_SESSION_IDLE"):
            kwargs["smart_session_idle"] = _int(env, "RECEPTOR_CDS_SMART_SESSION_IDLE", minimum=60)
        if env.get("RECEPTOR_CDS_FRAME_ANCESTORS"):
            kwargs["smart_frame_ancestors"] = _list("RECEPTOR_CDS_FRAME_ANCESTORS")
        for var, attr in (("RECEPTOR_CDS_FHIR_MAX_RESPONSE_BYTES", "fhir_max_response_bytes"),
                          ("RECEPTOR_CDS_FHIR_MAX_CALL_BYTES", "fhir_max_call_bytes"),
                          ("RECEPTOR_CDS_FHIR_MAX_ENTRIES_PER_RESPONSE", "fhir_max_entries_per_response"),
                          ("RECEPTOR_CDS_FHIR_MAX_ENTRIES_PER_CALL", "fhir_max_entries_per_call")):
            if env.get(var):
                kwargs[attr] = _int(env, var, minimum=1)
        return cls(**kwargs)


def _check_database_driver(database_url: str) -> None:
    """A URL naming a driver that is not installed stops start-up naming the package to add."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        url = make_url(database_url)
    except ArgumentError:
        raise ConfigError(f"RECEPTOR_CDS_DATABASE_URL is not a database URL (e.g. sqlite:///feedback.sqlite or "
                          f"postgresql+psycopg://user@host/db)") from None
    try:
        dialect = url.get_dialect()
        dialect.import_dbapi()
    except NoSuchModuleError:
        raise ConfigError(f"RECEPTOR_CDS_DATABASE_URL names the database {url.drivername!r}, which SQLAlchemy "
                          f"does not know") from None
    except ImportError:
        driver = url.get_driver_name()
        package = DRIVER_PACKAGES.get(driver, driver)
        raise ConfigError(f"RECEPTOR_CDS_DATABASE_URL uses the {url.drivername!r} driver, which is not installed: "
                          f"add the package with  pip install '{package}'") from None
