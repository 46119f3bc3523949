"""Giving memory back to the operating system after a very large hook call.

Why: a whole-record prefetch of 10,000 Observations (13 MB of JSON) becomes a few hundred MB of Python objects
for the length of the call. They are all freed when the answer is sent, but glibc's allocator keeps the
freed pages, so the worker's resident memory stays at its peak until the process ends (issue 9: 180 MB
after one such call, against 110 MB before it). ``malloc_trim(0)`` hands the free pages back. It costs a
few milliseconds, so it runs only after calls whose body was large, and after the answer was sent.
Without glibc (musl, macOS) it does nothing.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

# Bodies at least this large are followed by a trim (a typical filtered prefetch is well under 1 MB).
TRIM_AFTER_BYTES = 4 * 1024 * 1024


def _load_trim():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


_TRIM = _load_trim()


def release_freed_memory() -> bool:
    """Return the allocator's free pages to the operating system; True if anything was released."""
    if _TRIM is None:
        return False
    try:
        return bool(_TRIM(0))
    except OSError:        # pragma: no cover - a libc that refuses: nothing to give back
        log.debug("malloc_trim failed", exc_info=True)
        return False
