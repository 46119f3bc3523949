"""Value readers and code tables: every value shape of clinical-knowledge.md a.3/b.1, matched on codes, not displays."""
from __future__ import annotations

import pytest

from cds_hooks.decision.config import DecisionConfig
from cds_hooks.decision.er_pr import percent_status
from cds_hooks.decision.values import as_percent, read_value
from cds_hooks.knowledge import codes

LNC, SCT = codes.LNC, codes.SCT


@pytest.mark.parametrize("holder, field, expected", [
    ({"valueCodeableConcept": {"coding": [{"system": LNC, "code": "LA6576-8"}]}}, "qualitative", "positive"),
    ({"valueCodeableConcept": {"coding": [{"system": LNC, "code": "LA6577-6", "display": "Positive"}]}}, "qualitative", "negative"),
    ({"valueCodeableConcept": {"coding": [{"system": SCT, "code": "10828004"}]}}, "qualitative", "positive"),
    ({"valueCodeableConcept": {"coding": [{"system": SCT, "code": "260385009"}]}}, "qualitative", "negative"),
    ({"valueCodeableConcept": {"coding": [{"system": LNC, "code": "LA11885-3"}]}}, "qualitative", "equivocal"),
    ({"valueCodeableConcept": {"coding": [{"system": LNC, "code": "LA11884-6"}]}}, "qualitative", "indeterminate"),
    ({"valueCodeableConcept": {"coding": [{"system": LNC, "code": "LA11842-4"}]}}, "ihc_score", "2+"),
    ({"valueCodeableConcept": {"coding": [{"system": LNC, "code": "LA6111-4"}], "text": "0 ultralow"}}, "ihc_score", "0-ultralow"),
    ({"valueCodeableConcept": {"text": "pos"}}, "qualitative", "positive"),
    ({"valueCodeableConcept": {"coding": [{"system": codes.MII_RECEPTOR_SYSTEMS[1], "code": "gering-positiv"}]}}, "qualitative", "low-positive"),
    ({"valueString": "3+"}, "ihc_score", "3+"),
    ({"valueString": "less than 1.8"}, "ratio_high", 1.8),
    ({"valueString": "greater than 2.2"}, "ratio_low", 2.2),
    ({"valueString": "1.8-2.2"}, "ratio_low", 1.8),
    ({"valueString": ">10%"}, "comparator", ">"),
    ({"valueRatio": {"numerator": {"value": 4.4}, "denominator": {"value": 2}}}, "ratio", 2.2),
    ({"interpretation": [{"coding": [{"system": SCT, "code": "10828004"}]}]}, "qualitative", "positive"),
])
def test_value_shapes(holder, field, expected):
    """Each value shape is read into the same normalised field."""
    assert getattr(read_value(holder), field) == expected


def test_display_never_overrides_code():
    """A coding's display is ignored when its code is known (LA6577-6 shown as 'Positive' is still negative)."""
    value = read_value({"valueCodeableConcept": {"coding": [{"system": LNC, "code": "LA6577-6", "display": "Positive"}]}})
    assert value.qualitative == "negative"


def test_unreadable_string_is_reported_not_guessed():
    """An unparseable value string becomes a problem, not a status."""
    value = read_value({"valueString": "see report"})
    assert value.qualitative is None and value.problems[0][0] == "unparseable-value"


@pytest.mark.parametrize("quantity, percent, problem", [
    ({"value": 5, "unit": "%"}, 5.0, None),
    ({"value": 0.05, "unit": "1"}, None, "unit-ambiguous"),
    ({"value": 0.5}, None, "unit-ambiguous"),
    ({"value": 0}, 0.0, None),
    ({"value": 40}, 40.0, "unit-missing"),
    ({"value": 12, "unit": "mg"}, None, "unexpected-unit"),
])
def test_percent_units(quantity, percent, problem):
    """Fractions and percents are told apart by unit; a 0-1 value without '%' is ambiguous (b.1)."""
    got, problems = as_percent(read_value({"valueQuantity": quantity}))
    assert got == percent
    assert (problems[0][0] if problems else None) == problem


DEFAULT = DecisionConfig()
FLIPPED = DecisionConfig(low_positive_includes_upper_bound=False)


