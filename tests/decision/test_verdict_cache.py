"""The remembered validation verdicts (``cds_hooks.decision.verdicts``) never change an assessment.

The fast path (verdicts looked up by content) must agree with full validation (every resource through the
R4B models) on every fixture the project ships, both when the cache is cold and when it already holds every
resource; and its key must tell apart any two inputs the validators could judge differently.
"""
from __future__ import annotations

import copy
import dataclasses
import json
import sys
from datetime import date
from pathlib import Path

import orjson
import pytest

from cds_hooks.decision import DecisionConfig, assess
from cds_hooks.decision.verdicts import VERDICTS, VerdictCache, content_key

ROOT = Path(__file__).resolve().parents[2]
CONFIG = DecisionConfig(today=date(2026, 11, 1))
# Every fixture file with patient data; fixtures/real/mcode-package.json is the IG's package manifest.
FIXTURES = sorted(p for folder in ("real", "synthea", "cases", "large") for p in (ROOT / "fixtures" / folder).glob("*.json")
                  if p.name != "mcode-package.json")


def _resources(path: Path) -> list[dict]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("resourceType") != "Bundle":
        data = data.get("bundle") or {}
    return [entry["resource"] for entry in data.get("entry", []) if isinstance(entry, dict) and "resource" in entry]


def _benchmark_record() -> list[dict]:
    sys.path.insert(0, str(ROOT))
    from benchmarks.record import build_record
    return build_record()


def _plain(assessment) -> dict:
    return dataclasses.asdict(assessment)


def test_every_fixture_is_read():
    assert {p.parent.name for p in FIXTURES} == {"real", "synthea", "cases", "large"}
    assert len(FIXTURES) >= 100 and all(_resources(p) for p in FIXTURES)


@pytest.mark.parametrize("path", FIXTURES + [None], ids=lambda p: f"{p.parent.name}/{p.name}" if p else "benchmark-record")
def test_fast_path_agrees_with_full_validation(path):
    resources = _resources(path) if path else _benchmark_record()
    assert resources
    with VERDICTS.bypassed():
        full = _plain(assess(copy.deepcopy(resources), CONFIG))
    VERDICTS.clear()
    cold = _plain(assess(copy.deepcopy(resources), CONFIG))
    warm = _plain(assess(copy.deepcopy(resources), CONFIG))
    assert cold == full
    assert warm == full
    # As a hook call reads them: each resource digested once for all checks (VERDICTS.one_reading), which is
    # sound because the core leaves its input exactly as it found it (types and key order included).
    given = copy.deepcopy(resources)
    with VERDICTS.one_reading():
        VERDICTS.clear()
        once = _plain(assess(given, CONFIG))
    assert once == full
    assert json.dumps(given) == json.dumps(resources)


