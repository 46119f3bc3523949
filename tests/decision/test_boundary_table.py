"""The boundary table: every threshold in cds_hooks.knowledge.thresholds has curated cases at it, just
below it and just above it.

Why: a cut-off moved by one step (2.0 read as "> 2.0", age 60 as "> 60") changes what a clinician is told
for exactly the patients at the cut-off, and only a case sitting there can notice. The cases themselves live
in ``fixtures/cases``; their expected results are written from the source and checked by
``test_case_table.py`` (and through HTTP by ``tests/service/test_cases_through_http.py``). This file checks
that the cases exist, that each names where its value is, and that the value in the FHIR data really is at,
below or above the threshold as the case says.

A case names its boundary as ``"boundaries": [{"threshold": NAME, "value": V, ...}]`` with either
``"resource": "Observation/id"`` (the value is that Observation's valueQuantity, or one of its components'),
or ``"from"``/``"to"`` (``"Type/id#field"`` or ``"today"``; field: birthDate, effective, start, end, onset, performed) for ages
in years, day windows and month windows, or ``"count": ["Type/id", ...]`` (one resource per counted item, e.g.
one drug of each prior line of therapy) for counts.
"""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from cds_hooks.knowledge.sources import SOURCES
from cds_hooks.knowledge.thresholds import THRESHOLDS, Threshold

CASES_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "cases"
CASE_FILES = sorted(CASES_DIR.glob("*.json"))
NAMES = sorted(THRESHOLDS)


def _cases() -> list[tuple[str, dict]]:
    return [(p.stem, json.loads(p.read_text(encoding="utf-8"))) for p in CASE_FILES]


def _entries() -> list[tuple[str, dict, dict]]:
    """(case name, case, boundary entry) for every boundary entry of every case."""
    return [(name, case, entry) for name, case in _cases() for entry in case.get("boundaries", [])]


def _position(threshold: Threshold, value: float) -> str | None:
    """below / at / above when within one step of the threshold; None when further away."""
    if value == threshold.value:
        return "at"
    if threshold.value - threshold.step <= value < threshold.value:
        return "below"
    if threshold.value < value <= threshold.value + threshold.step:
        return "above"
    return None


def test_thresholds_are_declared():
    """The declaration is not empty (an empty table would make every check below vacuous)."""
    assert len(THRESHOLDS) >= 10, sorted(THRESHOLDS)
    assert CASE_FILES, f"no case files in {CASES_DIR}"


@pytest.mark.parametrize("name", NAMES)
def test_threshold_declaration_is_complete(name: str):
    """Each threshold says its unit, comparison, rule and source (or, for a product choice, why)."""
    threshold = THRESHOLDS[name]
    assert threshold.name == name
    assert threshold.unit and threshold.comparison and threshold.rule
    assert threshold.step > 0
    if threshold.source is None:
        assert threshold.basis, f"{name}: a threshold without a source must state its basis"
    else:
        assert threshold.source in SOURCES, f"{name}: source {threshold.source!r} is not in the catalogue"


@pytest.mark.parametrize("name", NAMES)
def test_threshold_has_cases_at_below_and_above(name: str):
    """fixtures/cases holds a case at the value, one just below and one just above (within one step)."""
    threshold = THRESHOLDS[name]
    found: dict[str, list[str]] = {"below": [], "at": [], "above": []}
    for case_name, case, entry in _entries():
        if entry["threshold"] == name and not case.get("config"):
            position = _position(threshold, entry["value"])
            if position:
                found[position].append(case_name)
    missing = [position for position, names in found.items() if not names]
    assert not missing, (f"{name} ({threshold.value:g} {threshold.unit}) has no case {', '.join(missing)} it "
                         f"(within {threshold.step:g}); found {found}")


# ---- Each boundary entry is honest about its value -----------------------------------------------------

def _resource(case: dict, reference: str) -> dict:
    for entry in case["bundle"]["entry"]:
        resource = entry["resource"]
        if f"{resource['resourceType']}/{resource.get('id')}" == reference:
            return resource
    raise AssertionError(f"{reference} is not in the case bundle")


def _date_of(case: dict, pointer: str) -> date:
    if pointer == "today":
        return date.fromisoformat(case["today"])
    reference, _, field = pointer.partition("#")
    resource = _resource(case, reference)
    if field == "birthDate":
        text = resource["birthDate"]
    elif field == "effective":
        text = resource["effectiveDateTime"]
    elif field in ("start", "end"):
        text = resource["dispenseRequest"]["validityPeriod"][field]
    elif field == "onset":
        text = resource["onsetDateTime"]
    elif field == "performed":
        text = resource["performedDateTime"]
    else:
        raise AssertionError(f"unknown date field {field!r} in {pointer}")
    return date.fromisoformat(text[:10])


def _whole_years(earlier: date, later: date) -> int:
    return later.year - earlier.year - ((later.month, later.day) < (earlier.month, earlier.day))


def _whole_months(earlier: date, later: date) -> int | None:
    """Calendar months between two dates on the same day of the month; None otherwise."""
    if earlier.day != later.day:
        return None
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def _measured(case: dict, entry: dict, threshold: Threshold) -> float | None:
    if "count" in entry:
        # A count threshold (prior lines of therapy): one listed resource per counted item, each in the bundle.
        for reference in entry["count"]:
            _resource(case, reference)
        return len(set(entry["count"]))
    if "resource" in entry:
        resource = _resource(case, entry["resource"])
        values = [resource.get("valueQuantity", {}).get("value")]
        values += [c.get("valueQuantity", {}).get("value") for c in resource.get("component", [])]
        return entry["value"] if entry["value"] in values else values[0]
    start, end = _date_of(case, entry["from"]), _date_of(case, entry["to"])
    unit = threshold.unit
    if unit.startswith("years"):
        return _whole_years(start, end)
    if unit.startswith("months"):
        return _whole_months(start, end)
    if unit.startswith("days"):
        return (end - start).days
    raise AssertionError(f"{threshold.name}: no way to measure a {unit!r} between dates")


def test_boundary_entries_exist():
    """Some cases carry boundary entries (else the parametrized check below would be empty)."""
    assert _entries()


@pytest.mark.parametrize("case_name,entry", [(n, e) for n, _, e in _entries()],
                         ids=[f"{n}-{e['threshold']}" for n, _, e in _entries()])
def test_boundary_entry_matches_the_fhir_data(case_name: str, entry: dict):
    """The value a case claims is the value in its FHIR data, and names a declared threshold."""
    case = json.loads((CASES_DIR / f"{case_name}.json").read_text(encoding="utf-8"))
    assert entry["threshold"] in THRESHOLDS, f"{case_name}: unknown threshold {entry['threshold']!r}"
    threshold = THRESHOLDS[entry["threshold"]]
    assert [("resource" in entry), ("from" in entry and "to" in entry), ("count" in entry)].count(True) == 1, \
        f"{case_name}: say where the value is (resource, from/to, or count)"
    assert _measured(case, entry, threshold) == entry["value"], f"{case_name}: the data do not hold {entry['value']}"
