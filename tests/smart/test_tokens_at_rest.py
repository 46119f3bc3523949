"""SMART tokens at rest: after a real launch, the bytes of the embedded SQLite store (with its WAL) and of a real
Redis (its RDB dump and every value) hold no access token, refresh token, PKCE verifier, patient id or session
cookie; a stored value someone altered or moved is refused: the page says the session ended and asks for a new
launch (a 401 page, never a 500).
"""
from __future__ import annotations

import base64
import json
import re
import secrets
import sqlite3
from pathlib import Path

import pytest
import requests

from app.smart.session_store import LaunchRecord
from cds_hooks.state import SealingKeys
from cds_hooks.state.redis_store import PREFIX

from ..state.servers import RedisServer
from .conftest import Browser
from .patients import CONVERSION_PATIENT_ID

pytestmark = pytest.mark.fhir_server

KEY = secrets.token_urlsafe(32)


@pytest.fixture(scope="module")
def redis_server():
    server = RedisServer()
    try:
        yield server
    finally:
        server.stop()


def _launch(dev_ehr, app) -> tuple[Browser, requests.Response]:
    browser = Browser()
    launch = dev_ehr.auth.create_launch(CONVERSION_PATIENT_ID)
    page = browser.get(f"{app.launch_url}?iss={dev_ehr.fhir_base}&launch={launch}")
    assert page.status_code == 200, page.text[:500]
    return browser, page


def _opened(entries: dict[str, str]) -> tuple[LaunchRecord, list[str]]:
    """The launch record (opened with the deployment's key, as the app does) and every value opened."""
    keys, record, plain = SealingKeys(KEY), None, []
    for name, raw in entries.items():
        if name.startswith("smart:"):
            value = keys.open(name, raw).decode("utf-8")
            plain.append(value)
            if name.startswith("smart:launch:"):
                record = LaunchRecord(**json.loads(value))
    assert record is not None, sorted(entries)
    return record, plain


def _secrets_of(dev_ehr, record: LaunchRecord, browser: Browser, plain: list[str]) -> dict[str, str]:
    # The tokens are the real ones: the EHR's FHIR server accepts the access token.
    check = requests.get(f"{dev_ehr.fhir_base}/Patient/{CONVERSION_PATIENT_ID}", timeout=10,
                         headers={"Authorization": f"Bearer {record.access_token}"})
    assert check.status_code == 200
    assert record.refresh_token, "the launch was granted a refresh token"
    found = {"access token": record.access_token, "refresh token": record.refresh_token,
             "patient id": CONVERSION_PATIENT_ID,
             "session cookie": next(c.value for c in browser.session.cookies if c.name == "receptor_smart_session")}
    verifiers = re.findall(r'"code_verifier":"([^"]+)"', "".join(plain))
    found.update({f"PKCE verifier {i}": v for i, v in enumerate(verifiers)})
    return found


def _decoded(values) -> bytes:
    """Every stored value and each of its dot-separated parts base64-decoded: an encoding that only looks sealed
    (base64 of the plain JSON) is caught too."""
    out = []
    for value in values:
        out.append(value.encode())
        for part in value.split("."):
            try:
                out.append(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
            except ValueError:
                pass
    return b"\n".join(out)


def _sqlite_entries(path: Path) -> dict[str, str]:
    with sqlite3.connect(path) as conn:
        return {k: json.loads(v) for k, v in conn.execute("SELECT key, value FROM state")}


def test_the_sqlite_store_file_never_holds_the_tokens(dev_ehr, product_app, tmp_path):
    state_db = tmp_path / "state.sqlite"
    app = product_app(state_db=str(state_db), secret_key=KEY)
    browser, _ = _launch(dev_ehr, app)
    record, plain = _opened(_sqlite_entries(state_db))
    hidden = _secrets_of(dev_ehr, record, browser, plain)
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("state.sqlite*"))   # the database, its WAL and index
    assert len(raw) > 4096
    raw += _decoded(_sqlite_entries(state_db).values())
    for what, value in hidden.items():
        assert value.encode() not in raw, f"the {what} is in the SQLite store's bytes"


def test_redis_never_holds_the_tokens(dev_ehr, product_app, redis_server):
    import redis
    app = product_app(redis_url=redis_server.url, secret_key=KEY)
    browser, _ = _launch(dev_ehr, app)
    client = redis.Redis.from_url(redis_server.url)
    entries = {k.decode()[len(PREFIX):]: json.loads(client.get(k)) for k in client.scan_iter(f"{PREFIX}*")}
    record, plain = _opened(entries)
    hidden = _secrets_of(dev_ehr, record, browser, plain)
    client.save()                                   # the server's own bytes: its RDB snapshot
    raw = (Path(redis_server.dir) / "dump.rdb").read_bytes()
    raw += b"".join(k + (client.get(k) or b"") for k in client.scan_iter("*"))
    assert len(raw) > 1024
    raw += _decoded(entries.values())
    for what, value in hidden.items():
        assert value.encode() not in raw, f"the {what} is in Redis"


def _page_after_tampering(dev_ehr, product_app, tmp_path, change) -> requests.Response:
    state_db = tmp_path / "state.sqlite"
    app = product_app(state_db=str(state_db), secret_key=KEY)
    browser, page = _launch(dev_ehr, app)
    with sqlite3.connect(state_db) as conn:
        change(conn)
    return browser.get(page.url)


def _flip(conn: sqlite3.Connection, prefix: str) -> None:
    ((name, value),) = conn.execute("SELECT key, value FROM state WHERE key LIKE ?", (prefix + "%",)).fetchall()
    sealed = json.loads(value)
    i = len(sealed) - 10                             # a character inside the ciphertext
    flipped = sealed[:i] + ("A" if sealed[i] != "A" else "B") + sealed[i + 1:]
    conn.execute("UPDATE state SET value = ? WHERE key = ?", (json.dumps(flipped), name))


@pytest.mark.parametrize("entry", ["smart:launch:", "smart:session:"])
def test_an_altered_value_ends_the_session_with_a_clear_relaunch_page(dev_ehr, product_app, tmp_path, entry):
    """One character of the sealed launch record (tokens) or session entry changed: the page is a 401 'Session
    ended' asking for a new launch from the EHR."""
    again = _page_after_tampering(dev_ehr, product_app, tmp_path, lambda conn: _flip(conn, entry))
    assert again.status_code == 401 and "Session ended" in again.text
    assert "Open the app again from the EHR" in again.text


def test_a_value_moved_from_another_entry_is_refused(dev_ehr, product_app, tmp_path):
    """The session entry's sealed value copied over the launch record (both well-formed ciphertexts under the right
    key): it does not open under the other entry's name, so the page is 'Session ended', never someone else's."""
    def move(conn):
        (session_value,) = conn.execute("SELECT value FROM state WHERE key LIKE 'smart:session:%'").fetchone()
        conn.execute("UPDATE state SET value = ? WHERE key LIKE 'smart:launch:%'", (session_value,))
    again = _page_after_tampering(dev_ehr, product_app, tmp_path, move)
    assert again.status_code == 401 and "Session ended" in again.text
