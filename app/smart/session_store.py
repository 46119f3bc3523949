"""Server-side storage for SMART launches, keyed by an opaque cookie, in the shared state store.

Tokens never leave the server: the browser holds only a random session id (SMART: apps "SHALL
NOT store bearer tokens in cookies that are transmitted as clear text"; best practice keeps them
out of the browser entirely). Everything lives in the shared state store (``cds_hooks.state``), so a
callback or a page load may land on any worker process or instance.

Layout (every entry expires):

- ``smart:session:<sha256(sid)>``: ``{"owner", "created", "expires", "pending": [states], "views": [views]}``.
  ``owner`` is a second random id, never sent to the browser, that the session's launches are filed under;
  rotating the cookie id after a launch (session fixation) moves only this small entry. A session lives
  ``PENDING_TTL`` until a launch completes, then its full lifetime from creation, but only while it is used:
  with an idle timeout, the entry's time to live is at most ``idle`` seconds and every use renews it, so a
  session left alone for ``idle`` seconds is gone (issue 8: an unattended screen kept access for 8 hours).
  ``end`` (sign-out) deletes it with all its launches at once.
- ``smart:pending:<owner>:<state>``: one authorize round trip, ``PENDING_TTL``; taken once (``get`` then
  ``delete``, which only one taker can win).
- ``smart:launch:<owner>:<view>``: a completed launch (tokens, patient, scopes), until the session ends.
- ``smart:refresh:<owner>:<view>``: held while one process renews that launch's tokens (``add`` is atomic),
  so two page loads racing with one rotating refresh token never present it twice.

At rest: the app hands this store a ``SealedStateStore`` (``cds_hooks.state.sealed``), so every value (tokens,
PKCE verifier, patient) is sealed; and the session entry is named by a hash of the cookie id, so the names a
reader of the store sees cannot be replayed as a cookie. A value that does not open reads as absent: the page
says the session ended and asks for a new launch.
"""
from __future__ import annotations

import dataclasses
import hashlib
import secrets
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

from cds_hooks.state import StateStore


@dataclass
class PendingLaunch:
    """What the app remembers between sending the user to authorize and the redirect back."""

    state: str
    iss: str
    mode: str                      # "ehr" | "standalone"
    launch: str | None
    code_verifier: str
    redirect_uri: str
    scope: str
    nonce: str | None
    metadata: dict[str, Any]       # discovered smart-configuration, endpoints resolved
    auth_method: str
    created: float = field(default_factory=time.time)


@dataclass
class LaunchRecord:
    """A completed launch: the tokens and context for one patient view."""

    iss: str
    mode: str
    access_token: str
    expires_at: float
    scope: str
    patient: str | None
    metadata: dict[str, Any]
    auth_method: str
    refresh_token: str | None = None
    lifetime: float = 60.0         # seconds the last token was issued for
    app_context: dict[str, Any] | None = None
    focus: str | None = None
    need_patient_banner: bool = True
    fhir_user: str | None = None
    notes: list[str] = field(default_factory=list)
    # Where the store keeps this record (key, session end); set by the store, never serialised.
    handle: tuple[str, float] | None = field(default=None, compare=False)

    def __repr__(self) -> str:  # never print tokens
        return f"LaunchRecord(iss={self.iss!r}, patient={'set' if self.patient else None})"

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "handle"}

    def adopt(self, other: "LaunchRecord") -> None:
        """Take the token state another process saved (it renewed the tokens meanwhile)."""
        for f in dataclasses.fields(self):
            if f.name != "handle":
                setattr(self, f.name, getattr(other, f.name))


@dataclass
class Session:
    sid: str
    owner: str
    created: float
    expires: float
    pending: list[str] = field(default_factory=list)   # states of launches started, oldest first
    views: list[str] = field(default_factory=list)     # completed launches (page ids), for sign-out


class RefreshBusy(Exception):
    """Another process has been renewing this launch's tokens for longer than we wait."""


