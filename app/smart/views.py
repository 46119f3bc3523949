"""Routes of the SMART app: launch, callback, the receptor page, the public JWKS.

Thin views: discovery and scopes live in ``discovery``, the OAuth exchange in ``tokens``,
FHIR reads in ``patient_data``, the chart in ``chart``. Every failure is a ``SmartError``
rendered as a page with a specific message and status; nothing here logs a token or patient data.
"""
from __future__ import annotations

import json
import logging
import re
import secrets
import time
from datetime import date, datetime, timezone
from typing import Any

from flask import Blueprint, Response, jsonify, make_response, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException, InternalServerError

from app.config import Settings
from cds_hooks.fhir_client import FhirAuthError, FhirResponseError, FhirUnavailable, InvalidFhirRequest

from . import discovery, tokens
from .chart import build_chart
from .client_keys import public_jwks
from .errors import SmartError
from .patient_data import fetch_patient_data, patient_display
from .security import apply_security_headers
from .session_store import LaunchRecord, PendingLaunch, Session, SessionStore

log = logging.getLogger(__name__)

COOKIE = "receptor_smart_session"
_TOPIC_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_ID_RE = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
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


def build_blueprint(settings: Settings) -> Blueprint:
    check_settings(settings)
    bp = Blueprint("smart", __name__, url_prefix="/smart", template_folder="templates",
                   static_folder="static", static_url_path="/static")
    store = SessionStore(settings.smart_session_ttl)
    redirect_uri = settings.public_url.rstrip("/") + "/smart/callback"
    timeout = (settings.fhir_connect_timeout, settings.fhir_read_timeout)

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

    @bp.errorhandler(HTTPException)
    def _http_error(err: HTTPException):
        return _http_error_page(err)

    @bp.app_errorhandler(404)
    @bp.app_errorhandler(405)
    def _unrouted(err: HTTPException):
        # Only URLs under /smart get our page; anything else keeps Flask's default answer.
        return _http_error_page(err) if _ours() else err

    @bp.errorhandler(InternalServerError)
    def _internal(err: InternalServerError):
        # Flask has already logged the exception; the user gets a plain page, never a traceback.
        page = SmartError(500, "Something went wrong in Receptor CDS",
                          "The page could not be built because of an error in the app. Nothing was changed "
                          "in the EHR.", hint="Try again; if it happens again, tell the app's administrator.")
        return render_template("smart/error.html", error=page), 500

    def _session() -> Session | None:
        return store.get(request.cookies.get(COOKIE))

    def _set_cookie(resp: Response, session: Session) -> Response:
        resp.set_cookie(COOKIE, session.sid, max_age=settings.smart_session_ttl, path="/smart",
                        secure=settings.smart_cookie_secure, httponly=True,
                        samesite=settings.smart_cookie_samesite.strip().title())
        return resp

    @bp.get("/launch")
    def launch():
        iss = request.args.get("iss")
        launch_id = request.args.get("launch")
        if not iss:
            if launch_id:
                raise SmartError(400, "Launch is missing the EHR address",
                                 "The EHR sent a launch without its FHIR server address (iss).")
            return render_template("smart/choose_server.html", issuers=settings.smart_allowed_issuers)
        if not discovery.issuer_allowed(iss, settings.smart_allowed_issuers):
            # Nothing is sent to an unknown server: no discovery, no redirect, no secret.
            raise SmartError(400, "Unknown EHR",
                             "This app is not registered with the FHIR server that asked to launch it, "
                             "so it will not connect to it.",
                             hint="An administrator can add the server to RECEPTOR_CDS_SMART_ISSUERS.")
        iss = discovery.normalise_base(iss)
        mode = "ehr" if launch_id else "standalone"
        meta = discovery.discover(iss, timeout=timeout)
        caps = discovery.capabilities(meta)
        if mode == "ehr" and caps and "launch-ehr" not in caps:
            raise SmartError(400, "EHR launch not supported", "The EHR does not advertise launch-ehr.")
        if mode == "standalone" and caps and "launch-standalone" not in caps:
            raise SmartError(400, "Standalone launch not supported",
                             "This FHIR server does not advertise launch-standalone, so the app cannot be started "
                             "outside the EHR.", hint="Open the app from a patient's chart in the EHR.")
        scopes = discovery.choose_scopes(meta, mode)
        auth_method = tokens.choose_auth_method(settings, meta)
        session = _session() or store.create()
        state = secrets.token_urlsafe(32)          # 256 bits; SMART asks for at least 122
        verifier = secrets.token_urlsafe(64)       # 86 characters, within PKCE's 43-128
        nonce = secrets.token_urlsafe(16) if "openid" in scopes else None
        store.add_pending(session, PendingLaunch(
            state=state, iss=iss, mode=mode, launch=launch_id, code_verifier=verifier, redirect_uri=redirect_uri,
            scope=" ".join(scopes), nonce=nonce, metadata=meta, auth_method=auth_method))
        url = tokens.authorize_url(settings, meta, auth_method=auth_method, redirect_uri=redirect_uri,
                                   scope=" ".join(scopes), state=state, code_verifier=verifier, aud=iss,
                                   launch=launch_id, nonce=nonce)
        return _set_cookie(redirect(url, code=302), session)

    @bp.get("/callback")
    def callback():
        session = _session()
        # The EHR's own error code (if any) is shown, escaped, when the answer cannot be matched to a
        # launch: integrators need it. Its description is not, since nothing ties it to us.
        err_code = request.args.get("error")
        said = f" The answer carried the error code '{err_code[:64]}'." if err_code else ""
        if session is None:
            raise SmartError(400, "No launch in progress",
                             "This browser has no launch waiting for an answer (the session cookie is missing "
                             "or expired)." + said,
                             hint="Start the app again from the EHR. Inside an EHR iframe the cookie needs "
                                  "SameSite=None and Secure (RECEPTOR_CDS_SMART_COOKIE_SAMESITE=None).")
        state = request.args.get("state") or ""
        pending = store.pop_pending(session, state) if state else None
        if pending is None:
            raise SmartError(400, "Launch state mismatch",
                             "The answer from the EHR does not belong to a launch started in this browser "
                             "(state missing, unknown or already used), so it was not accepted." + said,
                             hint="Start the app again from the EHR.")
        if request.args.get("error"):
            err = request.args["error"]
            desc = request.args.get("error_description") or ""
            status = 403 if err == "access_denied" else 400
            title = "Access was not granted" if err == "access_denied" else "The EHR refused the launch"
            raise SmartError(status, title, f"The EHR answered '{err}'" + (f": {desc}" if desc else "."))
        code = request.args.get("code")
        if not code:
            raise SmartError(400, "No authorization code", "The EHR's answer carries neither a code nor an error.")
        token = tokens.exchange_code(settings, pending.metadata, auth_method=pending.auth_method, code=code,
                                     redirect_uri=pending.redirect_uri, code_verifier=pending.code_verifier)
        granted = token.get("scope") or pending.scope
        notes: list[str] = []
        fhir_user = None
        if "openid" in pending.scope.split():
            if token.get("id_token"):
                claims = tokens.validate_id_token(token["id_token"], meta=pending.metadata, iss=pending.iss,
                                                  client_id=settings.smart_client_id or "", nonce=pending.nonce,
                                                  timeout=timeout)
                fhir_user = claims.get("fhirUser") if isinstance(claims.get("fhirUser"), str) else None
            else:
                notes.append("The EHR did not send an identity token; the signed-in user is not shown.")
        patient = token.get("patient")
        if not isinstance(patient, str) or not _ID_RE.match(patient):
            if pending.mode == "standalone":
                raise SmartError(409, "No patient selected",
                                 "The EHR granted access without choosing a patient, and this app never guesses one.",
                                 hint="Start again and pick a patient in the EHR's patient picker.")
            raise SmartError(409, "No patient in context",
                             "The EHR launched the app without a patient in context, and this app never guesses one.",
                             hint="Open the app from a patient's chart.")
        app_context, focus = _read_app_context(token.get("appContext"), patient, notes)
        record = LaunchRecord(
            iss=pending.iss, mode=pending.mode, access_token=token["access_token"], expires_at=token["expires_at"],
            scope=granted, patient=patient, metadata=pending.metadata, auth_method=pending.auth_method,
            refresh_token=token.get("refresh_token"), lifetime=token["lifetime"], app_context=app_context, focus=focus,
            need_patient_banner=bool(token.get("need_patient_banner", True)), fhir_user=fhir_user, notes=notes)
        session = store.rotate(session)
        view = store.add_launch(session, record)
        target = url_for("smart.page", view=view)
        return _set_cookie(redirect(target + (f"#{focus}" if focus else ""), code=303), session)

    @bp.get("/app/<view>")
    def page(view: str):
        session = _session()
        record = session.launches.get(view) if session else None
        if record is None:
            raise SmartError(401, "Session ended",
                             "This page belongs to a launch this browser no longer holds (expired or unknown).",
                             hint="Open the app again from the EHR.")
        data = _load_with_refresh(record)
        from cds_hooks.decision import DecisionConfig, assess
        assessment = assess(data.resources, DecisionConfig(today=date.today()))
        chart = build_chart(assessment.history, assessment.events)
        alert_ids = _alert_ids(assessment.alerts)
        known_ids = {SUBTYPE_TOPIC, *alert_ids.values()}
        focus = record.focus if record.focus in known_ids else None
        notes = list(record.notes) + data.notes
        if record.focus and focus is None:
            notes.append(f"The card that opened this page pointed at '{record.focus}', which this page does not show.")
        granted = sorted(discovery.granted_types(record.scope))
        return render_template(
            "smart/page.html", a=assessment, chart=chart, patient_name=patient_display(data.patient),
            patient=data.patient, record=record, focus=focus, alert_ids=alert_ids, notes=notes,
            granted=granted, banner=record.need_patient_banner,
            read_at=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))

    @bp.get("/.well-known/jwks.json")
    def jwks():
        resp = jsonify(public_jwks(settings.smart_private_key_path, settings.smart_private_key_alg))
        resp.headers["Cache-Control"] = "public, max-age=3600"
        return resp

    def _refresh(record: LaunchRecord, used_token: str) -> None:
        with record.refresh_lock:
            if record.access_token != used_token:
                return                  # another request renewed it meanwhile
            _refresh_locked(record)

    def _refresh_locked(record: LaunchRecord) -> None:
        if not record.refresh_token:
            raise SmartError(401, "Session expired", "Access to the EHR's data has expired and cannot be renewed.",
                             hint="Open the app again from the EHR.")
        new = tokens.refresh(settings, record.metadata, auth_method=record.auth_method,
                             refresh_token=record.refresh_token)
        record.access_token = new["access_token"]
        record.expires_at = new["expires_at"]
        record.lifetime = new["lifetime"]
        record.refresh_token = new.get("refresh_token") or record.refresh_token
        record.scope = new.get("scope") or record.scope

    def _load_with_refresh(record: LaunchRecord):
        # Renew a little before expiry (10 s, or a quarter of a very short lifetime).
        if record.expires_at - min(10.0, record.lifetime / 4) <= time.time():
            _refresh(record, record.access_token)
        for attempt in (1, 2):
            token = record.access_token
            try:
                return fetch_patient_data(settings, record.iss, token, record.patient)
            except FhirAuthError as e:
                if e.status == 401 and attempt == 1:
                    _refresh(record, token)   # the token may have expired early or been revoked: once
                    continue
                if e.status == 401:
                    raise SmartError(401, "EHR refused the credentials",
                                     "The FHIR server did not accept this app's access even after renewing it.",
                                     hint="Open the app again from the EHR.") from None
                granted = discovery.granted_types(record.scope)
                missing = [t for t in ("Patient", "Observation") if t not in granted]
                why = (f"The access granted at launch does not include {' or '.join(missing)} "
                       f"(granted: {', '.join(sorted(granted)) or 'no resource types'})."
                       if missing else "The access granted at launch does not cover them.")
                raise SmartError(403, "Access to the patient's results was refused",
                                 "The FHIR server refused to show the records this page needs (HTTP 403). " + why,
                                 hint="Ask the EHR administrator which scopes the app is granted.") from None
            except FhirUnavailable:
                raise SmartError(503, "EHR's FHIR server not reachable",
                                 "The FHIR server did not answer in time, so the page cannot show current data.",
                                 hint="Try again in a moment.") from None
            except FhirResponseError as e:
                if e.status in (502, 503, 504):
                    raise SmartError(503, "EHR's FHIR server not reachable",
                                     f"The EHR's gateway could not reach its FHIR server (HTTP {e.status}).",
                                     hint="Try again in a moment.") from None
                raise SmartError(502, "EHR's FHIR server gave an unusable answer",
                                 f"The FHIR server's answer could not be used ({e}).") from None
            except InvalidFhirRequest as e:
                raise SmartError(502, "EHR's FHIR server gave an unusable answer",
                                 f"The FHIR server's answer could not be used ({e}).") from None
        raise AssertionError("unreachable")

    return bp


