"""How the DEVELOPMENT EHR proves itself to CDS services and to its own FHIR server.

Demo/test infrastructure only. The CDS Hooks call is signed the way the public CDS Hooks
sandbox signs it (standards-checklist 1I/1K: ES384, ``kid``, ``jku`` = the EHR's JWKS URL,
``iss`` = the EHR, ``aud`` = the exact URL called, ``exp`` = now + 5 minutes, ``jti``), so the
product is exercised by the same checks a real deployment meets. Keys are generated at
start-up and never written to the repository.
"""
from __future__ import annotations

import time
import uuid
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey, OctKey

# The sandbox's exp window (standards-checklist 1K: exp = now + 300 s).
CDS_JWT_LIFETIME = 300


class EhrSigner:
    """The EHR's ES384 key pair for CDS Hooks client JWTs, with its public JWKS."""

    def __init__(self, issuer: str, jwks_url: str, key: ECKey | None = None) -> None:
        self.issuer = issuer
        self.jwks_url = jwks_url
        self.key = key or ECKey.generate_key("P-384", parameters={"kid": str(uuid.uuid4()), "use": "sig",
                                                                   "alg": "ES384"}, private=True)

    @property
    def kid(self) -> str:
        return str(self.key.kid)

    def jwks(self) -> dict[str, Any]:
        """The public half only: what the CDS service fetches from ``jku``."""
        return {"keys": [self.key.as_dict(private=False)]}

    def cds_token(self, audience: str, *, now: float | None = None) -> str:
        """A one-use bearer JWT for one CDS Hooks request to ``audience`` (the exact URL called)."""
        issued = int(now if now is not None else time.time())
        header = {"alg": "ES384", "typ": "JWT", "kid": self.kid, "jku": self.jwks_url}
        claims = {"iss": self.issuer, "aud": audience, "iat": issued, "exp": issued + CDS_JWT_LIFETIME,
                  "jti": str(uuid.uuid4())}
        return jwt.encode(header, claims, self.key, algorithms=["ES384"])


def fhir_access_token(secret: str, audience: str, *, scope: str, client_id: str,
                      patient: str | None = None, lifetime: int = 300) -> str:
    """An HS256 access token the real FHIR server (sekmet, started with this smart secret) honours.

    The EHR uses it for its own prefetch queries and hands a patient-scoped one to the CDS
    service as ``fhirAuthorization``; the FHIR server checks aud, exp and scope itself.
    """
    now = int(time.time())
    claims: dict[str, Any] = {"iss": audience, "aud": audience, "sub": client_id, "client_id": client_id,
                              "scope": scope, "iat": now, "exp": now + lifetime, "jti": str(uuid.uuid4())}
    if patient:
        claims["patient"] = patient
    return jwt.encode({"alg": "HS256", "typ": "JWT"}, claims, OctKey.import_key(secret), algorithms=["HS256"])
