"""The trusted-issuers file: format, allowlist matching, start-up failure on a malformed file."""
from __future__ import annotations

import json
import logging

import pytest

from app.config import Settings
from cds_hooks.service import TrustedIssuersError, create_cds_blueprint
from cds_hooks.service.issuers import fhir_server_matches, parse_trusted_issuers

GOOD = {"https://ehr.test": {"jwks_url": "https://ehr.test/jwks.json", "fhir_servers": ["https://ehr.test/fhir"],
                             "cors_origins": ["https://ehr.test"]}}

MALFORMED = {
    "not an object": [],
    "jwks_url beside an unreadable jwks": {"https://e": {"jwks_url": "https://e/j", "jwks": {"keys": [{"kty": "EC"}]}}},
    "neither jwks_url nor jwks": {"https://e": {"fhir_servers": []}},
    "jwks_url not a URL": {"https://e": {"jwks_url": "jwks.json"}},
    "inline jwks without keys": {"https://e": {"jwks": {"keys": []}}},
    "inline key unreadable": {"https://e": {"jwks": {"keys": [{"kty": "EC", "kid": "k", "crv": "P-384"}]}}},
    "fhir_servers not a list": {"https://e": {"jwks_url": "https://e/j", "fhir_servers": "https://e/fhir"}},
    "cors origin with a path": {"https://e": {"jwks_url": "https://e/j", "cors_origins": ["https://e/app"]}},
    "issuer maps to a string": {"https://e": "https://e/j"},
    "issuer not a URI": {"sandbox.cds-hooks.org": {"jwks_url": "https://e/j"}},
    "symmetric key inline": {"https://e": {"jwks": {"keys": [{"kty": "oct", "kid": "k", "k": "c2VjcmV0"}]}}},
    "private key inline": {"https://e": {"jwks": {"keys": [
        __import__("joserfc.jwk", fromlist=["ECKey"]).ECKey.generate_key("P-384", parameters={"kid": "k"})
        .as_dict(private=True)]}}},
}


def _state(tmp_path):
    from cds_hooks.state import SqliteStateStore
    return SqliteStateStore(tmp_path / "state.sqlite")


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_trusted_issuers_file_stops_start_up(tmp_path, case):
    """Building the blueprint from a malformed file raises TrustedIssuersError naming the file."""
    path = tmp_path / "issuers.json"
    path.write_text(json.dumps(MALFORMED[case]))
    settings = Settings(trusted_issuers_path=str(path), database_url="sqlite://")
    with pytest.raises(TrustedIssuersError, match="issuers.json"):
        create_cds_blueprint(settings.service_settings(), state=_state(tmp_path))


def test_unreadable_or_invalid_json_file_stops_start_up(tmp_path):
    """A missing file or broken JSON stops start-up with a clear message."""
    with pytest.raises(TrustedIssuersError, match="cannot read"):
        create_cds_blueprint(Settings(trusted_issuers_path=str(tmp_path / "nope.json"),
                                      database_url="sqlite://").service_settings(), state=_state(tmp_path))
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(TrustedIssuersError, match="not valid JSON"):
        create_cds_blueprint(Settings(trusted_issuers_path=str(broken), database_url="sqlite://").service_settings(),
                             state=_state(tmp_path))


def test_unknown_keys_are_ignored_with_a_warning(caplog):
    """A key we do not know is logged and ignored; the issuer still loads."""
    data = {"https://ehr.test": {**GOOD["https://ehr.test"], "tenant": "x"}}
    with caplog.at_level(logging.WARNING):
        issuers = parse_trusted_issuers(data)
    assert "tenant" in caplog.text and issuers["https://ehr.test"].jwks_url == "https://ehr.test/jwks.json"


