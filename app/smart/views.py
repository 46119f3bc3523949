"""Routes of the SMART app: launch, callback, the receptor page, the public JWKS.

Thin views: discovery and scopes live in ``discovery``, the OAuth exchange in ``tokens``,
FHIR reads in ``patient_data``, the chart in ``chart``. Every failure is a ``SmartError``
rendered as a page with a specific message and status; nothing here logs a token or patient data.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime, timezone

from flask import Blueprint, Response, jsonify, make_response, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException, InternalServerError

from app.config import Settings
from cds_hooks import wording
from cds_hooks.decision import DEFAULT_CONFIG, DecisionConfig, assess
from cds_hooks.state import StateStore, StateStoreError

from . import discovery
from .chart import build_chart
from .client_keys import public_jwks
from .errors import SmartError
from .launch_flow import LaunchFlow, LaunchProfile
from .session_store import SessionStore
from .patient_data import patient_display
from .security import apply_security_headers

log = logging.getLogger(__name__)

COOKIE = "receptor_smart_session"
# The clinician's page: reads what the decision core reads; any signed-in user type.
PROFILE = LaunchProfile(prefix="/smart", cookie=COOKIE, resource_types=discovery.RESOURCE_TYPES)
_TOPIC_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
SUBTYPE_TOPIC = "receptor-subtype"
_HTTP_TITLES = {404: "Page not found", 405: "Request not allowed here", 500: "Something went wrong in Receptor CDS"}
_HTTP_MESSAGES = {404: "This address is not a page of the Receptor CDS app.",
                  405: "This address of the Receptor CDS app does not accept this kind of request."}


def check_settings(settings: Settings) -> None:
    """Refuse, at start-up, SMART settings that would only fail at the first launch.

    A SameSite value the cookie library does not know raises on every response that sets the
    cookie, and browsers drop a ``SameSite=None`` cookie that is not ``Secure`` (so every launch
    inside an EHR iframe would end on "No launch in progress")."""
    samesite = (settings.smart_cookie_samesite or "").strip().title()
    if samesite not in ("Lax", "Strict", "None"):
        raise ValueError(f"RECEPTOR_CDS_SMART_COOKIE_SAMESITE must be Lax, Strict or None, "
                         f"not {settings.smart_cookie_samesite!r}")
    if samesite == "None" and not settings.smart_cookie_secure:
        raise ValueError("RECEPTOR_CDS_SMART_COOKIE_SAMESITE=None needs a Secure cookie (https); "
                         "browsers drop it otherwise")
    if settings.smart_client_auth not in ("auto", "client_secret_basic", "private_key_jwt"):
        raise ValueError(f"RECEPTOR_CDS_SMART_CLIENT_AUTH must be auto, client_secret_basic or private_key_jwt, "
                         f"not {settings.smart_client_auth!r}")
    for origin in settings.smart_frame_ancestors:
        # An origin (CSP host-source, "*." subdomain wildcard allowed); anything else could smuggle
        # another directive into the Content-Security-Policy header.
        if not re.fullmatch(r"https?://(\*\.)?[A-Za-z0-9.\-]+(:[0-9]{1,5})?", origin):
            raise ValueError(f"RECEPTOR_CDS_FRAME_ANCESTORS entries must be origins like https://ehr.example.org, "
                             f"not {origin!r}")


def build_blueprint(settings: Settings, state: StateStore, *,
                    decision_config: DecisionConfig | None = None) -> Blueprint:
    check_settings(settings)
    bp = Blueprint("smart", __name__, url_prefix="/smart", template_folder="templates",
                   static_folder="static", static_url_path="/static")
    flow = LaunchFlow(settings, PROFILE, SessionStore(state, settings.smart_session_ttl, settings.smart_session_idle))

    def _ours() -> bool:
        return request.blueprint == "smart" or request.path == "/smart" or request.path.startswith("/smart/")

    # App-wide hook, scoped to our paths: a blueprint's own after_request never sees a 404/405 for
    # a URL under /smart that matched no route, and those pages need the same headers.
    @bp.after_app_request
    def _headers(resp: Response) -> Response:
        return apply_security_headers(resp, settings) if _ours() else resp

    @bp.errorhandler(SmartError)
    def _smart_error(err: SmartError):
        log.info("SMART page error %s: %s", err.status, err.title)
        return render_template("smart/error.html", error=err), err.status

    def _http_error_page(err: HTTPException):
        page = SmartError(err.code or 500, _HTTP_TITLES.get(err.code or 500, err.name),
                          _HTTP_MESSAGES.get(err.code or 500, "The request could not be handled."),
                          hint="Open the app again from the EHR." if err.code in (404, 405) else None)
        return render_template("smart/error.html", error=page), page.status

    @bp.errorhandler(StateStoreError)
    def _state_unavailable(err: StateStoreError):
        log.error("SMART app: the shared state store is unavailable: %s", err)
        page = SmartError(503, "Receptor CDS is briefly unavailable",
                          "The app cannot reach its session storage right now, so it cannot continue the launch "
                          "or show the page.", hint="Try again in a moment.")
        return render_template("smart/error.html", error=page), 503

    @bp.errorhandler(HTTPException)
    def _http_error(err: HTTPException):
        return _http_error_page(err)

    @bp.app_errorhandler(404)
    @bp.app_errorhandler(405)
    def _unrouted(err: HTTPException):
        # Only URLs under /smart get our page; anything else keeps Flask's default answer.
        return _http_error_page(err) if _ours() else err

    bp.routing_error = _http_error_page   # type: ignore[attr-defined]  (the app's 404/405 dispatcher)
    bp.owns_path = _ours                  # type: ignore[attr-defined]

    @bp.errorhandler(InternalServerError)
    def _internal(err: InternalServerError):
        # Flask has already logged the exception; the user gets a plain page, never a traceback.
        page = SmartError(500, "Something went wrong in Receptor CDS",
                          "The page could not be built because of an error in the app. Nothing was changed "
                          "in the EHR.", hint="Try again; if it happens again, tell the app's administrator.")
        return render_template("smart/error.html", error=page), 500

    @bp.get("/launch")
    def launch():
        iss = request.args.get("iss")
        launch_id = request.args.get("launch")
        if not iss:
            if launch_id:
                raise SmartError(400, "Launch is missing the EHR address",
                                 "The EHR sent a launch without its FHIR server address (iss).")
            return render_template("smart/choose_server.html", issuers=settings.smart_allowed_issuers)
        return flow.start(iss, launch_id)

    @bp.get("/callback")
    def callback():
        session, view, record = flow.finish()
        target = url_for("smart.page", view=view)
        focus = record.focus
        return flow.set_cookie(redirect(target + (f"#{focus}" if focus else ""), code=303), session)

    @bp.get("/app/<view>")
    def page(view: str):
        record = flow.record(view)
        data = flow.load(record)
        assessment = assess(data.resources, decision_config or DEFAULT_CONFIG)
        chart = build_chart(assessment.history, assessment.events)
        groups = wording.group_alerts(assessment.alerts, assessment)
        alert_ids = _alert_ids(groups)
        known_ids = {SUBTYPE_TOPIC, *(i for ids in alert_ids.values() for i in ids)}
        focus = record.focus if record.focus in known_ids else None
        notes = list(record.notes) + data.notes
        if record.focus and focus is None:
            notes.append(f"The card that opened this page pointed at '{record.focus}', which this page does not show.")
        granted = sorted(discovery.granted_types(record.scope))
        return render_template(
            "smart/page.html", a=assessment, chart=chart, patient_name=patient_display(data.patient),
            patient=data.patient, record=record, focus=focus, groups=groups, alert_ids=alert_ids, notes=notes,
            granted=granted, banner=record.need_patient_banner, words=wording, view=view,
            read_at=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))

    @bp.post("/logout")
    def logout():
        signed_out = SmartError(200, "Signed out",
                                "You have signed out of Receptor CDS: its access to the EHR from this browser has "
                                "ended and the data it read is no longer held.",
                                hint="Open the app again from the EHR to continue.")
        return flow.sign_out(request.form.get("view"),
                             make_response(render_template("smart/error.html", error=signed_out), 200))

    @bp.get("/.well-known/jwks.json")
    def jwks():
        resp = jsonify(public_jwks(settings.smart_private_key_path, settings.smart_private_key_alg))
        resp.headers["Cache-Control"] = "public, max-age=3600"
        return resp

    return bp


def _alert_ids(groups) -> dict[int, list[str]]:
    """Element ids per pitfall group (one section per action, as one card per action): the lead's topic code
    first, then each covered topic, so a card's focus on any pitfall it answers lands here. Each id once."""
    ids: dict[int, list[str]] = {}
    used: set[str] = {SUBTYPE_TOPIC, "treatment-options", "data-quality-notes", "receptor-history"}
    for i, group in enumerate(groups):
        for topic in group.topics:
            if _TOPIC_RE.match(topic or "") and topic not in used:
                ids.setdefault(i, []).append(topic)
                used.add(topic)
    return ids
