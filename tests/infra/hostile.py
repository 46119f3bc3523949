"""Hostile HTTP servers on 127.0.0.1, as real sockets: what an attacker-controlled (or broken) FHIR server,
JWKS endpoint or SMART authorization server can do to a client (issue 8).

One ``HostileServer`` answers each route with a *behaviour*: a function given the request handler that
writes whatever it likes to the socket. The behaviours below drip bytes slowly, send huge or endless
bodies, gzip bombs, redirect chains, or relay to a real server while collapsing ``//`` in the request target
(as the SMART App Launcher's FHIR proxy does). Every request's raw target and Authorization header is
recorded, so a test can see exactly what the client sent and to where.
"""
from __future__ import annotations

import gzip
import json
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

import requests

Behaviour = Callable[[BaseHTTPRequestHandler], None]


class HostileServer:
    """A threaded loopback server; ``routes`` maps a path (with or without its query) to a behaviour."""

    def __init__(self) -> None:
        self.routes: dict[str, Behaviour] = {}
        self.default: Behaviour | None = None                 # for paths no route names (e.g. a relay)
        self.requests: list[tuple[str, str | None]] = []     # (raw request target, Authorization header)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                self._handle()

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                self.posted = self.rfile.read(length) if length else b""
                self._handle()

            def _handle(self) -> None:
                outer.requests.append((self.path, self.headers.get("Authorization")))
                behaviour = outer.routes.get(self.path) or outer.routes.get(self.path.split("?")[0]) or \
                    outer.default or json_reply({"resourceType": "OperationOutcome",
                                "issue": [{"severity": "error", "code": "not-found"}]}, status=404)
                try:
                    behaviour(self)
                except (BrokenPipeError, ConnectionResetError, socket.timeout, OSError):
                    pass   # the client gave up on us: that is the point of most behaviours
                self.close_connection = True

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return self.origin + path

    def __enter__(self) -> "HostileServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _head(handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str]) -> None:
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.send_header("Connection", "close")
    handler.end_headers()


def json_reply(body: Any, *, status: int = 200, content_type: str = "application/fhir+json",
               headers: dict[str, str] | None = None) -> Behaviour:
    """A well-behaved JSON answer (the baseline a hostile one is compared with)."""
    data = json.dumps(body).encode()

    def behave(handler: BaseHTTPRequestHandler) -> None:
        _head(handler, status, {"Content-Type": content_type, "Content-Length": str(len(data)), **(headers or {})})
        handler.wfile.write(data)
    return behave


def drip(body: Any, *, interval: float = 1.0, chunk: int = 1, content_type: str = "application/fhir+json") -> Behaviour:
    """Headers at once, then the body ``chunk`` bytes every ``interval`` seconds: each socket read succeeds
    within any per-read timeout, so only an absolute deadline stops the client."""
    data = json.dumps(body).encode() if not isinstance(body, bytes) else body

    def behave(handler: BaseHTTPRequestHandler) -> None:
        _head(handler, 200, {"Content-Type": content_type, "Content-Length": str(len(data))})
        handler.wfile.flush()
        for i in range(0, len(data), chunk):
            handler.wfile.write(data[i:i + chunk])
            handler.wfile.flush()
            time.sleep(interval)
    return behave


def drip_headers(body: Any, *, interval: float = 1.0, seconds: float = 10.0) -> Behaviour:
    """The status line, then one header byte per ``interval`` for ``seconds``, then a valid answer: no socket
    read ever waits longer than ``interval``, so per-read timeouts never fire while the headers crawl."""
    data = json.dumps(body).encode()

    def behave(handler: BaseHTTPRequestHandler) -> None:
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        handler.wfile.flush()
        stop = time.monotonic() + seconds
        while time.monotonic() < stop:
            handler.wfile.write(b"a")
            handler.wfile.flush()
            time.sleep(interval)
        handler.wfile.write(b"\r\nContent-Type: application/fhir+json\r\nConnection: close\r\n"
                            + f"Content-Length: {len(data)}\r\n\r\n".encode() + data)
    return behave


