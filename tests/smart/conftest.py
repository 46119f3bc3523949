"""End-to-end SMART harness: a real sekmet FHIR server behind the development EHR (auth server +
FHIR proxy) served over HTTP on loopback, and the product's SMART app served the same way.

The test plays the browser with a ``requests.Session`` (cookies per host; redirects followed one
hop at a time so each step can be checked).
"""
from __future__ import annotations

import secrets
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from flask import Flask
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server

from app.config import Settings
from app.devehr.auth_server import AuthServerConfig, ClientRegistration, DevAuthServer, init_auth_server
from app.devehr.fhir_proxy import create_fhir_proxy_blueprint
from app.fhir_server import SekmetServer
from app import create_app
from cds_hooks.decision import DecisionConfig
from tests.infra.loopback import listening_socket, refused_port

from .patients import (CONVERSION_PATIENT_ID, PLAIN_PATIENT_ID, SPECIMEN_PATIENT_ID, conversion_bundle,
                       plain_bundle, specimen_bundle)

SYM_CLIENT = "receptor-sym"
SYM_SECRET = "sym-" + secrets.token_urlsafe(24)
ASYM_CLIENT = "receptor-asym"
NARROW_CLIENT = "receptor-narrow"        # granted no Observation access: FHIR answers 403
NO_CONDITION_CLIENT = "receptor-nocond"  # granted no Condition access: a data-quality note
NO_REFRESH_CLIENT = "receptor-norefresh" # granted no online/offline access: no refresh token


class ServedApp:
    """A Flask app served by werkzeug on 127.0.0.1 in a thread, on a socket already bound and listening
    (``tests.infra.loopback.listening_socket()``), so no other process can take its port in between."""

    def __init__(self, app: Flask, sock: socket.socket):
        self.port = sock.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.server = make_server("127.0.0.1", self.port, app, threaded=True, fd=sock.fileno())
        sock.close()   # werkzeug serves on its own duplicate of the descriptor
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class DevEhr:
    base: str
    fhir_base: str
    auth: DevAuthServer
    sekmet: SekmetServer
    upstream: dict = field(default_factory=dict)
    refused_port: int = 0      # held closed for the session: connecting is refused

    def take_fhir_down(self) -> None:
        self.upstream["url"] = f"http://127.0.0.1:{self.refused_port}/fhir"

    def bring_fhir_up(self) -> None:
        self.upstream["url"] = self.sekmet.base_url


# Product-app redirect URIs are registered per app port, so clients are added when an app starts.
@pytest.fixture(scope="session")
def dev_ehr(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevEhr]:
    sock = listening_socket()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    secret = secrets.token_urlsafe(32)
    with SekmetServer(tmp_path_factory.mktemp("sekmet-smart"), smart_secret=secret,
                      public_base_url=f"{base}/fhir") as sekmet, refused_port() as down:
        sekmet.load_bundle(conversion_bundle(), "smart-conversion")
        sekmet.load_bundle(plain_bundle(), "smart-plain")
        sekmet.load_bundle(specimen_bundle(), SPECIMEN_PATIENT_ID)
        upstream = {"url": sekmet.base_url}
        flask_app = Flask("devehr-test")
        auth = init_auth_server(flask_app, AuthServerConfig(
            ehr_base_url=base, smart_secret=secret,
            patient_lister=lambda: [(CONVERSION_PATIENT_ID, "Conversion Case"), (PLAIN_PATIENT_ID, "Plain Case")]))
        flask_app.register_blueprint(create_fhir_proxy_blueprint(lambda: upstream["url"]))
        served = ServedApp(flask_app, sock)
        try:
            yield DevEhr(base=base, fhir_base=f"{base}/fhir", auth=auth, sekmet=sekmet, upstream=upstream,
                         refused_port=down)
        finally:
            served.stop()


@pytest.fixture(scope="session")
def client_key_pem(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("keys") / "smart-client.pem"
    path.write_bytes(RSAKey.generate_key(2048).as_pem(private=True))
    return path


@dataclass
class ProductApp:
    base: str
    settings: Settings

    @property
    def launch_url(self) -> str:
        return f"{self.base}/smart/launch"


@pytest.fixture
def product_app(dev_ehr: DevEhr, client_key_pem: Path, tmp_path: Path) -> Iterator[Callable[..., ProductApp]]:
    """Factory: start the product's SMART app (real HTTP server) registered as a given client."""
    started: list[ServedApp] = []

    def start(client: str = SYM_CLIENT, decision_config: DecisionConfig | None = None, **overrides) -> ProductApp:
        sock = listening_socket()
        port = sock.getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        settings = Settings(public_url=base, smart_client_id=client, smart_allowed_issuers=(dev_ehr.fhir_base,),
                            smart_cookie_secure=False, fhir_read_timeout=5.0, fhir_total_budget=5.0,
                            database_url=f"sqlite:///{tmp_path / f'feedback-{port}.sqlite'}")
        redirect = (f"{base}/smart/callback", f"{base}/patient/callback")   # clinician's app, patient page
        if client == ASYM_CLIENT:
            settings = settings.with_overrides(smart_private_key_path=str(client_key_pem),
                                               smart_client_auth="private_key_jwt")
            reg = ClientRegistration(client, redirect, jwks_url=f"{base}/smart/.well-known/jwks.json")
        else:
            settings = settings.with_overrides(smart_client_secret=SYM_SECRET)
            allowed = None
            if client == NARROW_CLIENT:
                allowed = ("launch", "launch/patient", "openid", "fhirUser", "online_access", "offline_access",
                           "patient/Patient.rs", "patient/Condition.rs", "patient/MedicationRequest.rs")
            elif client == NO_CONDITION_CLIENT:
                allowed = ("launch", "launch/patient", "openid", "fhirUser", "online_access", "offline_access",
                           "patient/Patient.rs", "patient/Observation.rs", "patient/MedicationRequest.rs")
            elif client == NO_REFRESH_CLIENT:
                allowed = ("launch", "launch/patient", "openid", "fhirUser", "patient/Patient.rs",
                           "patient/Observation.rs", "patient/Condition.rs", "patient/MedicationRequest.rs")
            reg = ClientRegistration(client, redirect, client_secret=SYM_SECRET, allowed_scopes=allowed)
        dev_ehr.auth.register_client(reg)
        settings = settings.with_overrides(**overrides)
        served = ServedApp(create_app(settings, decision_config=decision_config), sock)
        started.append(served)
        return ProductApp(base=base, settings=settings)

    yield start
    for served in started:
        served.stop()


class Browser:
    """The user agent: follows redirects one hop at a time and records every hop."""

    def __init__(self) -> None:
        self.session = requests.Session()
        self.hops: list[requests.Response] = []

    def get(self, url: str, *, follow: bool = True, stop_at: Callable[[str], bool] | None = None) -> requests.Response:
        resp = self.session.get(url, allow_redirects=False, timeout=30)
        self.hops.append(resp)
        while follow and resp.is_redirect:
            nxt = urljoin(resp.url, resp.headers["Location"])
            if stop_at and stop_at(nxt):
                return resp
            resp = self.session.get(nxt, allow_redirects=False, timeout=30)
            self.hops.append(resp)
        return resp

    def post(self, url: str, data: dict, *, follow: bool = True) -> requests.Response:
        resp = self.session.post(url, data=data, allow_redirects=False, timeout=30)
        self.hops.append(resp)
        if follow and resp.is_redirect:
            return self.get(urljoin(resp.url, resp.headers["Location"]))
        return resp


@pytest.fixture
def browser() -> Browser:
    return Browser()


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
