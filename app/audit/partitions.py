"""What the Dask workers run on one partition: key lines by patient, collect shared resources, assess groups.

These are plain functions of plain data (lists of NDJSON lines, ``(patient, line)`` pairs, a two-column frame),
so Dask can ship them to any worker and a test can call them directly.

Keying (``key_lines``): each resource goes to the patient it is about: a ``Patient`` is its own key; any other
resource goes to the Patient its ``subject`` (or ``patient``) references, as ``Patient/123``, an absolute
``.../Patient/123`` or a versioned ``Patient/123/_history/2``. Only the resource's line travels through the
shuffle (a string pickles far faster than a parsed dict). What cannot be keyed is counted, never guessed:
resources about no patient, references that cannot be resolved to a Patient id (``urn:uuid:``, contained),
lines that are not JSON. The counts travel through the same shuffle as one small record per input partition
(a JSON object under a key no Patient id can have).

Assessing (``assess_frame``/``assess_groups``): one patient's lines are parsed, de-duplicated by ``Type/id``
(keeping the newest ``meta.lastUpdated``, then the highest ``meta.versionId``: an incremental ``_since`` export
adds newer versions next to the old ones), put in a fixed order (the shuffle delivers them in any order, and
the answer must not depend on it), joined with the shared resources they reference, assessed once, and turned
into a row by the CDS card builder.
"""
from __future__ import annotations

import json
import uuid
from collections import Counter
from typing import Any, Iterable, Mapping

import orjson

from cds_hooks.decision import DEFAULT_CONFIG, DecisionConfig, assess
from cds_hooks.service.cards import patient_view_cards

from .rows import audit_row
from .scope import SHARED_TYPES, in_scope

STATS_PREFIX = "\x00stats:"     # keys of the per-partition count records (no Patient id starts with NUL)
# A resource line longer than this is not read (it would cost a worker its memory); FHIR resources of the
# types the core reads are a few kB, a whole-record Patient compartment never sits on one line.
MAX_LINE_BYTES = 16 * 1024 * 1024


def patient_id_of(reference: Any) -> str | None:
    """The Patient id a Reference points to, or None when it does not point to a Patient by id."""
    if isinstance(reference, dict):
        reference = reference.get("reference")
    if not isinstance(reference, str):
        return None
    parts = reference.strip().rstrip("/").split("/")
    if len(parts) >= 4 and parts[-2] == "_history":
        parts = parts[:-2]
    if len(parts) >= 2 and parts[-2] == "Patient" and parts[-1]:
        return parts[-1]
    return None


def _patient_key(resource: dict[str, Any]) -> str | None:
    if resource.get("resourceType") == "Patient":
        rid = resource.get("id")
        return rid if isinstance(rid, str) and rid else None
    for field in ("subject", "patient"):
        found = patient_id_of(resource.get(field))
        if found:
            return found
    return None


def key_lines(lines: Iterable[str]) -> list[tuple[str, str]]:
    """``(patient id, line)`` for every resource about a patient, plus one ``(STATS_PREFIX..., counts as JSON)``."""
    out: list[tuple[str, str]] = []
    counts: Counter[str] = Counter()
    for line in lines:
        if not line or line.isspace():
            continue
        if len(line) > MAX_LINE_BYTES:
            counts["line too large, not read"] += 1
            continue
        try:
            resource = orjson.loads(line)          # several times faster than json; strict RFC 8259
        except orjson.JSONDecodeError:
            counts["line not JSON, not read"] += 1
            continue
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            counts["line not a FHIR resource, not read"] += 1
            continue
        rtype = resource["resourceType"]
        if rtype in SHARED_TYPES:
            continue                                       # collected separately (collect_shared)
        key = _patient_key(resource)
        if key is None:
            counts[f"{rtype} not linked to a Patient id, not read"] += 1
            continue
        counts["resources"] += 1
        out.append((key, line))
    out.append((STATS_PREFIX + uuid.uuid4().hex, json.dumps(counts)))
    return out


def collect_shared(lines: Iterable[str]) -> list[tuple[str, str]]:
    """``("Medication/id", line)`` for the resources of SHARED_TYPES in these lines."""
    found = []
    for line in lines:
        if not any(f'"{rtype}"' in line for rtype in SHARED_TYPES):     # cheap test before parsing
            continue
        try:
            resource = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if isinstance(resource, dict) and resource.get("resourceType") in SHARED_TYPES and \
                isinstance(resource.get("id"), str):
            found.append((f"{resource['resourceType']}/{resource['id']}", line))
    return found