def bundle_of(count: int, *, patient: str = "p1", text_size: int = 0) -> dict[str, Any]:
    """A searchset Bundle of ``count`` Observations for ``patient`` (``text_size`` pads each one)."""
    pad = "x" * text_size
    return {"resourceType": "Bundle", "type": "searchset", "entry": [
        {"resource": {"resourceType": "Observation", "id": f"o{i}", "status": "final",
                      "code": {"coding": [{"system": "http://loinc.org", "code": "85337-4"}], "text": pad},
                      "subject": {"reference": f"Patient/{patient}"}}} for i in range(count)]}


def huge(size: int, *, declare_length: bool = True, content_type: str = "application/fhir+json") -> Behaviour:
    """A syntactically valid JSON Bundle of about ``size`` bytes, streamed (with or without Content-Length)."""
    head = b'{"resourceType":"Bundle","type":"searchset","entry":[],"padding":"'
    tail = b'"}'
    filler = max(0, size - len(head) - len(tail))

    def behave(handler: BaseHTTPRequestHandler) -> None:
        headers = {"Content-Type": content_type}
        if declare_length:
            headers["Content-Length"] = str(len(head) + filler + len(tail))
        _head(handler, 200, headers)
        handler.wfile.write(head)
        block = b"x" * 65536
        left = filler
        while left > 0:
            handler.wfile.write(block[:min(left, len(block))])
            left -= len(block)
        handler.wfile.write(tail)
    return behave


def gzip_bomb(decoded_size: int, *, content_type: str = "application/fhir+json") -> Behaviour:
    """A small gzip body (Content-Encoding: gzip) that decodes to ``decoded_size`` bytes of valid JSON."""
    head = b'{"resourceType":"Bundle","type":"searchset","entry":[],"padding":"'
    tail = b'"}'
    compressor = gzip.compress(head + b" " * max(0, decoded_size - len(head) - len(tail)) + tail, compresslevel=9)

    def behave(handler: BaseHTTPRequestHandler) -> None:
        _head(handler, 200, {"Content-Type": content_type, "Content-Encoding": "gzip",
                             "Content-Length": str(len(compressor))})
        handler.wfile.write(compressor)
    behave.compressed_size = len(compressor)   # type: ignore[attr-defined]
    return behave


def redirect(location: str, *, status: int = 302) -> Behaviour:
    def behave(handler: BaseHTTPRequestHandler) -> None:
        _head(handler, status, {"Location": location, "Content-Length": "0"})
    return behave


# The request and answer headers a relay passes on (what FHIR reads, Bulk Data's kick-off and polling need).
_RELAYED_REQUEST = ("Accept", "Authorization", "Prefer", "Content-Type")
_RELAYED_ANSWER = ("Content-Type", "Content-Location", "Location", "Retry-After", "X-Progress", "Expires")


def relay(upstream: str, *, collapse_slashes: bool = False) -> Behaviour:
    """Forward the request (GET or POST) to ``upstream`` (an origin) and relay the answer. With
    ``collapse_slashes`` the request target's runs of ``/`` become one first, query included, as the SMART App
    Launcher's FHIR proxy does: an unencoded ``http://loinc.org|...`` search value then reaches the server as
    ``http:/loinc.org|...``."""
    def behave(handler: BaseHTTPRequestHandler) -> None:
        target = re.sub(r"/{2,}", "/", handler.path) if collapse_slashes else handler.path
        headers = {name: handler.headers[name] for name in _RELAYED_REQUEST if handler.headers.get(name)}
        headers.setdefault("Accept", "*/*")
        answer = requests.request(handler.command, upstream + target, headers=headers,
                                  data=getattr(handler, "posted", None), timeout=10, allow_redirects=False)
        data = answer.content
        passed = {name: answer.headers[name] for name in _RELAYED_ANSWER if answer.headers.get(name)}
        passed.setdefault("Content-Type", "application/json")
        _head(handler, answer.status_code, {**passed, "Content-Length": str(len(data))})
        handler.wfile.write(data)
    return behave
