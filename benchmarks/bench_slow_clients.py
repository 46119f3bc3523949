"""Do idle or slow-header (slowloris) connections starve normal callers of ``receptor-cds serve``?

Starts ``receptor-cds serve`` on loopback (trusting one ES384 key), then for each attack mode:

- ``idle``: N TCP connections that send nothing;
- ``slowloris``: N connections that send a request line and then one header line per second, never ending
  the headers;

it keeps N such connections open for ``--hold`` seconds (a connection the server closes is replaced at
once, as a real attacker would do) while a prober sends one signed discovery call per second, each with a
60 s timeout, and reports how long those normal calls took. Everything stays on 127.0.0.1, every loop
is bounded in count and time, and the server is stopped by its PID at the end.

    python benchmarks/bench_slow_clients.py                       # the installed receptor-cds, defaults
    python benchmarks/bench_slow_clients.py --connections 150 --hold 30 -- --worker-class gthread

Arguments after ``--`` go to ``receptor-cds serve``. Figures are wall-clock on a shared machine: compare
medians and the share answered within 5 s, not single numbers.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from joserfc import jwt
from joserfc.jwk import ECKey

ISS = "https://ehr.bench.test"
WITHIN = 5.0          # the requirement: normal calls answered within seconds


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, cli: str, workdir: Path, extra: list[str]) -> None:
        self.key = ECKey.generate_key("P-384", parameters={"kid": "bench-1", "alg": "ES384"}, private=True)
        issuers = workdir / "issuers.json"
        issuers.write_text(json.dumps({ISS: {"jwks": {"keys": [self.key.as_dict(private=False)]},
                                             "fhir_servers": [], "cors_origins": []}}))
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, RECEPTOR_CDS_PUBLIC_URL=self.base, RECEPTOR_CDS_TRUSTED_ISSUERS=str(issuers),
                   RECEPTOR_CDS_DATABASE_URL=f"sqlite:///{workdir / 'feedback.sqlite'}",
                   RECEPTOR_CDS_STATE_DB=str(workdir / "state.sqlite"), PYTHONUNBUFFERED="1")
        self.log = open(workdir / "server.log", "wb")
        self.proc = subprocess.Popen([cli, "serve", "--host", "127.0.0.1", "--port", str(self.port), *extra],
                                     env=env, stdout=self.log, stderr=subprocess.STDOUT, cwd=workdir,
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"serve exited with {self.proc.returncode}: {(workdir / 'server.log').read_text()}")
            if self.call(timeout=2)[0] == 200:
                return
            time.sleep(0.2)
        self.stop()
        raise SystemExit("serve did not answer within 60 s")

    def token(self) -> str:
        now = int(time.time())
        return jwt.encode({"alg": "ES384", "typ": "JWT", "kid": "bench-1"},
                          {"iss": ISS, "aud": f"{self.base}/cds-services", "iat": now, "exp": now + 300,
                           "jti": str(uuid.uuid4())}, self.key, algorithms=["ES384"])

    def call(self, timeout: float = 60.0) -> tuple[int | None, float]:
        """One signed discovery call: (status or None on failure, seconds)."""
        began = time.monotonic()
        request = urllib.request.Request(f"{self.base}/cds-services", headers={
            "Authorization": f"Bearer {self.token()}", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                response.read()
                return response.status, time.monotonic() - began
        except urllib.error.HTTPError as exc:
            return exc.code, time.monotonic() - began
        except OSError:
            return None, time.monotonic() - began

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()


class Attack:
    """Keeps ``count`` hostile connections open until ``stop()``; replaces those the server closes."""

    def __init__(self, port: int, mode: str, count: int) -> None:
        self.port, self.mode, self.count = port, mode, count
        self.socks: list[socket.socket] = []
        self.opened = self.closed_by_server = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _open(self) -> socket.socket | None:
        try:
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=2)
        except OSError:
            return None
        self.opened += 1
        if self.mode == "slowloris":
            try:
                sock.sendall(b"POST /cds-services/receptor-assessment HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            except OSError:
                sock.close()
                return None
        return sock

    def start(self) -> None:
        for _ in range(self.count):
            sock = self._open()
            if sock is not None:
                self.socks.append(sock)
        self._thread.start()

    def _run(self) -> None:
        n = 0
        while not self._stop.wait(1.0):
            n += 1
            alive = []
            for sock in self.socks:
                try:
                    if self.mode == "slowloris":
                        sock.sendall(f"X-Slow-{n}: {n}\r\n".encode())
                    else:   # idle: only notice whether the server closed it
                        sock.setblocking(False)
                        try:
                            if sock.recv(1, socket.MSG_PEEK) == b"":
                                raise OSError("closed")
                        except BlockingIOError:
                            pass
                        finally:
                            sock.setblocking(True)
                    alive.append(sock)
                except OSError:
                    self.closed_by_server += 1
                    sock.close()
            while len(alive) < self.count and not self._stop.is_set():
                sock = self._open()
                if sock is None:
                    break
                alive.append(sock)
            self.socks = alive

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        for sock in self.socks:
            sock.close()


def measure(server: Server, mode: str, count: int, hold: float) -> dict[str, object]:
    attack = Attack(server.port, mode, count)
    attack.start()
    time.sleep(1.0)   # let the connections settle on the server
    results: list[tuple[int | None, float]] = []
    lock = threading.Lock()

    def probe() -> None:
        outcome = server.call(timeout=60)
        with lock:
            results.append(outcome)

    probes = []
    end = time.monotonic() + hold
    while time.monotonic() < end:
        t = threading.Thread(target=probe, daemon=True)
        t.start()
        probes.append(t)
        time.sleep(1.0)
    for t in probes:
        t.join(timeout=65)
    attack.stop()
    times = [s for status, s in results if status == 200]
    return {"mode": mode, "connections": count, "hold_s": hold, "probes": len(probes),
            "answered_200": len(times), "within_5s": sum(1 for s in times if s <= WITHIN),
            "median_s": round(statistics.median(times), 3) if times else None,
            "max_s": round(max(times), 3) if times else None,
            "attack_conns_opened": attack.opened, "closed_by_server": attack.closed_by_server}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cli", default=str(Path(sys.executable).parent / "receptor-cds"))
    parser.add_argument("--connections", type=int, default=150)
    parser.add_argument("--hold", type=float, default=30.0, help="seconds the attack is held (max 300)")
    parser.add_argument("--modes", default="idle,slowloris")
    parser.add_argument("serve_args", nargs="*", help="extra arguments for receptor-cds serve (after --)")
    args = parser.parse_args()
    hold = min(args.hold, 300.0)
    with tempfile.TemporaryDirectory(prefix="receptor-cds-bench-") as tmp:
        server = Server(args.cli, Path(tmp), args.serve_args)
        try:
            quiet = [server.call()[1] for _ in range(10)]
            print(json.dumps({"mode": "no attack", "median_s": round(statistics.median(quiet), 3),
                              "serve_args": args.serve_args}))
            for mode in args.modes.split(","):
                print(json.dumps(measure(server, mode, args.connections, hold)), flush=True)
                time.sleep(2)
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
