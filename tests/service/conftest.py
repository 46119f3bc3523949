"""Fixtures for the CDS Hooks service tests: signing keys like real EHRs, a real loopback JWKS
server, a trusted-issuers file, and a test client that validates every response against the
JSON Schemas shipped in ``cds_hooks/service/schemas`` (so no test can see an invalid answer pass).
"""
from __future__ import annotations

import json
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import flask
import pytest
from joserfc import jws, jwt
from joserfc.jwk import ECKey, KeySet, RSAKey

from app.config import Settings
from cds_hooks.decision import DecisionConfig
from cds_hooks.service import create_cds_blueprint
from cds_hooks.service.schemas import validator
from cds_hooks.state import SqliteStateStore

from .card_rules import card_problems

REPO = Path(__file__).resolve().parents[2]
HOOK_FIXTURES = REPO / "fixtures" / "hooks"
PUBLIC_URL = "https://cds.receptor.test"
SANDBOX_ISS = "https://sandbox.cds-hooks.test"
EPIC_ISS = "https://epic.ehr.test"
SANDBOX_ORIGIN = "http://127.0.0.1:8000"
EPIC_ORIGIN = "https://epic.ehr.test"
SMART_LAUNCH = "https://app.receptor.test/launch"
TODAY = DecisionConfig(today=__import__("datetime").date(2026, 11, 1))


def hook_fixture(name: str) -> dict[str, Any]:
    """A sample hook request from fixtures/hooks, by file stem."""
    return json.loads((HOOK_FIXTURES / f"{name}.json").read_text())


class JwksServer:
    """A real HTTP server on loopback serving one JWK Set, counting fetches (for the refetch rule)."""

    def __init__(self, keyset: dict[str, Any]) -> None:
        self.keyset = keyset
        self.fetches = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                outer.fetches += 1
                body = json.dumps(outer.keyset).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/.well-known/jwks.json"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "JwksServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="session")
def sandbox_key() -> ECKey:
    """An ES384 key like the CDS Hooks sandbox's (P-384, kid published in its JWKS)."""
    return ECKey.generate_key("P-384", parameters={"kid": "sandbox-key-1", "use": "sig", "alg": "ES384"})


@pytest.fixture(scope="session")
def epic_key() -> RSAKey:
    """An RS384 key like Epic's, configured inline in the trusted-issuers file."""
    return RSAKey.generate_key(2048, parameters={"kid": "epic-key-1", "use": "sig", "alg": "RS384"})


@pytest.fixture()
def jwks_server(sandbox_key: ECKey) -> Iterator[JwksServer]:
    with JwksServer(KeySet([sandbox_key]).as_dict(private=False)) as server:
        yield server


def make_token(key: Any, *, iss: str, aud: Any, alg: str, kid: str | None, jku: str | None = None,
               typ: str | None = "JWT", lifetime: int = 300, **claims: Any) -> str:
    now = int(time.time())
    header: dict[str, Any] = {"alg": alg}
    if typ:
        header["typ"] = typ
    if kid:
        header["kid"] = kid
    if jku:
        header["jku"] = jku
    payload = {"iss": iss, "aud": aud, "iat": now, "exp": now + lifetime, "jti": str(uuid.uuid4()), **claims}
    payload = {k: v for k, v in payload.items() if v is not None}
    if typ is None:   # jwt.encode would add typ=JWT itself
        return jws.serialize_compact(header, json.dumps(payload), key, algorithms=[alg])
    return jwt.encode(header, payload, key, algorithms=[alg])


class Signer:
    """Mints tokens the way a given EHR does, for an endpoint path."""

    def __init__(self, sandbox_key: ECKey, epic_key: RSAKey, jwks_url: str) -> None:
        self.sandbox_key, self.epic_key, self.jwks_url = sandbox_key, epic_key, jwks_url

    def sandbox(self, path: str, **overrides: Any) -> str:
        """Like sandbox.cds-hooks.org: ES384, kid, jku, aud = exact URL, exp = now + 5 min."""
        args = dict(iss=SANDBOX_ISS, aud=PUBLIC_URL + path, alg="ES384", kid="sandbox-key-1", jku=self.jwks_url)
        args.update(overrides)
        return make_token(self.sandbox_key, **args)

    def epic(self, path: str, **overrides: Any) -> str:
        """Like Epic: RS384, kid, no jku (keys registered out of band), nbf, aud as a one-element array."""
        now = int(time.time())
        args = dict(iss=EPIC_ISS, aud=[PUBLIC_URL + path], alg="RS384", kid="epic-key-1", nbf=now)
        args.update(overrides)
        return make_token(self.epic_key, **args)