def _read_app_context(raw: Any, patient: str, notes: list[str]) -> tuple[dict | None, str | None]:
    """CDS Hooks appContext from the subtype/pitfall card: {"patient": ..., "focus": <topic code>}."""
    if raw is None:
        return None, None
    try:
        ctx = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        notes.append("The launch carried an app context that is not JSON; it was ignored.")
        return None, None
    if not isinstance(ctx, dict):
        notes.append("The launch carried an app context that is not a JSON object; it was ignored.")
        return None, None
    if ctx.get("patient") not in (None, patient):
        notes.append("The card that opened this page was about another patient; its focus was ignored.")
        return ctx, None
    focus = ctx.get("focus")
    if isinstance(focus, str) and _TOPIC_RE.match(focus):
        return ctx, focus
    return ctx, None


def _alert_ids(alerts) -> dict[int, str]:
    """Element id per alert: its topic code, first occurrence only (ids must be unique)."""
    ids: dict[int, str] = {}
    used: set[str] = {SUBTYPE_TOPIC, "treatment-options", "data-quality-notes", "receptor-history"}
    for i, alert in enumerate(alerts):
        topic = alert.topic if _TOPIC_RE.match(alert.topic or "") else None
        if topic and topic not in used:
            ids[i] = topic
            used.add(topic)
    return ids
