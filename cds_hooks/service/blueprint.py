"""The CDS Hooks HTTP surface: discovery, the three services (one per hook), feedback. Thin: every decision is elsewhere.

Request flow for a service call: method check (405), known service (404), JWT (401), JSON and
the spec's request schema (400/413/415), ``fhirServer`` used only if on the issuer's allowlist (else
never contacted), data from prefetch or the FHIR server (412 when the essentials cannot be had),
the pure decision core, cards. Every non-2xx carries an OperationOutcome; every response under
``/cds-services``, routing errors included, carries the CORS headers.
"""
from __future__ import annotations

import functools
import logging
import re
from typing import Any, Callable

import orjson
from flask import Blueprint, Response, request
from flask import g as flask_g
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from cds_hooks import metrics
from cds_hooks.decision import DEFAULT_CONFIG, DecisionConfig
from cds_hooks.decision.verdicts import VERDICTS
from cds_hooks.state import StateStore, StateStoreError

from .auth import AuthError, JwksCache, JwtVerifier, ReplayCache, VerifiedClient
from .cards import order_cards, patient_view_cards
from .cors import apply_cors
from .discovery import PREFETCH, REQUIRED_KEYS, SERVICES, discovery_document
from .feedback import FeedbackStore
from .hook_request import parse_hook_request, parse_json_body
from .openapi import openapi_document
from .issuers import TrustedIssuer, browser_origin, load_trusted_issuers
from .memory import TRIM_AFTER_BYTES, release_freed_memory
from .outcomes import ServiceError, operation_outcome
from .prefetch import gather
from .settings import ServiceSettings

log = logging.getLogger(__name__)

AUTH_OFF_WARNING = ("CDS Hooks JWT verification is DISABLED (RECEPTOR_CDS_AUTH_DISABLED): any caller is trusted. "
                    "Local development only; never run this way with real patient data.")


# What of an EHR-chosen hookInstance goes into logs: a plain token (a UUID in practice), else a placeholder.
_LOGGABLE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _loggable(value: Any) -> str:
    return value if isinstance(value, str) and _LOGGABLE_ID.match(value) else "(not a plain id)"


def fhir_caps(settings: ServiceSettings) -> dict[str, int]:
    """The FHIR client's caps from the settings (``FhirClient`` keyword arguments)."""
    return {"max_response_bytes": settings.fhir_max_response_bytes, "max_call_bytes": settings.fhir_max_call_bytes,
            "max_entries_per_response": settings.fhir_max_entries_per_response,
            "max_entries_per_call": settings.fhir_max_entries_per_call}


def _one_reading(view: Callable[..., Response]) -> Callable[..., Response]:
    """A hook call's resources are parsed once and left unchanged while the service and the core read them:
    each one's content is digested once for the FHIR JSON check and the R4B check (``VERDICTS.one_reading``)."""
    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Response:
        with VERDICTS.one_reading():
            return view(*args, **kwargs)
    return wrapped


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status=status, mimetype="application/json")   # UTF-8, like ensure_ascii=False