@pytest.fixture()
def signer(sandbox_key: ECKey, epic_key: RSAKey, jwks_server: JwksServer) -> Signer:
    return Signer(sandbox_key, epic_key, jwks_server.url)


def write_trusted_issuers(path: Path, jwks_url: str, epic_key: RSAKey, fhir_servers: list[str]) -> Path:
    data = {
        SANDBOX_ISS: {"jwks_url": jwks_url, "fhir_servers": fhir_servers, "cors_origins": [SANDBOX_ORIGIN]},
        EPIC_ISS: {"jwks": KeySet([epic_key]).as_dict(private=False), "fhir_servers": ["https://epic.ehr.test/fhir"],
                   "cors_origins": [EPIC_ORIGIN]},
    }
    path.write_text(json.dumps(data))
    return path


class CdsClient:
    """Flask test client wrapper: signs calls and validates EVERY response against the shipped schemas."""

    def __init__(self, app: flask.Flask, signer: Signer) -> None:
        self.app = app
        self.client = app.test_client()
        self.signer = signer
        self.seen = 0

    @staticmethod
    def _check(path: str, method: str, response: Any) -> None:
        status = response.status_code
        if method == "OPTIONS":
            assert status == 204 and not response.data
            return
        if path.endswith("/feedback") and status == 200:
            assert response.data == b""
            return
        assert response.mimetype == "application/json", f"{status} without a JSON body"
        body = response.get_json()
        if status >= 400:
            assert body["resourceType"] == "OperationOutcome" and body["issue"][0]["diagnostics"]
            return
        assert status == 200
        discovery = path.rstrip("/").endswith("/cds-services")
        errors = list(validator("discovery" if discovery else "response").iter_errors(body))
        assert not errors, [e.message for e in errors]
        if not discovery:
            problems = card_problems(body)
            assert not problems, problems

    def request(self, method: str, path: str, *, token: str | None | bool = True, json_body: Any = None,
                data: str | bytes | None = None, headers: dict[str, str] | None = None,
                content_type: str = "application/json") -> Any:
        headers = dict(headers or {})
        if token is True:
            token = self.signer.sandbox(path)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if json_body is not None:
            data = json.dumps(json_body)
        response = self.client.open(path, method=method, data=data, headers=headers,
                                    content_type=content_type if data is not None else None)
        self._check(path, method, response)
        self.seen += 1
        return response

    def get(self, path: str, **kw: Any) -> Any:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.request("POST", path, json_body=body, **kw)


def build_app(settings: Settings, config: DecisionConfig = TODAY) -> flask.Flask:
    app = flask.Flask("receptor-cds-service-test")
    # The embedded state store (replay cache) in a fresh folder per app, as each deployment has its own.
    state = SqliteStateStore(Path(tempfile.mkdtemp(prefix="receptor-cds-state-")) / "state.sqlite")
    app.register_blueprint(create_cds_blueprint(settings.service_settings(), state=state, decision_config=config))
    return app


@pytest.fixture()
def make_settings(tmp_path: Path, jwks_server: JwksServer, epic_key: RSAKey):
    """Settings with both EHRs trusted; the sandbox issuer may send the given fhir_servers."""
    def _make(fhir_servers: list[str] = (), **overrides: Any) -> Settings:
        issuers = write_trusted_issuers(tmp_path / "trusted-issuers.json", jwks_server.url, epic_key,
                                        list(fhir_servers))
        values = dict(public_url=PUBLIC_URL, trusted_issuers_path=str(issuers),
                      database_url=f"sqlite:///{tmp_path / 'feedback.sqlite'}", smart_launch_url=SMART_LAUNCH,
                      fhir_total_budget=4.0, fhir_connect_timeout=1.0, fhir_read_timeout=2.0)
        values.update(overrides)
        return Settings(**values)
    return _make


@pytest.fixture()
def make_cds(make_settings, signer: Signer):
    """A signed, schema-validating client of a service built with ``make_settings(**kw)``."""
    def _make(fhir_servers: list[str] = (), config: DecisionConfig = TODAY, **overrides: Any) -> CdsClient:
        return CdsClient(build_app(make_settings(fhir_servers, **overrides), config), signer)
    return _make


@pytest.fixture()
def cds(make_cds) -> CdsClient:
    """A signed, schema-validating client of the service (no FHIR server allowlisted)."""
    return make_cds()
