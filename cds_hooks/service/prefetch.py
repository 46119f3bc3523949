"""Getting the patient's data for one hook call: prefetch first, the EHR's FHIR server for the rest.

The three prefetch states are kept apart (CH §Prefetch Template, checklist 1E.21): a key that is
*absent* was not satisfied, so we fetch it; a key that is ``null`` means there is no data; an
``OperationOutcome`` (or a Bundle carrying an error one) means the client's fetch failed, so we
fetch it ourselves if we can. A paginated prefetch Bundle is followed through its ``next`` links
(checklist 1E.22). What cannot be had either way is a *gap*: for the keys a subtype depends on a
gap is a 412 (checklist 1E.23); for the others it becomes a card that says what is missing,
never a silent omission.
"""
from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urljoin, urlsplit, urlunsplit
from dataclasses import dataclass, field
from typing import Any

from cds_hooks.fhir_client import (FhirAuthError, FhirClient, FhirError, FhirUnavailable, InvalidFhirRequest,
                                   outcome_summary, redact)

from .discovery import PREFETCH_LABELS
from .fhir_json import json_problem
from .issuers import fhir_server_matches
from .hook_request import HookRequest
from .outcomes import ServiceError

_TOKEN = re.compile(r"\{\{\s*([A-Za-z.]+)\s*\}\}")
_ABSENT = object()


@dataclass(frozen=True)
class DataGap:
    """Part of the chart we could not read, and why (said on a card so the clinician can judge)."""

    key: str
    label: str
    reason: str
    # Some of the data was read and some left out (another patient's, not FHIR JSON, past the page cap):
    # said on a card, but never a 412, which is for data that could not be had at all.
    partial: bool = False


@dataclass
class GatheredData:
    resources: list[dict[str, Any]] = field(default_factory=list)
    gaps: list[DataGap] = field(default_factory=list)
    fetched_keys: list[str] = field(default_factory=list)   # satisfied from fhirServer rather than prefetch
    # key -> (where its resources came from, how many were kept), for every key that was read: a card can then
    # say what was searched where and that nothing came back, never that the chart holds nothing.
    searched: dict[str, tuple[str, int]] = field(default_factory=dict)

    def search_note(self, key: str) -> str | None:
        """One factual sentence on what the search behind ``key`` returned; None if it was not read (a gap)."""
        if key not in self.searched:
            return None
        where, count = self.searched[key]
        label = PREFETCH_LABELS.get(key, key)
        found = "nothing came back" if count == 0 else \
            f"{count} resource(s) came back, none of them a usable ER, PR or HER2 result"
        return f"Searched {where} for {label} (prefetch template {key}): {found}."


def fill_template(template: str, context: dict[str, Any]) -> str:
    """Replace prefetch tokens (CH §Prefetch tokens) with context values; unknown tokens are an error."""
    user_type, _, user_id = str(context.get("userId", "")).partition("/")
    values = {f"context.{k}": v for k, v in context.items() if isinstance(v, (str, int, float))}
    if user_type and user_id:
        values[f"user{user_type}Id"] = user_id

    def _sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(name)
        return str(values[name])

    return _TOKEN.sub(_sub, template)


def _list(value: Any) -> list[Any]:
    """A JSON array member, or nothing when the client sent another type (read leniently, never crash)."""
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _issues(outcome: dict[str, Any]) -> list[dict[str, Any]]:
    return [i for i in _list(outcome.get("issue")) if isinstance(i, dict)]


def _issue_severities(outcome: dict[str, Any]) -> set[str]:
    return {str(i.get("severity")) for i in _issues(outcome)}


def _outcome_text(outcome: dict[str, Any], where: str) -> str:
    """What an OperationOutcome may tell our caller: its issue codes (its text goes to the log only, issue 8)."""
    return outcome_summary(outcome, where) or "no OperationOutcome"


def _reference_ids(resource: dict[str, Any]) -> set[str]:
    refs = set()
    for name in ("subject", "patient"):
        ref = resource.get(name)
        if isinstance(ref, dict) and isinstance(ref.get("reference"), str):
            refs.add(ref["reference"])
    return refs


