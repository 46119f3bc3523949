"""Server-side storage for SMART launches, keyed by an opaque cookie.

Tokens never leave the server: the browser holds only a random session id (SMART: apps "SHALL
NOT store bearer tokens in cookies that are transmitted as clear text"; best practice keeps them
out of the browser entirely). In memory, per process: a restart ends every session, and the
user relaunches from the EHR, which is what a launch-bound clinical view expects.
"""
from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any


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
    # Serialises refreshes: two page loads racing with one rotating refresh token would otherwise
    # present it twice, which the EHR rightly treats as theft and ends the session.
    refresh_lock: threading.Lock = field(default_factory=threading.Lock, compare=False)

    def __repr__(self) -> str:  # never print tokens
        return f"LaunchRecord(iss={self.iss!r}, patient={'set' if self.patient else None})"


@dataclass
class Session:
    sid: str
    created: float = field(default_factory=time.time)
    pending: dict[str, PendingLaunch] = field(default_factory=dict)
    launches: dict[str, LaunchRecord] = field(default_factory=dict)


class SessionStore:
    """Thread-safe in-memory sessions with an absolute lifetime."""

    PENDING_TTL = 600          # an authorize round trip longer than 10 minutes is abandoned
    MAX_PENDING = 16           # launches started but not finished, per browser session
    MAX_SESSIONS = 10_000      # anyone can start a launch, so memory is bounded: oldest go first

    def __init__(self, ttl: int):
        self.ttl = ttl
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}

    def get(self, sid: str | None) -> Session | None:
        if not sid:
            return None
        with self._lock:
            self._purge()
            return self._sessions.get(sid)

    def create(self) -> Session:
        session = Session(sid=secrets.token_urlsafe(32))
        with self._lock:
            self._purge()
            self._sessions[session.sid] = session
        return session

    def pop_pending(self, session: Session, state: str) -> PendingLaunch | None:
        with self._lock:
            pending = session.pending.pop(state, None)
        if pending and pending.created + self.PENDING_TTL < time.time():
            return None
        return pending

    def add_pending(self, session: Session, pending: PendingLaunch) -> None:
        with self._lock:
            session.pending[pending.state] = pending
            while len(session.pending) > self.MAX_PENDING:
                del session.pending[next(iter(session.pending))]      # the oldest launch attempt

    def add_launch(self, session: Session, record: LaunchRecord) -> str:
        ctx = secrets.token_urlsafe(16)
        with self._lock:
            session.launches[ctx] = record
        return ctx

    def rotate(self, session: Session) -> Session:
        """Move a session to a new id once a launch completes, so an id seen before login
        (session fixation) is worthless afterwards."""
        fresh = Session(sid=secrets.token_urlsafe(32), created=session.created,
                        pending=session.pending, launches=session.launches)
        with self._lock:
            self._sessions.pop(session.sid, None)
            self._sessions[fresh.sid] = fresh
        return fresh

    def _purge(self) -> None:
        """Drop sessions past their lifetime, and sessions that never completed a launch once their
        pending launches have expired (a launch URL hit without finishing costs only minutes)."""
        now = time.time()
        def idle(v: Session) -> bool:
            newest = max([v.created, *(p.created for p in v.pending.values())])
            return not v.launches and newest + self.PENDING_TTL < now

        for sid in [s for s, v in self._sessions.items() if v.created + self.ttl < now or idle(v)]:
            del self._sessions[sid]
        while len(self._sessions) > self.MAX_SESSIONS:
            del self._sessions[next(iter(self._sessions))]          # insertion order: the oldest
