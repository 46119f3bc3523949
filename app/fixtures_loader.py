"""The project's FHIR fixtures as bundles, and uploading them to any FHIR server as transactions.

Where they are: an installed wheel (``pip install .``) carries ``real/``, ``synthea/`` and ``cases/`` inside the
package as ``app/fixtures`` (see ``setup.py``); a source checkout or an editable install reads the repository's
top-level ``fixtures/`` folder, which also holds the test-only ``large/`` and ``hooks/`` data.
``fixture_bundles()`` reads ``fixtures/real/*.json``, ``fixtures/synthea/*.json`` and the ``bundle`` of
every ``fixtures/cases/*.json``. Used by the tests' FHIR server, the demo, and
``receptor-cds load-fixtures --fhir-base URL``.
"""
from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any, Iterable

import requests

from cds_hooks.fhir_client import FHIR_JSON, redact

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGED_FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures"
# The wheel's copy when installed, else the checkout's folder.
FIXTURES_DIR = PACKAGED_FIXTURES_DIR if PACKAGED_FIXTURES_DIR.is_dir() else REPO_ROOT / "fixtures"
# Folders of whole bundles, in load order; then the curated cases (their "bundle" member).
_BUNDLE_DIRS = ("real", "synthea")
_CASES_DIR = "cases"


class FixtureLoadError(Exception):
    """A server rejected (or could not be sent) one fixture bundle; says which one and why."""


def fixture_bundles(root: Path | None = None) -> list[tuple[str, dict]]:
    """All project fixtures as ``(name, bundle)`` pairs, in a stable order (real, synthea, cases).

    ``name`` is the path relative to the fixtures folder, e.g. ``cases/er-low-positive.json``.
    JSON files without a ``resourceType`` (provenance metadata such as the mCODE IG's ``package.json``)
    are not fixtures and are skipped; a FHIR resource that is not a Bundle is an error.
    """
    base = Path(root) if root is not None else FIXTURES_DIR
    found: list[tuple[str, dict]] = []
    for folder in _BUNDLE_DIRS:
        for path in sorted((base / folder).glob("*.json")):
            data = _read_json(path)
            if not isinstance(data, dict) or "resourceType" not in data:
                continue
            if data["resourceType"] != "Bundle":
                raise FixtureLoadError(f"{folder}/{path.name}: a {data['resourceType']}, not a Bundle")
            found.append((f"{folder}/{path.name}", data))
    for path in sorted((base / _CASES_DIR).glob("*.json")):
        case = _read_json(path)
        bundle = case.get("bundle") if isinstance(case, dict) else None
        if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
            raise FixtureLoadError(f"{_CASES_DIR}/{path.name}: case file has no 'bundle' Bundle")
        found.append((f"{_CASES_DIR}/{path.name}", bundle))
    return found


def read_fixture(path: str | Path) -> dict:
    """One fixture file as a Bundle: a plain Bundle file, or a case file's ``bundle``."""
    data = _read_json(Path(path))
    if isinstance(data, dict) and data.get("resourceType") != "Bundle" and isinstance(data.get("bundle"), dict):
        return data["bundle"]
    return data


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FixtureLoadError(f"cannot read fixture {path}: {exc}") from None


def to_transaction(bundle: dict) -> dict:
    """A collection/transaction/batch Bundle as a transaction Bundle the server can apply atomically.

    Resources with an id become ``PUT Type/id`` (so reloading is idempotent and ids stay the ones the
    cases and tests name); resources without an id become ``POST Type`` under a ``urn:uuid`` fullUrl.
    References equal to the fullUrl of a PUT entry (Synthea's ``urn:uuid:...``, mCODE's absolute
    ``http://example.org/fhir/Type/id``) are rewritten to ``Type/id`` here, so they survive on servers
    that only resolve urn:uuid references for POST entries; references to POST entries keep their
    ``urn:uuid`` form, which the server resolves (R4 transaction rules). The input is not modified.
    """
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise FixtureLoadError("not a Bundle")
    entries_out: list[dict] = []
    local_ref: dict[str, str] = {}
    for entry in bundle.get("entry") or []:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or not resource.get("resourceType"):
            continue
        resource = copy.deepcopy(resource)
        rtype, rid = resource["resourceType"], resource.get("id")
        full_url = entry.get("fullUrl")
        if rid:
            target = f"{rtype}/{rid}"
            if full_url:
                local_ref[full_url] = target
            out = {"resource": resource, "request": {"method": "PUT", "url": target}}
            if full_url:
                out["fullUrl"] = full_url
        else:
            if not (isinstance(full_url, str) and full_url.startswith("urn:uuid:")):
                full_url = f"urn:uuid:{uuid.uuid4()}"
            out = {"fullUrl": full_url, "resource": resource, "request": {"method": "POST", "url": rtype}}
        entries_out.append(out)
    for out in entries_out:
        _rewrite_references(out["resource"], local_ref)
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries_out}


def _rewrite_references(node: Any, mapping: dict[str, str]) -> None:
    if isinstance(node, dict):
        ref = node.get("reference")
        if isinstance(ref, str) and ref in mapping:
            node["reference"] = mapping[ref]
        for value in node.values():
            if isinstance(value, (dict, list)):
                _rewrite_references(value, mapping)
    elif isinstance(node, list):
        for item in node:
            _rewrite_references(item, mapping)


def load_into(base_url: str, bundles: Iterable[tuple[str, dict]], token: str | None = None,
              timeout: float = 120.0, session: requests.Session | None = None) -> list[str]:
    """POST each ``(name, bundle)`` as a transaction to ``base_url``; returns the names loaded.

    Stops at the first rejection with a ``FixtureLoadError`` naming the bundle and quoting the server's
    OperationOutcome diagnostics (never the request body). ``timeout`` is per bundle (a whole Synthea
    record is thousands of entries). POSTs are never retried: a transaction may have been applied.
    """
    base = base_url.rstrip("/")
    headers = {"Accept": FHIR_JSON, "Content-Type": FHIR_JSON}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    http = session or requests.Session()
    loaded: list[str] = []
    try:
        for name, bundle in bundles:
            transaction = to_transaction(bundle)
            try:
                resp = http.post(base, data=json.dumps(transaction), headers=headers, timeout=(3.05, timeout))
            except requests.RequestException as exc:
                raise FixtureLoadError(
                    f"{name}: could not send to {redact(base)} ({type(exc).__name__})") from None
            if not 200 <= resp.status_code < 300:
                raise FixtureLoadError(f"{name}: {redact(base)} rejected the transaction with "
                                       f"{resp.status_code}: {_diagnostics(resp)}")
            loaded.append(name)
    finally:
        if session is None:
            http.close()
    return loaded


def _diagnostics(resp: requests.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        return f"non-JSON answer ({resp.headers.get('Content-Type', '?')})"
    if isinstance(body, dict) and body.get("resourceType") == "OperationOutcome":
        texts = [str(i.get("diagnostics") or (i.get("details") or {}).get("text") or i.get("code"))
                 for i in body.get("issue") or [] if isinstance(i, dict)]
        return "; ".join(texts)[:1000] or "OperationOutcome without diagnostics"
    return f"unexpected {body.get('resourceType') if isinstance(body, dict) else type(body).__name__}"
