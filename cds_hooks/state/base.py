"""The state store interface (the shape of cachelib's ``BaseCache``, cut to what the product needs)."""
from __future__ import annotations

import json
from abc import ABC, abstractmethod
from typing import Any


class StateStoreError(ValueError):
    """The shared store cannot be reached or used. At start-up a configuration error; during a request the
    caller answers 503 (never accepting a token it could not check against the replay cache)."""


class StateStore(ABC):
    """Keys are strings chosen by the caller (prefixed by what they hold, e.g. ``cds:jti:``); values are
    anything ``json.dumps`` accepts. Every entry has a time to live in seconds: nothing here is permanent.

    ``add`` is atomic on every backend: of two processes adding the same absent key at once, exactly one
    gets True. ``delete`` returns True only to the caller that removed a live entry, so ``get`` followed by
    ``delete`` is a single-use take (a launch ``state`` can be redeemed once).
    """

    #: short name for logs and /readyz
    kind: str = "state"

    @abstractmethod
    def get(self, key: str) -> Any | None:
        """The live value, or None when absent or expired."""

    @abstractmethod
    def set(self, key: str, value: Any, ttl: float) -> None:
        """Store ``value`` under ``key`` for ``ttl`` seconds, replacing any value."""

    @abstractmethod
    def add(self, key: str, value: Any, ttl: float) -> bool:
        """Store only if no live value exists; True if this call stored it."""

    @abstractmethod
    def delete(self, key: str) -> bool:
        """Remove the entry; True if a live entry was removed by this call."""

    @abstractmethod
    def ping(self) -> None:
        """Raise ``StateStoreError`` unless the store answers (a cheap round trip, for readiness checks)."""

    def close(self) -> None:
        """Release connections (optional)."""


def encode(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def decode(raw: str | bytes | None) -> Any | None:
    return None if raw is None else json.loads(raw)


def check_ttl(ttl: float) -> float:
    if not ttl > 0:
        raise ValueError(f"time to live must be positive, got {ttl!r}")
    return float(ttl)