def test_a_remembered_valid_resource_does_not_vouch_for_a_broken_copy():
    """Same resource, one value turned into a string the model refuses: the broken one is still dropped."""
    good = {"resourceType": "Observation", "id": "o1", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "85329-1"}]},
            "subject": {"reference": "Patient/p1"}, "effectiveDateTime": "2026-01-02",
            "valueQuantity": {"value": 90, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"}}
    broken = copy.deepcopy(good)
    broken["valueQuantity"]["value"] = "ninety"
    patient = {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1970-01-01"}
    VERDICTS.clear()
    first = assess([patient, good], CONFIG)
    second = assess([patient, broken], CONFIG)
    assert "Observation/o1" in first.er.evidence
    assert "Observation/o1" not in second.er.evidence
    assert any(n.code == "invalid-resource" and n.resource == "Observation/o1" for n in second.data_quality)


@pytest.mark.parametrize("a, b", [
    ({"v": 1}, {"v": 1.0}), ({"v": 1}, {"v": True}), ({"v": 1}, {"v": "1"}), ({"v": 0.0}, {"v": -0.0}),
    ({"v": None}, {"v": float("nan")}), ({"v": [1, 2]}, {"v": (1, 2)}), ({"a": 1, "b": 2}, {"b": 2, "a": 1}),
    ({"v": "x"}, {"v": "x "}),
])
def test_the_key_tells_apart_inputs_a_validator_could_judge_differently(a, b):
    assert content_key(a) is not None and content_key(b) is not None
    assert content_key(a) != content_key(b)


@pytest.mark.parametrize("parse", [json.loads, orjson.loads], ids=["json", "orjson"])
def test_a_resent_record_is_validated_once(monkeypatch, parse):
    """The second assessment of the same record, parsed again by the same parser (the FHIR client's, the
    service's), runs no full validation: the point of the cache."""
    from cds_hooks.decision import intake

    calls = []
    full = intake._validate_in_full
    monkeypatch.setattr(intake, "_validate_in_full", lambda r: calls.append(1) or full(r))
    text = json.dumps(_benchmark_record())
    VERDICTS.clear()
    assess(parse(text), CONFIG)
    first = len(calls)
    assess(parse(text), CONFIG)           # the same record, parsed again as a resend is
    assert first == len(json.loads(text)) and len(calls) == first


def test_anything_but_plain_json_data_is_never_remembered():
    class Text(str):
        pass

    calls = []
    cache = VerdictCache(maxsize=10)
    for value in ({"v": Text("x")}, {"v": date(2026, 1, 1)}, {"v": object()}):
        assert content_key(value) is None
        cache.checked("t", value, lambda r: calls.append(r))
        cache.checked("t", value, lambda r: calls.append(r))
    assert len(calls) == 6 and len(cache) == 0


def test_the_cache_is_bounded_and_keeps_checks_apart():
    cache = VerdictCache(maxsize=3)
    for i in range(5):
        assert cache.checked("a", {"i": i}, lambda r: f"a{r['i']}") == f"a{i}"
    assert len(cache) == 3
    assert cache.checked("b", {"i": 4}, lambda r: "b") == "b"          # another check, same resource
    assert cache.checked("a", {"i": 4}, lambda r: "recomputed") == "a4"  # still remembered
    assert cache.checked("a", {"i": 0}, lambda r: "recomputed") == "recomputed"   # forgotten (oldest)


def test_one_reading_digests_each_resource_once_for_every_check(monkeypatch):
    """The service's FHIR JSON check and the core's R4B check of one resource: two digests, one inside
    ``one_reading``; an equal copy is a different object and gets its own; nothing is kept after the block."""
    from cds_hooks.decision import intake, verdicts
    from cds_hooks.service.fhir_json import json_problem

    digests = []
    real = verdicts.content_key
    monkeypatch.setattr(verdicts, "content_key", lambda value, check=b"": digests.append(1) or real(value, check))
    resource = _benchmark_record()[5]
    VERDICTS.clear()
    assert json_problem(resource) is None and intake._validate(resource) is None
    assert len(digests) == 2
    with VERDICTS.one_reading():
        with VERDICTS.one_reading():                       # nested: the same reading
            assert json_problem(resource) is None and intake._validate(resource) is None
        assert json_problem(resource) is None and intake._validate(resource) is None
        assert len(digests) == 3
        twin = copy.deepcopy(resource)
        assert json_problem(twin) is None and intake._validate(twin) is None
        assert len(digests) == 4
    assert json_problem(resource) is None
    assert len(digests) == 5
    assert VERDICTS._reading.digests is None


def test_one_reading_still_judges_each_content():
    """Inside one reading, a broken resource beside a valid one keeps its own verdict for each check."""
    from cds_hooks.decision import intake
    from cds_hooks.service.fhir_json import json_problem

    good = {"resourceType": "Observation", "id": "o1", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "85329-1"}]}, "valueString": "x"}
    broken, null = copy.deepcopy(good), copy.deepcopy(good)
    broken["status"] = 7
    null["valueString"] = None
    VERDICTS.clear()
    with VERDICTS.one_reading():
        assert json_problem(good) is None and intake._validate(good) is None
        assert json_problem(broken) is None and intake._validate(broken) is not None
        assert json_problem(null) == "valueString is null (FHIR JSON allows no null values)"
