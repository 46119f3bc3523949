"""The ``receptor-cds`` command run as a real process: load-fixtures, serve, demo."""
from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests
from joserfc import jwt

from app.devehr.signing import EhrSigner
from app.fhir_server import SekmetServer, free_port
from app.fixtures_loader import fixture_bundles
from tests.browser.demo_process import CLI, DemoProcess, alive, descendants

pytestmark = pytest.mark.fhir_server


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, **(env or {})))


@pytest.fixture
def empty_secured_fhir(tmp_path: Path):
    """A fresh sekmet server (nothing loaded) that requires a bearer token."""
    token = secrets.token_urlsafe(24)
    with SekmetServer(tmp_path / "fhir", bearer_tokens=(token,)) as server:
        yield server


def fixture_patient_ids() -> list[str]:
    return [entry["resource"]["id"] for _, bundle in fixture_bundles() for entry in bundle.get("entry", [])
            if entry.get("resource", {}).get("resourceType") == "Patient" and entry["resource"].get("id")]


def test_load_fixtures_uploads_every_fixture_patient(empty_secured_fhir):
    """load-fixtures with a token from an env var puts every fixture Patient on the server."""
    result = run_cli("load-fixtures", "--fhir-base", empty_secured_fhir.base_url, "--token-env", "TEST_FHIR_TOKEN",
                     env={"TEST_FHIR_TOKEN": empty_secured_fhir.token})
    assert result.returncode == 0, result.stderr
    assert f"Loaded {len(fixture_bundles())} fixture bundles" in result.stdout
    assert empty_secured_fhir.token not in result.stdout + result.stderr
    ids = fixture_patient_ids()
    assert ids, "the project has no fixture patients"
    headers = {"Authorization": f"Bearer {empty_secured_fhir.token}"}
    for pid in ids:
        assert requests.get(f"{empty_secured_fhir.base_url}/Patient/{pid}", headers=headers, timeout=10).status_code == 200


def test_load_fixtures_rejected_bundle_names_it_and_quotes_the_server(empty_secured_fhir, tmp_path: Path):
    """A bundle the server refuses gives a non-zero exit naming the bundle and the server's diagnostics."""
    (tmp_path / "fx" / "cases").mkdir(parents=True)
    bad = {"description": "broken on purpose", "bundle": {"resourceType": "Bundle", "type": "collection",
           "entry": [{"resource": {"resourceType": "Observation", "id": "bad id!", "status": "final"}}]}}
    (tmp_path / "fx" / "cases" / "broken-id.json").write_text(json.dumps(bad))
    result = run_cli("load-fixtures", "--fhir-base", empty_secured_fhir.base_url, "--token-env", "TEST_FHIR_TOKEN",
                     "--fixtures-dir", str(tmp_path / "fx"), env={"TEST_FHIR_TOKEN": empty_secured_fhir.token})
    assert result.returncode == 1
    assert "cases/broken-id.json" in result.stderr
    assert "Invalid resource id" in result.stderr
    assert "Traceback" not in result.stderr


def test_load_fixtures_without_the_token_is_refused_clearly(empty_secured_fhir):
    """No token for a secured server: the 401 is reported with the bundle name, exit code 1."""
    result = run_cli("load-fixtures", "--fhir-base", empty_secured_fhir.base_url)
    assert result.returncode == 1
    assert "rejected the transaction with 401" in result.stderr
    assert "Traceback" not in result.stderr


def test_load_fixtures_unset_token_variable_is_a_configuration_error():
    """--token-env naming an unset variable stops before any request, exit code 2."""
    result = run_cli("load-fixtures", "--fhir-base", "http://127.0.0.1:9/fhir", "--token-env", "NO_SUCH_VAR_H5")
    assert result.returncode == 2
    assert "NO_SUCH_VAR_H5" in result.stderr


class ServeExitedEarly(AssertionError):
    pass