def _belongs_to(resource: dict[str, Any], patient_id: str) -> bool:
    """False for a resource that plainly names another patient (prefetch must be this patient's data)."""
    if resource.get("resourceType") == "Patient":
        return resource.get("id") in (None, patient_id)
    for ref in _reference_ids(resource):
        if ref.startswith("Patient/") and ref.split("/", 1)[1] != patient_id:
            return False
        if "/Patient/" in ref and ref.rsplit("/Patient/", 1)[1] != patient_id:
            return False
    return True


def _ref(resource: dict[str, Any]) -> str:
    rid = resource.get("id")
    return f"{resource.get('resourceType')}/{rid}" if isinstance(rid, str) else str(resource.get("resourceType"))


class _Failed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _read_prefetch_value(key: str, value: Any, expected_type: str) -> tuple[list[dict], dict | None]:
    """Resources from one prefetch value, and the Bundle if it has a next page to follow."""
    if not isinstance(value, dict) or not isinstance(value.get("resourceType"), str):
        raise ServiceError(400, f"prefetch.{key} must be a FHIR resource, a Bundle or null")
    rtype = value["resourceType"]
    if rtype == "OperationOutcome":
        raise _Failed(f"the EHR reported its prefetch failed ({_outcome_text(value, f'prefetch.{key}')})")
    if rtype != "Bundle":
        if rtype != expected_type:
            raise ServiceError(400, f"prefetch.{key} is a {rtype}; the template asks for {expected_type}")
        return [value], None
    resources: list[dict] = []
    for entry in _list(value.get("entry")):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            continue
        mode = _dict(entry.get("search")).get("mode")
        if resource.get("resourceType") == "OperationOutcome" or mode == "outcome":
            if _issue_severities(resource) & {"error", "fatal"}:
                raise _Failed(f"the EHR's search for it returned an error "
                              f"({_outcome_text(resource, f'prefetch.{key}')})")
            continue   # warnings/information: the matches are still good (R4S §Handling Errors)
        if mode in (None, "match"):
            resources.append(resource)
    has_next = any(isinstance(l, dict) and l.get("relation") == "next" and isinstance(l.get("url"), str) and l["url"]
                   for l in _list(value.get("link")))
    return resources, (value if has_next else None)


def _next_link_under(bundle: dict[str, Any], base_url: str) -> bool:
    url = next((l["url"] for l in _list(bundle.get("link")) if isinstance(l, dict) and l.get("relation") == "next"
                and isinstance(l.get("url"), str)), "")
    absolute = urlsplit(urljoin(base_url.rstrip("/") + "/", url))
    return fhir_server_matches(base_url, urlunsplit((absolute.scheme, absolute.netloc, absolute.path, "", "")))


def _check_outcomes(results: Any) -> None:
    """A search whose pages carried an error OperationOutcome (``search.mode=outcome``) failed in part
    (R4S §Handling Errors): its matches must not be taken as the whole answer."""
    for outcome in getattr(results, "outcomes", []) or []:
        if isinstance(outcome, dict) and _issue_severities(outcome) & {"error", "fatal"}:
            raise _Failed(f"the FHIR server's search reported an error ({_outcome_text(outcome, 'the FHIR server')})")


def _fetch(client: FhirClient, query: str) -> tuple[list[dict], bool]:
    path, _, params = query.partition("?")
    if "/" in path:
        rtype, _, rid = path.partition("/")
        resource = client.read(rtype, rid)
        return ([resource] if resource else []), False
    results = client.search(path, params)
    _check_outcomes(results)
    return list(results), bool(getattr(results, "truncated", False))


def _describe(exc: FhirError) -> str:
    if isinstance(exc, FhirAuthError):
        return f"the FHIR server refused our access (HTTP {exc.status})"
    if isinstance(exc, FhirUnavailable):
        return "the FHIR server did not answer in time"
    # FhirError messages are written to be shown: no token, no query string, no body (cds_hooks.fhir_client).
    return f"the FHIR server's answer could not be used ({exc})"


