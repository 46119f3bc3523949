"""``receptor-cds serve`` as an operator runs it: a real gunicorn master with two gevent workers on loopback.

One server for the module (start-up costs seconds): slow and idle connections do not starve signed calls,
/metrics adds up every worker's counts, JSON logs carry the request id and hookInstance and nothing of the
patient or the token, and SIGTERM ends it gracefully with exit code 0.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Iterator

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from app.fhir_server import free_port

CLI = str(Path(sys.executable).parent / "receptor-cds")
HOOKS = Path(__file__).resolve().parent.parent / "fixtures" / "hooks"
ISS = "https://ehr.serve.test"
KEEPALIVE = 2        # seconds: the serve option under test (idle keep-alive and header deadline)


class Served:
    """``receptor-cds serve`` in a subprocess. ``public_url``: the URL callers use (a proxy's, for several
    instances; the JWT ``aud``); ``key``: the trusted issuer's ES384 key (shared by instances)."""

    def __init__(self, workdir: Path, *, workers: int = 2, public_url: str | None = None, key: ECKey | None = None,
                 env: dict[str, str] | None = None, wait: bool = True) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.key = key or ECKey.generate_key("P-384", parameters={"kid": "k1", "alg": "ES384"}, private=True)
        issuers = workdir / "issuers.json"
        issuers.write_text(json.dumps({ISS: {"jwks": {"keys": [self.key.as_dict(private=False)]},
                                             "fhir_servers": [], "cors_origins": []}}))
        self.port = free_port()
        self.direct = f"http://127.0.0.1:{self.port}"
        self.base = public_url or self.direct
        self.metrics_dir = workdir / "metrics"
        environ = dict(os.environ, RECEPTOR_CDS_PUBLIC_URL=self.base, RECEPTOR_CDS_TRUSTED_ISSUERS=str(issuers),
                       RECEPTOR_CDS_DATABASE_URL=f"sqlite:///{workdir / 'feedback.sqlite'}",
                       RECEPTOR_CDS_STATE_DB=str(workdir / "state.sqlite"), RECEPTOR_CDS_LOG_FORMAT="json",
                       RECEPTOR_CDS_LOG_LEVEL="DEBUG", RECEPTOR_CDS_METRICS_DIR=str(self.metrics_dir),
                       PYTHONUNBUFFERED="1")
        environ.update(env or {})
        self.log_path = workdir / "serve.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([CLI, "serve", "--port", str(self.port), "--workers", str(workers),
                                      "--keepalive", str(KEEPALIVE)], env=environ, stdout=self._log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=workdir)
        if wait:
            self.wait_ready()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"serve exited early:\n{self.log_path.read_text()}"
            try:
                if self._open(urllib.request.Request(self.direct + "/healthz"), 2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise AssertionError(f"serve did not answer /healthz:\n{self.log_path.read_text()}")

    def token(self, path: str) -> str:
        now = int(time.time())
        return jwt.encode({"alg": "ES384", "typ": "JWT", "kid": "k1"},
                          {"iss": ISS, "aud": self.base + path, "iat": now, "exp": now + 300,
                           "jti": str(uuid.uuid4())}, self.key, algorithms=["ES384"])

    def get(self, path: str, headers: dict[str, str] | None = None, timeout: float = 10) -> tuple[int, bytes]:
        return self._open(urllib.request.Request(self.base + path, headers=headers or {}), timeout)

    def post(self, path: str, body: dict, headers: dict[str, str], timeout: float = 20) -> tuple[int, bytes]:
        request = urllib.request.Request(self.base + path, data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json", **headers})
        return self._open(request, timeout)

    @staticmethod
    def _open(request: urllib.request.Request, timeout: float) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def signed_discovery(self) -> tuple[int, float]:
        began = time.monotonic()
        status, _ = self.get("/cds-services", {"Authorization": f"Bearer {self.token('/cds-services')}"})
        return status, time.monotonic() - began

    def stop(self) -> int:
        self.terminate()
        return self.wait_stopped()

    def terminate(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def wait_stopped(self) -> int:
        if self.proc.returncode is None:
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()
        return self.proc.returncode


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[Served]:
    server = Served(tmp_path_factory.mktemp("serve"))
    try:
        yield server
    finally:
        server.stop()


def _worker_pids(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.add(int(entry.name))
            except (OSError, IndexError, ValueError):
                pass
    return found


def test_150_idle_and_slow_header_connections_do_not_starve_signed_calls(served):
    """With 75 silent connections and 75 that dribble one header line every half second held open, signed
    discovery calls are still answered within seconds, and the server cuts the slow senders off at about the
    keep-alive deadline instead of waiting for their headers forever."""
    idle, slow = [], []
    for _ in range(75):
        idle.append(socket.create_connection(("127.0.0.1", served.port), timeout=5))
        sock = socket.create_connection(("127.0.0.1", served.port), timeout=5)
        sock.sendall(b"POST /cds-services/receptor-assessment HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        slow.append(sock)
    stop = threading.Event()
    cut_off: list[float] = []
    began = time.monotonic()

    def dribble() -> None:
        n = 0
        while not stop.wait(0.5) and len(cut_off) < len(slow):
            n += 1
            for sock in slow:
                if sock.fileno() == -1:
                    continue
                try:
                    sock.sendall(f"X-Slow-{n}: {n}\r\n".encode())
                except OSError:
                    cut_off.append(time.monotonic() - began)
                    sock.close()

    dribbler = threading.Thread(target=dribble, daemon=True)
    dribbler.start()
    try:
        calls = [served.signed_discovery() for _ in range(5)]
        time.sleep(KEEPALIVE + 3)
    finally:
        stop.set()
        dribbler.join(timeout=10)
        for sock in idle + slow:
            sock.close()
    assert [status for status, _ in calls] == [200] * 5
    assert max(seconds for _, seconds in calls) < 5.0, calls
    # Every slow sender was cut off, none before the deadline (a write can notice a close up to ~1 s late).
    assert len(cut_off) == len(slow), f"only {len(cut_off)} of {len(slow)} slow connections were closed"
    assert KEEPALIVE - 0.5 <= min(cut_off) and max(cut_off) <= KEEPALIVE + 4, (min(cut_off), max(cut_off))


def test_metrics_add_up_the_requests_of_every_worker(served):
    """/metrics counts requests answered by either worker (prometheus-client multiprocess mode)."""
    assert len(_worker_pids(served.proc.pid)) == 2

    def count() -> float:
        status, body = served.get("/metrics")
        assert status == 200
        for line in body.decode().splitlines():
            if line.startswith("receptor_cds_http_requests_total{") and 'route="/readyz"' in line:
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    before = count()
    done = []
    threads = [threading.Thread(target=lambda: done.append(served.get("/readyz")[0])) for _ in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert done == [200] * 40
    assert count() - before == 40
    files = {p.name.split("_")[-1] for p in served.metrics_dir.glob("counter_*.db")}
    assert len(files) >= 2, f"samples from one process only: {files}"


def test_json_logs_carry_request_id_and_hook_instance_but_no_patient_or_token(served):
    """RECEPTOR_CDS_LOG_FORMAT=json at DEBUG: every line is a JSON object; the call's line has the request id the
    caller sent and the hookInstance; the patient id, the token and the URL logger's paths appear nowhere."""
    request = json.loads((HOOKS / "patient-view-full-prefetch.json").read_text())
    request["hookInstance"] = hook_instance = str(uuid.uuid4())
    patient = request["context"]["patientId"]
    path = "/cds-services/receptor-assessment"
    token = served.token(path)
    status, body = served.post(path, request, {"Authorization": f"Bearer {token}", "X-Request-ID": "req-42"})
    assert status == 200, body[:300]
    time.sleep(0.5)
    lines = [line for line in served.log_path.read_text().splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines if line.startswith("{")]
    assert len(entries) >= len(lines) - 2   # only the two plain lines gunicorn/our banner print are not JSON
    call = [e for e in entries if e.get("request_id") == "req-42"]
    assert call and all(e.get("hookInstance") == hook_instance for e in call if "cds call" in e["message"])
    assert any("cds call" in e["message"] for e in call)
    text = served.log_path.read_text()
    assert patient not in text and token not in text and token.split(".")[2] not in text


def test_cds_routing_errors_are_json_operation_outcomes(served):
    """Under /cds-services an unknown path is a JSON 404 and a wrong method a JSON 405 (not an HTML page)."""
    for path, method, status in (("/cds-services/a/b/c", "GET", 404), ("/cds-services", "DELETE", 405),
                                 ("/cds-services/receptor-assessment/feedback/x", "POST", 404)):
        got, body = served._open(urllib.request.Request(served.base + path, method=method), 10)
        assert got == status
        assert json.loads(body)["resourceType"] == "OperationOutcome"


def test_sigterm_finishes_gracefully_with_exit_code_0(served):
    """SIGTERM: the workers exit, then the master, with exit code 0 (what a process manager expects)."""
    workers = _worker_pids(served.proc.pid)
    assert workers
    assert served.stop() == 0
    assert not any(Path(f"/proc/{pid}").exists() and "Z" not in (Path(f"/proc/{pid}/stat").read_text().split()[2])
                   for pid in workers)
