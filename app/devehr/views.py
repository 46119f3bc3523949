"""Pages of the DEVELOPMENT EHR: patient list, chart with CDS cards, SMART launch, draft orders.

Demo/test infrastructure that plays a real EHR towards the product: "open chart" runs CDS
Hooks discovery, resolves the service's prefetch templates against the FHIR server, sends a
signed ``patient-view`` call and shows the cards; a card's ``smart`` link or the "open app"
button creates a launch context and performs a real SMART EHR launch. The pages use no
JavaScript (plain forms), so they work under a strict CSP and in any test browser.
"""
from __future__ import annotations

import json
import logging
import threading
import uuid
from collections import OrderedDict
from datetime import datetime, timezone
from typing import Any, Callable
from urllib.parse import urlencode, urlsplit

import requests
from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, url_for

from .cards import card_topic, render_markdown, sort_cards, subtype_summary
from .cds_client import CdsCallError, CdsClient, CdsExchange
from .patients import case_descriptions, list_patients
from .prefetch import fetch_prefetch
from .settings import ORDERABLE_DRUGS, RXNORM, DevEhrConfig
from .signing import EhrSigner, fhir_access_token

from app.smart.patient_data import patient_display
from cds_hooks.decision.reads import patient_scopes

log = logging.getLogger(__name__)

# What the EHR grants itself for its own reads, and what it hands the CDS service (patient-scoped).
EHR_SCOPE = "user/*.rs"
CDS_SCOPE = " ".join(patient_scopes(".rs"))   # every type the decision core reads (cds_hooks.decision.reads)
MAX_EXCHANGES = 200

CreateLaunch = Callable[..., str]   # (patient id, appContext, user=None) -> launch id


class ExchangeStore:
    """Recent hook exchanges in memory, so a dismissed card can be hidden without re-calling."""

    def __init__(self, limit: int = MAX_EXCHANGES) -> None:
        self._items: OrderedDict[str, CdsExchange] = OrderedDict()
        self._lock = threading.Lock()
        self._limit = limit

    def add(self, exchange: CdsExchange) -> None:
        with self._lock:
            self._items[exchange.id] = exchange
            while len(self._items) > self._limit:
                self._items.popitem(last=False)

    def get(self, exchange_id: str) -> CdsExchange | None:
        with self._lock:
            return self._items.get(exchange_id)


