"""A real FHIR R4 server (sekmet-fhir from PyPI) run as a child process on loopback.

Demo and test infrastructure: ``receptor-cds demo`` and the test suite use it where a user would use an
EHR's FHIR server, so our FHIR access is exercised against a real server over real HTTP rather than a mock.

Coupling with sekmet's internals, on purpose and only here: sekmet verifies "smart" access tokens as HS256
JWTs signed with the ``jwt_secret`` row of its SQLite ``kv`` table (``kv (k TEXT PRIMARY KEY, v TEXT)``), with
``aud`` = its ``base_url``, and enforces their ``scope`` (403) and ``exp`` (401). ``SekmetServer(smart_secret=...)``
writes that row into the database file before start, so a development authorization server that signs its
tokens with the same secret gets them honoured by the real FHIR server. Checked against sekmet-fhir 0.1.1.
"""
from __future__ import annotations

import atexit
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterable

import requests

log = logging.getLogger(__name__)

STARTUP_TIMEOUT = 60.0   # seconds; measured start-up to a ready /fhir/metadata: 0.8-1.1 s (2-CPU dev box)
STOP_TIMEOUT = 10.0


class FhirServerError(RuntimeError):
    """sekmet could not be started (missing executable, exited early, never became ready)."""


_handed_out: set[int] = set()
_handed_out_lock = threading.Lock()


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now, never one this process was already given.

    The OS picks it; a port handed out but not yet bound looks free to the OS, so without the memory of
    earlier answers two callers in one process (e.g. the demo choosing its ports, then ``SekmetServer``)
    could be given the same one. A race with *other* processes stays possible, so ``SekmetServer``
    retries start-up on another port if sekmet cannot bind.
    """
    with _handed_out_lock:
        for _ in range(100):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.bind(("127.0.0.1", 0))
                port = sock.getsockname()[1]
            if port not in _handed_out:
                _handed_out.add(port)
                return port
    raise FhirServerError("no free loopback port found")


def sekmet_executable() -> str:
    """The ``sekmet`` console script of the running interpreter's environment, else the one on PATH."""
    beside = Path(sys.executable).parent / "sekmet"
    if beside.exists():
        return str(beside)
    found = shutil.which("sekmet")
    if not found:
        raise FhirServerError("the 'sekmet' command was not found; install the project (pip install -e .), "
                              "which depends on sekmet-fhir")
    return found


def _yaml_scalar(value: Any) -> str:
    # JSON is a subset of YAML 1.2 flow style: quoting every string with json.dumps is unambiguous.
    return json.dumps(value)


