"""A small real TCP proxy for tests: round-robin, one backend per incoming connection, on loopback.

Stands in for the load balancer in front of several instances. It records which backend each connection
went to, so a test can show that two steps of one flow really landed on different instances.
"""
from __future__ import annotations

import itertools
import socket
import socketserver
import threading


class RoundRobinProxy:
    def __init__(self, backends: list[tuple[str, int]]) -> None:
        self.backends = backends
        self.routed: list[int] = []           # backend index per accepted connection, in order
        self._count = itertools.count()
        self._lock = threading.Lock()
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                with outer._lock:
                    index = next(outer._count) % len(outer.backends)
                    outer.routed.append(index)
                try:
                    upstream = socket.create_connection(outer.backends[index], timeout=30)
                except OSError:
                    return
                with upstream:
                    pump = threading.Thread(target=_copy, args=(upstream, self.request), daemon=True)
                    pump.start()
                    _copy(self.request, upstream)
                    pump.join(timeout=30)

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True
            request_queue_size = 256      # 32 callers connect at once

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _copy(source: socket.socket, target: socket.socket) -> None:
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            target.sendall(data)
    except OSError:
        pass
    finally:
        try:
            target.shutdown(socket.SHUT_WR)
        except OSError:
            pass
