"""``/metrics`` (Prometheus text format) and the per-request counters and latency histograms.

Labels come from the matched route pattern (``/cds-services/<service_id>``, never the raw path), and the
CDS service id and hook the blueprint recorded in ``flask.g`` once it knew them; unmatched paths count as
route ``(unmatched)``. In several worker processes (``PROMETHEUS_MULTIPROC_DIR`` set) the answer adds up
every worker's samples (prometheus-client's ``MultiProcessCollector``).
"""
from __future__ import annotations

import os
import time

from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

from cds_hooks.metrics import HTTP_LATENCY, HTTP_REQUESTS


def _registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def register_metrics(app: Flask, *, expose: bool) -> None:
    """Count every request; serve ``/metrics`` only when ``expose`` (``RECEPTOR_CDS_METRICS``)."""

    @app.before_request
    def _start() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response: Response) -> Response:
        started = getattr(g, "metrics_started", None)
        if started is None or request.path == "/metrics":
            return response
        route = request.url_rule.rule if request.url_rule is not None else "(unmatched)"
        service, hook = getattr(g, "cds_service", ""), getattr(g, "cds_hook", "")
        HTTP_REQUESTS.labels(route, service, hook, str(response.status_code)).inc()
        HTTP_LATENCY.labels(route, service, hook).observe(time.perf_counter() - started)
        return response

    if expose:
        @app.get("/metrics")
        def metrics() -> Response:
            response = Response(generate_latest(_registry()), mimetype=CONTENT_TYPE_LATEST)
            response.headers["Cache-Control"] = "no-store"
            return response
