"""``receptor-cds demo``: the whole product on loopback in one command, on a real FHIR server.

Three parts start, each on a free 127.0.0.1 port, with keys and secrets generated for this run
(never stored in the repository) and work files in a temporary folder removed at exit:

1. a real FHIR R4 server (sekmet-fhir, its own process) loaded with every project fixture; its
   public base is the development EHR's ``/fhir`` and it honours the EHR's access tokens;
2. the product (CDS Hooks service + SMART app, ``app.create_app``) served by waitress, trusting
   the development EHR as a CDS Hooks client and registered with it as a SMART client;
3. the development EHR (``app.devehr``; demo/test infrastructure) served by waitress.

It prints the URL to open and stops cleanly on Ctrl-C or SIGTERM: both web servers are closed,
the FHIR server process is ended and the temporary folder removed.
"""
from __future__ import annotations

import json
import logging
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from flask import Flask
from waitress import wasyncore
from waitress.server import create_server

log = logging.getLogger(__name__)

LOOPBACK_HOSTS = {"127.0.0.1", "localhost"}
# Where the SMART app lives inside the product (app/smart blueprint).
SMART_LAUNCH_PATH = "/smart/launch"
SMART_REDIRECT_PATH = "/smart/callback"
# The patient page (app/patient): same SMART client, its own launch and redirect URIs.
PATIENT_LAUNCH_PATH = "/patient/launch"
PATIENT_REDIRECT_PATH = "/patient/callback"
SMART_CLIENT_ID = "receptor-cds-demo"


class DemoError(RuntimeError):
    """The demo could not start (bad option, a part failed to come up)."""


class ServedApp:
    """One WSGI app served by waitress on a background thread (so one process hosts two servers)."""

    def __init__(self, name: str, app: Flask, host: str, port: int) -> None:
        self.name = name
        try:
            self.server = create_server(app, host=host, port=port, threads=8, ident=name)
        except OSError as exc:
            raise DemoError(f"cannot listen on {host}:{port} for the {name} server: {exc.strerror or exc}") from None
        self.thread = threading.Thread(target=self.server.run, name=f"waitress-{name}", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        # Finish in-flight requests, then close every socket of this server's own map: its
        # asyncore loop ends when the map is empty (what waitress's MultiSocketServer.close does).
        self.server.task_dispatcher.shutdown(timeout=5)
        wasyncore.close_all(self.server._map)
        self.thread.join(timeout=5)


@dataclass(frozen=True)
class DemoUrls:
    ehr: str
    product: str
    fhir_direct: str

    @property
    def ehr_fhir(self) -> str:
        return f"{self.ehr}/fhir"

    @property
    def cds_services(self) -> str:
        return f"{self.product}/cds-services"

    @property
    def smart_launch(self) -> str:
        return f"{self.product}{SMART_LAUNCH_PATH}"

    @property
    def patient_launch(self) -> str:
        return f"{self.product}{PATIENT_LAUNCH_PATH}"


class Demo:
    """The three parts and their shared secrets; ``start()`` then ``stop()`` (safe to call twice)."""

    def __init__(self, host: str = "127.0.0.1", port: int | None = None, workdir: Path | None = None) -> None:
        if host not in LOOPBACK_HOSTS:
            raise DemoError(f"the demo binds loopback only; --host must be 127.0.0.1 or localhost, not {host!r}")
        self.host = "127.0.0.1"
        self.ehr_port = port
        self._own_workdir = workdir is None
        self.workdir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="receptor-cds-demo-"))
        self.fhir: Any = None
        self.served: list[ServedApp] = []
        self.urls: DemoUrls | None = None
        self.loaded: list[str] = []
        self._stopped = False

    def start(self) -> DemoUrls:
        from app import create_app
        from app.config import Settings
        from app.devehr import DevEhrConfig, create_devehr_app
        from app.devehr.auth_server import ClientRegistration
        from app.fhir_server import SekmetServer, free_port

        ehr_port = self.ehr_port or free_port()
        product_port = free_port()
        while product_port == ehr_port:
            product_port = free_port()
        ehr = f"http://127.0.0.1:{ehr_port}"
        product = f"http://127.0.0.1:{product_port}"
        smart_secret = secrets.token_urlsafe(48)
        client_secret = secrets.token_urlsafe(32)

        self.fhir = SekmetServer(self.workdir / "fhir", smart_secret=smart_secret, public_base_url=f"{ehr}/fhir")
        self.fhir.start()
        self.loaded = self.fhir.load_fixtures()
        self.urls = urls = DemoUrls(ehr=ehr, product=product, fhir_direct=self.fhir.base_url)

        issuers_path = self.workdir / "trusted-issuers.json"
        issuers_path.write_text(json.dumps({ehr: {"jwks_url": f"{ehr}/.well-known/jwks.json",
                                                  "fhir_servers": [urls.ehr_fhir],
                                                  "cors_origins": [ehr]}}, indent=2), encoding="utf-8")
        settings = Settings(public_url=product, trusted_issuers_path=str(issuers_path),
                            database_url=f"sqlite:///{self.workdir / 'feedback.sqlite'}",
                            state_db=str(self.workdir / "state.sqlite"),
                            smart_launch_url=urls.smart_launch, smart_client_id=SMART_CLIENT_ID,
                            smart_client_secret=client_secret, smart_allowed_issuers=(urls.ehr_fhir,),
                            smart_frame_ancestors=(ehr,),
                            # Plain http on loopback: a Secure cookie would not come back over http.
                            smart_cookie_secure=False)
        product_app = create_app(settings)

        registration = ClientRegistration(client_id=SMART_CLIENT_ID,
                                          redirect_uris=(f"{product}{SMART_REDIRECT_PATH}",
                                                         f"{product}{PATIENT_REDIRECT_PATH}"),
                                          client_secret=client_secret,
                                          launch_urls=(urls.smart_launch, urls.patient_launch))
        ehr_app = create_devehr_app(DevEhrConfig(base_url=ehr, fhir_upstream=self.fhir.base_url,
                                                 smart_secret=smart_secret, cds_services_url=urls.cds_services,
                                                 app_launch_url=urls.smart_launch, patient_launch_url=urls.patient_launch,
                                                 smart_clients=(registration,)))
        for name, flask_app, port in (("receptor-cds", product_app, product_port), ("dev-ehr", ehr_app, ehr_port)):
            served = ServedApp(name, flask_app, self.host, port)
            served.start()
            self.served.append(served)
        return urls

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        for served in reversed(self.served):
            served.stop()
        if self.fhir is not None:
            self.fhir.stop()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)


