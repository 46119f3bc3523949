"""The app's private_key_jwt client assertion, as SMART asymmetric client authentication asks it."""
from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey

from app.smart.client_keys import load_signing_key, public_jwks
from app.smart.tokens import _SmartPrivateKeyJWT

TOKEN_URL = "https://ehr.example.org/oauth/token"


@pytest.fixture(params=["RS384", "ES384"])
def signing_key_file(request, tmp_path):
    alg = request.param
    key = RSAKey.generate_key(2048) if alg == "RS384" else ECKey.generate_key("P-384")
    path = tmp_path / f"client-{alg}.pem"
    path.write_bytes(key.as_pem(private=True))
    return str(path), alg


def test_assertion_header_and_claims(signing_key_file):
    """alg RS384/ES384, kid of the served JWKS, typ JWT; iss=sub=client_id, aud=token URL, exp <= 5 min, fresh jti."""
    path, alg = signing_key_file
    key = load_signing_key(path, alg)
    method = _SmartPrivateKeyJWT(TOKEN_URL, alg, key.kid)
    auth = SimpleNamespace(client_id="receptor-app", client_secret=key)
    first = method.sign(auth, TOKEN_URL)
    second = method.sign(auth, TOKEN_URL)
    served = KeySet.import_key_set(public_jwks(path, alg))
    token = jwt.decode(first, served, algorithms=[alg])        # verifies with the public JWKS only
    assert token.header == {"alg": alg, "kid": key.kid, "typ": "JWT"}
    claims = token.claims
    assert claims["iss"] == claims["sub"] == "receptor-app" and claims["aud"] == TOKEN_URL
    assert 0 < claims["exp"] - time.time() <= 300
    assert claims["jti"] and claims["jti"] != jwt.decode(second, served, algorithms=[alg]).claims["jti"]
    keys = public_jwks(path, alg)["keys"]
    assert keys and all("d" not in k for k in keys)
