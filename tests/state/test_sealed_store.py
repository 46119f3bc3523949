"""Sealed values in the state store (SMART tokens at rest): what is stored does not show the value on either
backend, a value that does not open reads as absent (and the log says so without the value), a key rotation
keeps what was sealed under the previous key, and the configuration refuses what would silently lose sessions:
Redis without a shared key, a key too short to be a secret; two servers on one store under different keys are
told apart by /readyz.
"""
from __future__ import annotations

import logging
import os
import re
import secrets
import time
from pathlib import Path

import pytest

from app import create_app
from app.config import ConfigError, Settings
from cds_hooks.state import SealedStateStore, SealingKeys, open_state_store
from cds_hooks.state.sealed import SealError

KEY_A = "a-" + secrets.token_urlsafe(32)
KEY_B = "b-" + secrets.token_urlsafe(32)
TOKEN = "eyJhbGciOi.access-token-" + secrets.token_urlsafe(24)


@pytest.fixture(params=["sqlite", "redis"])
def inner(request, tmp_path):
    if request.param == "redis":
        return open_state_store(request.getfixturevalue("redis_server").url, "unused")
    return open_state_store(None, tmp_path / "state.sqlite")


def _name(kind: str) -> str:
    return f"smart:{kind}:{os.getpid()}:{time.monotonic_ns()}"     # Redis is shared by the session's tests


def test_a_sealed_value_round_trips_and_is_stored_unreadable(inner):
    store = SealedStateStore(inner, SealingKeys(KEY_A))
    name = _name("launch")
    store.set(name, {"access_token": TOKEN, "patient": "p-12345"}, 30)
    assert store.get(name) == {"access_token": TOKEN, "patient": "p-12345"}
    raw = inner.get(name)
    assert isinstance(raw, str) and TOKEN not in raw and "p-12345" not in raw and "access_token" not in raw
    assert store.add(name, "other", 30) is False and store.delete(name) is True and store.get(name) is None
    assert store.add(name, "first", 30) is True and store.get(name) == "first"


def test_each_sealing_is_fresh():
    """The same value sealed twice gives two different ciphertexts (a random nonce each time)."""
    keys = SealingKeys(KEY_A)
    assert keys.seal("n", b"same") != keys.seal("n", b"same")


