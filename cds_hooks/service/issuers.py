"""The trusted-issuers file: which EHRs may call us, with which keys, FHIR servers and browser origins.

Format (issue 3): a JSON object mapping each trusted ``iss`` to an object with ``jwks_url`` (a JWK
Set URL; a token's ``jku`` must equal it), ``jwks`` (an inline JWK Set, never fetched), or both (issue 8:
the keys inline, and ``jwks_url`` only as the one ``jku`` accepted, never fetched while inline keys are
given; for a self-hosted CDS Hooks sandbox whose tokens name a public ``jku`` that cannot be reached), plus ``fhir_servers`` (URL prefixes this issuer may send as ``fhirServer``) and
``cors_origins`` (browser origins allowed by CORS). Unknown keys are ignored with a warning,
so a newer file still loads; anything malformed stops start-up, because running with a
half-read trust list would silently accept or refuse the wrong EHRs.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from cds_hooks.fhir_client import normalised_port, fhir_server_matches   # one definition: every hop is checked alike

log = logging.getLogger(__name__)

_KNOWN_KEYS = {"jwks_url", "jwks", "fhir_servers", "cors_origins"}
# RFC 7518 §6.2.2, §6.3.2, §6.4.1: members only a private or symmetric key has.
_PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


class TrustedIssuersError(ValueError):
    """The trusted-issuers file cannot be used; the message says where and why."""


@dataclass(frozen=True)
class TrustedIssuer:
    iss: str
    jwks_url: str | None
    jwks: dict[str, Any] | None
    fhir_servers: tuple[str, ...]
    cors_origins: tuple[str, ...]

    def allows_fhir_server(self, url: str) -> bool:
        return any(fhir_server_matches(prefix, url) for prefix in self.fhir_servers)


def browser_origin(url: str) -> str:
    """``scheme://host[:port]`` as a browser's Origin header spells it (lower case, default port left out);
    ``(unparseable URL)`` for a string no URL parser accepts (this is also used to log what a caller sent)."""
    try:
        parts = urlsplit(url)
        parts.port
    except ValueError:
        return "(unparseable URL)"
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = normalised_port(parts)
    default = {"https": 443, "http": 80}.get(scheme)
    return f"{scheme}://{host}" + (f":{port}" if port and port != default else "")


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def _url(value: Any, where: str) -> str:
    if not isinstance(value, str) or urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).netloc:
        raise TrustedIssuersError(f"{where} must be an absolute http(s) URL, got {value!r}")
    return value


def parse_trusted_issuers(data: Any, source: str = "trusted issuers") -> dict[str, TrustedIssuer]:
    if not isinstance(data, dict):
        raise TrustedIssuersError(f"{source}: the top level must be a JSON object mapping iss to settings")
    issuers: dict[str, TrustedIssuer] = {}
    for iss, entry in data.items():
        where = f"{source}: issuer {iss!r}"
        if not iss:
            raise TrustedIssuersError(f"{source}: an issuer key is empty")
        if not urlsplit(iss).scheme or any(c.isspace() for c in iss):
            # CH §Trusting CDS Clients: iss is a URI, compared exactly; 'ehr.example.org' would never match.
            raise TrustedIssuersError(f"{where} is not a URI (e.g. https://ehr.example.org); tokens carry iss as "
                                      "a URI and it is compared exactly")
        if not isinstance(entry, dict):
            raise TrustedIssuersError(f"{where} must map to an object")
        for unknown in sorted(set(entry) - _KNOWN_KEYS):
            log.warning("%s: ignoring unknown key %r", where, unknown)
        has_url, has_inline = "jwks_url" in entry, "jwks" in entry
        if not (has_url or has_inline):
            raise TrustedIssuersError(f"{where} needs 'jwks_url', 'jwks' or both (keys inline, jwks_url then "
                                      "only names the accepted jku)")
        jwks_url = _url(entry["jwks_url"], f"{where} jwks_url") if has_url else None
        jwks = None
        if has_inline:
            jwks = entry["jwks"]
            if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list) or not jwks["keys"]:
                raise TrustedIssuersError(f"{where} jwks must be a JWK Set object with a non-empty 'keys' array")
            if any(not isinstance(k, dict) or not k.get("kid") for k in jwks["keys"]):
                raise TrustedIssuersError(f"{where} every key in jwks needs a 'kid'")
            for k in jwks["keys"]:
                if k.get("kty") not in ("EC", "RSA"):
                    # CH §JWT Signing Algorithm: no symmetric algorithms, so an 'oct' key could never verify
                    # a token we accept; saying so beats an EHR whose every call is a silent 401.
                    raise TrustedIssuersError(f"{where} key {k.get('kid')!r} is kty {k.get('kty')!r}; CDS clients "
                                              "sign with EC or RSA keys (ES384/RS384/ES256/RS256)")
                private = sorted(set(k) & _PRIVATE_MEMBERS)
                if private:
                    raise TrustedIssuersError(f"{where} key {k.get('kid')!r} holds private key material "
                                              f"({', '.join(private)}); give only the EHR's public key")
            try:
                KeySet.import_key_set(jwks)
            except (ValueError, TypeError, KeyError, JoseError) as exc:
                raise TrustedIssuersError(f"{where} jwks cannot be read as a JWK Set: {exc}") from exc
        lists = {}
        for name in ("fhir_servers", "cors_origins"):
            value = entry.get(name, [])
            if not isinstance(value, list):
                raise TrustedIssuersError(f"{where} {name} must be an array of URLs")
            lists[name] = tuple(_url(v, f"{where} {name}[{i}]").rstrip("/") for i, v in enumerate(value))
        for url in (*lists["fhir_servers"], *([jwks_url] if jwks_url else [])):
            if urlsplit(url).scheme == "http" and urlsplit(url).hostname not in ("127.0.0.1", "localhost", "::1"):
                # CH §Calling a CDS Service: fhirServer MUST be https when production data is exchanged.
                log.warning("%s: %s is plain http; use https for anything but local testing", where, url)
        for origin in lists["cors_origins"]:
            if urlsplit(origin).path:
                raise TrustedIssuersError(f"{where} cors_origins entry {origin!r} must be an origin (no path)")
        # Browsers send an Origin without a default port and in lower case: store what they will send.
        origins = tuple(browser_origin(o) for o in lists["cors_origins"])
        issuers[iss] = TrustedIssuer(iss, jwks_url, jwks, lists["fhir_servers"], origins)
    return issuers


def load_trusted_issuers(path: str | None) -> dict[str, TrustedIssuer]:
    """Read the file at ``path``; no path means no trusted issuers (every signed call is refused)."""
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as exc:
        raise TrustedIssuersError(f"cannot read trusted-issuers file {path}: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise TrustedIssuersError(f"trusted-issuers file {path} is not valid JSON: {exc}") from exc
    return parse_trusted_issuers(data, source=f"trusted-issuers file {path}")
