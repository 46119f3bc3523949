"""The server-side session store: launch state is single-use, everything expires, and any process sharing
the state store sees the same sessions."""
from __future__ import annotations

import time

import pytest

from app.smart.session_store import LaunchRecord, PendingLaunch, RefreshBusy, SessionStore
from cds_hooks.state import SqliteStateStore


@pytest.fixture()
def state(tmp_path):
    return SqliteStateStore(tmp_path / "state.sqlite")


def _pending(state: str, created: float | None = None) -> PendingLaunch:
    p = PendingLaunch(state=state, iss="https://ehr.example.org/fhir", mode="ehr", launch="l", code_verifier="v",
                      redirect_uri="https://app/cb", scope="launch", nonce=None, metadata={}, auth_method="x")
    if created is not None:
        p.created = created
    return p


def _record() -> LaunchRecord:
    return LaunchRecord(iss="https://ehr.example.org/fhir", mode="ehr", access_token="at", expires_at=time.time() + 60,
                        scope="launch", patient="p1", metadata={"token_endpoint": "https://ehr/token"},
                        auth_method="client_secret_basic", refresh_token="rt")


def test_state_is_single_use_even_from_another_store_instance(state):
    """A pending launch can be taken once; a second taker, in this process or another, gets nothing."""
    store, other = SessionStore(state, ttl=3600), SessionStore(SqliteStateStore(state.path), ttl=3600)
    session = store.create()
    store.add_pending(session, _pending("s1"))
    seen_elsewhere = other.get(session.sid)
    assert store.pop_pending(session, "s1") is not None
    assert other.pop_pending(seen_elsewhere, "s1") is None
    assert store.pop_pending(session, "s1") is None


def test_pending_launches_per_session_are_capped(state):
    """Starting many launches in one browser keeps only the newest few."""
    store = SessionStore(state, ttl=3600)
    session = store.create()
    for i in range(SessionStore.MAX_PENDING + 5):
        store.add_pending(session, _pending(f"s{i}"))
    assert len(store.get(session.sid).pending) == SessionStore.MAX_PENDING
    assert store.pop_pending(session, "s0") is None
    assert store.pop_pending(session, f"s{SessionStore.MAX_PENDING + 4}") is not None


def test_abandoned_launch_session_expires_with_its_newest_attempt(state, monkeypatch):
    """A session that never finished a launch lives PENDING_TTL after its newest launch attempt, not longer."""
    store = SessionStore(state, ttl=3600)
    session = store.create()
    store.add_pending(session, _pending("a"))
    start = time.time()
    monkeypatch.setattr(time, "time", lambda: start + SessionStore.PENDING_TTL - 5)
    assert store.get(session.sid) is not None
    monkeypatch.setattr(time, "time", lambda: start + SessionStore.PENDING_TTL + 5)
    assert store.get(session.sid) is None


def test_rotation_moves_launches_and_kills_the_old_id(state):
    """After a launch completes the cookie id changes: the old id finds nothing, the new one finds the launch."""
    store = SessionStore(state, ttl=3600)
    session = store.create()
    fresh = store.rotate(session)
    view = store.add_launch(fresh, _record())
    assert store.get(session.sid) is None
    again = store.get(fresh.sid)
    assert again is not None and store.get_launch(again, view).refresh_token == "rt"
    assert fresh.expires == pytest.approx(session.created + 3600)


def test_refresh_lock_is_exclusive_across_store_instances(state, monkeypatch):
    """While one process renews a launch's tokens, another waits and then gives up with RefreshBusy."""
    store, other = SessionStore(state, ttl=3600), SessionStore(SqliteStateStore(state.path), ttl=3600)
    monkeypatch.setattr(SessionStore, "REFRESH_WAIT", 0.3)
    session = store.rotate(store.create())
    view = store.add_launch(session, _record())
    mine, theirs = store.get_launch(session, view), other.get_launch(other.get(session.sid), view)
    with store.refresh_lock(mine):
        with pytest.raises(RefreshBusy):
            with other.refresh_lock(theirs):
                pass
    with other.refresh_lock(theirs):   # released: the other process gets it now
        mine.access_token = "renewed"
        store.save_launch(mine)
    assert other.reload_launch(theirs).access_token == "renewed"


@pytest.fixture()
def clocked(tmp_path, monkeypatch):
    """A state store and the session store on one settable clock (time.time is what both read)."""
    now = [time.time()]
    monkeypatch.setattr(time, "time", lambda: now[0])
    return now, SqliteStateStore(tmp_path / "clocked.sqlite", clock=lambda: now[0])


def test_a_session_left_unused_for_the_idle_timeout_ends(clocked):
    """With a 30-minute idle timeout, a launched session used every 20 minutes lives on; left alone for 31 minutes
    it is gone, although its 8-hour lifetime has not passed (issue 8: only the 8 h lifetime applied)."""
    now, state = clocked
    store = SessionStore(state, ttl=8 * 3600, idle=30 * 60)
    session = store.rotate(store.create())
    store.add_launch(session, _record())
    start = now[0]
    for minutes in (20, 40, 60):
        now[0] = start + minutes * 60
        assert store.get(session.sid) is not None, f"ended after {minutes} min of regular use"
    now[0] = start + (60 + 31) * 60
    assert store.get(session.sid) is None


def test_idle_just_inside_and_just_past_the_timeout(clocked):
    """One second before the idle timeout the session is there; one second after it, it is not."""
    now, state = clocked
    store = SessionStore(state, ttl=8 * 3600, idle=30 * 60)
    session = store.rotate(store.create())
    start = now[0]
    now[0] = start + 30 * 60 - 1
    assert store.get(session.sid) is not None          # used: the timeout starts again from here
    now[0] = start + 2 * (30 * 60 - 1) + 2
    assert store.get(session.sid) is None


def test_without_an_idle_timeout_only_the_lifetime_applies(clocked):
    """The store without ``idle`` keeps a session for its lifetime however long it is left alone."""
    now, state = clocked
    store = SessionStore(state, ttl=8 * 3600)
    session = store.rotate(store.create())
    now[0] += 8 * 3600 - 5
    assert store.get(session.sid) is not None


def test_ending_a_session_deletes_its_launches_and_tokens(state):
    """Sign-out deletes the session and its launch records (tokens) from the shared store at once."""
    store = SessionStore(state, ttl=3600, idle=1800)
    session = store.rotate(store.create())
    views = [store.add_launch(session, _record()) for _ in range(2)]
    store.add_pending(session, _pending("s1"))
    store.end(store.get(session.sid))
    assert store.get(session.sid) is None
    assert all(state.get(f"smart:launch:{session.owner}:{v}") is None for v in views)
    assert state.get(f"smart:pending:{session.owner}:s1") is None
