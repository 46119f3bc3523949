"""One SMART launch flow (authorize, callback, token renewal, reads) for every page that launches.

The clinician's receptor page (``/smart``) and the patient's page (``/patient``) are two SMART
apps of one OAuth client: the same PKCE, ``state``, ``aud``, client authentication, id_token checks
and server-side token store. What differs between them is a ``LaunchProfile``: the URL prefix (so
the callback and the cookie path), the cookie name, the resource types asked for, and whether the
signed-in user must be the patient (a patient portal). Views stay thin: they call ``start``,
``finish`` and ``load`` and turn nothing into tokens themselves.
"""
from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any, Sequence

from flask import Response, redirect, request

from app.config import Settings
from cds_hooks.fhir_client import FhirAuthError, FhirResponseError, FhirUnavailable, InvalidFhirRequest

from . import discovery, tokens
from .errors import SmartError
from .patient_data import PatientData, fetch_patient_data
from .session_store import LaunchRecord, PendingLaunch, RefreshBusy, Session, SessionStore

_TOPIC_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_ID_RE = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


@dataclass(frozen=True)
class LaunchProfile:
    """What one launching page needs from the shared flow."""

    prefix: str                                  # URL prefix of the blueprint, e.g. "/smart"
    cookie: str                                  # name of the opaque session cookie
    resource_types: tuple[str, ...]              # read scopes asked for (patient/<type>.rs)
    # Patient-facing: the signed-in user (OpenID Connect fhirUser) must be a Patient, and the
    # patient in context; anything else (a clinician, a relative, no identity) is refused.
    patient_facing: bool = False

    @property
    def callback_path(self) -> str:
        return self.prefix + "/callback"


