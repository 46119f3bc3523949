"""Reading the launched patient's data from the EHR's FHIR server for the page.

All reads go through ``cds_hooks.fhir_client.FhirClient`` (pooled session, timeouts, paging as
the server links it, token only to the FHIR origin). Results are ordered on our side because a
server may ignore ``_sort`` (FHIR R4 search: unsupported parameters are normally ignored).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Sequence

from cds_hooks.fhir_client import FhirAuthError, FhirClient, sort_by_effective_desc

from cds_hooks.decision.reads import CORE_READS, CoreRead

from app.config import Settings

# Searches for the page: the decision core's declared reads (cds_hooks.decision.reads), so the page
# sees what a CDS Hooks call sees (Specimen for the sample's site, Procedure for an oophorectomy...).
# A refusal of a required read stops the page (403 page); of any other it becomes a note.
_SEARCHES: tuple[CoreRead, ...] = tuple(r for r in CORE_READS if not r.instance)


@dataclass
class PatientData:
    resources: list[dict] = field(default_factory=list)
    patient: dict | None = None
    notes: list[str] = field(default_factory=list)


def fetch_patient_data(settings: Settings, fhir_base: str, token: str, patient_id: str,
                       extra_types: Sequence[str] = ()) -> PatientData:
    """Everything the decision core needs for one patient.

    ``extra_types`` are further resource types searched by patient (non-essential: a refusal is a
    note), e.g. ``Procedure`` and ``Specimen`` for the patient page.

    Raises ``FhirAuthError`` (401/403 on an essential read), ``FhirUnavailable`` and
    ``FhirResponseError``: the view turns each into its own page.
    """
    data = PatientData()
    deadline = time.monotonic() + max(settings.fhir_total_budget, settings.fhir_read_timeout) * 2
    with FhirClient(fhir_base, token, connect_timeout=settings.fhir_connect_timeout,
                    read_timeout=settings.fhir_read_timeout, deadline=deadline,
                    max_pages=settings.fhir_max_pages, max_response_bytes=settings.fhir_max_response_bytes,
                    max_call_bytes=settings.fhir_max_call_bytes,
                    max_entries_per_response=settings.fhir_max_entries_per_response,
                    max_entries_per_call=settings.fhir_max_entries_per_call) as client:
        data.patient = client.read("Patient", patient_id)
        if data.patient is None:
            data.notes.append("The EHR's FHIR server has no Patient record for the launched patient.")
        else:
            data.resources.append(data.patient)
        refused: set[str] = set()
        declared = {r.resource_type for r in CORE_READS}
        extra = [CoreRead(f"extra-{t}", t, f"{t} records", "asked for by the page") for t in extra_types
                 if t not in declared]
        for read in [*_SEARCHES, *extra]:
            rtype = read.resource_type
            if rtype in refused:
                continue
            try:
                found = client.search(rtype, read.search_params(patient_id))
            except FhirAuthError as e:
                if read.required or e.status == 401:
                    raise
                refused.add(rtype)
                data.notes.append(f"The EHR refused access to {rtype} resources (HTTP 403); "
                                  f"anything recorded there is not considered on this page.")
                continue
            if found.truncated:
                data.notes.append(f"Only the first {found.pages} pages of {read.label} were read; "
                                  f"older records may be missing.")
            items = [r for r in found if isinstance(r, dict) and r.get("resourceType") == rtype]
            if rtype == "Observation":
                items = sort_by_effective_desc(items)
            data.resources.extend(items)
    return data


def patient_display(patient: dict | None) -> str:
    """A display name from Patient.name (official first), without inventing one."""
    if not patient:
        return "Unknown patient"
    names = patient.get("name") or []
    names = sorted((n for n in names if isinstance(n, dict)), key=lambda n: n.get("use") != "official")
    for name in names:
        if name.get("text"):
            return str(name["text"])
        parts = [*(name.get("given") or []), name.get("family") or ""]
        text = " ".join(str(p) for p in parts if p).strip()
        if text:
            return text
    return f"Patient {patient.get('id', '')}".strip()
