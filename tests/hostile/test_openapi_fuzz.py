"""The OpenAPI description at /openapi.json, fuzzed with schemathesis against a live ``receptor-cds serve``.

Every operation (discovery, the three services, their feedback, the description itself) gets generated requests,
valid and invalid, each signed with a fresh JWT whose ``aud`` is the URL called (so the calls get past
authentication and reach the parsing and the decision core). Checks: no 5xx, every status documented, every
response's body matching its schema. CI-sized: ``SCHEMATHESIS_EXAMPLES`` examples per operation (default 25);
a longer run is the command in the README.
"""
from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests
import schemathesis
from schemathesis import GenerationMode
from hypothesis import HealthCheck, given, settings
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet
from schemathesis.checks import (content_type_conformance, not_a_server_error, response_schema_conformance,
                                 status_code_conformance)

from app.fhir_server import free_port
from cds_hooks.service.openapi import openapi_document
from tests.browser.demo_process import CLI

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "25"))
ISS = "https://fuzz-ehr.test"
KEY = ECKey.generate_key("P-384", parameters={"kid": "fuzz-1", "alg": "ES384"})


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    """``receptor-cds serve`` on a free loopback port, trusting one EHR key (inline), stopped by PID."""
    work = tmp_path_factory.mktemp("openapi-fuzz")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    issuers = work / "issuers.json"
    issuers.write_text(json.dumps({ISS: {"jwks": KeySet([KEY]).as_dict(private=False), "fhir_servers": []}}))
    env = dict(os.environ, RECEPTOR_CDS_PUBLIC_URL=base, RECEPTOR_CDS_TRUSTED_ISSUERS=str(issuers),
               RECEPTOR_CDS_DATABASE_URL=f"sqlite:///{work / 'feedback.sqlite'}",
               RECEPTOR_CDS_STATE_DB=str(work / "state.sqlite"))
    log = open(work / "serve.log", "w")     # a file, not a pipe: a full pipe would stall the server
    proc = subprocess.Popen([CLI, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                            stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"serve exited early: {(work / 'serve.log').read_text()[-2000:]}")
            try:
                requests.get(f"{base}/openapi.json", timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise AssertionError("serve never answered")
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        log.close()
        errors = (work / "serve.log").read_text()
        if "Traceback" in errors:       # a 500's cause, for whoever reads the failure
            print(errors[-4000:])


@pytest.fixture(scope="module")
def api_schema(live_server):
    return schemathesis.openapi.from_url(f"{live_server}/openapi.json")


# Every operation the description lists (built in-process here only to name the test cases; the test itself
# fuzzes the description the live server serves).
OPERATIONS = [(path, method) for path, item in openapi_document("http://127.0.0.1")["paths"].items()
              for method in item]


def _sign(case) -> None:
    """A new token for every call (each jti is accepted once), aud = the exact URL called."""
    now = int(time.time())
    url = case.operation.base_url.rstrip("/") + case.formatted_path
    token = jwt.encode({"alg": "ES384", "typ": "JWT", "kid": "fuzz-1"},
                       {"iss": ISS, "aud": url, "iat": now, "exp": now + 300, "jti": str(uuid.uuid4())},
                       KEY, algorithms=["ES384"])
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}


def test_the_description_is_served_and_names_every_operation(live_server):
    """/openapi.json is OpenAPI 3.1 and covers discovery, the three services, their feedback, the health
    endpoints and itself."""
    document = requests.get(f"{live_server}/openapi.json", timeout=10).json()
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) == {
        "/cds-services", "/openapi.json", "/healthz", "/readyz",
        *(f"/cds-services/{s}{tail}" for s in ("receptor-assessment", "receptor-order-select", "receptor-order-sign")
          for tail in ("", "/feedback"))}


_DOCUMENT = openapi_document("http://127.0.0.1")
# Invalid requests only exist for operations that take something (a body): GET /openapi.json takes nothing.
CASES = [(path, method, mode) for path, method in OPERATIONS
         for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
         if mode == GenerationMode.POSITIVE or "requestBody" in _DOCUMENT["paths"][path][method]]


@pytest.mark.parametrize("path,method,mode", CASES, ids=[f"{m.upper()} {p} {g.value}" for p, m, g in CASES])
def test_every_operation_against_a_live_server(api_schema, path, method, mode):
    """Generated requests (valid and invalid) never get a 5xx; every status is documented and every body matches
    its schema. The signed calls get past authentication (not every answer is a 401)."""
    operation = api_schema[path][method]
    statuses: list[int] = []

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        _sign(case)
        response = case.call_and_validate(checks=[not_a_server_error, status_code_conformance,
                                                  content_type_conformance, response_schema_conformance])
        statuses.append(response.status_code)
    run()
    assert statuses and any(code != 401 for code in statuses), statuses
