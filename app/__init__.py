"""Receptor CDS web application: the CDS Hooks service and the SMART on FHIR app in one Flask app."""
from __future__ import annotations

import logging
import os
import secrets

from flask import Flask, Response
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from cds_hooks.decision import DecisionConfig
from cds_hooks.state import SealedStateStore, StateStoreError, open_state_store

from .config import Settings

STATE_DB_NAME = "receptor-cds-state.sqlite"
log = logging.getLogger(__name__)


def _announce_key(sessions: SealedStateStore) -> None:
    """Record this server's sealing key in the store (the newest server wins) and say loudly at start-up what
    cannot work: a generated key (sessions do not survive a restart), or a store last used under another key."""
    mismatch = sessions.claim()
    if mismatch and not sessions.keys.generated:
        log.error("SESSION KEY MISMATCH: %s", mismatch)
    if sessions.keys.generated:     # a restart always finds the last run's generated key: said here, not as an error
        log.warning("RECEPTOR_CDS_SECRET_KEY is not set: SMART sessions are sealed under a key generated for this "
                    "server process (key id %s); they end when it restarts, and another server process sharing this "
                    "state store cannot read them (its /readyz says so). Set RECEPTOR_CDS_SECRET_KEY.",
                    sessions.keys.kid)


def create_app(settings: Settings | None = None, *, decision_config: DecisionConfig | None = None) -> Flask:
    """Application factory (the Flask tutorial's shape): configuration in, app out.

    ``decision_config`` (tests only: e.g. a pinned ``today``) reaches the CDS service and the SMART page;
    the default is the decision core's defaults with today's date."""
    settings = settings or Settings.from_env()
    if decision_config is None and settings.region:
        decision_config = DecisionConfig(region=settings.region)
    flask_app = Flask(__name__)
    flask_app.config["RECEPTOR_SETTINGS"] = settings
    keys = settings.sealing_keys()          # ConfigError before anything opens (e.g. Redis without a key)
    flask_app.config["SECRET_KEY"] = settings.secret_key or secrets.token_urlsafe(32)
    state = open_state_store(settings.redis_url,
                             settings.state_db or os.path.join(flask_app.instance_path, STATE_DB_NAME))
    flask_app.extensions["receptor_state"] = state
    # SMART sessions carry tokens and the patient in context: sealed at rest (the replay cache holds only hashes).
    sessions = SealedStateStore(state, keys, marker_ttl=max(settings.smart_session_ttl, 24 * 3600))
    flask_app.extensions["receptor_sessions"] = sessions
    _announce_key(sessions)

    from .monitoring import register_health, register_metrics, request_context
    request_context(flask_app)
    register_metrics(flask_app, expose=settings.metrics_enabled)

    from cds_hooks.service import create_cds_blueprint
    cds = create_cds_blueprint(settings.service_settings(), state=state, decision_config=decision_config)
    flask_app.register_blueprint(cds)

    from .smart import create_smart_blueprint
    smart = create_smart_blueprint(settings, sessions, decision_config=decision_config)
    flask_app.register_blueprint(smart)

    from .patient import create_patient_blueprint
    flask_app.register_blueprint(create_patient_blueprint(settings, sessions))

    register_health(flask_app, issuer_count=lambda: len(cds.jwt_verifier.issuers),
                    auth_disabled=settings.cds_auth_disabled, feedback_ping=cds.feedback_store.ping,
                    state_ping=state.ping, state_kind=state.kind, session_key_check=sessions.check)

    @flask_app.errorhandler(NotFound)
    @flask_app.errorhandler(MethodNotAllowed)
    def _routing_error(exc: HTTPException):
        # One dispatcher for 404/405 from routing, by path: each blueprint answers in its own format under
        # its own prefix (JSON OperationOutcomes under /cds-services, pages under /smart); elsewhere the default.
        for part in (cds, smart):
            if part.owns_path():
                return part.routing_error(exc)
        return exc

    @flask_app.errorhandler(StateStoreError)
    def _state_unavailable(exc: StateStoreError):
        # Blueprints answer in their own format first (the CDS service: a 503 OperationOutcome); this is
        # the answer anywhere else. Fail closed: nothing continues without the shared state.
        flask_app.logger.error("shared state store unavailable: %s", exc)
        return "Receptor CDS is briefly unavailable (its shared state store cannot be reached). Try again.", 503

    @flask_app.get("/favicon.ico")
    def _favicon():
        # Browsers ask for it on every page load; no icon is shipped, so answer "no content" (cached for a day)
        # rather than a 404 on every page.
        return Response(status=204, headers={"Cache-Control": "public, max-age=86400"})

    @flask_app.after_request
    def _baseline_headers(resp):
        # Answers outside the SMART pages (CDS Hooks JSON, a 404 at the root, /favicon.ico) get a
        # locked-down baseline; the SMART blueprint sets its own, stricter-where-needed policy.
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
        return resp

    return flask_app
