"""Real Redis and PostgreSQL servers for tests, started on loopback in a temporary folder and stopped by PID.

Debian's ``redis-server`` and PostgreSQL's ``initdb``/``pg_ctl`` (package ``postgresql``). A test needing one
skips when the binary is missing, except under CI (``CI`` set), where that is a failure: ``.ci/run``
installs both. PostgreSQL refuses to run as root, so as root the server runs as the ``postgres`` user that
Debian's package creates.
"""
from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from app.fhir_server import _set_parent_death_signal

REDIS_SERVER = "/usr/bin/redis-server"


def _need(path: str | None, what: str) -> str:
    if path and os.access(path, os.X_OK):
        return path
    message = f"{what} is not installed (.ci/run installs it)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout)


class RedisServer:
    """``redis-server`` on 127.0.0.1, no persistence; ``url`` is ``redis://127.0.0.1:<port>/0``."""

    def __init__(self) -> None:
        exe = _need(REDIS_SERVER, "redis-server (Debian package redis-server)")
        self.dir = Path(tempfile.mkdtemp(prefix="receptor-cds-redis-"))
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = subprocess.Popen([exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(self.dir), "--protected-mode", "yes"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                                     preexec_fn=_set_parent_death_signal)   # dies with a killed test run
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.proc.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("redis-server did not answer PING within 20 s")

    def stop(self) -> None:
        _stop(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return _need(found[-1] if found else None, f"PostgreSQL's {name} (Debian package postgresql)")


class PostgresServer:
    """A throw-away PostgreSQL cluster on 127.0.0.1 (trust authentication, loopback only).

    ``url(driver)`` gives the SQLAlchemy URL of its ``postgres`` database.
    """

    def __init__(self) -> None:
        initdb, self._pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        # /tmp, not pytest's tmp_path: the postgres user must be able to reach the folder.
        self.dir = Path(tempfile.mkdtemp(prefix="receptor-cds-pg-", dir="/tmp"))
        if self._as:
            shutil.chown(self.dir, user="postgres", group="postgres")
        self.data = self.dir / "data"
        self.port = free_port()
        self._run([initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
        self._run([self._pg_ctl, "-D", str(self.data), "-l", str(self.dir / "server.log"), "-w", "-t", "60",
                   "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                         f"-c max_connections=100", "start"])
        self.pid = int((self.data / "postmaster.pid").read_text().split()[0])

    def _run(self, args: list[str]) -> None:
        done = subprocess.run(self._as + args, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            raise RuntimeError(f"{Path(args[0]).name} failed ({done.returncode}): {done.stdout}{done.stderr}")

    def url(self, driver: str = "psycopg") -> str:
        return f"postgresql+{driver}://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        try:
            self._run([self._pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "-t", "30", "stop"])
        except (RuntimeError, subprocess.TimeoutExpired):
            try:
                os.kill(self.pid, signal.SIGKILL)     # by the PID it wrote, never by name
            except ProcessLookupError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)
