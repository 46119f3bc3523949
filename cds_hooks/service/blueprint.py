"""The CDS Hooks HTTP surface: discovery, the two services, feedback. Thin: every decision is elsewhere.

Request flow for a service call: method check (405), known service (404), JWT (401), JSON and
the spec's request schema (400/415), ``fhirServer`` on the issuer's allowlist (403), data from
prefetch or the FHIR server (412 when the essentials cannot be had), the pure decision core,
cards. Every non-2xx carries an OperationOutcome; every response carries the CORS headers.
"""
from __future__ import annotations

import json
import logging
from typing import Any

from flask import Blueprint, Response, request
from werkzeug.exceptions import HTTPException

from app.config import Settings
from cds_hooks.decision import DEFAULT_CONFIG, DecisionConfig

from .auth import AuthError, JwksCache, JwtVerifier, VerifiedClient
from .cards import order_cards, patient_view_cards
from .cors import apply_cors
from .discovery import PREFETCH, REQUIRED_KEYS, SERVICES, discovery_document
from .feedback import FeedbackStore
from .hook_request import parse_hook_request, parse_json_body
from .issuers import TrustedIssuer, load_trusted_issuers
from .outcomes import ServiceError, operation_outcome
from .prefetch import gather

log = logging.getLogger(__name__)

# A whole-record prefetch (Synthea's 3,000-entry patients) is a few MB; anything far beyond is refused unread.
MAX_BODY_BYTES = 32 * 1024 * 1024

AUTH_OFF_WARNING = ("CDS Hooks JWT verification is DISABLED (RECEPTOR_CDS_AUTH_DISABLED): any caller is trusted. "
                    "Local development only; never run this way with real patient data.")


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")


