"""The shared state store: the same behaviour on both backends (embedded SQLite and a real Redis server),
atomic set-if-absent across processes, expiry, and clear errors when the store cannot be used."""
from __future__ import annotations

import multiprocessing
import os
import time

import pytest

from cds_hooks.state import SqliteStateStore, StateStore, StateStoreError, open_state_store


@pytest.fixture(params=["sqlite", "redis"])
def store_spec(request, tmp_path) -> tuple[str | None, str]:
    """(redis_url, sqlite_path) for open_state_store: each backend in turn."""
    if request.param == "redis":
        server = request.getfixturevalue("redis_server")
        return server.url, str(tmp_path / "unused.sqlite")
    return None, str(tmp_path / "state.sqlite")


@pytest.fixture()
def store(store_spec) -> StateStore:
    return open_state_store(*store_spec)


def _key(name: str) -> str:
    # Redis is shared by the whole session: keys unique per test run.
    return f"test:{name}:{os.getpid()}:{time.monotonic_ns()}"


def test_get_set_delete_round_trip_json_values(store):
    """A value comes back as it went in (JSON); delete reports whether it removed a live entry."""
    key = _key("rt")
    assert store.get(key) is None
    store.set(key, {"a": [1, "é", None]}, 30)
    assert store.get(key) == {"a": [1, "é", None]}
    store.set(key, "replaced", 30)
    assert store.get(key) == "replaced"
    assert store.delete(key) is True
    assert store.delete(key) is False
    assert store.get(key) is None


def test_add_only_when_absent(store):
    """add stores once; while the entry lives, a second add neither succeeds nor overwrites."""
    key = _key("add")
    assert store.add(key, "first", 30) is True
    assert store.add(key, "second", 30) is False
    assert store.get(key) == "first"


def test_entries_expire_and_an_expired_key_can_be_added_again(store):
    """After its time to live an entry is gone for get, delete and add alike."""
    key, other = _key("ttl"), _key("ttl2")
    store.add(key, 1, 0.3)
    store.set(other, 2, 0.3)
    assert store.get(key) == 1
    time.sleep(0.6)
    assert store.get(key) is None and store.get(other) is None
    assert store.delete(other) is False
    assert store.add(key, 3, 30) is True and store.get(key) == 3


def test_time_to_live_must_be_positive(store):
    """Nothing is stored forever: a zero or negative time to live is a programming error."""
    with pytest.raises(ValueError):
        store.set(_key("neg"), 1, 0)


def _race(spec: tuple[str | None, str], key: str, barrier, results) -> None:
    try:
        store = open_state_store(*spec)
        barrier.wait(timeout=60)
        results.put(store.add(key, os.getpid(), 30))
    except BaseException as exc:   # reported, so the parent fails with the reason instead of waiting
        results.put(f"{type(exc).__name__}: {exc}")


def test_add_is_atomic_across_processes(store_spec):
    """Eight processes add the same key at the same moment: exactly one wins (a replayed jti loses the race)."""
    # forkserver: the workers fork from a clean single-threaded process. A plain fork of the pytest process
    # (whose other tests left server threads running) can copy a lock held by one of those threads and hang
    # the child before the barrier, which then held the other seven, and pytest's exit, forever.
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([__name__])   # imported once by the server, not by each worker
    key = _key("race")
    for round_ in range(3):
        barrier, results = ctx.Barrier(8), ctx.Queue()
        procs = [ctx.Process(target=_race, args=(store_spec, f"{key}:{round_}", barrier, results)) for _ in range(8)]
        try:
            for p in procs:
                p.start()
            wins = [results.get(timeout=90) for _ in procs]
        finally:
            for p in procs:
                p.join(timeout=5)
                if p.is_alive():
                    p.kill()
                    p.join()
        assert sorted(wins, key=repr) == [False] * 7 + [True], f"round {round_}: {wins}"


def test_sqlite_file_is_private_and_shared_by_path(tmp_path):
    """The embedded store's file is readable by its owner only (it holds SMART tokens); two stores opened on
    the same path (two worker processes) see each other's entries."""
    path = tmp_path / "deep" / "state.sqlite"
    one, two = SqliteStateStore(path), SqliteStateStore(path)
    assert (path.stat().st_mode & 0o777) == 0o600
    one.set("k", "v", 30)
    assert two.get("k") == "v"
    assert two.add("k", "w", 30) is False


def test_unusable_sqlite_path_is_a_clear_error(tmp_path):
    """A path that cannot be created names the file and the variable to change."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StateStoreError, match="RECEPTOR_CDS_STATE_DB"):
        SqliteStateStore(blocker / "state.sqlite")


def test_unreachable_redis_is_a_clear_error_without_the_password(tmp_path):
    """A Redis URL nobody answers stops start-up in seconds with the URL (password hidden) in the message."""
    from .servers import free_port
    began = time.monotonic()
    with pytest.raises(StateStoreError) as caught:
        open_state_store(f"redis://:s3cret@127.0.0.1:{free_port()}/0", tmp_path / "x.sqlite")
    assert time.monotonic() - began < 10
    assert "s3cret" not in str(caught.value) and "127.0.0.1" in str(caught.value)