def create_devehr_blueprint(config: DevEhrConfig, signer: EhrSigner, create_launch: CreateLaunch) -> Blueprint:
    bp = Blueprint("devehr", __name__, template_folder="templates", static_folder="static",
                   static_url_path="/devehr-static")
    cds = CdsClient(config.cds_services_url, signer)
    exchanges = ExchangeStore()
    fhir = requests.Session()
    descriptions = case_descriptions(config.cases_dir)

    def ehr_token() -> str:
        return fhir_access_token(config.smart_secret, config.fhir_base, scope=EHR_SCOPE, client_id="devehr")

    def read_patient(patient_id: str) -> dict[str, Any] | None:
        try:
            response = fhir.get(f"{config.fhir_upstream.rstrip('/')}/Patient/{patient_id}",
                                headers={"Authorization": f"Bearer {ehr_token()}",
                                         "Accept": "application/fhir+json"}, timeout=(3.05, 10))
        except requests.RequestException:
            return None
        return response.json() if response.ok else None

    def hook_body(hook: str, patient_id: str, context: dict[str, Any], prefetch: dict[str, Any]) -> dict[str, Any]:
        token = fhir_access_token(config.smart_secret, config.fhir_base, scope=CDS_SCOPE,
                                  client_id=config.cds_client_id, patient=patient_id)
        return {"hookInstance": str(uuid.uuid4()), "hook": hook, "fhirServer": config.fhir_base,
                "fhirAuthorization": {"access_token": token, "token_type": "Bearer", "expires_in": 300,
                                      "scope": CDS_SCOPE, "subject": config.cds_client_id, "patient": patient_id},
                "context": context, "prefetch": prefetch}

    def run_hook(hook: str, patient_id: str, context: dict[str, Any]) -> list[CdsExchange]:
        """Discovery, then one call per service registered for ``hook``, prefetch resolved per service."""
        try:
            services = [s for s in cds.discover() if s.get("hook") == hook and s.get("id")]
        except CdsCallError as exc:
            failed = CdsExchange(str(uuid.uuid4()), "(discovery)", hook, patient_id, {}, {},
                                 status=exc.status, error=_describe(exc))
            exchanges.add(failed)
            return [failed]
        done: list[CdsExchange] = []
        for service in services:
            templates = service.get("prefetch") if isinstance(service.get("prefetch"), dict) else {}
            prefetch, outcome = fetch_prefetch(templates, context, config.fhir_upstream, ehr_token(), session=fhir)
            body = hook_body(hook, patient_id, context, prefetch)
            shown = {k: v for k, v in body.items() if k != "fhirAuthorization"}
            shown["fhirAuthorization"] = {k: v for k, v in body["fhirAuthorization"].items() if k != "access_token"}
            exchange = CdsExchange(str(uuid.uuid4()), service["id"], hook, patient_id, shown, outcome)
            try:
                exchange.status, exchange.cards = cds.call(service["id"], body)
            except CdsCallError as exc:
                exchange.status, exchange.error = exc.status, _describe(exc)
            exchanges.add(exchange)
            done.append(exchange)
        if not services:
            none = CdsExchange(str(uuid.uuid4()), "(none)", hook, patient_id, {}, {},
                               error=f"No CDS service is registered for {hook}")
            exchanges.add(none)
            done.append(none)
        return done

    def render_chart(patient_id: str, runs: list[CdsExchange], notice: str | None = None, **extra: Any) -> str:
        patient = read_patient(patient_id)
        return render_template("devehr/chart.html", patient_id=patient_id, patient=patient,
                               patient_name=patient_display(patient) if patient else patient_id,
                               description=descriptions.get(patient_id), runs=runs, notice=notice,
                               render_markdown=render_markdown, sort_cards=sort_cards, card_topic=card_topic,
                               subtype_summary=subtype_summary, drugs=ORDERABLE_DRUGS,
                               pretty=lambda d: json.dumps(d, indent=2, sort_keys=True), **extra)

    @bp.after_request
    def security_headers(response):
        launch_origin = "{0.scheme}://{0.netloc}".format(urlsplit(config.app_launch_url))
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            f"form-action 'self' {launch_origin}; frame-ancestors 'self'; base-uri 'none'")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    @bp.get("/.well-known/jwks.json")
    def jwks():
        """The EHR's public key set: the `jku` of every CDS Hooks JWT it signs."""
        return jsonify(signer.jwks())

    @bp.get("/")
    def patient_list():
        try:
            rows = list_patients(config.fhir_upstream, ehr_token(), descriptions, session=fhir)
            error = None
        except (requests.RequestException, ValueError) as exc:
            rows, error = [], f"The FHIR server could not be searched ({type(exc).__name__})."
        return render_template("devehr/patients.html", rows=rows, error=error, fhir_base=config.fhir_base,
                               cds_url=config.cds_services_url)

    @bp.get("/chart/<patient_id>")
    def chart(patient_id: str):
        context = {"userId": config.user_id, "patientId": patient_id}
        return render_chart(patient_id, run_hook("patient-view", patient_id, context))

    @bp.get("/exchange/<exchange_id>")
    def show_exchange(exchange_id: str):
        exchange = exchanges.get(exchange_id) or abort(404)
        return render_chart(exchange.patient_id, [exchange], notice=exchange.notice)

    @bp.post("/exchange/<exchange_id>/card/<card_uuid>/<outcome>")
    def card_feedback(exchange_id: str, card_uuid: str, outcome: str):
        """Dismiss (overridden) or take a suggestion (accepted); feedback goes to the service."""
        exchange = exchanges.get(exchange_id) or abort(404)
        card = next((c for c in exchange.cards if c.get("uuid") == card_uuid), None)
        if card is None or outcome not in {"overridden", "accepted"}:
            abort(404)
        item: dict[str, Any] = {"card": card_uuid, "outcome": outcome,
                                "outcomeTimestamp": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        if outcome == "accepted":
            suggestion = request.form.get("suggestion", "")
            if not any(s.get("uuid") == suggestion for s in card.get("suggestions") or []):
                abort(400)
            item["acceptedSuggestions"] = [{"id": suggestion}]
        else:
            reason_code = request.form.get("reason")
            reason = next((r for r in card.get("overrideReasons") or [] if r.get("code") == reason_code), None)
            if reason or request.form.get("comment"):
                item["overrideReason"] = {k: v for k, v in {"reason": reason,
                                                             "userComment": request.form.get("comment")}.items() if v}
        try:
            cds.feedback(exchange.service_id, [item])
            notice = f"Feedback sent: {outcome}."
            exchange.dismissed.add(card_uuid)
        except CdsCallError as exc:
            notice = f"Feedback failed: {_describe(exc)}"
        exchange.notice = notice   # kept server-side: no page text is taken from the URL
        return redirect(url_for("devehr.show_exchange", exchange_id=exchange_id), code=303)

    @bp.post("/launch")
    def launch():
        """EHR launch: register the context (patient + appContext), open the app with iss and launch."""
        patient_id = request.form.get("patient", "")
        launch_url = request.form.get("launch_url") or config.app_launch_url
        if not patient_id or launch_url.split("?", 1)[0] != config.app_launch_url:
            abort(400, "Only the registered SMART app can be launched, for a named patient.")
        app_context = request.form.get("app_context") or None
        launch_id = create_launch(patient_id, app_context)
        separator = "&" if "?" in launch_url else "?"
        target = f"{launch_url}{separator}{urlencode({'iss': config.fhir_base, 'launch': launch_id})}"
        return redirect(target, code=303)

    # ---- The patient portal: a patient signs in (dev: picks who they are) and opens the patient page.
    @bp.get("/portal")
    def portal_sign_in():
        """Development stand-in for a portal login: choose which patient you are."""
        try:
            rows = list_patients(config.fhir_upstream, ehr_token(), descriptions, session=fhir)
            error = None
        except (requests.RequestException, ValueError) as exc:
            rows, error = [], f"The FHIR server could not be searched ({type(exc).__name__})."
        return render_template("devehr/portal.html", rows=rows, error=error)

    @bp.get("/portal/<patient_id>")
    def portal_home(patient_id: str):
        patient = read_patient(patient_id) or abort(404)
        return render_template("devehr/portal_home.html", patient_id=patient_id,
                               patient_name=patient_display(patient), enabled=bool(config.patient_launch_url))

    @bp.post("/portal/launch")
    def portal_launch():
        """Portal EHR launch of the patient page: the signed-in user is the patient (fhirUser Patient/<id>)."""
        patient_id = request.form.get("patient", "")
        if not patient_id or not config.patient_launch_url:
            abort(400, "The portal launches only the registered patient page, for a signed-in patient.")
        launch_id = create_launch(patient_id, None, user=f"Patient/{patient_id}")
        target = f"{config.patient_launch_url}?{urlencode({'iss': config.fhir_base, 'launch': launch_id})}"
        return redirect(target, code=303)

    @bp.route("/chart/<patient_id>/order", methods=["GET", "POST"])
    def draft_order(patient_id: str):
        """Draft an order and run order-select or order-sign with it as `draftOrders`."""
        if request.method == "GET":
            return render_chart(patient_id, [], show_order_form=True)
        code = request.form.get("drug", "")
        hook = request.form.get("hook", "order-select")
        drug = dict(ORDERABLE_DRUGS).get(code)
        if drug is None or hook not in {"order-select", "order-sign"}:
            abort(400, "Pick a drug from the list and order-select or order-sign.")
        order_id = f"draft-{uuid.uuid4().hex[:12]}"
        order = {"resourceType": "MedicationRequest", "id": order_id, "status": "draft", "intent": "order",
                 "subject": {"reference": f"Patient/{patient_id}"},
                 "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": code, "display": drug}],
                                               "text": drug}}
        context: dict[str, Any] = {"userId": config.user_id, "patientId": patient_id,
                                   "draftOrders": {"resourceType": "Bundle", "type": "collection",
                                                   "entry": [{"resource": order}]}}
        if hook == "order-select":
            context["selections"] = [f"MedicationRequest/{order_id}"]
        runs = run_hook(hook, patient_id, context)
        return render_chart(patient_id, runs, notice=f"{hook} sent for a draft order of {drug}.",
                            show_order_form=True, selected_drug=code, selected_hook=hook)

    return bp


def _describe(exc: CdsCallError) -> str:
    text = str(exc)
    if exc.diagnostics:
        text += f": {exc.diagnostics}"
    return text