# Keys fetched from the FHIR server at the same time (the no-prefetch fallback asks for every key at once:
# issued one after the other, their round trips add up; issue 9). Within the same time budget.
MAX_PARALLEL_FETCHES = 8


@dataclass
class _Plan:
    """What one prefetch key needs: nothing more (``resources``), a gap, or a job on the FHIR server."""

    key: str
    label: str
    resources: list[dict] = field(default_factory=list)
    where: str = "the EHR's prefetch"
    gap: str | None = None               # the key could not be had at all
    null: bool = False                   # prefetch sent null: the EHR reports no data
    query: str | None = None             # to fetch from the FHIR server
    paged: dict | None = None            # a prefetch Bundle whose next pages are to be read first
    reason: str = "the EHR did not prefetch it"


@dataclass
class _Fetched:
    resources: list[dict] = field(default_factory=list)
    where: str = ""
    gaps: list[DataGap] = field(default_factory=list)
    fetched: bool = False
    failed: bool = False                 # nothing usable: only the gap is said


def _plan(key: str, template: str, request: HookRequest, prefetch: dict[str, Any], client: FhirClient | None,
          no_server: str, fhir_server_refused: str | None) -> _Plan:
    """Read one key's prefetch (no network): done, a gap, or the job the FHIR server must do."""
    plan = _Plan(key, PREFETCH_LABELS.get(key, key))
    try:
        plan.query = fill_template(template, request.context)
    except KeyError as exc:
        raise ServiceError(400, f"context lacks {exc.args[0]}, needed for prefetch key {key}")
    expected_type = plan.query.split("?")[0].split("/")[0]
    value = prefetch.get(key, _ABSENT)
    if value is None:
        plan.null, plan.query = True, None
        return plan
    if value is not _ABSENT:
        try:
            resources, paged = _read_prefetch_value(key, value, expected_type)
            if paged is not None:
                if client is None:
                    raise _Failed("the EHR sent only its first page and the rest cannot be read: "
                                  + (fhir_server_refused or "no fhirServer was given"))
                if not _next_link_under(paged, client.base_url):
                    # The first next link comes from the request body, not from the server: it must
                    # stay under the allowlisted fhirServer, path included (no SSRF through paging).
                    raise _Failed("the prefetch's next-page link is not under fhirServer")
                plan.paged = paged
                return plan
            plan.resources, plan.query = resources, None
            return plan
        except _Failed as failed:
            plan.reason = failed.reason
    if client is None:                   # absent or failed, and nowhere to fetch it from
        plan.gap, plan.query = f"{plan.reason}, and {no_server}", None
    return plan


def _run(plan: _Plan, client: FhirClient, max_pages: int) -> _Fetched:
    """The network part of one key: its prefetch's next pages, else (absent or failed) the search itself."""
    out = _Fetched()
    reason = plan.reason
    if plan.paged is not None:
        try:
            try:
                pages = client.follow_pages(plan.paged)
            except FhirError as exc:
                raise _Failed(f"{_describe(exc)} while reading the next pages")
            _check_outcomes(pages)
            if getattr(pages, "truncated", False):
                out.gaps.append(DataGap(plan.key, plan.label, f"more than {max_pages} pages; only those were read",
                                        partial=True))
            out.resources = [r for r in pages if r.get("resourceType") != "OperationOutcome"]
            out.where = f"the EHR's prefetch and its next pages on the FHIR server {redact(client.base_url)}"
            return out
        except _Failed as failed:
            reason = failed.reason
    try:
        resources, truncated = _fetch(client, plan.query or "")
    except InvalidFhirRequest as exc:
        raise ServiceError(400, f"cannot build the FHIR query for {plan.key}: {exc}")
    except FhirError as exc:
        return _Fetched(gaps=[DataGap(plan.key, plan.label, f"{reason}, and {_describe(exc)}")], failed=True)
    except _Failed as failed:
        return _Fetched(gaps=[DataGap(plan.key, plan.label, f"{reason}, and {failed.reason}")], failed=True)
    out.resources, out.fetched = resources, True
    out.where = f"the FHIR server {redact(client.base_url)}"
    if truncated:
        out.gaps.append(DataGap(plan.key, plan.label, f"more than {max_pages} pages; only those were read",
                                partial=True))
    return out