def run_demo(host: str = "127.0.0.1", port: int | None = None, out: TextIO = sys.stdout) -> int:
    """Start everything, print the URL, wait for Ctrl-C/SIGTERM, stop everything; returns the exit code."""
    stop = threading.Event()

    def request_stop(signum: int, _frame: Any) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        demo = Demo(host, port)
    except DemoError as exc:
        print(f"receptor-cds demo: {exc}", file=sys.stderr)
        return 2
    began = time.monotonic()
    try:
        print("Starting the FHIR server, the product and the development EHR on 127.0.0.1 ...", file=out, flush=True)
        try:
            urls = demo.start()
        except DemoError as exc:
            print(f"receptor-cds demo: {exc}", file=sys.stderr)
            return 1
        if stop.is_set():
            return 0
        print(f"Loaded {len(demo.loaded)} fixture bundles into the FHIR server ({urls.fhir_direct}).", file=out)
        print(f"Receptor CDS service: {urls.cds_services}", file=out)
        print(f"SMART app launch URL: {urls.smart_launch}", file=out)
        print(f"Development EHR FHIR endpoint: {urls.ehr_fhir}", file=out)
        print(f"Work files (removed at exit): {demo.workdir}", file=out)
        print(f"Ready in {time.monotonic() - began:.1f} s.", file=out)
        print(f"Patient portal (the patient page, plain words): {urls.ehr}/portal", file=out)
        print(f"Open the development EHR: {urls.ehr}/", file=out)
        print("Press Ctrl-C to stop.", file=out, flush=True)
        stop.wait()
        print("Stopping ...", file=out, flush=True)
        return 0
    finally:
        demo.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
