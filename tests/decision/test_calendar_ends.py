"""Dates at the ends of the calendar: FHIR allows every year from 0001 to 9999, and the core must answer for them.

Found by the schemathesis run (issue 8 follow-up): a Condition with onset "0001" and a metastasis made the
de novo window reach back four months before 1 January of year 1, and ``date()`` raised ("year 0 is out of
range"): a 500 for a request the description allows. Here every curated case is moved whole (its dates and its
"today") so that its earliest date falls in year 1, and again so that its latest falls in 9999: the core must
answer both without raising, and with the subtype the case states (moving a record in time changes no result).
"""
from __future__ import annotations

import calendar
import copy
import json
import re
from datetime import date
from pathlib import Path

import pytest

from cds_hooks.decision import DecisionConfig, assess

CASE_FILES = sorted((Path(__file__).resolve().parents[2] / "fixtures" / "cases").glob("*.json"))

# A FHIR date or dateTime (the year, then optionally the month and day, then optionally the time).
_DATE = re.compile(r"^(\d{4})(-(\d{2})(-(\d{2}))?)?(T.*)?$")


def _dates(node, found: list[int]) -> None:
    if isinstance(node, dict):
        for value in node.values():
            _dates(value, found)
    elif isinstance(node, list):
        for value in node:
            _dates(value, found)
    elif isinstance(node, str) and _DATE.match(node) and len(node) >= 4:
        found.append(int(node[:4]))


def _moved(value: str, years: int) -> str:
    match = _DATE.match(value)
    year = int(match.group(1)) + years
    month, day = match.group(3), match.group(5)
    if month and day and not calendar.isleap(year) and (month, day) == ("02", "29"):
        day = "28"
    out = f"{year:04d}"
    if month:
        out += f"-{month}"
        if day:
            out += f"-{day}"
    return out + (match.group(6) or "")


def _move(node, years: int):
    if isinstance(node, dict):
        return {k: (v if k in ("id", "reference", "code", "value", "display", "text") and isinstance(v, str)
                    else _move(v, years)) for k, v in node.items()}
    if isinstance(node, list):
        return [_move(v, years) for v in node]
    if isinstance(node, str) and _DATE.match(node):
        return _moved(node, years)
    return node


def _pinned(node, when: str):
    """Every date of ``node`` set to ``when`` (the time of a dateTime kept)."""
    if isinstance(node, dict):
        return {k: (v if k in ("id", "reference", "code", "value", "display", "text") and isinstance(v, str)
                    else _pinned(v, when)) for k, v in node.items()}
    if isinstance(node, list):
        return [_pinned(v, when) for v in node]
    if isinstance(node, str) and _DATE.match(node):
        return when + (_DATE.match(node).group(6) or "")
    return node


@pytest.mark.parametrize("end", ["moved-to-year-1", "moved-to-year-9999", "all-on-0001-01-01", "all-on-9999-12-31"])
def test_every_case_at_an_end_of_the_calendar_is_still_answered(end):
    """Moved whole, a case keeps its subtype; with every date on the first or last day FHIR allows (so every
    window the rules compute reaches past the calendar) it is still answered."""
    failures = []
    for path in CASE_FILES:
        case = json.loads(path.read_text(encoding="utf-8"))
        resources = [e["resource"] for e in case["bundle"].get("entry", [])]
        if end.startswith("moved"):
            years: list[int] = [int(case["today"][:4])]
            _dates(case["bundle"], years)
            shift = (1 - min(years)) if end == "moved-to-year-1" else (9999 - max(years))
            resources = _move(copy.deepcopy(resources), shift)
            today = date.fromisoformat(_moved(case["today"], shift))
        else:
            pin = end.removeprefix("all-on-")
            resources, today = _pinned(copy.deepcopy(resources), pin), date.fromisoformat(pin)
        config = DecisionConfig(today=today, **case.get("config", {}))
        try:
            assessment = assess(resources, config)
        except Exception as exc:   # the finding: an exception here is a 500 through HTTP
            failures.append(f"{path.name}: {type(exc).__name__}: {exc}")
            continue
        expected = case.get("expected", {}).get("subtype")
        if end.startswith("moved") and expected and assessment.subtype != expected:
            failures.append(f"{path.name}: subtype {assessment.subtype} instead of {expected}")
    assert not failures, "\n".join(failures[:20]) + f"\n({len(failures)} of {len(CASE_FILES)} cases)"
