"""A scripted Bulk Data server on 127.0.0.1 for what a real server will not do on demand: cut a download off,
lie about a file's line count, send a huge line, ask for odd waits, point its URLs at another origin.

The shapes are sekmet's (recorded from its ``$export``): kick-off ``202`` with ``Content-Location``, status
``202`` with ``X-Progress``/``Retry-After`` then ``200`` with the manifest, files as ``application/fhir+ndjson``.
Every request is recorded as ``(method, path, Authorization header)``.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Status:
    code: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


@dataclass
class File:
    body: bytes
    cut_after: int | None = None      # send only this many bytes of a body announced whole, then close
    length: bool = True               # send Content-Length (else the end of the connection ends the body)


class HostileBulkServer:
    def __init__(self) -> None:
        self.statuses: list[Status] = []          # answered in turn; the last one repeats
        self.files: dict[str, File] = {}
        self.kickoff = Status(202)
        self.status_location: str | None = None   # default: this server's /fhir/status
        self.requests: list[tuple[str, str, str | None]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _record(self) -> None:
                outer.requests.append((self.command, self.path, self.headers.get("Authorization")))

            def _send(self, status: Status) -> None:
                data = b"" if status.body is None else (
                    status.body if isinstance(status.body, bytes) else json.dumps(status.body).encode())
                self.send_response(status.code)
                for name, value in status.headers.items():
                    self.send_header(name, value)
                if status.body is not None and "Content-Type" not in status.headers:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                self._record()
                path = self.path.split("?")[0]
                if path.endswith("/$export"):
                    headers = {"Content-Location": outer.status_location or f"{outer.base_url}/status",
                               **outer.kickoff.headers}
                    self._send(Status(outer.kickoff.code, headers, outer.kickoff.body))
                elif path == "/fhir/status":
                    self._send(outer.statuses.pop(0) if len(outer.statuses) > 1 else outer.statuses[0])
                elif path.startswith("/fhir/files/") and path.rsplit("/", 1)[1] in outer.files:
                    item = outer.files[path.rsplit("/", 1)[1]]
                    self.send_response(200)
                    self.send_header("Content-Type", "application/fhir+ndjson")
                    if item.length:
                        self.send_header("Content-Length", str(len(item.body)))
                    else:
                        self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(item.body[:item.cut_after] if item.cut_after is not None else item.body)
                    self.wfile.flush()
                    if item.cut_after is not None or not item.length:
                        self.close_connection = True
                else:
                    self._send(Status(404, body={"resourceType": "OperationOutcome", "issue": [
                        {"severity": "error", "code": "not-found", "diagnostics": "no such route"}]}))

            def do_DELETE(self) -> None:  # noqa: N802
                self._record()
                self._send(Status(202))

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/fhir"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def manifest(self, files: dict[str, int | None], requires_token: bool = False) -> dict[str, Any]:
        """A sekmet-shaped manifest for ``{file name: count}`` (type from the name's first part)."""
        return {"transactionTime": "2026-11-01T00:00:00Z", "request": f"{self.base_url}/$export",
                "requiresAccessToken": requires_token, "error": [],
                "output": [{"type": name.split(".")[0], "url": f"{self.base_url}/files/{name}",
                            **({"count": count} if count is not None else {})} for name, count in files.items()]}

    def __enter__(self) -> "HostileBulkServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
