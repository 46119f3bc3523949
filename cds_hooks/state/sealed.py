"""Values sealed at rest: SMART tokens never sit in clear in the SQLite file or in Redis.

Why: the state store holds SMART access and refresh tokens, PKCE verifiers and the patient in context. A copy
of the SQLite file (a backup, a disk image) or a read of Redis (a shared cache, a ``MONITOR`` session) must not
hand them out. ``SealedStateStore`` wraps any ``StateStore`` and seals every value with AES-256-GCM (an
authenticated cipher from ``cryptography``) before it is written:

- the key is derived (HKDF-SHA256) from ``RECEPTOR_CDS_SECRET_KEY``; every instance that shares a store must
  hold the same value. During a rotation the previous value (``RECEPTOR_CDS_SECRET_KEY_PREVIOUS``) still opens
  what was sealed under it, while new values are sealed under the current one;
- the entry's name is the cipher's associated data, so a value moved to another entry (another session's
  launch, say) does not open;
- a value that does not open (tampered, truncated, sealed under a key this server does not hold) reads as
  absent: the caller sees an expired session and asks the user to launch again. Never a 500, never the value.

Each sealed value names its key by a short key id (a hash, it reveals nothing of the key). The store also keeps
the key id of the newest server that started (``state:sealing-key``): a server that cannot open what that one
seals says so in ``/readyz`` (``check``) instead of silently losing sessions.
"""
from __future__ import annotations

import base64
import binascii
import logging
import os
import secrets
from dataclasses import dataclass
from typing import Any, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .base import StateStore, decode, encode

log = logging.getLogger(__name__)

VERSION = "s1"
MARKER = "state:sealing-key"
MIN_SECRET_LENGTH = 32
_NONCE_BYTES = 12


class SealError(ValueError):
    """A sealed value that does not open; the message never carries the value."""


def _derive(secret: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=b"receptor-cds state store",
                info=info).derive(secret)


@dataclass(frozen=True)
class _Key:
    kid: str
    aead: AESGCM


def _key(secret: bytes) -> _Key:
    return _Key(kid=_derive(secret, b"key id v1", 6).hex(), aead=AESGCM(_derive(secret, b"sealing key v1", 32)))


class SealingKeys:
    """The current key (seals) and any previous ones (still open). ``generated`` marks a key made at start-up
    because none was configured: it dies with the process, so it suits one server on one machine only."""

    def __init__(self, secret: str | bytes, previous: Sequence[str | bytes] = (), *, generated: bool = False):
        def raw(value: str | bytes) -> bytes:
            return value.encode("utf-8") if isinstance(value, str) else value

        self._current = _key(raw(secret))
        self._keys = {self._current.kid: self._current}
        for old in previous:
            k = _key(raw(old))
            self._keys.setdefault(k.kid, k)
        self.generated = generated

    @classmethod
    def generate(cls) -> "SealingKeys":
        return cls(secrets.token_bytes(32), generated=True)

    @property
    def kid(self) -> str:
        """The id of the key new values are sealed under."""
        return self._current.kid

    @property
    def kids(self) -> frozenset[str]:
        """Ids of every key that opens values (current and previous)."""
        return frozenset(self._keys)

    def seal(self, name: str, plaintext: bytes) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._current.aead.encrypt(nonce, plaintext, name.encode("utf-8"))
        return f"{VERSION}.{self._current.kid}.{base64.urlsafe_b64encode(nonce + sealed).decode('ascii')}"

    def open(self, name: str, token: Any) -> bytes:
        if not isinstance(token, str):
            raise SealError("not a sealed value")
        version, _, rest = token.partition(".")
        kid, _, body = rest.partition(".")
        if version != VERSION or not body:
            raise SealError("not a sealed value")
        key = self._keys.get(kid)
        if key is None:
            raise SealError(f"sealed under key {kid[:12]!r}, which this server does not hold")
        try:
            blob = base64.urlsafe_b64decode(body.encode("ascii"))
            if len(blob) <= _NONCE_BYTES:
                raise SealError("sealed value too short")
            return key.aead.decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], name.encode("utf-8"))
        except (InvalidTag, binascii.Error, ValueError, UnicodeEncodeError):
            raise SealError("sealed value failed its integrity check (altered, or moved from another entry)") from None


def _kind(name: str) -> str:
    """The entry's kind for a log line (``smart:launch``), never its ids."""
    return ":".join(name.split(":")[:2])


class SealedStateStore(StateStore):
    """A ``StateStore`` whose values are sealed with ``keys``; names (keys) and expiry stay as they are."""

    def __init__(self, inner: StateStore, keys: SealingKeys, *, marker_ttl: float = 7 * 24 * 3600) -> None:
        self.inner = inner
        self.keys = keys
        self.kind = inner.kind
        self.marker_ttl = marker_ttl

    def _seal(self, name: str, value: Any) -> str:
        return self.keys.seal(name, encode(value).encode("utf-8"))

    def get(self, key: str) -> Any | None:
        raw = self.inner.get(key)
        if raw is None:
            return None
        try:
            return decode(self.keys.open(key, raw))
        except (SealError, ValueError) as exc:
            log.warning("state store: a %s entry does not open and is treated as absent: %s", _kind(key), exc)
            return None

    def set(self, key: str, value: Any, ttl: float) -> None:
        self.inner.set(key, self._seal(key, value), ttl)

    def add(self, key: str, value: Any, ttl: float) -> bool:
        return self.inner.add(key, self._seal(key, value), ttl)

    def delete(self, key: str) -> bool:
        return self.inner.delete(key)

    def ping(self) -> None:
        self.inner.ping()

    def close(self) -> None:
        self.inner.close()

    # ---- several servers on one store ------------------------------------------------------------------------
    def claim(self) -> str | None:
        """At start-up: record that new values are sealed under this server's key (the newest server wins).
        Returns a warning when the store was last claimed by a server whose key this one does not hold (its
        sessions cannot be read here), else None."""
        previous = self.inner.get(MARKER)
        self.inner.set(MARKER, self.keys.kid, self.marker_ttl)
        if isinstance(previous, str) and previous not in self.keys.kids:
            return (f"the shared state store was in use by a server sealing under key id {previous}, which this "
                    f"server does not hold (this one: {self.keys.kid}); sessions started there are lost here. "
                    "Every instance sharing a store needs the same RECEPTOR_CDS_SECRET_KEY (during a rotation, the "
                    "old value in RECEPTOR_CDS_SECRET_KEY_PREVIOUS)")
        return None

    def check(self) -> dict[str, Any]:
        """For ``/readyz``: can this server open what the newest server on the store seals? (Key ids go to the
        log, not the public answer.)"""
        newest = self.inner.get(MARKER)
        if newest is None:
            self.inner.add(MARKER, self.keys.kid, self.marker_ttl)
            newest = self.keys.kid
        ok = newest in self.keys.kids
        if not ok:
            log.warning("readiness: the newest server on the shared state store seals under key id %s, which this "
                        "server (key id %s) does not hold: sessions it starts cannot be read here",
                        str(newest)[:12], self.keys.kid)
        return {"ok": ok, "key": "generated" if self.keys.generated else "configured"}

