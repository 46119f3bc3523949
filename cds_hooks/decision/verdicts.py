"""A bounded memory of validation verdicts, keyed by a digest of a resource's exact content.

Why: an EHR resends the same history on every chart open, and validating each resource with the
``fhir.resources`` R4B models is most of the cost of a call (issue 9). The verdict of a pure check is a
function of the resource's content, so it is computed once per distinct content and then looked up.

Why the key can never make two different inputs share a verdict: it is a digest of ``marshal`` output, which
encodes every value with its exact type (``1``, ``1.0``, ``True`` and ``"1"`` differ; ``-0.0`` differs from
``0.0``; a NaN is not ``null``; a tuple is not a list) and key order as given, and refuses anything that is
not a plain ``dict``/``list``/``str``/``int``/``float``/``bool``/``None`` (subclasses, dates, enums, UUIDs...).
Equal bytes always decode to equal content. (Version 4 writes an object met twice as a back-reference, so
equal content can give different bytes when its objects are shared differently: a miss, never a wrong hit.)
A resource that cannot be encoded that way is simply checked every time. The digest is 128-bit BLAKE2b
salted with a secret drawn per process, so no one can prepare a collision. Nothing but digests and verdicts
is kept (no resource content); the number of entries is capped.
"""
from __future__ import annotations

import hashlib
import marshal
import secrets
import threading
from collections import OrderedDict
from contextlib import contextmanager
from typing import Any, Callable, Iterator, TypeVar

V = TypeVar("V")
_MISS = object()


def content_key(value: Any, check: bytes = b"") -> bytes | None:
    """A digest of ``value``'s exact content (types included); None when it is not plain JSON data.
    ``check`` (at most 16 bytes) keeps the keys of different checks apart."""
    try:
        encoded = marshal.dumps(value, 4)
    except (ValueError, TypeError):          # "unmarshallable object": not plain JSON data
        return None
    # Salt and personalisation cost nothing (a key would cost one more compression per resource).
    return hashlib.blake2b(encoded, digest_size=16, salt=_SALT, person=check).digest()


_SALT = secrets.token_bytes(16)


class VerdictCache:
    """``checked(resource, check)``: ``check(resource)``, remembered by content for up to ``maxsize`` resources
    (least recently used forgotten first). Thread-safe: the server answers calls on several threads."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._entries: OrderedDict[bytes, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._enabled = True
        self._reading = threading.local()

    @contextmanager
    def one_reading(self) -> Iterator[None]:
        """Inside this block, on this thread, a resource object's content is digested once for all checks.

        Why: in one hook call the service's FHIR JSON check and the core's R4B check each digested the same
        resource, and the digest is most of the cost of a resent record's call. For a block in which the
        resources are parsed once and left unchanged while they are read (a hook call: the core never changes
        its input, ``tests/decision/test_verdict_cache.py``), the first digest of each object is kept with the
        object itself, so its id cannot be taken by another object meanwhile; everything is dropped at the end.
        A block entered inside another (or by another request on the same thread) adds nothing."""
        if getattr(self._reading, "digests", None) is not None:
            yield
            return
        self._reading.digests = {}
        try:
            yield
        finally:
            self._reading.digests = None

    def _digest(self, resource: Any) -> bytes | None:
        digests = getattr(self._reading, "digests", None)
        if digests is None:
            return content_key(resource)
        known = digests.get(id(resource))
        if known is not None and known[0] is resource:
            return known[1]
        digest = content_key(resource)
        digests[id(resource)] = (resource, digest)
        return digest

    def checked(self, name: str, resource: Any, check: Callable[[Any], V]) -> V:
        """The verdict of ``check`` (named ``name``: one cache holds several checks) on ``resource``."""
        if not self._enabled:
            return check(resource)
        digest = self._digest(resource)
        if digest is None:
            return check(resource)
        key = digest + name.encode()     # the digest has a fixed length: the check's name keeps checks apart
        with self._lock:
            verdict = self._entries.get(key, _MISS)
            if verdict is not _MISS:
                self._entries.move_to_end(key)
                return verdict            # type: ignore[return-value]
        verdict = check(resource)
        with self._lock:
            self._entries[key] = verdict
            if len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)
        return verdict

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    @contextmanager
    def bypassed(self) -> Iterator[None]:
        """Every check runs in full inside this block (the agreement test compares both paths). Not for
        servers: it switches the cache off for every thread."""
        self._enabled = False
        try:
            yield
        finally:
            self._enabled = True


# One per process. An entry (16-byte digest, verdict, ordering) is about 150 bytes: 50,000 resources, some
# 8 MB, hold a 10,000-Observation record and a few hundred ordinary ones.
VERDICTS = VerdictCache(maxsize=50_000)