def _version(pair: tuple[dict[str, Any], str]) -> tuple[str, int, str]:
    """How new a resource is: meta.lastUpdated, then a numeric meta.versionId, then its text (any fixed order)."""
    resource, line = pair
    meta = resource.get("meta") if isinstance(resource.get("meta"), dict) else {}
    updated = meta.get("lastUpdated") if isinstance(meta.get("lastUpdated"), str) else ""
    version = meta.get("versionId")
    number = int(version) if isinstance(version, str) and version.isdigit() else -1
    return updated, number, line


def _newest(pairs: list[tuple[dict[str, Any], str]]) -> list[dict[str, Any]]:
    """One resource per Type/id (the newest version), in a fixed order: by type, id, then text."""
    chosen: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
    for pair in pairs:
        resource, line = pair
        rid = resource.get("id")
        key = (resource["resourceType"], rid if isinstance(rid, str) else "\x00" + line)
        held = chosen.get(key)
        if held is None or _version(pair) > _version(held):
            chosen[key] = pair
    return [chosen[key][0] for key in sorted(chosen)]


def _shared_for(resources: list[dict[str, Any]], shared: Mapping[str, str]) -> list[dict[str, Any]]:
    if not shared:
        return []
    wanted = set()
    for resource in resources:
        ref = resource.get("medicationReference")
        target = ref.get("reference") if isinstance(ref, dict) else None
        if isinstance(target, str):
            parts = target.rstrip("/").split("/")
            if len(parts) >= 2:
                wanted.add("/".join(parts[-2:]))
    return [orjson.loads(shared[ref]) for ref in sorted(wanted) if ref in shared]


def _source(resource: dict[str, Any]) -> str | None:
    meta = resource.get("meta")
    source = meta.get("source") if isinstance(meta, dict) else None
    return source if isinstance(source, str) and source else None


def assess_groups(groups: Iterable[tuple[str, list[str]]], shared: Mapping[str, str] | None = None,
                  config: DecisionConfig = DEFAULT_CONFIG) -> list[dict[str, Any]]:
    """``groups``: ``(patient id, [lines])``. One element for the whole partition:
    ``{"rows": [...] sorted by patient, "counts": {...}}``."""
    rows: list[dict[str, Any]] = []
    counts: Counter[str] = Counter()
    for key, lines in groups:
        if key.startswith(STATS_PREFIX):
            for text in lines:
                counts.update(json.loads(text))
            continue
        counts["patients"] += 1
        # Each line was parsed once already in key_lines, so it is a JSON object with a resourceType.
        resources = _newest([(orjson.loads(line), line) for line in lines])
        if not any(r["resourceType"] == "Patient" for r in resources):
            counts["patients without a Patient resource"] += 1
        resources += _shared_for(resources, shared or {})
        try:
            assessment = assess(resources, config)
            if assessment.patient is None:
                assessment.patient = key
            if not in_scope(assessment):
                counts["patients without breast cancer (not listed)"] += 1
                continue
            cards = patient_view_cards(assessment)
            sources = {f"{r['resourceType']}/{r.get('id')}": _source(r) for r in resources}
            rows.append(audit_row(key, assessment, cards, sources))
        except Exception as exc:   # a bug for one patient must not cost the whole population its audit
            counts["patients not assessed (internal error)"] += 1
            rows.append({"patient": key, "error": f"not assessed: internal error ({type(exc).__name__})"})
            continue
        counts["patients audited"] += 1
    rows.sort(key=lambda row: row["patient"])
    return [{"rows": rows, "counts": dict(counts)}]


def assess_frame(frame: Any, shared: Mapping[str, str] | None = None,
                 config: DecisionConfig = DEFAULT_CONFIG) -> list[dict[str, Any]]:
    """``assess_groups`` on one shuffled partition: a frame with ``patient`` and ``line`` columns, every row of a
    patient in this one partition."""
    groups: dict[str, list[str]] = {}
    for key, line in zip(frame["patient"].tolist(), frame["line"].tolist()):
        groups.setdefault(key, []).append(line)
    return assess_groups(sorted(groups.items()), shared, config)
