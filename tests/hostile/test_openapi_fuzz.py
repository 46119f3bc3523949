"""The OpenAPI description at /openapi.json, fuzzed with schemathesis against a live ``receptor-cds serve``.

Every operation (discovery, the three services, their feedback, the description itself) gets generated requests,
valid and invalid, each signed with a fresh JWT whose ``aud`` is the URL called (so the calls get past
authentication and reach the parsing and the decision core). Checks: no 5xx, every status documented, every
response's body matching its schema, and every card list answered with 200 within the CDS Hooks card schema and
the card rules (tests/service/card_rules.py). CI-sized: ``SCHEMATHESIS_EXAMPLES`` valid hook calls per service
(default 25) and three fifths of that for every other operation and mode (generating from the deep description
costs most of the run); a longer run is the command in the README. The run prints how many valid hook calls were
answered 200 with cards; ``SCHEMATHESIS_REPORT=file.json`` writes the statuses, card topics and subtypes seen per
operation.

Valid hook calls are generated deep (the decision core must see generated data, not only the request parser):
the description says what each prefetch key holds (``cds_hooks.service.openapi_fhir``), and the valid calls are
drawn from it through a *generation profile* that only ever narrows it (each rule below says why), plus an
alignment of what JSON Schema cannot tie together (the patient every resource names is the context's patient;
specimen references name the call's Specimens; order-select's selections name its draft orders). Invalid calls
are drawn from the description as served.
"""
from __future__ import annotations

