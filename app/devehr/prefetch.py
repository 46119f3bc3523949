"""Prefetch as the DEVELOPMENT EHR resolves it: templates in, FHIR answers out.

Demo/test infrastructure. It behaves like the public CDS Hooks sandbox (standards-checklist
1E/1K): ``{{context.*}}`` (first-level primitive fields only) and the ``user*Id`` tokens are
substituted, a template with a token left unresolved is skipped, query values are URL-encoded,
and a key the EHR fails to fetch is omitted (never sent empty), so the service must fetch it
from ``fhirServer`` itself. A read that finds nothing becomes ``null`` (no data).
"""
from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import requests

log = logging.getLogger(__name__)

_TOKEN = re.compile(r"\{\{\s*([^}\s]+)\s*\}\}")
_USER_TOKENS = {"Practitioner": "userPractitionerId", "PractitionerRole": "userPractitionerRoleId",
                "Patient": "userPatientId", "RelatedPerson": "userRelatedPersonId"}


def token_values(context: dict[str, Any]) -> dict[str, str]:
    """The values a template may name: first-level primitive context fields and the user ids."""
    values: dict[str, str] = {}
    for name, value in context.items():
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            values[f"context.{name}"] = str(value)
    user = context.get("userId")
    if isinstance(user, str) and "/" in user:
        rtype, _, rid = user.partition("/")
        if rtype in _USER_TOKENS:
            values[_USER_TOKENS[rtype]] = rid
    return values


def resolve_template(template: str, context: dict[str, Any]) -> str | None:
    """The relative FHIR URL for ``template``, or None when a token cannot be resolved (skip it)."""
    values = token_values(context)
    path, sep, query = template.partition("?")
    names = _TOKEN.findall(template)
    if any(name not in values for name in names):
        return None

    def fill(text: str) -> str:
        return _TOKEN.sub(lambda m: values[m.group(1)], text)

    path = fill(path)
    if not sep:
        return path
    pairs = [(key, fill(value)) for key, value in parse_qsl(query, keep_blank_values=True)]
    return f"{path}?{urlencode(pairs, quote_via=quote, safe=',:|/')}"


def fetch_prefetch(templates: dict[str, str], context: dict[str, Any], fhir_base: str, token: str | None,
                   *, session: requests.Session | None = None, timeout: tuple[float, float] = (3.05, 10.0)
                   ) -> tuple[dict[str, Any], dict[str, str]]:
    """Resolve every template against the FHIR server; returns (prefetch, outcome per key).

    The outcome map says what happened to each key ("fetched", "null", "skipped: ...",
    "omitted: ...") so the chart page can show the exchange honestly.
    """
    http = session or requests.Session()
    headers = {"Accept": "application/fhir+json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    prefetch: dict[str, Any] = {}
    outcome: dict[str, str] = {}
    for key, template in templates.items():
        relative = resolve_template(template, context)
        if relative is None:
            outcome[key] = "skipped: unresolved token"
            continue
        url = f"{fhir_base.rstrip('/')}/{relative.lstrip('/')}"
        try:
            response = http.get(url, headers=headers, timeout=timeout)
        except requests.RequestException as exc:
            outcome[key] = f"omitted: {type(exc).__name__}"
            log.warning("prefetch %s failed: %s", key, type(exc).__name__)
            continue
        is_read = "?" not in relative and relative.count("/") == 1
        if response.status_code == 404 and is_read:
            prefetch[key] = None
            outcome[key] = "null"
            continue
        if not response.ok:
            outcome[key] = f"omitted: HTTP {response.status_code}"
            log.warning("prefetch %s failed: HTTP %s", key, response.status_code)
            continue
        try:
            prefetch[key] = response.json()
        except ValueError:
            outcome[key] = "omitted: not JSON"
            continue
        outcome[key] = "fetched"
    return prefetch, outcome