class SessionStore:
    """Sessions, pending launches and launch records with absolute lifetimes, in a ``StateStore``."""

    PENDING_TTL = 600          # an authorize round trip longer than 10 minutes is abandoned
    MAX_PENDING = 16           # launches started but not finished, per browser session
    REFRESH_LOCK_TTL = 30      # a refresh never takes longer (token endpoint timeouts are shorter)
    REFRESH_WAIT = 15.0        # how long a page load waits for another process's refresh

    def __init__(self, state: StateStore, ttl: int, idle: int | None = None) -> None:
        self.state = state
        self.ttl = ttl
        self.idle = idle           # seconds without use after which a session ends; None: only the lifetime

    # ------------------------------------------------------------------ sessions

    @staticmethod
    def _session_key(sid: str) -> str:
        # The cookie id is a bearer credential: only its hash names the entry (256 random bits, so a plain hash).
        return "smart:session:" + hashlib.sha256(sid.encode("utf-8")).hexdigest()

    def _save(self, session: Session) -> None:
        remaining = session.expires - time.time()
        if self.idle is not None:
            remaining = min(remaining, self.idle)
        if remaining > 0:
            self.state.set(self._session_key(session.sid), dataclasses.asdict(session), remaining)

    def get(self, sid: str | None) -> Session | None:
        if not sid or len(sid) > 128:
            return None
        raw = self.state.get(self._session_key(sid))
        if not isinstance(raw, dict):
            return None
        session = Session(**raw)
        if session.expires <= time.time():
            return None
        if self.idle is not None:
            self._save(session)    # in use: the idle timeout starts again
        return session

    def end(self, session: Session) -> None:
        """Sign-out: the session and everything filed under it (launches with their tokens, pending launches,
        refresh locks) are deleted now, in every process sharing the store."""
        for view in session.views:
            self.state.delete(f"smart:launch:{session.owner}:{view}")
            self.state.delete(f"smart:refresh:{session.owner}:{view}")
        for state in session.pending:
            self.state.delete(f"smart:pending:{session.owner}:{state}")
        self.state.delete(self._session_key(session.sid))

    def create(self) -> Session:
        now = time.time()
        session = Session(sid=secrets.token_urlsafe(32), owner=secrets.token_urlsafe(32), created=now,
                          expires=now + min(self.PENDING_TTL, self.ttl))
        self._save(session)
        return session

    def rotate(self, session: Session) -> Session:
        """Move a session to a new id once a launch completes, so an id seen before login
        (session fixation) is worthless afterwards; from now on it lives its full lifetime."""
        fresh = dataclasses.replace(session, sid=secrets.token_urlsafe(32), expires=session.created + self.ttl)
        self._save(fresh)
        self.state.delete(self._session_key(session.sid))
        return fresh

    # ------------------------------------------------------------------ pending launches

    def add_pending(self, session: Session, pending: PendingLaunch) -> None:
        self.state.set(f"smart:pending:{session.owner}:{pending.state}", dataclasses.asdict(pending),
                       self.PENDING_TTL)
        session.pending.append(pending.state)
        while len(session.pending) > self.MAX_PENDING:
            self.state.delete(f"smart:pending:{session.owner}:{session.pending.pop(0)}")   # the oldest attempt
        # A session without a completed launch lives as long as its newest launch attempt.
        session.expires = max(session.expires, min(time.time() + self.PENDING_TTL, session.created + self.ttl))
        self._save(session)

    def pop_pending(self, session: Session, state: str) -> PendingLaunch | None:
        """The pending launch for ``state``, once: a second call, here or in another process, gets None."""
        key = f"smart:pending:{session.owner}:{state}"
        raw = self.state.get(key)
        if not isinstance(raw, dict) or not self.state.delete(key):
            return None
        pending = PendingLaunch(**raw)
        if pending.created + self.PENDING_TTL < time.time():
            return None
        return pending

    # ------------------------------------------------------------------ completed launches

    def add_launch(self, session: Session, record: LaunchRecord) -> str:
        view = secrets.token_urlsafe(16)
        record.handle = (f"smart:launch:{session.owner}:{view}", session.expires)
        self.save_launch(record)
        session.views.append(view)
        self._save(session)
        return view

    def get_launch(self, session: Session, view: str) -> LaunchRecord | None:
        if len(view) > 64:
            return None
        key = f"smart:launch:{session.owner}:{view}"
        raw = self.state.get(key)
        if not isinstance(raw, dict):
            return None
        record = LaunchRecord(**raw)
        record.handle = (key, session.expires)
        return record

    def reload_launch(self, record: LaunchRecord) -> LaunchRecord | None:
        """The record as currently stored (another process may have renewed its tokens)."""
        assert record.handle is not None, "a record not from this store"
        raw = self.state.get(record.handle[0])
        return LaunchRecord(**raw, handle=record.handle) if isinstance(raw, dict) else None

    def save_launch(self, record: LaunchRecord) -> None:
        assert record.handle is not None, "a record not from this store"
        key, until = record.handle
        remaining = until - time.time()
        if remaining > 0:
            self.state.set(key, record.to_json(), remaining)

    @contextmanager
    def refresh_lock(self, record: LaunchRecord) -> Iterator[None]:
        """Held by one process at a time per launch; waits up to ``REFRESH_WAIT`` for another holder."""
        assert record.handle is not None, "a record not from this store"
        key = record.handle[0].replace("smart:launch:", "smart:refresh:", 1)
        deadline = time.monotonic() + self.REFRESH_WAIT
        while not self.state.add(key, 1, self.REFRESH_LOCK_TTL):
            if time.monotonic() > deadline:
                raise RefreshBusy()
            time.sleep(0.05)
        try:
            yield
        finally:
            self.state.delete(key)
