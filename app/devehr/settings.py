"""Configuration of the DEVELOPMENT EHR (demo/test infrastructure, never a production EHR).

One frozen object carries everything the dev EHR needs to play a real EHR towards the product:
where it lives, which real FHIR server backs its ``/fhir`` endpoint, the CDS service it calls,
the SMART app it launches, and the secrets generated at start-up (never stored in the repo).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .patients import DEFAULT_CASES_DIR
from .signing import EhrSigner

# The short list of drugs the "draft an order" form offers (RxNorm ingredient codes).
ORDERABLE_DRUGS: tuple[tuple[str, str], ...] = (
    ("10324", "tamoxifen"),
    ("72965", "letrozole"),
    ("224905", "trastuzumab"),
    ("2267582", "fam-trastuzumab deruxtecan (T-DXd)"),
)
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


@dataclass(frozen=True)
class DevEhrConfig:
    # Public origin of the dev EHR, e.g. "http://127.0.0.1:8100"; it is also the CDS Hooks `iss`.
    base_url: str
    # The real FHIR server (sekmet) that `{base_url}/fhir` passes through to.
    fhir_upstream: str
    # Secret shared with the FHIR server: access tokens are HS256 JWTs signed with it.
    smart_secret: str
    # The product's CDS Hooks base, e.g. "http://127.0.0.1:8200/cds-services".
    cds_services_url: str
    # The SMART app's launch URL; the only URL the EHR will launch (card links are checked against it).
    app_launch_url: str
    # The patient page's launch URL (product ``/patient/launch``); the portal entry launches only this.
    patient_launch_url: str | None = None
    # SMART client registrations handed to the authorization server (client_id, secret, redirect_uris...).
    smart_clients: tuple[Any, ...] = ()   # auth_server.ClientRegistration objects
    signer: EhrSigner | None = None
    cases_dir: Path = DEFAULT_CASES_DIR
    # The CDS service's OAuth client id: `fhirAuthorization.subject`.
    cds_client_id: str = "receptor-cds-service"
    # The clinician the EHR pretends is logged in.
    user_id: str = "Practitioner/devehr-oncologist"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def fhir_base(self) -> str:
        return f"{self.base_url.rstrip('/')}/fhir"

    @property
    def jwks_url(self) -> str:
        return f"{self.base_url.rstrip('/')}/.well-known/jwks.json"
