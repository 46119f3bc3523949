"""The printed handout behind ``receptor-cds explain``: one patient's page as a self-contained file.

Reads the patient from a FHIR server with the one FHIR client (bearer token from the caller),
runs the same ``assess()`` and the same renderer as the portal page, and returns HTML whose
stylesheet is inlined so the file prints on its own (two A4 or Letter pages; print CSS in
``static/patient.css``). A failure is a ``HandoutError`` with a message saying what went wrong;
nothing is written for a patient the server does not have.
"""
from __future__ import annotations

from datetime import date

from app.config import Settings
from app.smart.patient_data import fetch_patient_data, patient_display
from cds_hooks.decision import DecisionConfig, assess
from cds_hooks.fhir_client import FhirAuthError, FhirResponseError, FhirUnavailable, InvalidFhirRequest

from .explain import explain
from .render import DEFAULT_LANGUAGE, render_page
from .views import PATIENT_RESOURCE_TYPES


class HandoutError(RuntimeError):
    """The handout could not be made; the message says why (never a token, never patient data)."""


def build_handout(fhir_base: str, patient_id: str, token: str | None, *, settings: Settings | None = None,
                  language: str = DEFAULT_LANGUAGE, today: date | None = None) -> str:
    """The handout HTML for one patient of ``fhir_base``."""
    settings = settings or Settings()
    today = today or date.today()
    try:
        data = fetch_patient_data(settings, fhir_base.rstrip("/"), token or "", patient_id,
                                  extra_types=PATIENT_RESOURCE_TYPES)
    except FhirAuthError as e:
        raise HandoutError(f"the FHIR server refused access (HTTP {e.status}); check the token") from None
    except FhirUnavailable:
        raise HandoutError("the FHIR server did not answer in time") from None
    except (FhirResponseError, InvalidFhirRequest) as e:
        raise HandoutError(f"the FHIR server's answer could not be used ({e})") from None
    if data.patient is None:
        raise HandoutError("the FHIR server has no Patient with that id; no handout was written")
    assessment = assess(data.resources, DecisionConfig(today=today))
    ex = explain(assessment, patient_display(data.patient), partial_data=bool(data.notes))
    return render_page(ex, handout=True, language=language, today=today)