class LaunchFlow:
    """The OAuth client side of SMART App Launch 2.2 for one profile, with its own session store."""

    def __init__(self, settings: Settings, profile: LaunchProfile, store: SessionStore):
        self.settings = settings
        self.profile = profile
        self.store = store          # shared by every worker and instance (cds_hooks.state)
        self.redirect_uri = settings.public_url.rstrip("/") + profile.callback_path
        self.timeout = (settings.fhir_connect_timeout, settings.fhir_read_timeout)

    # ---- the browser's session ------------------------------------------------------------
    def session(self) -> Session | None:
        return self.store.get(request.cookies.get(self.profile.cookie))

    def set_cookie(self, resp: Response, session: Session) -> Response:
        resp.set_cookie(self.profile.cookie, session.sid, max_age=self.settings.smart_session_ttl,
                        path=self.profile.prefix, secure=self.settings.smart_cookie_secure, httponly=True,
                        samesite=self.settings.smart_cookie_samesite.strip().title())
        return resp

    def sign_out(self, view: str | None, resp: Response) -> Response:
        """End this browser's session (its launches and tokens deleted server-side) and clear its cookie on
        ``resp`` (the page the profile shows after signing out).

        The form names the page's ``view``: a session is ended only from a page of its own, so another site
        cannot sign the user out with a forged form. Without a session (already ended) ``resp`` is returned all
        the same."""
        session = self.session()
        if session is not None:
            if view not in session.views:
                raise SmartError(400, "Sign-out not confirmed",
                                 "The sign-out did not come from a page of this session, so nothing was ended.",
                                 hint="Use the Sign out button on the page.")
            self.store.end(session)
        resp.delete_cookie(self.profile.cookie, path=self.profile.prefix, secure=self.settings.smart_cookie_secure,
                           httponly=True, samesite=self.settings.smart_cookie_samesite.strip().title())
        return resp

    def record(self, view: str) -> LaunchRecord:
        """The completed launch a page URL names, or a 401 page when this browser no longer holds it."""
        session = self.session()
        record = self.store.get_launch(session, view) if session else None
        if record is None:
            raise SmartError(401, "Session ended",
                             "This page belongs to a launch this browser no longer holds (expired or unknown).",
                             hint="Open the app again from the EHR.")
        return record

    # ---- authorize ------------------------------------------------------------------------
    def start(self, iss: str, launch_id: str | None) -> Response:
        """Send the browser to the EHR's authorize endpoint (EHR launch with ``launch``, else standalone)."""
        settings = self.settings
        if not discovery.issuer_allowed(iss, settings.smart_allowed_issuers):
            # Nothing is sent to an unknown server: no discovery, no redirect, no secret.
            raise SmartError(400, "Unknown EHR",
                             "This app is not registered with the FHIR server that asked to launch it, "
                             "so it will not connect to it.",
                             hint="An administrator can add the server to RECEPTOR_CDS_SMART_ISSUERS.")
        iss = discovery.normalise_base(iss)
        mode = "ehr" if launch_id else "standalone"
        meta = discovery.discover(iss, timeout=self.timeout, seconds=self.settings.smart_http_seconds,
                                  max_bytes=self.settings.smart_max_response_bytes)
        caps = discovery.capabilities(meta)
        if mode == "ehr" and caps and "launch-ehr" not in caps:
            raise SmartError(400, "EHR launch not supported", "The EHR does not advertise launch-ehr.")
        if mode == "standalone" and caps and "launch-standalone" not in caps:
            raise SmartError(400, "Standalone launch not supported",
                             "This FHIR server does not advertise launch-standalone, so the app cannot be started "
                             "outside the EHR.", hint="Open the app from a patient's chart in the EHR.")
        scopes = discovery.choose_scopes(meta, mode, resource_types=self.profile.resource_types,
                                         require_openid=self.profile.patient_facing)
        auth_method = tokens.choose_auth_method(settings, meta)
        session = self.session() or self.store.create()
        state = secrets.token_urlsafe(32)          # 256 bits; SMART asks for at least 122
        verifier = secrets.token_urlsafe(64)       # 86 characters, within PKCE's 43-128
        nonce = secrets.token_urlsafe(16) if "openid" in scopes else None
        self.store.add_pending(session, PendingLaunch(
            state=state, iss=iss, mode=mode, launch=launch_id, code_verifier=verifier,
            redirect_uri=self.redirect_uri, scope=" ".join(scopes), nonce=nonce, metadata=meta,
            auth_method=auth_method))
        url = tokens.authorize_url(settings, meta, auth_method=auth_method, redirect_uri=self.redirect_uri,
                                   scope=" ".join(scopes), state=state, code_verifier=verifier, aud=iss,
                                   launch=launch_id, nonce=nonce)
        return self.set_cookie(redirect(url, code=302), session)

    # ---- callback -------------------------------------------------------------------------
    def finish(self) -> tuple[Session, str, LaunchRecord]:
        """Check the EHR's answer, exchange the code, keep the tokens; returns (session, view id, record)."""
        settings = self.settings
        session = self.session()
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
        pending = self.store.pop_pending(session, state) if state else None
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
                                                  timeout=self.timeout, seconds=settings.smart_http_seconds,
                                                  max_bytes=settings.smart_max_response_bytes)
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
        if self.profile.patient_facing:
            _check_patient_user(fhir_user, patient)
        app_context, focus = read_app_context(token.get("appContext"), patient, notes)
        record = LaunchRecord(
            iss=pending.iss, mode=pending.mode, access_token=token["access_token"], expires_at=token["expires_at"],
            scope=granted, patient=patient, metadata=pending.metadata, auth_method=pending.auth_method,
            refresh_token=token.get("refresh_token"), lifetime=token["lifetime"], app_context=app_context, focus=focus,
            need_patient_banner=bool(token.get("need_patient_banner", True)), fhir_user=fhir_user, notes=notes)
        session = self.store.rotate(session)
        view = self.store.add_launch(session, record)
        return session, view, record

    # ---- reads with renewal ---------------------------------------------------------------
    def _refresh(self, record: LaunchRecord, used_token: str) -> None:
        # Across every worker and instance: one renewal at a time per launch (a rotating refresh token
        # presented twice is treated by the EHR as theft and ends the session).
        try:
            with self.store.refresh_lock(record):
                latest = self.store.reload_launch(record)
                if latest is None:
                    raise SmartError(401, "Session ended",
                                     "This page belongs to a launch this browser no longer holds (expired or "
                                     "unknown).", hint="Open the app again from the EHR.")
                if latest.access_token != used_token:
                    record.adopt(latest)        # another request renewed it meanwhile
                    return
                self._refresh_locked(record)
                self.store.save_launch(record)
        except RefreshBusy:
            raise SmartError(503, "Access is being renewed",
                             "Another page of this launch is renewing access to the EHR and has not finished.",
                             hint="Try again in a moment.") from None

    def _refresh_locked(self, record: LaunchRecord) -> None:
        if not record.refresh_token:
            raise SmartError(401, "Session expired", "Access to the EHR's data has expired and cannot be renewed.",
                             hint="Open the app again from the EHR.")
        new = tokens.refresh(self.settings, record.metadata, auth_method=record.auth_method,
                             refresh_token=record.refresh_token)
        record.access_token = new["access_token"]
        record.expires_at = new["expires_at"]
        record.lifetime = new["lifetime"]
        record.refresh_token = new.get("refresh_token") or record.refresh_token
        record.scope = new.get("scope") or record.scope

    def load(self, record: LaunchRecord, extra_types: Sequence[str] = ()) -> PatientData:
        """The launched patient's data, renewing the token once if it expired; failures become pages."""
        # Renew a little before expiry (10 s, or a quarter of a very short lifetime).
        if record.expires_at - min(10.0, record.lifetime / 4) <= time.time():
            self._refresh(record, record.access_token)
        for attempt in (1, 2):
            token = record.access_token
            try:
                return fetch_patient_data(self.settings, record.iss, token, record.patient, extra_types=extra_types)
            except FhirAuthError as e:
                if e.status == 401 and attempt == 1:
                    self._refresh(record, token)   # the token may have expired early or been revoked: once
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


def _check_patient_user(fhir_user: str | None, patient: str) -> None:
    """A patient-facing page shows one person's results to that person only.

    The id_token's ``fhirUser`` (verified) must name a Patient, and the same Patient the EHR put in
    context. A clinician, a relative (RelatedPerson) or a sign-in the EHR did not vouch for is refused:
    the wording of the page speaks to the patient, and proxy access is not built yet."""
    if not fhir_user:
        raise SmartError(403, "Sign-in not confirmed",
                         "The EHR did not confirm who is signed in, so this patient page is not shown.",
                         hint="Open the page again from the patient portal.")
    parts = fhir_user.rstrip("/").split("/")
    user_type, user_id = (parts[-2], parts[-1]) if len(parts) >= 2 else ("", "")
    if user_type != "Patient":
        raise SmartError(403, "This page is for patients",
                         f"The signed-in user is a {user_type or 'user of unknown type'}, not the patient. "
                         "This page explains results to the patient in plain words.",
                         hint="Clinicians use the Receptor CDS app from the chart.")
    if user_id != patient:
        raise SmartError(403, "Signed-in patient does not match",
                         "The patient who is signed in is not the patient whose results the EHR selected, "
                         "so nothing is shown.", hint="Open the page again from your own portal account.")


def read_app_context(raw: Any, patient: str, notes: list[str]) -> tuple[dict | None, str | None]:
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