def gather(request: HookRequest, templates: dict[str, str], required: tuple[str, ...], *,
           fhir_server: str | None, connect_timeout: float, read_timeout: float, budget_seconds: float,
           max_pages: int, fhir_server_refused: str | None = None,
           caps: dict[str, int] | None = None) -> GatheredData:
    """Everything the templates ask for, from prefetch or ``fhir_server`` (already allowlisted by the caller).

    ``fhir_server_refused``: why the request's fhirServer is not used (not allowlisted); said in the gaps.
    ``caps``: the FHIR client's byte and entry caps (``FhirClient`` keyword arguments), for the whole call.

    The keys that need the FHIR server are fetched at the same time (at most ``MAX_PARALLEL_FETCHES``), all
    under the one time budget and byte caps of the call's client; the answer is assembled in template order,
    so it does not depend on which server reply came first.
    """
    no_server = fhir_server_refused or "no fhirServer was given to fetch it"
    data = GatheredData()
    prefetch = request.prefetch or {}
    client = None
    if fhir_server:
        client = FhirClient(fhir_server, request.access_token, connect_timeout=connect_timeout,
                            read_timeout=read_timeout, deadline=time.monotonic() + budget_seconds,
                            max_pages=max_pages, **(caps or {}))
    try:
        plans = [_plan(key, template, request, prefetch, client, no_server, fhir_server_refused)
                 for key, template in templates.items()]
        jobs = [p for p in plans if p.query is not None or p.paged is not None]
        results: dict[str, _Fetched] = {}
        if client is not None and len(jobs) > 1:
            with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_FETCHES, len(jobs)),
                                    thread_name_prefix="fhir-fetch") as pool:
                futures = [(p.key, pool.submit(_run, p, client, max_pages)) for p in jobs]
                for key, future in futures:      # in template order: the first 400 in that order is raised
                    results[key] = future.result()
        elif client is not None:
            results = {p.key: _run(p, client, max_pages) for p in jobs}
        for plan in plans:
            key, label = plan.key, plan.label
            if plan.null:
                data.searched[key] = ("the EHR's prefetch (sent as null: the EHR reports no data)", 0)
                continue   # the client says: no data
            if plan.gap is not None:
                data.gaps.append(DataGap(key, label, plan.gap))
                continue
            resources, where = plan.resources, plan.where
            if key in results:
                fetched = results[key]
                data.gaps.extend(fetched.gaps)
                if fetched.failed:
                    continue
                if fetched.fetched:
                    data.fetched_keys.append(key)
                resources, where = fetched.resources, fetched.where
            kept = [r for r in resources if _belongs_to(r, request.patient_id)]
            if len(kept) != len(resources):
                data.gaps.append(DataGap(key, label, f"{len(resources) - len(kept)} resource(s) named another "
                                                     "patient and were left out", partial=True))
            broken = [(r, json_problem(r)) for r in kept]
            broken = [(r, problem) for r, problem in broken if problem]
            if broken:
                first, problem = broken[0]
                data.gaps.append(DataGap(key, label, f"{len(broken)} resource(s) were not valid FHIR JSON and were "
                                                     f"left out (e.g. {_ref(first)}: {problem})", partial=True))
                kept = [r for r in kept if not json_problem(r)]
            data.resources.extend(kept)
            data.searched[key] = (where, len(kept))
    finally:
        if client is not None:
            client.close()
    missing = [g for g in data.gaps if g.key in required and not g.partial]
    if missing:
        raise ServiceError(412, "required data could be had neither from prefetch nor from the FHIR server: "
                           + "; ".join(f"{g.label}: {g.reason}" for g in missing), code="incomplete")
    return data
