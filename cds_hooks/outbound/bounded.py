"""A ``requests`` transport adapter that enforces an absolute deadline and caps on decoded bytes.

Why an adapter: mounted on a ``requests.Session`` it governs every request made through that session, including
those made by libraries (authlib's token requests), redirects and retries, so no caller can forget a limit.

Why a watchdog: ``requests`` timeouts bound each socket *read*, not the whole exchange. A server that sends one
byte a second never trips a read timeout (an attack held a hook call 49 s that way, in the headers or the body).
Each request therefore starts a timer for its deadline; when it fires, the sockets the request uses are shut
down, which wakes any blocked read at once, and the request fails with ``DeadlineExceeded``. The timeouts handed
to ``requests`` are also cut to the time remaining, so connecting cannot outlast the deadline either.

Why decode here: the body is read raw and decompressed by this module with ``zlib``'s ``max_length``, so a gzip
bomb (300 KB that decodes to 300 MB) never decodes past the cap plus one byte. Only ``gzip`` and ``deflate`` are
offered in ``Accept-Encoding``; any other ``Content-Encoding`` is refused. The body is read whole (bounded) before
the response is returned: callers then use ``response.content``/``.json()`` as usual.
"""
from __future__ import annotations

import socket
import threading
import time
import zlib
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_CHUNK = 16 * 1024
_ACCEPT_ENCODING = "gzip, deflate"


class OutboundLimitError(requests.RequestException):
    """A limit of this module stopped the exchange; the message names the limit and is safe to show and log
    (no query string, no body, no token)."""


class DeadlineExceeded(OutboundLimitError, requests.Timeout):
    """The exchange did not finish by its absolute deadline (a ``requests.Timeout``, so existing handlers apply)."""


class ResponseTooLarge(OutboundLimitError):
    """The decoded body (or all bodies of this session together) passed its cap; reading stopped there."""

    def __init__(self, message: str, *, cap: int, per: str) -> None:
        super().__init__(message)
        self.cap = cap
        self.per = per           # "response" or "call"


class UnsupportedEncoding(OutboundLimitError):
    """A ``Content-Encoding`` other than the gzip/deflate we offered: it cannot be decoded within a cap."""


def describe_bytes(count: int) -> str:
    """1048576 -> '1 MB', 262144 -> '256 KB': caps as people read them in messages."""
    if count >= 1024 * 1024 and count % (1024 * 1024) == 0:
        return f"{count // (1024 * 1024)} MB"
    if count >= 1024 and count % 1024 == 0:
        return f"{count // 1024} KB"
    return f"{count} bytes"


# ---------------------------------------------------------------------------------------------- the watchdog

_active = threading.local()       # the watch of the request this thread is sending, if any