def create_cds_blueprint(settings: Settings, *, decision_config: DecisionConfig | None = None,
                         jwks_cache: JwksCache | None = None) -> Blueprint:
    """The CDS Hooks blueprint for ``settings``.

    Raises ``TrustedIssuersError`` when the trusted-issuers file is malformed, so start-up stops
    with its message instead of serving with a half-read trust list.
    """
    issuers = load_trusted_issuers(settings.trusted_issuers_path)
    origins = frozenset(o.lower() for i in issuers.values() for o in i.cors_origins)
    verifier = JwtVerifier(issuers, jwks_cache=jwks_cache)
    store = FeedbackStore(settings.database_url)
    config = decision_config or DEFAULT_CONFIG
    base = settings.public_url.rstrip("/")
    if settings.cds_auth_disabled:
        log.warning(AUTH_OFF_WARNING)

    bp = Blueprint("cds_hooks", __name__)
    bp.feedback_store = store          # type: ignore[attr-defined]  (tests and operators read it)
    bp.jwt_verifier = verifier         # type: ignore[attr-defined]

    @bp.after_request
    def _cors(response: Response) -> Response:
        return apply_cors(response, request.headers.get("Origin"), origins, preflight=request.method == "OPTIONS")

    @bp.errorhandler(ServiceError)
    def _service_error(exc: ServiceError) -> Response:
        response = _json(exc.body(), exc.status)
        if exc.status == 405:
            response.headers["Allow"] = "GET, OPTIONS" if request.path.rstrip("/").endswith("/cds-services") \
                else "POST, OPTIONS"
        return response

    @bp.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        return _json(operation_outcome(exc.description or exc.name, code="processing"), exc.code or 500)

    @bp.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        # A bug, not a bad request: logged for us (no request body, no token), a plain 500 for the caller.
        log.exception("unexpected error in CDS Hooks %s %s", request.method, request.path)
        return _json(operation_outcome("internal error; the service log has the details", code="exception"), 500)

    def _preflight() -> Response:
        return Response(status=204)

    def _authenticate(audience: str) -> VerifiedClient | None:
        if settings.cds_auth_disabled:
            log.warning(AUTH_OFF_WARNING)
            return None
        try:
            return verifier.verify(request.headers.get("Authorization"), audience)
        except AuthError as exc:
            log.warning("CDS client rejected: iss=%s jti=%s reason=%s", exc.iss, exc.jti, exc.reason)
            raise ServiceError(401, "authentication failed", code="login")

    def _allowed_fhir_server(url: str, client: VerifiedClient | None) -> bool:
        candidates: list[TrustedIssuer] = [issuers[client.iss]] if client else list(issuers.values())
        return any(i.allows_fhir_server(url) for i in candidates)

    def _body() -> bytes:
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            raise ServiceError(413, f"request body larger than {MAX_BODY_BYTES // (1024 * 1024)} MB", code="too-costly")
        return request.get_data()

    def _service(service_id: str):
        service = SERVICES.get(service_id)
        if service is None:
            raise ServiceError(404, f"no CDS service with id {service_id!r}; see {base}/cds-services", code="not-found")
        return service

    @bp.route("/cds-services", methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"])
    def discovery() -> Response:
        if request.method == "OPTIONS":
            return _preflight()
        if request.method != "GET":
            raise ServiceError(405, "discovery is read with GET (CH §Discovery)", code="not-supported")
        _authenticate(f"{base}/cds-services")
        return _json(discovery_document())

    @bp.route("/cds-services/<service_id>", methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"])
    def call_service(service_id: str) -> Response:
        if request.method == "OPTIONS":
            return _preflight()
        if request.method != "POST":
            raise ServiceError(405, "CDS services are called with POST (CH §Calling a CDS Service)",
                               code="not-supported")
        service = _service(service_id)
        client = _authenticate(f"{base}/cds-services/{service_id}")
        hook_request = parse_hook_request(parse_json_body(_body(), request.content_type),
                                          service.hooks, service_id)
        if hook_request.fhir_server and not _allowed_fhir_server(hook_request.fhir_server, client):
            raise ServiceError(403, "fhirServer is not on the allowlist for this CDS client "
                               "(trusted-issuers file, fhir_servers)", code="forbidden")
        data = gather(hook_request, PREFETCH, REQUIRED_KEYS, fhir_server=hook_request.fhir_server,
                      connect_timeout=settings.fhir_connect_timeout, read_timeout=settings.fhir_read_timeout,
                      budget_seconds=settings.fhir_total_budget, max_pages=settings.fhir_max_pages)
        from cds_hooks.decision import assess, check_orders
        assessment = assess(data.resources, config)
        if assessment.patient is None:
            assessment.patient = hook_request.patient_id
        if hook_request.hook == "patient-view":
            # Active chart medications that conflict with the subtype come from the core's pitfall rules
            # (assessment.alerts), for EHRs that only call patient-view.
            cards = patient_view_cards(assessment, (), data.gaps, settings.smart_launch_url)
        else:
            alerts = check_orders(assessment, hook_request.orders, hook_request.selections, config)
            cards = order_cards(assessment, alerts, hook_request.orders, data.gaps, settings.smart_launch_url)
        # Operational trace only: no patient id, no resource content, no token.
        log.info("cds call service=%s hook=%s hookInstance=%s iss=%s cards=%d fetched=%s gaps=%s", service_id,
                 hook_request.hook, hook_request.hook_instance, client.iss if client else "(auth off)", len(cards),
                 ",".join(data.fetched_keys) or "-", ",".join(g.key for g in data.gaps) or "-")
        return _json({"cards": cards})

    @bp.route("/cds-services/<service_id>/feedback", methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"])
    def feedback(service_id: str) -> Response:
        if request.method == "OPTIONS":
            return _preflight()
        if request.method != "POST":
            raise ServiceError(405, "feedback is sent with POST (CH §Feedback)", code="not-supported")
        _service(service_id)
        client = _authenticate(f"{base}/cds-services/{service_id}/feedback")
        body = parse_json_body(_body(), request.content_type)
        store.record(service_id, body, client.iss if client else None)
        return Response(status=200)

    return bp
