"""The Redis state store: for several instances behind a load balancer (``RECEPTOR_CDS_REDIS_URL``).

``add`` is ``SET key value NX PX ttl``, one atomic command; ``delete`` is ``DEL`` (its count says who removed
the entry). Keys are prefixed with ``receptor-cds:`` so the database can be shared with other software.
Short socket timeouts: a stalled Redis makes a call fail (503) in seconds instead of hanging a worker.
Redis holds SMART access tokens: run it on a private network with a password (``redis://:pw@host``) or TLS
(``rediss://``).
"""
from __future__ import annotations

from typing import Any

from .base import StateStore, StateStoreError, check_ttl, decode, encode

PREFIX = "receptor-cds:"
SOCKET_TIMEOUT = 2.0


def _shown(url: str) -> str:
    """The URL without its password, for messages."""
    from urllib.parse import urlsplit
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url


class RedisStateStore(StateStore):
    kind = "redis"

    def __init__(self, url: str) -> None:
        try:
            import redis
        except ImportError:   # a declared dependency; only a broken install lands here
            raise StateStoreError("RECEPTOR_CDS_REDIS_URL is set but the 'redis' package is not installed "
                                  "(pip install redis)") from None
        self._errors = (redis.RedisError,)
        self.url = _shown(url)
        try:
            self._redis = redis.Redis.from_url(url, socket_timeout=SOCKET_TIMEOUT,
                                               socket_connect_timeout=SOCKET_TIMEOUT, health_check_interval=30)
        except ValueError as exc:
            raise StateStoreError(f"RECEPTOR_CDS_REDIS_URL {self.url} is not a Redis URL: {exc}") from None
        self.ping()

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(self._redis, name)(*args, **kwargs)
        except self._errors as exc:
            raise StateStoreError(f"Redis state store {self.url}: {type(exc).__name__}: {exc}") from None

    def get(self, key: str) -> Any | None:
        return decode(self._call("get", PREFIX + key))

    def set(self, key: str, value: Any, ttl: float) -> None:
        self._call("set", PREFIX + key, encode(value), px=max(1, int(check_ttl(ttl) * 1000)))

    def add(self, key: str, value: Any, ttl: float) -> bool:
        return bool(self._call("set", PREFIX + key, encode(value), px=max(1, int(check_ttl(ttl) * 1000)), nx=True))

    def delete(self, key: str) -> bool:
        return self._call("delete", PREFIX + key) == 1

    def ping(self) -> None:
        self._call("ping")

    def close(self) -> None:
        self._redis.close()
