"""The server-side session store: launch state is single-use and memory stays bounded."""
from __future__ import annotations

import time

from app.smart.session_store import PendingLaunch, SessionStore


def _pending(state: str, created: float | None = None) -> PendingLaunch:
    p = PendingLaunch(state=state, iss="https://ehr.example.org/fhir", mode="ehr", launch="l", code_verifier="v",
                      redirect_uri="https://app/cb", scope="launch", nonce=None, metadata={}, auth_method="x")
    if created is not None:
        p.created = created
    return p


def test_state_is_single_use():
    """A pending launch can be taken once; the second time it is gone."""
    store = SessionStore(ttl=3600)
    session = store.create()
    store.add_pending(session, _pending("s1"))
    assert store.pop_pending(session, "s1") is not None
    assert store.pop_pending(session, "s1") is None


def test_pending_launches_per_session_are_capped():
    """Starting many launches in one browser keeps only the newest few."""
    store = SessionStore(ttl=3600)
    session = store.create()
    for i in range(SessionStore.MAX_PENDING + 5):
        store.add_pending(session, _pending(f"s{i}"))
    assert len(session.pending) == SessionStore.MAX_PENDING
    assert "s0" not in session.pending and f"s{SessionStore.MAX_PENDING + 4}" in session.pending


def test_abandoned_launch_sessions_are_dropped_but_recent_ones_kept():
    """A session that never finished a launch goes once its newest launch attempt has expired, not before."""
    store = SessionStore(ttl=3600)
    old = time.time() - SessionStore.PENDING_TTL - 5
    abandoned, active = store.create(), store.create()
    abandoned.created = active.created = old
    store.add_pending(abandoned, _pending("a", created=old))
    store.add_pending(active, _pending("b"))                       # started just now
    assert store.get(abandoned.sid) is None
    assert store.get(active.sid) is active


def test_session_count_is_bounded(monkeypatch):
    """Past the cap the oldest sessions are dropped first."""
    monkeypatch.setattr(SessionStore, "MAX_SESSIONS", 3)
    store = SessionStore(ttl=3600)
    sessions = [store.create() for _ in range(5)]
    assert store.get(sessions[0].sid) is None and store.get(sessions[1].sid) is None
    assert all(store.get(s.sid) is s for s in sessions[2:])
