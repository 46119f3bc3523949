"""The clinical case table: one curated patient per file in fixtures/cases/.

Each file states what a clinician would conclude (subtype, HER2 expression, setting), which
pitfall alerts and data-quality notes must and must not appear, and which options are offered
(with their status) or must not be; the runner holds every file to it, so a new case is a new
row without any new test code. Cases that sit at a threshold name it in ``boundaries``
(``test_boundary_table.py`` checks that every threshold has its three cases).
Histories over time may also state the episode (``episode``: EpisodeFinding fields), which rule
governs each receptor (``governing``), the severity of an alert (``alertSeverity``) and the lines
the subtype card carries (``subtypeNotes``).
"""
from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from cds_hooks.decision import DecisionConfig, assess

CASES_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "cases"
CASE_FILES = sorted(CASES_DIR.glob("*.json"))


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _config(case: dict) -> DecisionConfig:
    overrides = dict(case.get("config", {}))
    return DecisionConfig(today=date.fromisoformat(case["today"]), **overrides)


def _resources(case: dict) -> list[dict]:
    return [entry["resource"] for entry in case["bundle"].get("entry", [])]


def test_case_table_is_not_empty():
    """The table holds curated cases (an empty glob would make the runner vacuous)."""
    assert CASE_FILES, f"no case files in {CASES_DIR}"


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_case(path: Path):
    """Each curated patient is classified, and alerted on, as its file says a clinician would."""
    case = _load(path)
    expected = case["expected"]
    assessment = assess(_resources(case), _config(case))
    raised = {alert.code for alert in assessment.alerts}
    assert assessment.subtype == expected["subtype"], assessment.subtype_reasons
    if "her2Expression" in expected:
        assert assessment.her2_expression == expected["her2Expression"]
    if "setting" in expected:
        assert assessment.setting.setting == expected["setting"]
    for key, attr in (("er", "er"), ("pr", "pr")):
        if key in expected:
            assert getattr(assessment, attr).status == expected[key]
    if "her2Status" in expected:
        assert assessment.her2.status == expected["her2Status"]
    if "ishGroup" in expected:
        assert assessment.her2.ish_group == expected["ishGroup"]
    if "modifiers" in expected:
        assert sorted(assessment.modifiers) == sorted(expected["modifiers"])
    if "menopausalStatus" in expected:
        assert assessment.menopausal_status == expected["menopausalStatus"]
    notes = {note.code for note in assessment.data_quality}
    missing = set(expected.get("dataQuality", [])) - notes
    assert not missing, f"data-quality notes {missing} not emitted (got {notes})"
    unwanted = set(expected.get("dataQualityAbsent", [])) & notes
    assert not unwanted, f"data-quality notes {unwanted} emitted but must not be"
    offered = {option.id: option for option in assessment.options}
    for option_id, status in expected.get("options", {}).items():
        if status is None:
            assert option_id not in offered, f"{option_id} must not be offered"
        else:
            assert option_id in offered, f"{option_id} not offered (got {sorted(offered)})"
            assert offered[option_id].status == status, (option_id, offered[option_id].status, offered[option_id].needs)
    if "subtypeNotes" in expected:
        kinds = {note.kind for note in assessment.subtype_notes}
        missing = set(expected["subtypeNotes"]) - kinds
        assert not missing, f"subtype-card lines {missing} not emitted (got {kinds})"
    unwanted = set(expected.get("subtypeNotesAbsent", [])) & {note.kind for note in assessment.subtype_notes}
    assert not unwanted, f"subtype-card lines {unwanted} emitted but must not be"
    for receptor, rule in expected.get("governing", {}).items():
        finding = {"ER": assessment.er, "PR": assessment.pr, "HER2": assessment.her2}[receptor]
        assert finding.rule == rule, f"{receptor} governed by {finding.rule}, expected {rule}"
    for key, value in expected.get("episode", {}).items():
        assert getattr(assessment.episode, key) == value, f"episode.{key} = {getattr(assessment.episode, key)!r}"
    for code, severity in expected.get("alertSeverity", {}).items():
        got = {alert.severity for alert in assessment.alerts if alert.code == code}
        assert got == {severity}, f"{code} raised with severities {got}, expected {severity}"
    for code in expected.get("alertsPresent", []):
        assert code in raised, f"{code} expected but not raised (raised: {sorted(raised)})"
    for code in expected.get("alertsAbsent", []):
        assert code not in raised, f"{code} raised but must not be"


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_case_file_shape(path: Path):
    """Case files follow the shared format: one Patient named after the case, ids prefixed with it."""
    case = _load(path)
    name = path.stem
    assert {"description", "today", "expected", "bundle"} <= case.keys()
    resources = _resources(case)
    patients = [r for r in resources if r.get("resourceType") == "Patient"]
    assert len(patients) == 1 and patients[0]["id"] == name
    for resource in resources:
        assert str(resource.get("id", "")).startswith(name), resource.get("id")
        # FHIR R4 id: [A-Za-z0-9\-\.]{1,64}; a FHIR server refuses the case's transaction otherwise.
        assert re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", str(resource.get("id"))), resource.get("id")
