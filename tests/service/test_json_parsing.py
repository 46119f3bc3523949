"""Request JSON (issue 9): orjson parsing, the depth check (orjson's indented output, the walk past its limit)
and the remembered FHIR JSON verdicts keep the rules they replace: same depth limit, strict JSON, and the same
verdict on every fixture resource."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cds_hooks.decision.verdicts import VERDICTS
from cds_hooks.service.fhir_json import json_problem
from cds_hooks.service.hook_request import MAX_JSON_DEPTH, json_depth, nests_deeper_than, parse_json_body
from cds_hooks.service.outcomes import ServiceError

ROOT = Path(__file__).resolve().parents[2]


def reference_depth(value) -> int:
    """The definition, recursively: a scalar is one level; a container is one more than its deepest child."""
    if isinstance(value, dict):
        return 1 + max((reference_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((reference_depth(v) for v in value), default=0)
    return 1


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=3),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=2), inner, max_size=4),
                    max_leaves=40)


@settings(max_examples=300, deadline=None)
@given(JSON)
def test_depth_walk_matches_the_definition(value):
    assert json_depth(value) == reference_depth(value)


DEEP_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
                         | st.text(alphabet=st.sampled_from(" \n\t[]{}\"\\:,ab"), max_size=6)
                         | st.sampled_from([" " * 8, "\n" + " " * 8, "[\n    {", "\\n    "]),
                         lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
                             st.text(alphabet=st.sampled_from(" \n[{\"a"), max_size=3) | st.just("\n" + " " * 8), inner, max_size=3),
                         max_leaves=60)


@settings(max_examples=300, deadline=None)
@given(DEEP_JSON, st.integers(min_value=-1, max_value=3))
def test_the_indented_depth_check_agrees_with_the_definition_at_every_limit(value, offset):
    """nests_deeper_than reads the depth from orjson's indented output: at the value's own depth, one below and
    one above (strings full of line breaks, brackets and spaces included), it says what the definition says."""
    depth = reference_depth(value)
    for limit in {max(0, depth + offset), depth - 1, depth, depth + 1} - {-1}:
        assert nests_deeper_than(value, limit) == (depth > limit), (limit, depth)
    wrapped = [[[[[[[[value]]]]]]]]
    assert nests_deeper_than(wrapped, depth + 7) and not nests_deeper_than(wrapped, depth + 8)


@pytest.mark.parametrize("levels", [254, 255, 256, 300])
def test_nesting_past_what_orjson_writes_is_still_measured(levels):
    """orjson reads up to 1,024 levels but writes at most 255: past that the walk decides (still a 400)."""
    value = json.loads(_nested(levels))
    assert nests_deeper_than(value, levels) and not nests_deeper_than(value, levels + 1)
    with pytest.raises(ServiceError) as exc:
        parse_json_body(_nested(levels), "application/json")
    assert exc.value.status == 400 and "nests deeper" in str(exc.value.body())


def _nested(levels: int) -> bytes:
    return ("[" * levels + "1" + "]" * levels).encode()


def test_the_depth_limit_is_exact():
    assert parse_json_body(_nested(MAX_JSON_DEPTH - 1), "application/json")        # 63 arrays + a number: 64
    with pytest.raises(ServiceError) as exc:
        parse_json_body(_nested(MAX_JSON_DEPTH), "application/json")
    assert exc.value.status == 400 and "nests deeper" in str(exc.value.body())


@pytest.mark.parametrize("levels", [2000, 100_000])
def test_nesting_past_the_parsers_own_limit_is_the_same_clear_400(levels):
    with pytest.raises(ServiceError) as exc:
        parse_json_body(_nested(levels), "application/json")
    assert exc.value.status == 400 and "nests deeper" in str(exc.value.body())


@pytest.mark.parametrize("raw", [b'{"a": NaN}', b'{"a": Infinity}', b'{"a": 1,}', b"{'a': 1}"])
def test_what_is_not_json_is_refused(raw):
    with pytest.raises(ServiceError) as exc:
        parse_json_body(raw, "application/json")
    assert exc.value.status == 400 and "not valid JSON" in str(exc.value.body())


def test_parsed_values_keep_their_json_types():
    body = parse_json_body('{"i": 90, "f": 2.5, "t": true, "s": "é", "n": null, "l": [1]}'.encode(), "application/json")
    assert body == {"i": 90, "f": 2.5, "t": True, "s": "é", "n": None, "l": [1]}
    assert type(body["i"]) is int and type(body["f"]) is float


def _fixture_resources():
    for folder in ("real", "synthea", "cases"):
        for path in sorted((ROOT / "fixtures" / folder).glob("*.json")):
            data = json.loads(path.read_text(encoding="utf-8"))
            bundle = data if data.get("resourceType") == "Bundle" else data.get("bundle") or {}
            for entry in bundle.get("entry", []):
                if isinstance(entry, dict) and isinstance(entry.get("resource"), dict):
                    yield entry["resource"]


def test_remembered_json_verdicts_equal_the_full_walk_on_every_fixture_resource():
    resources = list(_fixture_resources())
    assert len(resources) > 500
    with VERDICTS.bypassed():
        full = [json_problem(copy.deepcopy(r)) for r in resources]
    VERDICTS.clear()
    assert [json_problem(r) for r in resources] == full
    assert [json_problem(r) for r in resources] == full


def test_a_remembered_clean_resource_does_not_vouch_for_a_copy_with_a_null():
    clean = {"resourceType": "Observation", "id": "o1", "status": "final",
             "code": {"coding": [{"system": "http://loinc.org", "code": "85329-1"}]}}
    with_null = copy.deepcopy(clean)
    with_null["code"]["text"] = None
    bad_coding = copy.deepcopy(clean)
    bad_coding["code"]["coding"] = {"system": "http://loinc.org", "code": "85329-1"}
    assert json_problem(clean) is None
    assert json_problem(with_null) == "code.text is null (FHIR JSON allows no null values)"
    assert json_problem(bad_coding) == "code.coding is not an array of Coding objects"
    assert json_problem(clean) is None


def test_a_hook_call_digests_each_resource_once(cds, monkeypatch):
    """The FHIR JSON check (service) and the R4B check (core) of a hook call's resources share one digest per
    resource: no more digests than resources, cold or resent."""
    from cds_hooks.decision import verdicts
    from tests.service.conftest import hook_fixture

    body = hook_fixture("patient-view-full-prefetch")
    count = sum(len(v.get("entry", [])) if v.get("resourceType") == "Bundle" else 1
                for v in body["prefetch"].values() if isinstance(v, dict))
    digests = []
    real = verdicts.content_key
    monkeypatch.setattr(verdicts, "content_key", lambda value, check=b"": digests.append(1) or real(value, check))
    VERDICTS.clear()
    for _ in range(2):
        digests.clear()
        assert cds.post("/cds-services/receptor-assessment", body).status_code == 200
        assert 0 < len(digests) <= count