class _Watch:
    """Shuts down the registered sockets when the deadline passes (from a timer thread)."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.fired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire)
        self._timer.daemon = True

    def start(self) -> None:
        self._timer.start()

    def cancel(self) -> None:
        self._timer.cancel()

    def add(self, sock: Any) -> None:
        if sock is None:
            return
        with self._lock:
            if self.fired:
                _shutdown(sock)
            elif not any(s is sock for s in self._sockets):
                self._sockets.append(sock)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            for sock in self._sockets:
                _shutdown(sock)


def _shutdown(sock: Any) -> None:
    try:
        # The base class's shutdown, also for TLS sockets: it wakes a read blocked in another thread without
        # touching the TLS object that thread is using.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except (OSError, TypeError):
        pass


class _WatchedConnection:
    """Mixed into urllib3's connections: the socket a request waits on is handed to that request's watch
    just before the response is awaited (a pooled connection is registered anew for each request)."""

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        watch = getattr(_active, "watch", None)
        if watch is not None:
            watch.add(getattr(self, "sock", None))
        return super().getresponse(*args, **kwargs)   # type: ignore[misc]


class _HTTPConnection(_WatchedConnection, HTTPConnection):
    pass


class _HTTPSConnection(_WatchedConnection, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


# ---------------------------------------------------------------------------------------------- the adapter

def _cut(timeout: Any, remaining: float) -> tuple[float, float]:
    if isinstance(timeout, tuple):
        connect, read = timeout
    else:
        connect = read = timeout
    return (min(connect, remaining) if connect is not None else remaining,
            min(read, remaining) if read is not None else remaining)


class BoundedAdapter(HTTPAdapter):
    """Every request through this adapter ends by its deadline and decodes at most ``max_response_bytes``.

    - ``deadline``: an absolute ``time.monotonic()`` value shared by all requests (a hook call's budget);
    - ``request_seconds``: a deadline per request (JWKS and SMART endpoints); the earlier of the two applies;
    - ``max_response_bytes``: cap on one decoded body; ``max_total_bytes``: cap on all bodies read through this
      adapter (one adapter per hook call makes it a per-call cap).
    """

    def __init__(self, *, max_response_bytes: int, max_total_bytes: int | None = None, deadline: float | None = None,
                 request_seconds: float | None = None, what: str = "server", **kwargs: Any) -> None:
        if deadline is None and request_seconds is None:
            raise ValueError("a BoundedAdapter needs a deadline or request_seconds")
        self.max_response_bytes = max_response_bytes
        self.max_total_bytes = max_total_bytes
        self.deadline = deadline
        self.request_seconds = request_seconds
        self.what = what
        self.total_bytes = 0
        self._total_lock = threading.Lock()   # several reads of one hook call may run at once (prefetch.gather)
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):
            manager.pool_classes_by_scheme = dict(_POOLS)
        return manager

    def _deadline(self) -> float:
        candidates = [d for d in (self.deadline, time.monotonic() + self.request_seconds
                                  if self.request_seconds is not None else None) if d is not None]
        return min(candidates)

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        deadline = self._deadline()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise DeadlineExceeded(f"time budget for the {self.what} exhausted before the request was sent",
                                   request=request)
        request.headers["Accept-Encoding"] = _ACCEPT_ENCODING
        watch = _Watch(deadline)
        watch.start()
        response: requests.Response | None = None
        try:
            _active.watch = watch
            try:
                response = super().send(request, stream=True, timeout=_cut(timeout, remaining), verify=verify,
                                        cert=cert, proxies=proxies)
            finally:
                _active.watch = None
            watch.add(getattr(getattr(response.raw, "connection", None), "sock", None))
            body = self._read(response)
        except OutboundLimitError:
            _discard(response)
            raise
        except Exception as exc:
            _discard(response)
            if watch.fired:
                raise DeadlineExceeded(f"the {self.what} did not finish answering within the time budget",
                                       request=request) from None
            raise exc
        finally:
            watch.cancel()
        if watch.fired:        # a shut-down socket can end a read quietly, short of the body
            _discard(response)
            raise DeadlineExceeded(f"the {self.what} did not finish answering within the time budget",
                                   request=request)
        response.raw.release_conn()
        response._content = body               # noqa: SLF001 (requests' own attribute for a read body)
        response._content_consumed = True      # noqa: SLF001
        if "Content-Encoding" in response.headers:
            del response.headers["Content-Encoding"]     # the body is decoded now
        return response

    def _too_large(self, cap: int, per: str) -> ResponseTooLarge:
        scope = "one answer" if per == "response" else "all answers of this call together"
        return ResponseTooLarge(f"the {self.what}'s answer is larger than the cap of {describe_bytes(cap)} for "
                                f"{scope}; reading stopped there", cap=cap, per=per)

    def _read(self, response: requests.Response) -> bytes:
        cap = self.max_response_bytes
        if self.max_total_bytes is not None:
            left = self.max_total_bytes - self.total_bytes
            if left < cap:
                cap, per = left, "call"
            else:
                per = "response"
        else:
            per = "response"
        per_cap = self.max_response_bytes if per == "response" else self.max_total_bytes
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        declared = response.headers.get("Content-Length", "")
        if encoding in ("", "identity") and declared.isdigit() and int(declared) > cap:
            raise self._too_large(per_cap, per)      # refused unread
        decoder = _decoder(encoding)
        out = bytearray()
        for chunk in response.raw.stream(_CHUNK, decode_content=False):
            before = len(out)
            if decoder is None:
                out += chunk
            else:
                out += decoder.feed(chunk, cap + 1 - len(out))
            self._count(len(out) - before)
            if len(out) > cap:
                raise self._too_large(per_cap, per)
        if decoder is not None:
            before = len(out)
            out += decoder.finish(cap + 1 - len(out))
            self._count(len(out) - before)
            if len(out) > cap:
                raise self._too_large(per_cap, per)
        return bytes(out)

    def _count(self, read: int) -> None:
        """Add bytes to the call's total as they are read, so reads running at the same time share the call's
        cap: the one that crosses it stops there."""
        with self._total_lock:
            self.total_bytes += read
            over = self.max_total_bytes is not None and self.total_bytes > self.max_total_bytes
        if over:
            raise self._too_large(self.max_total_bytes, "call")   # type: ignore[arg-type]


class _Decoder:
    """gzip or deflate (zlib-wrapped or raw, as servers send both), never producing more than asked for."""

    def __init__(self, wbits: int, raw_fallback: bool) -> None:
        self._obj = zlib.decompressobj(wbits)
        self._raw_fallback = raw_fallback
        self._started = False

    def feed(self, data: bytes, room: int) -> bytes:
        if not self._started and self._raw_fallback:
            self._started = True
            try:
                return self._drain(data, room)
            except zlib.error:
                self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
        self._started = True
        return self._drain(data, room)

    def _drain(self, data: bytes, room: int) -> bytes:
        out = bytearray(self._obj.decompress(data, max(1, room)))
        while self._obj.unconsumed_tail and len(out) < room:
            out += self._obj.decompress(self._obj.unconsumed_tail, max(1, room - len(out)))
        return bytes(out)

    def finish(self, room: int) -> bytes:
        if self._obj.unconsumed_tail:
            return self._drain(b"", room)
        return self._obj.flush() if room > 0 else b""


def _decoder(encoding: str) -> _Decoder | None:
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return _Decoder(16 + zlib.MAX_WBITS, raw_fallback=False)
    if encoding == "deflate":
        return _Decoder(zlib.MAX_WBITS, raw_fallback=True)
    raise UnsupportedEncoding(f"the server sent Content-Encoding {encoding[:40]!r}; only gzip and deflate are "
                              "accepted")


def _discard(response: requests.Response | None) -> None:
    """Close a response whose body was not (fully) read: its connection must not be reused."""
    if response is None:
        return
    try:
        response.raw.close()
        response.raw.release_conn()
    except Exception:   # noqa: BLE001  (closing a broken connection may fail in many ways; none matters)
        pass


def bounded_session(*, max_response_bytes: int, max_total_bytes: int | None = None, deadline: float | None = None,
                    request_seconds: float | None = None, what: str = "server",
                    session: requests.Session | None = None, **adapter_kwargs: Any) -> requests.Session:
    """A session (new, or ``session`` such as authlib's OAuth2Session) whose http and https requests all go
    through one ``BoundedAdapter`` with these limits."""
    session = session or requests.Session()
    adapter = BoundedAdapter(max_response_bytes=max_response_bytes, max_total_bytes=max_total_bytes,
                             deadline=deadline, request_seconds=request_seconds, what=what, **adapter_kwargs)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
