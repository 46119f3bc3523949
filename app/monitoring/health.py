"""``/healthz`` and ``/readyz``: for load balancers and orchestrators; no authentication, no patient data.

``/healthz`` answers 200 whenever the process can answer at all (liveness: restart it when this fails).
``/readyz`` answers 200 only when a CDS Hooks call could succeed now: trusted issuers are loaded (or
JWT checks are switched off for development), the feedback database answers ``SELECT 1``, the shared
state store answers a ping, and this server can open the SMART sessions the newest server on that store seals
(``session_key``: the same ``RECEPTOR_CDS_SECRET_KEY`` everywhere); otherwise 503 naming the failed check
(details go to the log, not the answer, since the endpoint is public).
"""
from __future__ import annotations

import json
import logging
from typing import Any, Callable

from flask import Flask, Response

log = logging.getLogger(__name__)


def _json(body: Any, status: int) -> Response:
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


def register_health(app: Flask, *, issuer_count: Callable[[], int], auth_disabled: bool,
                    feedback_ping: Callable[[], None], state_ping: Callable[[], None], state_kind: str,
                    session_key_check: Callable[[], dict[str, Any]] | None = None) -> None:
    @app.get("/healthz")
    def healthz() -> Response:
        return _json({"status": "ok"}, 200)

    @app.get("/readyz")
    def readyz() -> Response:
        checks: dict[str, dict[str, Any]] = {}
        count = issuer_count()
        checks["trusted_issuers"] = {"ok": count > 0 or auth_disabled, "count": count}
        for name, ping, extra in (("feedback_database", feedback_ping, {}),
                                  ("state_store", state_ping, {"backend": state_kind})):
            try:
                ping()
                checks[name] = {"ok": True, **extra}
            except Exception as exc:   # any failure means not ready; the reason goes to the log only
                log.warning("readiness: %s unavailable: %s", name, exc)
                checks[name] = {"ok": False, **extra}
        if session_key_check is not None and checks["state_store"]["ok"]:
            try:
                checks["session_key"] = session_key_check()
            except Exception as exc:
                log.warning("readiness: session key check failed: %s", exc)
                checks["session_key"] = {"ok": False}
        ready = all(c["ok"] for c in checks.values())
        return _json({"status": "ready" if ready else "not ready", "checks": checks}, 200 if ready else 503)