def _wait_for(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServeExitedEarly(f"serve exited early: {proc.communicate()}")
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise AssertionError(f"{url} never answered")


def _start_serve(env_for_base, attempts: int = 3) -> tuple[subprocess.Popen, str]:
    """``serve`` on a free port; its port can be taken by another process between our choice and its bind
    (serve takes a port number, not a socket), so a start that fails with "address in use" is retried."""
    for attempt in range(attempts):
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        proc = subprocess.Popen([CLI, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env_for_base(base),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            _wait_for(f"{base}/cds-services", proc)
            return proc, base
        except ServeExitedEarly as exc:
            if "in use" not in str(exc) or attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def test_serve_answers_signed_discovery(tmp_path: Path):
    """serve, configured only by environment variables, answers a sandbox-style signed discovery call."""
    ehr = "http://127.0.0.1:1"
    signer = EhrSigner(ehr, f"{ehr}/.well-known/jwks.json")
    issuers = tmp_path / "issuers.json"
    issuers.write_text(json.dumps({ehr: {"jwks": signer.jwks(), "fhir_servers": [f"{ehr}/fhir"],
                                         "cors_origins": [ehr]}}))
    proc, base = _start_serve(lambda base: dict(
        os.environ, RECEPTOR_CDS_PUBLIC_URL=base, RECEPTOR_CDS_TRUSTED_ISSUERS=str(issuers),
        RECEPTOR_CDS_DATABASE_URL=f"sqlite:///{tmp_path / 'fb.sqlite'}"))
    try:
        now = int(time.time())
        token = jwt.encode({"alg": "ES384", "typ": "JWT", "kid": signer.kid},
                           {"iss": ehr, "aud": f"{base}/cds-services", "iat": now, "exp": now + 300,
                            "jti": str(uuid.uuid4())}, signer.key, algorithms=["ES384"])
        answer = requests.get(f"{base}/cds-services", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert answer.status_code == 200
        ids = {s["id"] for s in answer.json()["services"]}
        assert {"receptor-assessment", "receptor-order-select", "receptor-order-sign"} <= ids
        assert requests.get(f"{base}/cds-services", timeout=10).status_code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=15)


@pytest.mark.parametrize("content, expected", [
    ("{not json", "not valid JSON"),
    (json.dumps({"http://ehr.example": {"fhir_servers": []}}), "jwks"),
])
def test_serve_refuses_a_malformed_trusted_issuers_file(tmp_path: Path, content: str, expected: str):
    """A malformed trusted-issuers file stops serve before it listens, with a clear message and exit 2."""
    issuers = tmp_path / "issuers.json"
    issuers.write_text(content)
    result = run_cli("serve", "--port", str(free_port()), env={"RECEPTOR_CDS_TRUSTED_ISSUERS": str(issuers)},
                     timeout=60)
    assert result.returncode == 2
    assert "configuration error" in result.stderr and expected in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_demo_starts_and_stops_cleanly(sig: int):
    """demo serves the dev EHR, and on SIGINT/SIGTERM exits 0 leaving no child process and no work files."""
    demo = DemoProcess()
    try:
        assert requests.get(demo.url + "/", timeout=30).status_code == 200
        children = descendants(demo.proc.pid)
        assert children, "the demo should run the FHIR server as a child process"
        workdir = demo.output_value("Work files (removed at exit):")
        assert workdir and Path(workdir).is_dir()
        assert demo.stop(sig) == 0
        time.sleep(0.5)
        assert not [pid for pid in children if alive(pid)]
        assert not Path(workdir).exists()
    finally:
        demo.kill()


def test_demo_on_a_taken_port_fails_clearly_and_leaves_nothing_running():
    """demo --port on a port already in use: exit 1, a message naming the port, no child process left."""
    import socket
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        proc = subprocess.Popen([CLI, "demo", "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        seen: set[int] = set()
        while proc.poll() is None:
            seen |= descendants(proc.pid)
            time.sleep(0.2)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert f"127.0.0.1:{port}" in err and "Traceback" not in err
    assert not [pid for pid in seen if alive(pid)]


def test_demo_refuses_a_non_loopback_host():
    """The demo binds loopback only."""
    result = run_cli("demo", "--host", "0.0.0.0", timeout=60)
    assert result.returncode == 2
    assert "loopback" in result.stderr
