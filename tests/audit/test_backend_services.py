"""SMART Backend Services against sekmet's own token endpoint (its ``server_auth.smart_clients``), and the
credentials' configuration errors. sekmet verifies our assertion with the public key registered for the client,
so a passing export proves the assertion (claims, signature, ``kid``) is one a server accepts."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from app.audit.scope import EXPORT_TYPES
from app.fhir_server import SekmetServer
from cds_hooks.bulk import (BackendCredentials, BackendServicesAuth, BackendServicesError, BulkExportClient,
                            system_read_scope)
from cds_hooks.fhir_client import FhirAuthError

from .conftest import BACKEND_CLIENT_ES, BACKEND_CLIENT_RS, pem

pytestmark = pytest.mark.fhir_server


@pytest.mark.parametrize("client_id", [BACKEND_CLIENT_RS, BACKEND_CLIENT_ES])
def test_token_flow_then_export_on_a_secured_server(client_id: str, backend_server: SekmetServer, backend_keys,
                                                    tmp_path: Path):
    """client_credentials + private_key_jwt (RS384 and ES384): sekmet issues a token and the export works."""
    credentials = BackendCredentials.from_env({"RECEPTOR_CDS_BULK_CLIENT_ID": client_id,
                                               "RECEPTOR_CDS_BULK_PRIVATE_KEY": pem(backend_keys[client_id])})
    assert credentials is not None and credentials.alg == ("RS384" if client_id == BACKEND_CLIENT_RS else "ES384")
    auth = BackendServicesAuth(backend_server.base_url, credentials, "system/*.rs")
    first = auth.token()
    assert auth.token() == first, "a valid token is reused, not fetched again"
    assert auth.granted_scope == "system/*.rs"
    BulkExportClient(backend_server.base_url, auth).export(tmp_path / "e", EXPORT_TYPES)
    manifest = json.loads((tmp_path / "e" / "manifest.json").read_text())
    assert manifest["requiresAccessToken"] is True
    patients = {json.loads(line)["id"] for line in (tmp_path / "e" / "Patient.1.ndjson").read_text().splitlines()}
    assert patients == {"her2-ihc-0-ultralow", "pitfall-p14-ai-premenopausal"}


def test_the_assertion_has_the_claims_backend_services_requires(backend_server: SekmetServer, backend_keys):
    """iss = sub = client id, aud = token endpoint, exp at most 5 minutes ahead, a fresh jti, kid and typ."""
    key = backend_keys[BACKEND_CLIENT_ES]
    credentials = BackendCredentials.from_values(BACKEND_CLIENT_ES, pem(key))
    auth = BackendServicesAuth(backend_server.base_url, credentials, "system/*.rs")
    endpoint = auth.token_endpoint()
    assert endpoint == backend_server.base_url.removesuffix("/fhir") + "/auth/token"
    one, two = (jwt.decode(auth.assertion(endpoint), key, algorithms=["ES384"]) for _ in range(2))
    assert one.header == {"alg": "ES384", "kid": key.kid, "typ": "JWT"}
    claims = one.claims
    assert claims["iss"] == claims["sub"] == BACKEND_CLIENT_ES and claims["aud"] == endpoint
    assert 0 < claims["exp"] - claims["iat"] <= 300
    assert claims["jti"] != two.claims["jti"]


def test_an_unregistered_key_is_refused_with_the_servers_reason(backend_server: SekmetServer, tmp_path: Path):
    """A key the server does not know for this client: invalid_client, said plainly; nothing exported."""
    stranger = RSAKey.generate_key(2048)
    credentials = BackendCredentials.from_values(BACKEND_CLIENT_RS, pem(stranger))
    auth = BackendServicesAuth(backend_server.base_url, credentials, "system/*.rs")
    with pytest.raises(BackendServicesError, match=r"refused client 'receptor-cds-audit-rs384' \(HTTP 401\): "
                                                   r"invalid_client"):
        BulkExportClient(backend_server.base_url, auth).export(tmp_path / "x", EXPORT_TYPES)
    assert not (tmp_path / "x").exists()


def test_per_type_scopes_are_the_default_and_a_server_wanting_more_says_so(backend_server: SekmetServer,
                                                                           backend_keys, tmp_path: Path):
    """The audit's default scope asks read/search on exactly the exported types (least privilege). sekmet checks its
    bulk status and file endpoints against ``system/*``, so it answers 403; the error says what it wanted
    (RECEPTOR_CDS_BULK_SCOPE=system/*.rs is the way to ask for it)."""
    scope = system_read_scope(EXPORT_TYPES)
    assert scope.split() == [f"system/{t}.rs" for t in EXPORT_TYPES]
    credentials = BackendCredentials.from_values(BACKEND_CLIENT_RS, pem(backend_keys[BACKEND_CLIENT_RS]))
    auth = BackendServicesAuth(backend_server.base_url, credentials, scope)
    with pytest.raises(FhirAuthError, match=r"answered 403 .*do not permit.*RECEPTOR_CDS_BULK_SCOPE asks for others"):
        BulkExportClient(backend_server.base_url, auth).export(tmp_path / "x", EXPORT_TYPES)
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("env, message", [
    ({"RECEPTOR_CDS_BULK_CLIENT_ID": "x"}, "RECEPTOR_CDS_BULK_PRIVATE_KEY is not set"),
    ({"RECEPTOR_CDS_BULK_PRIVATE_KEY": "/nonexistent.pem"}, "RECEPTOR_CDS_BULK_CLIENT_ID is not set"),
    ({"RECEPTOR_CDS_BULK_CLIENT_ID": "x", "RECEPTOR_CDS_BULK_PRIVATE_KEY": "/nonexistent/key.pem"},
     "cannot read the key file"),
    ({"RECEPTOR_CDS_BULK_CLIENT_ID": "x", "RECEPTOR_CDS_BULK_PRIVATE_KEY": "-----BEGIN PRIVATE KEY-----\nnope\n"},
     "is not a PEM RSA or EC P-384 private key"),
])
def test_credentials_misconfiguration_is_named(env, message):
    with pytest.raises(BackendServicesError, match=message):
        BackendCredentials.from_env(env)


def test_no_credentials_means_an_open_server():
    assert BackendCredentials.from_env({}) is None


def test_keys_that_cannot_sign_rs384_or_es384_are_refused():
    """A P-256 key (ES256) and a public key are refused before anything is sent."""
    p256 = ECKey.generate_key("P-256")
    with pytest.raises(BackendServicesError, match="curve P-384"):
        BackendCredentials.from_values("x", pem(p256))
    public = RSAKey.generate_key(2048).as_pem(private=False).decode()
    with pytest.raises(BackendServicesError, match="public key"):
        BackendCredentials.from_values("x", public)


def test_the_key_file_path_form_and_the_public_jwks(tmp_path: Path):
    """RECEPTOR_CDS_BULK_PRIVATE_KEY may be a path; public_jwks() is what to register (no private part)."""
    key = RSAKey.generate_key(2048)
    path = tmp_path / "bulk.pem"
    path.write_text(pem(key))
    credentials = BackendCredentials.from_env({"RECEPTOR_CDS_BULK_CLIENT_ID": "c",
                                               "RECEPTOR_CDS_BULK_PRIVATE_KEY": str(path)})
    assert credentials is not None
    jwk = credentials.public_jwks()["keys"][0]
    assert jwk["alg"] == "RS384" and jwk["kid"] == credentials.kid and "d" not in jwk
    assert "key=" not in repr(credentials) and "BEGIN" not in repr(credentials)


def test_plain_http_is_refused_off_loopback():
    """The token and the assertion never travel in clear text except on loopback."""
    credentials = BackendCredentials.from_values("c", pem(ECKey.generate_key("P-384")))
    with pytest.raises(BackendServicesError, match="must use https"):
        BackendServicesAuth("http://fhir.example.org/r4", credentials, "system/*.rs")
