"""Logging set-up: text by default, one JSON object per line with ``RECEPTOR_CDS_LOG_FORMAT=json``.

Every record carries the request id (``X-Request-ID`` from the caller when it is a plain token, else a
new one, echoed in the response) and, on CDS Hooks calls, the ``hookInstance`` the EHR sent, so one call
can be followed across workers and proxies. Nothing else from the request goes in: no patient id, no
resource, no token (the service's own messages are written that way; see ``cds_hooks/service``).

Third-party loggers that write full URLs (which carry patient ids, e.g. ``Patient/123`` or
``?patient=123``) are pinned to WARNING whatever the root level: urllib3 logs every request path at
DEBUG, and authlib and requests sit on top of it; werkzeug's request lines carry the SMART callback's
authorization code. The pin is also a filter on the process's handler, so it holds when something lowers
those loggers' level again (an operator's logging configuration, a library): below WARNING their records are
dropped, and at WARNING and above only the library's own message text is kept, without its arguments (urllib3
warns "Retrying ... after connection broken by ...: <path>" with the request path, ids included).
"""
from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from datetime import datetime, timezone
from typing import Any

from flask import Flask, Response, g, has_request_context, request

LOG_FORMATS = ("text", "json")
PINNED_LOGGERS = ("urllib3", "requests", "authlib", "werkzeug", "redis")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"


class RequestContextFilter(logging.Filter):
    """Adds ``request_id`` and ``hook_instance`` to every record (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = "-"
        record.hook_instance = None
        if has_request_context():
            record.request_id = getattr(g, "request_id", "-")
            record.hook_instance = getattr(g, "hook_instance", None)
        return True


def _pinned(name: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in PINNED_LOGGERS)


class UrlLoggerFilter(logging.Filter):
    """On the process's handler: records of the pinned third-party loggers below WARNING are dropped; at
    WARNING and above they keep the library's message text (its format string, written in the library) but
    not its arguments or traceback, which carry URLs, paths with patient ids and query strings."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not _pinned(record.name):
            return True
        if record.levelno < logging.WARNING:
            return False
        if getattr(record, "_receptor_withheld", False):
            return True
        withheld = []
        if record.args:
            withheld.append("arguments")
        if record.exc_info:
            exc = record.exc_info[1]
            withheld.append(f"traceback of {type(exc).__name__}" if exc is not None else "traceback")
        record.msg = str(record.msg) + (f" [{' and '.join(withheld)} not logged: may hold URLs with patient ids]"
                                        if withheld else "")
        record.args = None
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        record._receptor_withheld = True
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, hookInstance, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        hook_instance = getattr(record, "hook_instance", None)
        if hook_instance:
            entry["hookInstance"] = hook_instance
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(fmt: str = "text", level: str | int = "INFO", stream: Any = None) -> None:
    """Configure the root logger once for the process (the CLI calls it before anything logs)."""
    if fmt not in LOG_FORMATS:
        raise ValueError(f"RECEPTOR_CDS_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {fmt!r}")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(UrlLoggerFilter())
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    pin_url_loggers()


def pin_url_loggers() -> None:
    """Loggers that write request URLs never go below WARNING, whatever the root level."""
    for name in PINNED_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def request_context(app: Flask) -> None:
    """Give each request an id (the caller's ``X-Request-ID`` if it is a plain token) and echo it."""

    @app.before_request
    def _request_id() -> None:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex

    @app.after_request
    def _echo(response: Response) -> Response:
        response.headers.setdefault("X-Request-ID", getattr(g, "request_id", ""))
        return response
