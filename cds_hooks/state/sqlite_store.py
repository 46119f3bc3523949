"""The embedded state store: one SQLite file, shared by every process of one machine, no server to run.

Why SQLite: the demo and a single-machine install must need nothing extra, and SQLite's file locking makes
the one statement that matters atomic across processes: ``add`` is a single ``INSERT ... ON CONFLICT DO
UPDATE ... WHERE expired`` (an upsert that writes only when the old row is gone or past its time), so of two
workers adding the same ``jti`` exactly one sees a changed row. WAL mode lets readers run beside the writer.

The file must be on a local disk (SQLite's locks are unreliable on network file systems); several machines
share state through Redis instead. It is created readable by its owner only: it holds SMART access tokens.
"""
from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Callable

from .base import StateStore, StateStoreError, check_ttl, decode, encode

_SCHEMA = """CREATE TABLE IF NOT EXISTS state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    expires_at REAL NOT NULL
)"""
# Expired rows are removed by a sweep on about one write in PURGE_EVERY (and never returned before that).
PURGE_EVERY = 200
BUSY_TIMEOUT_MS = 10_000


class SqliteStateStore(StateStore):
    kind = "sqlite"

    def __init__(self, path: str | os.PathLike[str], *, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self._clock = clock
        self._local = threading.local()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not self.path.exists():
                os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
            self._init_schema()
        except (OSError, sqlite3.Error) as exc:
            raise StateStoreError(f"cannot open the state store file {self.path} (RECEPTOR_CDS_STATE_DB): "
                                  f"{exc}") from None

    def _init_schema(self) -> None:
        # Several workers start at once: switching to WAL takes a lock that does not wait on the busy
        # timeout, so retry briefly instead of failing start-up.
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            conn = self._connect()
            try:
                if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                    conn.execute("PRAGMA journal_mode = WAL")   # persistent: set once for the file
                conn.execute(_SCHEMA)
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
            finally:
                conn.close()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                               check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    def _conn(self) -> sqlite3.Connection:
        # One connection per thread and per process: a connection opened before a fork (gunicorn's
        # preloaded app) must never be used by the children.
        pid = os.getpid()
        if getattr(self._local, "pid", None) != pid:
            self._local.conn = self._connect()
            self._local.pid = pid
        return self._local.conn

    def _run(self, sql: str, params: tuple[Any, ...]) -> sqlite3.Cursor:
        try:
            return self._conn().execute(sql, params)
        except sqlite3.Error as exc:
            raise StateStoreError(f"state store {self.path}: {exc}") from None

    def _maybe_purge(self, now: float) -> None:
        if random.randrange(PURGE_EVERY) == 0:
            self._run("DELETE FROM state WHERE expires_at <= ?", (now,))

    def get(self, key: str) -> Any | None:
        row = self._run("SELECT value FROM state WHERE key = ? AND expires_at > ?", (key, self._clock())).fetchone()
        return decode(row[0]) if row else None

    def set(self, key: str, value: Any, ttl: float) -> None:
        now = self._clock()
        self._run("INSERT INTO state (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
                  "value = excluded.value, expires_at = excluded.expires_at",
                  (key, encode(value), now + check_ttl(ttl)))
        self._maybe_purge(now)

    def add(self, key: str, value: Any, ttl: float) -> bool:
        now = self._clock()
        cursor = self._run("INSERT INTO state (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE "
                           "SET value = excluded.value, expires_at = excluded.expires_at "
                           "WHERE state.expires_at <= ?", (key, encode(value), now + check_ttl(ttl), now))
        self._maybe_purge(now)
        return cursor.rowcount == 1

    def delete(self, key: str) -> bool:
        cursor = self._run("DELETE FROM state WHERE key = ? AND expires_at > ?", (key, self._clock()))
        return cursor.rowcount == 1

    def ping(self) -> None:
        self._run("SELECT 1 FROM state LIMIT 1", ()).fetchall()

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None and getattr(self._local, "pid", None) == os.getpid():
            conn.close()
        self._local = threading.local()