@pytest.mark.parametrize("change", ["flip", "truncate", "garbage", "other-version", "not-a-string"])
def test_a_value_that_does_not_open_reads_as_absent_and_the_log_has_no_value(inner, change, caplog):
    store = SealedStateStore(inner, SealingKeys(KEY_A))
    name = _name("launch")
    store.set(name, {"access_token": TOKEN}, 30)
    raw = inner.get(name)
    changed = {"flip": raw[:-5] + ("A" if raw[-5] != "A" else "B") + raw[-4:], "truncate": raw[: len(raw) // 2],
               "garbage": "s1." + raw.split(".")[1] + ".!!!not base64!!!", "other-version": "s0" + raw[2:],
               "not-a-string": {"access_token": TOKEN}}[change]
    inner.set(name, changed, 30)
    with caplog.at_level(logging.DEBUG):
        assert store.get(name) is None
    assert "smart:launch entry does not open" in caplog.text
    assert TOKEN not in caplog.text and str(os.getpid()) not in caplog.text


def test_a_value_moved_to_another_name_does_not_open():
    keys = SealingKeys(KEY_A)
    sealed = keys.seal("smart:launch:owner-1:view-1", b'{"access_token": "x"}')
    assert keys.open("smart:launch:owner-1:view-1", sealed) == b'{"access_token": "x"}'
    with pytest.raises(SealError, match="integrity"):
        keys.open("smart:launch:owner-2:view-1", sealed)


def test_rotation_opens_the_previous_key_and_seals_under_the_new_one(inner):
    """Values sealed under A open on a server holding B with A as previous, which seals new values under B; a
    server holding only A cannot open those (it reads them as absent)."""
    old, new = SealedStateStore(inner, SealingKeys(KEY_A)), SealedStateStore(inner, SealingKeys(KEY_B, [KEY_A]))
    before, after = _name("session"), _name("session")
    old.set(before, "sealed under A", 30)
    assert new.get(before) == "sealed under A"
    new.set(after, "sealed under B", 30)
    assert inner.get(after).split(".")[1] == SealingKeys(KEY_B).kid != SealingKeys(KEY_A).kid
    assert old.get(after) is None
    assert SealedStateStore(inner, SealingKeys(KEY_B)).get(before) is None      # A dropped: A's values are gone


def test_redis_without_a_configured_key_is_refused_at_start_up():
    """Several instances each with a generated key would each lose the sessions the others started."""
    with pytest.raises(ConfigError, match="RECEPTOR_CDS_REDIS_URL is set .* RECEPTOR_CDS_SECRET_KEY is not"):
        create_app(Settings(redis_url="redis://127.0.0.1:1/0", database_url="sqlite://"))
    assert Settings(redis_url="redis://x/0", secret_key=KEY_A).sealing_keys().generated is False
    assert Settings().sealing_keys().generated is True


@pytest.mark.parametrize("length, ok", [(31, False), (32, True), (33, True)])
def test_a_secret_key_needs_32_characters(length, ok):
    for field in ("secret_key", "secret_key_previous"):
        settings = Settings(**{"secret_key": "k" * 40, field: "x" * length})
        if ok:
            settings.sealing_keys()
        else:
            with pytest.raises(ConfigError, match=f"RECEPTOR_CDS_SECRET_KEY{'_PREVIOUS' if 'prev' in field else ''} "
                                                  "must be at least 32 characters"):
                settings.sealing_keys()


def test_the_placeholder_of_env_example_is_refused():
    """Copying .env.example unchanged would seal every deployment's sessions under one published key."""
    example = (Path(__file__).resolve().parents[2] / ".env.example").read_text(encoding="utf-8")
    placeholder = re.search(r"^RECEPTOR_CDS_SECRET_KEY=(.*)$", example, re.MULTILINE).group(1)
    with pytest.raises(ConfigError, match="RECEPTOR_CDS_SECRET_KEY is still the placeholder"):
        Settings.from_env({"RECEPTOR_CDS_SECRET_KEY": placeholder}).sealing_keys()


def test_the_keys_come_from_the_environment():
    settings = Settings.from_env({"RECEPTOR_CDS_SECRET_KEY": KEY_B, "RECEPTOR_CDS_SECRET_KEY_PREVIOUS": KEY_A})
    assert settings.sealing_keys().kids == {SealingKeys(KEY_A).kid, SealingKeys(KEY_B).kid}
    with pytest.raises(ConfigError, match="PREVIOUS is set without RECEPTOR_CDS_SECRET_KEY"):
        Settings.from_env({"RECEPTOR_CDS_SECRET_KEY_PREVIOUS": KEY_A}).sealing_keys()


def _server(tmp_path, key: str | None, previous: str | None = None):
    settings = Settings(database_url="sqlite://", state_db=str(tmp_path / "shared-state.sqlite"),
                        cds_auth_disabled=True, secret_key=key, secret_key_previous=previous)
    return create_app(settings).test_client()


def _session_key(client) -> dict:
    answer = client.get("/readyz")
    check = answer.get_json()["checks"]["session_key"]
    assert answer.status_code == (200 if check["ok"] else 503)
    return check


def test_servers_sharing_one_store_under_the_same_key_are_both_ready(tmp_path):
    first, second = _server(tmp_path, KEY_A), _server(tmp_path, KEY_A)
    assert _session_key(first) == _session_key(second) == {"ok": True, "key": "configured"}


def test_a_server_whose_key_differs_from_the_newest_says_so_in_readyz(tmp_path, caplog):
    """Two servers on one store, different keys: the newer logs the mismatch at start-up; the older, which cannot
    read what the newer seals, answers 503 on /readyz (a load balancer takes it out)."""
    first = _server(tmp_path, KEY_A)
    with caplog.at_level(logging.ERROR, logger="app"):
        second = _server(tmp_path, KEY_B)
    assert "SESSION KEY MISMATCH" in caplog.text and KEY_A not in caplog.text and KEY_B not in caplog.text
    assert _session_key(first) == {"ok": False, "key": "configured"}
    assert _session_key(second) == {"ok": True, "key": "configured"}


def test_during_a_rotation_only_servers_without_the_new_key_are_not_ready(tmp_path):
    old = _server(tmp_path, KEY_A)
    staged = _server(tmp_path, KEY_A, previous=KEY_B)      # step 1 of a rotation: the new key accepted everywhere
    new = _server(tmp_path, KEY_B, previous=KEY_A)         # step 2: sealing under the new key
    assert _session_key(staged)["ok"] and _session_key(new)["ok"]
    assert not _session_key(old)["ok"]


def test_two_servers_with_generated_keys_on_one_store_are_told_apart(tmp_path, caplog):
    """No key configured, two server processes on one SQLite file: the older one's /readyz says it cannot read
    the newer one's sessions; a restart (a new generated key) on its own is ready, and is not logged as an error
    (every restart without a key finds the last run's key: the start-up warning says sessions end)."""
    first = _server(tmp_path, None)
    with caplog.at_level(logging.WARNING, logger="app"):
        second = _server(tmp_path, None)
    assert "RECEPTOR_CDS_SECRET_KEY is not set" in caplog.text and "SESSION KEY MISMATCH" not in caplog.text
    assert _session_key(first) == {"ok": False, "key": "generated"}
    assert _session_key(second) == {"ok": True, "key": "generated"}
