"""The app's own signing key for ``private_key_jwt`` and the public JWKS served from it.

SMART asymmetric client authentication: RS384 or ES384, ``kid`` unique within the JWK Set, the
public JWKS served without authentication at a URL registered with the EHR.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from joserfc.jwk import ECKey, RSAKey

SUPPORTED_ALGS = ("RS384", "ES384")


@lru_cache(maxsize=4)
def load_signing_key(path: str, alg: str) -> RSAKey | ECKey:
    """Load the PEM private key once; ``kid`` is its RFC 7638 thumbprint so it is stable."""
    if alg not in SUPPORTED_ALGS:
        raise ValueError(f"SMART client assertions use RS384 or ES384, not {alg}")
    pem = Path(path).read_bytes()
    key = (RSAKey if alg == "RS384" else ECKey).import_key(pem, parameters={"alg": alg, "use": "sig"})
    key.ensure_kid()
    return key


def public_jwks(path: str | None, alg: str) -> dict:
    if not path:
        return {"keys": []}
    key = load_signing_key(path, alg)
    public = key.as_dict(private=False)
    public.update({"alg": alg, "use": "sig", "kid": key.kid})
    return {"keys": [public]}