def _set_parent_death_signal() -> None:  # runs in the child between fork and exec
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class SekmetServer:
    """``with SekmetServer(workdir) as fhir: fhir.load_fixtures(); requests.get(fhir.base_url + "/Patient")``.

    ``bearer_tokens``: the server then requires ``Authorization: Bearer <one of them>``.
    ``smart_secret``: the server (also) accepts HS256 access-token JWTs signed with it, ``aud`` =
    ``public_base_url``; see ``mint_access_token``.
    ``public_base_url``: the base sekmet writes into links and checks as token audience (the development
    EHR proxies ``{ehr}/fhir`` to this server); default ``http://127.0.0.1:<port>/fhir``.
    ``backend_clients``: SMART Backend Services clients its token endpoint (``{root}/auth/token``) accepts, as
    sekmet's ``server_auth.smart_clients`` entries (``client_id``, inline ``jwks``, ``scopes``); the tokens it
    issues are HS256 "smart" tokens, so pass ``smart_secret`` too when fixtures must be loaded.
    ``base_url`` is always the URL that reaches the process directly.
    """

    def __init__(self, workdir: str | os.PathLike[str], bearer_tokens: Iterable[str] = (),
                 smart_secret: str | None = None, *, public_base_url: str | None = None,
                 backend_clients: Iterable[dict[str, Any]] = (),
                 port: int | None = None, startup_timeout: float = STARTUP_TIMEOUT):
        self.workdir = Path(workdir)
        self.bearer_tokens = tuple(bearer_tokens)
        self.smart_secret = smart_secret
        self.backend_clients = tuple(backend_clients)
        self._requested_public_base_url = public_base_url.rstrip("/") if public_base_url else None
        self._requested_port = port
        self.startup_timeout = startup_timeout
        self.port: int | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self.startup_seconds: float | None = None
        self._log_file: Any = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ URLs

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise FhirServerError("SekmetServer is not started")
        return f"http://127.0.0.1:{self.port}/fhir"

    @property
    def public_base_url(self) -> str:
        return self._requested_public_base_url or self.base_url

    @property
    def log_path(self) -> Path:
        return self.workdir / "sekmet.log"

    @property
    def db_path(self) -> Path:
        return self.workdir / "sekmet.db"

    @property
    def token(self) -> str | None:
        """The first static bearer token (what tests send), or None on an open server."""
        return self.bearer_tokens[0] if self.bearer_tokens else None

    @property
    def secured(self) -> bool:
        return bool(self.bearer_tokens or self.smart_secret or self.backend_clients)

    # ------------------------------------------------------------------ life cycle

    def __enter__(self) -> "SekmetServer":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> "SekmetServer":
        """Start sekmet and return once ``/fhir/metadata`` answers (or raise ``FhirServerError``)."""
        if self.process is not None:
            return self
        self.workdir.mkdir(parents=True, exist_ok=True)
        exe = sekmet_executable()
        if self.smart_secret:
            self._seed_smart_secret()
        attempts = 1 if self._requested_port else 3
        last_error: FhirServerError | None = None
        for _ in range(attempts):
            self.port = self._requested_port or free_port()
            try:
                self._launch(exe)
                return self
            except FhirServerError as exc:  # e.g. another process took the port in between
                last_error = exc
                self._terminate()
                if "address already in use" not in str(exc).lower():
                    break
        self.port = None
        assert last_error is not None
        raise last_error

    def _write_settings(self) -> Path:
        types = ["none"]
        if self.secured:
            types = (["bearer"] if self.bearer_tokens else []) + \
                (["smart"] if self.smart_secret or self.backend_clients else [])
        lines = [
            f"base_url: {_yaml_scalar(self.public_base_url)}",
            'host: "127.0.0.1"',
            f"port: {self.port}",
            f"data_dir: {_yaml_scalar(str(self.workdir))}",
            f"db_path: {_yaml_scalar(str(self.db_path))}",
            f"own_private_key_path: {_yaml_scalar(str(self.workdir / 'keys' / 'sekmet_private.pem'))}",
            # No traffic log: it would keep every request and response body, i.e. patient data.
            "log_inbound: false",
            "validation:",
            # "warn", not "strict": real and curated data contain invalid codes and deliberately broken
            # resources (the decision core must report them as data-quality notes, so they must load);
            # "warn" still stores them as sent and reports structural problems in the response.
            '  inbound: "warn"',
            "simulator:",
            # Its pharmacy/lab simulator reacts to writes (e.g. changes MedicationRequest status): off.
            "  enabled: false",
            "server_auth:",
            f"  types: {json.dumps(types)}",
            f"  tokens: {json.dumps(list(self.bearer_tokens))}",
            "  enforce_scopes: true",
            f"  smart_clients: {json.dumps(list(self.backend_clients))}",
        ]
        path = self.workdir / "settings.yaml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    def _seed_smart_secret(self) -> None:
        with sqlite3.connect(self.db_path) as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT)")
            conn.execute("INSERT OR REPLACE INTO kv(k, v) VALUES ('jwt_secret', ?)", (self.smart_secret,))
        conn.close()

    def _launch(self, exe: str) -> None:
        settings_path = self._write_settings()
        env = dict(os.environ)
        env.update({
            "SEKMET_CONFIG": str(settings_path),
            "SEKMET_DB": str(self.db_path),
            "SEKMET_BASE_URL": self.public_base_url,
            "SEKMET_PORT": str(self.port),
        })
        env.pop("SEKMET_PUBLIC_URL", None)
        self._log_file = open(self.log_path, "ab")
        began = time.monotonic()
        kwargs: dict[str, Any] = {}
        if sys.platform.startswith("linux") and threading.current_thread() is threading.main_thread():
            # The child dies with us even if we are killed without running atexit (PDEATHSIG is tied to the
            # creating thread, hence only when started from the main thread).
            kwargs["preexec_fn"] = _set_parent_death_signal
        self.process = subprocess.Popen(
            [exe, "serve", "--config", str(settings_path), "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=self.workdir, env=env, stdin=subprocess.DEVNULL, stdout=self._log_file,
            stderr=subprocess.STDOUT, start_new_session=True, **kwargs)
        atexit.register(self.stop)
        self._wait_ready(began)
        self.startup_seconds = time.monotonic() - began
        log.info("sekmet FHIR server ready at %s in %.2f s", self.base_url, self.startup_seconds)

    def _wait_ready(self, began: float) -> None:
        url = f"http://127.0.0.1:{self.port}/fhir/metadata"
        with requests.Session() as http:
            while True:
                assert self.process is not None
                if self.process.poll() is not None:
                    raise FhirServerError(f"sekmet exited with code {self.process.returncode} before it was "
                                          f"ready; end of its log:\n{self.log_tail()}")
                try:
                    resp = http.get(url, timeout=(0.5, 2.0), headers={"Accept": "application/fhir+json"})
                    if resp.status_code == 200:
                        return
                except requests.RequestException:
                    pass
                if time.monotonic() - began > self.startup_timeout:
                    raise FhirServerError(f"sekmet did not answer {url} within {self.startup_timeout:.0f} s; "
                                          f"end of its log:\n{self.log_tail()}")
                time.sleep(0.1)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Terminate sekmet (SIGTERM, then SIGKILL after ``STOP_TIMEOUT``); safe to call twice."""
        with self._lock:
            self._terminate()
            atexit.unregister(self.stop)

    def _terminate(self) -> None:
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=STOP_TIMEOUT)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    # ------------------------------------------------------------------ data

    def loader_token(self) -> str | None:
        """A credential good for writing: a static bearer token, else a short-lived SMART system token."""
        if self.bearer_tokens:
            return self.bearer_tokens[0]
        if self.smart_secret:
            return self.mint_access_token(scope="system/*.*", lifetime=600, client_id="receptor-cds-loader")
        return None

    def mint_access_token(self, scope: str, *, lifetime: int = 300, patient: str | None = None,
                          client_id: str = "receptor-cds-test", **claims: Any) -> str:
        """An HS256 access token this server honours (``smart_secret`` required); for tests and loading.

        ``lifetime`` may be negative to make an already expired token.
        """
        if not self.smart_secret:
            raise FhirServerError("mint_access_token needs SekmetServer(smart_secret=...)")
        from joserfc import jwt
        from joserfc.jwk import OctKey

        now = int(time.time())
        payload: dict[str, Any] = {"aud": self.public_base_url, "iss": "receptor-cds-dev", "sub": client_id,
                                   "client_id": client_id, "scope": scope, "iat": now, "exp": now + lifetime,
                                   "jti": secrets.token_hex(8)}
        if patient:
            payload["patient"] = patient
        payload.update(claims)
        return jwt.encode({"alg": "HS256", "typ": "JWT"}, payload, OctKey.import_key(self.smart_secret))

    def load_bundle(self, bundle: dict, name: str = "bundle") -> None:
        """Apply one Bundle (collection or transaction) as a transaction; ``FixtureLoadError`` if refused."""
        from .fixtures_loader import load_into
        load_into(self.base_url, [(name, bundle)], token=self.loader_token())

    def load_fixtures(self, bundles: Iterable[Any] | None = None) -> list[str]:
        """Load fixtures: by default all of ``fixture_bundles()``; else items that are ``(name, bundle)``
        pairs, Bundle dicts, or paths of fixture files (a case file's ``bundle`` is used)."""
        from .fixtures_loader import fixture_bundles, load_into, read_fixture
        if bundles is None:
            items = fixture_bundles()
        else:
            items = []
            for i, item in enumerate(bundles):
                if isinstance(item, tuple):
                    items.append(item)
                elif isinstance(item, dict):
                    items.append((f"bundle-{i}", item))
                else:
                    items.append((str(item), read_fixture(item)))
        return load_into(self.base_url, items, token=self.loader_token())