@pytest.mark.parametrize("url,allowed", [
    ("https://ehr.test/fhir", True),
    ("https://ehr.test/fhir/", True),
    ("https://ehr.test/fhir/r4", True),
    ("https://ehr.test:443/fhir", True),
    ("https://ehr.test/fhir-evil", False),
    ("https://ehr.test/other", False),
    ("http://ehr.test/fhir", False),
    ("https://ehr.test:8443/fhir", False),
    ("https://ehr.test.evil.com/fhir", False),
    ("https://user@ehr.test/fhir", False),
    ("https://ehr.test/fhir?x=1", False),
    ("https://169.254.169.254/fhir", False),
    ("https://ehr.test/fhirX", False),
    ("https://a@ehr.test/fhir", False),
    ("https://a:b@ehr.test/fhir", False),
    ("https://ehr.test\\@evil.test/fhir", False),
    ("https://EHR.TEST/fhir", True),
    ("HTTPS://ehr.test/fhir", True),
    ("https://ehr.test/FHIR", False),
    ("https://ehr.test/fhir/../admin", False),
    ("https://ehr.test/fhir/r4/../../admin", False),
    ("https://ehr.test/fhir/%2e%2e/admin", False),
    ("https://ehr.test/fhir/%2E%2E", False),
    ("https://ehr.test/fhir/./r4", False),
    ("https://ehr.test/fhir%2F..%2Fadmin", False),
    ("https://ehr.test/fhir//r4", False),
    ("https://ehr.test//fhir", False),
    ("https://ehr.test/fhir#frag", False),
    ("https://ehr.test./fhir", False),
    ("https://ehr.test:abc/fhir", False),
    ("https://ehr.test/fhir\n", False),
    (" https://ehr.test/fhir", False),
    ("https:ehr.test/fhir", False),
])
def test_fhir_server_prefix_matching(url, allowed):
    """fhirServer must match an allowlisted prefix on scheme, host, port and whole path segments."""
    assert fhir_server_matches("https://ehr.test/fhir", url) is allowed


@pytest.mark.parametrize("prefix", ["https://ehr.test/fhir/", "https://ehr.test:443/fhir", "https://EHR.test/fhir"])
def test_allowlist_entry_spelling_does_not_matter(prefix):
    """A trailing slash, the default port or upper case in the configured prefix match the plain URL."""
    assert fhir_server_matches(prefix, "https://ehr.test/fhir")
    assert fhir_server_matches(prefix, "https://ehr.test/fhir/r4")
    assert not fhir_server_matches(prefix, "https://ehr.test/fhir2")


def test_host_only_prefix_admits_every_path_but_no_other_host():
    """An allowlist entry without a path admits any path on that origin, never another host or port."""
    assert fhir_server_matches("https://ehr.test", "https://ehr.test/anything/fhir")
    assert not fhir_server_matches("https://ehr.test", "https://ehr.test:8443/fhir")
    assert not fhir_server_matches("https://ehr.test", "https://ehr.test.evil.test/fhir")


def test_plain_http_outside_loopback_is_warned_about(caplog):
    """A non-loopback http FHIR server or JWKS URL loads but is logged (CH: https for production data)."""
    data = {"https://ehr.test": {"jwks_url": "http://ehr.test/jwks.json", "fhir_servers": ["http://127.0.0.1:8080/fhir"]}}
    with caplog.at_level(logging.WARNING):
        parse_trusted_issuers(data)
    assert "http://ehr.test/jwks.json is plain http" in caplog.text
    assert "127.0.0.1" not in caplog.text


@pytest.mark.parametrize("configured,sent", [
    ("https://EHR.test:443", "https://ehr.test"),
    ("http://127.0.0.1:8000/", "http://127.0.0.1:8000"),
    ("http://localhost:80", "http://localhost"),
])
def test_cors_origins_are_stored_as_browsers_send_them(configured, sent):
    """A configured origin with upper case, a default port or a trailing slash matches the browser's Origin."""
    issuers = parse_trusted_issuers({"https://e": {"jwks_url": "https://e/j", "cors_origins": [configured]}})
    assert issuers["https://e"].cors_origins == (sent,)