@pytest.mark.parametrize("percent, comparator, config, status", [
    (0, None, DEFAULT, "negative"), (0.5, None, DEFAULT, "negative"), (0.99, None, DEFAULT, "negative"),
    (1, None, DEFAULT, "low-positive"), (5, None, DEFAULT, "low-positive"), (10, None, DEFAULT, "low-positive"),
    (10, None, FLIPPED, "positive"), (9.9, None, FLIPPED, "low-positive"), (10.5, None, DEFAULT, "positive"),
    (11, None, DEFAULT, "positive"), (100, None, DEFAULT, "positive"),
    (1, "<", DEFAULT, "negative"), (1, "<=", DEFAULT, "unknown"), (10, ">", DEFAULT, "positive"),
    (10, ">", FLIPPED, "positive"), (10, ">=", DEFAULT, "unknown"), (10, ">=", FLIPPED, "positive"),
    (5, "<", DEFAULT, "unknown"),
])
def test_percent_thresholds(percent, comparator, config, status):
    """ASCO/CAP 2020: <1 % negative, 1-10 % low positive, >10 % positive; comparators and the boundary switch honoured."""
    assert percent_status(percent, comparator, config) == status


@pytest.mark.parametrize("system, code, fits", [
    (LNC, "85337-4", True), (LNC, "LA6576-8", True), (LNC, "417181009", False), (SCT, "10828004", True),
    (SCT, "85337-4", False), ("http://example.org", "anything", True),
])
def test_code_fits_system(system, code, fits):
    """A code with the wrong syntax for its system (Synthea's SNOMED id under LOINC) is caught."""
    assert codes.code_fits_system(system, code) is fits


def test_unverified_entries_are_flagged():
    """V1 and U entries are listed for review, V2 entries are not, and every entry names a source."""
    unverified = codes.unverified_entries()
    assert unverified and all(e.mark in ("V1", "U") and not e.verified for e in unverified)
    assert codes.lookup(codes.OBSERVATION_CODES, LNC, "85337-4").verified
    assert codes.lookup(codes.COMPONENT_CODES, SCT, "1234804006").mark == "V1"
    assert codes.lookup(codes.COMPONENT_CODES, SCT, "1234804006", accept=frozenset({"V2"})) is None
    for table in (codes.OBSERVATION_CODES, codes.ANSWER_CODES, codes.CONDITION_CODES):
        assert table and all(entry.source for entry in table.values())


def test_unverified_her2_group_codes_never_drive_decisions():
    """HER2-group codes whose meaning the reference could not verify are recognised but unusable."""
    for code in ("85328-3", "42783-1", "48675-3", "104279-5"):
        entry = codes.lookup(codes.OBSERVATION_CODES, LNC, code)
        assert entry.mark == "U" and not entry.usable


def test_text_never_overrides_a_recognised_code():
    """CodeableConcept.text only refines IHC 0 (ultralow/null); it cannot turn a coded Positive into Negative."""
    value = read_value({"valueCodeableConcept": {"coding": [{"system": LNC, "code": "LA6576-8"}], "text": "negative"}})
    assert value.qualitative == "positive"
    refined = read_value({"valueCodeableConcept": {"coding": [{"system": LNC, "code": "LA6111-4"}], "text": "ultralow"}})
    assert refined.ihc_score == "0-ultralow"


@pytest.mark.source_scan
def test_every_emitted_data_quality_code_is_documented():
    """Each note code the decision modules can emit is listed, with a meaning, in codes.DATA_QUALITY_CODES."""
    import re
    from pathlib import Path

    decision = Path(__file__).resolve().parents[2] / "cds_hooks" / "decision"
    pattern = re.compile(r'(?:DataQualityNote\(|\.note\(|problems\.append\(\(|, \[\()\s*"([a-z0-9-]+)"')
    emitted = set()
    for path in decision.glob("*.py"):
        emitted |= set(pattern.findall(path.read_text(encoding="utf-8")))
    emitted |= {"dropped-entered-in-error", "dropped-cancelled"}
    assert emitted, "pattern found no note codes"
    assert emitted <= set(codes.DATA_QUALITY_CODES), emitted - set(codes.DATA_QUALITY_CODES)
