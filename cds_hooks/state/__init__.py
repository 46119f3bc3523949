"""Short-lived state shared by every worker process and every instance: one small interface, two backends.

What lives here: the CDS Hooks JWT replay cache (``jti`` values seen), the SMART app's server-side sessions
and pending launches, and the locks that serialise a SMART refresh-token rotation. All of it expires.

- ``StateStore`` (``base.py``): ``get``, ``set``, ``add`` (set only if absent: the atomic primitive the replay
  cache and the locks rely on), ``delete``, each with a time to live; values are JSON.
- ``SqliteStateStore`` (``sqlite_store.py``): the embedded default, one SQLite file on local disk; shared by
  the worker processes of one machine with no server to run.
- ``RedisStateStore`` (``redis_store.py``): for several instances behind a load balancer
  (``RECEPTOR_CDS_REDIS_URL``).
- ``open_state_store``: picks the backend from configuration.
- ``SealedStateStore`` (``sealed.py``): wraps either backend and seals its values (AES-GCM under a key derived
  from ``RECEPTOR_CDS_SECRET_KEY``), for entries that carry tokens: the SMART sessions.

May import: the standard library, ``redis`` and ``cryptography``. Nothing from the rest of the project: the service and the
SMART app depend on this package, never the other way round.
"""
from __future__ import annotations

from pathlib import Path

from .base import StateStore, StateStoreError
from .sealed import SealedStateStore, SealingKeys
from .sqlite_store import SqliteStateStore

__all__ = ["StateStore", "StateStoreError", "SealedStateStore", "SealingKeys", "SqliteStateStore",
           "open_state_store"]


def open_state_store(redis_url: str | None, sqlite_path: str | Path) -> StateStore:
    """Redis when ``redis_url`` is set, else the embedded SQLite store at ``sqlite_path``.

    Raises ``StateStoreError`` (a ``ValueError``) with a message for the operator when the store cannot be
    used, so start-up stops instead of serving without a replay cache.
    """
    if redis_url:
        from .redis_store import RedisStateStore
        return RedisStateStore(redis_url)
    return SqliteStateStore(sqlite_path)
