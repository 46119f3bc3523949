"""An OpenAPI 3.1 description of the CDS Hooks surface (and the health endpoints), served at ``/openapi.json``.

Why: integrators and fuzzers (the test suite runs schemathesis against a live server) read one machine-readable
description of what each endpoint takes and answers. It is built from the service's own parts, never written
twice: the paths from ``discovery.SERVICES``, the bodies from the JSON Schemas in ``schemas/`` (the same ones
that validate requests and, in the tests, every response). Those schemas are Draft 2020-12, which OpenAPI 3.1
uses as is; each is placed under ``components/schemas`` with its ``$id`` dropped and its internal
``#/$defs/...`` references rewritten to their new place, so every tool resolves them the same way.
"""
from __future__ import annotations

import copy
from importlib import metadata
from typing import Any

from . import openapi_fhir
from .discovery import SERVICES
from .schemas import load_schema

_COMPONENT = {"discovery": "CdsDiscoveryResponse", "request": "CdsServiceRequest", "response": "CdsServiceResponse",
              "feedback": "CdsFeedbackRequest"}

OPERATION_OUTCOME: dict[str, Any] = {
    "type": "object",
    "description": "Every error answer (CDS Hooks 3.0 makes this a SHOULD); 401s carry no detail.",
    "required": ["resourceType", "issue"],
    "properties": {
        "resourceType": {"const": "OperationOutcome"},
        "issue": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["severity", "code"],
            "properties": {"severity": {"enum": ["fatal", "error", "warning", "information"]},
                           "code": {"type": "string", "minLength": 1},
                           "diagnostics": {"type": "string"}}}},
    },
}

_ERRORS = {
    "400": "Malformed request: not JSON, not the CDS Hooks request schema, a hook this service does not answer, "
           "JSON nested too deep, a number no request can need, a draft order that is not FHIR JSON.",
    "401": "No bearer JWT, or one that fails verification (no detail given, by design).",
    "412": "The receptor results could be had neither from prefetch nor from the FHIR server (the message says "
           "why, including which time budget or size cap stopped a read).",
    "413": "Request body larger than the configured maximum.",
    "415": "Content-Type is not application/json.",
}


def _component(name: str) -> dict[str, Any]:
    """The shipped schema ``name`` as an OpenAPI component: no ``$id`` or ``$schema``, references re-pointed."""
    schema = copy.deepcopy(load_schema(name))
    schema.pop("$id", None)
    schema.pop("$schema", None)
    target = f"#/components/schemas/{_COMPONENT[name]}/$defs/"

    def repoint(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: (v.replace("#/$defs/", target, 1) if k == "$ref" and isinstance(v, str) else repoint(v))
                    for k, v in node.items()}
        if isinstance(node, list):
            return [repoint(v) for v in node]
        return node
    return repoint(schema)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: str) -> dict[str, Any]:
    out = {}
    for code in codes:
        out[code] = _json(_ref("OperationOutcome"), _ERRORS[code])
        if code == "401":
            out[code]["headers"] = {"WWW-Authenticate": {"schema": {"const": "Bearer"}, "required": True}}
    return out


def _version() -> str:
    try:
        return metadata.version("receptor-cds")
    except metadata.PackageNotFoundError:   # running from a source tree without an install
        return "0"


def openapi_document(public_url: str) -> dict[str, Any]:
    """The OpenAPI 3.1 description of this deployment's CDS Hooks surface, rooted at ``public_url``."""
    paths: dict[str, Any] = {
        "/cds-services": {"get": {
            "operationId": "discovery", "summary": "CDS Hooks discovery: the services, their hooks and prefetch",
            "security": [{"cdsClientJwt": []}],
            "responses": {"200": _json(_ref(_COMPONENT["discovery"]), "The service list (never empty)."),
                          **_errors("401")}}},
        # The operator endpoints the application serves beside the CDS Hooks surface (no token, no patient data).
        "/healthz": {"get": {
            "operationId": "healthz", "summary": "Liveness: the process answers", "security": [],
            "responses": {"200": _json({"type": "object", "required": ["status"],
                                        "properties": {"status": {"const": "ok"}}}, "Alive.")}}},
        "/readyz": {"get": {
            "operationId": "readyz", "summary": "Readiness: trusted issuers loaded, feedback database and shared "
                                                "state store answer, the SMART session key is held",
            "security": [],
            "responses": {code: _json({"type": "object", "required": ["status", "checks"],
                                       "properties": {"status": {"enum": ["ready", "not ready"]},
                                                      "checks": {"type": "object"}}}, text)
                          for code, text in (("200", "Ready."), ("503", "Not ready; the failed check is named."))}}},
        "/openapi.json": {"get": {
            "operationId": "openapi", "summary": "This description", "security": [],
            "responses": {"200": _json({"type": "object", "required": ["openapi", "paths"]},
                                       "OpenAPI 3.1 document.")}}},
    }
    for service in SERVICES.values():
        request = {"allOf": [_ref(_COMPONENT["request"]), openapi_fhir.hook_request_layer(service.hook)]}
        paths[f"/cds-services/{service.id}"] = {"post": {
            "operationId": service.id, "summary": f"{service.title} ({service.hook})",
            "description": service.description, "security": [{"cdsClientJwt": []}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": request}}},
            "responses": {"200": _json(_ref(_COMPONENT["response"]), "Cards (possibly none)."),
                          **_errors("400", "401", "412", "413", "415")}}}
        paths[f"/cds-services/{service.id}/feedback"] = {"post": {
            "operationId": f"{service.id}-feedback", "summary": f"Feedback on cards of {service.id}",
            "security": [{"cdsClientJwt": []}],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": _ref(_COMPONENT["feedback"])}}},
            "responses": {"200": {"description": "Recorded (empty body)."},
                          **_errors("400", "401", "413", "415")}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Receptor CDS: CDS Hooks 2.0 service", "version": _version(),
                 "description": "Breast cancer receptor subtype, pitfalls and order checks as CDS Hooks 2.0 "
                                "services. Every call carries a JWT signed by a trusted EHR, with aud = the URL "
                                "called (see docs/registering-cds-hooks.md)."},
        "servers": [{"url": public_url.rstrip("/")}],
        "paths": paths,
        "components": {
            "securitySchemes": {"cdsClientJwt": {
                "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": "CDS Hooks client JWT (CH §Trusting CDS Clients): ES384/RS384/ES256/RS256, kid, "
                               "iss on the trusted-issuers list, aud = the URL called, jti used once."}},
            "schemas": {**{_COMPONENT[name]: _component(name) for name in _COMPONENT},
                        "OperationOutcome": OPERATION_OUTCOME, **openapi_fhir.components()},
        },
    }


__all__ = ["openapi_document"]