def create_cds_blueprint(settings: ServiceSettings, *, state: StateStore,
                         decision_config: DecisionConfig | None = None,
                         jwks_cache: JwksCache | None = None) -> Blueprint:
    """The CDS Hooks blueprint for ``settings``; ``state`` is the store shared by every worker and instance
    (it holds the JWT replay cache, so a token replayed to another process is refused too).

    Raises ``TrustedIssuersError`` when the trusted-issuers file is malformed, so start-up stops
    with its message instead of serving with a half-read trust list.
    """
    issuers = load_trusted_issuers(settings.trusted_issuers_path)
    origins = frozenset(o.lower() for i in issuers.values() for o in i.cors_origins)
    verifier = JwtVerifier(issuers, replay_cache=ReplayCache(state), jwks_cache=jwks_cache or JwksCache(
        fetch_seconds=settings.jwks_fetch_seconds, max_bytes=settings.jwks_max_bytes, max_keys=settings.jwks_max_keys))
    store = FeedbackStore(settings.database_url)
    config = decision_config or DEFAULT_CONFIG
    base = settings.public_url.rstrip("/")
    max_body = settings.max_body_bytes
    if settings.cds_auth_disabled:
        log.warning(AUTH_OFF_WARNING)
    else:
        log.info("CDS Hooks: %d trusted issuer(s); JWT aud must be %s/cds-services[/{id}[/feedback]] "
                 "(RECEPTOR_CDS_PUBLIC_URL)", len(issuers), base)

    bp = Blueprint("cds_hooks", __name__)
    bp.feedback_store = store          # type: ignore[attr-defined]  (tests and operators read it)
    bp.jwt_verifier = verifier         # type: ignore[attr-defined]

    def _ours() -> bool:
        """This request is for the CDS Hooks surface, even if no route matched (a 404/405 from routing
        never reaches the blueprint's own handlers, checklist 1L: CORS on every response, errors included)."""
        return request.blueprint == bp.name or request.path == "/cds-services" or \
            request.path.startswith("/cds-services/")

    @bp.before_request
    def _limit_body() -> None:
        # Also bounds chunked bodies that carry no Content-Length (werkzeug raises 413 while reading).
        request.max_content_length = max_body

    @bp.after_app_request
    def _cors(response: Response) -> Response:
        if not _ours():
            return response
        # Cards and errors describe a patient: no shared cache may keep them; no content sniffing.
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return apply_cors(response, request.headers.get("Origin"), origins, preflight=request.method == "OPTIONS")

    def _allow(response: Response) -> Response:
        response.headers["Allow"] = "GET, HEAD, OPTIONS" if request.path.rstrip("/").endswith("/cds-services") \
            else "POST, OPTIONS"
        return response

    @bp.errorhandler(ServiceError)
    def _service_error(exc: ServiceError) -> Response:
        response = _json(exc.body(), exc.status)
        if exc.status == 405:
            _allow(response)
        if exc.status == 401:
            response.headers["WWW-Authenticate"] = "Bearer"   # RFC 6750 §3; deliberately without error detail
        return response

    @bp.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        return _json(operation_outcome(exc.description or exc.name, code="processing"), exc.code or 500)

    def routing_error(exc: HTTPException) -> Any:
        """The JSON answer to a 404/405 from routing under /cds-services (the app's own dispatcher calls it,
        since the app-wide handler of the last blueprint registered would otherwise answer for every path)."""
        return _method_not_allowed(exc) if isinstance(exc, MethodNotAllowed) else _not_found(exc)

    bp.routing_error = routing_error   # type: ignore[attr-defined]
    bp.owns_path = _ours               # type: ignore[attr-defined]

    @bp.app_errorhandler(NotFound)
    def _not_found(exc: NotFound) -> Any:
        if not _ours():
            return exc   # not ours: the app's default answer
        return _json(operation_outcome(
            f"no CDS Hooks endpoint at {request.path}; discovery is {base}/cds-services (no trailing slash), "
            f"services are {base}/cds-services/{{id}} and feedback {base}/cds-services/{{id}}/feedback",
            code="not-found"), 404)

    @bp.app_errorhandler(MethodNotAllowed)
    def _method_not_allowed(exc: MethodNotAllowed) -> Any:
        if not _ours():
            return exc
        return _allow(_json(operation_outcome(f"{request.method} is not supported here", code="not-supported"), 405))

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
            metrics.JWT_REJECTIONS.labels(metrics.jwt_reason_label(exc.reason)).inc()
            # repr: iss and jti come from an unverified token and must not be able to forge log lines.
            log.warning("CDS client rejected: iss=%r jti=%r reason=%s", exc.iss, exc.jti, exc.reason)
            raise ServiceError(401, "authentication failed", code="login")
        except StateStoreError as exc:
            # Without the replay cache a token cannot be checked for reuse: refuse, and say it is temporary.
            log.error("CDS call refused: the shared state store (replay cache) is unavailable: %s", exc)
            raise ServiceError(503, "the service cannot check tokens for replay right now; try again shortly",
                               code="transient")

    def _allowed_fhir_server(url: str, client: VerifiedClient | None) -> bool:
        candidates: list[TrustedIssuer] = [issuers[client.iss]] if client else list(issuers.values())
        return any(i.allows_fhir_server(url) for i in candidates)

    def _too_large() -> ServiceError:
        return ServiceError(413, f"request body larger than the limit of {max_body} bytes "
                                 f"(RECEPTOR_CDS_MAX_BODY_BYTES)", code="too-costly")

    def _body() -> bytes:
        if request.content_length is not None and request.content_length > max_body:
            raise _too_large()
        data = request.get_data()
        if len(data) >= max_body:
            # A chunked body is cut at the limit by werkzeug rather than refused: never judge a truncated body.
            raise _too_large()
        return data

    def _service(service_id: str):
        service = SERVICES.get(service_id)
        if service is None:
            raise ServiceError(404, f"no CDS service with id {service_id!r}; see {base}/cds-services", code="not-found")
        flask_g.cds_service = service_id      # a known id only: a metrics label (app.monitoring)
        return service

    def _check_prefetch_size(prefetch: Any) -> None:
        """Refuse, before any parsing work, a prefetch key holding more resources than configured."""
        if not isinstance(prefetch, dict):
            return
        limit = settings.max_prefetch_resources
        for key, value in prefetch.items():
            entries = value.get("entry") if isinstance(value, dict) else None
            if isinstance(entries, list) and len(entries) > limit:
                raise ServiceError(413, f"prefetch {str(key)[:64]!r} holds {len(entries)} resources; the limit is "
                                        f"{limit} per prefetch key (RECEPTOR_CDS_MAX_PREFETCH_RESOURCES)",
                                   code="too-costly")

    @bp.route("/openapi.json", methods=["GET"])
    def openapi() -> Response:
        # The description of this surface (public: it holds no patient data and no configuration secrets).
        return _json(openapi_document(base))

    @bp.route("/cds-services", methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"])
    def discovery() -> Response:
        if request.method == "OPTIONS":
            return _preflight()
        if request.method not in ("GET", "HEAD"):
            raise ServiceError(405, "discovery is read with GET (CH §Discovery)", code="not-supported")
        _authenticate(f"{base}/cds-services")
        return _json(discovery_document())

    @bp.route("/cds-services/<service_id>", methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"])
    @_one_reading
    def call_service(service_id: str) -> Response:
        if request.method == "OPTIONS":
            return _preflight()
        if request.method != "POST":
            raise ServiceError(405, "CDS services are called with POST (CH §Calling a CDS Service)",
                               code="not-supported")
        service = _service(service_id)
        client = _authenticate(f"{base}/cds-services/{service_id}")
        raw = _body()
        body = parse_json_body(raw, request.content_type)
        if isinstance(body, dict):
            _check_prefetch_size(body.get("prefetch"))
        hook_request = parse_hook_request(body, service.hook, service_id)
        flask_g.cds_hook = hook_request.hook
        flask_g.hook_instance = _loggable(hook_request.hook_instance)
        fhir_server, refused = hook_request.fhir_server, None
        if fhir_server and not _allowed_fhir_server(fhir_server, client):
            # Never contacted (no server-side request forgery). Not a refusal of the call: with complete
            # prefetch the server is not needed; what it would have supplied becomes a gap, and a 412
            # (CH §Prefetch Template) when that is the receptor data.
            log.warning("fhirServer %r is not on the allowlist of iss=%r; not contacted", browser_origin(fhir_server),
                        client.iss if client else "(auth off)")
            fhir_server, refused = None, ("the fhirServer sent is not on this CDS client's allowlist "
                                          "(trusted-issuers file, fhir_servers), so it was not contacted")
        data = gather(hook_request, PREFETCH, REQUIRED_KEYS, fhir_server=fhir_server, fhir_server_refused=refused,
                      connect_timeout=settings.fhir_connect_timeout, read_timeout=settings.fhir_read_timeout,
                      budget_seconds=settings.fhir_total_budget, max_pages=settings.fhir_max_pages,
                      caps=fhir_caps(settings))
        from cds_hooks.decision import assess, check_orders
        assessment = assess(data.resources, config)
        if assessment.patient is None:
            assessment.patient = hook_request.patient_id
        if hook_request.hook == "patient-view":
            # Active chart medications that conflict with the subtype come from the core's pitfall rules
            # (assessment.alerts), for EHRs that only call patient-view.
            cards = patient_view_cards(assessment, (), data.gaps, settings.smart_launch_url,
                                       data.search_note("receptorObservations"))
        else:
            alerts = check_orders(assessment, {"resourceType": "Bundle", "entry": hook_request.order_entries},
                                  hook_request.selections, config)
            cards = order_cards(assessment, alerts, hook_request.orders, data.gaps, settings.smart_launch_url)
        for card in cards:
            topic = ((card.get("source") or {}).get("topic") or {}).get("code") or "(none)"
            metrics.CARDS.labels(service_id, topic).inc()
        # Operational trace only: no patient id, no resource content, no token.
        log.info("cds call service=%s hook=%s hookInstance=%s iss=%s cards=%d fetched=%s gaps=%s", service_id,
                 hook_request.hook, flask_g.hook_instance, client.iss if client else "(auth off)", len(cards),
                 ",".join(data.fetched_keys) or "-", ",".join(g.key for g in data.gaps) or "-")
        response = _json({"cards": cards})
        if len(raw) >= TRIM_AFTER_BYTES:
            response.call_on_close(release_freed_memory)   # after the answer is sent and the call's objects freed
        return response

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
