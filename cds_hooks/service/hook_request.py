"""Reading a CDS Hooks call: JSON, the spec's request schema, and the checks a schema cannot express.

Everything wrong with a request becomes a 400 with a specific message (checklist 1C.11), so
an integrator sees which field to fix; nothing here touches the network.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import orjson

from .fhir_json import json_problem
from .outcomes import ServiceError
from .schemas import first_error

# FHIR resources nest about a dozen levels; anything far deeper is refused before the validators and the
# decision core (all recursive) see it, so nesting can never exhaust the stack.
MAX_JSON_DEPTH = 64


@dataclass
class HookRequest:
    hook: str
    hook_instance: str
    context: dict[str, Any]
    patient_id: str
    prefetch: dict[str, Any] | None
    fhir_server: str | None
    access_token: str | None
    orders: list[dict[str, Any]] = field(default_factory=list)
    order_entries: list[dict[str, Any]] = field(default_factory=list)   # {"fullUrl", "resource"} of each order
    selections: list[str] | None = None


def parse_json_body(raw: bytes, content_type: str | None) -> Any:
    mimetype = (content_type or "").split(";")[0].strip().lower()
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise ServiceError(415, f"Content-Type must be application/json, got {mimetype or 'none'}", code="not-supported")
    try:
        # orjson: several times faster than the json module, strict RFC 8259 (NaN and Infinity are refused),
        # and it stops at 1,024 levels of nesting by itself instead of recursing. Given the bytes, it checks
        # the UTF-8 itself, so no decoded copy of a many-megabyte body is made.
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ServiceError(400, "request body is not UTF-8", code="structure")
        if "depth limit" in exc.msg or "recursion" in exc.msg.lower():
            raise ServiceError(400, f"request body nests deeper than {MAX_JSON_DEPTH} levels", code="structure")
        raise ServiceError(400, f"request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                           code="structure")
    if nests_deeper_than(body, MAX_JSON_DEPTH):
        raise ServiceError(400, f"request body nests deeper than {MAX_JSON_DEPTH} levels", code="structure")
    return body


def nests_deeper_than(value: Any, limit: int) -> bool:
    """``json_depth(value) > limit`` for a parsed JSON value (dicts, lists, strings, numbers, booleans, None),
    found without walking it in Python.

    Why: this runs on every call over the whole body (thousands of containers), and a walk in Python was a
    tenth of a call's CPU. orjson writes the value indented by two spaces per level, every member of a
    non-empty container on a line of its own and nothing else at the start of a line (line breaks inside
    strings are escaped), so the node at depth ``d`` starts a line indented by ``2 * (d - 1)`` spaces: the
    value nests deeper than ``limit`` exactly when some line is indented by ``2 * limit`` spaces or more.
    Where orjson will not write the value (nesting past its own limit of 255, or a Python value that is not
    JSON), the walk decides."""
    if limit < 1:
        return json_depth(value) > limit
    try:
        indented = orjson.dumps(value, option=orjson.OPT_INDENT_2)
    except orjson.JSONEncodeError:
        return json_depth(value) > limit
    return b"\n" + b" " * (2 * limit) in indented


def json_depth(value: Any) -> int:
    """Nesting depth of a parsed JSON value (a scalar is one level), without recursion (so the check itself
    cannot overflow). Level by level, and only containers are kept for the next level: a whole-record
    prefetch is mostly strings, and this walk runs on every call."""
    if not isinstance(value, (dict, list)):
        return 1
    deepest, depth, level = 1, 1, [value]
    while level:
        below: list[Any] = []
        keep = below.append
        scalar_below = False
        for node in level:
            for child in (node.values() if type(node) is dict else node):
                if type(child) is dict or type(child) is list:
                    keep(child)
                else:
                    scalar_below = True
        deepest = max(deepest, depth + 1 if scalar_below else depth)
        depth += 1
        level = below
    return deepest


def draft_order_entries(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    """The entries of a draftOrders Bundle as ``{"fullUrl", "resource"}``, read leniently (no Bundle.type or
    fullUrl needed, checklist 1D.17).

    Entries that are not objects are skipped; a Bundle nested in an entry is flattened here, so the decision
    core only ever sees order resources. A non-Bundle resource with an ``entry`` member is malformed and
    refused (400): the core reads ``entry`` as a Bundle's, and an order must not be guessed at. The fullUrl is
    kept because an order may name its drug by it (``medicationReference`` to ``urn:uuid:...``, FHIR R4 Bundle
    references): without it that drug would be unknown and its conflicts never checked.
    """
    kept: list[dict[str, Any]] = []
    entries = bundle.get("entry") if isinstance(bundle, dict) else None
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(entry, dict):
            continue
        resource = entry.get("resource") if isinstance(entry.get("resource"), dict) else None
        if resource is None and isinstance(entry.get("resourceType"), str):
            resource = entry   # some clients list resources directly
        if resource is None or not isinstance(resource.get("resourceType"), str):
            continue
        if resource["resourceType"] == "Bundle":
            kept.extend(draft_order_entries(resource))
        elif "entry" in resource:
            raise ServiceError(400, f"context.draftOrders.entry[{index}] is a {resource['resourceType']} with an "
                                    "'entry' member; only a Bundle has entries")
        else:
            problem = json_problem(resource)
            if problem:
                raise ServiceError(400, f"context.draftOrders.entry[{index}] ({resource['resourceType']}) is not "
                                        f"valid FHIR JSON: {problem[:200]}")
            full_url = entry.get("fullUrl") if resource is not entry and isinstance(entry.get("fullUrl"), str) else None
            kept.append({"fullUrl": full_url, "resource": resource})
    return kept


def parse_hook_request(body: Any, service_hook: str, service_id: str) -> HookRequest:
    if not isinstance(body, dict):
        raise ServiceError(400, "request body must be a JSON object")
    hook = body.get("hook")
    if isinstance(hook, str) and hook != service_hook:
        raise ServiceError(400, f"service {service_id} answers {service_hook}, not hook {hook!r}",
                           code="not-supported")
    problem = first_error("request", body)
    if problem:
        raise ServiceError(400, f"invalid CDS Hooks request: {problem}")
    try:
        uuid.UUID(body["hookInstance"])
    except ValueError:
        raise ServiceError(400, "hookInstance must be a UUID (CH §Calling a CDS Service)")
    context = body["context"]
    prefetch = body.get("prefetch")
    auth = body.get("fhirAuthorization")
    request = HookRequest(
        hook=hook, hook_instance=body["hookInstance"], context=context, patient_id=context["patientId"],
        prefetch=prefetch, fhir_server=body.get("fhirServer"), access_token=auth["access_token"] if auth else None,
    )
    if hook in ("order-select", "order-sign"):   # the schema made draftOrders (and selections) required there
        request.order_entries = draft_order_entries(context["draftOrders"])
        request.orders = [entry["resource"] for entry in request.order_entries]
        known = {f"{r['resourceType']}/{r['id']}" for r in request.orders if isinstance(r.get("id"), str)}
        if hook == "order-select":
            missing = [s for s in context["selections"] if s not in known]
            if missing:
                raise ServiceError(400, f"context.selections names orders not in draftOrders: {', '.join(missing)}")
            request.selections = list(context["selections"])
    return request
