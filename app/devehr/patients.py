"""The DEVELOPMENT EHR's patient list: who is on its FHIR server, and what each curated case shows.

Demo/test infrastructure. The list comes from the real FHIR server (a Patient search, pages
followed), so it shows exactly what was loaded; curated cases add the one-line ``description``
from their ``fixtures/cases/<case>.json`` file (Patient id = case name).
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from app.fixtures_loader import FIXTURES_DIR
from app.smart.patient_data import patient_display

log = logging.getLogger(__name__)

DEFAULT_CASES_DIR = FIXTURES_DIR / "cases"


@dataclass(frozen=True)
class PatientRow:
    id: str
    name: str
    gender: str | None
    birth_date: str | None
    description: str | None


def case_descriptions(cases_dir: Path = DEFAULT_CASES_DIR) -> dict[str, str]:
    """Patient id -> the case's one-line description, for every readable case file."""
    found: dict[str, str] = {}
    if not cases_dir.is_dir():
        return found
    for path in sorted(cases_dir.glob("*.json")):
        try:
            case = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            log.warning("case file %s unreadable: %s", path.name, type(exc).__name__)
            continue
        description = case.get("description") if isinstance(case, dict) else None
        if not isinstance(description, str):
            continue
        entries = ((case.get("bundle") or {}).get("entry") or [])
        patient_ids = [e["resource"].get("id") for e in entries
                       if isinstance(e, dict) and isinstance(e.get("resource"), dict)
                       and e["resource"].get("resourceType") == "Patient"]
        for pid in patient_ids or [path.stem]:
            if pid:
                found[str(pid)] = description
    return found


def list_patients(fhir_base: str, token: str | None, descriptions: dict[str, str], *,
                  session: requests.Session | None = None, max_pages: int = 20) -> list[PatientRow]:
    """Every Patient on the server (pages followed), with case descriptions where known."""
    http = session or requests.Session()
    headers = {"Accept": "application/fhir+json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    url: str | None = f"{fhir_base.rstrip('/')}/Patient?_count=100"
    rows: list[PatientRow] = []
    pages = 0
    while url and pages < max_pages:
        response = http.get(url, headers=headers, timeout=(3.05, 15))
        response.raise_for_status()
        bundle = response.json()
        pages += 1
        for entry in bundle.get("entry") or []:
            resource = entry.get("resource") or {}
            if resource.get("resourceType") != "Patient":
                continue
            pid = str(resource.get("id"))
            rows.append(PatientRow(pid, patient_display(resource), resource.get("gender"),
                                   resource.get("birthDate"), descriptions.get(pid)))
        url = next((link.get("url") for link in bundle.get("link") or [] if link.get("relation") == "next"), None)
    # Real-data patients (mCODE, Synthea) first, then the curated cases, each by name.
    rows.sort(key=lambda r: (r.description is not None, r.name.lower()))
    return rows
