"""What the CDS Hooks service needs to know, and nothing else (the app's ``Settings`` hands it over).

The service is library code: it takes this small object rather than importing the application's settings,
so imports keep pointing down (``app`` -> ``cds_hooks``) and the blueprint can be built by any host app.
"""
from __future__ import annotations

from dataclasses import dataclass

# A whole-record prefetch (Synthea's 3,000-entry patients) is a few MB; anything far beyond is refused unread.
DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024
# Resources one prefetch key may hold: the largest real record we test with (Synthea, ~3,000 entries)
# fits with room to spare; far more is refused before any parsing work is spent on it.
DEFAULT_MAX_PREFETCH_RESOURCES = 10_000


@dataclass(frozen=True)
class ServiceSettings:
    # Canonical public base URL; JWT `aud` is checked against {public_url}/cds-services[...].
    public_url: str = "http://127.0.0.1:8000"
    trusted_issuers_path: str | None = None
    database_url: str = "sqlite:///receptor-cds-feedback.sqlite"
    smart_launch_url: str | None = None
    cds_auth_disabled: bool = False
    fhir_connect_timeout: float = 3.05
    fhir_read_timeout: float = 10.0
    fhir_total_budget: float = 8.0
    fhir_max_pages: int = 20
    # Caps on what a FHIR server may send (issue 8): decoded bytes and Bundle entries, per answer and per call.
    fhir_max_response_bytes: int = 16 * 1024 * 1024
    fhir_max_call_bytes: int = 32 * 1024 * 1024
    fhir_max_entries_per_response: int = 10_000
    fhir_max_entries_per_call: int = 20_000
    # The EHR's JWK Set: seconds for one fetch in all, decoded bytes, number of keys.
    jwks_fetch_seconds: float = 5.0
    jwks_max_bytes: int = 256 * 1024
    jwks_max_keys: int = 100
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_prefetch_resources: int = DEFAULT_MAX_PREFETCH_RESOURCES
