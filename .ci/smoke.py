"""Smoke test of a plain ``pip install .``: what a user gets, with no test extras, runs as the README says.

Run by ``.ci/run`` with the interpreter of a fresh virtual environment that has only the product installed,
from a working directory outside the checkout (so nothing can be imported from the source tree). Uses only
the standard library and what the product itself installs (joserfc, requests, the ``app`` package). Proves:

0. ``receptor-cds --version`` names the version;
1. ``receptor-cds serve`` (gunicorn, gevent workers) answers a discovery call signed with an ES384 key of a
   trusted issuer (200 and the services), refuses the same call unsigned (401), is ready on ``/readyz`` and
   serves ``/metrics``; it stops on SIGTERM with exit code 0;
2. ``receptor-cds demo`` serves the development EHR's first page (200) and on SIGINT exits 0, leaving no
   child process and no temporary folder;
3. ``receptor-cds load-fixtures`` finds the fixtures shipped inside the package and loads every bundle into
   a real FHIR server, and the patients are there afterwards.

Any failure exits non-zero with the reason and the command's output.
"""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

BIN = Path(sys.executable).parent
CLI = str(BIN / "receptor-cds")
STEP_TIMEOUT = 180.0


class SmokeFailure(Exception):
    pass


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, headers: dict[str, str] | None = None, timeout: float = 10.0) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


class Child:
    """A ``receptor-cds`` command started as a user would, its output collected line by line."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        self.args = args
        self.proc = subprocess.Popen([CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     env=dict(env, PYTHONUNBUFFERED="1"), cwd=cwd, stdin=subprocess.DEVNULL)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._pump, daemon=True)
        self._reader.start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def output(self) -> str:
        return "\n".join(self.lines[-40:])

    def wait_for_line(self, pattern: str, timeout: float = STEP_TIMEOUT) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        seen = 0
        while time.monotonic() < deadline:
            for line in self.lines[seen:]:
                seen += 1
                match = re.search(pattern, line)
                if match:
                    return match
            if self.proc.poll() is not None and seen >= len(self.lines):
                self._reader.join(timeout=2)
                if seen >= len(self.lines):
                    break
            time.sleep(0.1)
        raise SmokeFailure(f"receptor-cds {self.args[0]} never printed /{pattern}/; its output:\n{self.output()}")

    def stop(self, sig: int, timeout: float = 30.0) -> int:
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise SmokeFailure(f"receptor-cds {self.args[0]} did not stop within {timeout:.0f} s of "
                               f"{signal.Signals(sig).name}; its output:\n{self.output()}")

    def kill(self) -> None:
        if self.proc.poll() is None:
            for pid in _descendants(self.proc.pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.proc.kill()
            self.proc.wait(timeout=10)


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_http(url: str, child: Child, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.proc.poll() is not None:
            raise SmokeFailure(f"receptor-cds {child.args[0]} exited with {child.proc.returncode}; its output:\n"
                               f"{child.output()}")
        try:
            _get(url, timeout=2)
            return
        except (OSError, urllib.error.URLError):
            time.sleep(0.2)
    raise SmokeFailure(f"{url} did not answer within {timeout:.0f} s; output:\n{child.output()}")


def check_installed_not_from_checkout() -> str:
    import app
    where = Path(app.__file__).resolve()
    if "site-packages" not in where.parts:
        raise SmokeFailure(f"the product was imported from {where}, not from the virtual environment's "
                           "site-packages: this is not a plain install")
    return str(where.parent)


def check_version() -> str:
    done = subprocess.run([CLI, "--version"], capture_output=True, text=True, timeout=60)
    if done.returncode != 0 or not done.stdout.startswith("receptor-cds "):
        raise SmokeFailure(f"receptor-cds --version: exit {done.returncode}, {done.stdout!r} {done.stderr!r}")
    return done.stdout.strip()


def check_serve(work: Path) -> list[str]:
    """A signed discovery call to ``receptor-cds serve`` is answered; an unsigned one is refused."""
    from joserfc import jwt
    from joserfc.jwk import ECKey

    iss = "https://ehr.smoke.test"
    key = ECKey.generate_key("P-384", parameters={"kid": "smoke-1", "use": "sig", "alg": "ES384"}, private=True)
    issuers = work / "trusted-issuers.json"
    issuers.write_text(json.dumps({iss: {"jwks": {"keys": [key.as_dict(private=False)]},
                                         "fhir_servers": [], "cors_origins": []}}), encoding="utf-8")
    port = _free_port()
    public = f"http://127.0.0.1:{port}"
    env = dict(os.environ, RECEPTOR_CDS_PUBLIC_URL=public, RECEPTOR_CDS_TRUSTED_ISSUERS=str(issuers),
               RECEPTOR_CDS_DATABASE_URL=f"sqlite:///{work / 'feedback.sqlite'}")
    child = Child(["serve", "--host", "127.0.0.1", "--port", str(port)], env, work)
    proved = []
    try:
        _wait_http(f"{public}/cds-services", child)
        now = int(time.time())
        token = jwt.encode({"alg": "ES384", "typ": "JWT", "kid": "smoke-1"},
                           {"iss": iss, "sub": "smoke", "aud": f"{public}/cds-services", "iat": now,
                            "exp": now + 300, "jti": str(uuid.uuid4())}, key, algorithms=["ES384"])
        status, body = _get(f"{public}/cds-services", {"Authorization": f"Bearer {token}",
                                                         "Accept": "application/json"})
        if status != 200:
            raise SmokeFailure(f"signed discovery call answered {status}: {body[:300]!r}")
        services = {s.get("id"): s.get("hook") for s in json.loads(body).get("services", [])}
        expected = {"receptor-assessment", "receptor-order-select", "receptor-order-sign"}
        if not expected <= set(services):
            raise SmokeFailure(f"discovery lists {sorted(services)}, expected {sorted(expected)}")
        proved.append(f"serve: signed discovery call -> 200, services {sorted(services)}")
        status, _ = _get(f"{public}/cds-services", {"Accept": "application/json"})
        if status != 401:
            raise SmokeFailure(f"unsigned discovery call answered {status}, expected 401")
        proved.append("serve: unsigned discovery call -> 401")
        status, body = _get(f"{public}/readyz")
        if status != 200 or json.loads(body).get("status") != "ready":
            raise SmokeFailure(f"/readyz answered {status}: {body[:300]!r}")
        status, body = _get(f"{public}/metrics")
        if status != 200 or b"receptor_cds_http_requests_total" not in body:
            raise SmokeFailure(f"/metrics answered {status} without the request counter")
        proved.append("serve: /readyz -> 200 ready (issuers, feedback database, state store); /metrics -> 200")
        code = child.stop(signal.SIGTERM)
        if code != 0:
            raise SmokeFailure(f"receptor-cds serve exited {code} on SIGTERM; output:\n{child.output()}")
        proved.append("serve: SIGTERM -> exit code 0")
    finally:
        child.kill()
    return proved


def check_demo(work: Path) -> list[str]:
    """The demo's first page is served; Ctrl-C ends it with exit 0, no child left, temp folder removed."""
    child = Child(["demo"], dict(os.environ), work)
    proved = []
    try:
        url = child.wait_for_line(r"Open the development EHR: (http://127\.0\.0\.1:\d+)/").group(1)
        workdir_line = next((line for line in child.lines if "Work files (removed at exit):" in line), None)
        if workdir_line is None:
            raise SmokeFailure(f"the demo did not print its work folder; output:\n{child.output()}")
        workdir = Path(workdir_line.split("Work files (removed at exit):", 1)[1].strip())
        status, body = _get(f"{url}/")
        if status != 200 or b"<html" not in body.lower():
            raise SmokeFailure(f"the development EHR's first page {url}/ answered {status}: {body[:300]!r}")
        proved.append(f"demo: {url}/ -> 200 (HTML, {len(body)} bytes)")
        children = _descendants(child.proc.pid)
        if not children:
            raise SmokeFailure("the demo runs no child process (the FHIR server): cannot check they end")
        if not workdir.is_dir():
            raise SmokeFailure(f"the demo's work folder {workdir} does not exist while it runs")
        code = child.stop(signal.SIGINT)
        if code != 0:
            raise SmokeFailure(f"receptor-cds demo exited {code} on SIGINT; output:\n{child.output()}")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(pid) for pid in children):
            time.sleep(0.1)
        left = sorted(pid for pid in children if _alive(pid))
        if left:
            raise SmokeFailure(f"child processes {left} still running after the demo stopped")
        if workdir.exists():
            raise SmokeFailure(f"the demo's work folder {workdir} is still there after it stopped")
        proved.append(f"demo: SIGINT -> exit code 0, its {len(children)} child process(es) gone, "
                      "work folder removed")
    finally:
        child.kill()
    return proved


