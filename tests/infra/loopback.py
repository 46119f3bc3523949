"""A tiny scripted HTTP server on 127.0.0.1 for what a real FHIR server will not do on demand
(sleep past a timeout, answer with HTML, point its next link at another origin). It records the
Authorization header of every request it receives."""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    body: Any = None            # dict -> JSON; str -> text/html
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


class LoopbackServer:
    def __init__(self) -> None:
        self.routes: dict[str, Reply] = {}   # path with query, e.g. "/fhir/Observation?page=2"
        self.requests: list[tuple[str, str | None]] = []   # (path, Authorization header)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                outer.requests.append((self.path, self.headers.get("Authorization")))
                reply = outer.routes.get(self.path) or outer.routes.get(self.path.split("?")[0]) or Reply(404, {
                    "resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "not-found",
                                                                   "diagnostics": "no such route"}]})
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