import collections
import copy
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
from cds_hooks.service.schemas import first_error
from tests.browser.demo_process import CLI
from tests.service.card_rules import card_problems

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "25"))
OTHER_EXAMPLES = max(5, EXAMPLES * 3 // 5)
REPORT = os.environ.get("SCHEMATHESIS_REPORT")
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


def generation_profile(document: dict) -> dict:
    """The served description narrowed for drawing valid hook calls that reach the decision core. Every rule
    removes alternatives, never adds any, so whatever it draws is valid against the served description:

    - FHIR objects are closed (``additionalProperties: false`` on each ``"type": "object"`` schema of the FHIR
      components, where the description allows further non-null members): an unknown element makes the FHIR R4
      models refuse the whole resource, so a generator that adds random members would feed the core nothing;
    - Codings are drawn from the codes the core reads (the "other code" branch is dropped): a random code is
      passed over by every rule;
    - search Bundles carry at least one entry (an empty one says no more than ``null``, which stays);
    - the receptor data comes in prefetch (the fhirServer-only alternative is dropped): this server allowlists no
      FHIR server, so that alternative can only ever be a 412.
    """
    document = copy.deepcopy(document)
    schemas = document["components"]["schemas"]

    def close(node):
        if isinstance(node, dict):
            if isinstance(node.get("anyOf"), list):
                node["anyOf"] = [b for b in node["anyOf"] if not (isinstance(b, dict) and b.get("title") == "other code")]
            if node.get("type") == "object" and "properties" in node:
                node["additionalProperties"] = False
            for value in node.values():
                close(value)
        elif isinstance(node, list):
            for value in node:
                close(value)
    for name, schema in schemas.items():
        if name.startswith("Fhir") or name in ("Prefetch", "DraftOrders"):
            close(schema)
    for value in schemas["Prefetch"]["properties"].values():
        found = value["anyOf"][0]
        if found.get("properties", {}).get("resourceType", {}).get("const") == "Bundle":
            found["required"] = [*found["required"], "entry"]
            found["properties"]["entry"]["minItems"] = 1
    for item in document["paths"].values():
        for operation in item.values():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
            for layer in body.get("allOf", []):
                if "anyOf" in layer:
                    layer["allOf"] = [layer.pop("anyOf")[0]]
    return document


@pytest.fixture(scope="module")
def deep_schema(live_server):
    document = requests.get(f"{live_server}/openapi.json", timeout=10).json()
    schema = schemathesis.openapi.from_dict(generation_profile(document))
    schema.config.update(base_url=live_server)
    return schema


def _walk(node, visit):
    if isinstance(node, dict):
        visit(node)
        for value in node.values():
            _walk(value, visit)
    elif isinstance(node, list):
        for value in node:
            _walk(value, visit)


def align(case):
    """Tie together what JSON Schema cannot: every Patient reference (and the Patient) names the context's
    patient, Specimen references name the call's Specimens, order-select's selections name draft orders."""
    body = case.body
    context = body.get("context") if isinstance(body, dict) else None
    if not isinstance(context, dict) or not isinstance(context.get("patientId"), str):
        return case
    patient = context["patientId"]
    specimens: list[str] = []

    def patients(node):
        if node.get("resourceType") == "Patient":
            node["id"] = patient
        if node.get("resourceType") == "Specimen" and isinstance(node.get("id"), str):
            specimens.append(node["id"])
        if isinstance(node.get("reference"), str) and node["reference"].startswith("Patient/"):
            node["reference"] = f"Patient/{patient}"
    _walk(body.get("prefetch"), patients)
    _walk(context.get("draftOrders"), patients)
    counter = iter(range(10 ** 6))

    def samples(node):
        if specimens and isinstance(node.get("reference"), str) and node["reference"].startswith("Specimen/"):
            node["reference"] = f"Specimen/{specimens[next(counter) % len(specimens)]}"
    _walk(body.get("prefetch"), samples)
    if body.get("hook") == "order-select" and isinstance(context.get("draftOrders"), dict):
        orders = [e["resource"] for e in context["draftOrders"].get("entry", [])
                  if isinstance(e, dict) and isinstance(e.get("resource"), dict) and isinstance(e["resource"].get("id"), str)]
        if orders:
            context["selections"] = [f"{o['resourceType']}/{o['id']}" for o in orders[:1 + len(orders) // 2]]
    return case


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


def test_the_description_says_what_every_prefetch_key_of_discovery_holds():
    """One described member per prefetch template, of the type the template asks for; the receptor results
    carry exactly the codes the template searches, and the service's own required keys are the ones a call
    without fhirServer must carry."""
    from cds_hooks.service.discovery import PREFETCH, REQUIRED_KEYS
    schemas = openapi_document("http://127.0.0.1")["components"]["schemas"]
    assert set(schemas["Prefetch"]["properties"]) == set(PREFETCH)
    for key, template in PREFETCH.items():
        rtype = template.split("?")[0].split("/")[0]
        assert schemas["Fhir" + key[0].upper() + key[1:]]["properties"]["resourceType"] == {"const": rtype}
    receptor = schemas["FhirReceptorObservations"]["properties"]["code"]["properties"]["coding"]["items"]["anyOf"]
    described = {f"{b['properties']['system']['const']}|{b['properties']['code']['const']}"
                 for b in receptor if "properties" in b}
    assert described == set(PREFETCH["receptorObservations"].split("code=")[1].split("&")[0].split(","))
    for item in openapi_document("http://127.0.0.1")["paths"].values():
        for operation in item.values():
            for part in operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get(
                    "schema", {}).get("allOf", []):
                if "anyOf" in part:
                    assert part["anyOf"][0]["properties"]["prefetch"]["required"] == list(REQUIRED_KEYS)


_DOCUMENT = openapi_document("http://127.0.0.1")
# Invalid requests only exist for operations that take something (a body): GET /openapi.json takes nothing.
CASES = [(path, method, mode) for path, method in OPERATIONS
         for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
         if mode == GenerationMode.POSITIVE or "requestBody" in _DOCUMENT["paths"][path][method]]


HOOK_CALLS = {f"/cds-services/{s}" for s in ("receptor-assessment", "receptor-order-select", "receptor-order-sign")}
# Valid hook calls drawn through the generation profile must mostly reach the decision core: answered 200 with at
# least one card (the core always says something about the receptor picture). The rest are the described failures.
MIN_DEEP_SHARE = 0.5
WITH_CARDS = "200 with cards"
_SEEN: dict[str, collections.Counter] = {}


def deep_share_lines(seen: dict[str, collections.Counter]) -> list[str]:
    """One line per service (and the total): how many valid hook calls were answered 200 with cards."""
    lines, total, calls = [], 0, 0
    for name, statuses in sorted(seen.items()):
        method, path, mode = name.split(" ")
        if path not in HOOK_CALLS or mode != GenerationMode.POSITIVE.value:
            continue
        answered = sum(n for code, n in statuses.items() if isinstance(code, int))
        total, calls = total + statuses[WITH_CARDS], calls + answered
        stated = sum(n for c, n in statuses.items()
                     if isinstance(c, str) and c.startswith("subtype ") and c != "subtype indeterminate")
        lines.append(f"  {path}: {statuses[WITH_CARDS]}/{answered} answered 200 with cards; statuses "
                     + ", ".join(f"{c}: {n}" for c, n in sorted(statuses.items(), key=str) if isinstance(c, int))
                     + (f"; a subtype stated in {stated}" if path.endswith("/receptor-assessment") else ""))
    if calls:
        lines.insert(0, f"schemathesis: valid hook calls answered 200 with cards: {total}/{calls} "
                        f"({100 * total / calls:.0f} %)")
    return lines


@pytest.fixture(scope="module", autouse=True)
def _report(request):
    yield
    reporter = request.config.pluginmanager.getplugin("terminalreporter")
    capture = request.config.pluginmanager.getplugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():     # printed in every run, captured or not
            reporter.write_line("")
            for line in deep_share_lines(_SEEN):
                reporter.write_line(line)
    if REPORT:
        Path(REPORT).write_text(json.dumps({k: {str(c): n for c, n in sorted(v.items(), key=str)} for k, v in _SEEN.items()},
                                         indent=1))


@pytest.mark.parametrize("path,method,mode", CASES, ids=[f"{m.upper()} {p} {g.value}" for p, m, g in CASES])
def test_every_operation_against_a_live_server(api_schema, deep_schema, path, method, mode):
    """Generated requests (valid and invalid) never get a 5xx; every status is documented and every body matches
    its schema; every card list answered matches the CDS Hooks card schema and the card rules. The signed calls
    get past authentication (not every answer is a 401); valid hook calls mostly reach the decision core."""
    deep = path in HOOK_CALLS and mode == GenerationMode.POSITIVE
    operation = (deep_schema if deep else api_schema)[path][method]
    strategy = operation.as_strategy(generation_mode=mode)
    statuses: collections.Counter = _SEEN.setdefault(f"{method.upper()} {path} {mode.value}", collections.Counter())

    @settings(max_examples=EXAMPLES if deep else OTHER_EXAMPLES, deadline=None,
              suppress_health_check=list(HealthCheck), database=None)
    @given(case=strategy.map(align) if deep else strategy)
    def run(case):
        _sign(case)
        response = case.call_and_validate(checks=[not_a_server_error, status_code_conformance,
                                                  content_type_conformance, response_schema_conformance])
        statuses[response.status_code] += 1
        if path in HOOK_CALLS and response.status_code == 200:
            body = response.json()
            assert first_error("response", body) is None, first_error("response", body)
            assert not card_problems(body), card_problems(body)
            if body["cards"]:
                statuses[WITH_CARDS] += 1
            for card in body["cards"]:     # what the core said, for the report
                statuses[f"card {card['source'].get('topic', {}).get('code')}"] += 1
                subtype = (card.get("extension") or {}).get("receptor-cds", {}).get("subtype")
                if subtype:
                    statuses[f"subtype {subtype}"] += 1
    run()
    answered = {code: n for code, n in statuses.items() if isinstance(code, int)}
    assert answered and set(answered) != {401}, statuses
    if deep:
        assert statuses[WITH_CARDS] >= MIN_DEEP_SHARE * sum(answered.values()), statuses
