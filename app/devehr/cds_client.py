"""The DEVELOPMENT EHR's CDS Hooks client: discovery, a hook call, feedback.

Demo/test infrastructure. Every request (discovery included) carries a fresh JWT signed
like the CDS Hooks sandbox, with ``aud`` = the exact URL called (standards-checklist 1I item
52). Errors come back as ``CdsCallError`` with the HTTP status and the service's
OperationOutcome diagnostics, so the chart page can say what went wrong.
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

import requests

from .signing import EhrSigner

log = logging.getLogger(__name__)


class CdsCallError(Exception):
    """A CDS service answered with an error, or could not be reached."""

    def __init__(self, message: str, status: int | None = None, diagnostics: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.diagnostics = diagnostics


@dataclass
class CdsExchange:
    """One hook call as the EHR saw it (the request without any token, and the answer)."""

    id: str
    service_id: str
    hook: str
    patient_id: str
    request: dict[str, Any]
    prefetch_outcome: dict[str, str]
    status: int | None = None
    cards: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    dismissed: set[str] = field(default_factory=set)
    notice: str | None = None          # outcome of the last feedback sent from this exchange


def _diagnostics(response: requests.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict) and body.get("resourceType") == "OperationOutcome":
        texts = [i.get("diagnostics") or (i.get("details") or {}).get("text") or i.get("code", "")
                 for i in body.get("issue", []) if isinstance(i, dict)]
        return "; ".join(t for t in texts if t) or None
    return None


class CdsClient:
    """Talks to one CDS service base (``{product}/cds-services``) on behalf of the EHR."""

    def __init__(self, services_url: str, signer: EhrSigner, *, timeout: tuple[float, float] = (3.05, 30.0)) -> None:
        self.services_url = services_url.rstrip("/")
        self.signer = signer
        self.timeout = timeout
        self.session = requests.Session()

    def _headers(self, url: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.signer.cds_token(url)}", "Accept": "application/json"}

    def discover(self) -> list[dict[str, Any]]:
        """The service list; an empty list is an error, as in the sandbox (standards-checklist 1K)."""
        url = self.services_url
        try:
            response = self.session.get(url, headers=self._headers(url), timeout=self.timeout)
        except requests.RequestException as exc:
            raise CdsCallError(f"CDS discovery at {url} unreachable ({type(exc).__name__})") from exc
        if response.status_code != 200:
            raise CdsCallError(f"CDS discovery at {url} answered HTTP {response.status_code}",
                               response.status_code, _diagnostics(response))
        try:
            services = response.json().get("services")
        except (ValueError, AttributeError) as exc:
            raise CdsCallError(f"CDS discovery at {url} did not return a JSON object") from exc
        if not isinstance(services, list) or not services:
            raise CdsCallError(f"CDS discovery at {url} lists no services")
        return services

    def call(self, service_id: str, body: dict[str, Any]) -> tuple[int, list[dict[str, Any]]]:
        """POST one hook request; returns (status, cards) or raises CdsCallError."""
        url = f"{self.services_url}/{service_id}"
        headers = self._headers(url) | {"Content-Type": "application/json"}
        try:
            response = self.session.post(url, json=body, headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            raise CdsCallError(f"CDS service {service_id} unreachable ({type(exc).__name__})") from exc
        if response.status_code != 200:
            raise CdsCallError(f"CDS service {service_id} answered HTTP {response.status_code}",
                               response.status_code, _diagnostics(response))
        try:
            cards = response.json().get("cards")
        except (ValueError, AttributeError) as exc:
            raise CdsCallError(f"CDS service {service_id} returned a body that is not a JSON object",
                               response.status_code) from exc
        if not isinstance(cards, list):
            raise CdsCallError(f"CDS service {service_id} returned no cards array", response.status_code)
        return response.status_code, [c for c in cards if isinstance(c, dict)]

    def feedback(self, service_id: str, feedback: list[dict[str, Any]]) -> int:
        """POST feedback (accepted/overridden) for cards of one service; returns the HTTP status."""
        url = f"{self.services_url}/{service_id}/feedback"
        headers = self._headers(url) | {"Content-Type": "application/json"}
        try:
            response = self.session.post(url, json={"feedback": feedback}, headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            raise CdsCallError(f"CDS feedback for {service_id} unreachable ({type(exc).__name__})") from exc
        if response.status_code >= 300:
            raise CdsCallError(f"CDS feedback for {service_id} answered HTTP {response.status_code}",
                               response.status_code, _diagnostics(response))
        return response.status_code


def new_hook_instance() -> str:
    return str(uuid.uuid4())
