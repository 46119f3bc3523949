"""SMART discovery and scope choice (SMART App Launch 2.2 §Conformance, §Scopes).

``{iss}/.well-known/smart-configuration`` is fetched only for allow-listed issuers (the caller
checks first), relative endpoint URLs are resolved against the FHIR base, and the scope syntax
(v2 ``.rs`` or v1 ``.read``) is chosen from the advertised capabilities, never mixed.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from cds_hooks.decision.reads import SEARCHED_TYPES
from cds_hooks.outbound import OutboundLimitError, bounded_session

from .errors import SmartError

# Least needed for the receptor page: the resource types the decision core reads (its one declaration).
RESOURCE_TYPES = SEARCHED_TYPES


def normalise_base(url: str) -> str:
    return url.strip().rstrip("/")


def issuer_allowed(iss: str, allowed: tuple[str, ...]) -> bool:
    """Exact match after trimming a trailing slash: a prefix or host match would let
    ``https://ehr.example.org.evil.test`` or another path on a shared host through."""
    return normalise_base(iss) in {normalise_base(a) for a in allowed}


def discover(iss: str, *, timeout: tuple[float, float], seconds: float = 10.0,
             max_bytes: int = 256 * 1024) -> dict[str, Any]:
    """Fetch and check the smart-configuration; endpoints come back absolute.

    The request ends within ``seconds`` in all and reads at most ``max_bytes`` decoded bytes (issue 8: an EHR
    endpoint dripping bytes or sending a gzip bomb must not hold the launch)."""
    url = normalise_base(iss) + "/.well-known/smart-configuration"
    http = bounded_session(max_response_bytes=max_bytes, request_seconds=seconds, what="EHR's SMART configuration")
    try:
        resp = http.get(url, headers={"Accept": "application/json"}, timeout=timeout, allow_redirects=False)
    except OutboundLimitError as exc:
        raise SmartError(502, "EHR discovery failed", f"The EHR's SMART configuration was not read: {exc}.") from None
    except requests.RequestException:
        raise SmartError(502, "EHR not reachable",
                         "The EHR's SMART configuration could not be fetched; its server did not answer.") from None
    if resp.status_code != 200:
        raise SmartError(502, "EHR discovery failed",
                         f"The EHR's SMART configuration answered HTTP {resp.status_code}.")
    try:
        meta = resp.json()
    except ValueError:
        meta = None
    if not isinstance(meta, dict):
        raise SmartError(502, "EHR discovery failed", "The EHR's SMART configuration is not a JSON object.")
    base = normalise_base(iss) + "/"
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri", "revocation_endpoint"):
        if isinstance(meta.get(key), str) and meta[key]:
            # SMART: endpoint URLs SHALL be absolute; clients SHOULD resolve relative ones.
            meta[key] = urljoin(base, meta[key])
    if not meta.get("authorization_endpoint") or not meta.get("token_endpoint"):
        raise SmartError(502, "EHR discovery failed",
                         "The EHR's SMART configuration names no authorization or token endpoint.")
    for key in ("authorization_endpoint", "token_endpoint"):
        if urlsplit(meta[key]).scheme not in ("https", "http"):
            raise SmartError(502, "EHR discovery failed", f"The EHR's {key} is not an http(s) URL.")
    methods = meta.get("code_challenge_methods_supported") or []
    if "S256" not in methods:
        raise SmartError(502, "EHR does not support PKCE S256",
                         "This app always uses PKCE with S256; the EHR does not advertise it, so the launch stops here.")
    return meta


def capabilities(meta: dict[str, Any]) -> set[str]:
    caps = meta.get("capabilities")
    return {c for c in caps if isinstance(c, str)} if isinstance(caps, list) else set()


def choose_scopes(meta: dict[str, Any], mode: str, *, resource_types: tuple[str, ...] = RESOURCE_TYPES,
                  require_openid: bool = False) -> list[str]:
    """The least set of scopes for the page, in one syntax.

    - v2 (``.rs``) when ``permission-v2`` is advertised, else v1 (``.read``): servers before SMART 2
      advertise neither and only know v1.
    - ``launch`` for an EHR launch, ``launch/patient`` for a standalone launch.
    - ``openid fhirUser`` only when the EHR offers ``sso-openid-connect`` (we then validate the id_token),
      or always when ``require_openid`` (a patient-facing page must know who is signed in; without an
      id_token the callback refuses rather than guess).
    - ``patient/<type>`` read scopes for ``resource_types``, Observation first.
    - one refresh scope, so a page open longer than the token lifetime can reload: ``online_access``
      in an EHR launch (ends with the EHR session), ``offline_access`` in a standalone launch, each only if
      offered; an EHR launch never asks for ``offline_access``, even when it is the only one offered.
    """
    caps = capabilities(meta)
    suffix = ".rs" if "permission-v2" in caps else ".read"
    scopes = ["launch" if mode == "ehr" else "launch/patient"]
    if require_openid or "sso-openid-connect" in caps:
        scopes += ["openid", "fhirUser"]
    ordered = sorted(resource_types, key=lambda t: (t == "Patient", t != "Observation"))
    scopes += [f"patient/{t}{suffix}" for t in ordered]
    if mode == "ehr":
        if "permission-online" in caps:
            scopes.append("online_access")   # never offline_access: the page's access ends with the EHR session
    elif "permission-offline" in caps:
        scopes.append("offline_access")
    return scopes


def granted_types(scope: str) -> set[str]:
    """Resource types the granted scope lets us read, from v1 or v2 syntax (SMART 2.2 §v1 compat)."""
    types: set[str] = set()
    for item in (scope or "").split():
        ctx, _, rest = item.partition("/")
        if ctx not in ("patient", "user") or "." not in rest:
            continue
        rtype, _, perms = rest.partition(".")
        perms = perms.split("?", 1)[0]
        if perms in ("read", "*") or ("r" in perms and perms.strip("cruds") == ""):
            types.add(rtype)
    return types
