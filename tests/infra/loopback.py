"""Loopback helpers for tests: a tiny scripted HTTP server on 127.0.0.1 for what a real FHIR server will not
do on demand (hold its answer past a timeout, answer with HTML, point its next link at another origin; it
records the Authorization header of every request), and ports without a race.

Why ports this way: asking the OS for a free port, closing it and binding it again later leaves a window in
which another process (8 developers share this machine; CI runs tests in parallel processes) can take it.
``listening_socket()`` keeps the socket it bound and the server is handed that socket; ``refused_port()``
holds a bound socket that never listens, so connecting to it is refused for as long as the test needs.

Why a held answer instead of a sleep: a test of a timeout should not pass or fail on how fast a shared
machine is. A ``Gate`` keeps the server's answer back until the test opens it; the test then checks that the
client gave up *while the gate was still closed* (an order of events, not a wall-clock ceiling). The gate's
watchdog only bounds how long a broken client would hang before the test fails.
"""
from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Gate:
    """An answer held back until ``open()`` (or, for a broken client that never gives up, the watchdog)."""

    def __init__(self, watchdog: float = 60.0) -> None:
        self._event = threading.Event()
        self._timer = threading.Timer(watchdog, self._event.set)
        self._timer.daemon = True
        self._timer.start()

    def wait(self) -> None:
        self._event.wait()

    @property
    def closed(self) -> bool:
        return not self._event.is_set()

    def open(self) -> None:
        self._timer.cancel()
        self._event.set()

    def __enter__(self) -> "Gate":
        return self

    def __exit__(self, *exc: object) -> None:
        self.open()


@dataclass
class Reply:
    status: int = 200
    body: Any = None            # dict -> JSON; str -> text/html
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    hold: Gate | None = None    # answer only once this gate opens


def listening_socket() -> socket.socket:
    """A TCP socket bound to a free port on 127.0.0.1 and listening: serve on it, there is no window to lose it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


@contextlib.contextmanager
def refused_port() -> Iterator[int]:
    """A loopback port on which connections are refused for as long as the block runs (bound, never listening)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


class LoopbackServer:
    def __init__(self) -> None:
        self.routes: dict[str, Reply] = {}   # path with query, e.g. "/fhir/Observation?page=2"
        self.default: Reply | None = None    # answer to any other path (404 OperationOutcome when None)
        self.requests: list[tuple[str, str | None]] = []   # (path, Authorization header)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                outer.requests.append((self.path, self.headers.get("Authorization")))
                reply = outer.routes.get(self.path) or outer.routes.get(self.path.split("?")[0]) or outer.default or Reply(404, {
                    "resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "not-found",
                                                                   "diagnostics": "no such route"}]})
                if reply.hold is not None:
                    reply.hold.wait()
                if reply.delay:
                    time.sleep(reply.delay)
                if isinstance(reply.body, (dict, list)):
                    data, ctype = json.dumps(reply.body).encode(), "application/fhir+json"
                else:
                    data, ctype = str(reply.body or "").encode(), "text/html"
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "LoopbackServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
