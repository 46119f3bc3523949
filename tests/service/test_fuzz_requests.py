"""Bad input never gets a 500 (rules of the house; checklist 1C.11): random and mutated hook bodies,
feedback bodies and raw bytes posted to both services and feedback through the Flask test client.

Every response is checked by ``CdsClient`` (conftest): never 5xx, every 4xx an OperationOutcome with a
message, every 200 schema-valid and within the card rules. Calls are made once with auth switched off
(so the body, not the token, is what is exercised) and once signed like Epic, with keys inline.
"""
from __future__ import annotations

import copy
import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from app.config import Settings
from cds_hooks.service.discovery import PREFETCH

from tests.property_budget import examples

from .conftest import HOOK_FIXTURES, TODAY, CdsClient, build_app

ASSESS = "/cds-services/receptor-assessment"
ORDER_SELECT = "/cds-services/receptor-order-select"
ORDER_SIGN = "/cds-services/receptor-order-sign"
SERVICES = (ASSESS, ORDER_SELECT, ORDER_SIGN)
SERVICE_OF = {"patient-view": ASSESS, "order-select": ORDER_SELECT, "order-sign": ORDER_SIGN}
ISS = "https://fuzz.ehr.test"
BASES = [json.loads(p.read_text()) for p in sorted(HOOK_FIXTURES.glob("*.json"))
         if p.name.startswith(("patient-view", "order-"))]
FUZZ = settings(max_examples=examples(120), deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                       HealthCheck.function_scoped_fixture])

json_scalars = (st.none() | st.booleans() | st.integers(min_value=-(2 ** 70), max_value=2 ** 70)
                | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=40))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=5)
                           | st.dictionaries(st.text(max_size=12), inner, max_size=5), max_leaves=25)
# Values that look almost right: the shapes real clients get subtly wrong.
odd_resources = st.fixed_dictionaries(
    {"resourceType": st.sampled_from(["Bundle", "OperationOutcome", "Observation", "Patient", "MedicationRequest",
                                      "Condition", "", "bundle"]) | json_values},
    optional={"id": json_values, "entry": json_values | st.lists(st.fixed_dictionaries(
                  {}, optional={"resource": json_values | st.fixed_dictionaries(
                      {"resourceType": st.sampled_from(["Observation", "OperationOutcome", "MedicationRequest"])},
                      optional={"id": json_values, "subject": json_values, "patient": json_values,
                                "code": json_values, "valueQuantity": json_values,
                                "medicationCodeableConcept": json_values, "issue": json_values,
                                "effectiveDateTime": json_values, "status": json_values}),
                      "search": json_values, "fullUrl": json_values}), max_size=4),
              "link": json_values | st.lists(st.fixed_dictionaries({}, optional={
                  "relation": st.sampled_from(["next", "self"]) | json_values, "url": json_values}), max_size=3),
              "issue": json_values | st.lists(st.fixed_dictionaries({}, optional={
                  "severity": st.sampled_from(["error", "fatal", "warning"]) | json_values,
                  "diagnostics": json_values, "details": json_values, "code": json_values}), max_size=3),
              "subject": json_values, "total": json_values})


@pytest.fixture(scope="module")
def fuzz_key() -> ECKey:
    return ECKey.generate_key("P-384", parameters={"kid": "fuzz-1", "alg": "ES384"})


@pytest.fixture(scope="module")
def clients(tmp_path_factory, fuzz_key) -> dict[str, Any]:
    """One app with auth off and one that trusts ``ISS`` (inline key); no FHIR server is allowlisted."""
    folder = tmp_path_factory.mktemp("fuzz")
    issuers = folder / "issuers.json"
    issuers.write_text(json.dumps({ISS: {"jwks": KeySet([fuzz_key]).as_dict(private=False),
                                         "fhir_servers": ["https://fuzz.ehr.test/fhir"]}}))
    base = dict(public_url="https://cds.fuzz.test", trusted_issuers_path=str(issuers),
                smart_launch_url="https://app.fuzz.test/launch", fhir_total_budget=1.0,
                fhir_connect_timeout=0.2, fhir_read_timeout=0.5)
    off = build_app(Settings(**base, database_url=f"sqlite:///{folder / 'off.sqlite'}", cds_auth_disabled=True), TODAY)
    on = build_app(Settings(**base, database_url=f"sqlite:///{folder / 'on.sqlite'}"), TODAY)
    return {"off": CdsClient(off, None), "on": CdsClient(on, None)}   # type: ignore[arg-type]