def check_load_fixtures(work: Path) -> list[str]:
    """``load-fixtures`` finds the bundles shipped in the package and a real FHIR server accepts them all."""
    from app.fhir_server import SekmetServer
    from app.fixtures_loader import fixture_bundles

    shipped = len(fixture_bundles())
    if shipped == 0:
        raise SmokeFailure("the installed package holds no fixture bundles")
    proved = []
    with SekmetServer(work / "fhir") as fhir:
        child = Child(["load-fixtures", "--fhir-base", fhir.base_url], dict(os.environ), work)
        try:
            code = child.proc.wait(timeout=STEP_TIMEOUT)
        except subprocess.TimeoutExpired:
            child.kill()
            raise SmokeFailure(f"load-fixtures did not finish in {STEP_TIMEOUT:.0f} s; output:\n{child.output()}")
        child._reader.join(timeout=5)
        if code != 0:
            raise SmokeFailure(f"load-fixtures exited {code}; output:\n{child.output()}")
        match = next((re.search(r"Loaded (\d+) fixture bundles", line) for line in child.lines
                      if "Loaded" in line), None)
        if match is None or int(match.group(1)) != shipped:
            raise SmokeFailure(f"load-fixtures should have loaded {shipped} bundles; output:\n{child.output()}")
        status, body = _get(f"{fhir.base_url}/Patient?_summary=count", {"Accept": "application/fhir+json"})
        total = json.loads(body).get("total") if status == 200 else None
        if not total:
            raise SmokeFailure(f"after load-fixtures the FHIR server reports {total!r} patients ({status})")
        proved.append(f"load-fixtures: {match.group(1)} bundles loaded from the installed package; "
                      f"the FHIR server then holds {total} patients")
    return proved


def main() -> int:
    began = time.monotonic()
    proved = [f"installed package: {check_installed_not_from_checkout()}"]
    try:
        proved.append(f"--version: {check_version()}")
    except SmokeFailure as exc:
        print(f"SMOKE FAILED: {exc}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="receptor-cds-smoke-") as tmp:
        work = Path(tmp)
        try:
            for check in (check_serve, check_demo, check_load_fixtures):
                part = work / check.__name__
                part.mkdir()
                proved += check(part)
        except SmokeFailure as exc:
            print(f"SMOKE FAILED: {exc}", file=sys.stderr)
            return 1
    print("Smoke test of `pip install .` (no extras) proved:")
    for line in proved:
        print(f"  - {line}")
    print(f"Smoke test passed in {time.monotonic() - began:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
