"""Prometheus metrics the library records: CDS Hooks calls, cards, JWT rejections, FHIR fetches.

Defined once here (prometheus-client's default registry), incremented by the CDS Hooks blueprint and the
FHIR client, exposed by the application at ``/metrics`` (``app.monitoring``). Every label takes values
from a small fixed set (route patterns, our own service ids and hook names, card topic codes from the
knowledge tables, reason codes below), never from request data: no patient data, no unbounded series.

Several worker processes: prometheus-client's multiprocess mode, switched on by ``PROMETHEUS_MULTIPROC_DIR``
before this module is first imported (``receptor-cds serve`` does it; see ``app.serving``).

May import: prometheus_client and the standard library only.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Iterator

from prometheus_client import Counter, Histogram

# Latency buckets for HTTP answers and FHIR reads: from a cached discovery (ms) to the 8 s FHIR budget.
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 8.0, 15.0, 30.0)

HTTP_REQUESTS = Counter("receptor_cds_http_requests", "HTTP requests answered, by route pattern, CDS service, "
                        "hook and status code", ["route", "service", "hook", "status"])
HTTP_LATENCY = Histogram("receptor_cds_http_request_duration_seconds", "Time to answer an HTTP request",
                         ["route", "service", "hook"], buckets=_BUCKETS)
FHIR_FETCHES = Histogram("receptor_cds_fhir_fetch_duration_seconds", "Time of one FHIR GET (each page of a "
                         "search counts once), by outcome", ["outcome"], buckets=_BUCKETS)
FHIR_FAILURES = Counter("receptor_cds_fhir_fetch_failures", "FHIR GETs that failed, by reason", ["reason"])
CARDS = Counter("receptor_cds_cards", "Cards returned, by CDS service and card topic", ["service", "topic"])
JWT_REJECTIONS = Counter("receptor_cds_jwt_rejections", "CDS Hooks calls refused at authentication, by reason",
                         ["reason"])

# AuthError reasons (free text for the log) -> a fixed label. Matched on the text's start; anything new
# counts as "other" until it is added here.
_JWT_REASONS = (
    ("no bearer token", "no_token"), ("not a compact JWS", "malformed"), ("undecodable", "malformed"),
    ("algorithm", "algorithm"), ("typ must", "typ"), ("kid missing", "kid_missing"),
    ("issuer not trusted", "issuer_not_trusted"), ("jku", "jku"), ("JWKS", "jwks_unavailable"),
    ("unknown kid", "unknown_kid"), ("signature rejected", "signature"), ("token rejected", "malformed"),
    ("claims rejected", "claims"), ("aud", "audience"), ("token lifetime", "lifetime"), ("jti replayed", "replay"),
)


def jwt_reason_label(reason: str) -> str:
    return next((label for prefix, label in _JWT_REASONS if reason.startswith(prefix)), "other")


def fhir_failure_label(exc: BaseException) -> str:
    """A fixed label for a failed FHIR GET (the exception's class, or the HTTP status class)."""
    status = getattr(exc, "status", None)
    if isinstance(status, int):
        return f"http_{status // 100}xx"
    return {"FhirUnavailable": "unavailable", "FhirAuthError": "auth", "InvalidFhirRequest": "invalid_request",
            "FhirResponseError": "bad_response"}.get(type(exc).__name__, "other")


@contextmanager
def fhir_fetch() -> Iterator[None]:
    """Time one FHIR GET and count it as ok or failed (the exception is re-raised unchanged)."""
    began = time.perf_counter()
    try:
        yield
    except BaseException as exc:
        FHIR_FETCHES.labels("failed").observe(time.perf_counter() - began)
        FHIR_FAILURES.labels(fhir_failure_label(exc)).inc()
        raise
    FHIR_FETCHES.labels("ok").observe(time.perf_counter() - began)
