"""Routes of the patient page: a SMART launch from the patient portal (or standalone), and the page.

- ``/patient/launch``: EHR launch from the portal (``iss`` + ``launch``) or standalone (``iss``);
- ``/patient/callback``: the registered redirect URI for this page;
- ``/patient/app/<view>``: the explanation for the launched patient;
- ``/patient/logout`` (POST, from the page's Sign out button): ends the session as the clinician page does.

The OAuth client, PKCE, ``state``, token store and renewal are the SMART app's own
(``app.smart.launch_flow``), with a patient-facing profile: patient-scoped read access to the
resource types the decision core reads, ``openid fhirUser`` always, and the signed-in user must be
that Patient. The page is built from ``assess()`` exactly as the clinician's page is.
"""
from __future__ import annotations

import logging
from datetime import date

from flask import Blueprint, Response, make_response, redirect, request, url_for
from werkzeug.exceptions import HTTPException

from app.config import Settings
from app.smart.errors import SmartError
from app.smart.launch_flow import LaunchFlow, LaunchProfile
from app.smart.patient_data import patient_display
from app.smart.security import apply_security_headers
from app.smart.session_store import SessionStore
from cds_hooks.state import StateStore

from cds_hooks.decision.reads import SEARCHED_TYPES

from .explain import explain
from .render import render_error, render_page, render_signed_out

log = logging.getLogger(__name__)

# What the patient page asks to read: every type the decision core reads (its one declaration,
# cds_hooks.decision.reads), since the page explains the same assessment.
PATIENT_RESOURCE_TYPES: tuple[str, ...] = SEARCHED_TYPES
PROFILE = LaunchProfile(prefix="/patient", cookie="receptor_patient_session",
                        resource_types=PATIENT_RESOURCE_TYPES, patient_facing=True)


def build_blueprint(settings: Settings, state: StateStore) -> Blueprint:
    bp = Blueprint("patient", __name__, url_prefix="/patient", static_folder="static",
                   static_url_path="/static")
    flow = LaunchFlow(settings, PROFILE, SessionStore(state, settings.smart_session_ttl, settings.smart_session_idle))

    def _ours() -> bool:
        return request.blueprint == "patient" or request.path.startswith("/patient/")

    def _css() -> str:
        return url_for("patient.static", filename="patient.css")

    @bp.after_app_request
    def _headers(resp: Response) -> Response:
        return apply_security_headers(resp, settings) if _ours() else resp

    @bp.errorhandler(SmartError)
    def _error(err: SmartError):
        log.info("patient page error %s: %s", err.status, err.title)
        return render_error(err.title, err.message, err.hint, stylesheet_url=_css()), err.status

    @bp.errorhandler(HTTPException)
    def _http_error(err: HTTPException):
        message = ("This address is not a page of Receptor CDS." if err.code == 404
                   else "The request could not be handled.")
        return render_error(err.name, message, "Open the page again from your patient portal.",
                            stylesheet_url=_css()), err.code or 500

    @bp.get("/launch")
    def launch():
        iss = request.args.get("iss")
        if not iss:
            raise SmartError(400, "Open this page from your patient portal",
                             "The link did not say which health record to read (the iss address is missing).",
                             hint="Use the link in your patient portal.")
        return flow.start(iss, request.args.get("launch"))

    @bp.get("/callback")
    def callback():
        session, view, _record = flow.finish()
        return flow.set_cookie(redirect(url_for("patient.page", view=view), code=303), session)

    @bp.get("/app/<view>")
    def page(view: str):
        from cds_hooks.decision import DecisionConfig, assess

        record = flow.record(view)
        data = flow.load(record, extra_types=PATIENT_RESOURCE_TYPES)
        if data.patient is None:
            raise SmartError(404, "Your record was not found",
                             "The health record has no patient entry for this sign-in, so nothing is shown.",
                             hint="Ask your care team to check your portal account.")
        assessment = assess(data.resources, DecisionConfig(today=date.today()))
        ex = explain(assessment, patient_display(data.patient), partial_data=bool(data.notes))
        return render_page(ex, stylesheet_url=_css(), sign_out=(url_for("patient.logout"), view))

    @bp.post("/logout")
    def logout():
        # The clinician page's sign-out (LaunchFlow.sign_out): the session, its launches and tokens are deleted
        # server-side and the cookie is cleared; only a form from a page of the session ends it.
        return flow.sign_out(request.form.get("view"),
                             make_response(render_signed_out(stylesheet_url=_css()), 200))

    return bp
