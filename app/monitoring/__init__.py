"""What an operator watches: liveness and readiness, Prometheus metrics, structured logs, request ids.

- ``health``: ``/healthz`` (the process answers) and ``/readyz`` (trusted issuers loaded, feedback database
  and shared state store reachable); cheap, unauthenticated, free of patient data.
- ``metrics``: ``/metrics`` in Prometheus text format (off with ``RECEPTOR_CDS_METRICS=off``) and the per-request
  counters and latency histograms; the metric objects themselves are ``cds_hooks.metrics``.
- ``logs``: text (default) or JSON lines (``RECEPTOR_CDS_LOG_FORMAT=json``) with the request id and the
  CDS Hooks ``hookInstance``; loggers that would write URLs with patient ids are pinned to WARNING.

May import: ``app.config``, ``cds_hooks`` (metrics, state, the service's feedback store), Flask,
prometheus_client. Only the app factory and the CLI import it.
"""
from __future__ import annotations

from .health import register_health
from .logs import configure_logging, request_context
from .metrics import register_metrics

__all__ = ["configure_logging", "register_health", "register_metrics", "request_context"]