def _token(key: ECKey, path: str) -> str:
    now = int(time.time())
    return jwt.encode({"alg": "ES384", "typ": "JWT", "kid": "fuzz-1"},
                      {"iss": ISS, "aud": "https://cds.fuzz.test" + path, "iat": now, "exp": now + 300,
                       "jti": str(uuid.uuid4())}, key, algorithms=["ES384"])


def _post(clients, key, path: str, body: Any = None, data: bytes | str | None = None, signed: bool = False):
    client = clients["on" if signed else "off"]
    token = _token(key, path) if signed else None
    response = client.request("POST", path, token=token, json_body=body, data=data)
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    return response


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path into a JSON value (dict keys and list indexes), for picking what to mutate."""
    found = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            found += _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value[:6]):
            found += _paths(v, prefix + (i,))
    return found


def _mutate(body: Any, path: tuple, value: Any, delete: bool) -> Any:
    body = copy.deepcopy(body)
    if not path:
        return value
    node = body
    for step in path[:-1]:
        node = node[step]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return body


@FUZZ
@given(body=json_values, service=st.sampled_from(SERVICES), signed=st.booleans())
def test_random_json_body_is_never_a_500(clients, fuzz_key, body, service, signed):
    """Any JSON value as the whole body: a 4xx OperationOutcome or a valid answer, never a 500."""
    _post(clients, fuzz_key, service, body, signed=signed)


@FUZZ
@given(data=st.data(), base=st.sampled_from(BASES), value=json_values, delete=st.booleans(), signed=st.booleans())
def test_mutated_sample_request_is_never_a_500(clients, fuzz_key, data, base, value, delete, signed):
    """One member anywhere in a real sample request replaced by any JSON value (or removed)."""
    path = data.draw(st.sampled_from(_paths(base)[1:]))
    body = _mutate(base, path, value, delete)
    service = SERVICE_OF[base["hook"]]
    _post(clients, fuzz_key, service, body, signed=signed)


@FUZZ
@given(base=st.sampled_from(BASES), field=st.sampled_from(["userId", "patientId", "encounterId", "selections",
                                                          "draftOrders"]), value=json_values)
def test_context_field_of_the_wrong_type_is_never_a_500(clients, fuzz_key, base, field, value):
    """Context fields of any type (numbers for ids, objects for selections...) are refused cleanly."""
    body = copy.deepcopy(base)
    body["context"][field] = value
    _post(clients, fuzz_key, SERVICE_OF[base["hook"]], body)


@FUZZ
@given(base=st.sampled_from([b for b in BASES if b["hook"] != "patient-view"]),
       entries=st.lists(json_values | st.fixed_dictionaries({"resource": odd_resources}), max_size=5),
       bundle_type=st.none() | json_values, select_first=st.booleans())
def test_odd_draft_orders_are_never_a_500(clients, fuzz_key, base, entries, bundle_type, select_first):
    """draftOrders Bundles with entries of any shape (no type, odd resources, bad codings) are handled."""
    body = copy.deepcopy(base)
    bundle: dict[str, Any] = {"resourceType": "Bundle", "entry": entries}
    if bundle_type is not None:
        bundle["type"] = bundle_type
    body["context"]["draftOrders"] = bundle
    if body["hook"] == "order-select" and select_first:
        ids = [e["resource"].get("id") for e in entries if isinstance(e, dict) and isinstance(e.get("resource"), dict)]
        body["context"]["selections"] = [f"MedicationRequest/{i}" for i in ids if isinstance(i, str)][:1] or ["X/y"]
    _post(clients, fuzz_key, SERVICE_OF[body["hook"]], body)


@FUZZ
@given(base=st.sampled_from(BASES), key=st.sampled_from(sorted(PREFETCH)), value=odd_resources | json_values)
def test_odd_prefetch_values_are_never_a_500(clients, fuzz_key, base, key, value):
    """A prefetch value of any type or near-FHIR shape: 400, 412 or an honest answer, never a 500."""
    body = copy.deepcopy(base)
    body.setdefault("prefetch", {})[key] = value
    _post(clients, fuzz_key, SERVICE_OF[base["hook"]], body)


@FUZZ
@given(body=json_values | st.fixed_dictionaries({"feedback": st.lists(
    st.fixed_dictionaries({}, optional={"card": json_values, "outcome": st.sampled_from(["accepted", "overridden"])
                                        | json_values, "outcomeTimestamp": st.sampled_from(
                                            ["2026-11-01T10:15:00Z", "2026-02-30T25:61:00Z", "2026-11-01T10:15:00"])
                                        | json_values, "acceptedSuggestions": json_values,
                                        "overrideReason": json_values}), max_size=3)}),
       service=st.sampled_from(SERVICES), signed=st.booleans())
def test_odd_feedback_is_never_a_500(clients, fuzz_key, body, service, signed):
    """Feedback of any shape is stored when valid and refused with an OperationOutcome otherwise."""
    _post(clients, fuzz_key, service + "/feedback", body, signed=signed)


@FUZZ
@given(raw=st.binary(max_size=300), service=st.sampled_from([ASSESS, ORDER_SELECT, ORDER_SIGN, ASSESS + "/feedback"]))
def test_arbitrary_bytes_are_never_a_500(clients, fuzz_key, raw, service):
    """Bytes that are not UTF-8 or not JSON are a 400, never a 500."""
    _post(clients, fuzz_key, service, data=raw)


@pytest.mark.parametrize("depth", [50, 900, 5000, 100_000])
@pytest.mark.parametrize("where", ["body", "context", "prefetch", "draftOrders"])
def test_deeply_nested_json_is_never_a_500(clients, fuzz_key, depth, where):
    """Deeply nested arrays anywhere in the request (JSON parsers and validators recurse) are refused cleanly."""
    nested = "[" * depth + "]" * depth
    base = json.dumps(BASES[0] if where != "draftOrders" else next(b for b in BASES if b["hook"] == "order-sign"))
    if where == "body":
        raw = nested
    elif where == "context":
        raw = base.replace('"context": {', f'"context": {{"deep": {nested}, ', 1)
    elif where == "prefetch":
        raw = base.replace('"prefetch": {', f'"prefetch": {{"receptorObservations": {nested}, "x": 1, ', 1)
    else:
        raw = base.replace('"draftOrders": {', f'"draftOrders": {{"extension": {{"x": {nested}}}, ', 1)
    service = ORDER_SIGN if where == "draftOrders" else SERVICE_OF[BASES[0]["hook"]]
    _post(clients, fuzz_key, service, data=raw)


@pytest.mark.parametrize("size", [10_000, 1_000_000, 8_000_000])
@pytest.mark.parametrize("field", ["hookInstance", "patientId", "userId", "fhirServer", "prefetch-text"])
def test_huge_strings_are_never_a_500(clients, fuzz_key, size, field):
    """Multi-megabyte strings in ids, URLs or resources are refused or handled, never a 500."""
    body = copy.deepcopy(next(b for b in BASES if b["hook"] == "patient-view" and b.get("prefetch")))
    big = "9" * size
    if field == "hookInstance":
        body["hookInstance"] = big
    elif field == "fhirServer":
        body["fhirServer"] = "https://fuzz.ehr.test/fhir/" + big
    elif field == "prefetch-text":
        body["prefetch"]["patient"]["text"] = {"status": "generated", "div": big}
    else:
        body["context"][field] = big if field == "patientId" else "Practitioner/" + big
    _post(clients, fuzz_key, ASSESS, body)


def _order_sign() -> dict[str, Any]:
    return copy.deepcopy(next(b for b in BASES if b["hook"] == "order-sign"))


def test_chart_resource_breaking_fhir_json_is_left_out_and_said(clients, fuzz_key):
    """A prefetched Condition whose verificationStatus.coding is null (found by the fuzzer; the decision core
    crashed on it) is left out with a gap card naming it, and the rest is still assessed."""
    body = copy.deepcopy(next(b for b in BASES if b["hook"] == "patient-view" and b.get("prefetch")))
    body["prefetch"]["conditions"] = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": {
        "resourceType": "Condition", "id": "odd-condition", "subject": {"reference": f"Patient/{body['context']['patientId']}"},
        "verificationStatus": {"coding": None}, "code": {"coding": [{"system": "http://snomed.info/sct",
                                                                   "code": "254837009"}]}}}]}
    response = _post(clients, fuzz_key, ASSESS, body)
    assert response.status_code == 200
    gap = next(c for c in response.get_json()["cards"] if c["summary"].startswith("Incomplete chart data"))
    assert "Condition/odd-condition" in gap["detail"] and "not valid FHIR JSON" in gap["detail"]


@pytest.mark.parametrize("case,resource", [
    ("coding a number", {"medicationCodeableConcept": {"coding": 5}}),
    ("coding entries not objects", {"medicationCodeableConcept": {"coding": ["198240"]}}),
    ("a null member", {"dosageInstruction": None}),
    ("an entry member", {"entry": True}),
])
def test_draft_order_that_is_not_fhir_json_is_a_400(clients, fuzz_key, case, resource):
    """A draft order we are asked to judge but cannot read (found by the fuzzer: the core's order reader crashed)
    is refused with a 400 naming the entry, never judged by guesswork and never a 500."""
    body = _order_sign()
    body["context"]["draftOrders"]["entry"][0]["resource"].update(resource)
    response = _post(clients, fuzz_key, SERVICE_OF[body["hook"]], body)
    assert response.status_code == 400
    assert "draftOrders.entry[0]" in response.get_json()["issue"][0]["diagnostics"]


def test_draft_orders_in_a_patient_view_call_are_ignored(clients, fuzz_key):
    """patient-view has no draftOrders: one sent anyway, of any shape, is not read."""
    body = copy.deepcopy(next(b for b in BASES if b["hook"] == "patient-view" and b.get("prefetch")))
    body["context"]["draftOrders"] = None
    assert _post(clients, fuzz_key, ASSESS, body).status_code == 200


def test_bundle_nested_in_draft_orders_is_flattened(clients, fuzz_key):
    """A Bundle inside a draftOrders entry is read for its orders (lenient parsing), not passed on as an order."""
    body = _order_sign()
    inner = body["context"]["draftOrders"]
    body["context"]["draftOrders"] = {"resourceType": "Bundle", "entry": [{"resource": inner}]}
    flat = _post(clients, fuzz_key, ORDER_SIGN, _order_sign()).get_json()["cards"]
    nested = _post(clients, fuzz_key, ORDER_SIGN, body).get_json()["cards"]
    assert [c["source"]["topic"]["code"] for c in nested] == [c["source"]["topic"]["code"] for c in flat]
    assert flat


@pytest.fixture(scope="module")
def odd_fhir(tmp_path_factory):
    """A loopback HTTP server answering every FHIR request with whatever JSON the test sets, allowlisted
    for a service built around it (auth off): the FHIR server's answers are fuzzed too."""
    from .conftest import JwksServer
    with JwksServer({}) as server:
        base = server.url.replace("/.well-known/jwks.json", "/fhir")
        folder = tmp_path_factory.mktemp("odd-fhir")
        issuers = folder / "issuers.json"
        issuers.write_text(json.dumps({ISS: {"jwks_url": "https://fuzz.ehr.test/jwks", "fhir_servers": [base]}}))
        app = build_app(Settings(public_url="https://cds.fuzz.test", trusted_issuers_path=str(issuers),
                                 database_url=f"sqlite:///{folder / 'fb.sqlite'}", cds_auth_disabled=True,
                                 fhir_total_budget=2.0, fhir_connect_timeout=0.5, fhir_read_timeout=1.0), TODAY)
        yield server, base, CdsClient(app, None)   # type: ignore[arg-type]


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(answer=odd_resources | json_values, paged=st.booleans())
def test_odd_fhir_server_answers_are_never_a_500(odd_fhir, answer, paged):
    """Whatever JSON the EHR's FHIR server sends back (odd Bundles, OperationOutcomes, wrong types), the
    call ends in a 200 with honest gaps or a 412, never a 500."""
    server, base, client = odd_fhir
    server.keyset = answer
    body = copy.deepcopy(next(b for b in BASES if b["hook"] == "patient-view" and not b.get("prefetch")))
    body["fhirServer"] = base
    if paged:
        body["prefetch"] = {"receptorObservations": {"resourceType": "Bundle", "type": "searchset",
                                                     "link": [{"relation": "next", "url": f"{base}/Observation?p=2"}]}}
    response = client.request("POST", ASSESS, token=None, json_body=body)
    assert response.status_code in (200, 412), response.get_data(as_text=True)[:300]
