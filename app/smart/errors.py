"""Launch and data errors the app shows as a page (never a traceback)."""
from __future__ import annotations


class SmartError(Exception):
    """A failure with what the user sees: an HTTP status, a short title and a specific message."""

    def __init__(self, status: int, title: str, message: str, *, hint: str | None = None):
        super().__init__(f"{status} {title}")
        self.status = status
        self.title = title
        self.message = message
        self.hint = hint
